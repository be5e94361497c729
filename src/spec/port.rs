//! Bridge ports: an interface made a port of a bridge and set up in one request, isolated
//! when asked (split horizon: two isolated ports never forward to each other).

use anyhow::{Result, anyhow, bail};

use super::Mode;
use super::hostbridge::{self, Carried};
use crate::msg::bridge_port;
use crate::msg::link::Link;
use crate::nl::ErrorKind;
use crate::plan::diff::{self, Diffs};
use crate::plan::{Action, Change, Event, Master, Op, Plan, Set, Step};
use crate::report::{Hinted, usage};

/// Ethernet's payload size, the MTU of a bridge no tunnel has lowered.
pub const ETH_DATA_LEN: u32 = 1500;

const OBJECT: &str = "port";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    pub iface: String,
    pub bridge: String,
    pub isolated: bool,
    /// The interface's MAC, addresses and routes move to the bridge (the host bridge).
    pub move_addresses: bool,
}

/// The interface and the bridge as they are, the interface's master when that is another
/// bridge, and what it carries that a port cannot.
#[derive(Debug, Clone)]
pub struct PortHave {
    pub link: Link,
    pub bridge: Link,
    pub master: Option<Link>,
    pub carried: Carried,
}

impl Port {
    pub fn new(iface: &str, bridge: &str, isolated: bool) -> Result<Port> {
        if iface == bridge {
            return Err(usage(format!("cannot attach {bridge} to itself")));
        }
        Ok(Port {
            iface: iface.to_string(),
            bridge: bridge.to_string(),
            isolated,
            move_addresses: false,
        })
    }

    pub fn plan(&self, have: &PortHave, mode: Mode) -> Result<Plan> {
        let mut plan = Plan::default();
        plan.knows(&have.link);
        plan.knows(&have.bridge);
        self.check_iface(&have.link)?;
        match &have.master {
            Some(m) if m.index == have.bridge.index => {
                let diffs = self.differences(&have.link);
                if diffs.is_empty() {
                    plan.push(Change::unchanged(OBJECT, &self.iface));
                    return Ok(plan);
                }
                if mode == Mode::Refuse {
                    let what = format!("{} is a port of {}", self.iface, self.bridge);
                    diff::none_or_fail(&diffs, &what)?;
                }
                let detail = diff::summary(&diffs);
                let steps = diff::fixes(diffs).unwrap_or_default();
                plan.push(Change::new(
                    Event::new(OBJECT, &self.iface, Action::Change, detail),
                    steps,
                ));
            }
            Some(other) if mode == Mode::Refuse => bail!(
                "{} is already a port of {}; `l2x detach {}` releases it",
                self.iface,
                other.name,
                self.iface
            ),
            _ if !have.carried.is_empty() && !self.move_addresses => {
                return Err(hostbridge::refuse(&self.iface, &self.bridge, &have.carried));
            }
            _ => plan.extend(self.attach(have)),
        }
        Ok(plan)
    }

    /// Loopback cannot be a port, and the kernel's answer ("Invalid argument") says nothing.
    fn check_iface(&self, link: &Link) -> Result<()> {
        if link.name == "lo" || link.kind.as_deref() == Some("loopback") {
            return Err(anyhow!(Hinted::new(
                format!(
                    "{} is the loopback interface, which cannot be a bridge port",
                    link.name
                ),
                "attach a veth end, tap, tunnel or NIC",
            )));
        }
        if link.is_kind("bridge") {
            bail!(
                "{} is a bridge; a bridge cannot be a port of another bridge here",
                link.name
            );
        }
        Ok(())
    }

    /// The port's membership and isolated flag, compared with what is asked.
    pub fn differences(&self, link: &Link) -> Diffs {
        let mut diffs = Diffs::new();
        let dev = self.iface.clone();
        diff::up(&mut diffs, link.up, || {
            vec![Step::new(
                Op::SetLink {
                    dev: dev.clone(),
                    set: up(true),
                },
                Op::SetLink {
                    dev: dev.clone(),
                    set: up(false),
                },
            )]
        });
        let have = bridge_port::parse(&link.slave_data).isolated;
        diff::switch(&mut diffs, "isolated", have, self.isolated, || {
            vec![isolate(&self.iface, self.isolated, have)]
        });
        diffs
    }

    /// Enslaves the interface and sets it up in one request, at the bridge's MTU when the
    /// bridge is below Ethernet's 1500 (a tunnel port lowered it, or its owner did: a bigger
    /// port would take frames the bridge cannot carry), then marks it isolated when asked.
    fn attach(&self, have: &PortHave) -> Plan {
        let (link, bridge, from) = (&have.link, &have.bridge, have.master.as_ref());
        let mut plan = Plan::default();
        let fitted = fitted_mtu(link.mtu, bridge.mtu);
        let back = Set {
            up: Some(link.up),
            mtu: fitted.map(|_| link.mtu),
            master: Some(from.map_or(Master::None, |m| Master::Bridge(m.name.clone()))),
            ..Set::default()
        };
        let to = Set {
            up: Some(true),
            mtu: fitted,
            master: Some(Master::Bridge(self.bridge.clone())),
            ..Set::default()
        };
        let dev = self.iface.clone();
        let enslave = Step::new(
            Op::SetLink {
                dev: dev.clone(),
                set: to,
            },
            Op::SetLink { dev, set: back },
        );
        let (mut steps, notes) = if have.carried.is_empty() {
            (vec![enslave], Vec::new())
        } else {
            hostbridge::attach(link, bridge, &have.carried, enslave)
        };
        if self.isolated {
            steps.push(isolate(&self.iface, true, false));
        }
        let how = if self.isolated { " (isolated)" } else { "" };
        let detail = format!("{}{how}", self.bridge);
        plan.push(Change::new(
            Event::new(OBJECT, &self.iface, Action::Attach, detail),
            steps,
        ));
        for n in notes {
            plan.push(n);
        }
        if let Some(mtu) = fitted {
            let (port, br) = (&self.iface, &self.bridge);
            plan.push(Change::new(
                Event::note(
                    OBJECT,
                    port,
                    format!(
                        "port {port} MTU lowered from {} to {mtu} to fit bridge {br}",
                        link.mtu
                    ),
                    format!(
                        "port {port} MTU to be lowered from {} to {mtu} to fit bridge {br}",
                        link.mtu
                    ),
                ),
                Vec::new(),
            ));
        }
        plan
    }
}

/// The MTU a new port gets to fit its bridge, when it must change.
pub fn fitted_mtu(port: u32, bridge: u32) -> Option<u32> {
    (bridge < ETH_DATA_LEN && port > bridge).then_some(bridge)
}

/// Only a port smaller than its bridge can lower it: the kernel sets an auto-sized bridge to
/// its smallest port (and leaves one sized by hand alone), silently, so frames that fitted
/// before may be dropped. Then the bridge is worth reading back after the attach.
pub fn may_lower(port_mtu: u32, bridge_mtu: u32) -> bool {
    port_mtu < bridge_mtu
}

/// The note when the kernel lowered a bridge to a new port's MTU.
pub fn lowered(bridge: &str, before: u32, after: u32, port: &str) -> Option<Event> {
    (after < before).then(|| {
        Event::note(
            "bridge",
            bridge,
            format!("bridge {bridge} MTU lowered from {before} to {after} to match {port}"),
            "",
        )
    })
}

fn up(up: bool) -> Set {
    Set {
        up: Some(up),
        ..Set::default()
    }
}

fn isolate(dev: &str, on: bool, before: bool) -> Step {
    Step::new(
        Op::SetIsolated {
            dev: dev.to_string(),
            on,
        },
        Op::SetIsolated {
            dev: dev.to_string(),
            on: before,
        },
    )
}

/// `detach`: released from its bridge. An interface that is no port is already as asked.
pub fn detach(link: &Link, bridge: Option<&Link>) -> Plan {
    let mut plan = Plan::default();
    plan.knows(link);
    let name = &link.name;
    let Some(bridge) = bridge.filter(|_| link.slave_kind.as_deref() == Some("bridge")) else {
        let not = Event::unchanged(OBJECT, name).said(
            "unchanged (not a bridge port)",
            "unchanged (not a bridge port)",
        );
        plan.push(Change::new(not, Vec::new()));
        return plan;
    };
    let release = Set {
        master: Some(Master::None),
        ..Set::default()
    };
    let back = Set {
        master: Some(Master::Bridge(bridge.name.clone())),
        ..Set::default()
    };
    plan.knows(bridge);
    plan.push(Change::new(
        Event::new(OBJECT, name, Action::Detach, &bridge.name),
        vec![Step::new(
            Op::SetLink {
                dev: name.clone(),
                set: release,
            },
            Op::SetLink {
                dev: name.clone(),
                set: back,
            },
        )],
    ));
    plan
}

/// The kernel's "Exchange full" means the bridge has all the ports it can take
/// (BR_MAX_PORTS less the reserved port number 0); say that in the user's words.
pub fn port_limit(e: anyhow::Error, bridge: &str) -> anyhow::Error {
    let full = crate::nl::kind_of(&e) == Some(ErrorKind::Full);
    if !full {
        return e;
    }
    anyhow!(Hinted::new(
        format!("{bridge} has the most ports a Linux bridge can hold (1023)"),
        "attach the interface to another bridge",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(index: u32, name: &str, mtu: u32) -> Link {
        Link {
            index,
            name: name.into(),
            mtu,
            up: true,
            ..Link::default()
        }
    }

    fn bridge(mtu: u32) -> Link {
        Link {
            kind: Some("bridge".into()),
            ..link(4, "br0", mtu)
        }
    }

    #[test]
    fn a_port_fits_a_lowered_bridge_in_the_same_request() {
        let p = Port::new("ct1", "br0", false).unwrap();
        let have = PortHave {
            link: link(7, "ct1", 1500),
            bridge: bridge(1450),
            master: None,
            carried: Carried::default(),
        };
        let plan = p.plan(&have, Mode::Refuse).unwrap();
        let Op::SetLink { set, .. } = &plan.changes[0].steps[0].op else {
            panic!("{plan:?}");
        };
        assert_eq!(set.mtu, Some(1450));
        assert_eq!(set.up, Some(true));
        assert_eq!(plan.changes[0].event.done, "attached to br0");
        assert_eq!(
            plan.changes[1].event.done,
            "port ct1 MTU lowered from 1500 to 1450 to fit bridge br0"
        );
    }

    #[test]
    fn a_port_of_another_bridge_is_refused_and_moved_when_converging() {
        let p = Port::new("ct1", "br0", true).unwrap();
        let mut other = bridge(1500);
        other.index = 9;
        other.name = "br1".into();
        let have = PortHave {
            link: link(7, "ct1", 1500),
            bridge: bridge(1500),
            master: Some(other),
            carried: Carried::default(),
        };
        let err = p.plan(&have, Mode::Refuse).unwrap_err();
        assert!(err.to_string().contains("already a port of br1"), "{err}");
        let plan = p.plan(&have, Mode::Converge).unwrap();
        let undo = plan.changes[0].steps[0].undo.as_ref().unwrap();
        let Op::SetLink { set, .. } = undo else {
            panic!()
        };
        assert_eq!(set.master, Some(Master::Bridge("br1".into())));
        assert_eq!(plan.changes[0].steps[1].op.what(), "set isolated on on ct1");
    }

    #[test]
    fn loopback_is_named_as_such() {
        let p = Port::new("lo", "br0", false).unwrap();
        let have = PortHave {
            link: link(1, "lo", 65536),
            bridge: bridge(1500),
            master: None,
            carried: Carried::default(),
        };
        let err = p.plan(&have, Mode::Refuse).unwrap_err();
        assert!(err.to_string().contains("loopback"), "{err}");
    }
}
