//! What `dhcp request` sets once it holds a checked lease: the interface's MTU, then its
//! address, then the default route, as one plan of the engine, so a step that fails undoes
//! those before it. The route comes last: nothing after it can fail.

use ipnetwork::IpNetwork;

use super::bridge::address_step;
use crate::dhcp::client::Acquired;
use crate::msg::addr::Addr;
use crate::msg::link::Link;
use crate::plan::{Action, Change, Event, Op, Plan, Set, Step};

/// MTU, then address, then default route: each step but the last with what undoes it.
pub fn plan(link: &Link, have: &[Addr], got: &Acquired) -> Plan {
    let dev = link.name.clone();
    let mut steps = Vec::new();
    if let Some(mtu) = got.mtu.map(u32::from).filter(|&m| m != link.mtu) {
        let set = |mtu| Op::SetLink {
            dev: dev.clone(),
            set: Set {
                mtu: Some(mtu),
                ..Set::default()
            },
        };
        steps.push(Step::new(set(mtu), set(link.mtu)));
    }
    let net = IpNetwork::V4(got.network());
    if !have.iter().any(|a| a.net == net) {
        steps.push(address_step(&dev, Addr::new(0, net), true));
    }
    if let Some(gateway) = got.router {
        steps.push(Step::final_(Op::DefaultRoute {
            dev: dev.clone(),
            gateway,
        }));
    }
    let event = Event::new("dhcp", dev, Action::Start, "");
    let mut plan = Plan::default();
    plan.knows(link);
    plan.push(Change::new(event, steps));
    plan
}

/// The lease's address off the interface again: a lease that is lost may not be used.
pub fn unset(link: &Link, got: &Acquired) -> Plan {
    let net = IpNetwork::V4(got.network());
    let step = address_step(&link.name, Addr::new(0, net), false);
    let event = Event::new("dhcp", link.name.clone(), Action::Stop, "");
    let mut plan = Plan::default();
    plan.knows(link);
    plan.push(Change::new(event, vec![step]));
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn got(mtu: Option<u16>, router: Option<Ipv4Addr>) -> Acquired {
        Acquired {
            ip: Ipv4Addr::new(10, 0, 5, 100),
            prefix: 24,
            router,
            mtu,
            server: Ipv4Addr::new(10, 0, 5, 1),
            lease_secs: 60,
            renew_secs: None,
            rebind_secs: None,
            dns: vec![],
            domain: None,
        }
    }

    fn eth0() -> Link {
        Link {
            index: 2,
            name: "eth0".into(),
            mtu: 1500,
            ..Link::default()
        }
    }

    fn ops(plan: &Plan) -> Vec<(String, Option<String>)> {
        plan.changes[0]
            .steps
            .iter()
            .map(|s| (s.op.what(), s.undo.as_ref().map(Op::what)))
            .collect()
    }

    #[test]
    fn every_step_but_the_last_is_undone_when_a_later_one_fails() {
        let plan = plan(
            &eth0(),
            &[],
            &got(Some(1400), Some(Ipv4Addr::new(10, 0, 5, 1))),
        );
        assert_eq!(
            ops(&plan),
            [
                ("change eth0".to_string(), Some("change eth0".to_string())),
                (
                    "add address 10.0.5.100/24 to eth0".to_string(),
                    Some("delete address 10.0.5.100/24 from eth0".to_string())
                ),
                ("set default route via 10.0.5.1 on eth0".to_string(), None),
            ]
        );
        let Op::SetLink { set, .. } = plan.changes[0].steps[0].undo.clone().unwrap() else {
            panic!("the MTU is put back");
        };
        assert_eq!(set.mtu, Some(1500));
    }

    #[test]
    fn what_is_already_so_is_not_done_again_nor_undone() {
        let have = [Addr::new(2, "10.0.5.100/24".parse().unwrap())];
        assert!(plan(&eth0(), &have, &got(Some(1500), None)).is_noop());
    }
}
