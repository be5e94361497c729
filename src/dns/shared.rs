//! What the server's threads share: the zone, the cache of upstream answers, the upstream
//! list, the stop flag and the log (the bounded logger of `dhcp serve`, behind a mutex: a
//! line is written while it is held, so lines from the threads never mix).
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
use super::reply::Reply;
use super::request::Request;
use super::zone::Zone;
use crate::logger::{Kind, Level, Logger};

/// How often the threads look at the stop flag while nothing happens.
pub const TICK: Duration = Duration::from_millis(200);

// The kinds of log line, with how many of each a 10 s window shows.
pub const STATUS: Kind = Kind::new("dns status", 20);
pub const IGNORED: Kind = Kind::new("dns ignored", 5);
pub const BUSY: Kind = Kind::new("dns busy", 5);
pub const UPSTREAM: Kind = Kind::new("upstream", 5);
pub const STRAY: Kind = Kind::new("stray answer", 5);
pub const TIMEOUT: Kind = Kind::new("upstream timeout", 5);
pub const SEND: Kind = Kind::new("dns send", 5);
pub const TCP: Kind = Kind::new("dns tcp", 5);

pub struct Shared {
    zone: RwLock<Zone>,
    cache: Mutex<Cache>,
    pub upstreams: Vec<SocketAddr>,
    stop: AtomicBool,
    log: Mutex<Logger>,
}

impl Shared {
    pub fn new(zone: Zone, upstreams: Vec<SocketAddr>, log: Logger) -> Shared {
        Shared {
            zone: RwLock::new(zone),
            cache: Mutex::new(Cache::default()),
            upstreams,
            stop: AtomicBool::new(false),
            log: Mutex::new(log),
        }
    }

    /// Logs a line of `kind`; `text` is only made when the line can be shown.
    pub fn log(&self, level: Level, kind: Kind, text: impl FnOnce() -> String) {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        if !log.shows(level) {
            return;
        }
        let text = text();
        match level {
            Level::Debug => log.debug(kind, &text),
            Level::Info => log.info(kind, &text),
            Level::Warn => log.warn(kind, &text),
        }
    }

    /// Reports the counts of lines left out in windows that ended.
    pub fn tick(&self) {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).tick();
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
