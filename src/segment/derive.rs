//! Everything both ends of a tunnel must agree on, derived from the file alone and the same way
//! on every host: names, the segment's link group and alias, the VNI, the GRE key, L2TP tunnel
//! and session ids, UDP ports, and each host's bridge MAC. Numbers come from one hash (64-bit
//! FNV-1a) of the segment's name and the hosts' names; they must never change from one l2x
//! release to the next, or hosts running different releases would stop agreeing.
//!
//! Per-host numbers (L2TP ports and ids, hub-and-spoke VNIs) come from a host's slot: a number
//! below `SLOTS` that its name hashes to, the next free one when another host of the file took
//! it (hosts taken in name order). A host's slot, and so every tunnel to it, stays the same
//! when other hosts join or leave, unless their names hash to the very same slot.

use std::collections::BTreeSet;
use std::net::Ipv6Addr;

use ipnetwork::Ipv6Network;

/// Slots, and so L2TP ports: 10000-32767, below Linux's ephemeral ports (32768-60999).
pub const SLOTS: u16 = 22768;
pub const L2TP_FIRST_PORT: u16 = 10000;
const VNI_MAX: u32 = (1 << 24) - 1;

/// 64-bit FNV-1a of "l2x" and each part, each after a NUL, then MurmurHash3's finalizer:
/// FNV alone leaves the high bits of names that differ in their last letter alike.
fn hash(parts: &[&str]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = OFFSET;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(PRIME);
        }
    };
    eat(b"l2x");
    for part in parts {
        eat(&[0]);
        eat(part.as_bytes());
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The link group the segment's links are made in: 0x4c32xxxx ("L2" and 16 bits of the
/// name), far from the small numbers people give groups.
pub fn group(segment: &str) -> u32 {
    0x4c32_0000 | (hash(&["group", segment]) & 0xffff) as u32
}

/// The alias of the segment's links: `ip link show` prints it.
pub fn alias(segment: &str) -> String {
    format!("l2x:{segment}")
}

/// The VXLAN network identifier when the file gives none: 1 to 2^24-1.
pub fn vni(segment: &str) -> u32 {
    (hash(&["vni", segment]) % u64::from(VNI_MAX)) as u32 + 1
}

/// The GRE key of every gretap tunnel of the segment (never 0): two segments between the same
/// two hosts are then two tunnels, not one the kernel refuses to make twice.
pub fn gre_key(segment: &str) -> u32 {
    (hash(&["gre-key", segment]) as u32).max(1)
}

/// The upper 16 bits of every L2TP tunnel and session id of the segment (never 0), so that
/// the segment's L2TP tunnels are known by their ids alone.
pub fn l2tp_tag(segment: &str) -> u32 {
    (hash(&["l2tp", segment]) % 0xffff) as u32 + 1
}

/// Each host's slot, for hosts given in name order: distinct, below `SLOTS`.
pub fn slots(segment: &str, hosts: &[&str]) -> Vec<u16> {
    let mut taken = BTreeSet::new();
    hosts
        .iter()
        .map(|host| {
            let mut slot = (hash(&["slot", segment, host]) % u64::from(SLOTS)) as u16;
            while !taken.insert(slot) {
                slot = (slot + 1) % SLOTS;
            }
            slot
        })
        .collect()
}

/// The tunnel on one host toward `peer`: `SEGMENT-PEER`.
pub fn tunnel_name(segment: &str, peer: &str) -> String {
    format!("{segment}-{peer}")
}

/// The one VXLAN device of a full mesh, whose remotes are every other host.
pub fn vxlan_name(segment: &str) -> String {
    format!("{segment}-vx")
}

/// The WireGuard interface of an encrypted segment, under its tunnels.
pub fn wireguard_name(segment: &str) -> String {
    format!("{segment}-wg")
}

/// The UDP port every host's WireGuard interface of the segment listens on: near WireGuard's
/// usual 51820, and another for another segment (51820-55915).
pub fn wireguard_port(segment: &str) -> u16 {
    51820 + (hash(&["wireguard-port", segment]) % 4096) as u16
}

/// The inner network of an encrypted segment, between its WireGuard interfaces: a unique local
/// IPv6 /64 (RFC 4193: fd00::/8 and a 40-bit global ID, here from the name), so it collides
/// with no network of the hosts or of the segment itself.
pub fn inner_network(segment: &str) -> Ipv6Network {
    let id = hash(&["inner", segment]).to_be_bytes();
    let mut octets = [0u8; 16];
    octets[0] = 0xfd;
    octets[1..6].copy_from_slice(&id[..5]);
    Ipv6Network::new(Ipv6Addr::from(octets), 64).expect("64 is a prefix")
}

/// A host's inner address: its slot, plus one, in the inner network.
pub fn inner_address(segment: &str, slot: u16) -> Ipv6Addr {
    let net = u128::from(inner_network(segment).network());
    Ipv6Addr::from(net | (u128::from(slot) + 1))
}

/// L2TPv3 numbers of the tunnel from the host in slot `mine` to the host in slot `theirs`.
/// The tunnel's and its session's ids on this end are the peer's slot under the segment's
/// tag; the peer's ids are this host's slot. This end's UDP port is the peer's slot above
/// `L2TP_FIRST_PORT`, so no two tunnels of one host share a port, and it sends to the port
/// the peer uses for this host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct L2tpIds {
    pub tunnel_id: u32,
    pub peer_tunnel_id: u32,
    pub session_id: u32,
    pub peer_session_id: u32,
    pub sport: u16,
    pub dport: u16,
}

pub fn l2tp_ids(tag: u32, mine: u16, theirs: u16) -> L2tpIds {
    let id = |slot: u16| tag << 16 | u32::from(slot);
    L2tpIds {
        tunnel_id: id(theirs),
        peer_tunnel_id: id(mine),
        session_id: id(theirs),
        peer_session_id: id(mine),
        sport: L2TP_FIRST_PORT + theirs,
        dport: L2TP_FIRST_PORT + mine,
    }
}

/// Whether an L2TP tunnel or session id is one of the segment's.
pub fn is_l2tp_id(tag: u32, id: u32) -> bool {
    id >> 16 == tag
}

/// Hub and spoke over VXLAN: the hub has one device per spoke (a single device never forwards
/// between its remotes), and devices in one namespace need distinct VNIs. The spoke in `slot`
/// uses this one: never the segment's own VNI, never another spoke's.
pub fn spoke_vni(vni: u32, slot: u16) -> u32 {
    (vni + u32::from(slot)) % VNI_MAX + 1
}

/// A host's bridge MAC: locally administered, unicast, the same after every boot (so the
/// router's MAC in its clients' ARP caches stays right) and known to every other host.
pub fn bridge_mac(segment: &str, host: &str) -> [u8; 6] {
    let h = hash(&["mac", segment, host]).to_be_bytes();
    [(h[0] & 0xfc) | 0x02, h[1], h[2], h[3], h[4], h[5]]
}

/// The IPv6 link-local address the kernel gives an interface with this MAC (EUI-64, its
/// default address generation mode): where `status` finds a peer's bridge.
pub fn link_local(mac: [u8; 6]) -> Ipv6Addr {
    let [a, b, c, d, e, f] = mac;
    Ipv6Addr::from([
        0xfe,
        0x80,
        0,
        0,
        0,
        0,
        0,
        0,
        a ^ 0x02,
        b,
        c,
        0xff,
        0xfe,
        d,
        e,
        f,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_never_change_between_releases() {
        // Hosts running different l2x releases must agree: these values are the contract.
        assert_eq!(hash(&["vni", "superbr0"]), 0x411d_5f0d_a2a9_ccfc);
        assert_eq!(vni("superbr0"), 596_925);
        assert_eq!(group("superbr0"), 0x4c32_fc46);
        assert_eq!(
            bridge_mac("superbr0", "a"),
            [0x0a, 0xd1, 0xe9, 0xf8, 0x64, 0x35]
        );
    }

    #[test]
    fn inner_addresses_are_unique_local_and_stable() {
        let net = inner_network("superbr0");
        assert_eq!(net.to_string(), "fd0e:25f:6ab3::/64");
        assert_eq!(inner_address("superbr0", 0).to_string(), "fd0e:25f:6ab3::1");
        assert!(net.contains(inner_address("superbr0", SLOTS - 1)));
        assert_ne!(inner_network("other"), net);
        assert_eq!(wireguard_port("superbr0"), 52471);
    }

    #[test]
    fn slots_are_distinct_and_stable_when_hosts_join() {
        let names: Vec<String> = (0..200).map(|i| format!("h{i:03}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let all = slots("seg", &refs);
        let distinct: BTreeSet<u16> = all.iter().copied().collect();
        assert_eq!(distinct.len(), all.len());
        assert!(all.iter().all(|&s| s < SLOTS));
        // Without collisions, each host's slot is its hash's, whoever else is in the file.
        let few = slots("seg", &refs[..3]);
        assert_eq!(few, all[..3]);
    }

    #[test]
    fn spoke_vnis_avoid_the_segment_and_each_other() {
        for vni in [1, 42, VNI_MAX] {
            let spokes: BTreeSet<u32> = (0..SLOTS).map(|s| spoke_vni(vni, s)).collect();
            assert_eq!(spokes.len(), usize::from(SLOTS));
            assert!(!spokes.contains(&vni) && !spokes.contains(&0));
            assert!(spokes.iter().all(|&v| v <= VNI_MAX));
        }
    }

    #[test]
    fn a_bridge_mac_is_unicast_and_local_and_gives_its_link_local() {
        let mac = bridge_mac("superbr0", "a");
        assert_eq!(mac[0] & 0x03, 0x02);
        let ll = link_local([0x02, 0x11, 0x22, 0x33, 0x44, 0x55]);
        assert_eq!(ll.to_string(), "fe80::11:22ff:fe33:4455");
    }

    #[test]
    fn l2tp_ids_are_tagged_by_the_segment() {
        let tag = l2tp_tag("superbr0");
        let ids = l2tp_ids(tag, 7, 9);
        assert!(is_l2tp_id(tag, ids.tunnel_id) && is_l2tp_id(tag, ids.peer_session_id));
        assert!(!is_l2tp_id(tag + 1, ids.tunnel_id));
        assert_eq!((ids.sport, ids.dport), (10009, 10007));
    }
}
