//! The kernel module's configuration over generic netlink (family "wireguard", version 1):
//! WG_CMD_SET_DEVICE and the WG_CMD_GET_DEVICE dump, attributes in the order wireguard-tools
//! sends them (src/ipc-linux.h), so a capture of `wg set` is the golden test.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::time::Duration;

use ipnetwork::IpNetwork;

use super::key::{PrivateKey, PublicKey, WG_KEY_LEN};
use super::{Device, Peer, WG_GENL_NAME, WG_GENL_VERSION, WIREGUARD};
use crate::msg::attr::{AttrWriter, Attrs, NLA_F_NESTED};
use crate::msg::genl::{self, genlmsghdr};
use crate::msg::{AF_INET, AF_INET6, Generic, NLM_F_ACK, NLM_F_DUMP, Request, ip_from, octets};

// include/uapi/linux/wireguard.h
pub const WG_CMD_GET_DEVICE: u8 = 0;
pub const WG_CMD_SET_DEVICE: u8 = 1;

pub const WGDEVICE_F_REPLACE_PEERS: u32 = 1 << 0;

pub const WGDEVICE_A_IFINDEX: u16 = 1;
pub const WGDEVICE_A_IFNAME: u16 = 2;
pub const WGDEVICE_A_PRIVATE_KEY: u16 = 3;
pub const WGDEVICE_A_PUBLIC_KEY: u16 = 4;
pub const WGDEVICE_A_FLAGS: u16 = 5;
pub const WGDEVICE_A_LISTEN_PORT: u16 = 6;
pub const WGDEVICE_A_FWMARK: u16 = 7;
pub const WGDEVICE_A_PEERS: u16 = 8;

pub const WGPEER_F_REMOVE_ME: u32 = 1 << 0;
pub const WGPEER_F_REPLACE_ALLOWEDIPS: u32 = 1 << 1;

pub const WGPEER_A_PUBLIC_KEY: u16 = 1;
pub const WGPEER_A_FLAGS: u16 = 3;
pub const WGPEER_A_ENDPOINT: u16 = 4;
pub const WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL: u16 = 5;
pub const WGPEER_A_LAST_HANDSHAKE_TIME: u16 = 6;
pub const WGPEER_A_RX_BYTES: u16 = 7;
pub const WGPEER_A_TX_BYTES: u16 = 8;
pub const WGPEER_A_ALLOWEDIPS: u16 = 9;

pub const WGALLOWEDIP_A_FAMILY: u16 = 1;
pub const WGALLOWEDIP_A_IPADDR: u16 = 2;
pub const WGALLOWEDIP_A_CIDR_MASK: u16 = 3;

/// CTRL_CMD_GETFAMILY for "wireguard": the message type the requests below are sent with.
pub fn get_family() -> Request<Generic> {
    genl::get_family(WIREGUARD, WG_GENL_NAME)
}

/// WG_CMD_SET_DEVICE of `dev`, to the family id `get_family` answered. One message holds every
/// peer: the kernel reads a message of any size the socket buffer takes (wg splits its own at
/// 4 KiB only because its buffer is that small).
pub fn set_device(family: u16, dev: &Device) -> Request<Generic> {
    let mut w = AttrWriter::with_header(&genlmsghdr(WG_CMD_SET_DEVICE, WG_GENL_VERSION));
    w.str(WGDEVICE_A_IFNAME, &dev.name);
    if let Some(key) = &dev.private_key {
        w.bytes(WGDEVICE_A_PRIVATE_KEY, key.as_bytes());
    }
    if let Some(port) = dev.listen_port {
        w.u16(WGDEVICE_A_LISTEN_PORT, port);
    }
    if let Some(mark) = dev.fwmark {
        w.u32(WGDEVICE_A_FWMARK, mark);
    }
    if dev.replace_peers {
        w.u32(WGDEVICE_A_FLAGS, WGDEVICE_F_REPLACE_PEERS);
    }
    if !dev.peers.is_empty() {
        w.nest(WGDEVICE_A_PEERS | NLA_F_NESTED, |list| {
            for peer in &dev.peers {
                list.nest(NLA_F_NESTED, |p| write_peer(p, peer));
            }
        });
    }
    Request::new(
        family,
        NLM_F_ACK,
        w.finish(),
        format!("configure wireguard {}", dev.name),
    )
    .needing(WIREGUARD)
}

fn write_peer(w: &mut AttrWriter, peer: &Peer) {
    w.bytes(WGPEER_A_PUBLIC_KEY, peer.public_key.as_bytes());
    if peer.remove {
        w.u32(WGPEER_A_FLAGS, WGPEER_F_REMOVE_ME);
        return;
    }
    if let Some(endpoint) = peer.endpoint {
        w.bytes(WGPEER_A_ENDPOINT, &sockaddr(endpoint));
    }
    if let Some(secs) = peer.persistent_keepalive {
        w.u16(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, secs);
    }
    if peer.replace_allowed_ips {
        w.u32(WGPEER_A_FLAGS, WGPEER_F_REPLACE_ALLOWEDIPS);
    }
    if !peer.allowed_ips.is_empty() {
        w.nest(WGPEER_A_ALLOWEDIPS | NLA_F_NESTED, |list| {
            for net in &peer.allowed_ips {
                list.nest(NLA_F_NESTED, |a| {
                    let family = if net.is_ipv4() { AF_INET } else { AF_INET6 };
                    a.u16(WGALLOWEDIP_A_FAMILY, u16::from(family))
                        .bytes(WGALLOWEDIP_A_IPADDR, &octets(net.network()))
                        .u8(WGALLOWEDIP_A_CIDR_MASK, net.prefix());
                });
            }
        });
    }
}

/// struct sockaddr_in (16 bytes) or sockaddr_in6 (28): family in host order, port in network
/// order.
fn sockaddr(addr: SocketAddr) -> Vec<u8> {
    let mut out = Vec::with_capacity(28);
    match addr {
        SocketAddr::V4(a) => {
            out.extend_from_slice(&u16::from(AF_INET).to_ne_bytes());
            out.extend_from_slice(&a.port().to_be_bytes());
            out.extend_from_slice(&a.ip().octets());
            out.extend_from_slice(&[0; 8]);
        }
        SocketAddr::V6(a) => {
            out.extend_from_slice(&u16::from(AF_INET6).to_ne_bytes());
            out.extend_from_slice(&a.port().to_be_bytes());
            out.extend_from_slice(&a.flowinfo().to_be_bytes());
            out.extend_from_slice(&a.ip().octets());
            out.extend_from_slice(&a.scope_id().to_ne_bytes());
        }
    }
    out
}

fn read_sockaddr(b: &[u8]) -> Option<SocketAddr> {
    let family = u16::from_ne_bytes(b.get(..2)?.try_into().ok()?);
    let port = u16::from_be_bytes(b.get(2..4)?.try_into().ok()?);
    if family == u16::from(AF_INET) && b.len() == 16 {
        let ip = Ipv4Addr::from(<[u8; 4]>::try_from(&b[4..8]).ok()?);
        return Some(SocketAddr::V4(SocketAddrV4::new(ip, port)));
    }
    if family == u16::from(AF_INET6) && b.len() == 28 {
        let flow = u32::from_be_bytes(b[4..8].try_into().ok()?);
        let ip = Ipv6Addr::from(<[u8; 16]>::try_from(&b[8..24]).ok()?);
        let scope = u32::from_ne_bytes(b[24..28].try_into().ok()?);
        return Some(SocketAddr::V6(SocketAddrV6::new(ip, port, flow, scope)));
    }
    None
}

/// WG_CMD_GET_DEVICE for one interface: a dump, as the kernel answers nothing else.
pub fn get_device(family: u16, name: &str) -> Request<Generic> {
    let mut w = AttrWriter::with_header(&genlmsghdr(WG_CMD_GET_DEVICE, WG_GENL_VERSION));
    w.str(WGDEVICE_A_IFNAME, name);
    Request::new(
        family,
        NLM_F_DUMP,
        w.finish(),
        format!("read wireguard {name}"),
    )
    .needing(WIREGUARD)
}

/// The device from every message of the dump's answer (the bodies, after the netlink header).
/// The kernel spreads a device with many peers over several messages, the device's own
/// attributes in the first only, and may cut a peer's allowed ips across two: a message whose
/// first peer is the last one read carries more of its allowed ips.
pub fn parse_device(bodies: &[Vec<u8>]) -> Option<Device> {
    let mut dev = Device::default();
    for body in bodies {
        for a in &genl::attrs(body) {
            match a.kind {
                WGDEVICE_A_IFINDEX => dev.ifindex = a.u32(),
                WGDEVICE_A_IFNAME => dev.name = a.str()?.to_string(),
                WGDEVICE_A_PRIVATE_KEY => {
                    dev.private_key = key(a.payload).map(PrivateKey::from_bytes)
                }
                WGDEVICE_A_PUBLIC_KEY => dev.public_key = key(a.payload).map(PublicKey::from_bytes),
                WGDEVICE_A_LISTEN_PORT => dev.listen_port = a.u16(),
                WGDEVICE_A_FWMARK => dev.fwmark = a.u32().filter(|&m| m != 0),
                WGDEVICE_A_PEERS => read_peers(a.nested(), &mut dev.peers)?,
                _ => {}
            }
        }
    }
    (!dev.name.is_empty()).then_some(dev)
}

/// A key attribute; the kernel sends a device without one as 32 zero bytes or not at all.
fn key(payload: &[u8]) -> Option<[u8; WG_KEY_LEN]> {
    <[u8; WG_KEY_LEN]>::try_from(payload)
        .ok()
        .filter(|k| k.iter().any(|&b| b != 0))
}

fn read_peers(list: Attrs, peers: &mut Vec<Peer>) -> Option<()> {
    for entry in &list {
        let peer = read_peer(entry.nested())?;
        match peers.last_mut() {
            Some(last) if last.public_key == peer.public_key => {
                last.allowed_ips.extend(peer.allowed_ips)
            }
            _ => peers.push(peer),
        }
    }
    Some(())
}

fn read_peer(attrs: Attrs) -> Option<Peer> {
    let public = key(attrs.get(WGPEER_A_PUBLIC_KEY)?.payload)?;
    let mut peer = Peer::new(PublicKey::from_bytes(public));
    for a in &attrs {
        match a.kind {
            WGPEER_A_ENDPOINT => peer.endpoint = read_sockaddr(a.payload),
            WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL => peer.persistent_keepalive = a.u16(),
            WGPEER_A_LAST_HANDSHAKE_TIME => peer.last_handshake = timespec(a.payload),
            WGPEER_A_RX_BYTES => peer.rx_bytes = u64_of(a.payload)?,
            WGPEER_A_TX_BYTES => peer.tx_bytes = u64_of(a.payload)?,
            WGPEER_A_ALLOWEDIPS => {
                for ip in &a.nested() {
                    peer.allowed_ips.push(read_allowed_ip(ip.nested())?);
                }
            }
            _ => {}
        }
    }
    Some(peer)
}

fn u64_of(payload: &[u8]) -> Option<u64> {
    Some(u64::from_ne_bytes(payload.get(..8)?.try_into().ok()?))
}

/// struct __kernel_timespec: seconds and nanoseconds, both i64; zero for never.
fn timespec(b: &[u8]) -> Option<Duration> {
    let secs = i64::from_ne_bytes(b.get(..8)?.try_into().ok()?);
    let nanos = i64::from_ne_bytes(b.get(8..16)?.try_into().ok()?);
    let secs = u64::try_from(secs).ok()?;
    let nanos = u32::try_from(nanos).ok().filter(|&n| n < 1_000_000_000)?;
    (secs != 0 || nanos != 0).then(|| Duration::new(secs, nanos))
}

fn read_allowed_ip(a: Attrs) -> Option<IpNetwork> {
    let ip: IpAddr = ip_from(a.get(WGALLOWEDIP_A_IPADDR)?.payload)?;
    IpNetwork::new(ip, a.get(WGALLOWEDIP_A_CIDR_MASK)?.u8()?).ok()
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::msg::golden;
    use crate::msg::wireguard::key::tests::{KEY_A, PUB_A, PUB_B, PUB_C, public};

    /// The family id the kernel in the capture's guest gave "wireguard".
    const FAMILY: u16 = 0x20;

    fn peer_b() -> Peer {
        Peer {
            endpoint: Some("192.0.2.2:51821".parse().unwrap()),
            persistent_keepalive: Some(25),
            allowed_ips: vec![
                "10.99.0.2/32".parse().unwrap(),
                "fd99::2/128".parse().unwrap(),
            ],
            replace_allowed_ips: true,
            ..Peer::new(public(PUB_B))
        }
    }

    /// `wg set wg1 private-key A listen-port 51820 peer B ... peer C ...` (capture-wg.sh).
    pub fn set_a() -> Device {
        Device {
            name: "wg1".into(),
            private_key: Some(PrivateKey::parse(KEY_A).unwrap()),
            listen_port: Some(51820),
            peers: vec![
                peer_b(),
                Peer {
                    endpoint: Some("[2001:db8::3]:51822".parse().unwrap()),
                    allowed_ips: vec!["10.99.0.3/32".parse().unwrap()],
                    replace_allowed_ips: true,
                    ..Peer::new(public(PUB_C))
                },
            ],
            ..Device::default()
        }
    }

    #[test]
    fn set_matches_wg() {
        golden::assert_matches(
            &set_device(FAMILY, &set_a()),
            include_str!("../../../tests/golden/wg-set.hex"),
        );
    }

    #[test]
    fn replacing_every_peer_matches_wg_setconf() {
        let dev = Device {
            // setconf resets the mark to none, as the file names none.
            fwmark: Some(0),
            replace_peers: true,
            peers: vec![Peer {
                persistent_keepalive: None,
                allowed_ips: vec!["10.99.0.2/32".parse().unwrap()],
                ..peer_b()
            }],
            ..set_a()
        };
        golden::assert_matches(
            &set_device(FAMILY, &dev),
            include_str!("../../../tests/golden/wg-setconf.hex"),
        );
    }

    #[test]
    fn removing_a_peer_matches_wg() {
        let dev = Device {
            name: "wg1".into(),
            peers: vec![Peer::removal(public(PUB_B))],
            ..Device::default()
        };
        golden::assert_matches(
            &set_device(FAMILY, &dev),
            include_str!("../../../tests/golden/wg-remove.hex"),
        );
    }

    #[test]
    fn get_matches_wg_but_for_the_ack() {
        // wg also asks for an ACK on the dump; l2x reads a dump to its NLMSG_DONE.
        let mut req = get_device(FAMILY, "wg1");
        req.flags |= NLM_F_ACK;
        golden::assert_matches(&req, include_str!("../../../tests/golden/wg-get.hex"));
    }

    /// The fields of one peer line of `wg show IFACE dump`, as the capture's comments hold it.
    pub fn dumped_peers(capture: &str) -> Vec<Vec<String>> {
        capture
            .lines()
            .filter_map(|l| l.strip_prefix("# dump: "))
            .skip(1)
            .map(|l| l.split('\t').map(str::to_string).collect())
            .collect()
    }

    /// A peer as `wg show dump` prints it: key, preshared key, endpoint, allowed ips, latest
    /// handshake, rx, tx, keepalive.
    pub fn as_wg_dumps(p: &Peer) -> Vec<String> {
        let allowed: Vec<String> = p.allowed_ips.iter().map(|n| n.to_string()).collect();
        vec![
            p.public_key.to_string(),
            "(none)".into(),
            p.endpoint.map_or("(none)".into(), |e| e.to_string()),
            allowed.join(","),
            p.last_handshake.map_or(0, |t| t.as_secs()).to_string(),
            p.rx_bytes.to_string(),
            p.tx_bytes.to_string(),
            match p.persistent_keepalive {
                Some(s) if s > 0 => s.to_string(),
                _ => "off".into(),
            },
        ]
    }

    #[test]
    fn the_kernels_dump_reads_as_wg_show_dump_prints_it() {
        let capture = include_str!("../../../tests/golden/wg-get-reply.hex");
        let bodies = golden::bodies(capture, FAMILY);
        let dev = parse_device(&bodies).expect("a device");
        assert_eq!(dev.name, "wg1");
        assert_eq!(dev.private_key, Some(PrivateKey::parse(KEY_A).unwrap()));
        assert_eq!(dev.public_key, Some(public(PUB_A)));
        assert_eq!(dev.listen_port, Some(51820));
        let got: Vec<Vec<String>> = dev.peers.iter().map(as_wg_dumps).collect();
        assert_eq!(got, dumped_peers(capture));
        let b = &dev.peers[0];
        assert!(b.last_handshake.is_some() && b.rx_bytes > 0 && b.tx_bytes > 0);
    }

    #[test]
    fn a_peer_cut_across_two_messages_is_one_peer() {
        let half = |ips: &[&str]| {
            let dev = Device {
                name: "wg1".into(),
                peers: vec![Peer {
                    allowed_ips: ips.iter().map(|s| s.parse().unwrap()).collect(),
                    ..Peer::new(public(PUB_B))
                }],
                ..Device::default()
            };
            set_device(FAMILY, &dev).body
        };
        let dev = parse_device(&[half(&["10.99.0.2/32"]), half(&["fd99::2/128"])]).unwrap();
        assert_eq!(dev.peers.len(), 1);
        assert_eq!(dev.peers[0].allowed_ips.len(), 2);
    }

    #[test]
    fn the_family_is_looked_up_by_name() {
        let req = get_family();
        let name = genl::attrs(&req.body).get(genl::CTRL_ATTR_FAMILY_NAME);
        assert_eq!(name.and_then(|a| a.str()), Some(WG_GENL_NAME));
        assert_eq!(req.needs, Some(WIREGUARD));
    }

    #[test]
    fn endpoints_round_trip() {
        for e in ["192.0.2.2:51821", "[2001:db8::3]:51822", "[fe80::1%7]:9"] {
            let addr: SocketAddr = e.parse().unwrap();
            assert_eq!(read_sockaddr(&sockaddr(addr)), Some(addr));
        }
        assert_eq!(read_sockaddr(&[2, 0, 0]), None);
    }
}
