//! From the file as written to a `Segment`: every value parsed and checked against the others
//! before anything is sent, each fault naming its key and line. What one host could not judge
//! alone is checked too (two hosts with one underlay, a derived name too long on some host),
//! so every host refuses the same file the same way.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::PathBuf;

use ipnetwork::{IpNetwork, Ipv4Network};
use toml::Spanned;

use super::checker::Checker;
pub use super::checker::Refusal;
use super::file;
use super::{Host, Router, Segment};
use super::{derive, rules};
use crate::cli::values::{self, IfName};
use crate::cli::{HostReservation, Ipv4Range, Mac, Owner};
use crate::msg::wireguard::key::PublicKey;
use crate::spec::tunnel::{TunnelKind, is_host_address};

/// The MTUs a segment may have: IPv4's minimum datagram to what a bridge takes.
const MTU_RANGE: std::ops::RangeInclusive<u32> = 576..=65535;

pub fn check(file: file::File, text: &str) -> Result<Segment, Refusal> {
    let c = Checker::new(text);
    let encrypted = match &file.encrypt {
        Some(encrypt) => encryption(&c, encrypt)?,
        None => false,
    };
    let name = segment_name(&c, &file.segment)?;
    let tunnel = file
        .tunnel
        .as_ref()
        .map_or(TunnelKind::Vxlan, |t| *t.get_ref());
    if let Some(mtu) = &file.mtu
        && !MTU_RANGE.contains(mtu.get_ref())
    {
        return Err(c.at(
            "mtu",
            mtu,
            format!(
                "{} is not an MTU a segment can have (576-65535)",
                mtu.get_ref()
            ),
        ));
    }
    let vni = match &file.vni {
        Some(v) if tunnel != TunnelKind::Vxlan => {
            return Err(c.at(
                "vni",
                v,
                format!(
                    "a VNI is for tunnel = \"vxlan\"; this segment's tunnels are {}",
                    tunnel.name()
                ),
            ));
        }
        Some(v) if !(1..1 << 24).contains(v.get_ref()) => {
            return Err(c.at("vni", v, "a VNI is 1-16777215"));
        }
        Some(v) => *v.get_ref(),
        None => derive::vni(&name),
    };
    let mesh = file.mesh.as_ref().is_none_or(|m| *m.get_ref());
    let hosts = hosts(&c, &file.hosts, &name, encrypted)?;
    let router = match &file.router {
        Some(r) => Some(router(&c, r, &hosts)?),
        None => None,
    };
    if !mesh && router.is_none() {
        let m = file.mesh.as_ref().expect("mesh = false was written");
        return Err(c.at(
            "mesh",
            m,
            "mesh = false tunnels every host to the router host: give [router]",
        ));
    }
    let segment = Segment {
        name,
        tunnel,
        mtu: file.mtu.as_ref().map(|m| *m.get_ref()),
        vni,
        mesh,
        encrypted,
        router,
        hosts,
    };
    names_fit(&c, &segment, &file)?;
    reachable(&c, &segment, &file)?;
    Ok(segment)
}

fn encryption(c: &Checker, encrypt: &Spanned<String>) -> Result<bool, Refusal> {
    if encrypt.get_ref() != "wireguard" {
        return Err(c.at(
            "encrypt",
            encrypt,
            format!(
                "\"{}\" is no encryption l2x knows (encrypt = \"wireguard\")",
                encrypt.get_ref()
            ),
        ));
    }
    Ok(true)
}

/// Two peers behind NAT cannot reach each other: one of every pair that has a tunnel needs
/// an underlay.
fn reachable(c: &Checker, s: &Segment, f: &file::File) -> Result<(), Refusal> {
    for h in s.hosts.iter().filter(|h| h.underlay.is_none()) {
        if let Some(p) = s.peers(&h.name).iter().find(|p| p.underlay.is_none()) {
            return Err(Refusal::Wrong(c.fault(
                &format!("hosts.{}", h.name),
                host_span(f, &h.name),
                format!(
                    "neither {} nor {} has an underlay: behind NAT both, they cannot reach each \
                     other; give one of them an underlay (or mesh = false, with a router host \
                     that has one)",
                    h.name, p.name
                ),
            )));
        }
    }
    Ok(())
}

fn segment_name(c: &Checker, name: &Spanned<String>) -> Result<String, Refusal> {
    let parsed: IfName = name.get_ref().parse().map_err(|e: String| {
        c.at(
            "segment",
            name,
            format!("\"{}\" cannot be a bridge's name: {e}", name.get_ref()),
        )
    })?;
    Ok(parsed.to_string())
}

/// Host names end up in interface names: letters, digits, `-`, `_` and `.` only.
fn host_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn hosts(
    c: &Checker,
    hosts: &Spanned<BTreeMap<Spanned<String>, Spanned<file::Host>>>,
    segment: &str,
    encrypted: bool,
) -> Result<Vec<Host>, Refusal> {
    if hosts.get_ref().is_empty() {
        return Err(c.at("hosts", hosts, "a segment needs at least one host"));
    }
    let names: Vec<&str> = hosts
        .get_ref()
        .keys()
        .map(|k| k.get_ref().as_str())
        .collect();
    let slots = derive::slots(segment, &names);
    let mut out: Vec<Host> = Vec::new();
    let mut seen: BTreeMap<IpAddr, String> = BTreeMap::new();
    for ((key, raw), slot) in hosts.get_ref().iter().zip(slots) {
        let h = host(c, key, raw, slot, encrypted)?;
        let at = |what: &str| format!("hosts.{}.{what}", h.name);
        let written = raw.get_ref();
        let addresses = [(h.underlay, &written.underlay, "underlay")]
            .into_iter()
            .chain([(h.local, &written.local, "local")]);
        for (ip, value, what) in addresses {
            let (Some(ip), Some(value)) = (ip, value) else {
                continue;
            };
            if let Some(other) = seen.insert(ip, h.name.clone()) {
                return Err(c.at(
                    &at(what),
                    value,
                    format!("{ip} is also hosts.{other}'s address: two hosts cannot share one"),
                ));
            }
        }
        let first = out.iter().find_map(|f| Some((f, f.underlay?)));
        if let (Some((first, theirs)), Some(value), Some(mine)) =
            (first, &written.underlay, h.underlay)
            && theirs.is_ipv4() != mine.is_ipv4()
        {
            return Err(c.at(
                &at("underlay"),
                value,
                format!(
                    "{mine} and hosts.{}'s {theirs} are of different families: a tunnel joins \
                     two of one family",
                    first.name
                ),
            ));
        }
        if let Some(key) = h.public_key
            && let Some(other) = out.iter().find(|o| o.public_key == Some(key))
        {
            return Err(c.at(
                &at("public_key"),
                written.public_key.as_ref().expect("a key was read"),
                format!(
                    "hosts.{} has the same public key: each host needs its own",
                    other.name
                ),
            ));
        }
        out.push(h);
    }
    Ok(out)
}

/// One host entry on its own: its name, addresses, ports and key.
fn host(
    c: &Checker,
    key: &Spanned<String>,
    host: &Spanned<file::Host>,
    slot: u16,
    encrypted: bool,
) -> Result<Host, Refusal> {
    let name = key.get_ref();
    let at = |what: &str| format!("hosts.{name}.{what}");
    if !host_name_ok(name) {
        return Err(Refusal::Wrong(c.fault(
            &format!("hosts.{name}"),
            key.span(),
            format!(
                "\"{name}\" cannot name a host: host names become interface names (letters, \
                 digits, '-', '_', '.')"
            ),
        )));
    }
    let h = host.get_ref();
    let underlay = match &h.underlay {
        Some(u) => Some(address(c, &at("underlay"), u)?),
        None if encrypted => None,
        None => {
            return Err(Refusal::Wrong(c.fault(
                &at("underlay"),
                host.span(),
                "no underlay: the other hosts reach this one there (only an encrypted segment, \
                 encrypt = \"wireguard\", may have hosts behind NAT)"
                    .into(),
            )));
        }
    };
    let local = match &h.local {
        Some(l) => {
            let ip = address(c, &at("local"), l)?;
            let Some(underlay) = underlay else {
                return Err(c.at(
                    &at("local"),
                    l,
                    "local is this host's own address where the others reach it at its \
                     underlay: give underlay too",
                ));
            };
            if ip.is_ipv4() != underlay.is_ipv4() {
                return Err(c.at(
                    &at("local"),
                    l,
                    format!("{ip} and the underlay {underlay} are of different families"),
                ));
            }
            Some(ip)
        }
        None => None,
    };
    let public_key =
        match &h.public_key {
            Some(key) => Some(PublicKey::parse(key.get_ref()).map_err(|e| {
                c.at(
                    &at("public_key"),
                    key,
                    format!("not a WireGuard public key: {e}"),
                )
            })?),
            None if encrypted => {
                return Err(Refusal::Wrong(c.fault(
                &at("public_key"),
                host.span(),
                "no public_key: every host of an encrypted segment needs one (`l2x key gen` \
                 makes a key pair and prints the public key)"
                    .into(),
            )));
            }
            None => None,
        };
    let ports = ports(c, name, h.ports.as_deref().unwrap_or_default())?;
    let move_addresses = h.move_addresses.as_ref().is_some_and(|m| *m.get_ref());
    if let Some(m) = h.move_addresses.as_ref().filter(|_| ports.is_empty()) {
        return Err(c.at(
            &at("move_addresses"),
            m,
            "move_addresses moves what the host's ports carry: give ports",
        ));
    }
    Ok(Host {
        name: name.clone(),
        underlay,
        local,
        ports,
        move_addresses,
        public_key,
        slot,
    })
}

/// A host's address: unicast, not loopback.
fn address(c: &Checker, key: &str, value: &Spanned<String>) -> Result<IpAddr, Refusal> {
    let ip: IpAddr = value.get_ref().parse().map_err(|_| {
        c.at(
            key,
            value,
            format!("\"{}\" is not an IP address", value.get_ref()),
        )
    })?;
    if !is_host_address(ip) {
        return Err(c.at(
            key,
            value,
            format!("{ip} is not a unicast host address a tunnel can start from"),
        ));
    }
    Ok(ip)
}

fn ports(c: &Checker, host: &str, given: &[Spanned<String>]) -> Result<Vec<String>, Refusal> {
    let key = format!("hosts.{host}.ports");
    let mut out: Vec<String> = Vec::new();
    for port in given {
        let name: IfName = port.get_ref().parse().map_err(|e: String| {
            c.at(
                &key,
                port,
                format!("\"{}\" is no interface name: {e}", port.get_ref()),
            )
        })?;
        if out.iter().any(|p| p == name.as_str()) {
            return Err(c.at(&key, port, format!("{name} is named twice")));
        }
        out.push(name.to_string());
    }
    Ok(out)
}

fn router(c: &Checker, r: &Spanned<file::Router>, hosts: &[Host]) -> Result<Router, Refusal> {
    let f = r.get_ref();
    let host = f.host.get_ref();
    if !hosts.iter().any(|h| &h.name == host) {
        let known: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
        return Err(c.at(
            "router.host",
            &f.host,
            format!(
                "\"{host}\" is not a host of this segment (its hosts: {})",
                known.join(", ")
            ),
        ));
    }
    let address = router_address(c, &f.address)?;
    let (out, masquerade) = masquerade(c, f)?;
    let dhcp = dhcp(c, f, address)?;
    let dns = f.dns.as_ref().is_some_and(|d| *d.get_ref());
    if let Some(d) = f.dns.as_ref().filter(|_| dns && dhcp.range.is_none()) {
        return Err(Refusal::Wrong(c.fault(
            "router.dns",
            d.span(),
            "DNS runs with the segment's DHCP server: give router.dhcp".into(),
        )));
    }
    let forwards = rules::forwards(c, f.forwards.as_deref().unwrap_or_default(), address)?;
    let maps = rules::maps(c, f.maps.as_deref().unwrap_or_default(), address)?;
    Ok(Router {
        host: host.clone(),
        address,
        dhcp: dhcp.range,
        dns,
        masquerade,
        out,
        reservations: dhcp.reservations,
        lease_file: dhcp.lease_file,
        lease_time: dhcp.lease_time,
        forwards,
        maps,
    })
}

/// The bridge's address on the router host: an IPv4 host address with its prefix.
fn router_address(c: &Checker, given: &Spanned<String>) -> Result<Ipv4Network, Refusal> {
    let address = match values::iface_addr(given.get_ref()) {
        Ok(IpNetwork::V4(net)) => net,
        Ok(IpNetwork::V6(_)) => {
            return Err(c.at(
                "router.address",
                given,
                "an IPv6 router address is not supported yet: give the segment's IPv4 one",
            ));
        }
        Err(e) => return Err(c.at("router.address", given, e)),
    };
    if address.prefix() < 31 && [address.network(), address.broadcast()].contains(&address.ip()) {
        return Err(c.at(
            "router.address",
            given,
            format!("{address} is the subnet's network or broadcast address, not a host's"),
        ));
    }
    Ok(address)
}

/// `masquerade` and `out`, which only a masquerade takes.
fn masquerade(c: &Checker, f: &file::Router) -> Result<(Option<String>, bool), Refusal> {
    let masquerade = f.masquerade.as_ref().is_some_and(|m| *m.get_ref());
    let Some(o) = &f.out else {
        return Ok((None, masquerade));
    };
    if !masquerade {
        return Err(c.at(
            "router.out",
            o,
            "out names where the masquerade goes out: give masquerade = true",
        ));
    }
    let out: IfName = o
        .get_ref()
        .parse()
        .map_err(|e: String| c.at("router.out", o, e))?;
    Ok((Some(out.to_string()), true))
}

/// What the DHCP server is given: its range and reservations, where it keeps its leases and
/// for how long it gives them.
#[derive(Default)]
struct Dhcp {
    range: Option<Ipv4Range>,
    reservations: Vec<HostReservation>,
    lease_file: Option<PathBuf>,
    lease_time: Option<String>,
}

fn dhcp(c: &Checker, f: &file::Router, subnet: Ipv4Network) -> Result<Dhcp, Refusal> {
    let Some(d) = &f.dhcp else {
        let reserved = f.reservations.as_ref().and_then(|r| r.keys().next());
        let given: [(&str, Option<&Spanned<String>>); 3] = [
            ("router.reservations", reserved),
            ("router.lease_file", f.lease_file.as_ref()),
            ("router.lease_time", f.lease_time.as_ref()),
        ];
        for (key, v) in given {
            if let Some(v) = v {
                return Err(c.at(key, v, "this is for the DHCP server: give router.dhcp"));
            }
        }
        return Ok(Dhcp::default());
    };
    let lease_file = match &f.lease_file {
        Some(p) if !p.get_ref().starts_with('/') => {
            return Err(c.at(
                "router.lease_file",
                p,
                "give an absolute path: the same file serves wherever apply runs from",
            ));
        }
        Some(p) => Some(PathBuf::from(p.get_ref())),
        None => None,
    };
    let lease_time = match &f.lease_time {
        Some(t) => {
            values::duration(t.get_ref()).map_err(|e| c.at("router.lease_time", t, e))?;
            Some(t.get_ref().clone())
        }
        None => None,
    };
    Ok(Dhcp {
        range: Some(range(c, d, subnet)?),
        reservations: reservations(c, f.reservations.as_ref(), subnet)?,
        lease_file,
        lease_time,
    })
}

/// The DHCP range: inside the router's subnet, clear of its network, broadcast and own
/// addresses.
fn range(c: &Checker, d: &Spanned<String>, subnet: Ipv4Network) -> Result<Ipv4Range, Refusal> {
    let r: Ipv4Range = d
        .get_ref()
        .parse()
        .map_err(|e: String| c.at("router.dhcp", d, e))?;
    if !subnet.contains(r.first) || !subnet.contains(r.last) {
        return Err(c.at(
            "router.dhcp",
            d,
            format!(
                "{r} is not inside the router's subnet {}",
                Ipv4Network::new(subnet.network(), subnet.prefix()).unwrap_or(subnet)
            ),
        ));
    }
    let ends = [subnet.network(), subnet.broadcast(), subnet.ip()];
    if subnet.prefix() < 31 && ends.iter().any(|&ip| r.contains(ip)) {
        return Err(c.at(
            "router.dhcp",
            d,
            format!(
                "{r} includes the network, broadcast or router address of {subnet}: the server \
                 would hand them out"
            ),
        ));
    }
    Ok(r)
}

fn reservations(
    c: &Checker,
    given: Option<&BTreeMap<Spanned<String>, Spanned<String>>>,
    subnet: Ipv4Network,
) -> Result<Vec<HostReservation>, Refusal> {
    let mut out: Vec<HostReservation> = Vec::new();
    let mut ips = BTreeSet::new();
    let mut macs = BTreeSet::new();
    for (mac, ip) in given.into_iter().flatten() {
        let key = format!("router.reservations.\"{}\"", mac.get_ref());
        let m: Mac = mac
            .get_ref()
            .parse()
            .map_err(|e: String| c.at(&key, mac, e))?;
        // Keys differ as strings; 00:16:3E:.. and 00:16:3e:.. are one MAC.
        if !macs.insert(m.0) {
            return Err(c.at(&key, mac, "this MAC is reserved twice"));
        }
        let addr: std::net::Ipv4Addr = ip.get_ref().parse().map_err(|_| {
            c.at(
                &key,
                ip,
                format!("\"{}\" is not an IPv4 address", ip.get_ref()),
            )
        })?;
        let host_of_subnet = subnet.contains(addr)
            && addr != subnet.ip()
            && (subnet.prefix() >= 31 || (addr != subnet.network() && addr != subnet.broadcast()));
        if !host_of_subnet {
            return Err(c.at(
                &key,
                ip,
                format!("{addr} is not a client address of the router's subnet {subnet}"),
            ));
        }
        if !ips.insert(addr) {
            return Err(c.at(&key, ip, format!("{addr} is reserved twice")));
        }
        out.push(HostReservation {
            owner: Owner::Mac(m),
            ip: addr,
            name: None,
        });
    }
    Ok(out)
}

/// Every name this file makes on any host is an interface name the kernel takes, and a port
/// named in `ports` is not one of them.
/// Where the file names host `host`: its `[hosts.NAME]` key.
fn host_span(f: &file::File, host: &str) -> std::ops::Range<usize> {
    f.hosts
        .get_ref()
        .keys()
        .find(|k| k.get_ref() == host)
        .map_or(0..0, Spanned::span)
}

fn names_fit(c: &Checker, s: &Segment, f: &file::File) -> Result<(), Refusal> {
    let span_of = |host: &str| host_span(f, host);
    if s.one_device() {
        let vx = derive::vxlan_name(&s.name);
        if let Err(e) = vx.parse::<IfName>() {
            return Err(c.at(
                "segment",
                &f.segment,
                format!(
                    "the VXLAN device's name would be {vx}: {e}; choose a shorter segment name"
                ),
            ));
        }
    }
    for host in &s.hosts {
        let names = s.tunnel_names(&host.name);
        for (peer, name) in s.peers(&host.name).iter().zip(&names) {
            if let Err(e) = name.parse::<IfName>() {
                return Err(Refusal::Wrong(c.fault(
                    &format!("hosts.{}", peer.name),
                    span_of(&peer.name),
                    format!(
                        "the tunnel to it would be called {name} ({} bytes): {e}; give the \
                         host or the segment a shorter name",
                        name.len()
                    ),
                )));
            }
        }
        for port in &host.ports {
            if port == &s.name || names.contains(port) {
                return Err(Refusal::Wrong(c.fault(
                    &format!("hosts.{}.ports", host.name),
                    span_of(&host.name),
                    format!("{port} is a name this segment makes itself"),
                )));
            }
        }
    }
    Ok(())
}
