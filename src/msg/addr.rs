//! Interface addresses: RTM_NEWADDR / RTM_GETADDR with struct ifaddrmsg.

use std::net::IpAddr;

use ipnetwork::IpNetwork;

use super::attr::{AttrWriter, Attrs};
use super::{
    AF_INET, AF_INET6, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, Request, Route, ip_from,
    octets,
};

// include/uapi/linux/rtnetlink.h
pub const RTM_NEWADDR: u16 = 20;
pub const RTM_DELADDR: u16 = 21;
pub const RTM_GETADDR: u16 = 22;

// include/uapi/linux/if_addr.h
pub const IFA_ADDRESS: u16 = 1;
pub const IFA_LOCAL: u16 = 2;

// include/uapi/linux/rtnetlink.h, enum rt_scope_t
const RT_SCOPE_LINK: u8 = 253;

fn family(ip: &IpAddr) -> u8 {
    if ip.is_ipv4() { AF_INET } else { AF_INET6 }
}

/// struct ifaddrmsg: family, prefixlen, flags, scope, index.
fn ifaddrmsg(family: u8, prefix: u8, index: u32) -> [u8; 8] {
    let mut h = [0u8; 8];
    h[0] = family;
    h[1] = prefix;
    h[4..8].copy_from_slice(&index.to_ne_bytes());
    h
}

/// Adds an address as `ip addr add CIDR dev NAME` does: IFA_LOCAL and IFA_ADDRESS both set.
pub fn add(index: u32, name: &str, net: IpNetwork) -> Request<Route> {
    let ip = net.ip();
    let mut w = AttrWriter::with_header(&ifaddrmsg(family(&ip), net.prefix(), index));
    w.bytes(IFA_LOCAL, &octets(ip));
    w.bytes(IFA_ADDRESS, &octets(ip));
    Request::new(
        RTM_NEWADDR,
        NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
        w.finish(),
        format!("add address {net} to {name}"),
    )
}

/// Removes an address as `ip addr del CIDR dev NAME` does.
pub fn delete(index: u32, name: &str, net: IpNetwork) -> Request<Route> {
    let ip = net.ip();
    let mut w = AttrWriter::with_header(&ifaddrmsg(family(&ip), net.prefix(), index));
    w.bytes(IFA_LOCAL, &octets(ip));
    w.bytes(IFA_ADDRESS, &octets(ip));
    Request::new(
        RTM_DELADDR,
        NLM_F_ACK,
        w.finish(),
        format!("delete address {net} from {name}"),
    )
}

/// All addresses of one interface; the kernel filters by index (strict dump checking).
pub fn dump(index: u32) -> Request<Route> {
    let w = AttrWriter::with_header(&ifaddrmsg(0, 0, index));
    Request::new(RTM_GETADDR, NLM_F_DUMP, w.finish(), "list addresses")
}

/// An address as the kernel reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addr {
    pub index: u32,
    pub net: IpNetwork,
    /// fe80::/10 and friends: made by the kernel, not by the user.
    pub link_scope: bool,
}

impl Addr {
    pub fn parse(body: &[u8]) -> Option<Addr> {
        let h = body.get(..8)?;
        let attrs = Attrs(&body[8..]);
        // IFA_LOCAL is the interface's own address; IPv6 sends only IFA_ADDRESS.
        let a = attrs.get(IFA_LOCAL).or_else(|| attrs.get(IFA_ADDRESS))?;
        let ip = ip_from(a.payload)?;
        Some(Addr {
            index: u32::from_ne_bytes(h[4..8].try_into().ok()?),
            net: IpNetwork::new(ip, h[1]).ok()?,
            link_scope: h[3] == RT_SCOPE_LINK,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::golden;

    #[test]
    fn add_matches_iproute2() {
        let net: IpNetwork = "10.9.0.1/24".parse().unwrap();
        golden::assert_matches(
            &add(4, "br0", net),
            include_str!("../../tests/golden/addr-add.hex"),
        );
    }

    #[test]
    fn delete_matches_iproute2() {
        let net: IpNetwork = "10.9.0.1/24".parse().unwrap();
        golden::assert_matches(
            &delete(4, "br0", net),
            include_str!("../../tests/golden/addr-del.hex"),
        );
    }

    #[test]
    fn addresses_as_the_kernel_reports_them() {
        let capture = include_str!("../../tests/golden/reply-addr.hex");
        let addrs: Vec<Addr> = golden::bodies(capture, RTM_NEWADDR)
            .iter()
            .filter_map(|b| Addr::parse(b))
            .collect();
        let nets: Vec<(String, bool)> = addrs
            .iter()
            .map(|a| (a.net.to_string(), a.link_scope))
            .collect();
        assert!(addrs.iter().all(|a| a.index == 4));
        assert!(nets.contains(&("10.9.0.1/24".into(), false)), "{nets:?}");
        assert!(nets.contains(&("2001:db8::1/64".into(), false)), "{nets:?}");
    }

    #[test]
    fn parse_reads_back_an_added_address() {
        let net: IpNetwork = "2001:db8::1/64".parse().unwrap();
        let req = add(7, "br0", net);
        let addr = Addr::parse(&req.body).expect("parse");
        assert_eq!((addr.index, addr.net, addr.link_scope), (7, net, false));
    }
}
