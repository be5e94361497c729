//! A WireGuard interface as an encrypted segment wants it: this host's key and port, one peer
//! per other host, the inner address the segment's tunnels start from, and its MTU. The kernel
//! module makes it where there is one, else wireguard-go. An interface that exists is changed
//! in place, one step per peer: a changed key swaps exactly that peer, and a peer that dials
//! in (no endpoint in the file) keeps the endpoint WireGuard learnt from it.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Result;
use ipnetwork::IpNetwork;

use super::bridge::{self, address_step};
use crate::msg::addr::Addr;
use crate::msg::wireguard::key::{PrivateKey, PublicKey};
use crate::msg::wireguard::{self as wg, Backend, Device, Peer};
use crate::plan::diff::{self, Diffs};
use crate::plan::{Action, Change, Event, Mark, Op, Place, Plan, Set, Step};
use crate::state::Device as Link;
use crate::state::tunnel::ip_header;

const OBJECT: &str = "wireguard";

/// What WireGuard adds to each packet it carries: the outer IP header, UDP (8), and its own
/// data header (type and receiver 8, counter 8) and authentication tag (16). A tunnel over
/// WireGuard loses this and its own overhead from the path's MTU.
pub fn overhead(ipv6: bool) -> u32 {
    ip_header(ipv6) + 8 + 16 + 16
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireGuard {
    pub name: String,
    pub private_key: PrivateKey,
    pub listen_port: u16,
    /// This host's inner address, with the prefix of the segment's inner network.
    pub address: IpNetwork,
    pub mtu: u32,
    pub peers: Vec<WantedPeer>,
    /// Whose it is (a segment's).
    pub mark: Option<Mark>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WantedPeer {
    /// The host it is, in the segment file's words (for messages).
    pub host: String,
    pub public_key: PublicKey,
    /// None for a host that cannot be reached first (behind NAT): it dials in.
    pub endpoint: Option<SocketAddr>,
    /// Seconds; for a host whose peers cannot reach it first, what keeps its NAT open.
    pub keepalive: Option<u16>,
    pub allowed_ips: Vec<IpNetwork>,
}

/// An interface that exists, as read: its link and addresses, its configuration, and what
/// runs it.
pub struct Have<'a> {
    pub link: &'a Link,
    pub config: &'a Device,
    pub backend: Backend,
}

impl WireGuard {
    /// The plan that makes the interface as asked; `backend` runs it when it must be made.
    pub fn plan(&self, backend: Backend, have: Option<Have>) -> Result<Plan> {
        let mut plan = Plan::default();
        let Some(have) = have else {
            plan.push(self.create(backend));
            return Ok(plan);
        };
        plan.knows(&have.link.link);
        plan.push(diff::converge(OBJECT, &self.name, self.differences(&have))?);
        Ok(plan)
    }

    fn create(&self, backend: Backend) -> Change {
        let name = self.name.clone();
        let delete = Op::DelLink { dev: name.clone() };
        let group = self.mark.as_ref().map(|m| m.group);
        let make = match backend {
            Backend::Kernel => Op::NewLink {
                name: name.clone(),
                place: Place {
                    group,
                    ..Place::default()
                },
                build: Arc::new(move |at| wg::create(&name, at)),
            },
            Backend::WireguardGo => Op::StartWireguardGo { name },
        };
        // wireguard-go makes its device itself: the group follows at once. Both are undone
        // with the interface.
        let marks = self.mark.iter().flat_map(|m| {
            let group = (backend == Backend::WireguardGo).then(|| {
                Step::final_(Op::SetLink {
                    dev: self.name.clone(),
                    set: Set {
                        group: Some(m.group),
                        ..Set::default()
                    },
                })
            });
            let alias = Step::final_(Op::SetAlias {
                dev: self.name.clone(),
                alias: m.alias.clone(),
            });
            group.into_iter().chain([alias])
        });
        let everything = Device {
            name: self.name.clone(),
            private_key: Some(self.private_key.clone()),
            listen_port: Some(self.listen_port),
            replace_peers: true,
            peers: self.peers.iter().map(WantedPeer::set).collect(),
            ..Device::default()
        };
        let mut steps = vec![Step::new(make, delete)];
        steps.extend(marks);
        steps.extend([
            // Undone with the interface itself. The inner address is IPv6, whatever the
            // host's default for new interfaces says.
            Step::final_(Op::EnableIpv6 {
                dev: self.name.clone(),
            }),
            Step::final_(Op::Wireguard {
                device: everything,
                backend,
            }),
            address_step(&self.name, Addr::new(0, self.address), true),
            self.set_link(Set {
                up: Some(true),
                mtu: Some(self.mtu),
                ..Set::default()
            }),
        ]);
        let peers = match self.peers.len() {
            1 => "1 peer".to_string(),
            n => format!("{n} peers"),
        };
        let detail = format!("by {backend}, port {}, {peers}", self.listen_port);
        Change::new(
            Event::new(OBJECT, &self.name, Action::Create, detail),
            steps,
        )
    }

    fn set_link(&self, set: Set) -> Step {
        let back = Set {
            up: set.up.map(|up| !up),
            ..Set::default()
        };
        Step::new(
            Op::SetLink {
                dev: self.name.clone(),
                set,
            },
            Op::SetLink {
                dev: self.name.clone(),
                set: back,
            },
        )
    }

    /// What differs, each with the step that fixes it and undoes it.
    fn differences(&self, have: &Have) -> Diffs {
        let mut diffs = Diffs::new();
        let link = &have.link.link;
        let config = have.config;
        if let Some(mark) = &self.mark {
            diffs.extend(bridge::marked(&self.name, link, mark));
        }
        let step = |to: Device, back: Device| {
            Step::new(
                Op::Wireguard {
                    device: to,
                    backend: have.backend,
                },
                Op::Wireguard {
                    device: back,
                    backend: have.backend,
                },
            )
        };
        let device = |private_key: Option<PrivateKey>, listen_port: Option<u16>| Device {
            name: self.name.clone(),
            private_key,
            listen_port,
            ..Device::default()
        };
        let have_public = config.private_key.as_ref().map(PrivateKey::public_key);
        let want_public = Some(self.private_key.public_key());
        diff::optional(&mut diffs, "public key", have_public, want_public, || {
            let back = config.private_key.clone();
            Some(vec![step(
                device(Some(self.private_key.clone()), None),
                device(back, None),
            )])
        });
        diff::optional(
            &mut diffs,
            "listen port",
            config.listen_port,
            Some(self.listen_port),
            || {
                Some(vec![step(
                    device(None, Some(self.listen_port)),
                    device(None, config.listen_port),
                )])
            },
        );
        self.peer_differences(&mut diffs, config, step);
        diff::up(&mut diffs, link.up, || {
            vec![self.set_link(Set {
                up: Some(true),
                ..Set::default()
            })]
        });
        diff::setting(&mut diffs, "mtu", link.mtu, self.mtu, || {
            Some(vec![Step::new(
                mtu_op(&self.name, self.mtu),
                mtu_op(&self.name, link.mtu),
            )])
        });
        let addrs: Vec<IpNetwork> = have.link.addrs.iter().map(|a| a.net).collect();
        diff::members(
            &mut diffs,
            "address",
            &addrs,
            &[self.address],
            |net| vec![address_step(&self.name, Addr::new(0, *net), true)],
            |net| vec![address_step(&self.name, Addr::new(0, *net), false)],
        );
        diffs
    }

    /// One difference per peer added, changed or removed; each step sends that peer alone.
    fn peer_differences(
        &self,
        diffs: &mut Diffs,
        config: &Device,
        step: impl Fn(Device, Device) -> Step,
    ) {
        let only = |peer: Peer| Device {
            name: self.name.clone(),
            peers: vec![peer],
            ..Device::default()
        };
        for want in &self.peers {
            let Some(had) = config
                .peers
                .iter()
                .find(|p| p.public_key == want.public_key)
            else {
                let fix = step(only(want.set()), only(Peer::removal(want.public_key)));
                diff::said_with(diffs, format!("peer {} missing", want.host), vec![fix]);
                continue;
            };
            let changed = want.differences(had);
            if !changed.is_empty() {
                let fix = step(only(want.set()), only(restore(had)));
                let said = format!("peer {}: {}", want.host, changed.join(", "));
                diff::said_with(diffs, said, vec![fix]);
            }
        }
        for had in &config.peers {
            if !self.peers.iter().any(|w| w.public_key == had.public_key) {
                let fix = step(only(Peer::removal(had.public_key)), only(restore(had)));
                let said = format!("peer {} not in the segment", had.public_key);
                diff::said_with(diffs, said, vec![fix]);
            }
        }
    }
}

fn mtu_op(dev: &str, mtu: u32) -> Op {
    Op::SetLink {
        dev: dev.to_string(),
        set: Set {
            mtu: Some(mtu),
            ..Set::default()
        },
    }
}

/// A peer as it was read, as the set that makes it so again.
fn restore(had: &Peer) -> Peer {
    Peer {
        endpoint: had.endpoint,
        persistent_keepalive: Some(had.persistent_keepalive.unwrap_or(0)),
        allowed_ips: had.allowed_ips.clone(),
        replace_allowed_ips: true,
        ..Peer::new(had.public_key)
    }
}

impl WantedPeer {
    /// The set that makes this peer as wanted, whatever it was.
    fn set(&self) -> Peer {
        Peer {
            endpoint: self.endpoint,
            persistent_keepalive: Some(self.keepalive.unwrap_or(0)),
            allowed_ips: self.allowed_ips.clone(),
            replace_allowed_ips: true,
            ..Peer::new(self.public_key)
        }
    }

    /// In words, what differs from the peer as read. An endpoint is compared only where the
    /// file gives one: a peer that dials in is wherever it last dialed from.
    fn differences(&self, had: &Peer) -> Vec<String> {
        let mut said = Vec::new();
        if let Some(endpoint) = self.endpoint
            && had.endpoint != Some(endpoint)
        {
            let was = had.endpoint.map_or("none".to_string(), |e| e.to_string());
            said.push(format!("endpoint {was} (wanted {endpoint})"));
        }
        let (keepalive, was) = (
            self.keepalive.unwrap_or(0),
            had.persistent_keepalive.unwrap_or(0),
        );
        if keepalive != was {
            said.push(format!("keepalive {was} (wanted {keepalive})"));
        }
        let mut want = self.allowed_ips.clone();
        let mut have = had.allowed_ips.clone();
        want.sort();
        have.sort();
        if want != have {
            let show = |nets: &[IpNetwork]| {
                let all: Vec<String> = nets.iter().map(IpNetwork::to_string).collect();
                all.join(" ")
            };
            said.push(format!(
                "allowed ips {} (wanted {})",
                show(&have),
                show(&want)
            ));
        }
        said
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::link::Link as RawLink;
    use crate::msg::wireguard::key::tests::{KEY_A, KEY_B, PUB_B, PUB_C, public};

    fn peer(host: &str, key: &str, endpoint: Option<&str>, inner: &str) -> WantedPeer {
        WantedPeer {
            host: host.into(),
            public_key: public(key),
            endpoint: endpoint.map(|e| e.parse().unwrap()),
            keepalive: None,
            allowed_ips: vec![inner.parse().unwrap()],
        }
    }

    fn spec() -> WireGuard {
        WireGuard {
            name: "l2xw-seg0".into(),
            private_key: PrivateKey::parse(KEY_A).unwrap(),
            listen_port: 51820,
            address: "10.255.0.1/24".parse().unwrap(),
            mtu: 1420,
            peers: vec![
                peer("b", PUB_B, Some("192.0.2.2:51820"), "10.255.0.2/32"),
                // Behind NAT: no endpoint.
                peer("c", PUB_C, None, "10.255.0.3/32"),
            ],
            mark: None,
        }
    }

    /// The interface as `spec` makes it, as the kernel reports it back.
    fn as_made(spec: &WireGuard) -> (Link, Device) {
        let link = Link {
            link: RawLink {
                index: 7,
                name: spec.name.clone(),
                up: true,
                mtu: spec.mtu,
                kind: Some("wireguard".into()),
                ..RawLink::default()
            },
            addrs: vec![Addr::new(7, spec.address)],
        };
        let mut config = Device {
            name: spec.name.clone(),
            private_key: Some(spec.private_key.clone()),
            listen_port: Some(spec.listen_port),
            peers: spec.peers.iter().map(WantedPeer::set).collect(),
            ..Device::default()
        };
        for p in &mut config.peers {
            p.replace_allowed_ips = false;
            p.rx_bytes = 1000;
        }
        (link, config)
    }

    fn plan(spec: &WireGuard, have: &(Link, Device)) -> Plan {
        let have = Have {
            link: &have.0,
            config: &have.1,
            backend: Backend::Kernel,
        };
        spec.plan(Backend::Kernel, Some(have)).unwrap()
    }

    fn sent(plan: &Plan) -> Vec<Device> {
        plan.changes
            .iter()
            .flat_map(|c| &c.steps)
            .filter_map(|s| match &s.op {
                Op::Wireguard { device, .. } => Some(device.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn overhead_is_60_over_ipv4_and_80_over_ipv6() {
        assert_eq!((overhead(false), overhead(true)), (60, 80));
    }

    #[test]
    fn a_new_interface_is_made_configured_addressed_and_up() {
        let kernel = spec().plan(Backend::Kernel, None).unwrap();
        assert_eq!(
            kernel.steps(),
            [
                "create l2xw-seg0",
                "set net.ipv6.conf.l2xw-seg0.disable_ipv6 to 0",
                "configure wireguard l2xw-seg0",
                "add address 10.255.0.1/24 to l2xw-seg0",
                "change l2xw-seg0",
            ]
        );
        let all = &sent(&kernel)[0];
        assert!(all.replace_peers);
        assert_eq!(all.peers.len(), 2);
        assert!(all.peers.iter().all(|p| p.replace_allowed_ips));
        let go = spec().plan(Backend::WireguardGo, None).unwrap();
        assert_eq!(go.steps()[0], "start wireguard-go l2xw-seg0");
        assert!(go.changes[0].event.detail.starts_with("by wireguard-go"));
    }

    #[test]
    fn as_made_is_unchanged_whatever_a_roaming_peer_did() {
        let spec = spec();
        let mut have = as_made(&spec);
        // c dialed in from behind its NAT.
        have.1.peers[1].endpoint = Some("203.0.113.9:40000".parse().unwrap());
        assert_eq!(
            plan(&spec, &have).changes[0].event.action,
            Action::Unchanged
        );
    }

    #[test]
    fn a_new_key_swaps_exactly_that_peer() {
        let old = spec();
        let have = as_made(&old);
        let mut new = old.clone();
        new.peers[0].public_key = public(KEY_B_PUB_OTHER);
        let plan = plan(&new, &have);
        let detail = &plan.changes[0].event.detail;
        assert!(detail.contains("peer b missing"), "{detail}");
        assert!(
            detail.contains(&format!("peer {PUB_B} not in the segment")),
            "{detail}"
        );
        let sets = sent(&plan);
        assert_eq!(sets.len(), 2, "{sets:?}");
        assert!(sets.iter().all(|d| d.peers.len() == 1 && !d.replace_peers));
        assert_eq!(sets[0].peers[0].public_key, public(KEY_B_PUB_OTHER));
        assert!(!sets[0].peers[0].remove);
        assert_eq!(sets[1].peers[0].public_key, public(PUB_B));
        assert!(sets[1].peers[0].remove);
        // c is left alone.
        assert!(sets.iter().all(|d| d.peers[0].public_key != public(PUB_C)));
    }

    /// Some other valid public key.
    const KEY_B_PUB_OTHER: &str = "GAkk4MY+UnBzmyxoNBtg8VBwmDH7RD2Zeu0h87R5eFY=";

    #[test]
    fn a_changed_peer_is_set_again_and_undone_to_what_it_was() {
        let old = spec();
        let have = as_made(&old);
        let mut new = old.clone();
        new.peers[0].endpoint = Some("192.0.2.22:51820".parse().unwrap());
        new.peers[0].keepalive = Some(25);
        let plan = plan(&new, &have);
        let detail = &plan.changes[0].event.detail;
        assert_eq!(
            detail,
            "peer b: endpoint 192.0.2.2:51820 (wanted 192.0.2.22:51820), keepalive 0 (wanted 25)"
        );
        let step = &plan.changes[0].steps[0];
        let Some(Op::Wireguard { device, .. }) = &step.undo else {
            panic!("{step:?}");
        };
        assert_eq!(device.peers[0].endpoint, have.1.peers[0].endpoint);
        assert!(device.peers[0].replace_allowed_ips);
    }

    #[test]
    fn key_port_mtu_and_address_are_compared() {
        let old = spec();
        let have = as_made(&old);
        let mut new = old.clone();
        new.private_key = PrivateKey::parse(KEY_B).unwrap();
        new.listen_port = 51821;
        new.mtu = 1380;
        new.address = "10.255.0.9/24".parse().unwrap();
        let plan = plan(&new, &have);
        let detail = &plan.changes[0].event.detail;
        for said in [
            "public key",
            "listen port 51820 (wanted 51821)",
            "mtu 1420 (wanted 1380)",
            "address 10.255.0.9/24 missing",
            "address 10.255.0.1/24 not asked for",
        ] {
            assert!(detail.contains(said), "{said} in {detail}");
        }
        let sets = sent(&plan);
        assert_eq!(sets[0].private_key, Some(new.private_key.clone()));
        assert_eq!(sets[1].listen_port, Some(51821));
    }
}
