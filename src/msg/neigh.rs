//! Neighbour entries: RTM_NEWNEIGH with struct ndmsg. Two uses: an ARP entry for a DHCP client
//! that cannot answer ARP yet, and a VXLAN device's forwarding entries (family AF_BRIDGE).

use std::net::{IpAddr, Ipv4Addr};

use super::attr::{AttrWriter, Attrs};
use super::{
    AF_BRIDGE, AF_INET, NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_DUMP, NLM_F_REPLACE, Request,
    Route, ip_from, octets,
};

// include/uapi/linux/rtnetlink.h
pub const RTM_NEWNEIGH: u16 = 28;
pub const RTM_DELNEIGH: u16 = 29;
pub const RTM_GETNEIGH: u16 = 30;

// include/uapi/linux/neighbour.h
pub const NDA_DST: u16 = 1;
pub const NDA_LLADDR: u16 = 2;
pub const NUD_REACHABLE: u16 = 0x02;
pub const NUD_NOARP: u16 = 0x40;
pub const NUD_PERMANENT: u16 = 0x80;
pub const NTF_SELF: u8 = 0x02;

/// struct ndmsg: family, pad, pad, ifindex, state, flags, type.
fn ndmsg(family: u8, index: u32, state: u16, flags: u8) -> [u8; 12] {
    let mut h = [0u8; 12];
    h[0] = family;
    h[4..8].copy_from_slice(&index.to_ne_bytes());
    h[8..10].copy_from_slice(&state.to_ne_bytes());
    h[10] = flags;
    h
}

/// `ip neigh replace IP lladdr MAC dev IFACE nud reachable`: lets a reply be unicast to a host
/// that has no address yet and so cannot answer ARP.
pub fn arp_replace(index: u32, ip: Ipv4Addr, mac: [u8; 6]) -> Request<Route> {
    let mut w = AttrWriter::with_header(&ndmsg(AF_INET, index, NUD_REACHABLE, 0));
    w.bytes(NDA_DST, &ip.octets()).bytes(NDA_LLADDR, &mac);
    Request::new(
        RTM_NEWNEIGH,
        NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE,
        w.finish(),
        format!("add neighbour {ip}"),
    )
}

/// `bridge fdb append 00:00:00:00:00:00 dst IP dev VXLAN`: one more remote that every broadcast,
/// unknown unicast and multicast frame is copied to (head-end replication).
pub fn fdb_append_flood(index: u32, dev: &str, dst: IpAddr) -> Request<Route> {
    let state = NUD_NOARP | NUD_PERMANENT;
    let mut w = AttrWriter::with_header(&ndmsg(AF_BRIDGE, index, state, NTF_SELF));
    w.bytes(NDA_LLADDR, &[0; 6]);
    w.bytes(NDA_DST, &octets(dst));
    Request::new(
        RTM_NEWNEIGH,
        NLM_F_ACK | NLM_F_CREATE | NLM_F_APPEND,
        w.finish(),
        format!("add remote {dst} to {dev}"),
    )
}

/// `bridge fdb del 00:00:00:00:00:00 dst IP dev VXLAN`: that remote gets no more copies.
pub fn fdb_delete_flood(index: u32, dev: &str, dst: IpAddr) -> Request<Route> {
    let state = NUD_NOARP | NUD_PERMANENT;
    let mut w = AttrWriter::with_header(&ndmsg(AF_BRIDGE, index, state, NTF_SELF));
    w.bytes(NDA_LLADDR, &[0; 6]);
    w.bytes(NDA_DST, &octets(dst));
    Request::new(
        RTM_DELNEIGH,
        NLM_F_ACK,
        w.finish(),
        format!("delete remote {dst} from {dev}"),
    )
}

/// The forwarding entries of one device (its own, NTF_SELF, as a VXLAN device keeps them).
pub fn fdb_dump(index: u32) -> Request<Route> {
    let w = AttrWriter::with_header(&ndmsg(AF_BRIDGE, index, 0, 0));
    Request::new(
        RTM_GETNEIGH,
        NLM_F_DUMP,
        w.finish(),
        "list forwarding entries",
    )
}

/// The remote of a flood entry (all-zeros MAC with a destination), if this is one.
pub fn parse_flood_remote(body: &[u8]) -> Option<IpAddr> {
    let a = Attrs(body.get(12..)?);
    let mac = a.get(NDA_LLADDR)?;
    if mac.payload != [0; 6] {
        return None;
    }
    ip_from(a.get(NDA_DST)?.payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::golden;

    #[test]
    fn fdb_append_matches_bridge_fdb_append() {
        let req = fdb_append_flood(5, "vx0", "10.1.0.2".parse().unwrap());
        golden::assert_matches(&req, include_str!("../../tests/golden/fdb-append.hex"));
    }

    #[test]
    fn fdb_del_matches_bridge_fdb_del() {
        let req = fdb_delete_flood(5, "vx0", "10.1.0.2".parse().unwrap());
        golden::assert_matches(&req, include_str!("../../tests/golden/fdb-del.hex"));
    }

    #[test]
    fn flood_entries_as_the_kernel_reports_them() {
        let capture = include_str!("../../tests/golden/reply-fdb.hex");
        let remotes: Vec<IpAddr> = golden::bodies(capture, RTM_NEWNEIGH)
            .iter()
            .filter_map(|b| parse_flood_remote(b))
            .collect();
        let want: Vec<IpAddr> = ["10.1.0.2", "10.1.0.3"].map(|r| r.parse().unwrap()).into();
        assert_eq!(remotes, want);
    }

    #[test]
    fn flood_remote_is_read_back() {
        let req = fdb_append_flood(5, "vx0", "10.1.0.2".parse().unwrap());
        assert_eq!(
            parse_flood_remote(&req.body),
            Some("10.1.0.2".parse().unwrap())
        );
    }

    #[test]
    fn arp_replace_matches_ip_neigh_replace() {
        let req = arp_replace(3, "10.9.0.50".parse().unwrap(), [2, 0, 0, 0, 0, 5]);
        golden::assert_matches(&req, include_str!("../../tests/golden/neigh-replace.hex"));
    }
}
