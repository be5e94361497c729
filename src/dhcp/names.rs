//! The names of the segment in DNS, kept as the leases are: the DNS server that runs beside
//! the DHCP server, and its zone fed with every lease change once it is on disk, every
//! reservation, and every lease that runs out (swept once a pass, oldest first).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::net::{Ipv4Addr, SocketAddrV4};

use anyhow::{Result, anyhow};

use super::pool::{Lease, Pool, State};
use super::settings::Config;
use crate::cli::HostReservation;
use crate::dns::server::{self, Server, Sockets};
use crate::dns::zone::{Event, Zone};
use crate::logger::{Kind, Level, Logger};

/// Names appearing, moving and going: one line each.
const NAMES: Kind = Kind::new("names", 20);

pub struct Names {
    server: Server,
    /// When each named lease runs out, soonest first; one entry per address.
    expiring: BinaryHeap<Reverse<(u64, Ipv4Addr)>>,
    scheduled: HashSet<Ipv4Addr>,
}

impl Names {
    /// Binds the DNS server's sockets for `cfg`; None when DNS is off.
    pub fn bind(cfg: &Config) -> Result<Option<Sockets>> {
        let Some(listen) = cfg.dns_listen() else {
            return Ok(None);
        };
        let config = server::Config {
            listen,
            upstreams: cfg.settings.upstreams.clone(),
        };
        Sockets::bind(config).map(Some)
    }

    /// Starts the DNS server of `cfg` on `sockets`, with a zone of the pool's active leases
    /// and the reservations' names.
    pub fn start(
        sockets: Sockets,
        cfg: &Config,
        pool: &Pool,
        log: Logger,
        now: u64,
    ) -> Result<Names> {
        let mut zone = Zone::new(&cfg.settings.domain, cfg.subnet).map_err(|e| anyhow!(e))?;
        let mut named = Vec::new();
        for h in cfg.reservations() {
            if let Some(name) = &h.name {
                zone.reserve(h.ip, Some(name.as_str()));
            }
        }
        for lease in pool.durable().filter(|l| l.is_active(now)) {
            if let Some(hostname) = &lease.hostname {
                zone.lease(lease.ip, Some(hostname));
                named.push((lease.expires, lease.ip));
            }
        }
        let mut names = Names {
            server: Server::answer(sockets, zone, log)?,
            expiring: BinaryHeap::new(),
            scheduled: HashSet::new(),
        };
        for (expires, ip) in named {
            names.schedule(expires, ip);
        }
        Ok(names)
    }

    /// Where the DNS server answers.
    pub fn local_addr(&self) -> SocketAddrV4 {
        self.server.local_addr()
    }

    fn schedule(&mut self, expires: u64, ip: Ipv4Addr) {
        if self.scheduled.insert(ip) {
            self.expiring.push(Reverse((expires, ip)));
        }
    }

    /// A lease change is on disk: a bound lease names its address, any other ends the name.
    pub fn record(&mut self, lease: &Lease) {
        let events = match lease.state {
            State::Bound => {
                if lease.hostname.is_some() {
                    self.schedule(lease.expires, lease.ip);
                }
                let hostname = lease.hostname.as_deref();
                self.server.update(|z| z.lease(lease.ip, hostname))
            }
            State::Released | State::Declined | State::Offered => {
                self.server.update(|z| z.release(lease.ip))
            }
        };
        self.log(&events);
    }

    /// Ends the names of leases that ran out by `now` without being renewed.
    pub fn sweep(&mut self, pool: &Pool, now: u64) {
        while let Some(&Reverse((expires, ip))) = self.expiring.peek() {
            if expires > now {
                break;
            }
            self.expiring.pop();
            match pool.lease(ip).filter(|l| l.is_active(now)) {
                // Renewed since: look again when the new lease ends.
                Some(l) => self.expiring.push(Reverse((l.expires, ip))),
                None => {
                    self.scheduled.remove(&ip);
                    let events = self.server.update(|z| z.release(ip));
                    self.log(&events);
                }
            }
        }
    }

    /// The reservations went from `old` to `new`: their names follow.
    pub fn reserve(&mut self, old: &[HostReservation], new: &[HostReservation]) {
        let mut events = Vec::new();
        for h in old.iter().filter(|h| !new.contains(h)) {
            events.extend(self.server.update(|z| z.unreserve(h.ip)));
        }
        for h in new.iter().filter(|h| !old.contains(h)) {
            let name = h.name.as_ref().map(|n| n.as_str());
            events.extend(self.server.update(|z| z.reserve(h.ip, name)));
        }
        self.log(&events);
    }

    fn log(&self, events: &[Event]) {
        for e in events {
            self.server.log(Level::Info, NAMES, || e.to_string());
        }
    }
}
