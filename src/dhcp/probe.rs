//! Is an address in use by a machine the server knows nothing of (one with a static address,
//! or a lease from a server that went)? Before an address is first offered to a client, the
//! server asks the segment with ARP (who-has, twice, PROBE_WAIT apart in all), as RFC 2131
//! 2.2 asks a server to check an address before handing it out; dnsmasq and ISC dhcpd use
//! ICMP echo, which a firewall can silence, while every IPv4 host on Ethernet answers ARP.
//!
//! The offer waits for the probe, the server does not: each offer waiting is one entry here
//! (of any type `T`), released when the probe ends unanswered (`due`) or handed back with the
//! machine that answered (`answers`). An address found free stays known free for FRESH, so
//! a client that asks again, or the next client, is not kept waiting again.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::mem::{size_of, zeroed};
use std::net::Ipv4Addr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use super::arp;
use super::pool::Mac;

/// How long a probe waits for an answer: a host across a tunnel over the internet answers
/// in well under this.
pub const PROBE_WAIT: Duration = Duration::from_millis(400);
/// How long an address found free is taken to stay free.
const FRESH: Duration = Duration::from_secs(30);
/// Addresses probed at once, at most; beyond that a DISCOVER is not answered (its client
/// asks again).
pub const MAX_PROBES: usize = 8192;

/// A probe's outcome for something waiting on it.
pub enum Ask<T> {
    /// Known free: go ahead.
    Free(T),
    /// Waiting for the probe.
    Waiting,
    /// Too many probes at once: dropped.
    Busy(T),
}

/// An address that answered, the machine that did, and what waited on the probe.
pub struct Answered<T> {
    pub ip: Ipv4Addr,
    pub mac: Mac,
    pub waiting: Vec<T>,
}

struct Probe<T> {
    started: Instant,
    resent: bool,
    waiting: Vec<T>,
}

pub struct Prober<T> {
    sock: OwnedFd,
    ifindex: i32,
    mac: Mac,
    ip: Ipv4Addr,
    probes: HashMap<Ipv4Addr, Probe<T>>,
    /// Probes by start, oldest first (an entry whose probe ended already is skipped).
    order: VecDeque<(Instant, Ipv4Addr)>,
    free: HashMap<Ipv4Addr, Instant>,
    freed: VecDeque<(Instant, Ipv4Addr)>,
}

impl<T> Prober<T> {
    /// A packet socket for ARP on interface `ifindex`, whose hardware address is `mac` and
    /// IPv4 address `ip` (the sender of every probe).
    pub fn open(ifindex: u32, mac: Mac, ip: Ipv4Addr) -> io::Result<Prober<T>> {
        let ifindex = i32::try_from(ifindex).map_err(|_| io::ErrorKind::InvalidInput)?;
        // SAFETY: socket(2) with constant arguments; the result is checked before use.
        let fd = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
                i32::from(arp::ETH_P_ARP.to_be()),
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd was just returned by socket(2) and nothing else owns it.
        let sock = unsafe { OwnedFd::from_raw_fd(fd) };
        let addr = link_addr(ifindex, [0; 6]);
        // SAFETY: bind(2) with a sockaddr_ll that lives across the call, and its size.
        let bound = unsafe {
            libc::bind(
                sock.as_raw_fd(),
                (&raw const addr).cast(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if bound < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Prober {
            sock,
            ifindex,
            mac,
            ip,
            probes: HashMap::new(),
            order: VecDeque::new(),
            free: HashMap::new(),
            freed: VecDeque::new(),
        })
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }

    /// Whether `ip` may be offered now, else `item` waits for a probe of it (started if none
    /// runs).
    pub fn ask(&mut self, ip: Ipv4Addr, item: T, now: Instant) -> Ask<T> {
        if self.free.get(&ip).is_some_and(|&at| now < at + FRESH) {
            return Ask::Free(item);
        }
        if let Some(p) = self.probes.get_mut(&ip) {
            p.waiting.push(item);
            return Ask::Waiting;
        }
        if self.probes.len() >= MAX_PROBES {
            return Ask::Busy(item);
        }
        self.send(ip);
        self.probes.insert(
            ip,
            Probe {
                started: now,
                resent: false,
                waiting: vec![item],
            },
        );
        self.order.push_back((now, ip));
        Ask::Waiting
    }

    /// Best effort: a probe that cannot be sent ends unanswered, as one that was lost.
    fn send(&self, target: Ipv4Addr) {
        let msg = arp::request(self.mac, self.ip, target);
        let to = link_addr(self.ifindex, [0xff; 6]);
        // SAFETY: sendto(2) of a buffer and a sockaddr_ll that live across the call.
        unsafe {
            libc::sendto(
                self.sock.as_raw_fd(),
                msg.as_ptr().cast(),
                msg.len(),
                0,
                (&raw const to).cast(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            );
        }
    }

    /// When the next probe needs attention: its second request, or its end.
    pub fn next_deadline(&self) -> Option<Instant> {
        let (start, ip) = self.order.front()?;
        let p = self.probes.get(ip);
        Some(match p {
            Some(p) if !p.resent => *start + PROBE_WAIT / 2,
            _ => *start + PROBE_WAIT,
        })
    }

    /// Sends the second request of probes halfway through, and ends those that ran out
    /// unanswered: their addresses are free, and what waited goes ahead.
    pub fn due(&mut self, now: Instant) -> Vec<T> {
        let mut ready = Vec::new();
        while let Some(&(start, ip)) = self.order.front() {
            if self.probes.get(&ip).is_none_or(|p| p.started != start) {
                self.order.pop_front(); // answered meanwhile
                continue;
            }
            if now < start + PROBE_WAIT {
                break;
            }
            self.order.pop_front();
            let p = self.probes.remove(&ip).expect("looked up above");
            ready.extend(p.waiting);
            self.free.insert(ip, now);
            self.freed.push_back((now, ip));
        }
        // Probes by start: those past their halfway point come first.
        let halfway: Vec<Ipv4Addr> = self
            .order
            .iter()
            .take_while(|(start, _)| now >= *start + PROBE_WAIT / 2)
            .map(|&(_, ip)| ip)
            .collect();
        for ip in halfway {
            if let Some(p) = self.probes.get_mut(&ip).filter(|p| !p.resent) {
                p.resent = true;
                self.send(ip);
            }
        }
        self.forget_stale(now);
        ready
    }

    fn forget_stale(&mut self, now: Instant) {
        while let Some(&(at, ip)) = self.freed.front() {
            if now < at + FRESH {
                break;
            }
            self.freed.pop_front();
            if self.free.get(&ip) == Some(&at) {
                self.free.remove(&ip);
            }
        }
    }

    /// Reads every ARP message waiting: one sent by a machine at an address being probed
    /// ends that probe, with the machine that has the address. Once is enough for an
    /// address known free: it is free no more.
    pub fn answers(&mut self) -> Vec<Answered<T>> {
        let mut found = Vec::new();
        let mut buf = [0u8; 64];
        for _ in 0..256 {
            // SAFETY: an all-zero sockaddr_ll is a valid value for recvfrom(2) to fill.
            let mut from: libc::sockaddr_ll = unsafe { zeroed() };
            let mut len = size_of::<libc::sockaddr_ll>() as libc::socklen_t;
            // SAFETY: recvfrom(2) into a buffer and a sockaddr_ll that outlive the call.
            let n = unsafe {
                libc::recvfrom(
                    self.sock.as_raw_fd(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    0,
                    (&raw mut from).cast(),
                    &mut len,
                )
            };
            let Ok(n) = usize::try_from(n) else {
                break; // EAGAIN: nothing more waits
            };
            if from.sll_pkttype == libc::PACKET_OUTGOING {
                continue; // our own
            }
            let Some((mac, ip)) = arp::sender(&buf[..n]).filter(|(m, _)| *m != self.mac) else {
                continue;
            };
            self.free.remove(&ip);
            if let Some(p) = self.probes.remove(&ip) {
                found.push(Answered {
                    ip,
                    mac,
                    waiting: p.waiting,
                });
            }
        }
        found
    }
}

/// The link-layer address of a frame on `ifindex` to or from `mac`, carrying ARP.
fn link_addr(ifindex: i32, mac: Mac) -> libc::sockaddr_ll {
    // SAFETY: sockaddr_ll is plain data; all-zero is a valid value of it.
    let mut a: libc::sockaddr_ll = unsafe { zeroed() };
    a.sll_family = libc::AF_PACKET as u16;
    a.sll_protocol = arp::ETH_P_ARP.to_be();
    a.sll_ifindex = ifindex;
    a.sll_halen = 6;
    a.sll_addr[..6].copy_from_slice(&mac);
    a
}
