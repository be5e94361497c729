//! The server loop: a UDP socket on port 67 bound to the bridge; each pass reads every request
//! waiting, decides each one, writes all their leases with one flush (group commit), and only
//! then sends the ACKs. Offers and NAKs promise nothing durable and go out at once.

use std::net::UdpSocket;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use dhcproto::v4::Message;
use ipnetwork::Ipv4Network;
use nix::sys::socket::{self, MsgFlags};

use super::addressing::{self, Destination};
use super::exchange::{self, Decision};
use super::leases::{self, LeaseFile};
use super::pool::{Lease, Pool, State};
use super::wire::{self, NetParams, Reply};
use super::{daemon, udp_socket};
use crate::cli::Ipv4Range;
use crate::msg::link::format_mac;
use crate::msg::{Route, neigh};
use crate::nl::Netlink;

/// Requests read in one pass at most, so a flood cannot hold back the ACKs of the first ones.
const BATCH: usize = 256;
/// How long a blocking receive waits before the loop looks at the stop flag again.
const TICK: Duration = Duration::from_secs(1);
/// Room for a burst of requests arriving while the server waits for the disk.
const RECEIVE_BUFFER: usize = 4 << 20;

/// Everything the server needs to know, checked by the command before it starts.
pub struct Config {
    pub bridge: String,
    pub ifindex: u32,
    pub subnet: Ipv4Network,
    pub range: Ipv4Range,
    pub params: NetParams,
    pub lease_file: PathBuf,
}

/// Where log lines go: stderr, one line each, `dhcp BRIDGE: ...`.
pub struct Log {
    pub prefix: String,
    pub quiet: bool,
    pub verbose: bool,
}

impl Log {
    pub fn info(&self, line: &str) {
        if !self.quiet {
            eprintln!("{}: {line}", self.prefix);
        }
    }

    pub fn warn(&self, line: &str) {
        eprintln!("{}: {line}", self.prefix);
    }

    fn debug(&self, line: &str) {
        if self.verbose {
            eprintln!("{}: {line}", self.prefix);
        }
    }
}

pub struct Server {
    cfg: Config,
    sock: UdpSocket,
    pool: Pool,
    store: LeaseFile,
    pub log: Log,
}

/// An ACK waiting for its lease to reach the disk.
struct Held {
    req: Message,
    reply: Message,
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
    pub fn start(cfg: Config, mut pool: Pool, log: Log) -> Result<Server> {
        let sock = udp_socket(&cfg.bridge, addressing::SERVER_PORT)?;
        let store = load(&cfg.lease_file, &mut pool, &log)?;
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
        })
    }

    /// Serves until SIGINT/SIGTERM.
    pub fn run(&mut self, nl: &mut Netlink<Route>) -> Result<()> {
        let mut buf = vec![0u8; 4096];
        let mut held = Vec::new();
        while !daemon::stop_requested() {
            match self.sock.recv(&mut buf) {
                Ok(n) => self.handle(&buf[..n], nl, &mut held),
                Err(e) if is_transient(&e) => continue,
                Err(e) => return Err(e).context("receive"),
            }
            for _ in 1..BATCH {
                match socket::recv(self.sock.as_raw_fd(), &mut buf, MsgFlags::MSG_DONTWAIT) {
                    Ok(n) => self.handle(&buf[..n], nl, &mut held),
                    Err(_) => break,
                }
            }
            self.commit(nl, &mut held);
        }
        self.log.info("stopped");
        Ok(())
    }

    fn handle(&mut self, bytes: &[u8], nl: &mut Netlink<Route>, held: &mut Vec<Held>) {
        let m = match wire::decode(bytes) {
            Ok(m) => m,
            Err(why) => {
                return self
                    .log
                    .debug(&format!("ignored {} bytes: {why}", bytes.len()));
            }
        };
        let giaddr = m.msg.giaddr();
        if !giaddr.is_unspecified() && !self.cfg.subnet.contains(giaddr) {
            return self.log.debug(&format!(
                "ignored a request relayed from {giaddr}, outside {}",
                self.cfg.subnet
            ));
        }
        let now = now();
        let mac = format_mac(&m.client.mac);
        let lease_secs = self.pool.lease_time() as u32;
        match exchange::decide(&mut self.pool, &m, self.cfg.params.server_id, now) {
            Decision::Offer(yiaddr) => {
                self.log
                    .debug(&format!("OFFER {yiaddr} to {mac} (xid {:#x})", m.msg.xid()));
                self.send(nl, &m.msg, Reply::Offer { yiaddr, lease_secs });
            }
            Decision::Ack(lease) => {
                self.store.append(&lease);
                self.log
                    .info(&format!("ACK {} to {mac}{}", lease.ip, named(&lease)));
                let reply = Reply::Ack {
                    yiaddr: lease.ip,
                    lease_secs: lease.expires.saturating_sub(now) as u32,
                };
                let reply = wire::reply(&m.msg, reply, &self.cfg.params);
                held.push(Held { req: m.msg, reply });
            }
            Decision::InformAck => self.send(nl, &m.msg, Reply::InformAck),
            Decision::Nak(ip, why) => {
                self.log
                    .info(&format!("NAK {ip} to {mac}: {}", why.message()));
                self.send(nl, &m.msg, Reply::Nak(why.message()));
            }
            Decision::Record(lease) => {
                self.store.append(&lease);
                let what = match lease.state {
                    State::Declined => "DECLINE (address on probation)",
                    _ => "RELEASE",
                };
                self.log.info(&format!("{what} {} by {mac}", lease.ip));
            }
            Decision::Exhausted => self.log.warn(&format!(
                "no free address for {mac}: every address of {} is in use",
                self.cfg.range
            )),
            Decision::Silent => {}
        }
    }

    fn send(&mut self, nl: &mut Netlink<Route>, req: &Message, reply: Reply) {
        let msg = wire::reply(req, reply, &self.cfg.params);
        self.deliver(nl, req, &msg, matches!(reply, Reply::Nak(_)));
    }

    /// Sends a reply where RFC 2131 4.1 says; a client without an address yet is reached
    /// through a neighbour entry made for it, or by broadcast when that fails.
    fn deliver(&mut self, nl: &mut Netlink<Route>, req: &Message, reply: &Message, is_nak: bool) {
        let mut dest = addressing::destination(req, reply, is_nak);
        if let Destination::Direct { ip, mac } = dest
            && let Err(e) = nl.ack(&neigh::arp_replace(self.cfg.ifindex, ip, mac))
        {
            self.log.debug(&format!("{e}; broadcasting instead"));
            dest = Destination::Broadcast;
        }
        let bytes = wire::encode(reply);
        if let Err(e) = self.sock.send_to(&bytes, (dest.ip(), dest.port())) {
            self.log.warn(&format!(
                "cannot send to {}:{}: {e}",
                dest.ip(),
                dest.port()
            ));
        }
    }

    /// One flush for every lease of this pass, then their ACKs. If the disk refuses, the
    /// ACKs are not sent: the clients will ask again.
    fn commit(&mut self, nl: &mut Netlink<Route>, held: &mut Vec<Held>) {
        if let Err(e) = self.store.commit() {
            self.log.warn(&format!(
                "cannot write {}: {e}; {} ACKs held back",
                self.cfg.lease_file.display(),
                held.len()
            ));
            held.clear();
            return;
        }
        for h in held.drain(..) {
            self.deliver(nl, &h.req, &h.reply, false);
        }
        if self.store.wants_compaction(self.pool.addresses_known())
            && let Err(e) = self.store.compact(self.pool.durable())
        {
            self.log.warn(&format!(
                "cannot compact {}: {e}",
                self.cfg.lease_file.display()
            ));
        }
    }
}

fn named(lease: &Lease) -> String {
    lease
        .hostname
        .as_deref()
        .map_or(String::new(), |h| format!(" ({h})"))
}

fn is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(e.kind(), WouldBlock | TimedOut | Interrupted)
}

/// Replays the lease file into the pool and opens it for appending.
fn load(path: &Path, pool: &mut Pool, log: &Log) -> Result<LeaseFile> {
    let replay = leases::read(path).with_context(|| format!("read {}", path.display()))?;
    for warning in &replay.damage {
        log.warn(&format!("{}: {warning}", path.display()));
    }
    for lease in &replay.leases {
        pool.restore(lease.clone());
    }
    let live: Vec<&Lease> = pool.durable().collect();
    let store = LeaseFile::open(path, &replay, &live)
        .with_context(|| format!("open {}", path.display()))?;
    let active = live.iter().filter(|l| l.is_active(now())).count();
    log.info(&format!("{active} active leases in {}", path.display()));
    Ok(store)
}
