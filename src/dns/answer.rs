//! What to answer: from one query datagram and the zone, either the response bytes or "ask
//! upstream". Names in the zone are answered with authority (AA), the rest is forwarded.
//!
//! Answers stay small whatever the query carried: the question and at most one record and one
//! SOA, never the query's own additional records or options, so a flood of large queries
//! cannot be turned into a larger flood of answers aimed at a forged source address.

use std::iter;
use std::net::Ipv4Addr;

use hickory_proto::op::{
    Edns, MessageType, Metadata, OpCode, Query, ResponseCode, emit_message_parts,
};
use hickory_proto::rr::rdata::{A, PTR, SOA};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::BinEncoder;

use super::label::{self, Label};
use super::request::{self, MAX_UDP_PAYLOAD, Request, Unreadable};
use super::zone::Zone;

/// The TTL of every answer from the zone, and of its negative answers (the SOA minimum):
/// names follow leases at once, so no resolver may keep them (dnsmasq's `local-ttl` is 0 too).
pub const ZONE_TTL: u32 = 0;

/// What became of one query.
#[derive(Debug, PartialEq)]
pub enum Answer {
    /// The response is in the output buffer.
    Reply,
    /// A name outside the zone: for the upstream resolvers.
    Forward(Request),
    /// Nothing goes back.
    Silent,
}

/// Where a question's name falls.
enum Place {
    /// The domain itself.
    Apex,
    /// A host name in the zone, and its address if it has one.
    Host(Option<Ipv4Addr>),
    /// The reverse name of an address in the segment.
    Reverse(Ipv4Addr),
}

/// Answers one query datagram from the zone, writing the response into `out`.
pub fn respond(bytes: &[u8], zone: &Zone, out: &mut Vec<u8>) -> Answer {
    let request = match request::parse(bytes) {
        Ok(r) => r,
        Err(Unreadable::Silent) => return Answer::Silent,
        Err(Unreadable::Refuse { metadata, rcode }) => {
            let mut m = Metadata::new(metadata.id, MessageType::Response, metadata.op_code);
            m.recursion_desired = metadata.recursion_desired;
            m.response_code = rcode;
            return emit(out, &m, None, None, None, None);
        }
    };
    if request.edns.is_some_and(|e| e.version != 0) {
        return error(&request, ResponseCode::BADVERS, out);
    }
    let query = &request.query;
    if query.query_class() != DNSClass::IN
        || matches!(query.query_type(), RecordType::AXFR | RecordType::IXFR)
    {
        return error(&request, ResponseCode::Refused, out);
    }
    match place(query.name(), zone) {
        Some(place) => local(&request, place, zone, out),
        None => Answer::Forward(request),
    }
}

/// A response with the question and no records: SERVFAIL when no upstream answered,
/// REFUSED for what the server does not serve.
pub fn error(request: &Request, rcode: ResponseCode, out: &mut Vec<u8>) -> Answer {
    reply(request, false, rcode, None, None, out)
}

fn local(request: &Request, place: Place, zone: &Zone, out: &mut Vec<u8>) -> Answer {
    let qname = request.query.name();
    let qtype = request.query.query_type();
    let wants = |t: RecordType| qtype == t || qtype == RecordType::ANY;
    let (rcode, answer, negative_owner) = match place {
        Place::Host(Some(ip)) if wants(RecordType::A) => {
            (ResponseCode::NoError, Some(RData::A(A(ip))), None)
        }
        Place::Host(Some(_)) => (ResponseCode::NoError, None, Some(zone.apex())),
        Place::Host(None) => (ResponseCode::NXDomain, None, Some(zone.apex())),
        Place::Apex if wants(RecordType::SOA) => {
            (ResponseCode::NoError, Some(RData::SOA(soa(zone))), None)
        }
        Place::Apex => (ResponseCode::NoError, None, Some(zone.apex())),
        Place::Reverse(ip) => match zone.name_of(ip) {
            Some(label) if wants(RecordType::PTR) => match host_name(label, zone) {
                Some(name) => (ResponseCode::NoError, Some(RData::PTR(PTR(name))), None),
                None => return error(request, ResponseCode::ServFail, out),
            },
            Some(_) => (ResponseCode::NoError, None, Some(zone.reverse_apex())),
            None => (ResponseCode::NXDomain, None, Some(zone.reverse_apex())),
        },
    };
    let answer = answer.map(|data| Record::from_rdata(qname.clone(), ZONE_TTL, data));
    // A negative answer carries the zone's SOA, which tells resolvers how long to remember
    // it (RFC 2308 3).
    let authority = negative_owner
        .map(|owner| Record::from_rdata(owner.clone(), ZONE_TTL, RData::SOA(soa(zone))));
    reply(
        request,
        true,
        rcode,
        answer.as_ref(),
        authority.as_ref(),
        out,
    )
}

/// Where `name` falls in the zone; None when it is outside.
fn place(name: &Name, zone: &Zone) -> Option<Place> {
    let apex = zone.apex();
    let (n, d) = (name.iter().len(), apex.iter().len());
    let first = name.iter().next();
    let host = |label: &[u8]| {
        let mut buf = [0; label::MAX_LEN];
        label::lowercase(label, &mut buf).and_then(|l| zone.address(l))
    };
    if n >= d && ends_with(name, apex) {
        return Some(match (n - d, first) {
            (0, _) => Place::Apex,
            (1, Some(label)) => Place::Host(host(label)),
            // Nothing lives below a host name.
            _ => Place::Host(None),
        });
    }
    // A plain name is a host's only when the zone has it; any other goes upstream, as it
    // would without this server (dnsmasq does the same).
    if let (1, Some(ip)) = (n, first.and_then(host)) {
        return Some(Place::Host(Some(ip)));
    }
    reverse_address(name)
        .filter(|ip| zone.answers_reverse(*ip))
        .map(Place::Reverse)
}

fn ends_with(name: &Name, apex: &Name) -> bool {
    name.iter()
        .rev()
        .zip(apex.iter().rev())
        .all(|(a, b)| a.eq_ignore_ascii_case(b))
}

/// The address of a reverse name `d.c.b.a.in-addr.arpa`, with every octet written the one
/// way it can be (no leading zeros, no sign).
fn reverse_address(name: &Name) -> Option<Ipv4Addr> {
    let mut labels = name.iter();
    if labels.len() != 6 {
        return None;
    }
    let mut octets = [0u8; 4];
    for octet in octets.iter_mut().rev() {
        *octet = decimal_octet(labels.next()?)?;
    }
    let tail_ok = labels.next()?.eq_ignore_ascii_case(b"in-addr")
        && labels.next()?.eq_ignore_ascii_case(b"arpa");
    tail_ok.then(|| Ipv4Addr::from(octets))
}

fn decimal_octet(label: &[u8]) -> Option<u8> {
    let canonical = !label.is_empty()
        && label.len() <= 3
        && label.iter().all(u8::is_ascii_digit)
        && (label.len() == 1 || label[0] != b'0');
    if !canonical {
        return None;
    }
    let value = label.iter().fold(0u16, |v, d| v * 10 + u16::from(d - b'0'));
    u8::try_from(value).ok()
}

fn host_name(label: &Label, zone: &Zone) -> Option<Name> {
    Name::from_labels(iter::once(label.as_str().as_bytes()).chain(zone.apex().iter())).ok()
}

/// The zone's SOA. No other server holds a copy of it, so refresh, retry and expire only
/// need to be plausible; the minimum is what counts: how long a negative answer may be kept.
fn soa(zone: &Zone) -> SOA {
    let apex = zone.apex();
    let hostmaster = apex
        .prepend_label("hostmaster")
        .unwrap_or_else(|_| apex.clone());
    SOA::new(
        apex.clone(),
        hostmaster,
        zone.serial(),
        3600,
        600,
        86400,
        ZONE_TTL,
    )
}

/// The response to `request`: its question, the records given, and an OPT record if it
/// sent one.
fn reply(
    request: &Request,
    authoritative: bool,
    rcode: ResponseCode,
    answer: Option<&Record>,
    authority: Option<&Record>,
    out: &mut Vec<u8>,
) -> Answer {
    let mut m = Metadata::new(request.id, MessageType::Response, OpCode::Query);
    m.authoritative = authoritative;
    m.recursion_desired = request.recursion_desired;
    m.checking_disabled = request.checking_disabled;
    // Names outside the zone are resolved upstream for the asker.
    m.recursion_available = true;
    m.response_code = rcode;
    let edns = edns(request);
    emit(
        out,
        &m,
        Some(&request.query),
        answer,
        authority,
        edns.as_ref(),
    )
}

/// The server's OPT record, for an asker that sent one (RFC 6891 6.1.1 wants it back).
pub fn edns(request: &Request) -> Option<Edns> {
    request.edns.map(|asked| {
        let mut e = Edns::new();
        e.set_max_payload(MAX_UDP_PAYLOAD);
        e.set_dnssec_ok(asked.dnssec_ok);
        e
    })
}

fn emit(
    out: &mut Vec<u8>,
    metadata: &Metadata,
    query: Option<&Query>,
    answer: Option<&Record>,
    authority: Option<&Record>,
    edns: Option<&Edns>,
) -> Answer {
    out.clear();
    let mut encoder = BinEncoder::new(out);
    let emitted = emit_message_parts(
        metadata,
        &mut query.into_iter(),
        &mut answer.into_iter(),
        &mut authority.into_iter(),
        &mut iter::empty::<&Record>(),
        edns,
        None,
        &mut encoder,
    );
    match emitted {
        Ok(_) => Answer::Reply,
        // Only a name the encoder cannot write gets here; better no answer than half of one.
        Err(_) => Answer::Silent,
    }
}

#[cfg(test)]
mod tests {
    use hickory_proto::op::Message;

    use super::*;
    use crate::dns::request::tests::query;

    fn zone() -> Zone {
        let mut z = Zone::new("lan", "10.0.5.0/24".parse().unwrap()).unwrap();
        z.lease(Ipv4Addr::new(10, 0, 5, 10), Some("c1"));
        z.lease(Ipv4Addr::new(10, 0, 5, 11), Some("c2"));
        z
    }

    /// The response to `bytes`, decoded.
    fn ask(bytes: &[u8]) -> Message {
        let mut out = Vec::new();
        assert_eq!(respond(bytes, &zone(), &mut out), Answer::Reply);
        Message::from_vec(&out).unwrap()
    }

    fn lookup(name: &str, qtype: RecordType) -> Message {
        ask(&query(name, qtype, None))
    }

    #[test]
    fn a_host_name_answers_with_authority() {
        for name in ["c1.lan.", "C1.LAN.", "c1."] {
            let m = lookup(name, RecordType::A);
            assert_eq!(m.metadata.response_code, ResponseCode::NoError, "{name}");
            assert!(m.metadata.authoritative && m.metadata.recursion_available);
            assert_eq!(m.metadata.id, 0x1234);
            assert_eq!(
                m.queries[0].name().to_ascii(),
                name,
                "the question comes back as asked"
            );
            assert_eq!(m.answers.len(), 1);
            assert_eq!(m.answers[0].data, RData::A(A(Ipv4Addr::new(10, 0, 5, 10))));
            assert_eq!(m.answers[0].name.to_ascii(), name);
            assert_eq!(m.answers[0].ttl, ZONE_TTL);
        }
    }

    #[test]
    fn other_types_of_a_host_get_no_data() {
        for qtype in [RecordType::AAAA, RecordType::MX, RecordType::TXT] {
            let m = lookup("c1.lan.", qtype);
            assert_eq!(m.metadata.response_code, ResponseCode::NoError);
            assert!(m.metadata.authoritative);
            assert!(m.answers.is_empty(), "{qtype}");
            let RData::SOA(soa) = &m.authorities[0].data else {
                panic!("{:?}", m.authorities)
            };
            assert_eq!(m.authorities[0].name.to_ascii(), "lan.");
            assert_eq!(soa.minimum, ZONE_TTL);
        }
        let any = lookup("c1.lan.", RecordType::ANY);
        assert_eq!(any.answers.len(), 1);
    }

    #[test]
    fn an_unknown_name_in_the_domain_does_not_exist() {
        for name in ["nosuch.lan.", "x.c1.lan.", "*.lan."] {
            let m = lookup(name, RecordType::A);
            assert_eq!(m.metadata.response_code, ResponseCode::NXDomain, "{name}");
            assert!(m.metadata.authoritative);
            assert_eq!(m.authorities.len(), 1);
        }
    }

    #[test]
    fn the_domain_itself_has_its_soa() {
        let m = lookup("lan.", RecordType::SOA);
        assert_eq!(m.metadata.response_code, ResponseCode::NoError);
        let RData::SOA(soa) = &m.answers[0].data else {
            panic!("{:?}", m.answers)
        };
        assert_eq!(soa.rname.to_ascii(), "hostmaster.lan.");
        assert_eq!(soa.serial, zone().serial());
        let m = lookup("lan.", RecordType::A);
        assert!(m.answers.is_empty() && m.authorities.len() == 1);
    }

    #[test]
    fn reverse_names_of_the_segment_answer_from_the_zone() {
        let m = lookup("10.5.0.10.in-addr.arpa.", RecordType::PTR);
        assert!(m.metadata.authoritative);
        assert_eq!(
            m.answers[0].data,
            RData::PTR(PTR(Name::from_ascii("c1.lan.").unwrap()))
        );
        let m = lookup("99.5.0.10.IN-ADDR.ARPA.", RecordType::PTR);
        assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
        assert_eq!(m.authorities[0].name.to_ascii(), "5.0.10.in-addr.arpa.");
        let m = lookup("10.5.0.10.in-addr.arpa.", RecordType::A);
        assert_eq!(m.metadata.response_code, ResponseCode::NoError);
        assert!(m.answers.is_empty());
    }

    #[test]
    fn names_outside_the_zone_go_upstream() {
        for name in [
            "example.com.",
            "c9.",
            "com.",
            "10.6.0.10.in-addr.arpa.",
            "010.5.0.10.in-addr.arpa.",
            "5.0.10.in-addr.arpa.",
            "lan.example.",
        ] {
            let q = query(name, RecordType::A, Some(1232));
            let mut out = Vec::new();
            match respond(&q, &zone(), &mut out) {
                Answer::Forward(r) => assert_eq!(r.query.name().to_ascii(), name),
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn edns_comes_back_only_to_who_sent_it() {
        let m = ask(&query("c1.lan.", RecordType::A, Some(4096)));
        assert_eq!(
            m.edns.as_ref().map(Edns::max_payload),
            Some(MAX_UDP_PAYLOAD)
        );
        assert!(lookup("c1.lan.", RecordType::A).edns.is_none());
    }

    #[test]
    fn what_the_server_does_not_serve_is_refused_or_not_implemented() {
        let rcode = |bytes: &[u8]| ask(bytes).metadata.response_code;
        assert_eq!(
            rcode(&query("lan.", RecordType::AXFR, None)),
            ResponseCode::Refused
        );
        let mut chaos = query("version.bind.", RecordType::TXT, None);
        let class_at = chaos.len() - 1;
        chaos[class_at] = 3;
        assert_eq!(rcode(&chaos), ResponseCode::Refused);
        let mut update = query("lan.", RecordType::SOA, None);
        update[2] = 5 << 3;
        let m = ask(&update);
        assert_eq!(m.metadata.response_code, ResponseCode::NotImp);
        assert!(m.queries.is_empty());
        let mut v1 = query("c1.lan.", RecordType::A, Some(1232));
        let version_at = v1.len() - 5;
        v1[version_at] = 1;
        // BADVERS is 16, which hickory reads back as TSIG's BADSIG, the same number.
        assert_eq!(u16::from(rcode(&v1)), u16::from(ResponseCode::BADVERS));
    }

    #[test]
    fn garbage_gets_a_bare_formerr_or_nothing() {
        let mut out = Vec::new();
        assert_eq!(respond(b"short", &zone(), &mut out), Answer::Silent);
        assert!(out.is_empty());
        let mut q = query("c1.lan.", RecordType::A, None);
        q.truncate(20);
        assert_eq!(respond(&q, &zone(), &mut out), Answer::Reply);
        assert_eq!(out.len(), 12, "a header and nothing else");
        let m = Message::from_vec(&out).unwrap();
        assert_eq!(m.metadata.response_code, ResponseCode::FormErr);
        assert_eq!(m.metadata.id, 0x1234);
    }

    /// Tiny deterministic generator for the mutation test: same inputs on every run.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn no_input_panics_or_turns_into_a_bigger_answer() {
        let zone = zone();
        let seeds: Vec<Vec<u8>> = [
            ("c1.lan.", RecordType::A, Some(1232)),
            ("10.5.0.10.in-addr.arpa.", RecordType::PTR, None),
            ("nosuch.lan.", RecordType::AAAA, Some(512)),
            ("example.com.", RecordType::A, None),
        ]
        .iter()
        .map(|(n, t, e)| query(n, *t, *e))
        .collect();
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let mut out = Vec::new();
        for round in 0..200_000 {
            let mut bytes = seeds[round % seeds.len()].clone();
            match rng.next() % 4 {
                // Flip a few bytes.
                0 | 1 => {
                    for _ in 0..=rng.next() % 4 {
                        let at = (rng.next() as usize) % bytes.len();
                        bytes[at] = rng.next() as u8;
                    }
                }
                // Cut short.
                2 => bytes.truncate((rng.next() as usize) % bytes.len()),
                // Pad to a 500-byte query with junk after the message.
                _ => bytes.resize(500, rng.next() as u8),
            }
            if let Answer::Reply = respond(&bytes, &zone, &mut out) {
                assert!(out.len() <= 512, "{} bytes for {bytes:02x?}", out.len());
                if bytes.len() >= 500 {
                    assert!(out.len() < bytes.len());
                }
                Message::from_vec(&out).expect("every answer decodes");
            }
        }
    }

    #[test]
    fn a_padded_500_byte_query_gets_a_small_answer() {
        // The padding option (RFC 7830) makes a legitimate query this large.
        let mut m = Message::new(7, MessageType::Query, OpCode::Query);
        m.add_query(Query::query(
            Name::from_ascii("c1.lan.").unwrap(),
            RecordType::A,
        ));
        let mut e = Edns::new();
        e.options_mut()
            .insert(hickory_proto::rr::rdata::opt::EdnsOption::Unknown(
                12,
                vec![0; 470],
            ));
        m.set_edns(e);
        let bytes = m.to_vec().unwrap();
        assert!(bytes.len() >= 500, "{}", bytes.len());
        let mut out = Vec::new();
        assert_eq!(respond(&bytes, &zone(), &mut out), Answer::Reply);
        assert!(out.len() < 100, "{} bytes", out.len());
    }
}
