//! What `apply` and `down` of a segment start from: its bridge with its addresses and ports,
//! the links of the names the segment uses, every tunnel among them read whole, the L2TP
//! tunnels and sessions when the segment may have some, and on its router the nf_tables
//! ruleset and forwarding. When the bridge is gone, every link of the segment's tunnel kind
//! is read too: what a bridge deleted by hand left behind. One lookup per name not among the
//! bridge's ports and one dump of the ports: the cost grows with the segment, not the host.

use std::net::{IpAddr, Ipv4Addr};

use anyhow::Result;

use super::l2tp::{self, L2tp};
use super::links::{self, Device};
use super::nft::{self, Ruleset};
use super::tunnel::{self, Tunnel};
use super::{routes, sysctl, wireguard};
use crate::msg::addr::Addr;
use crate::msg::link::{self, Link};
use crate::msg::route::Route as IpRoute;
use crate::msg::wireguard::{Backend, Device as WgDevice};
use crate::nl::Sockets;

/// What to read.
#[derive(Clone, Copy)]
pub struct Asked<'a> {
    pub bridge: &'a str,
    /// The tunnels the segment names on this host.
    pub names: &'a [String],
    /// The ports it names (and named).
    pub ports: &'a [String],
    /// The link kinds whose every link is read when the bridge is gone.
    pub kinds: &'a [&'a str],
    /// When the segment may have L2TP tunnels: which tunnel ids are its own. Sessions in
    /// those tunnels are read whatever their names.
    pub l2tp: Option<&'a dyn Fn(u32) -> bool>,
    /// Whether the ruleset and forwarding are wanted (a router's rules in table ip l2x).
    pub nat: bool,
    /// Public addresses of maps: which interface holds each, if one does.
    pub publics: &'a [Ipv4Addr],
    /// The segment's WireGuard interface, whether the file asks for one or not (one left from
    /// when it did).
    pub wireguard: &'a str,
}

/// The segment's WireGuard interface as it is: its link and addresses, and, when WireGuard
/// runs it, its configuration and which implementation that is.
#[derive(Debug)]
pub struct WireguardHave {
    pub device: Device,
    pub running: Option<(WgDevice, Backend)>,
}

#[derive(Debug, Default)]
pub struct SegmentState {
    pub bridge: Option<Device>,
    /// The bridge's ports, when it is a bridge.
    pub ports: Vec<Link>,
    /// The other links read: of the names asked for, and those of the kinds asked for.
    pub others: Vec<Link>,
    /// Every tunnel among the links read.
    pub tunnels: Vec<Tunnel>,
    pub l2tp: Option<L2tp>,
    pub ruleset: Option<Ruleset>,
    pub forwarding: bool,
    pub wireguard: Option<WireguardHave>,
    /// When a port is still to be attached: every address that would stop working on a
    /// bridge port (all but IPv6 link-local ones) and every route not made by the kernel.
    pub addrs: Vec<Addr>,
    pub routes: Vec<IpRoute>,
    /// The addresses of `Asked::publics` that an interface holds, with its name.
    pub publics: Vec<(String, Addr)>,
}

impl SegmentState {
    /// A link read by name, wherever it was found.
    pub fn link(&self, name: &str) -> Option<&Link> {
        self.ports
            .iter()
            .chain(&self.others)
            .find(|l| l.name == name)
    }

    pub fn tunnel(&self, name: &str) -> Option<&Tunnel> {
        self.tunnels.iter().find(|t| t.name == name)
    }
}

pub fn read(s: &mut Sockets, asked: &Asked) -> Result<SegmentState> {
    let mut st = SegmentState {
        bridge: links::device(&mut s.route, asked.bridge)?,
        ..SegmentState::default()
    };
    let bridge = st.bridge.as_ref().map(|b| b.link.clone());
    match &bridge {
        Some(b) if b.is_kind("bridge") => st.ports = links::ports(&mut s.route, b.index)?,
        _ => {
            for kind in asked.kinds {
                let found = s.route.dump(&link::dump_kind(kind))?;
                // A kernel without the kind ignores the filter: keep only what is of it.
                st.others.extend(
                    found
                        .iter()
                        .filter_map(|body| Link::parse(body))
                        .filter(|l| l.is_kind(kind)),
                );
            }
        }
    }
    let holds_session = st.ports.iter().any(|l| l.kind.is_none());
    if asked.l2tp.is_some() || holds_session {
        st.l2tp = l2tp::read(s)?;
    }
    // The interfaces of the segment's sessions, left over by a crash or named as now.
    let ours = |id: u32| asked.l2tp.is_some_and(|f| f(id));
    let sessions: Vec<String> = st
        .l2tp
        .iter()
        .flat_map(|l| l.sessions.iter())
        .filter(|x| ours(x.tunnel_id))
        .map(|x| x.name.clone())
        .collect();
    for name in asked.names.iter().chain(asked.ports).chain(&sessions) {
        if st.link(name).is_none()
            && let Some(l) = links::find(&mut s.route, name)?
        {
            st.others.push(l);
        }
    }
    // What a port to be attached carries: read once for all of them.
    if asked
        .ports
        .iter()
        .any(|p| st.others.iter().any(|l| &l.name == p))
    {
        st.addrs = links::movable(&mut s.route, 0)?;
        st.routes = routes::all(&mut s.route)?;
    }
    let read: Vec<Link> = st.ports.iter().chain(&st.others).cloned().collect();
    for l in &read {
        let master = bridge.as_ref().filter(|b| l.master == Some(b.index));
        if let Some(t) = tunnel::read(s, l, master, st.l2tp.as_ref())? {
            st.tunnels.push(t);
        }
    }
    if asked.nat {
        st.ruleset = Some(nft::read(s)?);
        st.forwarding = sysctl::forwarding()?;
    }
    st.wireguard = read_wireguard(s, asked.wireguard)?;
    st.publics = held(s, asked.publics)?;
    Ok(st)
}

fn held(s: &mut Sockets, publics: &[Ipv4Addr]) -> Result<Vec<(String, Addr)>> {
    if publics.is_empty() {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for a in links::addresses(&mut s.route, 0)? {
        if publics.iter().any(|p| a.net.ip() == IpAddr::V4(*p))
            && let Some(l) = links::find_index(&mut s.route, a.index)?
        {
            found.push((l.name, a));
        }
    }
    Ok(found)
}

fn read_wireguard(s: &mut Sockets, name: &str) -> Result<Option<WireguardHave>> {
    let Some(device) = links::device(&mut s.route, name)? else {
        return Ok(None);
    };
    let running = match wireguard::runs(&device.link)? {
        Some(backend) => Some((wireguard::read(s, name, backend)?, backend)),
        None => None,
    };
    Ok(Some(WireguardHave { device, running }))
}
