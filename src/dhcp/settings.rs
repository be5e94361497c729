//! What a server runs with: the settings of its command line as the command resolved them
//! (the hosts file read, the default upstreams found), and the bridge as the kernel has it.
//! A second `dhcp serve` on the bridge sends its `Config` to the running server, which takes
//! it over and says what changed (`changes`): nothing, and the command says `unchanged`.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;

use ipnetwork::Ipv4Network;
use serde::{Deserialize, Serialize};

use super::addressing::is_host;
use super::pool::Mac;
use super::reservations;
use super::wire::NetParams;
use crate::cli::{HostReservation, Ipv4Range, Owner};
use crate::dns::zone::Zone;
use crate::msg::link::format_mac;

/// The DNS port the server answers on.
pub const DNS_PORT: u16 = 53;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub range: Ipv4Range,
    /// `--router`; None: the bridge's address.
    pub router: Option<Ipv4Addr>,
    /// `--dns`: the DNS servers handed out instead of the bridge's own.
    pub dns: Vec<Ipv4Addr>,
    /// Seconds.
    pub lease_time: u64,
    /// `--host`.
    pub hosts: Vec<HostReservation>,
    pub hosts_file: Option<PathBuf>,
    /// The reservations the hosts file held when it was last read.
    pub file_hosts: Vec<HostReservation>,
    /// A DNS server on the bridge's address (not `--no-dns`).
    pub serve_dns: bool,
    pub domain: String,
    /// Where names outside the domain are resolved: `--upstream`, else the host's resolvers.
    pub upstreams: Vec<SocketAddr>,
    /// Other DHCP servers' replies kept off the bridge (not `--allow-other-servers`).
    pub guard: bool,
    pub lease_file: PathBuf,
    pub log_file: Option<PathBuf>,
}

/// Everything a server needs to serve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    pub bridge: String,
    pub ifindex: u32,
    /// The bridge's hardware address, the sender of ARP probes.
    pub mac: Mac,
    /// The bridge's address and prefix in the range's subnet.
    pub subnet: Ipv4Network,
    /// The bridge's MTU, handed out (option 26).
    pub mtu: u16,
    pub settings: Settings,
}

impl Config {
    /// What every reply tells clients: the bridge as DNS server and the domain, unless DNS is
    /// off or `--dns` names other servers.
    pub fn params(&self) -> NetParams {
        let s = &self.settings;
        let own_dns = s.dns.is_empty() && s.serve_dns;
        NetParams {
            server_id: self.subnet.ip(),
            netmask: self.subnet.mask(),
            router: s.router.unwrap_or(self.subnet.ip()),
            dns: if own_dns {
                vec![self.subnet.ip()]
            } else {
                s.dns.clone()
            },
            domain: own_dns.then(|| s.domain.clone()),
            mtu: self.mtu,
        }
    }

    /// What the kernel cannot judge but a server must not start with: the range fits the
    /// subnet, reservations are host addresses of it and none is made twice, the domain is
    /// one DNS can serve.
    pub fn check(&self) -> Result<(), String> {
        super::addressing::check_range(self.subnet, self.settings.range)
            .map_err(|e| e.to_string())?;
        let all = self.reservations();
        reservations::check(&all)?;
        for h in &all {
            if !is_host(self.subnet, h.ip) || h.ip == self.subnet.ip() {
                let owner = match &h.owner {
                    Owner::Mac(mac) => format_mac(&mac.0),
                    Owner::Hostname(name) => format!("hostname {name}"),
                };
                return Err(format!(
                    "reservation {} for {owner} is not a host address of {}, the subnet served \
                     on {}",
                    h.ip, self.subnet, self.bridge
                ));
            }
        }
        Zone::new(&self.settings.domain, self.subnet).map(|_| ())
    }

    /// Every reservation: the command line's, then the hosts file's.
    pub fn reservations(&self) -> Vec<HostReservation> {
        let s = &self.settings;
        s.hosts.iter().chain(&s.file_hosts).cloned().collect()
    }

    /// Where the DNS server answers, when there is one.
    pub fn dns_listen(&self) -> Option<SocketAddrV4> {
        self.settings
            .serve_dns
            .then(|| SocketAddrV4::new(self.subnet.ip(), DNS_PORT))
    }

    /// Whether the DNS server must be started again to serve `new`.
    pub fn dns_differs(&self, new: &Config) -> bool {
        let (a, b) = (&self.settings, &new.settings);
        self.dns_listen() != new.dns_listen()
            || (b.serve_dns && (a.domain != b.domain || a.upstreams != b.upstreams))
    }

    /// What serving `new` instead changes, one phrase each (`range A -> B`, `+host H`); empty
    /// when nothing does.
    pub fn changes(&self, new: &Config) -> Vec<String> {
        let (a, b) = (&self.settings, &new.settings);
        let mut out = Vec::new();
        let mut differs = |what: &str, old: String, new: String| {
            if old != new {
                out.push(format!("{what} {old} -> {new}"));
            }
        };
        differs("subnet", self.subnet.to_string(), new.subnet.to_string());
        differs("mtu", self.mtu.to_string(), new.mtu.to_string());
        differs("range", a.range.to_string(), b.range.to_string());
        differs("router", or_default(&a.router), or_default(&b.router));
        differs(
            "lease time",
            format!("{}s", a.lease_time),
            format!("{}s", b.lease_time),
        );
        differs("--dns", list(&a.dns), list(&b.dns));
        differs(
            "hosts file",
            or_default(&path(&a.hosts_file)),
            or_default(&path(&b.hosts_file)),
        );
        differs("dns", on_off(a.serve_dns), on_off(b.serve_dns));
        differs("domain", a.domain.clone(), b.domain.clone());
        differs("upstreams", list(&a.upstreams), list(&b.upstreams));
        differs("guard", on_off(a.guard), on_off(b.guard));
        differs(
            "log file",
            or_default(&path(&a.log_file)),
            or_default(&path(&b.log_file)),
        );
        let (old, new) = (self.reservations(), new.reservations());
        for h in old.iter().filter(|h| !new.contains(h)) {
            out.push(format!("-host {h}"));
        }
        for h in new.iter().filter(|h| !old.contains(h)) {
            out.push(format!("+host {h}"));
        }
        out
    }
}

fn or_default<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map_or("default".into(), ToString::to_string)
}

fn path(p: &Option<PathBuf>) -> Option<String> {
    p.as_ref().map(|p| p.display().to_string())
}

fn on_off(on: bool) -> String {
    if on { "on" } else { "off" }.into()
}

fn list<T: ToString>(items: &[T]) -> String {
    if items.is_empty() {
        return "none".into();
    }
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A server on br0 (10.0.5.1/24) with DNS on and one reservation.
    pub fn config() -> Config {
        Config {
            bridge: "br0".into(),
            ifindex: 7,
            mac: [2, 0, 0, 0, 0, 0xfe],
            subnet: "10.0.5.1/24".parse().unwrap(),
            mtu: 1450,
            settings: Settings {
                range: "10.0.5.100-10.0.5.150".parse().unwrap(),
                router: None,
                dns: vec![],
                lease_time: 3600,
                hosts: vec!["02:00:00:00:00:01=10.0.5.10,web".parse().unwrap()],
                hosts_file: None,
                file_hosts: vec![],
                serve_dns: true,
                domain: "lan".into(),
                upstreams: vec!["192.0.2.53:53".parse().unwrap()],
                guard: true,
                lease_file: "/var/lib/l2x/dhcp-br0.leases".into(),
                log_file: None,
            },
        }
    }

    #[test]
    fn the_bridge_is_the_dns_server_unless_dns_names_others() {
        let mut c = config();
        let p = c.params();
        assert_eq!(p.dns, vec![Ipv4Addr::new(10, 0, 5, 1)]);
        assert_eq!(p.domain.as_deref(), Some("lan"));
        c.settings.dns = vec![Ipv4Addr::new(192, 0, 2, 53)];
        let p = c.params();
        assert_eq!(
            (p.dns, p.domain),
            (vec![Ipv4Addr::new(192, 0, 2, 53)], None)
        );
        c.settings.dns.clear();
        c.settings.serve_dns = false;
        assert!(c.params().dns.is_empty() && c.dns_listen().is_none());
    }

    #[test]
    fn changes_are_named_one_by_one() {
        let a = config();
        assert!(a.changes(&a.clone()).is_empty());
        let mut b = a.clone();
        b.settings.range = "10.0.5.100-10.0.5.200".parse().unwrap();
        b.settings.file_hosts = vec!["printer=10.0.5.11".parse().unwrap()];
        b.settings.upstreams = vec![];
        assert_eq!(
            a.changes(&b),
            [
                "range 10.0.5.100-10.0.5.150 -> 10.0.5.100-10.0.5.200",
                "upstreams 192.0.2.53:53 -> none",
                "+host printer=10.0.5.11"
            ]
        );
        assert!(a.dns_differs(&b));
        let mut c = a.clone();
        c.settings.lease_time = 60;
        assert!(!a.dns_differs(&c));
    }
}
