//! VXLAN devices (link kind "vxlan"), unicast only: the remotes are forwarding entries added
//! with `neigh::fdb_append_flood`, not a group address.

use std::net::IpAddr;

use super::attr::{AttrWriter, Attrs};
use super::link::{self, NewLink, Placement};
use super::{Feature, Request, Route, ip_from, octets};

// include/uapi/linux/if_link.h, enum IFLA_VXLAN_*
pub const IFLA_VXLAN_ID: u16 = 1;
pub const IFLA_VXLAN_LOCAL: u16 = 4;
pub const IFLA_VXLAN_LEARNING: u16 = 7;
pub const IFLA_VXLAN_PORT: u16 = 15;
pub const IFLA_VXLAN_LOCAL6: u16 = 17;

/// The IANA port. The kernel's own default is 8472 (the pre-standard Linux port), so the port
/// is always sent.
pub const VXLAN_PORT: u16 = 4789;

pub const VXLAN: Feature = Feature {
    name: "vxlan",
    module: "vxlan",
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VxlanSpec {
    pub name: String,
    pub vni: u32,
    pub local: IpAddr,
    pub dport: u16,
}

/// As `ip link add NAME type vxlan id VNI local IP dstport PORT` (learning on, ip's default).
pub fn create(spec: &VxlanSpec, at: Placement) -> Request<Route> {
    let mut d = AttrWriter::default();
    d.u32(IFLA_VXLAN_ID, spec.vni);
    match spec.local {
        IpAddr::V4(_) => d.bytes(IFLA_VXLAN_LOCAL, &octets(spec.local)),
        IpAddr::V6(_) => d.bytes(IFLA_VXLAN_LOCAL6, &octets(spec.local)),
    };
    d.u8(IFLA_VXLAN_LEARNING, 1)
        .be16(IFLA_VXLAN_PORT, spec.dport);
    link::create(&NewLink::placed(&spec.name, "vxlan", at, d)).needing(VXLAN)
}

/// A VXLAN device's settings as the kernel reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VxlanInfo {
    pub vni: u32,
    pub local: Option<IpAddr>,
    pub dport: u16,
}

pub fn parse(info_data: &[u8]) -> VxlanInfo {
    let a = Attrs(info_data);
    VxlanInfo {
        vni: a.get(IFLA_VXLAN_ID).and_then(|x| x.u32()).unwrap_or(0),
        local: a
            .get(IFLA_VXLAN_LOCAL)
            .or_else(|| a.get(IFLA_VXLAN_LOCAL6))
            .and_then(|x| ip_from(x.payload)),
        dport: a.get(IFLA_VXLAN_PORT).and_then(|x| x.be16()).unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::golden;
    use crate::msg::link::Link;

    fn spec() -> VxlanSpec {
        VxlanSpec {
            name: "vx1".into(),
            vni: 42,
            local: "10.1.0.1".parse().unwrap(),
            dport: VXLAN_PORT,
        }
    }

    #[test]
    fn vxlan_matches_iproute2() {
        golden::assert_matches(
            &create(&spec(), Placement::default()),
            include_str!("../../tests/golden/vxlan-add.hex"),
        );
    }

    #[test]
    fn placed_vxlan_matches_iproute2() {
        // Up, at its MTU and a port of br0 (ifindex 4) in the one request.
        let at = Placement {
            mtu: Some(1450),
            up: true,
            group: None,
            master: Some(4),
        };
        golden::assert_matches(
            &create(&spec(), at),
            include_str!("../../tests/golden/vxlan-add-placed.hex"),
        );
        // In a link group, made in the same request: no moment without it.
        let grouped = Placement {
            group: Some(7),
            ..at
        };
        golden::assert_matches(
            &create(&spec(), grouped),
            include_str!("../../tests/golden/vxlan-add-grouped.hex"),
        );
    }

    #[test]
    fn a_vxlan_device_as_the_kernel_reports_it() {
        let vx0 = crate::msg::link::tests::replied(
            include_str!("../../tests/golden/reply-link-vxlan.hex"),
            "vx0",
        );
        assert_eq!((vx0.index, vx0.name.as_str()), (5, "vx0"));
        assert_eq!(
            parse(&vx0.info_data),
            VxlanInfo {
                vni: 42,
                local: Some("10.1.0.1".parse().unwrap()),
                dport: 4789
            }
        );
    }

    #[test]
    fn settings_are_read_back() {
        let info = parse(
            &Link::parse(&create(&spec(), Placement::default()).body)
                .unwrap()
                .info_data,
        );
        assert_eq!(
            info,
            VxlanInfo {
                vni: 42,
                local: Some("10.1.0.1".parse().unwrap()),
                dport: 4789
            }
        );
    }
}
