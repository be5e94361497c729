//! The server loop: a UDP socket on port 67 bound to the bridge; each pass reads every request
//! waiting, answers each (`respond`), writes all their leases with one flush (group commit),
//! and only then sends the ACKs. NAKs promise nothing durable and go out at once; an OFFER of
//! an address not yet known to be free waits for its ARP probe (`probe`), the loop does not.
//! While the lease file cannot be written, no ACK goes out at all: clients that are renewing
//! keep their address and ask again, which is better for them than a NAK, and the server tries
//! the disk again by itself (see `leases`).
//!
//! Beside it, in the same process: the DNS server of the segment's names (`names`), which
//! follows the leases once they are on disk, and the control socket (`control`) through which
//! a second `dhcp serve` hands over new settings and `dhcp forget` ends a lease. SIGHUP reads
//! the hosts file again.

use std::net::{Ipv4Addr, UdpSocket};
use std::os::fd::{AsFd, AsRawFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{self, MsgFlags};

use super::addressing::{self, Destination};
use super::control::{Listener, Reply, Request};
use super::lease_path;
use super::leases::{self, LeaseFile, Written};
use super::names::Names;
use super::pool::{Lease, Mac, Pool, Which};
use super::probe::{Ask, Prober};
use super::respond::{self, Note, Outgoing};
use super::settings::Config;
use super::wire::NetParams;
use super::{daemon, reservations, udp_socket};
use crate::dns::server::Sockets;
use crate::logger::{Kind, Level, Logger};
use crate::msg::link::format_mac;
use crate::msg::{Route, neigh};
use crate::nl::Netlink;

/// Requests read in one pass at most, so a flood cannot hold back the ACKs of the first ones.
const BATCH: usize = 256;
/// How long the loop waits for a request before it looks at the stop flag again.
const TICK: Duration = Duration::from_secs(1);
/// Room for a burst of requests arriving while the server waits for the disk.
const RECEIVE_BUFFER: usize = 4 << 20;

// The server's own kinds of log line (those a datagram causes are in `respond`).
const DISK: Kind = Kind::new("lease file", 1);
const SEND: Kind = Kind::new("send", 3);
const NEIGH: Kind = Kind::new("neighbour", 3);
const CONFLICT: Kind = Kind::new("address in use", 5);
pub const STATUS: Kind = Kind::new("status", 20);

/// An OFFER waiting for its probe, and the client it is for.
struct Waiting {
    out: Outgoing,
    client: Mac,
}

pub struct Server {
    cfg: Config,
    params: NetParams,
    /// The lease file as opened: `cfg`'s, with a symlink followed.
    lease_path: PathBuf,
    sock: UdpSocket,
    pool: Pool,
    store: LeaseFile,
    pub log: Logger,
    /// The DNS server's log, made anew whenever DNS is started again.
    dns_log: Box<dyn Fn() -> Logger>,
    /// ACKs dropped since the lease file began failing.
    held_back: u64,
    /// The DNS server's sockets until `run` starts it (its threads must not be started
    /// before `dhcp serve --daemon` forks: they would not survive it).
    dns_sockets: Option<Sockets>,
    names: Option<Names>,
    prober: Option<Prober<Waiting>>,
    control: Option<Listener>,
    /// Lease changes appended but not yet on disk: the names follow once they are.
    unnamed: Vec<Lease>,
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Server {
    /// Binds the socket, then loads the leases (so a server that cannot bind leaves no lease
    /// file behind), then starts DNS and listens on `control`: after this, the server is
    /// answering, the kernel queueing requests until the loop reads them.
    pub fn start(
        cfg: Config,
        pool: Pool,
        mut log: Logger,
        dns_log: Box<dyn Fn() -> Logger>,
        control: Option<&Path>,
    ) -> Result<Server> {
        let file = &cfg.settings.lease_file;
        let resolved =
            lease_path::resolve(file).with_context(|| format!("lease file {}", file.display()))?;
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
        let sock = udp_socket(&cfg.bridge, addressing::SERVER_PORT)?;
        let mut pool = pool;
        let store = load(&resolved.path, &mut pool, &mut log)?;
        // Best effort: without it the default buffer stands, and only a burst suffers.
        let _ = socket::setsockopt(&sock, socket::sockopt::RcvBufForce, &RECEIVE_BUFFER);
        let dns_sockets = Names::bind(&cfg)?;
        let control = control.map(Listener::bind).transpose()?;
        let prober = open_prober(&cfg, &mut log);
        Ok(Server {
            params: cfg.params(),
            cfg,
            lease_path: resolved.path,
            sock,
            pool,
            store,
            log,
            dns_log,
            held_back: 0,
            dns_sockets,
            names: None,
            prober,
            control,
            unnamed: Vec::new(),
        })
    }

    /// The settings served now (a second `dhcp serve` may have changed them).
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Where the DNS server answers, when it runs.
    pub fn dns_addr(&self) -> Option<std::net::SocketAddrV4> {
        let bound = self.dns_sockets.as_ref().map(Sockets::local_addr);
        bound.or_else(|| self.names.as_ref().map(Names::local_addr))
    }

    /// Serves until SIGINT/SIGTERM.
    pub fn run(&mut self, nl: &mut Netlink<Route>) -> Result<()> {
        let mut buf = vec![0u8; 4096];
        let mut held = Vec::new();
        if let Some(sockets) = self.dns_sockets.take() {
            let names = Names::start(sockets, &self.cfg, &self.pool, (self.dns_log)(), now())?;
            self.names = Some(names);
        }
        while !daemon::stop_requested() {
            self.wait()?;
            for _ in 0..BATCH {
                match socket::recv(self.sock.as_raw_fd(), &mut buf, MsgFlags::MSG_DONTWAIT) {
                    Ok(n) => self.handle(&buf[..n], nl, &mut held),
                    Err(Errno::EAGAIN | Errno::EINTR) => break,
                    Err(e) => return Err(e).context("receive"),
                }
            }
            self.probes(nl);
            self.commit(nl, &mut held);
            if daemon::hangup() {
                self.read_hosts_file();
            }
            self.converse(nl);
            if let Some(names) = &mut self.names {
                names.sweep(&self.pool, now());
            }
            self.log.tick();
        }
        self.log.info(STATUS, "stopped");
        Ok(())
    }

    /// Until a request, an ARP message or a control connection comes, a probe is due, or a
    /// TICK has passed (a signal ends the wait at once).
    fn wait(&self) -> Result<()> {
        let mut timeout = TICK;
        if let Some(due) = self.prober.as_ref().and_then(Prober::next_deadline) {
            timeout = timeout.min(due.saturating_duration_since(Instant::now()));
        }
        let mut fds = vec![PollFd::new(self.sock.as_fd(), PollFlags::POLLIN)];
        if let Some(p) = &self.prober {
            fds.push(PollFd::new(p.fd(), PollFlags::POLLIN));
        }
        if let Some(c) = &self.control {
            fds.push(PollFd::new(c.fd(), PollFlags::POLLIN));
        }
        let timeout = PollTimeout::try_from(timeout).unwrap_or(PollTimeout::MAX);
        match poll(&mut fds, timeout) {
            Ok(_) | Err(Errno::EINTR) => Ok(()),
            Err(e) => Err(e).context("wait for requests"),
        }
    }

    fn handle(&mut self, bytes: &[u8], nl: &mut Netlink<Route>, held: &mut Vec<Outgoing>) {
        let answer = respond::respond(&mut self.pool, self.cfg.subnet, &self.params, bytes, now());
        if let Some(note) = &answer.note {
            self.note(note);
        }
        for lease in answer.records {
            self.record(lease);
        }
        match answer.reply {
            Some(out) if out.durable => held.push(out),
            Some(out) => match (out.probe, self.prober.as_mut()) {
                (Some((ip, client)), Some(prober)) => {
                    match prober.ask(ip, Waiting { out, client }, Instant::now()) {
                        Ask::Free(w) => self.deliver(nl, &w.out),
                        Ask::Waiting => {}
                        Ask::Busy(_) => {
                            let text = format!("no OFFER of {ip}: too many probes at once");
                            self.log.warn(CONFLICT, &text);
                        }
                    }
                }
                _ => self.deliver(nl, &out),
            },
            None => {}
        }
    }

    /// A lease change to write with this pass's flush.
    fn record(&mut self, lease: Lease) {
        self.store.append(&lease);
        if self.names.is_some() {
            self.unnamed.push(lease);
        }
    }

    /// Offers whose probe ended unanswered go out; an address another machine answered for is
    /// kept out of use, and its offers are dropped (their clients ask again and get another).
    fn probes(&mut self, nl: &mut Netlink<Route>) {
        let Some(prober) = self.prober.as_mut() else {
            return;
        };
        let answered = prober.answers();
        let ready = prober.due(Instant::now());
        for a in answered {
            if a.waiting.iter().all(|w| w.client == a.mac) {
                // The client itself still has the address: it is its to take.
                for w in &a.waiting {
                    self.deliver(nl, &w.out);
                }
                continue;
            }
            let lease = self.pool.conflict(a.ip, a.mac, now());
            let text = format!(
                "{} is in use by {} (it answered ARP): not offered, kept out of use for {}s",
                a.ip,
                format_mac(&a.mac),
                lease.expires.saturating_sub(now())
            );
            self.log.warn(CONFLICT, &text);
            self.record(lease);
        }
        for w in ready {
            self.deliver(nl, &w.out);
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

    /// One flush for every lease of this pass, then their ACKs and their names. If the disk
    /// refuses, the ACKs are dropped: the clients will ask again, and the disk is tried again
    /// next pass. Whether everything recorded is on disk.
    fn commit(&mut self, nl: &mut Netlink<Route>, held: &mut Vec<Outgoing>) -> bool {
        match self.store.commit(self.pool.durable()) {
            Ok(written) => {
                if written == Written::Recovered {
                    let text = format!(
                        "{} can be written again; serving normally ({} ACKs were held back)",
                        self.lease_path.display(),
                        std::mem::take(&mut self.held_back)
                    );
                    self.log.warn(STATUS, &text);
                }
                for out in held.drain(..) {
                    self.deliver(nl, &out);
                }
                if let Some(names) = &mut self.names {
                    for lease in self.unnamed.drain(..) {
                        names.record(&lease);
                    }
                }
            }
            Err(e) => {
                if !held.is_empty() {
                    self.held_back += held.len() as u64;
                    let text = format!(
                        "cannot write {}: {e}; no ACKs until it can ({} held back so far)",
                        self.lease_path.display(),
                        self.held_back
                    );
                    self.log.warn(DISK, &text);
                }
                held.clear();
                // Nothing of it was promised: the names stay as the disk has them.
                self.unnamed.clear();
                return false;
            }
        }
        if self.store.wants_compaction(self.pool.addresses_known())
            && let Err(e) = self.store.compact(self.pool.durable())
        {
            let text = format!("cannot compact {}: {e}", self.lease_path.display());
            self.log.warn(DISK, &text);
        }
        true
    }

    /// SIGHUP: the hosts file's reservations replace those it had; a file that cannot be
    /// read, or has a bad line, changes nothing.
    fn read_hosts_file(&mut self) {
        let Some(path) = self.cfg.settings.hosts_file.clone() else {
            self.log.info(STATUS, "SIGHUP: no --hosts-file to read");
            return;
        };
        let mut new = self.cfg.clone();
        match reservations::read_file(&path) {
            Ok(hosts) => new.settings.file_hosts = hosts,
            Err(e) => {
                let text = format!("SIGHUP: {e:#}; keeping the reservations it had");
                self.log.warn(STATUS, &text);
                return;
            }
        }
        match self.take_over(new, false) {
            Reply::Changed(c) if c.is_empty() => {
                self.log.info(STATUS, "SIGHUP: the hosts file is unchanged");
            }
            Reply::Refused(why) => {
                let text = format!("SIGHUP: {why}; keeping the reservations it had");
                self.log.warn(STATUS, &text);
            }
            _ => {}
        }
    }

    /// Answers every control request waiting.
    fn converse(&mut self, nl: &mut Netlink<Route>) {
        let Some(control) = self.control.take() else {
            return;
        };
        while let Some((conversation, request)) = control.accept() {
            let reply = match request {
                Err(why) => Reply::Refused(why),
                Ok(Request::Serve { config, dry_run }) => self.take_over(*config, dry_run),
                Ok(Request::Forget { which, dry_run }) => self.forget(nl, &which, dry_run),
            };
            conversation.reply(&reply);
        }
        self.control = Some(control);
    }

    /// Serves `new` from now on, keeping every lease; what changed.
    fn take_over(&mut self, new: Config, dry_run: bool) -> Reply {
        if new.settings.lease_file != self.cfg.settings.lease_file {
            return Reply::Refused(format!(
                "the lease file is {} while the server runs; `l2x dhcp stop {}` first to \
                 move it",
                self.cfg.settings.lease_file.display(),
                self.cfg.bridge
            ));
        }
        if let Err(why) = new.check() {
            return Reply::Refused(why);
        }
        let changes = self.cfg.changes(&new);
        if changes.is_empty() || dry_run {
            return Reply::Changed(changes);
        }
        if new.settings.log_file != self.cfg.settings.log_file
            && let Some(path) = &new.settings.log_file
            && let Err(e) = daemon::open_log(path).and_then(|f| daemon::log_into(&f))
        {
            return Reply::Refused(format!("{e:#}"));
        }
        if self.cfg.dns_differs(&new) {
            if let Err(why) = self.restart_dns(&new) {
                return Reply::Refused(why);
            }
        } else if let Some(names) = &mut self.names {
            names.reserve(&self.cfg.reservations(), &new.reservations());
        }
        let s = &new.settings;
        self.pool
            .reconfigure(s.range, &new.reservations(), s.lease_time);
        let moved =
            (self.cfg.ifindex, self.cfg.mac, self.cfg.subnet) != (new.ifindex, new.mac, new.subnet);
        self.params = new.params();
        self.cfg = new;
        if moved {
            self.prober = open_prober(&self.cfg, &mut self.log);
        }
        self.log
            .info(STATUS, &format!("now serving: {}", changes.join(", ")));
        Reply::Changed(changes)
    }

    /// Stops the DNS server and starts it with `new`; when that fails, the old one is started
    /// again and the error returned.
    fn restart_dns(&mut self, new: &Config) -> Result<(), String> {
        self.names = None;
        match self.start_dns(new) {
            Ok(names) => {
                self.names = names;
                Ok(())
            }
            Err(e) => {
                self.names = self.start_dns(&self.cfg).unwrap_or_else(|again| {
                    let text = format!("DNS is off: cannot start it again: {again:#}");
                    self.log.warn(STATUS, &text);
                    None
                });
                Err(format!("{e:#}"))
            }
        }
    }

    /// The DNS server of `cfg`, answering; None when DNS is off.
    fn start_dns(&self, cfg: &Config) -> Result<Option<Names>> {
        Names::bind(cfg)?
            .map(|sockets| Names::start(sockets, cfg, &self.pool, (self.dns_log)(), now()))
            .transpose()
    }

    /// `dhcp forget`: ends the leases of an address or a MAC, on disk before the reply.
    fn forget(&mut self, nl: &mut Netlink<Route>, which: &str, dry_run: bool) -> Reply {
        let which = match which.parse::<Ipv4Addr>() {
            Ok(ip) => Which::Ip(ip),
            Err(_) => match which.parse::<crate::cli::Mac>() {
                Ok(mac) => Which::Mac(mac.0),
                Err(why) => return Reply::Refused(format!("{why}, nor an IPv4 address")),
            },
        };
        let now = now();
        let ended = if dry_run {
            self.pool.active_of(which, now)
        } else {
            self.pool.forget(which, now)
        };
        let phrases = ended.iter().map(describe).collect();
        if dry_run || ended.is_empty() {
            return Reply::Forgot(phrases);
        }
        for lease in ended {
            self.record(lease);
        }
        if !self.commit(nl, &mut Vec::new()) {
            return Reply::Refused(format!(
                "{} cannot be written: the leases ended, but the file still has them",
                self.lease_path.display()
            ));
        }
        Reply::Forgot(phrases)
    }
}

/// `10.0.5.100 (02:00:00:00:00:01, c1)`.
fn describe(l: &Lease) -> String {
    match &l.hostname {
        Some(name) => format!(
            "{} ({}, {})",
            l.ip,
            format_mac(&l.mac),
            crate::printable::escape(name)
        ),
        None => format!("{} ({})", l.ip, format_mac(&l.mac)),
    }
}

/// The ARP socket of the probes; without one (no packet sockets), addresses are offered
/// unprobed and the log says so.
fn open_prober(cfg: &Config, log: &mut Logger) -> Option<Prober<Waiting>> {
    match Prober::open(cfg.ifindex, cfg.mac, cfg.subnet.ip()) {
        Ok(p) => Some(p),
        Err(e) => {
            let text = format!(
                "cannot probe addresses with ARP ({e}): offering them without knowing whether \
                 a machine with a static address uses them"
            );
            log.warn(STATUS, &text);
            None
        }
    }
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
