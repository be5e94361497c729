//! veth pairs: RTM_NEWLINK of kind "veth" whose IFLA_INFO_DATA carries the peer as a second
//! ifinfomsg with its own attributes (VETH_INFO_PEER), as `ip link add NAME type veth peer name
//! PEER netns NS` sends it. IFLA_NET_NS_FD inside the peer puts that end straight into another
//! network namespace, so it never appears in the one the request is sent in.

use std::os::fd::RawFd;

use super::AF_UNSPEC;
use super::attr::AttrWriter;
use super::link::{self, IFLA_IFNAME, NewLink, ifinfomsg};
use super::{Request, Route};

// include/uapi/linux/veth.h
pub const VETH_INFO_PEER: u16 = 1;
// include/uapi/linux/if_link.h
pub const IFLA_NET_NS_FD: u16 = 28;

/// One veth pair: `name` in the namespace the request goes to, `peer` in `peer_netns` (an open
/// /run/netns file) or beside it.
#[derive(Debug, Clone, Default)]
pub struct VethSpec<'a> {
    pub name: &'a str,
    pub peer: &'a str,
    pub peer_netns: Option<RawFd>,
}

pub fn create(spec: &VethSpec) -> Request<Route> {
    let mut peer = AttrWriter::with_header(&ifinfomsg(AF_UNSPEC, 0, 0, 0));
    peer.str(IFLA_IFNAME, spec.peer);
    if let Some(fd) = spec.peer_netns {
        peer.u32(IFLA_NET_NS_FD, fd as u32);
    }
    let mut data = AttrWriter::default();
    data.bytes(VETH_INFO_PEER, &peer.finish());
    let mut req = link::create(&NewLink {
        name: spec.name,
        kind: "veth",
        data: Some(data),
        ..NewLink::default()
    });
    req.what = format!("create veth {} (peer {})", spec.name, spec.peer);
    req
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::attr::Attrs;
    use crate::msg::link::{IFLA_INFO_DATA, IFLA_LINKINFO, Link};

    #[test]
    fn the_peer_travels_as_its_own_ifinfomsg() {
        let req = create(&VethSpec {
            name: "ct1",
            peer: "eth0",
            peer_netns: Some(7),
        });
        let link = Link::parse(&req.body).expect("parse");
        assert_eq!(link.name, "ct1");
        assert!(link.is_kind("veth"));
        let info = Attrs(&req.body[16..]).get(IFLA_LINKINFO).expect("linkinfo");
        let data = info.nested().get(IFLA_INFO_DATA).expect("info data");
        let peer = data.nested().get(VETH_INFO_PEER).expect("peer").payload;
        let peer_link = Link::parse(peer).expect("peer ifinfomsg");
        assert_eq!(peer_link.name, "eth0");
        let fd = Attrs(&peer[16..]).get(IFLA_NET_NS_FD).and_then(|a| a.u32());
        assert_eq!(fd, Some(7));
    }
}
