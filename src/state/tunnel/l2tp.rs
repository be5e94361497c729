//! L2TPv3 Ethernet sessions. Their interfaces have no link kind: a link is a session's when the
//! l2tp family lists a session by its name.

use anyhow::Result;

use super::{ETH_HLEN, Kind, L2tpSession, Tunnel, ip_header};
use std::net::Ipv4Addr;

use crate::msg::l2tp::{
    self, Encap, L2TP, L2TP_GENL_NAME, L2TP_L2SPECTYPE_DEFAULT, L2TP_PORT, SessionSpec, TunnelSpec,
};
use crate::msg::link::{self, Link};
use crate::nl::Sockets;
use crate::state::l2tp::L2tp;
use crate::state::probe::{PROBE, Probe};

pub struct L2tpKind;

impl Kind for L2tpKind {
    fn names(&self) -> &'static [&'static str] {
        &["l2tp"]
    }

    fn claims(&self, link: &Link, l2tp: Option<&L2tp>) -> bool {
        link.kind.is_none() && l2tp.is_some_and(|l| l.session(&link.name).is_some())
    }

    fn read(&self, _: &mut Sockets, t: &mut Tunnel, l2tp: Option<&L2tp>) -> Result<()> {
        let Some((s, Some(tunnel))) = l2tp.and_then(|l| l.session(&t.name)) else {
            return Ok(());
        };
        let (sport, dport) = match tunnel.encap {
            Encap::Udp { sport, dport } => (Some(sport), Some(dport)),
            Encap::Ip => (None, None),
        };
        t.kind = "l2tp".into();
        t.local = Some(tunnel.local);
        t.remotes = vec![tunnel.remote];
        t.dport = dport;
        t.l2tp = Some(L2tpSession {
            tunnel_id: tunnel.tunnel_id,
            peer_tunnel_id: tunnel.peer_tunnel_id,
            session_id: s.session_id,
            peer_session_id: s.peer_session_id,
            encap: tunnel.encap.name(),
            sport,
            dport,
            local: tunnel.local,
            remote: tunnel.remote,
            cookie: s.cookie.as_deref().map(hex),
            peer_cookie: s.peer_cookie.as_deref().map(hex),
            l2spec: s.l2spec,
        });
        Ok(())
    }

    fn overhead(&self, t: &Tunnel, ipv6: bool) -> u32 {
        let Some(l) = &t.l2tp else {
            return overhead(ipv6, true, 0, true);
        };
        let cookie = l.cookie.as_ref().map_or(0, |c| c.len() as u32 / 2);
        overhead(
            ipv6,
            l.encap == "udp",
            cookie,
            l.l2spec == L2TP_L2SPECTYPE_DEFAULT,
        )
    }

    fn probes(&self) -> Vec<Probe> {
        let udp = || {
            session(Encap::Udp {
                sport: L2TP_PORT,
                dport: L2TP_PORT,
            })
        };
        vec![
            Probe {
                name: "l2tp (udp)",
                module: "l2tp_eth",
                tunnel: Some("l2tp"),
                check: udp,
            },
            Probe {
                name: "l2tp (ip)",
                module: "l2tp_ip",
                tunnel: None,
                check: || session(Encap::Ip),
            },
        ]
    }
}

/// An L2TPv3 tunnel and its Ethernet session between two loopback addresses: the tunnel's
/// UDP or IP socket binds to the local one, which exists only once lo is up.
fn session(encap: Encap) -> Result<()> {
    let mut s = Sockets::open(false)?;
    s.route.ack(&link::loopback_up())?;
    let family = s.require_family(L2TP_GENL_NAME, L2TP)?;
    let (local, remote) = (Ipv4Addr::new(127, 0, 0, 1), Ipv4Addr::new(127, 0, 0, 2));
    let tunnel = TunnelSpec {
        tunnel_id: 1,
        peer_tunnel_id: 1,
        encap,
        local: local.into(),
        remote: remote.into(),
    };
    let g = s.generic()?;
    g.ack(&l2tp::tunnel_create(family, &tunnel))?;
    g.ack(&l2tp::session_create(
        family,
        &SessionSpec {
            name: PROBE.into(),
            tunnel_id: 1,
            peer_tunnel_id: 1,
            session_id: 1,
            peer_session_id: 1,
            cookie: None,
            peer_cookie: None,
            l2spec: L2TP_L2SPECTYPE_DEFAULT,
        },
    ))?;
    Ok(())
}

/// Outer IP; over UDP the UDP header (8) and L2TPv3's 4 bytes of flags before the session
/// id; the session id (4), the cookie, the default L2-specific sublayer (4) when used, and
/// the inner Ethernet header.
pub fn overhead(ipv6: bool, udp: bool, cookie: u32, l2spec: bool) -> u32 {
    let udp = if udp { 8 + 4 } else { 0 };
    let l2spec = if l2spec { 4 } else { 0 };
    ip_header(ipv6) + udp + 4 + cookie + l2spec + ETH_HLEN
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overheads_match_the_kernels_default_mtus() {
        // 1500-byte underlay: UDP 1446 (1450 without the sublayer), IP 1458 (1462).
        assert_eq!(1500 - overhead(false, true, 0, true), 1446);
        assert_eq!(1500 - overhead(false, true, 0, false), 1450);
        assert_eq!(1500 - overhead(false, false, 0, true), 1458);
        assert_eq!(1500 - overhead(false, false, 0, false), 1462);
        assert_eq!(1500 - overhead(false, true, 8, true), 1438);
    }
}
