//! Route lookups: RTM_GETROUTE for one destination, as `ip route get` does, to learn which
//! device (and so which MTU) the underlay uses toward a tunnel's remote.

use std::net::IpAddr;

use super::attr::{AttrWriter, Attrs};
use super::{AF_INET, AF_INET6, Request, octets};

// include/uapi/linux/rtnetlink.h
pub const RTM_GETROUTE: u16 = 26;
pub const RTA_DST: u16 = 1;
pub const RTA_OIF: u16 = 4;
pub const RTA_METRICS: u16 = 8;
pub const RTAX_MTU: u16 = 2;

/// struct rtmsg with only family and destination length set.
fn rtmsg(family: u8, dst_len: u8) -> [u8; 12] {
    let mut h = [0u8; 12];
    h[0] = family;
    h[1] = dst_len;
    h
}

pub fn get(dst: IpAddr) -> Request {
    let (family, len) = if dst.is_ipv4() {
        (AF_INET, 32)
    } else {
        (AF_INET6, 128)
    };
    let mut w = AttrWriter::with_header(&rtmsg(family, len));
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
