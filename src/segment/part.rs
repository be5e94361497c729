//! One host's part of a segment, as plain data: its bridge, its tunnels with every derived
//! value, the ports it attaches, its masquerade and its DHCP server. `apply --dry-run -j`
//! prints it (the values a peer configured by hand needs); the planner turns it into specs.

use std::net::{IpAddr, SocketAddr};

use anyhow::Result;
use ipnetwork::{IpNetwork, Ipv4Network, Ipv6Network};
use serde::Serialize;

use super::derive::{self, L2tpIds};
use super::owner::Marks;
use super::{Host, Segment};
use crate::msg::gretap::GretapSpec;
use crate::msg::l2tp::{Encap, L2TP_L2SPECTYPE_DEFAULT, SessionSpec, TunnelSpec};
use crate::msg::link::format_mac;
use crate::msg::nft::forward::Forward;
use crate::msg::nft::map::Map;
use crate::msg::nft::masquerade::Masquerade;
use crate::msg::nft::nat::NatRule;
use crate::msg::vxlan::{VXLAN_PORT, VxlanSpec};
use crate::msg::wireguard::key::PrivateKey;
use crate::spec::bridge::Bridge;
use crate::spec::nat;
use crate::spec::tunnel::{self, DEFAULT_TTL, Device, Gretap, L2tp, TunnelKind, Vxlan};
use crate::spec::wireguard::{WantedPeer, WireGuard};

#[derive(Debug, Clone, Serialize)]
pub struct Part {
    pub segment: String,
    pub host: String,
    /// The file's MTU, else (once sized) the largest that fits this host's paths.
    pub mtu: Option<u32>,
    pub bridge: BridgeEnd,
    /// In an encrypted segment: the WireGuard interface the tunnels run inside.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wireguard: Option<WireguardEnd>,
    pub tunnels: Vec<TunnelEnd>,
    /// The file's `ports` of this host.
    pub ports: Vec<String>,
    /// Whether what they carry moves to the bridge.
    pub move_addresses: bool,
    pub masquerade: Option<MasqueradeEnd>,
    /// On the router host: its ports forwarded to machines on the segment, and its public
    /// addresses that stand for some.
    pub forwards: Vec<Forward>,
    pub maps: Vec<Map>,
    /// The `l2x dhcp serve` arguments of the segment's DHCP server, on the router host.
    pub dhcp: Option<Vec<String>>,
    #[serde(skip)]
    pub marks: Marks,
}

#[derive(Debug, Clone, Serialize)]
pub struct BridgeEnd {
    pub name: String,
    pub mac: String,
    #[serde(skip)]
    pub mac_bytes: [u8; 6],
    /// On the router host: the segment's gateway address.
    pub address: Option<Ipv4Network>,
}

/// This host's WireGuard interface: its inner address and port, and one peer per host it has
/// a tunnel to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WireguardEnd {
    pub name: String,
    pub address: Ipv6Network,
    pub listen_port: u16,
    /// Where this host's WireGuard packets leave from, when the file says (not behind NAT).
    pub underlay: Option<IpAddr>,
    pub peers: Vec<WantedPeer>,
}

/// Seconds between keepalives from a host behind NAT: well within the 30 s or more a NAT
/// keeps a UDP mapping open (WireGuard's own suggestion).
pub const NAT_KEEPALIVE: u16 = 25;

#[derive(Debug, Clone, Serialize)]
pub struct MasqueradeEnd {
    pub source: Ipv4Network,
    pub out: Option<String>,
}

/// One tunnel device of this host, with what its peer must mirror.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TunnelEnd {
    pub name: String,
    pub kind: TunnelKind,
    /// The hosts it reaches.
    pub peers: Vec<String>,
    pub local: IpAddr,
    pub remotes: Vec<IpAddr>,
    /// gretap: the key, both ways; the TTL.
    pub key: Option<u32>,
    pub ttl: Option<u8>,
    /// vxlan: the network identifier and UDP port.
    pub vni: Option<u32>,
    pub dport: Option<u16>,
    /// l2tp: ids and ports of this end and the peer's.
    pub l2tp: Option<L2tpIds>,
    /// A full mesh's tunnel ports are isolated (split horizon); a hub's are not (it forwards
    /// between its spokes).
    pub isolated: bool,
}

impl Part {
    pub fn new(s: &Segment, me: &Host) -> Part {
        let router = s.router.as_ref().filter(|r| r.host == me.name);
        let mac = derive::bridge_mac(&s.name, &me.name);
        Part {
            segment: s.name.clone(),
            host: me.name.clone(),
            mtu: s.mtu,
            bridge: BridgeEnd {
                name: s.name.clone(),
                mac: format_mac(&mac),
                mac_bytes: mac,
                address: router.map(|r| r.address),
            },
            wireguard: s.encrypted.then(|| wireguard(s, me)),
            tunnels: tunnels(s, me),
            ports: me.ports.clone(),
            move_addresses: me.move_addresses,
            masquerade: router.filter(|r| r.masquerade).map(|r| MasqueradeEnd {
                source: nat::masquerade(r.address, None).source,
                out: r.out.clone(),
            }),
            forwards: router.map(|r| r.forwards.clone()).unwrap_or_default(),
            maps: router.map(|r| r.maps.clone()).unwrap_or_default(),
            dhcp: router.and_then(|r| {
                let range = r.dhcp?;
                let mut args = ["dhcp", "serve", &s.name, "--range", &range.to_string()]
                    .map(String::from)
                    .to_vec();
                args.push("--daemon".into());
                if !r.dns {
                    args.push("--no-dns".into());
                }
                for h in &r.reservations {
                    args.extend(["--host".into(), h.to_string()]);
                }
                if let Some(path) = &r.lease_file {
                    args.extend(["--lease-file".into(), path.display().to_string()]);
                }
                if let Some(t) = &r.lease_time {
                    args.extend(["--lease-time".into(), t.clone()]);
                }
                Some(args)
            }),
            marks: Marks::of(&s.name),
        }
    }

    pub fn masquerade(&self) -> Option<Masquerade> {
        self.masquerade
            .as_ref()
            .map(|m| nat::masquerade(m.source, m.out.clone()))
    }

    /// Every rule of table ip l2x this host's part wants: its forwards, maps and masquerade.
    pub fn nat_rules(&self) -> Vec<NatRule> {
        let forwards = self.forwards.iter().cloned().map(NatRule::from);
        let maps = self.maps.iter().cloned().map(NatRule::from);
        forwards
            .chain(maps)
            .chain(self.masquerade().map(NatRule::from))
            .collect()
    }

    /// The bridge as the planner takes it: up at the segment's MTU, with its MAC, the router's
    /// address and the segment's mark.
    pub fn bridge_spec(&self) -> Bridge {
        Bridge {
            name: self.bridge.name.clone(),
            addrs: self.bridge.address.iter().map(|&a| a.into()).collect(),
            mtu: self.mtu,
            mac: Some(self.bridge.mac_bytes),
            stp: false,
            mark: Some(self.marks.mark.clone()),
        }
    }

    /// The WireGuard interface as the planner takes it: the tunnels' overhead above the
    /// segment's MTU, marked.
    pub fn wireguard_spec(&self, key: &PrivateKey) -> Result<Option<WireGuard>> {
        let Some(end) = &self.wireguard else {
            return Ok(None);
        };
        let overhead = match self.tunnels.first() {
            Some(t) => t.device()?.overhead(),
            None => 0,
        };
        Ok(Some(WireGuard {
            name: end.name.clone(),
            private_key: key.clone(),
            listen_port: end.listen_port,
            address: end.address.into(),
            mtu: self.mtu.unwrap_or(crate::spec::port::ETH_DATA_LEN) + overhead,
            peers: end.peers.clone(),
            mark: Some(self.marks.mark.clone()),
        }))
    }

    /// A tunnel as the planner takes it: on the segment's bridge, at its MTU, marked.
    pub fn tunnel_spec(&self, end: &TunnelEnd) -> Result<tunnel::Tunnel> {
        Ok(tunnel::Tunnel {
            device: end.device()?,
            mtu: self.mtu,
            bridge: Some(self.bridge.name.clone()),
            isolated: end.isolated,
            mark: Some(self.marks.mark.clone()),
        })
    }
}

impl TunnelEnd {
    /// The device spec of this end.
    pub fn device(&self) -> Result<Box<dyn Device>> {
        Ok(match self.kind {
            TunnelKind::Gretap => Box::new(Gretap::new(GretapSpec {
                name: self.name.clone(),
                local: self.local,
                remote: self.remotes[0],
                ttl: self.ttl.unwrap_or(DEFAULT_TTL),
                key: self.key,
            })?),
            TunnelKind::Vxlan => Box::new(Vxlan::new(
                VxlanSpec {
                    name: self.name.clone(),
                    vni: self.vni.unwrap_or_default(),
                    local: self.local,
                    dport: self.dport.unwrap_or(VXLAN_PORT),
                },
                &self.remotes,
            )?),
            TunnelKind::L2tp => {
                let ids = self.l2tp.expect("an l2tp end has ids");
                Box::new(L2tp::new(
                    TunnelSpec {
                        tunnel_id: ids.tunnel_id,
                        peer_tunnel_id: ids.peer_tunnel_id,
                        encap: Encap::Udp {
                            sport: ids.sport,
                            dport: ids.dport,
                        },
                        local: self.local,
                        remote: self.remotes[0],
                    },
                    SessionSpec {
                        name: self.name.clone(),
                        tunnel_id: ids.tunnel_id,
                        peer_tunnel_id: ids.peer_tunnel_id,
                        session_id: ids.session_id,
                        peer_session_id: ids.peer_session_id,
                        cookie: None,
                        peer_cookie: None,
                        l2spec: L2TP_L2SPECTYPE_DEFAULT,
                    },
                )?)
            }
        })
    }
}

/// Where a host's tunnels end: its inner address in an encrypted segment, else its underlay
/// (which every host of an unencrypted one has).
fn tunnel_address(s: &Segment, h: &Host) -> IpAddr {
    if s.encrypted {
        return IpAddr::V6(derive::inner_address(&s.name, h.slot));
    }
    h.underlay
        .expect("checked: every host of an unencrypted segment has an underlay")
}

/// The WireGuard interface: one peer per host this one has a tunnel to, allowed to send from
/// its inner address alone. A peer with an underlay is sent to there; one behind NAT is
/// answered where it came from; from behind NAT, this host keeps its mappings open.
fn wireguard(s: &Segment, me: &Host) -> WireguardEnd {
    let port = derive::wireguard_port(&s.name);
    let inner = derive::inner_network(&s.name);
    let peers = s
        .peers(&me.name)
        .iter()
        .map(|p| WantedPeer {
            host: p.name.clone(),
            public_key: p
                .public_key
                .expect("checked: every host of an encrypted segment has one"),
            endpoint: p.underlay.map(|ip| SocketAddr::new(ip, port)),
            keepalive: me.underlay.is_none().then_some(NAT_KEEPALIVE),
            allowed_ips: vec![IpNetwork::V6(
                Ipv6Network::new(derive::inner_address(&s.name, p.slot), 128)
                    .expect("128 is a prefix"),
            )],
        })
        .collect();
    WireguardEnd {
        name: derive::wireguard_name(&s.name),
        address: Ipv6Network::new(derive::inner_address(&s.name, me.slot), inner.prefix())
            .expect("the inner network's prefix"),
        listen_port: port,
        underlay: me.own_address(),
        peers,
    }
}

/// This host's tunnels: one VXLAN device toward every other host in a full mesh over VXLAN,
/// else one device per peer.
fn tunnels(s: &Segment, me: &Host) -> Vec<TunnelEnd> {
    let peers = s.peers(&me.name);
    if peers.is_empty() {
        return Vec::new();
    }
    let end = |name: String, peers: &[&Host]| TunnelEnd {
        name,
        kind: s.tunnel,
        peers: peers.iter().map(|p| p.name.clone()).collect(),
        local: if s.encrypted {
            tunnel_address(s, me)
        } else {
            me.own_address()
                .expect("checked: every host of an unencrypted segment has one")
        },
        remotes: peers.iter().map(|p| tunnel_address(s, p)).collect(),
        key: None,
        ttl: None,
        vni: None,
        dport: None,
        l2tp: None,
        isolated: s.mesh,
    };
    if s.one_device() {
        let mut all = end(derive::vxlan_name(&s.name), &peers);
        all.remotes.sort();
        all.vni = Some(s.vni);
        all.dport = Some(VXLAN_PORT);
        return vec![all];
    }
    let tag = derive::l2tp_tag(&s.name);
    peers
        .iter()
        .map(|peer| {
            let mut one = end(derive::tunnel_name(&s.name, &peer.name), &[peer]);
            match s.tunnel {
                TunnelKind::Gretap => {
                    one.key = Some(derive::gre_key(&s.name));
                    one.ttl = Some(DEFAULT_TTL);
                }
                TunnelKind::L2tp => one.l2tp = Some(derive::l2tp_ids(tag, me.slot, peer.slot)),
                TunnelKind::Vxlan => {
                    // Hub and spoke: the spoke's slot numbers the pair.
                    let spoke = if s.is_router(&me.name) { peer } else { me };
                    one.vni = Some(derive::spoke_vni(s.vni, spoke.slot));
                    one.dport = Some(VXLAN_PORT);
                }
            }
            one
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::{check, file};

    fn segment(text: &str) -> Segment {
        let f = file::parse(text).unwrap();
        match check::check(f, text) {
            Ok(s) => s,
            Err(check::Refusal::Wrong(e)) => panic!("{e}"),
        }
    }

    fn sixteen(tunnel: &str, mesh: bool) -> Segment {
        let mut text = format!(
            "segment = \"seg\"\ntunnel = \"{tunnel}\"\nmesh = {mesh}\n[router]\nhost = \"h07\"\n\
             address = \"10.0.5.1/24\"\n"
        );
        for i in 1..=16 {
            text.push_str(&format!("[hosts.h{i:02}]\nunderlay = \"192.0.2.{i}\"\n"));
        }
        segment(&text)
    }

    /// What host `me` has toward `peer`.
    fn toward<'a>(parts: &'a [Part], me: &str, peer: &str) -> &'a TunnelEnd {
        parts
            .iter()
            .find(|p| p.host == me)
            .and_then(|p| p.tunnels.iter().find(|t| t.peers.iter().any(|x| x == peer)))
            .unwrap_or_else(|| panic!("{me} has no tunnel to {peer}"))
    }

    /// For every pair of a 16-host file, each end mirrors the other: addresses, keys, VNIs,
    /// L2TP ids and UDP ports; and no host's tunnels share a name, an id or a port.
    #[test]
    fn every_pair_agrees_in_a_sixteen_host_file() {
        for (tunnel, mesh) in [
            ("gretap", true),
            ("l2tp", true),
            ("vxlan", true),
            ("l2tp", false),
            ("vxlan", false),
        ] {
            let s = sixteen(tunnel, mesh);
            let parts: Vec<Part> = s.hosts.iter().map(|h| Part::new(&s, h)).collect();
            for a in &s.hosts {
                for b in s.peers(&a.name) {
                    let (ab, ba) = (
                        toward(&parts, &a.name, &b.name),
                        toward(&parts, &b.name, &a.name),
                    );
                    let what = format!("{tunnel} mesh={mesh} {} -> {}", a.name, b.name);
                    let (ua, ub) = (a.underlay.unwrap(), b.underlay.unwrap());
                    assert_eq!(ab.local, ua, "{what}");
                    assert!(ab.remotes.contains(&ub), "{what}");
                    assert!(ba.remotes.contains(&ua), "{what}");
                    assert_eq!(
                        (ab.key, ab.vni, ab.dport),
                        (ba.key, ba.vni, ba.dport),
                        "{what}"
                    );
                    assert_eq!(ab.isolated, mesh, "{what}");
                    if let (Some(x), Some(y)) = (ab.l2tp, ba.l2tp) {
                        assert_eq!(x.tunnel_id, y.peer_tunnel_id, "{what}");
                        assert_eq!(x.session_id, y.peer_session_id, "{what}");
                        assert_eq!((x.sport, x.dport), (y.dport, y.sport), "{what}");
                    }
                }
            }
            for p in &parts {
                let distinct = |f: &dyn Fn(&TunnelEnd) -> Option<String>| {
                    let all: Vec<String> = p.tunnels.iter().filter_map(f).collect();
                    let set: std::collections::BTreeSet<&String> = all.iter().collect();
                    assert_eq!(
                        set.len(),
                        all.len(),
                        "{tunnel} mesh={mesh} {}: {all:?}",
                        p.host
                    );
                };
                distinct(&|t| Some(t.name.clone()));
                distinct(&|t| t.l2tp.map(|i| i.tunnel_id.to_string()));
                distinct(&|t| t.l2tp.map(|i| i.session_id.to_string()));
                distinct(&|t| t.l2tp.map(|i| i.sport.to_string()));
                distinct(&|t| t.vni.filter(|_| !s.one_device()).map(|v| v.to_string()));
                assert!(
                    p.tunnels.iter().all(|t| t.name.len() <= 15),
                    "{:?}",
                    p.tunnels
                );
            }
            let hub = parts.iter().find(|p| p.host == "h07").unwrap();
            let expected = if s.one_device() { 1 } else { 15 };
            assert_eq!(hub.tunnels.len(), expected, "{tunnel} mesh={mesh}");
        }
    }

    /// The file the Debian package installs as /etc/l2x/example.toml is one apply takes.
    #[test]
    fn the_packaged_example_is_a_valid_file() {
        let s = segment(include_str!("../../packaging/example.toml"));
        assert_eq!((s.name.as_str(), s.hosts.len()), ("superbr0", 2));
        let a = Part::new(&s, s.host("a").unwrap());
        assert!(a.dhcp.is_some() && a.masquerade.is_some());
    }

    /// An encrypted file: every host's WireGuard peers are the hosts it has tunnels to, at
    /// their inner addresses; the host behind NAT dials out with keepalives, and its peers
    /// have no endpoint for it.
    #[test]
    fn an_encrypted_part_has_a_peer_per_tunnel_and_keeps_nat_open() {
        let keys = [
            "lSxxUuGYYqBvXC9OByi3liOVIi2e7XG0arAnG4jxiGM=",
            "wIgzg3x9PJuAo5QGGSodPiMlXP0Yv4OoHdgokI+jRyk=",
            "0ea2RvBaSVOZOLlkV/DHXszihKFxW7T5oOEujh5knSg=",
        ];
        let s = segment(&format!(
            "segment = \"wseg\"\nencrypt = \"wireguard\"\n\
             [hosts.a]\nunderlay = \"192.0.2.1\"\npublic_key = \"{}\"\n\
             [hosts.b]\nunderlay = \"192.0.2.2\"\npublic_key = \"{}\"\n\
             [hosts.c]\npublic_key = \"{}\"\n",
            keys[0], keys[1], keys[2]
        ));
        let parts: Vec<Part> = s.hosts.iter().map(|h| Part::new(&s, h)).collect();
        for p in &parts {
            let w = p.wireguard.as_ref().unwrap();
            assert_eq!(w.peers.len(), 2, "{}", p.host);
            let me = IpAddr::V6(w.address.ip());
            assert_eq!(p.tunnels[0].local, me);
            for peer in &w.peers {
                let inner = peer.allowed_ips[0].ip();
                assert!(p.tunnels[0].remotes.contains(&inner), "{}", p.host);
                assert_eq!(peer.endpoint.is_none(), peer.host == "c");
                assert_eq!(peer.keepalive.is_some(), p.host == "c");
            }
        }
        assert_eq!(
            parts[0].wireguard.as_ref().unwrap().listen_port,
            derive::wireguard_port("wseg")
        );
    }

    #[test]
    fn the_router_part_has_the_address_dhcp_and_masquerade() {
        let s = segment(
            "segment = \"superbr0\"\n[router]\nhost = \"a\"\naddress = \"10.0.5.1/24\"\n\
             dhcp = \"10.0.5.100-10.0.5.199\"\nmasquerade = true\nout = \"eth0\"\n\
             reservations = { \"00:16:3e:00:00:10\" = \"10.0.5.10\" }\n\
             [hosts.a]\nunderlay = \"198.51.100.1\"\n[hosts.b]\nunderlay = \"198.51.100.2\"\n",
        );
        let a = Part::new(&s, s.host("a").unwrap());
        assert_eq!(a.bridge.address.unwrap().to_string(), "10.0.5.1/24");
        assert_eq!(
            a.dhcp.as_ref().unwrap().join(" "),
            "dhcp serve superbr0 --range 10.0.5.100-10.0.5.199 --daemon --no-dns \
             --host 00:16:3e:00:00:10=10.0.5.10"
        );
        let m = a.masquerade().unwrap();
        assert_eq!(
            (m.source.to_string(), m.out.as_deref()),
            ("10.0.5.0/24".into(), Some("eth0"))
        );
        assert_eq!(a.tunnels[0].name, "superbr0-vx");
        let b = Part::new(&s, s.host("b").unwrap());
        assert!(b.bridge.address.is_none() && b.dhcp.is_none() && b.masquerade.is_none());
        assert_ne!(a.bridge.mac, b.bridge.mac);
    }
}
