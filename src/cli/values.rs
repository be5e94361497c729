//! Parsers for the values on l2x's command line. A value that fails here never reaches the
//! kernel: clap reports it and the exit status is 2.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;
use std::time::Duration;

use ipnetwork::{IpNetwork, Ipv4Network};
use serde::{Deserialize, Serialize};

use crate::dns::label::Label;
use crate::msg::link::format_mac;

/// An interface name the kernel will accept: 1-15 bytes, no `/`, `:` or whitespace, not `.`
/// or `..` (the kernel's dev_valid_name()), and no `%`: the kernel reads `%d` in a new link's
/// name as "the next free number", so `a%d` would make a0, then a1, never the name asked for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IfName(String);

impl IfName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IfName {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for IfName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "" => Err("an interface name cannot be empty".into()),
            "." | ".." => Err(format!("'{s}' is not a valid interface name")),
            _ if s.len() > 15 => Err(format!(
                "interface names are at most 15 bytes; this one has {}",
                s.len()
            )),
            _ if s.contains('/') || s.contains(':') => {
                Err("an interface name cannot contain '/' or ':'".into())
            }
            _ if s.chars().any(char::is_whitespace) => {
                Err("an interface name cannot contain whitespace".into())
            }
            _ if s.contains('%') => Err(
                "an interface name cannot contain '%' (the kernel would number it: a%d becomes a0)"
                    .into(),
            ),
            _ if s.chars().any(char::is_control) => {
                Err("an interface name cannot contain control characters".into())
            }
            _ => Ok(IfName(s.to_string())),
        }
    }
}

/// A unicast Ethernet address, in any spelling in common use: `aa:bb:cc:dd:ee:ff`,
/// `AA-BB-CC-DD-EE-FF` (Windows) or `aabb.ccdd.eeff` (Cisco), upper or lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mac(pub [u8; 6]);

impl FromStr for Mac {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("'{s}' is not a MAC address (want six hex pairs: 02:00:00:00:00:01)");
        let mac = mac_bytes(s).ok_or_else(bad)?;
        if mac[0] & 1 != 0 {
            return Err(format!(
                "{s} is a multicast address; an interface needs a unicast one"
            ));
        }
        if mac == [0; 6] {
            return Err("00:00:00:00:00:00 cannot be an interface's address".into());
        }
        Ok(Mac(mac))
    }
}

/// The six bytes of a MAC in one of the spellings `Mac` takes: twelve hex digits, in six
/// pairs joined by one of `:` and `-`, or in three groups of four joined by `.`.
fn mac_bytes(s: &str) -> Option<[u8; 6]> {
    let pairs: Vec<&str> = if s.contains('.') {
        let groups: Vec<&str> = s.split('.').collect();
        if groups.len() != 3 || groups.iter().any(|g| g.len() != 4 || !g.is_ascii()) {
            return None;
        }
        groups.iter().flat_map(|g| [&g[..2], &g[2..]]).collect()
    } else {
        let sep = if s.contains('-') { '-' } else { ':' };
        s.split(sep).collect()
    };
    if pairs.len() != 6 || pairs.iter().any(|p| p.len() != 2) {
        return None;
    }
    let mut mac = [0u8; 6];
    for (byte, pair) in mac.iter_mut().zip(&pairs) {
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(mac)
}

/// An interface address with its prefix length, `10.0.5.1/24` or `2001:db8::1/64`. The prefix
/// is required: `ip` would silently take a bare address as /32.
pub fn cidr(s: &str) -> Result<IpNetwork, String> {
    if !s.contains('/') {
        return Err(format!(
            "'{s}' has no prefix length (write it as {s}/24, for example)"
        ));
    }
    s.parse::<IpNetwork>()
        .map_err(|e| format!("'{s}' is not an address with prefix length: {e}"))
}

/// An address to give an interface, with its prefix length: unicast, and with a prefix that
/// leaves something outside it.
pub fn iface_addr(s: &str) -> Result<IpNetwork, String> {
    let net = cidr(s)?;
    let ip = net.ip();
    let broadcast = matches!(ip, std::net::IpAddr::V4(v4) if v4.is_broadcast());
    if ip.is_unspecified() || ip.is_multicast() || broadcast {
        return Err(format!(
            "{ip} is not an address an interface can have (want a unicast address such as 10.0.5.1/24)"
        ));
    }
    if net.prefix() == 0 {
        return Err(format!(
            "{s}: a /0 prefix covers every address (want 10.0.5.1/24, for example)"
        ));
    }
    Ok(net)
}

/// A lab's namespace prefix: a few letters, digits and dashes, short enough that the longest
/// namespace name it makes still fits a file name.
pub fn lab_prefix(s: &str) -> Result<String, String> {
    let fine = !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if fine {
        Ok(s.to_string())
    } else {
        Err(format!(
            "'{s}' is not a lab prefix (1-32 letters, digits, '-' or '_')"
        ))
    }
}

/// An L2TPv3 cookie: 4 or 8 bytes, written in hex (`0102030405060708`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookie(pub Vec<u8>);

pub fn cookie(s: &str) -> Result<Cookie, String> {
    let hex = s.strip_prefix("0x").unwrap_or(s);
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("'{s}' is not hex"));
    }
    if hex.len() != 8 && hex.len() != 16 {
        return Err(format!(
            "a cookie is 4 or 8 bytes, written as 8 or 16 hex digits; '{s}' has {} digits",
            hex.len()
        ));
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .map(Cookie)
        .map_err(|_| format!("'{s}' is not hex"))
}

/// An IPv4 network to masquerade, `10.0.5.0/24`. Host bits are allowed here (the command
/// clears them and says so); /0 is refused, as nothing would lie outside it.
pub fn ipv4_cidr(s: &str) -> Result<Ipv4Network, String> {
    match cidr(s)? {
        IpNetwork::V6(_) => Err(format!(
            "{s} is IPv6: IPv6 masquerade is not supported yet (give an IPv4 network such as \
             10.0.5.0/24)"
        )),
        IpNetwork::V4(net) if net.prefix() == 0 => Err(format!(
            "{s} covers every address, so no destination lies outside it (give the \
             containers' network, such as 10.0.5.0/24)"
        )),
        IpNetwork::V4(net) => Ok(net),
    }
}

pub use crate::msg::nft::forward::PortRange;

/// A port or a range of ports, `8080` or `5000-5010`.
pub fn port_range(s: &str) -> Result<PortRange, String> {
    let port = |p: &str| match p.trim().parse::<u16>() {
        Ok(0) | Err(_) => Err(format!(
            "'{s}' is not a port or range (1-65535: 8080, 5000-5010)"
        )),
        Ok(n) => Ok(n),
    };
    let (first, last) = match s.split_once('-') {
        Some((a, b)) => (port(a)?, port(b)?),
        None => (port(s)?, port(s)?),
    };
    if first > last {
        return Err(format!("range {s} ends before it starts"));
    }
    Ok(PortRange { first, last })
}

/// Where connections go: `10.0.5.10` or `10.0.5.10:80`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub ip: Ipv4Addr,
    pub port: Option<u16>,
}

pub fn target(s: &str) -> Result<Target, String> {
    let bad = || format!("'{s}' is not IP or IP:PORT (10.0.5.10:80)");
    let (ip, port) = match s.split_once(':') {
        Some((ip, port)) => (
            ip,
            Some(
                port.parse::<u16>()
                    .ok()
                    .filter(|&p| p > 0)
                    .ok_or_else(bad)?,
            ),
        ),
        None => (s, None),
    };
    let ip: Ipv4Addr = ip.parse().map_err(|_| bad())?;
    if ip.is_unspecified() || ip.is_multicast() || ip.is_broadcast() || ip.is_loopback() {
        return Err(format!("{ip} is not a machine to send connections to"));
    }
    Ok(Target { ip, port })
}

/// An IPv4 address range `FIRST-LAST`, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Ipv4Range {
    pub first: Ipv4Addr,
    pub last: Ipv4Addr,
}

impl Ipv4Range {
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        (self.first..=self.last).contains(&ip)
    }
}

impl fmt::Display for Ipv4Range {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}-{}", self.first, self.last)
    }
}

impl FromStr for Ipv4Range {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad =
            || format!("'{s}' is not an address range (want FIRST-LAST: 10.0.5.100-10.0.5.200)");
        let (first, last) = s.split_once('-').ok_or_else(bad)?;
        let first: Ipv4Addr = first.trim().parse().map_err(|_| bad())?;
        let last: Ipv4Addr = last.trim().parse().map_err(|_| bad())?;
        if first > last {
            return Err(format!("range {s} ends before it starts"));
        }
        Ok(Ipv4Range { first, last })
    }
}

/// Values kept in a server's settings (sent to the running server by a second `dhcp serve`)
/// as written on the command line, and read back with the command line's own checks.
macro_rules! serde_as_text {
    ($($t:ty),*) => {$(
        impl TryFrom<String> for $t {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                s.parse()
            }
        }

        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.to_string()
            }
        }
    )*};
}

serde_as_text!(Ipv4Range, HostReservation);

/// A duration as people write it: `90s`, `30m`, `12h`, `1d`, or bare seconds.
pub fn duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("'{s}' is not a duration (want 90s, 30m, 12h or 1d)");
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return Err(bad()),
    };
    let secs = n
        .checked_mul(scale)
        .filter(|&t| t > 0 && t <= u64::from(u32::MAX));
    secs.map(Duration::from_secs)
        .ok_or_else(|| format!("'{s}' is out of range (1s to about 136 years)"))
}

/// `--host MAC=IP[,NAME]` or `--host NAME=IP`: an address reserved for one machine, known
/// by its hardware address or by the hostname it sends (option 12, as dnsmasq's
/// `dhcp-host=NAME,IP` matches it), and the name it has in DNS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HostReservation {
    pub owner: Owner,
    pub ip: Ipv4Addr,
    /// The name the address has in DNS: NAME, which for `NAME=IP` is the owner.
    pub name: Option<Label>,
}

/// Whom a reservation is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Owner {
    Mac(Mac),
    /// A client sending this hostname (lowercase, first label only).
    Hostname(Label),
}

impl FromStr for HostReservation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (who, rest) = s.split_once('=').ok_or_else(|| {
            format!("'{s}' is not MAC=IP[,NAME] or NAME=IP (02:00:00:00:00:01=10.0.5.10,web)")
        })?;
        let (ip, name) = match rest.split_once(',') {
            Some((ip, name)) => (ip, Some(host_label(name, s)?)),
            None => (rest, None),
        };
        let ip: Ipv4Addr = ip
            .parse()
            .map_err(|_| format!("'{ip}' in '{s}' is not an IPv4 address"))?;
        if mac_bytes(who).is_some() {
            return Ok(HostReservation {
                owner: Owner::Mac(who.parse()?),
                ip,
                name,
            });
        }
        if name.is_some() {
            return Err(format!(
                "'{who}' in '{s}' is not a MAC address: NAME=IP takes no second name"
            ));
        }
        let owner = host_label(who, s)?;
        Ok(HostReservation {
            name: Some(owner.clone()),
            owner: Owner::Hostname(owner),
            ip,
        })
    }
}

/// `--hostname NAME`: one DNS label (letters, digits, hyphens).
pub fn hostname(s: &str) -> Result<Label, String> {
    Label::parse(s).map_err(|why| format!("'{s}' is no host name: {why}"))
}

fn host_label(name: &str, s: &str) -> Result<Label, String> {
    Label::parse(name).map_err(|why| format!("'{name}' in '{s}' is no host name: {why}"))
}

impl fmt::Display for HostReservation {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match &self.owner {
            Owner::Mac(mac) => {
                write!(f, "{}={}", format_mac(&mac.0), self.ip)?;
                match &self.name {
                    Some(name) => write!(f, ",{name}"),
                    None => Ok(()),
                }
            }
            Owner::Hostname(name) => write!(f, "{name}={}", self.ip),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_names_follow_the_kernel_rules() {
        for good in ["br0", "superbr0", "a", "eth0.100", "fifteen-bytes-x"] {
            assert!(good.parse::<IfName>().is_ok(), "{good}");
        }
        for bad in [
            "",
            ".",
            "..",
            "sixteen-bytes-xx",
            "a/b",
            "a b",
            "a:b",
            "tab\t",
            "a%d",
            "esc\u{1b}",
        ] {
            assert!(bad.parse::<IfName>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn macs_must_be_unicast_six_pairs() {
        assert_eq!(
            "02:00:00:00:00:0a".parse::<Mac>(),
            Ok(Mac([2, 0, 0, 0, 0, 10]))
        );
        for bad in [
            "02:00:00:00:00",
            "01:00:5e:00:00:01",
            "zz:00:00:00:00:01",
            "00:00:00:00:00:00",
            "2:0:0:0:0:1",
        ] {
            assert!(bad.parse::<Mac>().is_err(), "{bad}");
        }
    }

    #[test]
    fn cookies_are_4_or_8_bytes_of_hex() {
        assert_eq!(cookie("0a0b0c0d"), Ok(Cookie(vec![10, 11, 12, 13])));
        assert_eq!(cookie("0x0102030405060708").map(|c| c.0.len()), Ok(8));
        for bad in ["010203", "0102030405", "zz0b0c0d", "", "a€aaaa", "€€"] {
            assert!(cookie(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cidr_needs_a_prefix() {
        assert!(cidr("10.0.5.1/24").is_ok());
        assert!(cidr("2001:db8::1/64").is_ok());
        assert!(cidr("10.0.5.1").is_err());
        assert!(cidr("10.0.5.1/33").is_err());
        assert!(cidr("10.0.5/24").is_err());
    }

    #[test]
    fn interface_addresses_are_unicast() {
        assert!(iface_addr("10.0.5.1/24").is_ok());
        assert!(iface_addr("2001:db8::1/64").is_ok());
        for bad in [
            "0.0.0.0/0",
            "224.0.0.1/24",
            "255.255.255.255/32",
            "10.0.5.1/0",
            "::/0",
            "ff02::1/64",
        ] {
            assert!(iface_addr(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn masquerade_sources_are_ipv4_networks() {
        assert_eq!(ipv4_cidr("10.0.5.1/24").unwrap().prefix(), 24);
        assert!(ipv4_cidr("10.0.0.0/20").is_ok());
        assert!(
            ipv4_cidr("2001:db8::/64")
                .unwrap_err()
                .contains("not supported yet")
        );
        assert!(
            ipv4_cidr("0.0.0.0/0")
                .unwrap_err()
                .contains("every address")
        );
        assert!(ipv4_cidr("10.0.5.0").is_err());
    }

    #[test]
    fn ports_and_targets() {
        assert_eq!(
            port_range("8080"),
            Ok(PortRange {
                first: 8080,
                last: 8080
            })
        );
        assert_eq!(
            port_range("5000-5010"),
            Ok(PortRange {
                first: 5000,
                last: 5010
            })
        );
        for bad in ["0", "70000", "10-5", "a", "", "1-"] {
            assert!(port_range(bad).is_err(), "{bad}");
        }
        assert_eq!(target("10.0.5.10:80").unwrap().port, Some(80));
        assert_eq!(target("10.0.5.10").unwrap().port, None);
        for bad in [
            "10.0.5.10:0",
            "10.0.5.10:x",
            "0.0.0.0",
            "127.0.0.1:80",
            "::1",
            "a:80",
        ] {
            assert!(target(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ranges_are_first_dash_last() {
        let r: Ipv4Range = "10.0.5.100-10.0.5.200".parse().unwrap();
        assert!(r.contains("10.0.5.150".parse().unwrap()));
        assert!(!r.contains("10.0.5.201".parse().unwrap()));
        for bad in [
            "10.0.5.200-10.0.5.100",
            "10.0.5.1",
            "10.0.5.1-",
            "a-b",
            "10.0.5.1/24",
        ] {
            assert!(bad.parse::<Ipv4Range>().is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_take_a_unit() {
        assert_eq!(duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(duration("12h"), Ok(Duration::from_secs(43200)));
        assert_eq!(duration("1d"), Ok(Duration::from_secs(86400)));
        assert_eq!(duration("45"), Ok(Duration::from_secs(45)));
        for bad in ["", "0s", "1w", "h", "-5s", "99999999999d"] {
            assert!(duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn host_reservations_name_a_mac_or_a_hostname() {
        let h: HostReservation = "02:00:00:00:00:01=10.0.5.10".parse().unwrap();
        assert_eq!(
            (h.owner, h.ip.octets(), h.name),
            (Owner::Mac(Mac([2, 0, 0, 0, 0, 1])), [10, 0, 5, 10], None)
        );
        let h: HostReservation = "02-00-00-00-00-0A=10.0.5.11,Web".parse().unwrap();
        assert_eq!(h.owner, Owner::Mac(Mac([2, 0, 0, 0, 0, 10])));
        assert_eq!(h.name.as_ref().map(Label::as_str), Some("web"));
        assert_eq!(h.to_string(), "02:00:00:00:00:0a=10.0.5.11,web");
        let h: HostReservation = "Printer=10.0.5.12".parse().unwrap();
        assert_eq!(h.owner, Owner::Hostname(Label::parse("printer").unwrap()));
        assert_eq!(h.name.as_ref().map(Label::as_str), Some("printer"));
        assert_eq!(h.to_string(), "printer=10.0.5.12");
        for bad in [
            "02:00:00:00:00:01",
            "02:00:00:00:00:01=10.0.5",
            "02:00:00:00:00:01=10.0.5.9,bad_name",
            "printer=10.0.5.9,other",
            "bad name=10.0.5.9",
            "01:00:5e:00:00:01=10.0.5.9",
            "=10.0.5.9",
        ] {
            assert!(bad.parse::<HostReservation>().is_err(), "{bad}");
        }
    }

    #[test]
    fn macs_are_read_in_every_common_spelling() {
        let want = Ok(Mac([0x02, 0xab, 0, 0, 0, 0x0c]));
        for spelling in [
            "02:ab:00:00:00:0c",
            "02:AB:00:00:00:0C",
            "02-ab-00-00-00-0c",
            "02AB.0000.000C",
        ] {
            assert_eq!(spelling.parse::<Mac>(), want, "{spelling}");
        }
        for bad in [
            "02:ab-00:00:00:0c",
            "02ab.0000.000",
            "02ab00.00.000c",
            "02ab0000000c",
            "02:ab:00:00:00:0c:",
        ] {
            assert!(bad.parse::<Mac>().is_err(), "{bad}");
        }
    }
}
