//! Ethernet over GRE: link kinds "gretap" (IPv4 underlay) and "ip6gretap" (IPv6), with the
//! same IFLA_GRE_* attribute set iproute2's link_gre.c and link_gre6.c send, so that
//! `ip -d link show` reads the same for a tunnel made by either tool.

use std::net::IpAddr;

use super::attr::{AttrWriter, Attrs};
use super::link::{self, NewLink, Placement};
use super::{Feature, Request, Route, ip_from, octets};

// include/uapi/linux/if_tunnel.h, enum IFLA_GRE_*
pub const IFLA_GRE_IFLAGS: u16 = 2;
pub const IFLA_GRE_OFLAGS: u16 = 3;
pub const IFLA_GRE_IKEY: u16 = 4;
pub const IFLA_GRE_OKEY: u16 = 5;
pub const IFLA_GRE_LOCAL: u16 = 6;
pub const IFLA_GRE_REMOTE: u16 = 7;
pub const IFLA_GRE_TTL: u16 = 8;
pub const IFLA_GRE_TOS: u16 = 9;
pub const IFLA_GRE_PMTUDISC: u16 = 10;
pub const IFLA_GRE_ENCAP_LIMIT: u16 = 11;
pub const IFLA_GRE_FLOWINFO: u16 = 12;
pub const IFLA_GRE_FLAGS: u16 = 13;
pub const IFLA_GRE_ENCAP_TYPE: u16 = 14;
pub const IFLA_GRE_ENCAP_FLAGS: u16 = 15;
pub const IFLA_GRE_ENCAP_SPORT: u16 = 16;
pub const IFLA_GRE_ENCAP_DPORT: u16 = 17;
pub const IFLA_GRE_FWMARK: u16 = 20;
pub const IFLA_GRE_ERSPAN_VER: u16 = 22;

/// GRE header flag: a key field is present (include/uapi/linux/if_tunnel.h, __be16).
// include/uapi/linux/if_tunnel.h: GRE header flags as the kernel keeps them (network order).
pub const GRE_CSUM: u16 = 0x8000;
pub const GRE_KEY: u16 = 0x2000;
pub const GRE_SEQ: u16 = 0x1000;
// include/uapi/linux/ip6_tunnel.h
pub const IP6_TNL_F_IGN_ENCAP_LIMIT: u32 = 0x1;
/// ip6_tunnel.h: the encapsulation limit option iproute2 asks for by default.
const IPV6_DEFAULT_TNL_ENCAP_LIMIT: u8 = 4;
/// TUNNEL_ENCAP_FLAG_CSUM6, set by iproute2's ip6gretap defaults.
const TUNNEL_ENCAP_FLAG_CSUM6: u16 = 2;

pub const GRETAP: Feature = Feature {
    name: "gretap",
    module: "ip_gre",
};
pub const IP6GRETAP: Feature = Feature {
    name: "ip6gretap",
    module: "ip6_gre",
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GretapSpec {
    pub name: String,
    pub local: IpAddr,
    pub remote: IpAddr,
    pub ttl: u8,
    pub key: Option<u32>,
}

impl GretapSpec {
    pub fn feature(&self) -> Feature {
        if self.local.is_ipv4() {
            GRETAP
        } else {
            IP6GRETAP
        }
    }
}

pub fn create(spec: &GretapSpec, at: Placement) -> Request<Route> {
    let feature = spec.feature();
    link::create(&NewLink::placed(
        &spec.name,
        feature.name,
        at,
        info_data(spec),
    ))
    .needing(feature)
}

fn info_data(spec: &GretapSpec) -> AttrWriter {
    let mut d = AttrWriter::default();
    let flags = if spec.key.is_some() { GRE_KEY } else { 0 };
    let key = spec.key.unwrap_or(0);
    d.be32(IFLA_GRE_IKEY, key).be32(IFLA_GRE_OKEY, key);
    d.be16(IFLA_GRE_IFLAGS, flags).be16(IFLA_GRE_OFLAGS, flags);
    d.bytes(IFLA_GRE_LOCAL, &octets(spec.local));
    d.bytes(IFLA_GRE_REMOTE, &octets(spec.remote));
    if spec.local.is_ipv4() {
        // Path MTU discovery on: the outer packet carries DF, as `ip` makes it.
        d.u8(IFLA_GRE_PMTUDISC, 1)
            .u8(IFLA_GRE_TOS, 0)
            .u8(IFLA_GRE_TTL, spec.ttl);
        d.u32(IFLA_GRE_FWMARK, 0);
        d.u16(IFLA_GRE_ENCAP_TYPE, 0).u16(IFLA_GRE_ENCAP_FLAGS, 0);
    } else {
        d.u8(IFLA_GRE_TTL, spec.ttl)
            .u8(IFLA_GRE_ENCAP_LIMIT, IPV6_DEFAULT_TNL_ENCAP_LIMIT);
        d.u32(IFLA_GRE_FLOWINFO, 0)
            .u32(IFLA_GRE_FLAGS, 0)
            .u32(IFLA_GRE_FWMARK, 0);
        d.u8(IFLA_GRE_ERSPAN_VER, 1);
        d.u16(IFLA_GRE_ENCAP_TYPE, 0)
            .u16(IFLA_GRE_ENCAP_FLAGS, TUNNEL_ENCAP_FLAG_CSUM6);
    }
    d.be16(IFLA_GRE_ENCAP_SPORT, 0)
        .be16(IFLA_GRE_ENCAP_DPORT, 0);
    d
}

/// A GRE tunnel's settings as the kernel reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GreInfo {
    pub local: Option<IpAddr>,
    pub remote: Option<IpAddr>,
    pub ttl: u8,
    pub key: Option<u32>,
    /// The output flags (GRE_CSUM, GRE_KEY, GRE_SEQ).
    pub oflags: u16,
    /// ip6gretap: an encapsulation limit option goes with every packet.
    pub encap_limit: bool,
}

impl GreInfo {
    /// How many 4-byte optional fields (checksum, key, sequence number) each packet carries.
    pub fn optional_fields(&self) -> u32 {
        [GRE_CSUM, GRE_KEY, GRE_SEQ]
            .iter()
            .filter(|&&f| self.oflags & f != 0)
            .count() as u32
    }
}

pub fn parse(info_data: &[u8]) -> GreInfo {
    let a = Attrs(info_data);
    let addr = |kind| a.get(kind).and_then(|x| ip_from(x.payload));
    let keyed = a
        .get(IFLA_GRE_IFLAGS)
        .and_then(|x| x.be16())
        .is_some_and(|f| f & GRE_KEY != 0);
    GreInfo {
        local: addr(IFLA_GRE_LOCAL),
        remote: addr(IFLA_GRE_REMOTE),
        ttl: a.get(IFLA_GRE_TTL).and_then(|x| x.u8()).unwrap_or(0),
        key: keyed
            .then(|| a.get(IFLA_GRE_IKEY).and_then(|x| x.be32()))
            .flatten(),
        oflags: a.get(IFLA_GRE_OFLAGS).and_then(|x| x.be16()).unwrap_or(0),
        encap_limit: a.get(IFLA_GRE_ENCAP_LIMIT).is_some()
            && a.get(IFLA_GRE_FLAGS)
                .and_then(|x| x.u32())
                .is_none_or(|f| f & IP6_TNL_F_IGN_ENCAP_LIMIT == 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::golden;
    use crate::msg::link::Link;

    fn spec(local: &str, remote: &str, key: Option<u32>) -> GretapSpec {
        GretapSpec {
            name: "gt1".into(),
            local: local.parse().unwrap(),
            remote: remote.parse().unwrap(),
            ttl: 255,
            key,
        }
    }

    fn create_plain(spec: &GretapSpec) -> Request<crate::msg::Route> {
        create(spec, Placement::default())
    }

    #[test]
    fn gretap_matches_iproute2() {
        let req = create_plain(&spec("10.1.0.1", "10.1.0.2", Some(42)));
        golden::assert_matches(&req, include_str!("../../tests/golden/gretap-add.hex"));
    }

    #[test]
    fn ip6gretap_matches_iproute2() {
        let req = create_plain(&spec("fd00::1", "fd00::2", None));
        golden::assert_matches(&req, include_str!("../../tests/golden/ip6gretap-add.hex"));
    }

    #[test]
    fn gretap_as_the_kernel_reports_it() {
        let capture = include_str!("../../tests/golden/reply-link-gretap.hex");
        let gt1 = crate::msg::link::tests::replied(capture, "gt1");
        assert!(gt1.is_kind("gretap"));
        let info = parse(&gt1.info_data);
        assert_eq!(info.local, Some("10.1.0.1".parse().unwrap()));
        assert_eq!(info.remote, Some("10.1.0.2".parse().unwrap()));
        assert_eq!(
            (info.ttl, info.key, info.optional_fields()),
            (255, Some(42), 1)
        );
        // The kernel sized it from the route to the remote: 1500 less GRE with a key.
        assert_eq!(gt1.mtu, 1458);
    }

    #[test]
    fn ip6gretap_as_the_kernel_reports_it() {
        let capture = include_str!("../../tests/golden/reply-link-ip6gretap.hex");
        let gt6 = crate::msg::link::tests::replied(capture, "gt6");
        assert!(gt6.is_kind("ip6gretap"));
        let info = parse(&gt6.info_data);
        assert_eq!(info.remote, Some("fd00::2".parse().unwrap()));
        assert_eq!((info.key, info.optional_fields()), (None, 0));
        assert!(
            info.encap_limit,
            "ip6gretap carries an encapsulation limit by default"
        );
    }

    #[test]
    fn settings_are_read_back() {
        let req = create_plain(&spec("10.1.0.1", "10.1.0.2", Some(7)));
        let info = parse(&Link::parse(&req.body).unwrap().info_data);
        assert_eq!(info.local, Some("10.1.0.1".parse().unwrap()));
        assert_eq!(info.remote, Some("10.1.0.2".parse().unwrap()));
        assert_eq!((info.ttl, info.key), (255, Some(7)));
        let unkeyed = create_plain(&spec("10.1.0.1", "10.1.0.2", None));
        assert_eq!(
            parse(&Link::parse(&unkeyed.body).unwrap().info_data).key,
            None
        );
    }
}
