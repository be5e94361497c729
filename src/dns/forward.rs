//! Forwarding: questions outside the zone go to the upstream resolvers. Over UDP, one socket
//! per address family carries every question, each under a random id, and an answer counts
//! only when it comes from an upstream that was asked, with that id and that question.
//! Askers of the same question share one upstream query. No answer within TRY_TIMEOUT, or a
//! SERVFAIL/REFUSED, moves the question on to the next upstream; after the last try the askers
//! get SERVFAIL. Over TCP (an asker's own TCP query, often after a truncated UDP answer), the
//! question is asked on a connection of its own, upstream after upstream.
//!
//! Memory is bounded: at most MAX_PENDING questions in flight, MAX_WAITERS askers on each.

use std::collections::{HashMap, VecDeque};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};

use super::reply::{Mismatch, Reply};
use super::request::{MAX_UDP_PAYLOAD, Request};

/// How long one upstream gets to answer before the next is asked.
pub const TRY_TIMEOUT: Duration = Duration::from_secs(1);
/// Questions in flight at most; more are dropped (the asker will ask again).
pub const MAX_PENDING: usize = 1024;
/// Askers of one question at most.
pub const MAX_WAITERS: usize = 64;
/// The fewest tries a question gets, so even a single upstream is asked twice.
const MIN_TRIES: usize = 2;

/// An asker waiting for an upstream answer.
#[derive(Debug)]
pub struct Waiter {
    pub to: SocketAddr,
    pub request: Request,
}

/// What became of a question handed to the forwarder.
#[derive(Debug, PartialEq, Eq)]
pub enum Asked {
    /// Sent upstream.
    Sent,
    /// The same question was in flight already: the asker waits for its answer.
    Joined,
    /// Too many questions in flight, or askers of this one: dropped.
    Busy,
}

/// What a datagram from upstream brought.
#[derive(Debug)]
pub enum Received {
    /// The answer, for the askers waiting on it; `key` is the question's cache key.
    Answer {
        key: Box<[u8]>,
        reply: Reply,
        waiters: Vec<Waiter>,
    },
    /// The upstream failed (SERVFAIL, REFUSED...); the question went on to the next one.
    Retried {
        from: SocketAddr,
        rcode: ResponseCode,
    },
    /// Nothing waited for it: a late or forged datagram, or one from somewhere else.
    Stray { from: SocketAddr, why: Mismatch },
}

/// Askers whose question no upstream answered.
#[derive(Debug)]
pub struct Failed {
    pub question: Query,
    pub waiters: Vec<Waiter>,
}

struct Pending {
    key: Box<[u8]>,
    /// The question as asked upstream (lowercase).
    question: Query,
    wire: Vec<u8>,
    waiters: Vec<Waiter>,
    /// The upstream asked first; try `n` goes to `first + n`, round the list.
    first: usize,
    tries: usize,
}

pub struct Forwarder {
    upstreams: Vec<SocketAddr>,
    v4: UdpSocket,
    v6: Option<UdpSocket>,
    pending: HashMap<u16, Pending>,
    by_key: HashMap<Box<[u8]>, u16>,
    /// When each try runs out, in the order they were sent (every try has the same timeout).
    deadlines: VecDeque<(Instant, u16, usize)>,
    /// The upstream that answered last: new questions go there first.
    preferred: usize,
}

impl Forwarder {
    /// A forwarder to `upstreams`, its sockets on ephemeral ports, non-blocking.
    pub fn new(upstreams: Vec<SocketAddr>) -> io::Result<Forwarder> {
        let v4 = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
        v4.set_nonblocking(true)?;
        let v6 = match upstreams.iter().any(SocketAddr::is_ipv6) {
            true => {
                let s = UdpSocket::bind((Ipv6Addr::UNSPECIFIED, 0))?;
                s.set_nonblocking(true)?;
                Some(s)
            }
            false => None,
        };
        Ok(Forwarder {
            upstreams,
            v4,
            v6,
            pending: HashMap::new(),
            by_key: HashMap::new(),
            deadlines: VecDeque::new(),
            preferred: 0,
        })
    }

    pub fn upstreams(&self) -> &[SocketAddr] {
        &self.upstreams
    }

    /// The sockets answers come in on, to wait for with poll(2): IPv4's, and IPv6's when an
    /// upstream has an IPv6 address.
    pub fn sockets(&self) -> (&UdpSocket, Option<&UdpSocket>) {
        (&self.v4, self.v6.as_ref())
    }

    /// Asks upstream for `waiter`'s question, whose cache key is `key`.
    pub fn ask(&mut self, waiter: Waiter, key: &[u8], now: Instant) -> Asked {
        if let Some(id) = self.by_key.get(key) {
            let pending = self.pending.get_mut(id).expect("by_key follows pending");
            if pending.waiters.len() >= MAX_WAITERS {
                return Asked::Busy;
            }
            pending.waiters.push(waiter);
            return Asked::Joined;
        }
        if self.pending.len() >= MAX_PENDING || self.upstreams.is_empty() {
            return Asked::Busy;
        }
        let id = self.free_id();
        let (question, wire) = upstream_query(id, &waiter.request);
        let pending = Pending {
            key: key.into(),
            question,
            wire,
            waiters: vec![waiter],
            first: self.preferred,
            tries: 0,
        };
        self.by_key.insert(key.into(), id);
        self.pending.insert(id, pending);
        self.send_try(id, now);
        Asked::Sent
    }

    /// Reads one datagram from upstream; None when none is waiting.
    pub fn receive(&mut self, buf: &mut [u8], now: Instant) -> Option<Received> {
        let (n, from) = std::iter::once(&self.v4)
            .chain(self.v6.as_ref())
            .find_map(|s| s.recv_from(buf).ok())?;
        Some(self.take(&buf[..n], from, now))
    }

    fn take(&mut self, bytes: &[u8], from: SocketAddr, now: Instant) -> Received {
        let stray = |why| Received::Stray { from, why };
        let Some(id) = bytes.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]])) else {
            return stray(Mismatch::Malformed);
        };
        let Some(pending) = self.pending.get(&id) else {
            return stray(Mismatch::OtherId);
        };
        let Some(index) = self.asked(pending, from) else {
            return stray(Mismatch::OtherId);
        };
        let reply = match Reply::parse(bytes, id, &pending.question) {
            Ok(reply) => reply,
            Err(why) => return stray(why),
        };
        let rcode = reply.rcode();
        let failed = matches!(
            rcode,
            ResponseCode::ServFail | ResponseCode::Refused | ResponseCode::NotImp
        );
        if failed && pending.tries < self.max_tries() {
            self.send_try(id, now);
            return Received::Retried { from, rcode };
        }
        let pending = self.pending.remove(&id).expect("looked up above");
        self.by_key.remove(&pending.key);
        if !failed {
            self.preferred = index;
        }
        Received::Answer {
            key: pending.key,
            reply,
            waiters: pending.waiters,
        }
    }

    /// The index of `from` among the upstreams this question went to.
    fn asked(&self, pending: &Pending, from: SocketAddr) -> Option<usize> {
        let n = self.upstreams.len();
        (0..pending.tries)
            .map(|t| (pending.first + t) % n)
            .find(|&i| self.upstreams[i] == from)
    }

    /// Moves every question whose try ran out on to its next upstream; returns the askers of
    /// those that had their last try.
    pub fn expire(&mut self, now: Instant) -> Vec<Failed> {
        let mut failed = Vec::new();
        while let Some(&(deadline, id, tries)) = self.deadlines.front() {
            if deadline > now {
                break;
            }
            self.deadlines.pop_front();
            // A question answered since, or moved on by a SERVFAIL, has a newer deadline.
            if self.pending.get(&id).is_none_or(|p| p.tries != tries) {
                continue;
            }
            if tries < self.max_tries() {
                self.send_try(id, now);
                continue;
            }
            let pending = self.pending.remove(&id).expect("checked above");
            self.by_key.remove(&pending.key);
            failed.push(Failed {
                question: pending.question,
                waiters: pending.waiters,
            });
        }
        failed
    }

    /// When the next try runs out.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.front().map(|d| d.0)
    }

    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    fn max_tries(&self) -> usize {
        self.upstreams.len().max(MIN_TRIES)
    }

    /// Sends the next try of question `id`. A send that fails (no route) is left to its
    /// timeout, like a datagram lost on the way.
    fn send_try(&mut self, id: u16, now: Instant) {
        let n = self.upstreams.len();
        let Some(p) = self.pending.get_mut(&id) else {
            return;
        };
        let to = self.upstreams[(p.first + p.tries) % n];
        p.tries += 1;
        let sock = match to {
            SocketAddr::V4(_) => &self.v4,
            SocketAddr::V6(_) => self.v6.as_ref().unwrap_or(&self.v4),
        };
        let _ = sock.send_to(&p.wire, to);
        self.deadlines.push_back((now + TRY_TIMEOUT, id, p.tries));
    }

    /// A random id no question in flight has (an off-path forger must guess it).
    fn free_id(&self) -> u16 {
        loop {
            let id = rand::random::<u16>();
            if !self.pending.contains_key(&id) {
                return id;
            }
        }
    }
}

/// The query that goes upstream for `request`: the question in lowercase (answers are
/// re-spelled for each asker), recursion desired, the asker's CD and DO flags, and an OPT
/// record offering MAX_UDP_PAYLOAD.
fn upstream_query(id: u16, request: &Request) -> (Query, Vec<u8>) {
    let asked = &request.query;
    let mut question = Query::query(asked.name().to_lowercase(), asked.query_type());
    question.set_query_class(asked.query_class());
    let mut m = Message::new(id, MessageType::Query, OpCode::Query);
    m.metadata.recursion_desired = true;
    m.metadata.checking_disabled = request.checking_disabled;
    m.add_query(question.clone());
    let mut edns = Edns::new();
    edns.set_max_payload(MAX_UDP_PAYLOAD);
    edns.set_dnssec_ok(request.dnssec_ok());
    m.set_edns(edns);
    // A question that was read from the wire can be written back to it.
    let wire = m.to_vec().unwrap_or_default();
    (question, wire)
}

/// Asks `request`'s question over TCP, upstream after upstream: the first answer that is no
/// failure, else the last failure, else None when none answered.
pub fn over_tcp(upstreams: &[SocketAddr], request: &Request) -> Option<Reply> {
    let mut last = None;
    for &upstream in upstreams {
        match exchange_tcp(upstream, request) {
            Ok(reply)
                if !matches!(
                    reply.rcode(),
                    ResponseCode::ServFail | ResponseCode::Refused | ResponseCode::NotImp
                ) =>
            {
                return Some(reply);
            }
            Ok(reply) => last = Some(reply),
            Err(_) => {}
        }
    }
    last
}

fn exchange_tcp(upstream: SocketAddr, request: &Request) -> io::Result<Reply> {
    let id = rand::random::<u16>();
    let (question, wire) = upstream_query(id, request);
    let mut stream = TcpStream::connect_timeout(&upstream, TRY_TIMEOUT)?;
    stream.set_read_timeout(Some(TRY_TIMEOUT))?;
    stream.set_write_timeout(Some(TRY_TIMEOUT))?;
    stream.set_nodelay(true)?;
    let mut framed = (wire.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&wire);
    stream.write_all(&framed)?;
    let mut len = [0; 2];
    stream.read_exact(&mut len)?;
    let mut bytes = vec![0; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut bytes)?;
    Reply::parse(&bytes, id, &question)
        .map_err(|why| io::Error::new(io::ErrorKind::InvalidData, format!("{why:?}")))
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::thread;

    use hickory_proto::rr::RecordType;

    use super::*;
    use crate::dns::cache;
    use crate::dns::reply::tests::{a_record, upstream_answer};
    use crate::dns::request::{self, tests::query};

    /// A stand-in upstream on the loopback: it reads questions and answers them as told.
    struct Upstream {
        sock: UdpSocket,
    }

    impl Upstream {
        fn new() -> Upstream {
            let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
            sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            Upstream { sock }
        }

        fn addr(&self) -> SocketAddr {
            self.sock.local_addr().unwrap()
        }

        /// The next question: its id, the question and where it came from.
        fn question(&self) -> (u16, Query, SocketAddr, Message) {
            let mut buf = [0; 1500];
            let (n, from) = self.sock.recv_from(&mut buf).unwrap();
            let m = Message::from_vec(&buf[..n]).unwrap();
            (m.metadata.id, m.queries[0].clone(), from, m)
        }

        fn answer(&self, id: u16, q: &Query, rcode: ResponseCode, to: SocketAddr) {
            let records = match rcode {
                ResponseCode::NoError => vec![a_record("example.com.", 60, [192, 0, 2, 1])],
                _ => vec![],
            };
            let bytes = upstream_answer(id, q, rcode, records, vec![]);
            self.sock.send_to(&bytes, to).unwrap();
        }
    }

    fn waiter(name: &str, port: u16) -> (Waiter, Vec<u8>) {
        let request = request::parse(&query(name, RecordType::A, None)).unwrap();
        let key = cache::key(&request, &mut [0; cache::MAX_KEY]).to_vec();
        let to = SocketAddr::from(([10, 0, 5, 10], port));
        (Waiter { to, request }, key)
    }

    /// Polls the forwarder until something comes in.
    fn receive(f: &mut Forwarder) -> Received {
        let mut buf = [0; 1500];
        for _ in 0..500 {
            if let Some(r) = f.receive(&mut buf, Instant::now()) {
                return r;
            }
            thread::sleep(Duration::from_millis(10));
        }
        panic!("nothing came back")
    }

    #[test]
    fn an_answer_goes_to_every_asker_of_the_question() {
        let up = Upstream::new();
        let mut f = Forwarder::new(vec![up.addr()]).unwrap();
        let now = Instant::now();
        let (w1, key) = waiter("Example.com.", 1000);
        let (w2, _) = waiter("example.COM.", 1001);
        assert_eq!(f.ask(w1, &key, now), Asked::Sent);
        assert_eq!(f.ask(w2, &key, now), Asked::Joined);
        let (id, q, from, m) = up.question();
        assert_eq!(q.name().to_ascii(), "example.com.", "asked in lowercase");
        assert!(m.metadata.recursion_desired);
        assert_eq!(
            m.edns.as_ref().map(Edns::max_payload),
            Some(MAX_UDP_PAYLOAD)
        );
        up.answer(id, &q, ResponseCode::NoError, from);
        match receive(&mut f) {
            Received::Answer {
                key: k,
                reply,
                waiters,
            } => {
                assert_eq!(&*k, &key[..]);
                assert_eq!(reply.rcode(), ResponseCode::NoError);
                assert_eq!(waiters.len(), 2);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(f.in_flight(), 0);
    }

    #[test]
    fn forged_and_late_answers_are_strays() {
        let up = Upstream::new();
        let mut f = Forwarder::new(vec![up.addr()]).unwrap();
        let (w, key) = waiter("example.com.", 1000);
        f.ask(w, &key, Instant::now());
        let (id, q, from, _) = up.question();
        up.answer(id.wrapping_add(1), &q, ResponseCode::NoError, from);
        assert!(matches!(
            receive(&mut f),
            Received::Stray {
                why: Mismatch::OtherId,
                ..
            }
        ));
        let other = Query::query(
            hickory_proto::rr::Name::from_ascii("example.net.").unwrap(),
            RecordType::A,
        );
        up.answer(id, &other, ResponseCode::NoError, from);
        assert!(matches!(
            receive(&mut f),
            Received::Stray {
                why: Mismatch::OtherQuestion,
                ..
            }
        ));
        // From an address that was never asked, even with the right id and question.
        let forger = UdpSocket::bind("127.0.0.1:0").unwrap();
        let bytes = upstream_answer(id, &q, ResponseCode::NoError, vec![], vec![]);
        forger.send_to(&bytes, from).unwrap();
        assert!(matches!(receive(&mut f), Received::Stray { .. }));
        assert_eq!(f.in_flight(), 1, "still waiting for the real answer");
        up.answer(id, &q, ResponseCode::NoError, from);
        assert!(matches!(receive(&mut f), Received::Answer { .. }));
    }

    #[test]
    fn a_silent_or_failing_upstream_hands_over_to_the_next() {
        let dead = Upstream::new();
        let failing = Upstream::new();
        let good = Upstream::new();
        let mut f = Forwarder::new(vec![dead.addr(), failing.addr(), good.addr()]).unwrap();
        let t0 = Instant::now();
        let (w, key) = waiter("example.com.", 1000);
        f.ask(w, &key, t0);
        dead.question();
        assert_eq!(f.next_deadline(), Some(t0 + TRY_TIMEOUT));
        assert!(f.expire(t0 + TRY_TIMEOUT).is_empty());
        let (id, q, from, _) = failing.question();
        failing.answer(id, &q, ResponseCode::ServFail, from);
        assert!(matches!(
            receive(&mut f),
            Received::Retried {
                rcode: ResponseCode::ServFail,
                ..
            }
        ));
        let (id2, q, from, _) = good.question();
        assert_eq!(id2, id);
        good.answer(id, &q, ResponseCode::NoError, from);
        assert!(matches!(receive(&mut f), Received::Answer { .. }));
        // The next question goes to the upstream that answered.
        let (w, key) = waiter("example.org.", 1000);
        f.ask(w, &key, t0);
        assert_eq!(good.question().1.name().to_ascii(), "example.org.");
    }

    #[test]
    fn askers_hear_servfail_after_the_last_try() {
        let dead = Upstream::new();
        let mut f = Forwarder::new(vec![dead.addr()]).unwrap();
        let t0 = Instant::now();
        let (w, key) = waiter("example.com.", 1000);
        f.ask(w, &key, t0);
        assert!(f.expire(t0 + TRY_TIMEOUT).is_empty(), "asked a second time");
        dead.question();
        dead.question();
        let failed = f.expire(t0 + 2 * TRY_TIMEOUT);
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].waiters.len(), 1);
        assert_eq!(f.in_flight(), 0);
        assert_eq!(f.next_deadline(), None);
    }

    #[test]
    fn questions_in_flight_are_bounded() {
        let up = Upstream::new();
        let mut f = Forwarder::new(vec![up.addr()]).unwrap();
        let now = Instant::now();
        for n in 0..MAX_PENDING {
            let (w, key) = waiter(&format!("n{n}.example."), 1000);
            assert_eq!(f.ask(w, &key, now), Asked::Sent);
        }
        let (w, key) = waiter("one-more.example.", 1000);
        assert_eq!(f.ask(w, &key, now), Asked::Busy);
        let (_, key) = waiter("n0.example.", 1000);
        for _ in 1..MAX_WAITERS {
            let (w, _) = waiter("n0.example.", 1000);
            assert_eq!(f.ask(w, &key, now), Asked::Joined);
        }
        let (w, _) = waiter("n0.example.", 1000);
        assert_eq!(f.ask(w, &key, now), Asked::Busy);
    }

    #[test]
    fn tcp_asks_upstream_after_upstream() {
        let refusing = TcpListener::bind("127.0.0.1:0").unwrap();
        let good = TcpListener::bind("127.0.0.1:0").unwrap();
        let addrs = [refusing.local_addr().unwrap(), good.local_addr().unwrap()];
        let serve = |listener: TcpListener, rcode: ResponseCode| {
            thread::spawn(move || {
                let (mut s, _) = listener.accept().unwrap();
                let mut len = [0; 2];
                s.read_exact(&mut len).unwrap();
                let mut q = vec![0; usize::from(u16::from_be_bytes(len))];
                s.read_exact(&mut q).unwrap();
                let m = Message::from_vec(&q).unwrap();
                let records = vec![a_record("example.com.", 60, [192, 0, 2, 1])];
                let a = upstream_answer(m.metadata.id, &m.queries[0], rcode, records, vec![]);
                s.write_all(&(a.len() as u16).to_be_bytes()).unwrap();
                s.write_all(&a).unwrap();
            })
        };
        let t1 = serve(refusing, ResponseCode::Refused);
        let t2 = serve(good, ResponseCode::NoError);
        let (w, _) = waiter("example.com.", 1000);
        let reply = over_tcp(&addrs, &w.request).expect("the second upstream answers");
        assert_eq!(reply.rcode(), ResponseCode::NoError);
        t1.join().unwrap();
        t2.join().unwrap();
        // Nobody listening anywhere: no answer.
        assert!(over_tcp(&addrs, &w.request).is_none());
    }
}
