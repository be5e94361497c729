//! Routes: a lookup for one destination (RTM_GETROUTE, as `ip route get` does), to learn which
//! device and MTU the underlay uses toward a tunnel's remote; and the default route that
//! `dhcp request` installs (RTM_NEWROUTE).

use std::net::{IpAddr, Ipv4Addr};

use super::attr::{AttrWriter, Attrs};
use super::{AF_INET, AF_INET6, NLM_F_ACK, NLM_F_CREATE, NLM_F_REPLACE, Request, octets};

// include/uapi/linux/rtnetlink.h
pub const RTM_NEWROUTE: u16 = 24;
pub const RTM_GETROUTE: u16 = 26;
pub const RTA_DST: u16 = 1;
pub const RTA_OIF: u16 = 4;
pub const RTA_GATEWAY: u16 = 5;
pub const RTA_METRICS: u16 = 8;
pub const RTAX_MTU: u16 = 2;
pub const RT_TABLE_MAIN: u8 = 254;
pub const RTPROT_DHCP: u8 = 16;
pub const RT_SCOPE_UNIVERSE: u8 = 0;
pub const RTN_UNICAST: u8 = 1;
pub const RTN_LOCAL: u8 = 2;

/// struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags.
fn rtmsg(family: u8, dst_len: u8, table: u8, protocol: u8, scope: u8, kind: u8) -> [u8; 12] {
    [
        family, dst_len, 0, 0, table, protocol, scope, kind, 0, 0, 0, 0,
    ]
}

pub fn get(dst: IpAddr) -> Request {
    let (family, len) = if dst.is_ipv4() {
        (AF_INET, 32)
    } else {
        (AF_INET6, 128)
    };
    let mut w = AttrWriter::with_header(&rtmsg(family, len, 0, 0, 0, 0));
    w.bytes(RTA_DST, &octets(dst));
    Request::new(
        RTM_GETROUTE,
        0,
        w.finish(),
        format!("look up the route to {dst}"),
    )
}

/// The output device of a route, and the route's own MTU when it has one (`mtu` metric).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteInfo {
    pub oif: Option<u32>,
    pub mtu: Option<u32>,
}

pub fn parse(body: &[u8]) -> RouteInfo {
    let a = Attrs(body.get(12..).unwrap_or(&[]));
    RouteInfo {
        oif: a.get(RTA_OIF).and_then(|x| x.u32()),
        mtu: a
            .get(RTA_METRICS)
            .and_then(|m| m.nested().get(RTAX_MTU))
            .and_then(|x| x.u32())
            .filter(|&m| m != 0),
    }
}

/// `ip route replace default via GW dev IFACE proto dhcp`.
pub fn replace_default(index: u32, name: &str, gateway: Ipv4Addr) -> Request {
    let header = rtmsg(
        AF_INET,
        0,
        RT_TABLE_MAIN,
        RTPROT_DHCP,
        RT_SCOPE_UNIVERSE,
        RTN_UNICAST,
    );
    let mut w = AttrWriter::with_header(&header);
    w.bytes(RTA_GATEWAY, &gateway.octets()).u32(RTA_OIF, index);
    Request::new(
        RTM_NEWROUTE,
        NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE,
        w.finish(),
        format!("set default route via {gateway} on {name}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::golden;

    #[test]
    fn default_route_matches_iproute2() {
        let req = replace_default(3, "eth0", Ipv4Addr::new(10, 9, 0, 1));
        golden::assert_matches(&req, include_str!("../../tests/golden/route-default.hex"));
    }

    #[test]
    fn route_metrics_are_read() {
        let mut w = AttrWriter::with_header(&rtmsg(AF_INET, 32, RT_TABLE_MAIN, 0, 0, RTN_UNICAST));
        w.u32(RTA_OIF, 7).nest(RTA_METRICS, |m| {
            m.u32(RTAX_MTU, 1400);
        });
        let info = parse(&w.finish());
        assert_eq!(
            info,
            RouteInfo {
                oif: Some(7),
                mtu: Some(1400)
            }
        );
    }
}
