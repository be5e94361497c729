//! The steps a plan is made of, as data: what to ask of the kernel, naming interfaces by name.
//! The executor turns each into its netlink request when it runs, once the indexes of links
//! made earlier in the same plan are known.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use crate::msg::addr::Addr;
use crate::msg::link::Placement;
use crate::msg::nft::dhcp_guard::Guard;
use crate::msg::nft::nat::NatRule;
use crate::msg::route::Route as IpRoute;
use crate::msg::wireguard::{Backend, Device};
use crate::msg::{Feature, Generic, Request, Route};

/// Builds a link's create request once its bridge's index is known.
pub type LinkBuilder = Arc<dyn Fn(Placement) -> Request<Route> + Send + Sync>;
/// Builds a generic netlink request once the family's message type is known.
pub type GenlBuilder = Arc<dyn Fn(u16) -> Request<Generic> + Send + Sync>;

/// A bridge to enslave a link to, or none (`nomaster`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Master {
    Bridge(String),
    None,
}

/// Changes to an existing link, all in one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Set {
    pub up: Option<bool>,
    pub mtu: Option<u32>,
    pub master: Option<Master>,
    pub mac: Option<[u8; 6]>,
    pub group: Option<u32>,
}

/// Whose a link is: the link group it is made in, which the kernel takes in the create request
/// itself (so no moment leaves the link unmarked), and the alias people read in `ip link show`
/// (the kernel takes that only in a request of its own, after the create).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub group: u32,
    pub alias: String,
}

#[derive(Clone)]
pub enum Op {
    /// A new link, created in the state `place` says (up, MTU, bridge) in the same request.
    NewLink {
        name: String,
        place: Place,
        build: LinkBuilder,
    },
    SetLink {
        dev: String,
        set: Set,
    },
    /// IFLA_IFALIAS; empty removes it.
    SetAlias {
        dev: String,
        alias: String,
    },
    DelLink {
        dev: String,
    },
    /// An address with everything it carries (lifetimes, flags, label); its ifindex is
    /// `dev`'s, found when the step runs.
    AddAddr {
        dev: String,
        addr: Addr,
    },
    DelAddr {
        dev: String,
        addr: Addr,
    },
    /// A route, its interfaces given by index (they exist when the plan is made).
    AddRoute {
        dev: String,
        route: IpRoute,
    },
    DelRoute {
        dev: String,
        route: IpRoute,
    },
    /// A VXLAN device's flood entry toward one remote.
    AddRemote {
        dev: String,
        remote: IpAddr,
    },
    DelRemote {
        dev: String,
        remote: IpAddr,
    },
    SetIsolated {
        dev: String,
        on: bool,
    },
    SetStp {
        dev: String,
        on: bool,
    },
    /// A generic netlink request to a family looked up by name (l2tp).
    Genl {
        family: &'static str,
        feature: Feature,
        what: String,
        build: GenlBuilder,
    },
    /// Table ip l2x rewritten to hold exactly these rules, on the ruleset generation read
    /// (None: whatever generation is current, for undoing a rewrite just made).
    NatRules {
        generation: Option<u32>,
        rules: Vec<NatRule>,
    },
    /// net.ipv4.ip_forward.
    Forwarding(bool),
    /// Table bridge l2x rewritten to guard exactly these bridges, on the ruleset generation
    /// read (None: whatever is current, for undoing).
    DhcpGuards {
        generation: Option<u32>,
        guards: Vec<Guard>,
    },
    /// `ip route replace default via GATEWAY dev DEV proto dhcp`.
    DefaultRoute {
        dev: String,
        gateway: std::net::Ipv4Addr,
    },
    /// `wireguard-go NAME`: the interface, where the kernel has no WireGuard module.
    StartWireguardGo {
        name: String,
    },
    /// A WireGuard set: what `device` gives (keys, port, peers added, changed or removed),
    /// sent to what runs the interface.
    Wireguard {
        device: Device,
        backend: Backend,
    },
}

/// Where a new link goes: its MTU, whether it is up, its link group, its bridge by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    pub mtu: Option<u32>,
    pub up: bool,
    pub group: Option<u32>,
    pub master: Option<String>,
}

impl Op {
    /// A few words for -v and for messages: what the step does.
    pub fn what(&self) -> String {
        match self {
            Op::NewLink { name, .. } => format!("create {name}"),
            Op::SetLink { dev, .. } => format!("change {dev}"),
            Op::SetAlias { dev, alias } if alias.is_empty() => format!("remove the alias of {dev}"),
            Op::SetAlias { dev, alias } => format!("set alias {alias} on {dev}"),
            Op::DelLink { dev } => format!("delete {dev}"),
            Op::AddAddr { dev, addr } => format!("add address {} to {dev}", addr.net),
            Op::DelAddr { dev, addr } => format!("delete address {} from {dev}", addr.net),
            Op::AddRoute { dev, route } => format!("add route {route} on {dev}"),
            Op::DelRoute { dev, route } => format!("delete route {route} on {dev}"),
            Op::AddRemote { dev, remote } => format!("add remote {remote} to {dev}"),
            Op::DelRemote { dev, remote } => format!("delete remote {remote} from {dev}"),
            Op::SetIsolated { dev, on } => format!("set isolated {} on {dev}", on_off(*on)),
            Op::SetStp { dev, on } => format!("set stp {} on {dev}", on_off(*on)),
            Op::Genl { what, .. } => what.clone(),
            Op::NatRules { rules, .. } => format!("rewrite table ip l2x ({} rules)", rules.len()),
            Op::Forwarding(on) => format!("set net.ipv4.ip_forward to {}", u8::from(*on)),
            Op::DhcpGuards { guards, .. } => {
                format!("rewrite table bridge l2x ({} bridges)", guards.len())
            }
            Op::DefaultRoute { dev, gateway } => {
                format!("set default route via {gateway} on {dev}")
            }
            Op::StartWireguardGo { name } => format!("start wireguard-go {name}"),
            Op::Wireguard { device, .. } => format!("configure wireguard {}", device.name),
        }
    }
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

impl fmt::Debug for Op {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.what())
    }
}
