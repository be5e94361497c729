//! L2TPv3 tunnels and sessions, from the l2tp generic netlink family's dumps. l2tp_eth
//! registers no link kind, so these lists are the only way to tell a session's interface from
//! any other interface.

use anyhow::Result;

use crate::msg::l2tp::{self, L2TP, L2TP_GENL_NAME, SessionSpec, TunnelSpec};
use crate::nl::Sockets;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct L2tp {
    pub tunnels: Vec<TunnelSpec>,
    pub sessions: Vec<SessionSpec>,
}

impl L2tp {
    /// The session whose interface is `name`, with its tunnel.
    pub fn session(&self, name: &str) -> Option<(&SessionSpec, Option<&TunnelSpec>)> {
        let s = self.sessions.iter().find(|s| s.name == name)?;
        Some((s, self.tunnel(s.tunnel_id)))
    }

    pub fn tunnel(&self, id: u32) -> Option<&TunnelSpec> {
        self.tunnels.iter().find(|t| t.tunnel_id == id)
    }
}

/// Every tunnel and session; None where the kernel has no L2TP (then no interface can be a
/// session's either). The kernel ignores filters on these dumps.
pub fn read(s: &mut Sockets) -> Result<Option<L2tp>> {
    let Some(family) = s.family(L2TP_GENL_NAME, L2TP)? else {
        return Ok(None);
    };
    let g = s.generic()?;
    let tunnels = g
        .dump(&l2tp::tunnel_dump(family))?
        .iter()
        .filter_map(|b| l2tp::parse_tunnel(b))
        .collect();
    let sessions = g
        .dump(&l2tp::session_dump(family))?
        .iter()
        .filter_map(|b| l2tp::parse_session(b))
        .collect();
    Ok(Some(L2tp { tunnels, sessions }))
}
