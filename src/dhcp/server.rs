//! The server loop: a UDP socket on port 67 bound to the bridge; each pass reads every request
//! waiting, answers each (`respond`), writes all their leases with one flush (group commit),
//! and only then sends the ACKs. Offers and NAKs promise nothing durable and go out at once.
//! While the lease file cannot be written, no ACK goes out at all: clients that are renewing
//! keep their address and ask again, which is better for them than a NAK, and the server tries
//! the disk again by itself (see `leases`).

use std::net::UdpSocket;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use ipnetwork::Ipv4Network;
use nix::sys::socket::{self, MsgFlags};

use super::addressing::{self, Destination};
use super::lease_path;
use super::leases::{self, LeaseFile, Written};
use super::pool::{Lease, Pool};
use super::respond::{self, Note, Outgoing};
use super::wire::NetParams;
use super::{daemon, udp_socket};
use crate::logger::{Kind, Level, Logger};
use crate::msg::{Route, neigh};
use crate::nl::Netlink;

/// Requests read in one pass at most, so a flood cannot hold back the ACKs of the first ones.
const BATCH: usize = 256;
/// How long a blocking receive waits before the loop looks at the stop flag again.
const TICK: Duration = Duration::from_secs(1);
/// Room for a burst of requests arriving while the server waits for the disk.
const RECEIVE_BUFFER: usize = 4 << 20;

// The server's own kinds of log line (those a datagram causes are in `respond`).
const DISK: Kind = Kind::new("lease file", 1);
const SEND: Kind = Kind::new("send", 3);
const NEIGH: Kind = Kind::new("neighbour", 3);
pub const STATUS: Kind = Kind::new("status", 20);

/// Everything the server needs to know, checked by the command before it starts.
pub struct Config {
    pub bridge: String,
    pub ifindex: u32,
    pub subnet: Ipv4Network,
    pub params: NetParams,
    pub lease_file: PathBuf,
}

pub struct Server {
    cfg: Config,
    sock: UdpSocket,
    pool: Pool,
    store: LeaseFile,
    pub log: Logger,
    /// ACKs dropped since the lease file began failing.
    held_back: u64,
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Server {
    /// Binds the socket, then loads the leases (so a server that cannot bind leaves no lease
    /// file behind): after this, the server is answering, the kernel queueing requests until
    /// the loop reads them.
    pub fn start(mut cfg: Config, mut pool: Pool, mut log: Logger) -> Result<Server> {
        let resolved = lease_path::resolve(&cfg.lease_file)
            .with_context(|| format!("lease file {}", cfg.lease_file.display()))?;
        if let Some(link) = &resolved.via {
            log.info(
                STATUS,
                &format!(
                    "{} is a symlink: leases are kept in its target {}",
                    link.display(),
                    resolved.path.display()
                ),
            );
        }
        cfg.lease_file = resolved.path;
        let sock = udp_socket(&cfg.bridge, addressing::SERVER_PORT)?;
        let store = load(&cfg.lease_file, &mut pool, &mut log)?;
        // Best effort: without it the default buffer stands, and only a burst suffers.
        let _ = socket::setsockopt(&sock, socket::sockopt::RcvBufForce, &RECEIVE_BUFFER);
        sock.set_read_timeout(Some(TICK))
            .context("set receive timeout")?;
        Ok(Server {
            cfg,
            sock,
            pool,
            store,
            log,
            held_back: 0,
        })
    }

    /// Serves until SIGINT/SIGTERM.
    pub fn run(&mut self, nl: &mut Netlink<Route>) -> Result<()> {
        let mut buf = vec![0u8; 4096];
        let mut held = Vec::new();
        while !daemon::stop_requested() {
            match self.sock.recv(&mut buf) {
                Ok(n) => self.handle(&buf[..n], nl, &mut held),
                Err(e) if is_transient(&e) => {}
                Err(e) => return Err(e).context("receive"),
            }
            for _ in 1..BATCH {
                match socket::recv(self.sock.as_raw_fd(), &mut buf, MsgFlags::MSG_DONTWAIT) {
                    Ok(n) => self.handle(&buf[..n], nl, &mut held),
                    Err(_) => break,
                }
            }
            self.commit(nl, &mut held);
            self.log.tick();
        }
        self.log.info(STATUS, "stopped");
        Ok(())
    }

    fn handle(&mut self, bytes: &[u8], nl: &mut Netlink<Route>, held: &mut Vec<Outgoing>) {
        let answer = respond::respond(
            &mut self.pool,
            self.cfg.subnet,
            &self.cfg.params,
            bytes,
            now(),
        );
        if let Some(note) = &answer.note {
            self.note(note);
        }
        if let Some(lease) = &answer.record {
            self.store.append(lease);
        }
        match answer.reply {
            Some(out) if out.durable => held.push(out),
            Some(out) => self.deliver(nl, &out),
            None => {}
        }
    }

    fn note(&mut self, note: &Note) {
        match note.level {
            Level::Debug => self.log.debug(note.kind, &note.text),
            Level::Info => self.log.info(note.kind, &note.text),
            Level::Warn => self.log.warn(note.kind, &note.text),
        }
    }

    /// Sends a reply; a client without an address yet is reached through a neighbour entry
    /// made for it, or by broadcast when that fails.
    fn deliver(&mut self, nl: &mut Netlink<Route>, out: &Outgoing) {
        let mut dest = out.dest;
        if let Destination::Direct { ip, mac } = dest
            && let Err(e) = nl.ack(&neigh::arp_replace(self.cfg.ifindex, ip, mac))
        {
            self.log.debug(NEIGH, &format!("{e}; broadcasting instead"));
            dest = Destination::Broadcast;
        }
        match self.sock.send_to(&out.bytes, (dest.ip(), dest.port())) {
            Ok(_) => {
                if let Some(note) = &out.note {
                    self.note(note);
                }
            }
            Err(e) => self.log.warn(
                SEND,
                &format!("cannot send to {}:{}: {e}", dest.ip(), dest.port()),
            ),
        }
    }

    /// One flush for every lease of this pass, then their ACKs. If the disk refuses, the ACKs
    /// are dropped: the clients will ask again, and the disk is tried again next pass.
    fn commit(&mut self, nl: &mut Netlink<Route>, held: &mut Vec<Outgoing>) {
        match self.store.commit(self.pool.durable()) {
            Ok(written) => {
                if written == Written::Recovered {
                    let text = format!(
                        "{} can be written again; serving normally ({} ACKs were held back)",
                        self.cfg.lease_file.display(),
                        std::mem::take(&mut self.held_back)
                    );
                    self.log.warn(STATUS, &text);
                }
                for out in held.drain(..) {
                    self.deliver(nl, &out);
                }
            }
            Err(e) => {
                if !held.is_empty() {
                    self.held_back += held.len() as u64;
                    let text = format!(
                        "cannot write {}: {e}; no ACKs until it can ({} held back so far)",
                        self.cfg.lease_file.display(),
                        self.held_back
                    );
                    self.log.warn(DISK, &text);
                }
                held.clear();
                return;
            }
        }
        if self.store.wants_compaction(self.pool.addresses_known())
            && let Err(e) = self.store.compact(self.pool.durable())
        {
            let text = format!("cannot compact {}: {e}", self.cfg.lease_file.display());
            self.log.warn(DISK, &text);
        }
    }
}

fn is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(e.kind(), WouldBlock | TimedOut | Interrupted)
}

/// Replays the lease file into the pool and opens it for appending.
fn load(path: &Path, pool: &mut Pool, log: &mut Logger) -> Result<LeaseFile> {
    let replay = leases::read(path).with_context(|| format!("read {}", path.display()))?;
    for warning in &replay.damage {
        log.warn(STATUS, &format!("{}: {warning}", path.display()));
    }
    for lease in &replay.leases {
        pool.restore(lease.clone());
    }
    let live: Vec<&Lease> = pool.durable().collect();
    let store = LeaseFile::open(path, &replay, &live)
        .with_context(|| format!("open {}", path.display()))?;
    let active = live.iter().filter(|l| l.is_active(now())).count();
    log.info(
        STATUS,
        &format!("{active} active leases in {}", path.display()),
    );
    if let Some(e) = store.failure() {
        let text = format!(
            "cannot write {}: {e}; serving, but no ACKs until it can be written",
            path.display()
        );
        log.warn(DISK, &text);
    }
    Ok(store)
}
