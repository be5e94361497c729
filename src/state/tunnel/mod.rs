//! Tunnels as the kernel has them, of every kind l2x makes, read into one struct that `show`,
//! `doctor` and the planners share. Each kind's file knows how to recognise its devices, read
//! their settings and say how many bytes its encapsulation adds; no other code here looks at
//! a link kind.

mod gretap;
mod l2tp;
mod vxlan;

use std::net::IpAddr;

use anyhow::Result;
use serde::Serialize;

use super::l2tp::L2tp;
use super::links;
use super::probe::Probe;
use crate::msg::bridge_port;
use crate::msg::link::Link;
use crate::nl::Sockets;

pub use gretap::overhead as gre_overhead;
pub use l2tp::{hex, overhead as l2tp_overhead};
pub use vxlan::overhead as vxlan_overhead;

/// One tunnel device: what every kind has, and the fields of its own kind.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Tunnel {
    pub name: String,
    pub kind: String,
    pub local: Option<IpAddr>,
    pub remotes: Vec<IpAddr>,
    /// gretap: the GRE key, both directions.
    pub key: Option<u32>,
    /// gretap: the outer packets' TTL (0 inherits the inner one).
    pub ttl: Option<u8>,
    /// vxlan: the network identifier.
    pub vni: Option<u32>,
    /// vxlan, and l2tp over udp: the destination port.
    pub dport: Option<u16>,
    pub l2tp: Option<L2tpSession>,
    pub mtu: u32,
    pub up: bool,
    pub state: String,
    pub bridge: Option<String>,
    pub isolated: bool,
    #[serde(skip)]
    pub link: Link,
}

/// An L2TP session interface's tunnel and session.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct L2tpSession {
    pub tunnel_id: u32,
    pub peer_tunnel_id: u32,
    pub session_id: u32,
    pub peer_session_id: u32,
    pub encap: &'static str,
    pub sport: Option<u16>,
    pub dport: Option<u16>,
    pub local: IpAddr,
    pub remote: IpAddr,
    /// This end's cookie and the one expected from the peer, in hex.
    pub cookie: Option<String>,
    pub peer_cookie: Option<String>,
    /// The L2-specific sublayer: 1 the default 4 bytes, 0 none.
    pub l2spec: u8,
}

/// A kind of tunnel, as the kernel shows it.
trait Kind: Sync {
    /// The kind names its tunnels are reported with (`kind` in `Tunnel`).
    fn names(&self) -> &'static [&'static str];
    /// Whether `link` is a device of this kind.
    fn claims(&self, link: &Link, l2tp: Option<&L2tp>) -> bool;
    /// Fills in the kind's own fields of a tunnel this kind claimed.
    fn read(&self, s: &mut Sockets, t: &mut Tunnel, l2tp: Option<&L2tp>) -> Result<()>;
    /// Bytes the encapsulation adds to each frame (outer IP, its own headers, inner
    /// Ethernet), over an IPv4 or IPv6 underlay.
    fn overhead(&self, t: &Tunnel, ipv6: bool) -> u32;
    /// Whether this kernel can make devices of this kind (see `probe`).
    fn probes(&self) -> Vec<Probe>;
}

/// Every kind's probes.
pub fn probes() -> Vec<Probe> {
    KINDS.iter().flat_map(|k| k.probes()).collect()
}

const KINDS: [&dyn Kind; 3] = [&gretap::Gretap, &l2tp::L2tpKind, &vxlan::Vxlan];

fn kind_of(link: &Link, l2tp: Option<&L2tp>) -> Option<&'static dyn Kind> {
    KINDS.into_iter().find(|k| k.claims(link, l2tp))
}

/// Whether some link may be an L2TP session's: only then are the L2TP dumps worth asking for.
pub fn may_hold_l2tp(links: &[Link]) -> bool {
    links.iter().any(|l| l.kind.is_none() && l.name != "lo")
}

/// The tunnel `link` is, or None when it is no tunnel of a kind l2x makes. `bridge` is its
/// master, when it has one.
pub fn read(
    s: &mut Sockets,
    link: &Link,
    bridge: Option<&Link>,
    l2tp: Option<&L2tp>,
) -> Result<Option<Tunnel>> {
    let Some(kind) = kind_of(link, l2tp) else {
        return Ok(None);
    };
    let mut t = Tunnel {
        name: link.name.clone(),
        kind: link.kind_name().to_string(),
        local: None,
        remotes: Vec::new(),
        key: None,
        ttl: None,
        vni: None,
        dport: None,
        l2tp: None,
        mtu: link.mtu,
        up: link.up,
        state: link.oper_state.to_string(),
        bridge: bridge.map(|b| b.name.clone()),
        isolated: bridge.is_some() && bridge_port::parse(&link.slave_data).isolated,
        link: link.clone(),
    };
    kind.read(s, &mut t, l2tp)?;
    Ok(Some(t))
}

/// One tunnel by name, with its bridge's name: a lookup, not a dump of every link (the L2TP
/// dumps only for an interface without a link kind).
pub fn find(s: &mut Sockets, name: &str) -> Result<Option<Tunnel>> {
    let Some(link) = links::find(&mut s.route, name)? else {
        return Ok(None);
    };
    let bridge = match link.master {
        Some(m) => links::find_index(&mut s.route, m)?,
        None => None,
    };
    let l2tp = if link.kind.is_none() {
        super::l2tp::read(s)?
    } else {
        None
    };
    read(s, &link, bridge.as_ref(), l2tp.as_ref())
}

/// Every tunnel among `links` (a dump of all of them).
pub fn all(s: &mut Sockets, links: &[Link], l2tp: Option<&L2tp>) -> Result<Vec<Tunnel>> {
    let mut found = Vec::new();
    for link in links {
        let bridge = link
            .master
            .and_then(|m| links.iter().find(|b| b.index == m));
        if let Some(t) = read(s, link, bridge, l2tp)? {
            found.push(t);
        }
    }
    Ok(found)
}

impl Tunnel {
    /// The bytes its encapsulation adds over an IPv4 or IPv6 underlay.
    pub fn overhead(&self, ipv6: bool) -> u32 {
        KINDS
            .into_iter()
            .find(|k| k.names().contains(&self.kind.as_str()))
            .map_or(0, |k| k.overhead(self, ipv6))
    }
}

/// IPv4 or IPv6 header.
pub fn ip_header(ipv6: bool) -> u32 {
    if ipv6 { 40 } else { 20 }
}

/// The inner Ethernet header every layer 2 tunnel carries.
pub const ETH_HLEN: u32 = 14;
