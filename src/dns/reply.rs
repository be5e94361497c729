//! An upstream resolver's answer: checked against the query it claims to answer, kept as the
//! bytes it came in, and re-addressed for each asker: the asker's id and spelling of the name,
//! its RD flag, AA cleared (this server holds no authority for the name), TTLs aged by the time spent in the cache, the OPT record only for an asker that
//! sent one, and cut to what the asker takes over UDP (TC set, so it asks again over TCP).
//! Answering from the cache is one copy and a few patches, no decoding.

use hickory_proto::op::{Header, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RecordType};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder, BinEncodable, BinEncoder};

use super::answer;
use super::request::Request;

/// Header fields, by offset (RFC 1035 4.1.1).
const FLAGS: usize = 2;
const RD: u8 = 0x01;
const AA: u8 = 0x04;
const TC: u8 = 0x02;
const ANCOUNT: usize = 6;
const ARCOUNT: usize = 10;
const HEADER_LEN: usize = 12;

#[derive(Clone, Debug)]
pub struct Reply {
    bytes: Box<[u8]>,
    /// Where each record's TTL is, the OPT record's excepted.
    ttls: Box<[u16]>,
    /// The OPT record's bytes, start and end.
    opt: Option<(u16, u16)>,
    question_end: u16,
    /// Whether the question's name is written out at offset 12, so an asker's spelling can
    /// be copied over it.
    plain_question: bool,
    rcode: ResponseCode,
    truncated: bool,
    lifetime: u32,
}

/// Why a datagram from an upstream is not the answer that was waited for.
#[derive(Debug, PartialEq, Eq)]
pub enum Mismatch {
    Malformed,
    NotAnAnswer,
    OtherId,
    OtherQuestion,
}

impl Reply {
    /// Checks `bytes` as the answer to the query with `id` and `question`.
    pub fn parse(bytes: &[u8], id: u16, question: &Query) -> Result<Reply, Mismatch> {
        let malformed = |_| Mismatch::Malformed;
        let mut d = BinDecoder::new(bytes);
        let header = Header::read(&mut d).map_err(malformed)?;
        if header.message_type != MessageType::Response || header.op_code != OpCode::Query {
            return Err(Mismatch::NotAnAnswer);
        }
        if header.id != id {
            return Err(Mismatch::OtherId);
        }
        if header.counts.queries != 1 {
            return Err(Mismatch::OtherQuestion);
        }
        let asked = Query::read(&mut d).map_err(malformed)?;
        if asked != *question {
            return Err(Mismatch::OtherQuestion);
        }
        let question_end = d.index();
        let counts = header.counts;
        let sections = [
            (counts.answers, Section::Answer),
            (counts.authorities, Section::Authority),
            (counts.additionals, Section::Additional),
        ];
        let mut walk = Walk::default();
        for (count, section) in sections {
            for _ in 0..count {
                walk.record(&mut d, section).map_err(malformed)?;
            }
        }
        let end = d.index();
        let rcode = header.response_code;
        let lifetime = if header.truncation {
            0
        } else {
            walk.lifetime(rcode, counts.answers)
        };
        Ok(Reply {
            bytes: bytes[..end].into(),
            ttls: walk.ttls.into(),
            opt: walk.opt,
            question_end: question_end as u16,
            plain_question: question_end == HEADER_LEN + wire_len(question.name()) + 4,
            rcode,
            truncated: header.truncation,
            lifetime,
        })
    }

    pub fn rcode(&self) -> ResponseCode {
        self.rcode
    }

    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// How many seconds the answer may be served from a cache: the smallest TTL of its
    /// records, or for a negative answer its SOA's (RFC 2308 5); 0 for what must not be kept.
    pub fn lifetime(&self) -> u32 {
        self.lifetime
    }

    /// Bytes held, for the cache's budget.
    pub fn size(&self) -> usize {
        self.bytes.len() + 2 * self.ttls.len()
    }

    /// The answer as `asker` gets it, `age` seconds after it came, in at most `limit` bytes.
    pub fn write(&self, asker: &Request, age: u32, limit: usize, out: &mut Vec<u8>) {
        out.clear();
        let drop_opt = self.opt.filter(|_| asker.edns.is_none());
        match drop_opt {
            Some((start, end)) => {
                out.extend_from_slice(&self.bytes[..usize::from(start)]);
                out.extend_from_slice(&self.bytes[usize::from(end)..]);
                let count = u16::from_be_bytes([out[ARCOUNT], out[ARCOUNT + 1]]);
                out[ARCOUNT..ARCOUNT + 2].copy_from_slice(&(count - 1).to_be_bytes());
            }
            None => out.extend_from_slice(&self.bytes),
        }
        out[..2].copy_from_slice(&asker.id.to_be_bytes());
        out[FLAGS] = (out[FLAGS] & !(RD | AA)) | if asker.recursion_desired { RD } else { 0 };
        if self.plain_question {
            copy_spelling(asker.query.name(), &mut out[HEADER_LEN..]);
        }
        for &at in self.ttls.iter() {
            let at = match drop_opt {
                Some((start, end)) if at > start => usize::from(at - (end - start)),
                _ => usize::from(at),
            };
            let ttl = u32::from_be_bytes([out[at], out[at + 1], out[at + 2], out[at + 3]]);
            out[at..at + 4].copy_from_slice(&ttl.saturating_sub(age).to_be_bytes());
        }
        if out.len() > limit {
            self.truncate(asker, out);
        }
    }

    /// Cuts the answer to its header and question, with TC set (RFC 2181 9), and the
    /// server's OPT record for an asker that sent one.
    fn truncate(&self, asker: &Request, out: &mut Vec<u8>) {
        out.truncate(usize::from(self.question_end));
        out[FLAGS] |= TC;
        out[ANCOUNT..HEADER_LEN].fill(0);
        if let Some(edns) = answer::edns(asker) {
            let mut opt = Vec::with_capacity(16);
            if edns.emit(&mut BinEncoder::new(&mut opt)).is_ok() {
                out.extend_from_slice(&opt);
                out[ARCOUNT + 1] = 1;
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Answer,
    Authority,
    Additional,
}

/// What reading the records found.
#[derive(Default)]
struct Walk {
    ttls: Vec<u16>,
    opt: Option<(u16, u16)>,
    /// The smallest TTL of the answer and authority records.
    min_ttl: Option<u32>,
    /// The negative TTL of an SOA in the authority section.
    negative_ttl: Option<u32>,
}

impl Walk {
    fn record(
        &mut self,
        d: &mut BinDecoder<'_>,
        section: Section,
    ) -> Result<(), hickory_proto::serialize::binary::DecodeError> {
        let start = d.index();
        Name::read(d)?;
        let rtype = RecordType::from(d.read_u16()?.unverified(/*any type may be relayed*/));
        d.read_u16()?; // class
        let ttl_at = d.index();
        let ttl = d.read_u32()?.unverified(/*any TTL; aged with saturation*/);
        let len = d.read_u16()?.unverified(/*checked by read_slice*/);
        let rdata = d.read_slice(usize::from(len))?.unverified(/*relayed as it is*/);
        if rtype == RecordType::OPT {
            self.opt = Some((start as u16, d.index() as u16));
            return Ok(());
        }
        self.ttls.push(ttl_at as u16);
        if section == Section::Additional {
            return Ok(());
        }
        self.min_ttl = Some(self.min_ttl.map_or(ttl, |m| m.min(ttl)));
        // SOA MINIMUM is the last field of its RDATA (RFC 1035 3.3.13).
        if rtype == RecordType::SOA
            && section == Section::Authority
            && let Some(minimum) = rdata.last_chunk::<4>()
        {
            let negative = ttl.min(u32::from_be_bytes(*minimum));
            self.negative_ttl = Some(self.negative_ttl.map_or(negative, |n| n.min(negative)));
        }
        Ok(())
    }

    fn lifetime(&self, rcode: ResponseCode, answers: u16) -> u32 {
        match rcode {
            ResponseCode::NoError if answers > 0 => self.min_ttl.unwrap_or(0),
            ResponseCode::NoError | ResponseCode::NXDomain => self.negative_ttl.unwrap_or(0),
            _ => 0,
        }
    }
}

/// The length of `name` written out uncompressed.
fn wire_len(name: &Name) -> usize {
    name.iter().map(|l| l.len() + 1).sum::<usize>() + 1
}

/// Writes the labels of `name` over a name of the same labels in other case at `at`.
fn copy_spelling(name: &Name, at: &mut [u8]) {
    let mut pos = 0;
    for label in name.iter() {
        let Some(dest) = at.get_mut(pos + 1..pos + 1 + label.len()) else {
            return;
        };
        dest.copy_from_slice(label);
        pos += 1 + label.len();
    }
}

#[cfg(test)]
pub mod tests {
    use std::net::Ipv4Addr;

    use hickory_proto::op::{Edns, Message};
    use hickory_proto::rr::rdata::{A, SOA, TXT};
    use hickory_proto::rr::{RData, Record};

    use super::*;
    use crate::dns::request::{self, tests::query};

    /// What an upstream sends back for `question` with `id`: the records given, and an OPT
    /// record of its own.
    pub fn upstream_answer(
        id: u16,
        question: &Query,
        rcode: ResponseCode,
        answers: Vec<Record>,
        authorities: Vec<Record>,
    ) -> Vec<u8> {
        let mut m = Message::response(id, OpCode::Query);
        m.metadata.recursion_available = true;
        // As dnsmasq answers the names it holds itself.
        m.metadata.authoritative = true;
        m.metadata.response_code = rcode;
        m.add_query(question.clone());
        m.add_answers(answers);
        m.add_authorities(authorities);
        m.set_edns(Edns::new());
        m.to_vec().unwrap()
    }

    pub fn a_record(name: &str, ttl: u32, ip: [u8; 4]) -> Record {
        Record::from_rdata(
            Name::from_ascii(name).unwrap(),
            ttl,
            RData::A(A(Ipv4Addr::from(ip))),
        )
    }

    fn soa(zone: &str, ttl: u32, minimum: u32) -> Record {
        let apex = Name::from_ascii(zone).unwrap();
        let data = SOA::new(apex.clone(), apex.clone(), 1, 1, 1, 1, minimum);
        Record::from_rdata(apex, ttl, RData::SOA(data))
    }

    fn lower(name: &str) -> Query {
        Query::query(Name::from_ascii(name).unwrap(), RecordType::A)
    }

    fn asker(name: &str, edns: Option<u16>) -> Request {
        request::parse(&query(name, RecordType::A, edns)).unwrap()
    }

    #[test]
    fn an_answer_is_readdressed_to_its_asker() {
        let q = lower("example.com.");
        let bytes = upstream_answer(
            0xbeef,
            &q,
            ResponseCode::NoError,
            vec![a_record("example.com.", 300, [192, 0, 2, 1])],
            vec![],
        );
        let reply = Reply::parse(&bytes, 0xbeef, &q).unwrap();
        assert_eq!(reply.lifetime(), 300);
        let mut out = Vec::new();
        reply.write(&asker("ExAmple.COM.", Some(1232)), 100, 512, &mut out);
        let m = Message::from_vec(&out).unwrap();
        assert_eq!(m.metadata.id, 0x1234);
        assert!(m.metadata.recursion_desired);
        assert!(
            !m.metadata.authoritative,
            "no authority for a name held upstream"
        );
        assert_eq!(m.queries[0].name().to_ascii(), "ExAmple.COM.");
        assert_eq!(
            m.answers[0].ttl, 200,
            "aged by its 100 seconds in the cache"
        );
        assert!(m.edns.is_some());

        reply.write(&asker("example.com.", None), 301, 512, &mut out);
        let m = Message::from_vec(&out).unwrap();
        assert!(m.edns.is_none(), "no OPT record for an asker without EDNS");
        assert_eq!(m.answers[0].ttl, 0);
    }

    #[test]
    fn datagrams_that_answer_something_else_are_told_apart() {
        let q = lower("example.com.");
        let bytes = upstream_answer(7, &q, ResponseCode::NoError, vec![], vec![]);
        assert_eq!(Reply::parse(&bytes, 8, &q).err(), Some(Mismatch::OtherId));
        let other = lower("example.net.");
        assert_eq!(
            Reply::parse(&bytes, 7, &other).err(),
            Some(Mismatch::OtherQuestion)
        );
        let the_query = query("example.com.", RecordType::A, None);
        assert_eq!(
            Reply::parse(&the_query, 0x1234, &q).err(),
            Some(Mismatch::NotAnAnswer)
        );
        assert_eq!(
            Reply::parse(&bytes[..bytes.len() - 3], 7, &q).err(),
            Some(Mismatch::Malformed)
        );
        // The question matches whatever its case: upstreams may randomise it.
        assert!(Reply::parse(&bytes, 7, &lower("EXAMPLE.com.")).is_ok());
    }

    #[test]
    fn negative_answers_live_as_long_as_their_soa_says() {
        let q = lower("nosuch.example.");
        let nx = upstream_answer(
            1,
            &q,
            ResponseCode::NXDomain,
            vec![],
            vec![soa("example.", 3600, 60)],
        );
        assert_eq!(Reply::parse(&nx, 1, &q).unwrap().lifetime(), 60);
        let bare = upstream_answer(1, &q, ResponseCode::NXDomain, vec![], vec![]);
        assert_eq!(Reply::parse(&bare, 1, &q).unwrap().lifetime(), 0);
        let fail = upstream_answer(1, &q, ResponseCode::ServFail, vec![], vec![]);
        let fail = Reply::parse(&fail, 1, &q).unwrap();
        assert_eq!((fail.lifetime(), fail.rcode()), (0, ResponseCode::ServFail));
    }

    #[test]
    fn an_answer_too_big_for_the_asker_is_cut_with_tc() {
        let q = Query::query(Name::from_ascii("big.example.").unwrap(), RecordType::TXT);
        let txt = Record::from_rdata(
            q.name().clone(),
            60,
            RData::TXT(TXT::new(vec!["x".repeat(250); 4])),
        );
        let bytes = upstream_answer(3, &q, ResponseCode::NoError, vec![txt], vec![]);
        let reply = Reply::parse(&bytes, 3, &q).unwrap();
        let asker = request::parse(&query("big.example.", RecordType::TXT, None)).unwrap();
        let mut out = Vec::new();
        reply.write(&asker, 0, asker.udp_limit(), &mut out);
        assert!(out.len() <= 512);
        let m = Message::from_vec(&out).unwrap();
        assert!(m.metadata.truncation);
        assert!(m.answers.is_empty() && m.queries.len() == 1 && m.edns.is_none());
        // Over TCP it goes whole.
        reply.write(&asker, 0, usize::from(u16::MAX), &mut out);
        let m = Message::from_vec(&out).unwrap();
        assert!(!m.metadata.truncation && m.answers.len() == 1);
        // A truncated answer is never kept.
        let mut tc = bytes.clone();
        tc[FLAGS] |= TC;
        assert_eq!(Reply::parse(&tc, 3, &q).unwrap().lifetime(), 0);
    }

    #[test]
    fn an_opt_record_in_the_middle_is_dropped_cleanly() {
        // OPT first in the additional section, an A record after it whose TTL still ages.
        let q = lower("example.com.");
        let mut m = Message::response(9, OpCode::Query);
        m.add_query(q.clone());
        m.add_answer(a_record("example.com.", 100, [192, 0, 2, 1]));
        m.set_edns(Edns::new());
        let mut bytes = m.to_vec().unwrap();
        let extra = {
            let mut only = Message::response(9, OpCode::Query);
            only.add_additional(a_record("ns.example.com.", 50, [192, 0, 2, 53]));
            only.to_vec().unwrap()[HEADER_LEN..].to_vec()
        };
        bytes.extend_from_slice(&extra);
        bytes[ARCOUNT + 1] = 2;
        let reply = Reply::parse(&bytes, 9, &q).unwrap();
        let mut out = Vec::new();
        reply.write(&asker("example.com.", None), 10, 512, &mut out);
        let m = Message::from_vec(&out).unwrap();
        assert!(m.edns.is_none());
        assert_eq!(m.additionals.len(), 1);
        assert_eq!(m.additionals[0].ttl, 40);
        assert_eq!(m.answers[0].ttl, 90);
    }
}
