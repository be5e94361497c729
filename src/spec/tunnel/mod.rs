//! Tunnels: the device of one kind, made up at the MTU its encapsulation leaves of the
//! underlay's, a port of its bridge in the same request where the kernel allows it. What is
//! the same for every kind (placement, MTU, the bridge, isolation, comparing and replacing)
//! lives here; what a kind makes and compares lives in its own file.

mod gretap;
mod l2tp;
mod vxlan;

use std::fmt;
use std::net::IpAddr;

use anyhow::{Result, anyhow, bail};

pub use gretap::{DEFAULT_TTL, Gretap};
pub use l2tp::L2tp;
pub use vxlan::Vxlan;

use super::Mode;
use super::port::{self, Port};
use crate::msg::link::Link;
use crate::nl::Sockets;
use crate::plan::diff::{self, Diffs};
use crate::plan::{Action, Change, Event, Mark, Op, Place, Plan, Set, Step};
use crate::report::{Hinted, usage};
use crate::state::l2tp::L2tp as L2tpState;
use crate::state::tunnel::Tunnel as Have;
use crate::state::{self, links, routes};

/// The encapsulations l2x makes tunnels with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TunnelKind {
    Gretap,
    L2tp,
    Vxlan,
}

impl TunnelKind {
    pub const ALL: [TunnelKind; 3] = [TunnelKind::Gretap, TunnelKind::L2tp, TunnelKind::Vxlan];

    pub fn name(self) -> &'static str {
        self.def().name()
    }

    fn def(self) -> &'static dyn Kind {
        match self {
            TunnelKind::Gretap => &gretap::KIND,
            TunnelKind::L2tp => &l2tp::KIND,
            TunnelKind::Vxlan => &vxlan::KIND,
        }
    }

    /// The kind of a tunnel that exists, from the kind `state` read.
    pub fn of(have: &Have) -> Option<TunnelKind> {
        Self::ALL.into_iter().find(|k| k.def().shows(&have.kind))
    }

    /// The tunnel the lab makes on host `i` toward host `j`: both ends derive the same
    /// numbers (VNI, L2TP ids and ports) from the pair.
    pub fn lab(self, i: u8, j: u8, name: &str, local: IpAddr, remote: IpAddr) -> Box<dyn Device> {
        self.def().lab(i, j, name, local, remote)
    }
}

/// What is known about one kind beyond a device asked for.
trait Kind: Sync {
    fn name(&self) -> &'static str;
    /// Whether `state` reports devices of this kind with that kind name.
    fn shows(&self, kind: &str) -> bool;
    /// The steps that remove an existing device of this kind.
    fn remove(&self, have: &Have, l2tp: Option<&L2tpState>) -> Vec<Step>;
    fn lab(&self, i: u8, j: u8, name: &str, local: IpAddr, remote: IpAddr) -> Box<dyn Device>;
}

/// The device of a tunnel as asked: what its kind makes and compares.
pub trait Device: Send + Sync + fmt::Debug {
    fn name(&self) -> &str;
    fn kind(&self) -> TunnelKind;
    /// This host's end, and the remote whose path sizes the device.
    fn local(&self) -> IpAddr;
    fn remote(&self) -> IpAddr;
    /// Bytes the encapsulation adds to a frame.
    fn overhead(&self) -> u32;
    /// The steps that make the device, placed as asked; undoing them removes it.
    fn create(&self, place: &Place, l2tp: Option<&L2tpState>) -> Result<Vec<Step>>;
    /// How an existing tunnel of this name differs; an error when it is another kind.
    fn differences(&self, have: &Have) -> Result<Diffs>;
    /// The device's settings as `l2x tunnel KIND` arguments, after the subcommand.
    fn args(&self) -> Vec<String>;
}

/// A tunnel as asked: the device, and where it goes.
#[derive(Debug)]
pub struct Tunnel {
    pub device: Box<dyn Device>,
    pub mtu: Option<u32>,
    pub bridge: Option<String>,
    pub isolated: bool,
    /// Whose it is, when someone owns it (a segment).
    pub mark: Option<Mark>,
}

/// What a tunnel's plan is made from.
#[derive(Debug, Default)]
pub struct TunnelState {
    /// A tunnel of the name, or another link that has it.
    pub tunnel: Option<Have>,
    pub other: Option<Link>,
    pub bridge: Option<Link>,
    /// The underlay's MTU toward the remote, read when a new device needs it.
    pub path_mtu: Option<u32>,
    pub l2tp: Option<L2tpState>,
}

const OBJECT: &str = "tunnel";

impl Tunnel {
    /// The command line that makes this tunnel: `tunnel vxlan to-host2 --vni 12 ...`.
    pub fn command_line(&self) -> Vec<String> {
        let mut words = vec!["tunnel".to_string(), self.device.kind().name().to_string()];
        words.push(self.device.name().to_string());
        words.extend(self.device.args());
        if let Some(mtu) = self.mtu {
            words.extend(["--mtu".into(), mtu.to_string()]);
        }
        if let Some(b) = &self.bridge {
            words.extend(["--bridge".into(), b.clone()]);
        }
        if self.isolated {
            words.push("--isolated".into());
        }
        words
    }

    /// Reads what the plan needs. `presume_absent` skips looking the name up: a new tunnel
    /// costs no lookup, and if the name is taken the create says so and the command reads
    /// and plans again.
    pub fn read(&self, s: &mut Sockets, presume_absent: bool) -> Result<TunnelState> {
        let mut have = TunnelState::default();
        // The bridge is checked before anything is made, so a typo leaves nothing behind.
        if let Some(b) = &self.bridge {
            have.bridge = Some(links::require_bridge(&mut s.route, b)?);
        }
        if self.device.kind() == TunnelKind::L2tp {
            have.l2tp = state::l2tp::read(s)?;
        }
        if !presume_absent {
            match state::tunnel::find(s, self.device.name())? {
                Some(t) => have.tunnel = Some(t),
                None => have.other = links::find(&mut s.route, self.device.name())?,
            }
        }
        if have.tunnel.is_none() && have.other.is_none() && self.mtu.is_none() {
            have.path_mtu = routes::path_mtu(self.device.local(), self.device.remote())?;
        }
        Ok(have)
    }

    pub fn plan(&self, have: &TunnelState, mode: Mode) -> Result<Plan> {
        let mut plan = Plan::default();
        if let Some(b) = &have.bridge {
            plan.knows(b);
        }
        let name = self.device.name();
        if let Some(other) = &have.other {
            return Err(wrong_kind(other, self.device.kind()));
        }
        let Some(existing) = &have.tunnel else {
            plan.extend(self.create(have)?);
            return Ok(plan);
        };
        plan.knows(&existing.link);
        let mut diffs = self.device.differences(existing)?;
        diffs.extend(self.placement_differences(existing, have.bridge.as_ref()));
        if diffs.is_empty() {
            plan.push(Change::unchanged(OBJECT, name));
            return Ok(plan);
        }
        if mode == Mode::Refuse {
            diff::none_or_fail(&diffs, &format!("{name} exists"))?;
        }
        let detail = diff::summary(&diffs);
        match diff::fixes(diffs) {
            Some(steps) => plan.push(Change::new(
                Event::new(OBJECT, name, Action::Change, detail),
                steps,
            )),
            None => {
                let kind = TunnelKind::of(existing)
                    .ok_or_else(|| wrong_kind(&existing.link, self.device.kind()))?;
                let mut steps = kind.def().remove(existing, have.l2tp.as_ref());
                let made = self.create(have)?;
                steps.extend(made.changes.into_iter().flat_map(|c| c.steps));
                plan.push(Change::new(
                    Event::new(OBJECT, name, Action::Replace, detail),
                    steps,
                ));
            }
        }
        Ok(plan)
    }

    /// The MTU a new device gets: as asked, else what its encapsulation leaves of the path's;
    /// None when there is no path yet (the kernel's choice then stands).
    pub fn mtu_for(&self, have: &TunnelState) -> Option<u32> {
        self.mtu.or_else(|| {
            have.path_mtu
                .map(|m| m.saturating_sub(self.device.overhead()))
        })
    }

    /// The device up at its MTU, a port of its bridge, isolated when asked.
    fn create(&self, have: &TunnelState) -> Result<Plan> {
        let mut plan = Plan::default();
        let name = self.device.name();
        let kind = self.device.kind().name();
        let mtu = self.mtu_for(have);
        if mtu.is_none() {
            let remote = self.device.remote();
            plan.push(Change::new(
                Event::note(
                    OBJECT,
                    name,
                    format!("no route to {remote} yet: the kernel's MTU stands; give --mtu to set one"),
                    format!("no route to {remote} yet: the kernel's MTU will stand; give --mtu to set one"),
                ),
                Vec::new(),
            ));
        }
        let place = Place {
            mtu,
            up: true,
            group: self.mark.as_ref().map(|m| m.group),
            master: self.bridge.clone(),
        };
        let mut steps = self.device.create(&place, have.l2tp.as_ref())?;
        // Removing the device undoes its alias.
        steps.extend(self.mark.iter().map(|m| {
            Step::final_(Op::SetAlias {
                dev: name.to_string(),
                alias: m.alias.clone(),
            })
        }));
        let event = match mtu {
            Some(mtu) => Event::new(OBJECT, name, Action::Create, format!("{kind}, mtu {mtu}")),
            None => Event::new(OBJECT, name, Action::Create, kind).with_mtu_of(name),
        };
        plan.push(Change::new(event, steps));
        if let Some(bridge) = &self.bridge {
            let isolate = self.isolated.then(|| {
                Step::new(
                    Op::SetIsolated {
                        dev: name.to_string(),
                        on: true,
                    },
                    Op::SetIsolated {
                        dev: name.to_string(),
                        on: false,
                    },
                )
            });
            let how = if self.isolated { " (isolated)" } else { "" };
            plan.push(Change::new(
                Event::new("port", name, Action::Attach, format!("{bridge}{how}")),
                isolate.into_iter().collect(),
            ));
        }
        Ok(plan)
    }

    /// State, MTU and bridge membership of an existing tunnel, compared with what is asked.
    fn placement_differences(&self, have: &Have, bridge: Option<&Link>) -> Diffs {
        let mut diffs = Diffs::new();
        let dev = self.device.name().to_string();
        let link_set = |to: Set, back: Set| {
            vec![Step::new(
                Op::SetLink {
                    dev: dev.clone(),
                    set: to,
                },
                Op::SetLink {
                    dev: dev.clone(),
                    set: back,
                },
            )]
        };
        diff::up(&mut diffs, have.up, || {
            link_set(super::bridge::up_set(true), super::bridge::up_set(false))
        });
        if let Some(mark) = &self.mark {
            diffs.extend(super::bridge::marked(&dev, &have.link, mark));
        }
        if let Some(mtu) = self.mtu {
            diff::setting(&mut diffs, "mtu", have.mtu, mtu, || {
                Some(link_set(
                    super::bridge::mtu_set(mtu),
                    super::bridge::mtu_set(have.mtu),
                ))
            });
        }
        if let Some(br) = bridge {
            let port = Port {
                iface: dev.clone(),
                bridge: br.name.clone(),
                isolated: self.isolated,
                move_addresses: false,
            };
            if have.link.master == Some(br.index) {
                diffs.extend(
                    port.differences(&have.link)
                        .into_iter()
                        .filter(|d| !d.said.starts_with("state")),
                );
            } else {
                diff::said(&mut diffs, format!("not a port of {}", br.name));
            }
        }
        diffs
    }
}

/// The steps that remove a tunnel that exists: the device; for L2TP the session, and its
/// tunnel when no other session uses it.
pub fn removal(have: &Have, l2tp: Option<&L2tpState>) -> Result<Vec<Step>> {
    let kind =
        TunnelKind::of(have).ok_or_else(|| anyhow!("{} is no tunnel l2x knows", have.name))?;
    Ok(kind.def().remove(have, l2tp))
}

/// `tunnel del`: the device; for L2TP the session, and its tunnel when no other session is
/// left. A tunnel that is not there is already as asked; every step runs even when one fails.
pub fn delete(name: &str, s: &mut Sockets) -> Result<Plan> {
    let mut plan = Plan::default();
    plan.run = crate::plan::Run::KeepGoing;
    let Some(have) = state::tunnel::find(s, name)? else {
        if let Some(other) = links::find(&mut s.route, name)? {
            bail!("{name} is {}, not a tunnel", other.kind_phrase());
        }
        let absent =
            Event::unchanged(OBJECT, name).said("unchanged (absent)", "unchanged (absent)");
        plan.push(Change::new(absent, Vec::new()));
        return Ok(plan);
    };
    plan.knows(&have.link);
    let l2tp = if have.l2tp.is_some() {
        state::l2tp::read(s)?
    } else {
        None
    };
    let steps = removal(&have, l2tp.as_ref())?;
    plan.push(Change::new(
        Event::new(OBJECT, name, Action::Delete, ""),
        steps,
    ));
    Ok(plan)
}

/// After a tunnel joined a bridge: the kernel lowers the bridge to its smallest port, and the
/// ports that were there keep their own MTU, so frames that big now vanish at the tunnel
/// without an error. Notes what happened and what fixes it.
pub fn mtu_notes(s: &mut Sockets, tunnel: &str, mtu: u32, bridge: &Link) -> Result<Vec<Event>> {
    let mut notes = Vec::new();
    if !port::may_lower(mtu, bridge.mtu) {
        return Ok(notes);
    }
    let after = links::find_index(&mut s.route, bridge.index)?.map_or(bridge.mtu, |b| b.mtu);
    notes.extend(port::lowered(&bridge.name, bridge.mtu, after, tunnel));
    if after == bridge.mtu {
        return Ok(notes);
    }
    let bigger: Vec<String> = links::ports(&mut s.route, bridge.index)?
        .into_iter()
        .filter(|p| p.mtu > after)
        .map(|p| format!("{} ({})", p.name, p.mtu))
        .collect();
    if !bigger.is_empty() {
        notes.push(Event::note(
            "bridge",
            &bridge.name,
            format!(
                "ports above {after} lose bigger frames: {}; give their hosts MTU {after} \
                 (l2x dhcp serve hands the bridge's MTU out)",
                bigger.join(", ")
            ),
            "",
        ));
    }
    Ok(notes)
}

/// An address a tunnel can start or end at: unicast, not loopback.
pub fn is_host_address(ip: IpAddr) -> bool {
    let broadcast = matches!(ip, IpAddr::V4(v4) if v4.is_broadcast());
    !(ip.is_unspecified() || ip.is_multicast() || ip.is_loopback() || broadcast)
}

/// Both ends of a point-to-point tunnel: unicast, distinct, one family.
pub fn check_endpoints(local: IpAddr, remote: IpAddr) -> Result<()> {
    for (flag, ip) in [("--local", local), ("--remote", remote)] {
        if !is_host_address(ip) {
            return Err(usage(format!("{flag} {ip} is not a unicast host address")));
        }
    }
    if local == remote {
        return Err(usage(format!(
            "--local and --remote are both {local}: a tunnel needs two hosts"
        )));
    }
    if local.is_ipv4() != remote.is_ipv4() {
        return Err(usage(format!(
            "--local {local} and --remote {remote} are of different families; use IPv4 or IPv6 for both"
        )));
    }
    Ok(())
}

/// An error for a name that exists as a link of another kind.
fn wrong_kind(link: &Link, want: TunnelKind) -> anyhow::Error {
    anyhow!(Hinted::new(
        format!(
            "{} exists and is {}, not a {} tunnel",
            link.name,
            link.kind_phrase(),
            want.name()
        ),
        format!("choose another name, or remove {} first", link.name),
    ))
}

/// Differences of an existing tunnel of another kind than asked.
fn other_kind(have: &Have, want: TunnelKind) -> anyhow::Error {
    let kind = if have.kind == "l2tp" {
        "an l2tp tunnel".to_string()
    } else {
        have.link.kind_phrase()
    };
    anyhow!(
        "{} exists and is {kind}, not a {} tunnel",
        have.name,
        want.name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::gretap::GretapSpec;
    use crate::msg::vxlan::VxlanSpec;

    fn vxlan(remotes: &[&str]) -> Tunnel {
        let spec = VxlanSpec {
            name: "vx0".into(),
            vni: 42,
            local: "192.0.2.1".parse().unwrap(),
            dport: 4789,
        };
        let remotes: Vec<IpAddr> = remotes.iter().map(|r| r.parse().unwrap()).collect();
        Tunnel {
            device: Box::new(Vxlan::new(spec, &remotes).unwrap()),
            mtu: None,
            bridge: Some("br0".into()),
            isolated: true,
            mark: None,
        }
    }

    fn bridge() -> Link {
        Link {
            index: 4,
            name: "br0".into(),
            kind: Some("bridge".into()),
            mtu: 1500,
            up: true,
            ..Link::default()
        }
    }

    /// vx0 as the kernel would report it: a port of br0, isolated, flooding to `remotes`.
    fn existing(remotes: &[&str]) -> Have {
        let mut isolated = crate::msg::attr::AttrWriter::default();
        isolated.u8(crate::msg::bridge_port::IFLA_BRPORT_ISOLATED, 1);
        let link = Link {
            index: 7,
            name: "vx0".into(),
            kind: Some("vxlan".into()),
            mtu: 1450,
            up: true,
            master: Some(4),
            slave_kind: Some("bridge".into()),
            slave_data: isolated.finish(),
            ..Link::default()
        };
        let remotes = remotes.iter().map(|r| r.parse().unwrap()).collect();
        Have {
            name: "vx0".into(),
            kind: "vxlan".into(),
            local: Some("192.0.2.1".parse().unwrap()),
            remotes,
            key: None,
            ttl: None,
            vni: Some(42),
            dport: Some(4789),
            l2tp: None,
            mtu: 1450,
            up: true,
            state: "up".into(),
            bridge: Some("br0".into()),
            isolated: true,
            link,
        }
    }

    fn state(tunnel: Option<Have>) -> TunnelState {
        TunnelState {
            tunnel,
            bridge: Some(bridge()),
            path_mtu: Some(1500),
            ..TunnelState::default()
        }
    }

    #[test]
    fn a_new_tunnel_is_made_placed_then_isolated() {
        let plan = vxlan(&["192.0.2.2"])
            .plan(&state(None), Mode::Refuse)
            .unwrap();
        assert_eq!(
            plan.steps(),
            [
                "create vx0",
                "add remote 192.0.2.2 to vx0",
                "set isolated on on vx0"
            ]
        );
        let Op::NewLink { place, .. } = &plan.changes[0].steps[0].op else {
            panic!()
        };
        assert_eq!(
            place,
            &Place {
                mtu: Some(1450),
                up: true,
                group: None,
                master: Some("br0".into())
            }
        );
    }

    #[test]
    fn the_same_tunnel_is_unchanged() {
        let plan = vxlan(&["192.0.2.2"])
            .plan(&state(Some(existing(&["192.0.2.2"]))), Mode::Refuse)
            .unwrap();
        assert!(plan.is_noop());
    }

    #[test]
    fn other_remotes_are_refused_or_converged_one_by_one() {
        let want = vxlan(&["192.0.2.2", "192.0.2.3"]);
        let have = state(Some(existing(&["192.0.2.2", "192.0.2.9"])));
        let err = want.plan(&have, Mode::Refuse).unwrap_err();
        assert_eq!(
            err.to_string(),
            "vx0 exists with other settings: remote 192.0.2.3 missing, remote 192.0.2.9 not asked for"
        );
        let plan = want.plan(&have, Mode::Converge).unwrap();
        assert_eq!(
            plan.steps(),
            [
                "add remote 192.0.2.3 to vx0",
                "delete remote 192.0.2.9 from vx0"
            ]
        );
        assert_eq!(plan.changes[0].event.action, Action::Change);
    }

    #[test]
    fn what_cannot_change_in_place_is_made_anew_when_converging() {
        let mut have = existing(&["192.0.2.2"]);
        have.vni = Some(7);
        let plan = vxlan(&["192.0.2.2"])
            .plan(&state(Some(have)), Mode::Converge)
            .unwrap();
        assert_eq!(plan.changes[0].event.action, Action::Replace);
        assert_eq!(
            plan.steps(),
            [
                "delete vx0",
                "create vx0",
                "add remote 192.0.2.2 to vx0",
                "set isolated on on vx0"
            ]
        );
    }

    #[test]
    fn a_tunnel_of_another_kind_is_never_replaced() {
        let gre = Tunnel {
            device: Box::new(
                Gretap::new(GretapSpec {
                    name: "vx0".into(),
                    local: "192.0.2.1".parse().unwrap(),
                    remote: "192.0.2.2".parse().unwrap(),
                    ttl: 255,
                    key: None,
                })
                .unwrap(),
            ),
            mtu: None,
            bridge: None,
            isolated: false,
            mark: None,
        };
        let err = gre
            .plan(&state(Some(existing(&["192.0.2.2"]))), Mode::Converge)
            .unwrap_err();
        assert!(err.to_string().contains("not a gretap tunnel"), "{err}");
    }

    #[test]
    fn overheads_follow_each_kind() {
        let v = vxlan(&["192.0.2.2"]);
        assert_eq!(v.device.overhead(), 50);
        let ip = |s: &str| s.parse().unwrap();
        let l2tp = TunnelKind::L2tp.lab(1, 2, "l0", ip("192.0.2.1"), ip("192.0.2.2"));
        assert_eq!(l2tp.overhead(), 54);
        let gre = TunnelKind::Gretap.lab(1, 2, "g0", ip("2001:db8::1"), ip("2001:db8::2"));
        assert_eq!(gre.overhead(), 66);
    }
}
