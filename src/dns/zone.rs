//! The zone: the names of the segment's leases and reservations under one domain (`c1.lan`),
//! and the reverse names of the segment's addresses. Pure data: the DHCP side tells it what
//! changed, the answer logic reads it.
//!
//! Every lease and reservation may claim one name for its address. Two claims on one name are
//! settled by rank: a reservation (the administrator's word) over any lease, and among leases
//! the newer claim, since the older client most likely went away without releasing. The losing
//! claim is kept, so the name goes back to it when the winner's lease ends.

use std::collections::HashMap;
use std::fmt;
use std::net::Ipv4Addr;

use hickory_proto::rr::Name;
use ipnetwork::Ipv4Network;

use super::label::{Invalid, Label};

/// Room left in a 255-byte name for a 63-byte host label in front of the domain.
const MAX_DOMAIN_WIRE: usize = 255 - 1 - super::label::MAX_LEN;

pub struct Zone {
    apex: Name,
    reverse_apex: Name,
    subnet: Ipv4Network,
    claims: HashMap<Label, Vec<Claim>>,
    leases: HashMap<Ipv4Addr, Label>,
    reservations: HashMap<Ipv4Addr, Label>,
    /// Orders claims: a higher one is newer.
    next_claim: u64,
    /// The SOA serial: it changes whenever an answer would.
    serial: u32,
}

/// Which kind of claim; the derived order is the rank.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Lease,
    Reservation,
}

#[derive(Clone, Copy, Debug)]
struct Claim {
    ip: Ipv4Addr,
    kind: Kind,
    seq: u64,
}

/// What a change did to the answers, one line of the log each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// `name` now resolves to `ip`.
    Added { name: String, ip: Ipv4Addr },
    /// `name` resolved to `from` and now resolves to `to`.
    Moved {
        name: String,
        from: Ipv4Addr,
        to: Ipv4Addr,
        why: Why,
    },
    /// `name` no longer resolves.
    Removed { name: String, ip: Ipv4Addr },
    /// `ip` claims `name`, which stays with `holder`.
    Denied {
        name: String,
        ip: Ipv4Addr,
        holder: Ipv4Addr,
        why: Why,
    },
    /// The hostname sent by the client at `ip` is no host label: its lease goes without a name.
    Refused {
        ip: Ipv4Addr,
        hostname: String,
        why: Invalid,
    },
}

/// Why a name went to one address and not the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// The winner's is a reservation.
    Reserved,
    /// The winner's lease claimed the name later.
    Newer,
    /// The claim that held the name went; the winner's is the next in rank.
    HolderGone,
}

impl Zone {
    /// An empty zone for `domain`, answering the reverse names of `subnet`.
    pub fn new(domain: &str, subnet: Ipv4Network) -> Result<Zone, String> {
        let apex = parse_domain(domain)?;
        Ok(Zone {
            apex,
            reverse_apex: reverse_apex(subnet),
            subnet,
            claims: HashMap::new(),
            leases: HashMap::new(),
            reservations: HashMap::new(),
            next_claim: 0,
            serial: 1,
        })
    }

    /// The domain, lowercase, as a fully qualified name.
    pub fn apex(&self) -> &Name {
        &self.apex
    }

    /// The reverse zone of the subnet, cut at the octet boundary at or above its prefix
    /// (`5.0.10.in-addr.arpa` for 10.0.5.0/24): the owner of its negative answers.
    pub fn reverse_apex(&self) -> &Name {
        &self.reverse_apex
    }

    /// Whether the reverse name of `ip` is this zone's to answer.
    pub fn answers_reverse(&self, ip: Ipv4Addr) -> bool {
        self.subnet.contains(ip)
    }

    pub fn serial(&self) -> u32 {
        self.serial
    }

    /// The address `label` (lowercase) resolves to.
    pub fn address(&self, label: &str) -> Option<Ipv4Addr> {
        self.holder(label)
    }

    /// The name the reverse name of `ip` resolves to: the name `ip` holds, its reservation's
    /// before its lease's.
    pub fn name_of(&self, ip: Ipv4Addr) -> Option<&Label> {
        [self.reservations.get(&ip), self.leases.get(&ip)]
            .into_iter()
            .flatten()
            .find(|label| self.holder(label.as_str()) == Some(ip))
    }

    /// A lease on `ip` is active (it appeared, was renewed, or its client sent another name).
    pub fn lease(&mut self, ip: Ipv4Addr, hostname: Option<&str>) -> Vec<Event> {
        self.claim(Kind::Lease, ip, hostname)
    }

    /// The lease on `ip` ended: released, expired, declined or forgotten.
    pub fn release(&mut self, ip: Ipv4Addr) -> Vec<Event> {
        self.set(Kind::Lease, ip, None)
    }

    /// A reservation of `ip`, with the name it gives (or none).
    pub fn reserve(&mut self, ip: Ipv4Addr, name: Option<&str>) -> Vec<Event> {
        self.claim(Kind::Reservation, ip, name)
    }

    /// `ip` is reserved no more.
    pub fn unreserve(&mut self, ip: Ipv4Addr) -> Vec<Event> {
        self.set(Kind::Reservation, ip, None)
    }

    fn claim(&mut self, kind: Kind, ip: Ipv4Addr, hostname: Option<&str>) -> Vec<Event> {
        match hostname.map(|h| self.host_label(h)).transpose() {
            Ok(label) => self.set(kind, ip, label),
            Err(why) => {
                let mut events = self.set(kind, ip, None);
                events.insert(
                    0,
                    Event::Refused {
                        ip,
                        hostname: printable(hostname.unwrap_or_default()),
                        why,
                    },
                );
                events
            }
        }
    }

    /// The host label a client means: `c1`, `C1.` and `c1.lan` all mean `c1` in `lan`.
    fn host_label(&self, hostname: &str) -> Result<Label, Invalid> {
        let name = hostname.strip_suffix('.').unwrap_or(hostname);
        let domain = self.apex.to_ascii();
        let domain = domain.trim_end_matches('.');
        let name = match name.len().checked_sub(domain.len() + 1) {
            Some(cut)
                if name.is_char_boundary(cut)
                    && name[cut..].starts_with('.')
                    && name[cut + 1..].eq_ignore_ascii_case(domain) =>
            {
                &name[..cut]
            }
            _ => name,
        };
        let label = Label::parse(name)?;
        // A plain one-label query for the domain itself asks for the zone, never for a host.
        if label.as_str() == domain {
            return Err(Invalid::Reserved);
        }
        Ok(label)
    }

    /// Replaces the claim of `kind` on `ip` and says what that did to the answers.
    fn set(&mut self, kind: Kind, ip: Ipv4Addr, new: Option<Label>) -> Vec<Event> {
        let map = match kind {
            Kind::Lease => &mut self.leases,
            Kind::Reservation => &mut self.reservations,
        };
        let old = match &new {
            Some(label) => map.insert(ip, label.clone()),
            None => map.remove(&ip),
        };
        if old == new {
            return Vec::new();
        }
        let affected: Vec<Label> = old.iter().chain(new.iter()).cloned().collect();
        let before: Vec<Option<Ipv4Addr>> =
            affected.iter().map(|l| self.holder(l.as_str())).collect();
        if let Some(old) = &old {
            self.drop_claim(old, kind, ip);
        }
        if let Some(label) = &new {
            self.next_claim += 1;
            let claim = Claim {
                ip,
                kind,
                seq: self.next_claim,
            };
            self.claims.entry(label.clone()).or_default().push(claim);
        }
        let mut events = Vec::new();
        for (label, before) in affected.iter().zip(before) {
            let after = self.holder(label.as_str());
            let name = self.fqdn(label);
            match (before, after) {
                (None, Some(ip)) => events.push(Event::Added { name, ip }),
                (Some(ip), None) => events.push(Event::Removed { name, ip }),
                (Some(from), Some(to)) if from != to => {
                    let why = self.why_holds(label, to, to == ip);
                    events.push(Event::Moved {
                        name,
                        from,
                        to,
                        why,
                    })
                }
                (_, Some(holder)) if Some(label) == new.as_ref() && holder != ip => {
                    let why = self.why_holds(label, holder, true);
                    events.push(Event::Denied {
                        name,
                        ip,
                        holder,
                        why,
                    })
                }
                _ => {}
            }
        }
        if events
            .iter()
            .any(|e| !matches!(e, Event::Denied { .. } | Event::Refused { .. }))
        {
            self.serial = self.serial.wrapping_add(1);
        }
        events
    }

    fn drop_claim(&mut self, label: &Label, kind: Kind, ip: Ipv4Addr) {
        if let Some(claims) = self.claims.get_mut(label) {
            claims.retain(|c| !(c.ip == ip && c.kind == kind));
            if claims.is_empty() {
                self.claims.remove(label);
            }
        }
    }

    fn holder(&self, label: &str) -> Option<Ipv4Addr> {
        self.top_claim(label).map(|c| c.ip)
    }

    fn top_claim(&self, label: &str) -> Option<&Claim> {
        self.claims
            .get(label)?
            .iter()
            .max_by_key(|c| (c.kind, c.seq))
    }

    /// Why `holder` holds `label`: `contested` when it won over another claim just now,
    /// rather than inheriting the name from a claim that went.
    fn why_holds(&self, label: &Label, holder: Ipv4Addr, contested: bool) -> Why {
        match self.top_claim(label.as_str()) {
            Some(c) if c.kind == Kind::Reservation && c.ip == holder => Why::Reserved,
            _ if contested => Why::Newer,
            _ => Why::HolderGone,
        }
    }

    fn fqdn(&self, label: &Label) -> String {
        format!("{label}.{}", self.apex.to_ascii().trim_end_matches('.'))
    }
}

/// The domain as a lowercase FQDN, each label a valid host label, short enough that every
/// host name under it still fits in 255 bytes.
fn parse_domain(domain: &str) -> Result<Name, String> {
    let bad = |why: String| format!("invalid domain {:?}: {why}", printable(domain));
    let trimmed = domain.strip_suffix('.').unwrap_or(domain);
    let mut labels = Vec::new();
    for part in trimmed.split('.') {
        let label = Label::parse(part).map_err(|e| bad(format!("label {part:?} is {e}")))?;
        labels.push(label);
    }
    let wire: usize = labels.iter().map(|l| l.as_str().len() + 1).sum::<usize>() + 1;
    if wire > MAX_DOMAIN_WIRE {
        return Err(bad(format!(
            "{wire} bytes long, more than the {MAX_DOMAIN_WIRE} that leave room for host names"
        )));
    }
    Name::from_labels(labels.iter().map(Label::as_str)).map_err(|e| bad(e.to_string()))
}

fn reverse_apex(subnet: Ipv4Network) -> Name {
    let whole_octets = usize::from(subnet.prefix() / 8);
    let octets = subnet.network().octets();
    let labels: Vec<String> = octets[..whole_octets]
        .iter()
        .rev()
        .map(|o| o.to_string())
        .chain(["in-addr".into(), "arpa".into()])
        .collect();
    Name::from_labels(labels.iter().map(String::as_str)).expect("decimal octets are valid labels")
}

/// A hostile string made fit for one log line: escaped, and cut short.
fn printable(text: &str) -> String {
    const MAX: usize = 80;
    let escaped: String = text.escape_debug().collect();
    match escaped.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &escaped[..cut]),
        None => escaped,
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Added { name, ip } => write!(f, "{name} is {ip}"),
            Event::Moved {
                name,
                from,
                to,
                why,
            } => {
                write!(f, "{name} is {to}, no longer {from}: {why}")
            }
            Event::Removed { name, ip } => write!(f, "{name} ({ip}) is gone"),
            Event::Denied {
                name,
                ip,
                holder,
                why,
            } => write!(f, "{name} stays {holder}, not {ip}: {why}"),
            Event::Refused { ip, hostname, why } => {
                write!(
                    f,
                    "{ip} goes without a name: hostname \"{hostname}\" is {why}"
                )
            }
        }
    }
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Why::Reserved => "the name is reserved for it",
            Why::Newer => "its lease claimed the name later",
            Why::HolderGone => "the lease that held the name ended",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone() -> Zone {
        Zone::new("lan", "10.0.5.0/24".parse().unwrap()).unwrap()
    }

    fn ip(last: u8) -> Ipv4Addr {
        Ipv4Addr::new(10, 0, 5, last)
    }

    fn added(name: &str, last: u8) -> Event {
        Event::Added {
            name: name.into(),
            ip: ip(last),
        }
    }

    fn removed(name: &str, last: u8) -> Event {
        Event::Removed {
            name: name.into(),
            ip: ip(last),
        }
    }

    fn moved(name: &str, from: u8, to: u8, why: Why) -> Event {
        Event::Moved {
            name: name.into(),
            from: ip(from),
            to: ip(to),
            why,
        }
    }

    #[test]
    fn a_lease_names_its_address_both_ways() {
        let mut z = zone();
        assert_eq!(z.lease(ip(10), Some("C1")), vec![added("c1.lan", 10)]);
        assert_eq!(z.address("c1"), Some(ip(10)));
        assert_eq!(z.name_of(ip(10)).map(Label::as_str), Some("c1"));
        assert_eq!(z.address("c2"), None);
        assert_eq!(z.name_of(ip(11)), None);
    }

    #[test]
    fn a_renewal_changes_nothing() {
        let mut z = zone();
        z.lease(ip(10), Some("c1"));
        let serial = z.serial();
        assert_eq!(z.lease(ip(10), Some("c1")), vec![]);
        assert_eq!(z.lease(ip(10), Some("C1.lan.")), vec![]);
        assert_eq!(z.serial(), serial);
    }

    #[test]
    fn a_new_hostname_replaces_the_old_one_at_once() {
        let mut z = zone();
        z.lease(ip(10), Some("c1"));
        let serial = z.serial();
        assert_eq!(
            z.lease(ip(10), Some("web")),
            vec![removed("c1.lan", 10), added("web.lan", 10)]
        );
        assert_eq!(z.address("c1"), None);
        assert_eq!(z.address("web"), Some(ip(10)));
        assert_ne!(z.serial(), serial);
    }

    #[test]
    fn a_released_lease_takes_its_name_along() {
        let mut z = zone();
        z.lease(ip(10), Some("c1"));
        assert_eq!(z.release(ip(10)), vec![removed("c1.lan", 10)]);
        assert_eq!(z.address("c1"), None);
        assert_eq!(z.name_of(ip(10)), None);
        assert_eq!(z.release(ip(10)), vec![]);
    }

    #[test]
    fn the_newer_lease_wins_a_name_and_the_older_gets_it_back() {
        let mut z = zone();
        z.lease(ip(10), Some("web"));
        assert_eq!(
            z.lease(ip(11), Some("web")),
            vec![moved("web.lan", 10, 11, Why::Newer)]
        );
        assert_eq!(z.address("web"), Some(ip(11)));
        // The loser keeps its address, without a reverse name that would not match.
        assert_eq!(z.name_of(ip(10)), None);
        // Renewing the older lease does not take the name back...
        assert_eq!(z.lease(ip(10), Some("web")), vec![]);
        assert_eq!(z.address("web"), Some(ip(11)));
        // ...the end of the newer one does.
        assert_eq!(
            z.release(ip(11)),
            vec![moved("web.lan", 11, 10, Why::HolderGone)]
        );
        assert_eq!(z.name_of(ip(10)).map(Label::as_str), Some("web"));
    }

    #[test]
    fn a_reserved_name_stays_with_its_reservation() {
        let mut z = zone();
        assert_eq!(
            z.reserve(ip(5), Some("printer")),
            vec![added("printer.lan", 5)]
        );
        assert_eq!(
            z.lease(ip(20), Some("printer")),
            vec![Event::Denied {
                name: "printer.lan".into(),
                ip: ip(20),
                holder: ip(5),
                why: Why::Reserved
            }]
        );
        assert_eq!(z.address("printer"), Some(ip(5)));
        assert_eq!(
            z.unreserve(ip(5)),
            vec![moved("printer.lan", 5, 20, Why::HolderGone)]
        );
    }

    #[test]
    fn a_reservation_takes_a_name_a_lease_held() {
        let mut z = zone();
        z.lease(ip(20), Some("nas"));
        assert_eq!(
            z.reserve(ip(6), Some("nas")),
            vec![moved("nas.lan", 20, 6, Why::Reserved)]
        );
    }

    #[test]
    fn a_reservation_names_its_address_before_the_lease_on_it() {
        let mut z = zone();
        z.reserve(ip(7), Some("db"));
        z.lease(ip(7), Some("debian"));
        assert_eq!(z.name_of(ip(7)).map(Label::as_str), Some("db"));
        assert_eq!(z.address("debian"), Some(ip(7)));
        // The lease ending leaves the reservation's name in place.
        z.release(ip(7));
        assert_eq!(z.address("db"), Some(ip(7)));
        assert_eq!(z.address("debian"), None);
    }

    #[test]
    fn a_hostile_hostname_leaves_the_lease_nameless() {
        let mut z = zone();
        z.lease(ip(10), Some("c1"));
        let events = z.lease(ip(10), Some("evil\n\u{1b}[31m name"));
        assert_eq!(
            events[0],
            Event::Refused {
                ip: ip(10),
                hostname: "evil\\n\\u{1b}[31m name".into(),
                why: Invalid::Character(b'\n')
            }
        );
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!(z.address("c1"), None);
        assert!(!events[0].to_string().contains('\n'));
    }

    #[test]
    fn hostnames_outside_the_domain_or_standing_for_it_are_refused() {
        let mut z = zone();
        for (hostname, why) in [
            ("www.example.com", Invalid::OtherDomain),
            ("c1.lan.example", Invalid::OtherDomain),
            ("lan", Invalid::Reserved),
            ("localhost", Invalid::Reserved),
            (".lan", Invalid::Empty),
        ] {
            let events = z.lease(ip(10), Some(hostname));
            assert!(
                matches!(&events[..], [Event::Refused { why: w, .. }] if *w == why),
                "{hostname}: {events:?}"
            );
        }
        let long = "x".repeat(500);
        let events = z.lease(ip(10), Some(&long));
        let Event::Refused { hostname, .. } = &events[0] else {
            panic!("{events:?}")
        };
        assert!(hostname.len() < 90, "a log line stays short");
    }

    #[test]
    fn a_domain_is_checked_and_lowercased() {
        let z = Zone::new("Home.Arpa.", "10.0.5.0/24".parse().unwrap()).unwrap();
        assert_eq!(z.apex().to_ascii(), "home.arpa.");
        let mut z = z;
        assert_eq!(
            z.lease(ip(3), Some("tv.HOME.arpa")),
            vec![added("tv.home.arpa", 3)]
        );
        for bad in ["", "a..b", "bad_domain", "-x", &"d".repeat(64)] {
            assert!(
                Zone::new(bad, "10.0.5.0/24".parse().unwrap()).is_err(),
                "{bad:?}"
            );
        }
        let long = vec!["abcdefghij"; 18].join(".");
        let err = Zone::new(&long, "10.0.5.0/24".parse().unwrap())
            .err()
            .unwrap();
        assert!(err.contains("room for host names"), "{err}");
    }

    #[test]
    fn the_reverse_zone_is_cut_at_an_octet() {
        let rev = |net: &str| {
            let z = Zone::new("lan", net.parse().unwrap()).unwrap();
            z.reverse_apex().to_ascii()
        };
        assert_eq!(rev("10.0.5.0/24"), "5.0.10.in-addr.arpa.");
        assert_eq!(rev("10.0.5.128/25"), "5.0.10.in-addr.arpa.");
        assert_eq!(rev("172.16.0.0/12"), "172.in-addr.arpa.");
        assert_eq!(rev("192.168.0.0/16"), "168.192.in-addr.arpa.");
        let z = zone();
        assert!(z.answers_reverse(ip(200)));
        assert!(!z.answers_reverse(Ipv4Addr::new(10, 0, 6, 1)));
    }

    #[test]
    fn events_read_as_log_lines() {
        let moved = Event::Moved {
            name: "web.lan".into(),
            from: ip(10),
            to: ip(11),
            why: Why::Newer,
        };
        assert_eq!(
            moved.to_string(),
            "web.lan is 10.0.5.11, no longer 10.0.5.10: its lease claimed the name later"
        );
    }
}
