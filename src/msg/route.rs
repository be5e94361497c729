//! Routes: RTM_NEWROUTE / RTM_DELROUTE / RTM_GETROUTE with struct rtmsg. A route reads back
//! with everything that makes it what it is (table, protocol, scope, type, gateway, device,
//! preferred source, metric, metrics, next hops, IPv6 preference and expiry), so it can be
//! deleted exactly and made again, the same, through another device. Also the lookup for one
//! destination (`ip route get`), and the default route `dhcp request` installs.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use ipnetwork::IpNetwork;

use super::attr::{AttrWriter, Attrs};
use super::{
    AF_INET, AF_INET6, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REPLACE, Request,
    ip_from, octets,
};
// The family marker, named apart from the routes this file is about.
use super::Route as Rtnetlink;

// include/uapi/linux/rtnetlink.h
pub const RTM_NEWROUTE: u16 = 24;
pub const RTM_DELROUTE: u16 = 25;
pub const RTM_GETROUTE: u16 = 26;

pub const RTA_DST: u16 = 1;
pub const RTA_SRC: u16 = 2;
pub const RTA_OIF: u16 = 4;
pub const RTA_GATEWAY: u16 = 5;
pub const RTA_PRIORITY: u16 = 6;
pub const RTA_PREFSRC: u16 = 7;
pub const RTA_METRICS: u16 = 8;
pub const RTA_MULTIPATH: u16 = 9;
pub const RTA_CACHEINFO: u16 = 12;
pub const RTA_TABLE: u16 = 15;
pub const RTA_PREF: u16 = 20;
pub const RTA_EXPIRES: u16 = 23;

#[cfg(test)]
pub const RTAX_MTU: u16 = 2;

pub const RT_TABLE_UNSPEC: u8 = 0;
pub const RT_TABLE_MAIN: u8 = 254;

pub const RTPROT_KERNEL: u8 = 2;
pub const RTPROT_BOOT: u8 = 3;
pub const RTPROT_DHCP: u8 = 16;

// enum rt_scope_t
pub const RT_SCOPE_UNIVERSE: u8 = 0;
pub const RT_SCOPE_LINK: u8 = 253;

pub const RTN_UNICAST: u8 = 1;
pub const RTN_LOCAL: u8 = 2;

/// `onlink`: the gateway is on the link even if no prefix says so. The other RTNH_F_* flags
/// the kernel reports (dead, linkdown, offload) are its own state.
pub const RTNH_F_ONLINK: u8 = 4;

/// clock_t ticks per second, in which RTA_CACHEINFO reports expiry: 100 on every Linux
/// architecture l2x runs on (USER_HZ).
const USER_HZ: u32 = 100;

/// struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags.
fn rtmsg(family: u8, dst_len: u8, table: u8, protocol: u8, scope: u8, kind: u8) -> [u8; 12] {
    [
        family, dst_len, 0, 0, table, protocol, scope, kind, 0, 0, 0, 0,
    ]
}

/// One of a multipath route's next hops (struct rtnexthop and its RTA_GATEWAY).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextHop {
    pub oif: u32,
    pub gateway: Option<IpAddr>,
    /// `weight` as ip writes it: the kernel's rtnh_hops plus one.
    pub weight: u16,
    /// RTNH_F_* as the kernel reports them.
    pub flags: u8,
}

/// A route as the kernel reports it, and as l2x asks for one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The destination; prefix 0 is the default route.
    pub dst: IpNetwork,
    /// IPv6 source-specific routing (`from`).
    pub src: Option<IpNetwork>,
    pub tos: u8,
    pub table: u32,
    pub protocol: u8,
    pub scope: u8,
    /// rtm_type: RTN_UNICAST, RTN_LOCAL, ...
    pub kind: u8,
    /// rtm_flags: RTNH_F_* and RTM_F_*, as the kernel reports them.
    pub flags: u32,
    pub oif: Option<u32>,
    pub gateway: Option<IpAddr>,
    /// The source address the kernel picks for connections along this route (`src`).
    pub prefsrc: Option<IpAddr>,
    /// The route's metric (`metric`).
    pub priority: Option<u32>,
    /// RTA_METRICS as the kernel reports it (`mtu`, `advmss`, `initcwnd`, ...), sent back as is.
    pub metrics: Vec<u8>,
    pub nexthops: Vec<NextHop>,
    /// IPv6 router preference (`pref`): ICMPV6_ROUTER_PREF_*.
    pub pref: Option<u8>,
    /// Seconds until an IPv6 route expires (`expires`).
    pub expires: Option<u32>,
}

impl Route {
    /// A unicast route in table main, as `ip route add DST` makes it with proto boot.
    pub fn new(dst: IpNetwork) -> Route {
        Route {
            dst,
            src: None,
            tos: 0,
            table: u32::from(RT_TABLE_MAIN),
            protocol: RTPROT_BOOT,
            scope: RT_SCOPE_UNIVERSE,
            kind: RTN_UNICAST,
            flags: 0,
            oif: None,
            gateway: None,
            prefsrc: None,
            priority: None,
            metrics: Vec::new(),
            nexthops: Vec::new(),
            pref: None,
            expires: None,
        }
    }

    pub fn family(&self) -> u8 {
        if self.dst.is_ipv4() {
            AF_INET
        } else {
            AF_INET6
        }
    }
}

impl Route {
    /// The kernel made it itself, for an address (prefix, local and broadcast routes): it
    /// follows the address, never to be moved on its own.
    pub fn is_kernel_made(&self) -> bool {
        self.protocol == RTPROT_KERNEL
    }

    /// It leaves through interface `index`, directly or as one of its next hops.
    pub fn uses(&self, index: u32) -> bool {
        self.oif == Some(index) || self.nexthops.iter().any(|n| n.oif == index)
    }

    /// The same route through interface `to` where it went through `from`.
    pub fn moved_to(&self, from: u32, to: u32) -> Route {
        let swap = |i: u32| if i == from { to } else { i };
        Route {
            oif: self.oif.map(swap),
            nexthops: self
                .nexthops
                .iter()
                .map(|n| NextHop {
                    oif: swap(n.oif),
                    ..n.clone()
                })
                .collect(),
            ..self.clone()
        }
    }
}

impl Route {
    /// One metric of RTA_METRICS (RTAX_MTU, ...), where it is set.
    #[cfg(test)]
    pub fn metric(&self, kind: u16) -> Option<u32> {
        Attrs(&self.metrics).get(kind)?.u32()
    }

    pub fn parse(body: &[u8]) -> Option<Route> {
        let h = body.get(..12)?;
        let attrs = Attrs(&body[12..]);
        let (family, dst_len, src_len) = (h[0], h[1], h[2]);
        let any = match family {
            AF_INET => IpAddr::from(Ipv4Addr::UNSPECIFIED),
            AF_INET6 => IpAddr::from(std::net::Ipv6Addr::UNSPECIFIED),
            _ => return None,
        };
        let dst = attrs.get(RTA_DST).and_then(|a| ip_from(a.payload));
        let mut route = Route {
            tos: h[3],
            table: u32::from(h[4]),
            protocol: h[5],
            scope: h[6],
            kind: h[7],
            flags: u32::from_ne_bytes(h[8..12].try_into().ok()?),
            ..Route::new(IpNetwork::new(dst.unwrap_or(any), dst_len).ok()?)
        };
        for a in &attrs {
            match a.kind {
                RTA_SRC => route.src = IpNetwork::new(ip_from(a.payload)?, src_len).ok(),
                RTA_OIF => route.oif = a.u32(),
                RTA_GATEWAY => route.gateway = ip_from(a.payload),
                RTA_PRIORITY => route.priority = a.u32(),
                RTA_PREFSRC => route.prefsrc = ip_from(a.payload),
                RTA_METRICS => route.metrics = a.payload.to_vec(),
                RTA_MULTIPATH => route.nexthops = nexthops(a.payload),
                RTA_TABLE => route.table = a.u32()?,
                RTA_PREF => route.pref = a.u8(),
                RTA_CACHEINFO => route.expires = expires(a.payload),
                // What a request carries instead (a request parsed back, in the tests).
                RTA_EXPIRES => route.expires = a.u32(),
                _ => {}
            }
        }
        Some(route)
    }
}

/// `10.20.0.0/16 via 10.9.0.254 table 100 metric 50`, in ip's words.
impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.dst.prefix() == 0 {
            write!(f, "default")?;
        } else {
            write!(f, "{}", self.dst)?;
        }
        if let Some(gw) = self.gateway {
            write!(f, " via {gw}")?;
        }
        for n in &self.nexthops {
            if let Some(gw) = n.gateway {
                write!(f, " nexthop via {gw}")?;
            }
        }
        if self.table != u32::from(RT_TABLE_MAIN) {
            write!(f, " table {}", self.table)?;
        }
        if let Some(metric) = self.priority {
            write!(f, " metric {metric}")?;
        }
        Ok(())
    }
}

/// RTA_MULTIPATH: struct rtnexthop (len, flags, hops, ifindex) each followed by attributes.
fn nexthops(mut payload: &[u8]) -> Vec<NextHop> {
    let mut hops = Vec::new();
    while let Some(h) = payload.get(..8) {
        let len = usize::from(u16::from_ne_bytes([h[0], h[1]]));
        let Some(attrs) = payload.get(8..len) else {
            break;
        };
        let attrs = Attrs(attrs);
        hops.push(NextHop {
            oif: u32::from_ne_bytes([h[4], h[5], h[6], h[7]]),
            gateway: attrs.get(RTA_GATEWAY).and_then(|a| ip_from(a.payload)),
            weight: u16::from(h[3]) + 1,
            flags: h[2],
        });
        payload = payload.get((len + 3) & !3..).unwrap_or(&[]);
    }
    hops
}

/// struct rta_cacheinfo's rta_expires (clock_t ticks, the third word); 0 for no expiry.
fn expires(payload: &[u8]) -> Option<u32> {
    let ticks = i32::from_ne_bytes(payload.get(8..12)?.try_into().ok()?);
    (ticks != 0).then(|| ticks.max(0) as u32 / USER_HZ)
}

/// The fixed header and the attributes that say which route it is, in the order `ip route
/// add|del DST via GW metric M src S table T dev D` sends them. Tables above 255 do not fit
/// the header's byte and go in RTA_TABLE.
fn identify(route: &Route, w: &mut AttrWriter) {
    if route.dst.prefix() > 0 {
        w.bytes(RTA_DST, &octets(route.dst.ip()));
    }
    if let Some(src) = route.src {
        w.bytes(RTA_SRC, &octets(src.ip()));
    }
    if let Some(gw) = route.gateway {
        w.bytes(RTA_GATEWAY, &octets(gw));
    }
    if let Some(metric) = route.priority {
        w.u32(RTA_PRIORITY, metric);
    }
    if let Some(src) = route.prefsrc {
        w.bytes(RTA_PREFSRC, &octets(src));
    }
    if u8::try_from(route.table).is_err() {
        w.u32(RTA_TABLE, route.table);
    }
}

fn header(route: &Route) -> [u8; 12] {
    let table = u8::try_from(route.table).unwrap_or(RT_TABLE_UNSPEC);
    let mut h = rtmsg(
        route.family(),
        route.dst.prefix(),
        table,
        route.protocol,
        route.scope,
        route.kind,
    );
    h[2] = route.src.map_or(0, |s| s.prefix());
    h[3] = route.tos;
    h[8] = (route.flags as u8) & RTNH_F_ONLINK;
    h
}

/// RTA_MULTIPATH, each hop's flags cut to the ones a request sets.
fn write_nexthops(route: &Route, w: &mut AttrWriter) {
    if route.nexthops.is_empty() {
        return;
    }
    let mut list = Vec::new();
    for n in &route.nexthops {
        let mut gw = AttrWriter::default();
        if let Some(ip) = n.gateway {
            gw.bytes(RTA_GATEWAY, &octets(ip));
        }
        let gw = gw.finish();
        let hops = u8::try_from(n.weight.saturating_sub(1)).unwrap_or(u8::MAX);
        list.extend_from_slice(&((8 + gw.len()) as u16).to_ne_bytes());
        list.extend_from_slice(&[n.flags & RTNH_F_ONLINK, hops]);
        list.extend_from_slice(&n.oif.to_ne_bytes());
        list.extend_from_slice(&gw);
    }
    w.bytes(RTA_MULTIPATH, &list);
}

/// `ip route add` of `route` with everything it carries: fails if it exists (NLM_F_EXCL).
pub fn add(route: &Route, name: &str) -> Request<Rtnetlink> {
    let mut w = AttrWriter::with_header(&header(route));
    identify(route, &mut w);
    if let Some(pref) = route.pref {
        w.u8(RTA_PREF, pref);
    }
    if let Some(secs) = route.expires {
        w.u32(RTA_EXPIRES, secs);
    }
    if let Some(oif) = route.oif {
        w.u32(RTA_OIF, oif);
    }
    if !route.metrics.is_empty() {
        w.bytes(RTA_METRICS, &route.metrics);
    }
    write_nexthops(route, &mut w);
    Request::new(
        RTM_NEWROUTE,
        NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
        w.finish(),
        format!("add route {route} on {name}"),
    )
}

/// `ip route del` of exactly `route`: the kernel deletes the first route that matches every
/// field given, so all of them are.
pub fn delete(route: &Route, name: &str) -> Request<Rtnetlink> {
    let mut w = AttrWriter::with_header(&header(route));
    identify(route, &mut w);
    if let Some(oif) = route.oif {
        w.u32(RTA_OIF, oif);
    }
    write_nexthops(route, &mut w);
    Request::new(
        RTM_DELROUTE,
        NLM_F_ACK,
        w.finish(),
        format!("delete route {route} on {name}"),
    )
}

/// Which routes a dump lists; the kernel filters (strict dump checking).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RouteFilter {
    /// One table (every table when `None`).
    pub table: Option<u32>,
    /// Only routes through this interface, next hops included.
    pub oif: Option<u32>,
}

/// The routes of one family (AF_INET or AF_INET6), as `ip route show [table T] [dev D]`.
pub fn dump(family: u8, filter: RouteFilter) -> Request<Rtnetlink> {
    let mut w = AttrWriter::with_header(&rtmsg(family, 0, 0, 0, 0, 0));
    if let Some(table) = filter.table {
        w.u32(RTA_TABLE, table);
    }
    if let Some(oif) = filter.oif {
        w.u32(RTA_OIF, oif);
    }
    Request::new(RTM_GETROUTE, NLM_F_DUMP, w.finish(), "list routes")
}

/// `ip route replace default via GW dev IFACE proto dhcp`.
pub fn replace_default(index: u32, name: &str, gateway: Ipv4Addr) -> Request<Rtnetlink> {
    let route = Route {
        protocol: RTPROT_DHCP,
        gateway: Some(IpAddr::V4(gateway)),
        oif: Some(index),
        ..Route::new(IpNetwork::new(Ipv4Addr::UNSPECIFIED.into(), 0).expect("0.0.0.0/0"))
    };
    let mut w = AttrWriter::with_header(&header(&route));
    identify(&route, &mut w);
    w.u32(RTA_OIF, index);
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

    /// br0 in the captures' namespace.
    const BR0: u32 = 4;
    const RT_TABLE_LOCAL: u8 = 255;
    const RTPROT_STATIC: u8 = 4;
    const RTPROT_RA: u8 = 9;

    fn net(s: &str) -> IpNetwork {
        s.parse().unwrap()
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    /// RTA_METRICS for `mtu 1400 advmss 1360`.
    fn mtu_advmss() -> Vec<u8> {
        let mut m = AttrWriter::default();
        m.u32(RTAX_MTU, 1400).u32(8, 1360); // RTAX_ADVMSS
        m.finish()
    }

    /// `10.20.0.0/16 via 10.9.0.254 metric 100 src 10.9.0.5 table 100 proto static dev br0`.
    fn static_route() -> Route {
        Route {
            table: 100,
            protocol: RTPROT_STATIC,
            oif: Some(BR0),
            gateway: ip("10.9.0.254"),
            prefsrc: ip("10.9.0.5"),
            priority: Some(100),
            ..Route::new(net("10.20.0.0/16"))
        }
    }

    #[test]
    fn default_route_matches_iproute2() {
        let req = replace_default(3, "eth0", Ipv4Addr::new(10, 9, 0, 1));
        golden::assert_matches(&req, include_str!("../../tests/golden/route-default.hex"));
    }

    #[test]
    fn add_with_everything_matches_iproute2() {
        let route = Route {
            metrics: mtu_advmss(),
            ..static_route()
        };
        golden::assert_matches(
            &add(&route, "br0"),
            include_str!("../../tests/golden/route-add-full.hex"),
        );
    }

    #[test]
    fn a_large_table_goes_in_rta_table() {
        let route = Route {
            table: 1000,
            scope: RT_SCOPE_LINK,
            oif: Some(BR0),
            ..Route::new(net("10.21.0.0/16"))
        };
        golden::assert_matches(
            &add(&route, "br0"),
            include_str!("../../tests/golden/route-add-table.hex"),
        );
    }

    #[test]
    fn multipath_matches_iproute2() {
        let hop = |gw, weight| NextHop {
            oif: BR0,
            gateway: ip(gw),
            weight,
            flags: 0,
        };
        let route = Route {
            table: 7,
            priority: Some(10),
            nexthops: vec![hop("10.9.0.254", 1), hop("10.9.0.253", 2)],
            ..Route::new(net("10.22.0.0/16"))
        };
        golden::assert_matches(
            &add(&route, "br0"),
            include_str!("../../tests/golden/route-add-multipath.hex"),
        );
    }

    #[test]
    fn ipv6_with_preference_and_expiry_matches_iproute2() {
        let route = Route {
            protocol: RTPROT_RA,
            oif: Some(BR0),
            gateway: ip("fe80::1"),
            priority: Some(1024),
            pref: Some(1), // ICMPV6_ROUTER_PREF_HIGH
            expires: Some(600),
            ..Route::new(net("2001:db8:1::/48"))
        };
        golden::assert_matches(
            &add(&route, "br0"),
            include_str!("../../tests/golden/route-add-v6.hex"),
        );
    }

    #[test]
    fn delete_matches_iproute2() {
        let route = Route {
            metrics: mtu_advmss(),
            ..static_route()
        };
        golden::assert_matches(
            &delete(&route, "br0"),
            include_str!("../../tests/golden/route-del.hex"),
        );
    }

    #[test]
    fn dumps_match_iproute2() {
        let table = RouteFilter {
            table: Some(100),
            oif: None,
        };
        golden::assert_matches(
            &dump(AF_INET, table),
            include_str!("../../tests/golden/route-dump-table.hex"),
        );
        let dev = RouteFilter {
            table: None,
            oif: Some(BR0),
        };
        golden::assert_matches(
            &dump(AF_INET6, dev),
            include_str!("../../tests/golden/route-dump-dev.hex"),
        );
    }

    fn dumped(capture: &str) -> Vec<Route> {
        golden::bodies(capture, RTM_NEWROUTE)
            .iter()
            .map(|b| Route::parse(b).expect("a route"))
            .collect()
    }

    fn find<'a>(routes: &'a [Route], dst: &str, table: u32) -> &'a Route {
        routes
            .iter()
            .find(|r| r.dst == net(dst) && r.table == table)
            .unwrap_or_else(|| panic!("no route {dst} table {table} in {routes:#?}"))
    }

    #[test]
    fn kernel_dump_reads_ipv4_routes_with_every_field() {
        let routes = dumped(include_str!("../../tests/golden/route-dump-reply.hex"));
        let default = find(&routes, "0.0.0.0/0", 254);
        assert_eq!(
            (default.protocol, default.gateway, default.prefsrc),
            (RTPROT_DHCP, ip("10.9.0.254"), ip("10.9.0.1"))
        );
        assert_eq!((default.priority, default.oif), (Some(100), Some(BR0)));
        let stat = find(&routes, "10.20.0.0/16", 100);
        assert_eq!(stat.metric(RTAX_MTU), Some(1400));
        assert_eq!((stat.protocol, stat.priority), (RTPROT_STATIC, Some(50)));
        let large = find(&routes, "10.21.0.0/16", 1000);
        assert_eq!((large.scope, large.gateway), (RT_SCOPE_LINK, None));
        let multi = find(&routes, "10.22.0.0/16", 7);
        let hops: Vec<(Option<IpAddr>, u16, u32)> = multi
            .nexthops
            .iter()
            .map(|n| (n.gateway, n.weight, n.oif))
            .collect();
        assert_eq!(
            hops,
            [(ip("10.9.0.254"), 1, BR0), (ip("10.9.0.253"), 2, BR0)]
        );
        let prefix = find(&routes, "10.9.0.0/24", 254);
        assert!(prefix.is_kernel_made());
        let local = find(&routes, "10.9.0.1/32", u32::from(RT_TABLE_LOCAL));
        assert_eq!(local.kind, RTN_LOCAL);
        assert!(multi.uses(BR0) && multi.oif.is_none() && !multi.uses(BR0 + 1));
    }

    #[test]
    fn kernel_dump_reads_ipv6_routes_with_preference_and_expiry() {
        let routes = dumped(include_str!("../../tests/golden/route6-dump-reply.hex"));
        let ra = find(&routes, "2001:db8:1::/48", 254);
        assert_eq!((ra.protocol, ra.pref), (RTPROT_RA, Some(1)));
        // The capture's 600 seconds, counting down.
        assert!(
            ra.expires.is_some_and(|s| (590..=600).contains(&s)),
            "{ra:?}"
        );
        let default = find(&routes, "::/0", 100);
        assert_eq!(
            (default.gateway, default.priority),
            (ip("fe80::1"), Some(512))
        );
    }

    #[test]
    fn a_dumped_route_is_recreated_the_same_through_another_device() {
        let v4 = dumped(include_str!("../../tests/golden/route-dump-reply.hex"));
        let v6 = dumped(include_str!("../../tests/golden/route6-dump-reply.hex"));
        for route in v4.iter().chain(&v6).filter(|r| !r.is_kernel_made()) {
            let moved = route.moved_to(BR0, 9);
            let again = Route::parse(&add(&moved, "eth0").body).unwrap();
            // The kernel's own flags (linkdown) are not sent back.
            let plain = |r: &Route| Route {
                flags: 0,
                nexthops: r
                    .nexthops
                    .iter()
                    .map(|n| NextHop {
                        flags: 0,
                        ..n.clone()
                    })
                    .collect(),
                ..r.clone()
            };
            assert_eq!(plain(&again), plain(&moved), "{route}");
            assert!(again.uses(9) && !again.uses(BR0), "{route}");
            let del = Route::parse(&delete(route, "br0").body).unwrap();
            assert_eq!(
                (del.dst, del.table, del.oif),
                (route.dst, route.table, route.oif)
            );
        }
    }

    #[test]
    fn route_metrics_are_read() {
        let mut w = AttrWriter::with_header(&rtmsg(AF_INET, 32, RT_TABLE_MAIN, 0, 0, RTN_UNICAST));
        w.u32(RTA_OIF, 7).nest(RTA_METRICS, |m| {
            m.u32(RTAX_MTU, 1400);
        });
        let route = Route::parse(&w.finish()).expect("a route");
        assert_eq!((route.oif, route.metric(RTAX_MTU)), (Some(7), Some(1400)));
    }
}
