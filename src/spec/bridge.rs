//! Bridges: made up, with their MTU, MAC, STP and addresses in as few requests as the kernel
//! takes (one, plus one per address).

use std::sync::Arc;

use anyhow::{Result, bail};
use ipnetwork::IpNetwork;

use super::Mode;
use crate::msg::addr::Addr;
use crate::msg::bridge::{self, BridgeSpec};
use crate::msg::link::{Link, format_mac};
use crate::plan::diff::{self, Diffs};
use crate::plan::{Action, Change, Event, Mark, Op, Place, Plan, Set, Step};
use crate::state::Device;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bridge {
    pub name: String,
    /// Compared only when given, unless converging: then they are all the bridge has.
    pub addrs: Vec<IpNetwork>,
    /// Compared only when given: without it the bridge follows its smallest port.
    pub mtu: Option<u32>,
    pub mac: Option<[u8; 6]>,
    pub stp: bool,
    /// Whose it is, when someone owns it (a segment).
    pub mark: Option<Mark>,
}

const OBJECT: &str = "bridge";

impl Bridge {
    /// The plan that makes the bridge as asked, given what has its name now.
    pub fn plan(&self, have: Option<&Device>, mode: Mode) -> Result<Plan> {
        let mut plan = Plan::default();
        let Some(have) = have else {
            plan.push(self.create());
            return Ok(plan);
        };
        plan.knows(&have.link);
        let diffs = self.differences(have, mode)?;
        if mode == Mode::Refuse {
            diff::none_or_fail(&diffs, &format!("{} exists", self.name))?;
        }
        plan.push(diff::converge(OBJECT, &self.name, diffs)?);
        Ok(plan)
    }

    fn create(&self) -> Change {
        let group = self.mark.as_ref().map(|m| m.group);
        let spec = BridgeSpec {
            name: self.name.clone(),
            mtu: self.mtu,
            mac: self.mac,
            stp: self.stp,
            group,
        };
        let mut steps = vec![Step::new(
            Op::NewLink {
                name: self.name.clone(),
                place: Place {
                    mtu: self.mtu,
                    up: true,
                    group,
                    master: None,
                },
                build: Arc::new(move |_| bridge::create(&spec)),
            },
            Op::DelLink {
                dev: self.name.clone(),
            },
        )];
        // Deleting the bridge undoes the alias.
        steps.extend(
            self.mark
                .iter()
                .map(|m| Step::final_(alias(&self.name, &m.alias))),
        );
        steps.extend(self.addrs.iter().map(|net| self.add_address(net)));
        Change::new(Event::new(OBJECT, &self.name, Action::Create, ""), steps)
    }

    fn add_address(&self, net: &IpNetwork) -> Step {
        address_step(&self.name, Addr::new(0, *net), true)
    }

    fn delete_address(&self, net: &IpNetwork) -> Step {
        address_step(&self.name, Addr::new(0, *net), false)
    }

    /// What differs between an existing link and the bridge asked for, in the user's words.
    /// Settings not asked for are not compared, except STP (off unless asked for) and, when
    /// converging, the addresses.
    fn differences(&self, have: &Device, mode: Mode) -> Result<Diffs> {
        let link = &have.link;
        if !link.is_kind("bridge") {
            bail!(
                "{} exists and is {}, not a bridge",
                self.name,
                link.kind_phrase()
            );
        }
        let mut diffs = Diffs::new();
        let dev = || self.name.clone();
        diff::up(&mut diffs, link.up, || {
            vec![set(dev(), up_set(true), up_set(false))]
        });
        if let Some(mtu) = self.mtu {
            diff::setting(&mut diffs, "mtu", link.mtu, mtu, || {
                Some(vec![set(dev(), mtu_set(mtu), mtu_set(link.mtu))])
            });
        }
        if let Some(mac) = self.mac {
            diff::optional(
                &mut diffs,
                "mac",
                link.mac.as_ref().map(format_mac),
                Some(format_mac(&mac)),
                || {
                    link.mac
                        .map(|old| vec![set(dev(), mac_set(mac), mac_set(old))])
                },
            );
        }
        let stp = bridge::stp_enabled(&link.info_data);
        diff::switch(&mut diffs, "stp", stp, self.stp, || {
            vec![Step::new(
                Op::SetStp {
                    dev: dev(),
                    on: self.stp,
                },
                Op::SetStp {
                    dev: dev(),
                    on: stp,
                },
            )]
        });
        if let Some(mark) = &self.mark {
            diffs.extend(marked(&self.name, link, mark));
        }
        if !self.addrs.is_empty() || mode == Mode::Converge {
            let have: Vec<IpNetwork> = have.addrs.iter().map(|a| a.net).collect();
            diff::members(
                &mut diffs,
                "address",
                &have,
                &self.addrs,
                |net| vec![self.add_address(net)],
                |net| vec![self.delete_address(net)],
            );
        }
        Ok(diffs)
    }
}

/// How a link's mark differs from its owner's: its group and its alias, each fixed in place.
pub fn marked(dev: &str, link: &Link, mark: &Mark) -> Diffs {
    let mut diffs = Diffs::new();
    diff::setting(&mut diffs, "group", link.group, mark.group, || {
        let to = Set {
            group: Some(mark.group),
            ..Set::default()
        };
        let back = Set {
            group: Some(link.group),
            ..Set::default()
        };
        Some(vec![set(dev.to_string(), to, back)])
    });
    let have = link.alias.as_deref();
    diff::optional(&mut diffs, "alias", have, Some(mark.alias.as_str()), || {
        let back = alias(dev, have.unwrap_or(""));
        Some(vec![Step::new(alias(dev, &mark.alias), back)])
    });
    diffs
}

fn alias(dev: &str, alias: &str) -> Op {
    Op::SetAlias {
        dev: dev.to_string(),
        alias: alias.to_string(),
    }
}

/// Adds (or deletes) an address of `dev`, undone by the opposite.
pub fn address_step(dev: &str, addr: Addr, add: bool) -> Step {
    let (dev, other) = (dev.to_string(), addr.clone());
    let (adds, deletes) = (
        Op::AddAddr {
            dev: dev.clone(),
            addr,
        },
        Op::DelAddr { dev, addr: other },
    );
    if add {
        Step::new(adds, deletes)
    } else {
        Step::new(deletes, adds)
    }
}

fn set(dev: String, to: Set, back: Set) -> Step {
    Step::new(
        Op::SetLink {
            dev: dev.clone(),
            set: to,
        },
        Op::SetLink { dev, set: back },
    )
}

pub fn up_set(up: bool) -> Set {
    Set {
        up: Some(up),
        ..Set::default()
    }
}

pub fn mtu_set(mtu: u32) -> Set {
    Set {
        mtu: Some(mtu),
        ..Set::default()
    }
}

fn mac_set(mac: [u8; 6]) -> Set {
    Set {
        mac: Some(mac),
        ..Set::default()
    }
}

/// `bridge del`: the bridge goes, its ports stay (released). A bridge that is not there is
/// already as asked.
pub fn delete(name: &str, have: Option<&Link>) -> Result<Plan> {
    let mut plan = Plan::default();
    let Some(link) = have else {
        let absent =
            Event::unchanged(OBJECT, name).said("unchanged (absent)", "unchanged (absent)");
        plan.push(Change::new(absent, Vec::new()));
        return Ok(plan);
    };
    if !link.is_kind("bridge") {
        bail!("{name} is {}, not a bridge", link.kind_phrase());
    }
    plan.knows(link);
    let gone = Step::final_(Op::DelLink {
        dev: name.to_string(),
    });
    plan.push(Change::new(
        Event::new(OBJECT, name, Action::Delete, ""),
        vec![gone],
    ));
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(mtu: u32, addrs: &[&str]) -> Device {
        Device {
            link: Link {
                index: 4,
                name: "br0".into(),
                up: true,
                mtu,
                kind: Some("bridge".into()),
                ..Link::default()
            },
            addrs: addrs
                .iter()
                .map(|a| Addr::new(4, a.parse().unwrap()))
                .collect(),
        }
    }

    fn spec(addrs: &[&str]) -> Bridge {
        Bridge {
            name: "br0".into(),
            addrs: addrs.iter().map(|a| a.parse().unwrap()).collect(),
            mtu: None,
            mac: None,
            stp: false,
            mark: None,
        }
    }

    #[test]
    fn a_new_bridge_is_one_create_and_its_addresses() {
        let plan = spec(&["10.0.5.1/24"]).plan(None, Mode::Refuse).unwrap();
        assert_eq!(
            plan.steps(),
            ["create br0", "add address 10.0.5.1/24 to br0"]
        );
        assert_eq!(plan.changes[0].event.done, "created");
    }

    #[test]
    fn same_settings_are_unchanged_and_send_nothing() {
        let have = device(1500, &["10.0.5.1/24"]);
        let plan = spec(&["10.0.5.1/24"])
            .plan(Some(&have), Mode::Refuse)
            .unwrap();
        assert!(plan.is_noop());
        assert_eq!(plan.changes[0].event.done, "unchanged");
    }

    #[test]
    fn each_difference_is_named_and_nothing_is_planned() {
        let mut have = device(1500, &["10.0.6.1/24"]);
        have.link.up = false;
        let want = Bridge {
            mtu: Some(9000),
            stp: true,
            ..spec(&["10.0.5.1/24"])
        };
        let err = want.plan(Some(&have), Mode::Refuse).unwrap_err();
        assert_eq!(
            err.to_string(),
            "br0 exists with other settings: state down (wanted up), mtu 1500 (wanted 9000), \
             stp off (wanted on), address 10.0.5.1/24 missing, address 10.0.6.1/24 not asked for"
        );
    }

    #[test]
    fn converging_fixes_each_difference_in_place() {
        let mut have = device(1500, &["10.0.6.1/24"]);
        have.link.up = false;
        let want = Bridge {
            mtu: Some(1400),
            ..spec(&["10.0.5.1/24"])
        };
        let plan = want.plan(Some(&have), Mode::Converge).unwrap();
        assert_eq!(
            plan.steps(),
            [
                "change br0",
                "change br0",
                "add address 10.0.5.1/24 to br0",
                "delete address 10.0.6.1/24 from br0"
            ]
        );
        let undo: Vec<String> = plan.changes[0]
            .steps
            .iter()
            .filter_map(|s| s.undo.as_ref().map(|u| u.what()))
            .collect();
        assert_eq!(undo[3], "add address 10.0.6.1/24 to br0");
    }

    #[test]
    fn another_kind_is_refused_in_either_mode() {
        let mut have = device(1500, &[]);
        have.link.kind = Some("veth".into());
        for mode in [Mode::Refuse, Mode::Converge] {
            let err = spec(&[]).plan(Some(&have), mode).unwrap_err();
            assert_eq!(err.to_string(), "br0 exists and is a veth, not a bridge");
        }
    }

    #[test]
    fn deleting_what_is_not_there_is_already_done() {
        let plan = delete("br9", None).unwrap();
        assert!(plan.is_noop());
        assert_eq!(plan.changes[0].event.done, "unchanged (absent)");
    }
}
