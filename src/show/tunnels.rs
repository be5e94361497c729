//! Tunnels: kind, endpoints, ids, MTU, state and bridge.

use serde::Serialize;

use super::{new_table, render};
use crate::msg::bridge_port;
use crate::msg::link::Link;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TunnelView {
    pub name: String,
    pub kind: String,
    pub local: Option<String>,
    pub remotes: Vec<String>,
    pub key: Option<u32>,
    pub vni: Option<u32>,
    pub dport: Option<u16>,
    pub l2tp: Option<L2tpView>,
    pub mtu: u32,
    pub up: bool,
    pub state: String,
    pub bridge: Option<String>,
    pub isolated: bool,
}

/// An L2TP session interface's tunnel and session.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct L2tpView {
    pub tunnel_id: u32,
    pub peer_tunnel_id: u32,
    pub session_id: u32,
    pub peer_session_id: u32,
    pub encap: &'static str,
    pub sport: Option<u16>,
    pub dport: Option<u16>,
    pub local: String,
    pub remote: String,
}

/// The part of a tunnel's view every kind has; `bridge` is its master's name.
pub fn base(link: &Link, bridge: Option<&Link>) -> TunnelView {
    TunnelView {
        name: link.name.clone(),
        kind: link.kind_name().to_string(),
        local: None,
        remotes: Vec::new(),
        key: None,
        vni: None,
        dport: None,
        l2tp: None,
        mtu: link.mtu,
        up: link.up,
        state: link.oper_state.to_string(),
        bridge: bridge.map(|b| b.name.clone()),
        isolated: bridge.is_some() && bridge_port::parse(&link.slave_data).isolated,
    }
}

/// The ids column: GRE key, VNI, or L2TP tunnel/session ids.
fn ids(t: &TunnelView) -> String {
    if let Some(l) = &t.l2tp {
        let port = l
            .sport
            .map_or(String::new(), |p| format!(" {p}->{}", l.dport.unwrap_or(p)));
        return format!(
            "tunnel {}/{} session {}/{} {}{port}",
            l.tunnel_id, l.peer_tunnel_id, l.session_id, l.peer_session_id, l.encap
        );
    }
    match (t.vni, t.key) {
        (Some(vni), _) => format!("vni {vni} port {}", t.dport.unwrap_or(0)),
        (None, Some(key)) => format!("key {key}"),
        _ => String::new(),
    }
}

pub fn table(tunnels: &[TunnelView]) -> String {
    let mut t = new_table(&[
        "TUNNEL", "KIND", "LOCAL", "REMOTE", "IDS", "MTU", "STATE", "BRIDGE",
    ]);
    for v in tunnels {
        let bridge = match (&v.bridge, v.isolated) {
            (Some(b), true) => format!("{b} (isolated)"),
            (Some(b), false) => b.clone(),
            (None, _) => String::new(),
        };
        t.add_row(vec![
            v.name.clone(),
            v.kind.clone(),
            v.local.clone().unwrap_or_default(),
            v.remotes.join("\n"),
            ids(v),
            v.mtu.to_string(),
            v.state.clone(),
            bridge,
        ]);
    }
    render(t, tunnels.len(), "no tunnels")
}
