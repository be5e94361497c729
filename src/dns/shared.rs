//! What the server's threads share: the zone, the cache of upstream answers, the upstream
//! list, the stop flag and the log.
//!
//! The zone sits behind an `RwLock` the DHCP side writes through `Server::update`. A channel
//! would make the DNS threads own the zone, but then a lease's name would resolve only once
//! those threads had drained the channel, and every thread answering queries (UDP, each TCP
//! connection) would need its own copy. With the lock, a change is visible to the next query
//! the moment `update` returns; readers hold it for one lookup (microseconds), so the DHCP
//! loop never waits on DNS traffic for longer than that.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use super::cache::{self, Cache};
use super::log::Log;
use super::reply::Reply;
use super::request::Request;
use super::zone::Zone;

/// How often the threads look at the stop flag while nothing happens.
pub const TICK: Duration = Duration::from_millis(200);

pub struct Shared {
    zone: RwLock<Zone>,
    cache: Mutex<Cache>,
    pub upstreams: Vec<SocketAddr>,
    stop: AtomicBool,
    pub log: Log,
}

impl Shared {
    pub fn new(zone: Zone, upstreams: Vec<SocketAddr>, log: Log) -> Shared {
        Shared {
            zone: RwLock::new(zone),
            cache: Mutex::new(Cache::default()),
            upstreams,
            stop: AtomicBool::new(false),
            log,
        }
    }

    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// The zone, to read. Its methods do not panic; were one to, what it left is still safe
    /// to read (at worst a name answered by its previous holder), so a poisoned lock is read
    /// all the same rather than taking DNS down.
    pub fn zone(&self) -> RwLockReadGuard<'_, Zone> {
        self.zone.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The zone, to change.
    pub fn zone_mut(&self) -> RwLockWriteGuard<'_, Zone> {
        self.zone.write().unwrap_or_else(|e| e.into_inner())
    }

    fn cache(&self) -> MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes the cached answer to `request` into `out`, cut to `limit`; false on a miss.
    pub fn cached_answer(&self, request: &Request, limit: usize, out: &mut Vec<u8>) -> bool {
        let mut buf = [0; cache::MAX_KEY];
        let key = cache::key(request, &mut buf);
        match self.cache().get(key, Instant::now()) {
            Some((reply, age)) => {
                reply.write(request, age, limit, out);
                true
            }
            None => false,
        }
    }

    /// Keeps an upstream answer for the next asker, if it may be kept.
    pub fn remember(&self, key: &[u8], reply: Reply) {
        if reply.lifetime() > 0 && !reply.truncated() {
            self.cache().insert(key, reply, Instant::now());
        }
    }
}
