//! Answers from upstream, kept for as long as their TTLs allow, so a name asked again answers
//! at once. Bounded in entries and in bytes; when full, the oldest entry goes first (FIFO: no
//! bookkeeping on the path of every hit, and an entry that is still wanted comes back on the
//! next miss).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::reply::Reply;
use super::request::Request;

/// At most this many answers...
pub const MAX_ENTRIES: usize = 10_000;
/// ...holding at most this many bytes.
pub const MAX_BYTES: usize = 16 << 20;
/// No answer is kept longer than a day, whatever its TTL, so a change upstream shows in time.
pub const MAX_LIFETIME: u32 = 86_400;
/// Bookkeeping per entry beyond the reply and key bytes, counted against MAX_BYTES.
const ENTRY_OVERHEAD: usize = 128;

/// The longest key: a name of 255 bytes, type, class and the flags byte.
pub const MAX_KEY: usize = 255 + 5;

/// What makes two questions the same to the cache: the name in lowercase, type, class, and
/// the two flags that change the answer (DNSSEC OK, checking disabled).
pub fn key<'b>(request: &Request, buf: &'b mut [u8; MAX_KEY]) -> &'b [u8] {
    let mut len = 0;
    for label in request.query.name().iter() {
        buf[len] = label.len() as u8;
        let dest = &mut buf[len + 1..len + 1 + label.len()];
        dest.copy_from_slice(label);
        dest.make_ascii_lowercase();
        len += 1 + label.len();
    }
    buf[len] = 0;
    let qtype = u16::from(request.query.query_type()).to_be_bytes();
    let qclass = u16::from(request.query.query_class()).to_be_bytes();
    let flags = u8::from(request.dnssec_ok()) | u8::from(request.checking_disabled) << 1;
    buf[len + 1..len + 6].copy_from_slice(&[qtype[0], qtype[1], qclass[0], qclass[1], flags]);
    &buf[..len + 6]
}

#[derive(Default)]
pub struct Cache {
    entries: HashMap<Arc<[u8]>, Entry>,
    /// Keys in the order they were stored, with the `seq` of the entry they were stored for:
    /// an entry replaced or expired since leaves a stale item that is skipped.
    order: VecDeque<(Arc<[u8]>, u64)>,
    bytes: usize,
    next_seq: u64,
}

struct Entry {
    reply: Reply,
    stored: Instant,
    expires: Instant,
    seq: u64,
}

impl Cache {
    /// The answer stored for `key`, and its age in seconds; an expired one is dropped.
    pub fn get(&mut self, key: &[u8], now: Instant) -> Option<(&Reply, u32)> {
        let expired = self.entries.get(key)?.expires <= now;
        if expired {
            self.remove(key);
            return None;
        }
        let entry = self.entries.get(key)?;
        let age = now.duration_since(entry.stored).as_secs();
        Some((&entry.reply, u32::try_from(age).unwrap_or(u32::MAX)))
    }

    /// Stores `reply` for `key` if it may be kept at all.
    pub fn insert(&mut self, key: &[u8], reply: Reply, now: Instant) {
        let lifetime = reply.lifetime().min(MAX_LIFETIME);
        let cost = Self::cost(key, &reply);
        if lifetime == 0 || cost > MAX_BYTES {
            return;
        }
        self.remove(key);
        while self.order.len() >= MAX_ENTRIES || self.bytes + cost > MAX_BYTES {
            let Some((old, seq)) = self.order.pop_front() else {
                break;
            };
            if self.entries.get(&old).is_some_and(|e| e.seq == seq) {
                self.remove(&old);
            }
        }
        self.next_seq += 1;
        let key: Arc<[u8]> = key.into();
        self.order.push_back((key.clone(), self.next_seq));
        self.bytes += cost;
        let entry = Entry {
            reply,
            stored: now,
            expires: now + Duration::from_secs(u64::from(lifetime)),
            seq: self.next_seq,
        };
        self.entries.insert(key, entry);
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    fn remove(&mut self, key: &[u8]) {
        if let Some((key, entry)) = self.entries.remove_entry(key) {
            self.bytes -= Self::cost(&key, &entry.reply);
        }
    }

    fn cost(key: &[u8], reply: &Reply) -> usize {
        2 * key.len() + reply.size() + ENTRY_OVERHEAD
    }
}

#[cfg(test)]
mod tests {
    use hickory_proto::op::{Query, ResponseCode};
    use hickory_proto::rr::{Name, RecordType};

    use super::*;
    use crate::dns::reply::tests::{a_record, upstream_answer};
    use crate::dns::request::{self, tests::query};

    fn reply(name: &str, ttl: u32) -> Reply {
        let q = Query::query(Name::from_ascii(name).unwrap(), RecordType::A);
        let bytes = upstream_answer(
            1,
            &q,
            ResponseCode::NoError,
            vec![a_record(name, ttl, [192, 0, 2, 1])],
            vec![],
        );
        Reply::parse(&bytes, 1, &q).unwrap()
    }

    fn key_of(name: &str, edns: Option<u16>) -> Vec<u8> {
        let r = request::parse(&query(name, RecordType::A, edns)).unwrap();
        key(&r, &mut [0; MAX_KEY]).to_vec()
    }

    #[test]
    fn the_key_ignores_case_but_not_what_changes_the_answer() {
        assert_eq!(key_of("Example.COM.", None), key_of("example.com.", None));
        assert_eq!(
            key_of("example.com.", Some(4096)),
            key_of("example.com.", None)
        );
        assert_ne!(key_of("example.com.", None), key_of("example.net.", None));
        let mut dnssec = request::parse(&query("example.com.", RecordType::A, Some(1232))).unwrap();
        dnssec.edns.as_mut().unwrap().dnssec_ok = true;
        assert_ne!(
            key(&dnssec, &mut [0; MAX_KEY]),
            &key_of("example.com.", None)[..]
        );
        let longest = format!("{0}.{0}.{0}.{1}.", "a".repeat(63), "b".repeat(61));
        assert_eq!(key_of(&longest, None).len(), MAX_KEY);
    }

    #[test]
    fn an_answer_lives_as_long_as_its_ttl() {
        let mut cache = Cache::default();
        let t0 = Instant::now();
        let k = key_of("example.com.", None);
        cache.insert(&k, reply("example.com.", 30), t0);
        let (_, age) = cache.get(&k, t0 + Duration::from_secs(29)).unwrap();
        assert_eq!(age, 29);
        assert!(cache.get(&k, t0 + Duration::from_secs(30)).is_none());
        assert_eq!(cache.len(), 0, "an expired answer is dropped when found");
        cache.insert(&k, reply("example.com.", 0), t0);
        assert_eq!(cache.len(), 0, "TTL 0 is never kept");
    }

    #[test]
    fn a_full_cache_drops_its_oldest_answers() {
        let mut cache = Cache::default();
        let t0 = Instant::now();
        for n in 0..MAX_ENTRIES + 10 {
            let name = format!("n{n}.example.");
            cache.insert(&key_of(&name, None), reply(&name, 60), t0);
        }
        assert_eq!(cache.len(), MAX_ENTRIES);
        assert!(cache.get(&key_of("n0.example.", None), t0).is_none());
        assert!(cache.get(&key_of("n10.example.", None), t0).is_some());
        assert!(cache.bytes <= MAX_BYTES);
        // Storing one name over and over keeps one entry, and the queue bounded.
        for _ in 0..3 * MAX_ENTRIES {
            cache.insert(
                &key_of("again.example.", None),
                reply("again.example.", 60),
                t0,
            );
        }
        assert!(cache.order.len() <= MAX_ENTRIES);
        assert!(cache.get(&key_of("again.example.", None), t0).is_some());
    }
}
