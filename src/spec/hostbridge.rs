//! The host bridge: an interface that carries the host's own addresses and routes (eth0, with
//! the address and default route the host is reached by) becoming a port of a bridge. As a
//! port it stops carrying IP, so its MAC, addresses and routes move to the bridge in the same
//! plan, in the order that keeps traffic flowing: the bridge takes the port's MAC (so a DHCP
//! server or a switch on the LAN keeps recognising the host), then its addresses, then the
//! port joins the bridge, the routes move, and last the port's addresses go. Every step is
//! undone if a later one fails. Detaching moves them back.

use anyhow::anyhow;

use crate::msg::addr::Addr;
use crate::msg::link::{Link, format_mac};
use crate::msg::route::Route;
use crate::plan::{Action, Change, Event, Op, Set, Step};
use crate::report::Hinted;
use crate::state::moved::{Moved, RouteKey};

use super::bridge::address_step;

/// What an interface carries that would stop working once it is a bridge port.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Carried {
    /// In the order the kernel lists them (an IPv4 primary before its secondaries).
    pub addrs: Vec<Addr>,
    pub routes: Vec<Route>,
}

impl Carried {
    pub fn is_empty(&self) -> bool {
        self.addrs.is_empty() && self.routes.is_empty()
    }

    /// What of this came from the port `moved` records: the addresses and routes that moved.
    pub fn only(self, moved: &Moved) -> Carried {
        Carried {
            addrs: self
                .addrs
                .into_iter()
                .filter(|a| moved.addrs.contains(&a.net))
                .collect(),
            routes: self
                .routes
                .into_iter()
                .filter(|r| moved.routes.contains(&RouteKey::of(r)))
                .collect(),
        }
    }

    /// `addresses 192.0.2.10/24; routes default via 192.0.2.1`.
    pub fn words(&self) -> String {
        let mut parts = Vec::new();
        if !self.addrs.is_empty() {
            let a: Vec<String> = self.addrs.iter().map(|a| a.net.to_string()).collect();
            parts.push(format!("addresses {}", a.join(", ")));
        }
        if !self.routes.is_empty() {
            let r: Vec<String> = self.routes.iter().map(Route::to_string).collect();
            parts.push(format!("routes {}", r.join(", ")));
        }
        parts.join("; ")
    }
}

/// The refusal when an interface carrying IP would become a port without moving it.
pub fn refuse(port: &str, bridge: &str, carried: &Carried) -> anyhow::Error {
    anyhow!(Hinted::new(
        format!(
            "{port} carries {}: as a port of {bridge} they would stop working; nothing was changed",
            carried.words()
        ),
        format!(
            "`l2x attach {port} {bridge} --move-addresses` moves them to {bridge} in one step \
             (over SSH on {port}, that is the way that keeps you connected)"
        ),
    ))
}

/// The steps that make `port` a port of `bridge` (`enslave`, with its undo) with what it
/// carries moved over, and the notes that go with them.
pub fn attach(
    port: &Link,
    bridge: &Link,
    carried: &Carried,
    enslave: Step,
) -> (Vec<Step>, Vec<Change>) {
    let (p, b) = (port.name.as_str(), bridge.name.as_str());
    let mut steps = Vec::new();
    if let Some(mac) = port.mac.filter(|m| Some(*m) != bridge.mac) {
        steps.push(set_mac(b, mac, bridge.mac));
    }
    steps.extend(
        carried
            .addrs
            .iter()
            .map(|a| address_step(b, a.moved_to(0, p, b), true)),
    );
    steps.push(enslave);
    steps.extend(move_routes(&carried.routes, port, bridge));
    // Secondaries before their primary: deleting a primary deletes its secondaries with it.
    steps.extend(
        carried
            .addrs
            .iter()
            .rev()
            .map(|a| address_step(p, a.clone(), false)),
    );
    let mut notes = vec![note(format!("{} moved from {p} to {b}", carried.words()))];
    if let Some(mac) = port.mac {
        notes.push(note(format!(
            "bridge {b} takes {p}'s MAC {}",
            format_mac(&mac)
        )));
    }
    if carried.addrs.iter().any(Addr::is_dynamic) {
        notes.push(note(format!(
            "{p}'s addresses from a DHCP client (or router advertisements) now live on {b}: \
             run the client on {b} instead of {p}, or it will add them to {p} again"
        )));
    }
    (steps, notes)
}

/// The changes that release `port` from `bridge` and move back what came from it (`carried`,
/// as it is on the bridge now), giving the bridge `bridge_mac` again when it is known.
pub fn detach(
    port: &Link,
    bridge: &Link,
    carried: &Carried,
    bridge_mac: Option<[u8; 6]>,
    release: Step,
) -> Vec<Change> {
    let (p, b) = (port.name.as_str(), bridge.name.as_str());
    let mut steps: Vec<Step> = carried
        .addrs
        .iter()
        .map(|a| address_step(p, a.moved_to(0, b, p), true))
        .collect();
    steps.push(release);
    steps.extend(move_routes(&carried.routes, bridge, port));
    steps.extend(
        carried
            .addrs
            .iter()
            .rev()
            .map(|a| address_step(b, a.clone(), false)),
    );
    if let Some(mac) = bridge_mac.filter(|m| Some(*m) != bridge.mac) {
        steps.push(set_mac(b, mac, bridge.mac));
    }
    vec![Change::new(
        Event::new(
            "port",
            p,
            Action::Detach,
            format!("{b}, {} moved back", carried.words()),
        ),
        steps,
    )]
}

/// Each route leaves `from` for `to`: deleted, then added anew (two routes with the same
/// destination, table and metric cannot be there at once). Routes to a directly connected
/// network first, so that a gateway they make reachable is, when its routes come.
fn move_routes(routes: &[Route], from: &Link, to: &Link) -> Vec<Step> {
    let mut ordered: Vec<&Route> = routes.iter().collect();
    ordered.sort_by_key(|r| r.gateway.is_some() || r.nexthops.iter().any(|n| n.gateway.is_some()));
    let mut steps = Vec::new();
    for route in ordered {
        let moved = route.moved_to(from.index, to.index);
        let (old, new) = (route.clone(), moved);
        steps.push(Step::new(
            Op::DelRoute {
                dev: from.name.clone(),
                route: old.clone(),
            },
            Op::AddRoute {
                dev: from.name.clone(),
                route: old,
            },
        ));
        steps.push(Step::new(
            Op::AddRoute {
                dev: to.name.clone(),
                route: new.clone(),
            },
            Op::DelRoute {
                dev: to.name.clone(),
                route: new,
            },
        ));
    }
    steps
}

fn set_mac(dev: &str, mac: [u8; 6], before: Option<[u8; 6]>) -> Step {
    let set = |mac: Option<[u8; 6]>| Set {
        mac,
        ..Set::default()
    };
    Step::new(
        Op::SetLink {
            dev: dev.to_string(),
            set: set(Some(mac)),
        },
        Op::SetLink {
            dev: dev.to_string(),
            set: set(before),
        },
    )
}

fn note(line: String) -> Change {
    Change::new(Event::note("port", "", line.clone(), line), Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::addr::Lifetime;
    use crate::plan::Plan;

    fn link(index: u32, name: &str, mac: u8) -> Link {
        Link {
            index,
            name: name.into(),
            mac: Some([2, 0, 0, 0, 0, mac]),
            up: true,
            mtu: 1500,
            ..Link::default()
        }
    }

    fn carried() -> Carried {
        let mut primary = Addr::new(2, "192.0.2.10/24".parse().unwrap());
        primary.label = Some("eth0".into());
        let secondary = Addr::new(2, "192.0.2.11/24".parse().unwrap());
        let mut default = Route::new("0.0.0.0/0".parse().unwrap());
        default.gateway = Some("192.0.2.1".parse().unwrap());
        default.oif = Some(2);
        let mut onlink = Route::new("198.51.100.0/24".parse().unwrap());
        onlink.oif = Some(2);
        Carried {
            addrs: vec![primary, secondary],
            routes: vec![default, onlink],
        }
    }

    fn enslave() -> Step {
        Step::final_(Op::SetLink {
            dev: "eth0".into(),
            set: Set::default(),
        })
    }

    #[test]
    fn everything_moves_in_an_order_that_keeps_traffic_flowing() {
        let (eth0, br0) = (link(2, "eth0", 1), link(4, "br0", 9));
        let (steps, _) = attach(&eth0, &br0, &carried(), enslave());
        let mut plan = Plan::default();
        plan.push(Change::new(Event::unchanged("port", "eth0"), steps));
        assert_eq!(
            plan.steps(),
            [
                "change br0",
                "add address 192.0.2.10/24 to br0",
                "add address 192.0.2.11/24 to br0",
                "change eth0",
                "delete route 198.51.100.0/24 on eth0",
                "add route 198.51.100.0/24 on br0",
                "delete route default via 192.0.2.1 on eth0",
                "add route default via 192.0.2.1 on br0",
                "delete address 192.0.2.11/24 from eth0",
                "delete address 192.0.2.10/24 from eth0",
            ]
        );
        let Op::AddAddr { addr, .. } = &plan.changes[0].steps[1].op else {
            panic!()
        };
        assert_eq!(
            addr.label.as_deref(),
            Some("br0"),
            "the label follows the name"
        );
        let Op::AddRoute { route, .. } = &plan.changes[0].steps[7].op else {
            panic!()
        };
        assert_eq!(route.oif, Some(4));
    }

    #[test]
    fn a_dhcp_address_moves_with_a_word_about_the_client() {
        let mut c = carried();
        c.addrs[0].lifetime = Lifetime {
            valid: 3000,
            preferred: 3000,
        };
        let (_, notes) = attach(&link(2, "eth0", 1), &link(4, "br0", 9), &c, enslave());
        let notes: Vec<&str> = notes.iter().map(|c| c.event.done.as_str()).collect();
        assert!(
            notes.iter().any(|n| n.contains("run the client on br0")),
            "{notes:?}"
        );
    }
}
