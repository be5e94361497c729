//! Routes: the default route that `dhcp request` installs (RTM_NEWROUTE).

use std::net::Ipv4Addr;

use super::attr::AttrWriter;
use super::{AF_INET, NLM_F_ACK, NLM_F_CREATE, NLM_F_REPLACE, Request, Route};

// include/uapi/linux/rtnetlink.h
pub const RTM_NEWROUTE: u16 = 24;
pub const RTA_OIF: u16 = 4;
pub const RTA_GATEWAY: u16 = 5;
pub const RT_TABLE_MAIN: u8 = 254;
pub const RTPROT_DHCP: u8 = 16;
pub const RT_SCOPE_UNIVERSE: u8 = 0;
pub const RTN_UNICAST: u8 = 1;

/// struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags.
fn rtmsg(family: u8, dst_len: u8, table: u8, protocol: u8, scope: u8, kind: u8) -> [u8; 12] {
    [
        family, dst_len, 0, 0, table, protocol, scope, kind, 0, 0, 0, 0,
    ]
}

/// `ip route replace default via GW dev IFACE proto dhcp`.
pub fn replace_default(index: u32, name: &str, gateway: Ipv4Addr) -> Request<Route> {
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
}
