//! Tunnels: kind, endpoints, ids, MTU, state and bridge.

use super::{new_table, render};
use crate::state::tunnel::Tunnel;

/// The ids column: GRE key, VNI, or L2TP tunnel/session ids.
fn ids(t: &Tunnel) -> String {
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

pub fn table(tunnels: &[Tunnel]) -> String {
    let mut t = new_table(&[
        "TUNNEL", "KIND", "LOCAL", "REMOTE", "IDS", "MTU", "STATE", "BRIDGE",
    ]);
    for v in tunnels {
        let bridge = match (&v.bridge, v.isolated) {
            (Some(b), true) => format!("{b} (isolated)"),
            (Some(b), false) => b.clone(),
            (None, _) => String::new(),
        };
        let remotes: Vec<String> = v.remotes.iter().map(ToString::to_string).collect();
        t.add_row(vec![
            v.name.clone(),
            v.kind.clone(),
            v.local.map(|ip| ip.to_string()).unwrap_or_default(),
            remotes.join("\n"),
            ids(v),
            v.mtu.to_string(),
            v.state.clone(),
            bridge,
        ]);
    }
    render(t, tunnels.len(), "no tunnels")
}
