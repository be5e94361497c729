//! The bridge device itself (kind "bridge"): its IFLA_INFO_DATA.

use super::attr::{AttrWriter, Attrs};
use super::link::{self, NewLink};
use super::{Request, Route};

// include/uapi/linux/if_link.h, enum IFLA_BR_*
pub const IFLA_BR_STP_STATE: u16 = 5;

/// The settings `bridge add` makes a bridge with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BridgeSpec {
    pub name: String,
    pub mtu: Option<u32>,
    pub mac: Option<[u8; 6]>,
    pub stp: bool,
    /// The link group it is made in (see `link::NewLink`).
    pub group: Option<u32>,
}

/// Creates the bridge already up. STP is sent only when wanted: off is the kernel's default,
/// and leaving it out keeps the request identical to `ip link add NAME type bridge`.
pub fn create(spec: &BridgeSpec) -> Request<Route> {
    let data = spec.stp.then(|| {
        let mut d = AttrWriter::default();
        d.u32(IFLA_BR_STP_STATE, 1);
        d
    });
    link::create(&NewLink {
        name: &spec.name,
        kind: "bridge",
        mtu: spec.mtu,
        mac: spec.mac,
        up: true,
        group: spec.group,
        master: None,
        data,
    })
}

/// `ip link set NAME type bridge stp_state 0|1`.
pub fn set_stp(index: u32, name: &str, on: bool) -> Request<Route> {
    let mut d = AttrWriter::default();
    d.u32(IFLA_BR_STP_STATE, u32::from(on));
    link::change_kind(index, name, "bridge", d)
}

/// Whether STP is on, from a bridge's IFLA_INFO_DATA.
pub fn stp_enabled(info_data: &[u8]) -> bool {
    Attrs(info_data)
        .get(IFLA_BR_STP_STATE)
        .and_then(|a| a.u32())
        .is_some_and(|s| s != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::golden;

    #[test]
    fn plain_bridge_matches_iproute2_apart_from_up() {
        // `ip link add br0 type bridge` creates it down; l2x creates it up in the same message.
        let mut req = create(&BridgeSpec {
            name: "br1".into(),
            ..Default::default()
        });
        req.body[8..16].fill(0);
        golden::assert_matches(&req, include_str!("../../tests/golden/bridge-add.hex"));
    }

    #[test]
    fn set_stp_matches_iproute2() {
        golden::assert_matches(
            &set_stp(4, "br0", true),
            include_str!("../../tests/golden/bridge-set-stp.hex"),
        );
    }

    #[test]
    fn stp_state_is_read_back() {
        let req = create(&BridgeSpec {
            name: "br0".into(),
            stp: true,
            ..Default::default()
        });
        let link = link::Link::parse(&req.body).expect("parse");
        assert!(stp_enabled(&link.info_data));
    }
}
