//! L2TPv3 over generic netlink (family "l2tp", version 1): a tunnel (the UDP or IP transport
//! between two hosts) and an Ethernet pseudowire session in it, whose interface carries the
//! frames. Attribute sets and defaults are iproute2's (ip/ipl2tp.c), so a peer configured
//! with `ip l2tp` interoperates.

use std::net::IpAddr;

use super::attr::AttrWriter;
use super::genl::{self, genlmsghdr};
use super::{Feature, Generic, NLM_F_ACK, NLM_F_DUMP, Request, ip_from, octets};

// include/uapi/linux/l2tp.h
pub const L2TP_GENL_NAME: &str = "l2tp";
pub const L2TP_GENL_VERSION: u8 = 1;
pub const L2TP_CMD_TUNNEL_CREATE: u8 = 1;
pub const L2TP_CMD_TUNNEL_DELETE: u8 = 2;
pub const L2TP_CMD_TUNNEL_GET: u8 = 4;
pub const L2TP_CMD_SESSION_CREATE: u8 = 5;
pub const L2TP_CMD_SESSION_DELETE: u8 = 6;
pub const L2TP_CMD_SESSION_GET: u8 = 8;
pub const L2TP_ATTR_PW_TYPE: u16 = 1;
pub const L2TP_ATTR_ENCAP_TYPE: u16 = 2;
pub const L2TP_ATTR_L2SPEC_TYPE: u16 = 5;
pub const L2TP_ATTR_L2SPEC_LEN: u16 = 6;
pub const L2TP_ATTR_PROTO_VERSION: u16 = 7;
pub const L2TP_ATTR_IFNAME: u16 = 8;
pub const L2TP_ATTR_CONN_ID: u16 = 9;
pub const L2TP_ATTR_PEER_CONN_ID: u16 = 10;
pub const L2TP_ATTR_SESSION_ID: u16 = 11;
pub const L2TP_ATTR_PEER_SESSION_ID: u16 = 12;
pub const L2TP_ATTR_COOKIE: u16 = 15;
pub const L2TP_ATTR_PEER_COOKIE: u16 = 16;
pub const L2TP_ATTR_IP_SADDR: u16 = 24;
pub const L2TP_ATTR_IP_DADDR: u16 = 25;
pub const L2TP_ATTR_UDP_SPORT: u16 = 26;
pub const L2TP_ATTR_UDP_DPORT: u16 = 27;
pub const L2TP_ATTR_IP6_SADDR: u16 = 31;
pub const L2TP_ATTR_IP6_DADDR: u16 = 32;
pub const L2TP_ENCAPTYPE_UDP: u16 = 0;
pub const L2TP_ENCAPTYPE_IP: u16 = 1;
pub const L2TP_PWTYPE_ETH: u16 = 5;
pub const L2TP_L2SPECTYPE_NONE: u8 = 0;
pub const L2TP_L2SPECTYPE_DEFAULT: u8 = 1;

/// The port IANA assigned to L2TP.
pub const L2TP_PORT: u16 = 1701;

/// The family and the Ethernet pseudowire (l2tp_netlink, l2tp_eth).
pub const L2TP: Feature = Feature {
    name: "l2tp",
    module: "l2tp_eth",
};
/// L2TPv3 straight over IP, protocol 115 (l2tp_ip, l2tp_ip6).
pub const L2TP_IP: Feature = Feature {
    name: "l2tp ip encapsulation",
    module: "l2tp_ip",
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encap {
    Udp { sport: u16, dport: u16 },
    Ip,
}

impl Encap {
    /// `udp` or `ip`, as `--encap` and `ip l2tp` write it.
    pub fn name(self) -> &'static str {
        match self {
            Encap::Udp { .. } => "udp",
            Encap::Ip => "ip",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelSpec {
    pub tunnel_id: u32,
    pub peer_tunnel_id: u32,
    pub encap: Encap,
    pub local: IpAddr,
    pub remote: IpAddr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSpec {
    pub name: String,
    pub tunnel_id: u32,
    pub peer_tunnel_id: u32,
    pub session_id: u32,
    pub peer_session_id: u32,
    pub cookie: Option<Vec<u8>>,
    pub peer_cookie: Option<Vec<u8>>,
    /// L2TP_L2SPECTYPE_DEFAULT (4 bytes after the cookie) or L2TP_L2SPECTYPE_NONE.
    pub l2spec: u8,
}

fn writer(cmd: u8) -> AttrWriter {
    AttrWriter::with_header(&genlmsghdr(cmd, L2TP_GENL_VERSION))
}

pub fn tunnel_create(family: u16, t: &TunnelSpec) -> Request<Generic> {
    let mut w = writer(L2TP_CMD_TUNNEL_CREATE);
    w.u32(L2TP_ATTR_CONN_ID, t.tunnel_id)
        .u32(L2TP_ATTR_PEER_CONN_ID, t.peer_tunnel_id);
    w.u8(L2TP_ATTR_PROTO_VERSION, 3);
    let encap = match t.encap {
        Encap::Udp { .. } => L2TP_ENCAPTYPE_UDP,
        Encap::Ip => L2TP_ENCAPTYPE_IP,
    };
    w.u16(L2TP_ATTR_ENCAP_TYPE, encap);
    let (saddr, daddr) = match t.local {
        IpAddr::V4(_) => (L2TP_ATTR_IP_SADDR, L2TP_ATTR_IP_DADDR),
        IpAddr::V6(_) => (L2TP_ATTR_IP6_SADDR, L2TP_ATTR_IP6_DADDR),
    };
    w.bytes(saddr, &octets(t.local))
        .bytes(daddr, &octets(t.remote));
    if let Encap::Udp { sport, dport } = t.encap {
        w.u16(L2TP_ATTR_UDP_SPORT, sport)
            .u16(L2TP_ATTR_UDP_DPORT, dport);
    }
    let feature = if encap == L2TP_ENCAPTYPE_IP {
        L2TP_IP
    } else {
        L2TP
    };
    Request::new(
        family,
        NLM_F_ACK,
        w.finish(),
        format!("create l2tp tunnel {}", t.tunnel_id),
    )
    .needing(feature)
}

/// An Ethernet pseudowire with the default L2-specific sublayer (4 bytes), as `ip l2tp add
/// session` makes it; its interface is named `s.name`.
pub fn session_create(family: u16, s: &SessionSpec) -> Request<Generic> {
    let mut w = writer(L2TP_CMD_SESSION_CREATE);
    w.u32(L2TP_ATTR_CONN_ID, s.tunnel_id)
        .u32(L2TP_ATTR_PEER_CONN_ID, s.peer_tunnel_id);
    w.u32(L2TP_ATTR_SESSION_ID, s.session_id);
    w.u32(L2TP_ATTR_PEER_SESSION_ID, s.peer_session_id);
    w.u16(L2TP_ATTR_PW_TYPE, L2TP_PWTYPE_ETH);
    let l2spec_len = if s.l2spec == L2TP_L2SPECTYPE_NONE {
        0
    } else {
        4
    };
    w.u8(L2TP_ATTR_L2SPEC_TYPE, s.l2spec)
        .u8(L2TP_ATTR_L2SPEC_LEN, l2spec_len);
    if let Some(c) = &s.cookie {
        w.bytes(L2TP_ATTR_COOKIE, c);
    }
    if let Some(c) = &s.peer_cookie {
        w.bytes(L2TP_ATTR_PEER_COOKIE, c);
    }
    w.str(L2TP_ATTR_IFNAME, &s.name);
    Request::new(
        family,
        NLM_F_ACK,
        w.finish(),
        format!("create l2tp session {}", s.name),
    )
    .needing(L2TP)
}

pub fn tunnel_delete(family: u16, tunnel_id: u32) -> Request<Generic> {
    let mut w = writer(L2TP_CMD_TUNNEL_DELETE);
    w.u32(L2TP_ATTR_CONN_ID, tunnel_id);
    Request::new(
        family,
        NLM_F_ACK,
        w.finish(),
        format!("delete l2tp tunnel {tunnel_id}"),
    )
}

pub fn session_delete(family: u16, tunnel_id: u32, session_id: u32) -> Request<Generic> {
    let mut w = writer(L2TP_CMD_SESSION_DELETE);
    w.u32(L2TP_ATTR_CONN_ID, tunnel_id)
        .u32(L2TP_ATTR_SESSION_ID, session_id);
    let what = format!("delete l2tp session {session_id} of tunnel {tunnel_id}");
    Request::new(family, NLM_F_ACK, w.finish(), what)
}

/// Every tunnel; the kernel ignores filters on L2TP dumps.
pub fn tunnel_dump(family: u16) -> Request<Generic> {
    Request::new(
        family,
        NLM_F_DUMP,
        writer(L2TP_CMD_TUNNEL_GET).finish(),
        "list l2tp tunnels",
    )
}

pub fn session_dump(family: u16) -> Request<Generic> {
    Request::new(
        family,
        NLM_F_DUMP,
        writer(L2TP_CMD_SESSION_GET).finish(),
        "list l2tp sessions",
    )
}

pub fn parse_tunnel(body: &[u8]) -> Option<TunnelSpec> {
    let a = genl::attrs(body);
    let u16_of = |k| a.get(k).and_then(|x| x.u16());
    let encap = match u16_of(L2TP_ATTR_ENCAP_TYPE)? {
        L2TP_ENCAPTYPE_IP => Encap::Ip,
        _ => Encap::Udp {
            sport: u16_of(L2TP_ATTR_UDP_SPORT).unwrap_or(0),
            dport: u16_of(L2TP_ATTR_UDP_DPORT).unwrap_or(0),
        },
    };
    let addr = |v4, v6| {
        a.get(v4)
            .or_else(|| a.get(v6))
            .and_then(|x| ip_from(x.payload))
    };
    Some(TunnelSpec {
        tunnel_id: a.get(L2TP_ATTR_CONN_ID)?.u32()?,
        peer_tunnel_id: a.get(L2TP_ATTR_PEER_CONN_ID)?.u32()?,
        encap,
        local: addr(L2TP_ATTR_IP_SADDR, L2TP_ATTR_IP6_SADDR)?,
        remote: addr(L2TP_ATTR_IP_DADDR, L2TP_ATTR_IP6_DADDR)?,
    })
}

pub fn parse_session(body: &[u8]) -> Option<SessionSpec> {
    let a = genl::attrs(body);
    let id = |k| a.get(k).and_then(|x| x.u32());
    let bytes = |k| {
        a.get(k)
            .map(|x| x.payload.to_vec())
            .filter(|c: &Vec<u8>| !c.is_empty())
    };
    Some(SessionSpec {
        name: a
            .get(L2TP_ATTR_IFNAME)
            .and_then(|x| x.str())
            .unwrap_or("")
            .to_string(),
        tunnel_id: id(L2TP_ATTR_CONN_ID)?,
        peer_tunnel_id: id(L2TP_ATTR_PEER_CONN_ID).unwrap_or(0),
        session_id: id(L2TP_ATTR_SESSION_ID)?,
        peer_session_id: id(L2TP_ATTR_PEER_SESSION_ID)?,
        cookie: bytes(L2TP_ATTR_COOKIE),
        peer_cookie: bytes(L2TP_ATTR_PEER_COOKIE),
        l2spec: a
            .get(L2TP_ATTR_L2SPEC_TYPE)
            .and_then(|x| x.u8())
            .unwrap_or(L2TP_L2SPECTYPE_DEFAULT),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::golden;

    /// The family id the capture's kernel assigned; it differs per boot.
    const FAMILY: u16 = 0x20;

    fn tunnel(encap: Encap) -> TunnelSpec {
        TunnelSpec {
            tunnel_id: 10,
            peer_tunnel_id: 20,
            encap,
            local: "10.1.0.1".parse().unwrap(),
            remote: "10.1.0.2".parse().unwrap(),
        }
    }

    #[test]
    fn udp_tunnel_matches_iproute2() {
        let req = tunnel_create(
            FAMILY,
            &tunnel(Encap::Udp {
                sport: 1701,
                dport: 1702,
            }),
        );
        golden::assert_matches(&req, include_str!("../../tests/golden/l2tp-tunnel-add.hex"));
    }

    #[test]
    fn ip_tunnel_matches_iproute2() {
        let req = tunnel_create(FAMILY, &tunnel(Encap::Ip));
        golden::assert_matches(
            &req,
            include_str!("../../tests/golden/l2tp-tunnel-add-ip.hex"),
        );
        assert_eq!(req.needs, Some(L2TP_IP));
    }

    #[test]
    fn session_matches_iproute2() {
        let req = session_create(
            FAMILY,
            &SessionSpec {
                name: "l2t1".into(),
                tunnel_id: 10,
                // `ip l2tp add session` does not know the tunnel's peer id and sends 0; the
                // kernel takes the peer from the tunnel.
                peer_tunnel_id: 0,
                session_id: 30,
                peer_session_id: 40,
                cookie: Some(vec![1, 2, 3, 4, 5, 6, 7, 8]),
                peer_cookie: Some(vec![0x0a, 0x0b, 0x0c, 0x0d]),
                l2spec: L2TP_L2SPECTYPE_DEFAULT,
            },
        );
        golden::assert_matches(
            &req,
            include_str!("../../tests/golden/l2tp-session-add.hex"),
        );
    }

    /// The l2tp replies of a capture: every message but NLMSG_ERROR and NLMSG_DONE (the
    /// family's message type differs per boot).
    fn replies(capture: &str) -> Vec<Vec<u8>> {
        golden::messages(capture)
            .into_iter()
            .filter(|m| !matches!(u16::from_ne_bytes([m[4], m[5]]), 2 | 3))
            .map(|m| m[16..].to_vec())
            .collect()
    }

    #[test]
    fn a_tunnel_as_the_kernel_reports_it() {
        let got = replies(include_str!("../../tests/golden/reply-l2tp-tunnel.hex"));
        let tunnels: Vec<TunnelSpec> = got.iter().filter_map(|b| parse_tunnel(b)).collect();
        assert_eq!(
            tunnels,
            [tunnel(Encap::Udp {
                sport: 1701,
                dport: 1702
            })]
        );
    }

    #[test]
    fn a_session_as_the_kernel_reports_it() {
        let got = replies(include_str!("../../tests/golden/reply-l2tp-session.hex"));
        let sessions: Vec<SessionSpec> = got.iter().filter_map(|b| parse_session(b)).collect();
        assert_eq!(
            sessions,
            [SessionSpec {
                name: "l2t1".into(),
                tunnel_id: 10,
                peer_tunnel_id: 20,
                session_id: 30,
                peer_session_id: 40,
                cookie: Some(vec![1, 2, 3, 4, 5, 6, 7, 8]),
                peer_cookie: Some(vec![0x0a, 0x0b, 0x0c, 0x0d]),
                l2spec: L2TP_L2SPECTYPE_DEFAULT,
            }]
        );
    }

    #[test]
    fn tunnel_and_session_are_read_back() {
        let t = tunnel(Encap::Udp {
            sport: 1701,
            dport: 1701,
        });
        assert_eq!(parse_tunnel(&tunnel_create(FAMILY, &t).body), Some(t));
        let s = SessionSpec {
            name: "l2t0".into(),
            tunnel_id: 1,
            peer_tunnel_id: 2,
            session_id: 3,
            peer_session_id: 4,
            cookie: None,
            peer_cookie: Some(vec![1, 2, 3, 4]),
            l2spec: L2TP_L2SPECTYPE_DEFAULT,
        };
        assert_eq!(parse_session(&session_create(FAMILY, &s).body), Some(s));
    }
}
