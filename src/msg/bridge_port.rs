//! A bridge port's own settings (IFLA_BRPORT_*), set with RTM_SETLINK in family AF_BRIDGE as
//! `bridge link set` does, and read back from IFLA_INFO_SLAVE_DATA.

use super::attr::{AttrWriter, Attrs, NLA_F_NESTED};
use super::link::{IFLA_PROTINFO, RTM_SETLINK, ifinfomsg};
use super::{AF_BRIDGE, NLM_F_ACK, Request, Route};

// include/uapi/linux/if_link.h, enum IFLA_BRPORT_*
pub const IFLA_BRPORT_STATE: u16 = 1;
pub const IFLA_BRPORT_ISOLATED: u16 = 33;

// include/uapi/linux/if_bridge.h, BR_STATE_*
const PORT_STATES: [&str; 5] = [
    "disabled",
    "listening",
    "learning",
    "forwarding",
    "blocking",
];

/// Sets or clears the isolated flag. IFLA_PROTINFO must carry NLA_F_NESTED: without it the
/// kernel takes the attribute for the legacy one-byte port state.
pub fn set_isolated(index: u32, name: &str, isolated: bool) -> Request<Route> {
    let mut w = AttrWriter::with_header(&ifinfomsg(AF_BRIDGE, index, 0, 0));
    w.nest(IFLA_PROTINFO | NLA_F_NESTED, |p| {
        p.u8(IFLA_BRPORT_ISOLATED, isolated as u8);
    });
    let verb = if isolated { "isolate" } else { "unisolate" };
    Request::new(
        RTM_SETLINK,
        NLM_F_ACK,
        w.finish(),
        format!("{verb} port {name}"),
    )
}

/// A bridge port's state as read from IFLA_INFO_SLAVE_DATA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PortInfo {
    pub isolated: bool,
    pub state: &'static str,
}

pub fn parse(slave_data: &[u8]) -> PortInfo {
    let attrs = Attrs(slave_data);
    PortInfo {
        isolated: attrs
            .get(IFLA_BRPORT_ISOLATED)
            .and_then(|a| a.u8())
            .is_some_and(|v| v != 0),
        state: attrs
            .get(IFLA_BRPORT_STATE)
            .and_then(|a| a.u8())
            .and_then(|s| PORT_STATES.get(s as usize).copied())
            .unwrap_or("unknown"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::golden;

    #[test]
    fn isolated_matches_bridge_link_set() {
        golden::assert_matches(
            &set_isolated(3, "v0", true),
            include_str!("../../tests/golden/port-isolated-on.hex"),
        );
    }

    #[test]
    fn protinfo_carries_the_nested_flag() {
        let req = set_isolated(3, "v0", true);
        let kind = u16::from_ne_bytes([req.body[18], req.body[19]]);
        assert_eq!(kind, IFLA_PROTINFO | NLA_F_NESTED);
    }
}
