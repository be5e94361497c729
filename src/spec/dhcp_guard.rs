//! Other DHCP servers kept off a bridge (see `msg::nft::dhcp_guard`): a plan that makes table
//! bridge l2x guard the bridge, or not, and leaves the other bridges' guards as they are.

use crate::msg::nft::dhcp_guard::Guard;
use crate::plan::{Action, Change, Event, Op, Plan, Step};
use crate::state::nft::Guards;

const OBJECT: &str = "dhcp-guard";

/// `guarded`: the bridge's guard is in the table afterwards; else it is not.
pub fn plan(bridge: &str, guarded: bool, now: &Guards) -> Plan {
    let mut wanted: Vec<Guard> = now
        .guards
        .iter()
        .filter(|g| g.bridge != bridge)
        .cloned()
        .collect();
    if guarded {
        wanted.push(Guard::new(bridge));
    }
    let has = now.guards.iter().any(|g| *g == Guard::new(bridge));
    let as_wanted = if wanted.is_empty() {
        !now.exists
    } else {
        now.exact && has == guarded && now.guards.len() == wanted.len()
    };
    let event = match (as_wanted, guarded) {
        (true, _) => Event::unchanged(OBJECT, bridge),
        (false, true) => Event::new(
            OBJECT,
            bridge,
            Action::AddRule,
            "other DHCP servers dropped",
        )
        .said("other DHCP servers kept off", "keep other DHCP servers off"),
        (false, false) => Event::new(OBJECT, bridge, Action::Delete, "")
            .said("other DHCP servers let in", "let other DHCP servers in"),
    };
    let steps = if as_wanted {
        Vec::new()
    } else {
        vec![Step::new(
            Op::DhcpGuards {
                generation: Some(now.generation),
                guards: wanted,
            },
            Op::DhcpGuards {
                generation: None,
                guards: now.guards.clone(),
            },
        )]
    };
    let mut plan = Plan::default();
    plan.push(Change::new(event, steps));
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now(guards: &[&str]) -> Guards {
        Guards {
            generation: 9,
            exact: true,
            exists: !guards.is_empty(),
            guards: guards.iter().map(|b| Guard::new(b)).collect(),
        }
    }

    fn wanted(plan: &Plan) -> Option<Vec<String>> {
        match &plan.changes[0].steps.first()?.op {
            Op::DhcpGuards { guards, .. } => {
                Some(guards.iter().map(|g| g.bridge.clone()).collect())
            }
            _ => None,
        }
    }

    #[test]
    fn a_guard_is_added_beside_the_others_and_removed_alone() {
        assert_eq!(
            wanted(&plan("br0", true, &now(&["br1"]))).unwrap(),
            ["br1", "br0"]
        );
        assert_eq!(
            wanted(&plan("br0", false, &now(&["br1", "br0"]))).unwrap(),
            ["br1"]
        );
        assert_eq!(
            wanted(&plan("br0", false, &now(&["br0"]))).unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn what_is_so_already_sends_nothing() {
        assert!(plan("br0", true, &now(&["br0"])).is_noop());
        assert!(plan("br0", false, &now(&[])).is_noop());
        let mut drifted = now(&["br0"]);
        drifted.exact = false;
        assert!(
            !plan("br0", true, &drifted).is_noop(),
            "a drifted table is rewritten"
        );
    }
}
