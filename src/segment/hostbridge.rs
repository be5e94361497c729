//! The host bridge inside a segment (`move_addresses = true` on a host): a port of the file
//! that carries the host's own addresses and routes hands them to the segment's bridge as it
//! joins it, and gets them back as it leaves, as `attach --move-addresses` and `detach
//! --move-addresses` do. Unlike attach, the bridge keeps the MAC the file derives for it (its
//! peers know it by that). The record keeps what moved: on the bridge, the kernel cannot tell
//! it from the router's own address.

use ipnetwork::IpNetwork;

use super::record::Record;
use crate::msg::link::Link;
use crate::plan::{Change, Step};
use crate::spec::hostbridge::{self, Carried};
use crate::state::moved::{Moved, RouteKey};
use crate::state::segment::SegmentState;

/// What `link` carries that would stop working on a bridge port.
pub fn carried(st: &SegmentState, link: &Link) -> Carried {
    Carried {
        addrs: st
            .addrs
            .iter()
            .filter(|a| a.index == link.index)
            .cloned()
            .collect(),
        routes: st
            .routes
            .iter()
            .filter(|r| r.uses(link.index))
            .cloned()
            .collect(),
    }
}

/// The record of what moves from `port` to `bridge`.
pub fn moved(port: &str, bridge: &str, carried: &Carried) -> Moved {
    Moved {
        port: port.to_string(),
        bridge: bridge.to_string(),
        bridge_mac: None,
        addrs: carried.addrs.iter().map(|a| a.net).collect(),
        routes: carried.routes.iter().map(RouteKey::of).collect(),
    }
}

/// The bridge's addresses that came from its ports: the bridge keeps them as its own.
pub fn moved_addrs(rec: &Record) -> Vec<IpNetwork> {
    rec.moved.values().flat_map(|m| m.addrs.clone()).collect()
}

/// The port's release (`release`), with what moved from it to the bridge moved back: the
/// recorded addresses and routes, as the bridge has them now.
pub fn give_back(
    st: &SegmentState,
    bridge: &Link,
    port: &Link,
    moved: &Moved,
    release: Step,
) -> Vec<Change> {
    let back = carried(st, bridge).only(moved);
    hostbridge::detach(port, bridge, &back, None, release)
}
