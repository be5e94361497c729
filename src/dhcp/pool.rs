//! Which address a client gets (RFC 2131 4.3.1 and 4.3.2): reservations first, then the
//! client's previous address, then the address it asked for, then a free one. A client holds
//! one lease: when it takes a new address, its old lease ends. Pure: time comes in as an
//! argument, and nothing here touches the disk or the network.

use std::collections::{HashMap, VecDeque};
use std::net::Ipv4Addr;

use super::reservations::Reservations;
use crate::cli::{HostReservation, Ipv4Range};

/// An Ethernet hardware address (chaddr).
pub type Mac = [u8; 6];

/// How long an offered address stays held for the client it was offered to.
const OFFER_HOLD: u64 = 30;

/// How long a declined address (RFC 2131 4.3.3: another host answers ARP for it) is kept out
/// of use; dnsmasq uses ten minutes too.
pub const PROBATION: u64 = 600;

/// How a client is known (RFC 2131 4.2): its client identifier (option 61) when it sends one,
/// else its hardware address written the way most clients write option 61 (htype 1, then the
/// MAC), so a client is the same one whether or not it sends the option.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientId(pub Box<[u8]>);

impl ClientId {
    pub fn from_chaddr(mac: &Mac) -> ClientId {
        let mut id = vec![1];
        id.extend_from_slice(mac);
        ClientId(id.into())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Offered and held for a short while; kept in memory only.
    Offered,
    /// Acknowledged: the address is the client's until `expires`.
    Bound,
    /// Given back by the client; remembered so it gets the same address next time.
    Released,
    /// Declined by a client because something else uses it; unused until `expires`.
    Declined,
}

/// An address and who has (or had) it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub ip: Ipv4Addr,
    pub state: State,
    pub client: ClientId,
    pub mac: Mac,
    pub hostname: Option<Box<str>>,
    /// Seconds since 1970.
    pub expires: u64,
}

impl Lease {
    /// Whether `client` may have this address at `now`.
    pub fn free_for(&self, client: &ClientId, now: u64) -> bool {
        match self.state {
            State::Released => true,
            State::Declined => self.expires <= now,
            State::Offered | State::Bound => self.client == *client || self.expires <= now,
        }
    }

    pub fn is_active(&self, now: u64) -> bool {
        self.state == State::Bound && self.expires > now
    }
}

/// The client asking: its identity, hardware address and the name it gave (option 12).
#[derive(Debug, Clone)]
pub struct Client {
    pub id: ClientId,
    pub mac: Mac,
    pub hostname: Option<Box<str>>,
}

/// Why a REQUEST for an address is refused (the DHCPNAK's message, option 56).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotOurs,
    InUse,
    ReservedElsewhere,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::NotOurs => "address not served here",
            Refusal::InUse => "address in use by another client",
            Refusal::ReservedElsewhere => "address reserved for another host",
        }
    }
}

/// What a REQUEST was granted: the lease to write before the ACK, and the client's lease on
/// another address that ended with it, if it had one (to be written too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    pub lease: Lease,
    pub ended: Option<Lease>,
}

/// A lease to end by hand (`dhcp forget`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Ip(Ipv4Addr),
    Mac(Mac),
}

pub struct Pool {
    first: u32,
    last: u32,
    lease_time: u64,
    reserved: Reservations,
    by_ip: HashMap<Ipv4Addr, Lease>,
    by_client: HashMap<ClientId, Ipv4Addr>,
    /// The address a hardware address holds last: a client that comes back with another
    /// client identifier (another DHCP client on the same interface) is the same machine.
    by_mac: HashMap<Mac, Ipv4Addr>,
    /// Where the search for a free address goes on from, so it does not start over each time.
    cursor: u32,
    /// Addresses of the range that no lease has ever named: taken before reusing expired ones,
    /// so a client that left gets its address back when it returns.
    never_used: u32,
    /// Offers of addresses that had no lease before, oldest first, with their expiry: once
    /// expired and never requested they are forgotten, so a flood of DISCOVERs from made-up
    /// MACs holds memory for OFFER_HOLD seconds only.
    offers: VecDeque<(u64, Ipv4Addr)>,
}

impl Pool {
    pub fn new(range: Ipv4Range, reservations: &[HostReservation], lease_time: u64) -> Pool {
        let mut pool = Pool {
            first: 0,
            last: 0,
            lease_time,
            reserved: Reservations::default(),
            by_ip: HashMap::new(),
            by_client: HashMap::new(),
            by_mac: HashMap::new(),
            cursor: 0,
            never_used: 0,
            offers: VecDeque::new(),
        };
        pool.reconfigure(range, reservations, lease_time);
        pool
    }

    /// Serves another range, other reservations or another lease time from now on, keeping
    /// every lease: one outside the new range lasts until it ends (its client is refused a
    /// renewal and asks for a new address), and a new lease time applies from the next ACK.
    pub fn reconfigure(
        &mut self,
        range: Ipv4Range,
        reservations: &[HostReservation],
        lease_time: u64,
    ) {
        self.first = u32::from(range.first);
        self.last = u32::from(range.last);
        self.lease_time = lease_time;
        self.reserved = Reservations::new(reservations);
        if !self.in_range(Ipv4Addr::from(self.cursor)) {
            self.cursor = self.first;
        }
        let named = self
            .by_ip
            .keys()
            .filter(|ip| range.contains(**ip) && !self.reserved.contains(**ip))
            .count() as u32;
        self.never_used = self.last - self.first + 1 - self.reserved.count_in(range) - named;
    }

    pub fn lease_time(&self) -> u64 {
        self.lease_time
    }

    pub fn range(&self) -> Ipv4Range {
        Ipv4Range {
            first: Ipv4Addr::from(self.first),
            last: Ipv4Addr::from(self.last),
        }
    }

    fn in_range(&self, ip: Ipv4Addr) -> bool {
        (self.first..=self.last).contains(&u32::from(ip))
    }

    /// Whether `client` may be given `ip` now: the address is ours to give, not reserved for
    /// someone else, not held by another client, and the client has no reservation elsewhere.
    fn check(&self, client: &Client, ip: Ipv4Addr, now: u64) -> Result<(), Refusal> {
        match self
            .reserved
            .owner_is(ip, client.mac, client.hostname.as_deref())
        {
            Some(false) => return Err(Refusal::ReservedElsewhere),
            Some(true) => {}
            None if !self.in_range(ip) => return Err(Refusal::NotOurs),
            None => {}
        }
        if self
            .reserved
            .for_client(client.mac, client.hostname.as_deref())
            .is_some_and(|r| r != ip)
        {
            return Err(Refusal::ReservedElsewhere);
        }
        match self.by_ip.get(&ip) {
            Some(lease) if !lease.free_for(&client.id, now) => Err(Refusal::InUse),
            _ => Ok(()),
        }
    }

    /// DHCPDISCOVER: picks an address and holds it for the client, or None when none is free.
    /// The flag says whether the address is the client's bound lease already: any other may
    /// be in use by a machine the server knows nothing of, and is worth a probe first.
    pub fn offer(
        &mut self,
        client: &Client,
        requested: Option<Ipv4Addr>,
        now: u64,
    ) -> Option<(Ipv4Addr, bool)> {
        self.forget_expired_offers(now);
        let ip = self.choose(client, requested, now)?;
        let known = self.by_ip.get(&ip);
        let held = known.is_some_and(|l| l.is_active(now));
        if !held {
            let expires = now + OFFER_HOLD;
            if known.is_none() {
                self.offers.push_back((expires, ip));
            }
            self.bind(client, ip, State::Offered, expires);
        }
        Some((ip, held))
    }

    /// Drops the offers that expired without a REQUEST; their addresses are untouched again.
    fn forget_expired_offers(&mut self, now: u64) {
        while let Some(&(expires, ip)) = self.offers.front() {
            if expires > now {
                break;
            }
            self.offers.pop_front();
            let unrequested = self
                .by_ip
                .get(&ip)
                .is_some_and(|l| l.state == State::Offered && l.expires == expires);
            if !unrequested {
                continue; // requested, or offered again since
            }
            let lease = self.by_ip.remove(&ip).expect("looked up above");
            if self.by_client.get(&lease.client) == Some(&ip) {
                self.by_client.remove(&lease.client);
            }
            if self.by_mac.get(&lease.mac) == Some(&ip) {
                self.by_mac.remove(&lease.mac);
            }
            if self.in_range(ip) && !self.reserved.contains(ip) {
                self.never_used += 1;
            }
        }
    }

    fn choose(
        &mut self,
        client: &Client,
        requested: Option<Ipv4Addr>,
        now: u64,
    ) -> Option<Ipv4Addr> {
        if let Some(ip) = self
            .reserved
            .for_client(client.mac, client.hostname.as_deref())
        {
            return self.check(client, ip, now).is_ok().then_some(ip);
        }
        let previous = self.by_client.get(&client.id).filter(|ip| {
            self.by_ip
                .get(ip)
                .is_some_and(|l| l.state != State::Declined)
        });
        let wanted = previous.copied().into_iter().chain(requested);
        for ip in wanted.collect::<Vec<_>>() {
            if self.check(client, ip, now).is_ok() {
                return Some(ip);
            }
        }
        self.search(client, now)
    }

    /// Walks the range from the cursor: first for an address nobody ever had, then (when there
    /// is none) for one whose lease has ended.
    fn search(&mut self, client: &Client, now: u64) -> Option<Ipv4Addr> {
        let size = u64::from(self.last - self.first) + 1;
        let untouched_only = self.never_used > 0;
        for _ in 0..size {
            let ip = Ipv4Addr::from(self.cursor);
            self.cursor = if self.cursor == self.last {
                self.first
            } else {
                self.cursor + 1
            };
            if self.reserved.contains(ip) {
                continue;
            }
            let usable = match self.by_ip.get(&ip) {
                None => true,
                Some(_) if untouched_only => false,
                Some(lease) => lease.free_for(&client.id, now),
            };
            if usable {
                return Some(ip);
            }
        }
        None
    }

    /// Records that `ip` is now the client's, in the given state, forgetting whoever had it.
    fn bind(&mut self, client: &Client, ip: Ipv4Addr, state: State, expires: u64) -> &Lease {
        let lease = Lease {
            ip,
            state,
            client: client.id.clone(),
            mac: client.mac,
            hostname: client.hostname.clone(),
            expires,
        };
        self.put(lease);
        &self.by_ip[&ip]
    }

    /// Stores a lease, keeping every index right.
    fn put(&mut self, lease: Lease) {
        let ip = lease.ip;
        if let Some(old) = self.by_ip.get(&ip) {
            if old.client != lease.client && self.by_client.get(&old.client) == Some(&ip) {
                self.by_client.remove(&old.client);
            }
            if old.mac != lease.mac && self.by_mac.get(&old.mac) == Some(&ip) {
                self.by_mac.remove(&old.mac);
            }
        } else if self.in_range(ip) && !self.reserved.contains(ip) {
            self.never_used -= 1;
        }
        if lease.state == State::Declined {
            self.by_client.remove(&lease.client);
            self.by_mac.remove(&lease.mac);
        } else {
            self.by_client.insert(lease.client.clone(), ip);
            self.by_mac.insert(lease.mac, ip);
        }
        self.by_ip.insert(ip, lease);
    }

    /// The bound lease on another address than `ip` that the client (by identifier, or by
    /// hardware address) holds: it ends when the client takes `ip`.
    fn other_lease(&self, client: &Client, ip: Ipv4Addr) -> Option<Ipv4Addr> {
        [self.by_client.get(&client.id), self.by_mac.get(&client.mac)]
            .into_iter()
            .flatten()
            .copied()
            .find(|&old| {
                old != ip
                    && self.by_ip.get(&old).is_some_and(|l| {
                        l.state == State::Bound && (l.client == client.id || l.mac == client.mac)
                    })
            })
    }

    /// DHCPREQUEST for `ip` (selecting, init-reboot, renewing or rebinding): the lease to write
    /// to disk before the ACK, or why the answer is a NAK.
    pub fn request(&mut self, client: &Client, ip: Ipv4Addr, now: u64) -> Result<Granted, Refusal> {
        self.check(client, ip, now)?;
        let ended = self
            .other_lease(client, ip)
            .and_then(|old| self.end(old, now));
        let expires = now + self.lease_time;
        let lease = self.bind(client, ip, State::Bound, expires).clone();
        Ok(Granted { lease, ended })
    }

    /// Ends the lease on `ip` as if its client had released it.
    fn end(&mut self, ip: Ipv4Addr, now: u64) -> Option<Lease> {
        let lease = self.by_ip.get_mut(&ip)?;
        if !lease.is_active(now) {
            return None;
        }
        lease.state = State::Released;
        lease.expires = now;
        Some(lease.clone())
    }

    /// `dhcp forget`: ends the active leases on an address or of a hardware address by hand;
    /// the changes to record.
    pub fn forget(&mut self, which: Which, now: u64) -> Vec<Lease> {
        let ended = self.active_of(which, now);
        ended.iter().filter_map(|l| self.end(l.ip, now)).collect()
    }

    /// The active leases on an address or of a hardware address, in address order.
    pub fn active_of(&self, which: Which, now: u64) -> Vec<Lease> {
        let mut found: Vec<Lease> = match which {
            Which::Ip(ip) => self.by_ip.get(&ip).into_iter().cloned().collect(),
            Which::Mac(mac) => self
                .by_ip
                .values()
                .filter(|l| l.mac == mac)
                .cloned()
                .collect(),
        };
        found.retain(|l| l.is_active(now));
        found.sort_by_key(|l| l.ip);
        found
    }

    /// Another machine (`mac`) answered for `ip` before it was offered: the address is kept
    /// out of use for PROBATION, as a declined one is; the change to record.
    pub fn conflict(&mut self, ip: Ipv4Addr, mac: Mac, now: u64) -> Lease {
        let lease = Lease {
            ip,
            state: State::Declined,
            client: ClientId::from_chaddr(&mac),
            mac,
            hostname: None,
            expires: now + PROBATION,
        };
        self.put(lease.clone());
        lease
    }

    /// The lease on `ip`, if the pool has one.
    pub fn lease(&self, ip: Ipv4Addr) -> Option<&Lease> {
        self.by_ip.get(&ip)
    }

    /// DHCPRELEASE: the client gives its address back; the change to record, if any.
    pub fn release(&mut self, client: &ClientId, ip: Ipv4Addr, now: u64) -> Option<Lease> {
        let lease = self.by_ip.get_mut(&ip).filter(|l| l.client == *client)?;
        if lease.state != State::Bound {
            return None;
        }
        lease.state = State::Released;
        lease.expires = now;
        Some(lease.clone())
    }

    /// DHCPDECLINE: the client found `ip` in use; it goes on probation.
    pub fn decline(&mut self, client: &ClientId, ip: Ipv4Addr, now: u64) -> Option<Lease> {
        let lease = self.by_ip.get(&ip).filter(|l| l.client == *client)?;
        let declined = Lease {
            state: State::Declined,
            expires: now + PROBATION,
            ..lease.clone()
        };
        self.put(declined.clone());
        Some(declined)
    }

    /// Takes a lease read back from the lease file; a later record for an address replaces an
    /// earlier one, and a client's bound lease ends the one it had before on another address.
    pub fn restore(&mut self, lease: Lease) {
        if lease.state == State::Bound {
            let client = Client {
                id: lease.client.clone(),
                mac: lease.mac,
                hostname: None,
            };
            if let Some(old) = self.other_lease(&client, lease.ip)
                && let Some(l) = self.by_ip.get_mut(&old)
            {
                l.state = State::Released;
            }
        }
        self.put(lease);
    }

    /// How many addresses have a lease record (of any state): what compaction measures the
    /// lease file against.
    pub fn addresses_known(&self) -> usize {
        self.by_ip.len()
    }

    /// The leases worth keeping on disk: everything but offers.
    pub fn durable(&self) -> impl Iterator<Item = &Lease> {
        self.by_ip.values().filter(|l| l.state != State::Offered)
    }
}

/// A lease for tests: client n has MAC 02:00:00:00:00:0n and address 10.0.0.n.
#[cfg(test)]
pub fn sample(n: u8, state: State, expires: u64) -> Lease {
    let mac = [2, 0, 0, 0, 0, n];
    Lease {
        ip: Ipv4Addr::new(10, 0, 0, n),
        state,
        client: ClientId::from_chaddr(&mac),
        mac,
        hostname: None,
        expires,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_000_000;

    fn pool(first: &str, last: &str) -> Pool {
        reserving(first, last, None)
    }

    /// A pool where client 9 has a reserved address.
    fn reserving(first: &str, last: &str, for_client_9: Option<&str>) -> Pool {
        let range = Ipv4Range {
            first: first.parse().unwrap(),
            last: last.parse().unwrap(),
        };
        let reserved: Vec<HostReservation> = for_client_9
            .map(|a| format!("02:00:00:00:00:09={a}").parse().unwrap())
            .into_iter()
            .collect();
        Pool::new(range, &reserved, 3600)
    }

    fn client(n: u8) -> Client {
        let mac = [2, 0, 0, 0, 0, n];
        Client {
            id: ClientId::from_chaddr(&mac),
            mac,
            hostname: None,
        }
    }

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    /// The address offered, without the flag.
    fn offered(
        p: &mut Pool,
        c: &Client,
        requested: Option<Ipv4Addr>,
        now: u64,
    ) -> Option<Ipv4Addr> {
        p.offer(c, requested, now).map(|(ip, _)| ip)
    }

    #[test]
    fn addresses_come_from_the_range_in_order() {
        let mut p = pool("10.0.0.10", "10.0.0.12");
        for (n, want) in [(1, "10.0.0.10"), (2, "10.0.0.11"), (3, "10.0.0.12")] {
            assert_eq!(offered(&mut p, &client(n), None, NOW), Some(ip(want)));
        }
    }

    #[test]
    fn a_client_asking_again_gets_the_same_address() {
        let mut p = pool("10.0.0.10", "10.0.0.20");
        let a = offered(&mut p, &client(1), None, NOW).unwrap();
        p.request(&client(1), a, NOW).unwrap();
        offered(&mut p, &client(2), None, NOW);
        assert_eq!(offered(&mut p, &client(1), None, NOW + 10), Some(a));
        // Even after it released the address, and others came and went.
        p.release(&client(1).id, a, NOW + 20).unwrap();
        offered(&mut p, &client(3), None, NOW + 30);
        assert_eq!(offered(&mut p, &client(1), None, NOW + 40), Some(a));
    }

    #[test]
    fn a_requested_free_address_is_honoured() {
        let mut p = pool("10.0.0.10", "10.0.0.20");
        assert_eq!(
            offered(&mut p, &client(1), Some(ip("10.0.0.15")), NOW),
            Some(ip("10.0.0.15"))
        );
        assert_eq!(
            offered(&mut p, &client(2), Some(ip("10.0.0.15")), NOW),
            Some(ip("10.0.0.10"))
        );
        assert_eq!(
            offered(&mut p, &client(3), Some(ip("10.9.9.9")), NOW),
            Some(ip("10.0.0.11"))
        );
    }

    #[test]
    fn reservations_go_to_their_host_only() {
        let mut p = reserving("10.0.0.10", "10.0.0.11", Some("10.0.0.10"));
        assert_eq!(
            offered(&mut p, &client(1), Some(ip("10.0.0.10")), NOW),
            Some(ip("10.0.0.11"))
        );
        assert_eq!(offered(&mut p, &client(2), None, NOW), None);
        assert_eq!(
            offered(&mut p, &client(9), None, NOW),
            Some(ip("10.0.0.10"))
        );
        assert_eq!(
            p.request(&client(1), ip("10.0.0.10"), NOW),
            Err(Refusal::ReservedElsewhere)
        );
        assert_eq!(
            p.request(&client(9), ip("10.0.0.11"), NOW),
            Err(Refusal::ReservedElsewhere)
        );
        assert!(p.request(&client(9), ip("10.0.0.10"), NOW).is_ok());
    }

    #[test]
    fn a_reservation_outside_the_range_is_served() {
        let mut p = reserving("10.0.0.10", "10.0.0.11", Some("10.0.0.99"));
        assert_eq!(
            offered(&mut p, &client(9), None, NOW),
            Some(ip("10.0.0.99"))
        );
        assert_eq!(
            p.request(&client(1), ip("10.0.0.99"), NOW),
            Err(Refusal::ReservedElsewhere)
        );
    }

    #[test]
    fn an_exhausted_pool_offers_nothing_until_a_lease_ends() {
        let mut p = pool("10.0.0.10", "10.0.0.11");
        for n in 1..=2 {
            let a = offered(&mut p, &client(n), None, NOW).unwrap();
            p.request(&client(n), a, NOW).unwrap();
        }
        assert_eq!(offered(&mut p, &client(3), None, NOW), None);
        assert_eq!(
            offered(&mut p, &client(3), None, NOW + 3600),
            Some(ip("10.0.0.10"))
        );
    }

    #[test]
    fn offers_hold_an_address_briefly() {
        let mut p = pool("10.0.0.10", "10.0.0.10");
        assert!(offered(&mut p, &client(1), None, NOW).is_some());
        assert_eq!(offered(&mut p, &client(2), None, NOW + 1), None);
        assert_eq!(
            offered(&mut p, &client(2), None, NOW + OFFER_HOLD),
            Some(ip("10.0.0.10"))
        );
    }

    #[test]
    fn requests_for_foreign_or_taken_addresses_are_refused() {
        let mut p = pool("10.0.0.10", "10.0.0.20");
        assert_eq!(
            p.request(&client(1), ip("10.0.1.10"), NOW),
            Err(Refusal::NotOurs)
        );
        p.request(&client(1), ip("10.0.0.12"), NOW).unwrap();
        assert_eq!(
            p.request(&client(2), ip("10.0.0.12"), NOW),
            Err(Refusal::InUse)
        );
        // Renewing extends the lease.
        let renewed = p.request(&client(1), ip("10.0.0.12"), NOW + 100).unwrap();
        assert_eq!(renewed.lease.expires, NOW + 100 + 3600);
        assert_eq!(renewed.ended, None);
    }

    #[test]
    fn a_client_taking_a_new_address_ends_its_old_lease() {
        let mut p = pool("10.0.0.10", "10.0.0.20");
        p.request(&client(1), ip("10.0.0.12"), NOW).unwrap();
        let moved = p.request(&client(1), ip("10.0.0.15"), NOW + 5).unwrap();
        let ended = moved.ended.expect("the old lease ended");
        assert_eq!((ended.ip, ended.state), (ip("10.0.0.12"), State::Released));
        assert!(!p.lease(ip("10.0.0.12")).unwrap().is_active(NOW + 5));
        // The same machine with another client identifier is the same client too.
        let other_id = Client {
            id: ClientId(vec![0xff, 1, 2, 3].into()),
            ..client(1)
        };
        let again = p.request(&other_id, ip("10.0.0.16"), NOW + 6).unwrap();
        assert_eq!(again.ended.map(|l| l.ip), Some(ip("10.0.0.15")));
        let active: Vec<_> = p.durable().filter(|l| l.is_active(NOW + 6)).collect();
        assert_eq!(active.len(), 1);
    }

    #[test]
    fn a_lease_file_with_two_leases_of_one_client_keeps_the_later() {
        let mut p = pool("10.0.0.10", "10.0.0.20");
        let c = client(4);
        let bound = |last: u8| Lease {
            ip: Ipv4Addr::new(10, 0, 0, last),
            state: State::Bound,
            client: c.id.clone(),
            mac: c.mac,
            hostname: None,
            expires: NOW + 100,
        };
        p.restore(bound(11));
        p.restore(bound(12));
        let old = p.lease(ip("10.0.0.11")).unwrap();
        assert_eq!(old.state, State::Released);
        assert_eq!(offered(&mut p, &c, None, NOW), Some(ip("10.0.0.12")));
    }

    #[test]
    fn forget_ends_a_lease_by_address_or_by_mac() {
        let mut p = pool("10.0.0.10", "10.0.0.20");
        p.request(&client(1), ip("10.0.0.12"), NOW).unwrap();
        p.request(&client(2), ip("10.0.0.13"), NOW).unwrap();
        let gone = p.forget(Which::Ip(ip("10.0.0.12")), NOW + 1);
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].state, State::Released);
        assert!(p.forget(Which::Ip(ip("10.0.0.12")), NOW + 1).is_empty());
        let gone = p.forget(Which::Mac(client(2).mac), NOW + 1);
        assert_eq!(gone[0].ip, ip("10.0.0.13"));
        // A forgotten address is free for another client at once.
        assert!(p.request(&client(3), ip("10.0.0.13"), NOW + 2).is_ok());
    }

    #[test]
    fn an_address_in_use_elsewhere_sits_out_its_probation() {
        let mut p = pool("10.0.0.10", "10.0.0.11");
        let (a, known) = p.offer(&client(1), None, NOW).unwrap();
        assert!(!known, "a new address is not the client's yet");
        let l = p.conflict(a, [2, 0, 0, 0, 0, 0x99], NOW);
        assert_eq!((l.state, l.expires), (State::Declined, NOW + PROBATION));
        assert_eq!(
            offered(&mut p, &client(1), None, NOW),
            Some(ip("10.0.0.11"))
        );
        p.request(&client(1), ip("10.0.0.11"), NOW).unwrap();
        assert_eq!(
            p.offer(&client(1), None, NOW + 1),
            Some((ip("10.0.0.11"), true))
        );
        assert_eq!(offered(&mut p, &client(2), None, NOW + 1), None);
    }

    #[test]
    fn a_hostname_reservation_goes_to_the_client_sending_that_name() {
        let range: Ipv4Range = "10.0.0.10-10.0.0.20".parse().unwrap();
        let hosts: Vec<HostReservation> = vec!["printer=10.0.0.50".parse().unwrap()];
        let mut p = Pool::new(range, &hosts, 3600);
        let printer = Client {
            hostname: Some("Printer".into()),
            ..client(5)
        };
        assert_eq!(offered(&mut p, &printer, None, NOW), Some(ip("10.0.0.50")));
        assert_eq!(
            p.request(&client(6), ip("10.0.0.50"), NOW),
            Err(Refusal::ReservedElsewhere)
        );
        assert!(p.request(&printer, ip("10.0.0.50"), NOW).is_ok());
    }

    #[test]
    fn reconfiguring_keeps_the_leases() {
        let mut p = pool("10.0.0.10", "10.0.0.12");
        p.request(&client(1), ip("10.0.0.10"), NOW).unwrap();
        let hosts: Vec<HostReservation> = vec!["02:00:00:00:00:02=10.0.0.11".parse().unwrap()];
        p.reconfigure("10.0.0.10-10.0.0.20".parse().unwrap(), &hosts, 600);
        assert_eq!(p.lease_time(), 600);
        for (n, want) in [(1, "10.0.0.10"), (2, "10.0.0.11"), (3, "10.0.0.12")] {
            assert_eq!(offered(&mut p, &client(n), None, NOW), Some(ip(want)));
        }
        // 10.0.0.13-20 never had a lease: 8 untouched addresses.
        assert_eq!(p.never_used, 8);
        // A lease outside a new, smaller range is not renewed.
        p.reconfigure("10.0.0.15-10.0.0.20".parse().unwrap(), &[], 600);
        assert_eq!(
            p.request(&client(1), ip("10.0.0.10"), NOW),
            Err(Refusal::NotOurs)
        );
    }

    #[test]
    fn offers_never_requested_are_forgotten() {
        let mut p = pool("10.0.0.10", "10.0.0.200");
        for n in 1..=100 {
            offered(&mut p, &client(n), None, NOW).unwrap();
        }
        assert_eq!(p.addresses_known(), 100);
        let requested = offered(&mut p, &client(1), None, NOW).unwrap();
        p.request(&client(1), requested, NOW + 1).unwrap();
        // The next DISCOVER after the hold ends finds only the requested lease, and its own.
        let later = offered(&mut p, &client(200), None, NOW + OFFER_HOLD).unwrap();
        assert_eq!(p.addresses_known(), 2);
        assert_eq!(p.offers.len(), 1);
        // The forgotten addresses count as untouched: they go out before expired leases.
        assert_eq!(later, ip("10.0.0.110"));
        assert_eq!(p.never_used, 191 - 2);
        assert_eq!(
            offered(&mut p, &client(1), None, NOW + 2 * OFFER_HOLD),
            Some(requested)
        );
    }

    #[test]
    fn declined_addresses_sit_out_their_probation() {
        let mut p = pool("10.0.0.10", "10.0.0.11");
        let a = offered(&mut p, &client(1), None, NOW).unwrap();
        let d = p.decline(&client(1).id, a, NOW).unwrap();
        assert_eq!((d.state, d.expires), (State::Declined, NOW + PROBATION));
        assert_eq!(
            offered(&mut p, &client(1), None, NOW),
            Some(ip("10.0.0.11"))
        );
        assert_eq!(offered(&mut p, &client(2), None, NOW), None);
        // Once probation is over: the lapsed offer's address first (nobody ever had it),
        // then the declined one.
        let later = NOW + PROBATION;
        assert_eq!(
            offered(&mut p, &client(2), None, later),
            Some(ip("10.0.0.11"))
        );
        assert_eq!(offered(&mut p, &client(3), None, later), Some(a));
    }

    #[test]
    fn expired_leases_are_reused_after_untouched_addresses() {
        let mut p = pool("10.0.0.10", "10.0.0.12");
        p.request(&client(1), ip("10.0.0.10"), NOW).unwrap();
        let later = NOW + 4000;
        for (n, want) in [(2, "10.0.0.11"), (3, "10.0.0.12"), (4, "10.0.0.10")] {
            assert_eq!(offered(&mut p, &client(n), None, later), Some(ip(want)));
        }
        // The old holder now gets something else or nothing: its address went to client 4.
        assert_eq!(offered(&mut p, &client(1), None, later), None);
    }

    #[test]
    fn restored_leases_are_held_for_their_clients() {
        let mut p = pool("10.0.0.10", "10.0.0.20");
        let c = client(7);
        p.restore(Lease {
            ip: ip("10.0.0.17"),
            state: State::Bound,
            client: c.id.clone(),
            mac: c.mac,
            hostname: Some("seven".into()),
            expires: NOW + 100,
        });
        assert_eq!(offered(&mut p, &c, None, NOW), Some(ip("10.0.0.17")));
        assert_eq!(
            p.request(&client(1), ip("10.0.0.17"), NOW),
            Err(Refusal::InUse)
        );
        assert_eq!(p.durable().count(), 1);
    }
}
