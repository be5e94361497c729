//! A query as the server reads it (RFC 1035 4.1, with EDNS from RFC 6891): what it asks, and
//! how the asker wants the answer. Every byte came from the network, so the message is read
//! piece by piece: a header, exactly one question, and the additional records, where the OPT
//! record is. The decoder never trusts a count to size a buffer.

use hickory_proto::op::{Header, MessageType, Metadata, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Record, RecordType};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};

/// The largest UDP answer the server sends, and the payload it offers in its own OPT records:
/// the size DNS Flag Day 2020 settled on, below any path MTU, so no answer is fragmented.
pub const MAX_UDP_PAYLOAD: u16 = 1232;
/// The UDP limit of an asker without EDNS (RFC 1035 4.2.1).
pub const CLASSIC_UDP_PAYLOAD: u16 = 512;

#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub id: u16,
    pub recursion_desired: bool,
    pub checking_disabled: bool,
    pub query: Query,
    pub edns: Option<ClientEdns>,
}

/// What the asker's OPT record said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientEdns {
    pub payload: u16,
    pub dnssec_ok: bool,
    pub version: u8,
}

/// A datagram that is no query the server can take.
#[derive(Debug, PartialEq)]
pub enum Unreadable {
    /// Too short for a header, or a response: nothing goes back (an answer to an answer is
    /// how two servers start a loop).
    Silent,
    /// Answered with the header alone, no question: `rcode` says why.
    Refuse {
        metadata: Metadata,
        rcode: ResponseCode,
    },
}

impl Request {
    /// The largest answer this asker takes over UDP.
    pub fn udp_limit(&self) -> usize {
        let payload = self.edns.map_or(CLASSIC_UDP_PAYLOAD, |e| {
            e.payload.clamp(CLASSIC_UDP_PAYLOAD, MAX_UDP_PAYLOAD)
        });
        usize::from(payload)
    }

    pub fn dnssec_ok(&self) -> bool {
        self.edns.is_some_and(|e| e.dnssec_ok)
    }
}

pub fn parse(bytes: &[u8]) -> Result<Request, Unreadable> {
    let mut d = BinDecoder::new(bytes);
    let header = Header::read(&mut d).map_err(|_| Unreadable::Silent)?;
    let metadata = header.metadata;
    if metadata.message_type == MessageType::Response {
        return Err(Unreadable::Silent);
    }
    let refuse = |rcode| Unreadable::Refuse { metadata, rcode };
    if metadata.op_code != OpCode::Query {
        return Err(refuse(ResponseCode::NotImp));
    }
    let counts = header.counts;
    // A standard query asks one question and carries no answers (RFC 1035 4.1.2, RFC 9619).
    if counts.queries != 1 || counts.answers != 0 || counts.authorities != 0 {
        return Err(refuse(ResponseCode::FormErr));
    }
    let query = Query::read(&mut d).map_err(|_| refuse(ResponseCode::FormErr))?;
    if query.query_type() == RecordType::OPT {
        return Err(refuse(ResponseCode::FormErr));
    }
    let mut edns = None;
    for _ in 0..counts.additionals {
        let record = Record::read(&mut d).map_err(|_| refuse(ResponseCode::FormErr))?;
        if record.record_type() != RecordType::OPT {
            continue;
        }
        // One OPT record at most (RFC 6891 6.1.1).
        if edns.is_some() {
            return Err(refuse(ResponseCode::FormErr));
        }
        edns = Some(ClientEdns {
            payload: u16::from(record.dns_class),
            version: (record.ttl >> 16) as u8,
            dnssec_ok: record.ttl & 0x8000 != 0,
        });
    }
    Ok(Request {
        id: metadata.id,
        recursion_desired: metadata.recursion_desired,
        checking_disabled: metadata.checking_disabled,
        query,
        edns,
    })
}

#[cfg(test)]
pub mod tests {
    use hickory_proto::op::{Edns, Message};
    use hickory_proto::rr::Name;

    use super::*;

    /// A query as a stub resolver sends it: recursion desired, with or without EDNS.
    pub fn query(name: &str, qtype: RecordType, edns: Option<u16>) -> Vec<u8> {
        let mut m = Message::new(0x1234, MessageType::Query, OpCode::Query);
        m.metadata.recursion_desired = true;
        m.add_query(Query::query(Name::from_ascii(name).unwrap(), qtype));
        if let Some(payload) = edns {
            let mut e = Edns::new();
            e.set_max_payload(payload);
            m.set_edns(e);
        }
        m.to_vec().unwrap()
    }

    #[test]
    fn a_stub_query_is_read_whole() {
        let r = parse(&query("C1.lan.", RecordType::A, Some(4096))).unwrap();
        assert_eq!(r.id, 0x1234);
        assert!(r.recursion_desired && !r.checking_disabled);
        assert_eq!(r.query.name().to_ascii(), "C1.lan.");
        assert_eq!(r.query.query_type(), RecordType::A);
        assert_eq!(
            r.edns,
            Some(ClientEdns {
                payload: 4096,
                dnssec_ok: false,
                version: 0
            })
        );
        assert_eq!(r.udp_limit(), 1232);
        let r = parse(&query("c1.lan.", RecordType::A, None)).unwrap();
        assert_eq!((r.edns, r.udp_limit()), (None, 512));
    }

    #[test]
    fn what_is_no_query_gets_no_answer_or_a_bare_header() {
        assert_eq!(parse(&[0; 11]), Err(Unreadable::Silent));
        let mut answer = query("c1.lan.", RecordType::A, None);
        answer[2] |= 0x80;
        assert_eq!(parse(&answer), Err(Unreadable::Silent));

        let rcode = |bytes: &[u8]| match parse(bytes) {
            Err(Unreadable::Refuse { rcode, .. }) => rcode,
            other => panic!("{other:?}"),
        };
        let mut notify = query("c1.lan.", RecordType::SOA, None);
        notify[2] |= 4 << 3;
        assert_eq!(rcode(&notify), ResponseCode::NotImp);
        let mut two = query("c1.lan.", RecordType::A, None);
        two[5] = 2;
        assert_eq!(rcode(&two), ResponseCode::FormErr);
        let mut none = query("c1.lan.", RecordType::A, None);
        none[5] = 0;
        assert_eq!(rcode(&none), ResponseCode::FormErr);
        let short = query("c1.lan.", RecordType::A, None);
        assert_eq!(rcode(&short[..short.len() - 1]), ResponseCode::FormErr);
        let mut opt_twice = query("c1.lan.", RecordType::A, Some(1232));
        let opt = opt_twice[opt_twice.len() - 11..].to_vec();
        opt_twice.extend_from_slice(&opt);
        opt_twice[11] = 2;
        assert_eq!(rcode(&opt_twice), ResponseCode::FormErr);
        assert_eq!(
            rcode(&query("c1.lan.", RecordType::OPT, None)),
            ResponseCode::FormErr
        );
    }

    #[test]
    fn a_header_counting_every_record_there_could_be_costs_nothing() {
        let mut q = query("c1.lan.", RecordType::A, None);
        q[10] = 0xff;
        q[11] = 0xff;
        assert!(matches!(
            parse(&q),
            Err(Unreadable::Refuse {
                rcode: ResponseCode::FormErr,
                ..
            })
        ));
    }
}
