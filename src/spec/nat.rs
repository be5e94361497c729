//! Masquerade in table ip l2x, and IPv4 forwarding. The table is rewritten whole in one
//! nf_tables batch on the ruleset generation it was read at (see `msg::nft::nat`): a plan
//! names the rules the table must hold afterwards, and nothing when it holds them already.

use anyhow::{Result, anyhow};
use ipnetwork::Ipv4Network;

use crate::msg::nft::nat::{Masquerade, Owned};
use crate::plan::{Action, Change, Event, Op, Plan, Step};
use crate::report::Hinted;
use crate::state::nft::Ruleset;

const OBJECT: &str = "nat";

/// The rule for traffic from `source` (host bits cleared) leaving by `out`, if given.
pub fn masquerade(source: Ipv4Network, out: Option<String>) -> Masquerade {
    Masquerade {
        source: Ipv4Network::new(source.network(), source.prefix()).unwrap_or(source),
        out,
    }
}

/// `nat masq`: the rule added unless the table holds it, then forwarding on.
pub fn plan_masq(rule: &Masquerade, now: &Ruleset, forwarding: bool) -> Result<Plan> {
    let before = masquerades(&now.owned)?;
    let mut wanted = before.clone();
    if !wanted.contains(rule) {
        wanted.push(rule.clone());
    }
    let name = rule.to_string();
    let event = match (before.contains(rule), now.owned.holds_exactly(&wanted)) {
        (false, _) => Event::new(OBJECT, name, Action::AddRule, "masquerade")
            .said("masquerade added", "add masquerade"),
        (true, true) => Event::unchanged(OBJECT, name),
        (true, false) => Event::new(OBJECT, name, Action::Change, "table ip l2x repaired")
            .said("unchanged (table ip l2x repaired)", "repair table ip l2x"),
    };
    let mut plan = Plan::default();
    plan.push(Change::new(event, rewrite(now, &before, wanted)));
    plan.push(enable_forwarding(forwarding));
    Ok(plan)
}

/// `nat del`: the rule removed (the table with its last rule); forwarding stays as it is.
pub fn plan_del(rule: &Masquerade, now: &Ruleset, forwarding: bool) -> Result<Plan> {
    let before = masquerades(&now.owned)?;
    let name = rule.to_string();
    let mut plan = Plan::default();
    if !before.contains(rule) {
        plan.push(Change::new(
            Event::unchanged(OBJECT, name)
                .said("unchanged (no such rule)", "unchanged (no such rule)"),
            Vec::new(),
        ));
        return Ok(plan);
    }
    let wanted: Vec<Masquerade> = before.iter().filter(|m| *m != rule).cloned().collect();
    let last = wanted.is_empty();
    plan.push(Change::new(
        Event::new(OBJECT, name, Action::DeleteRule, "masquerade")
            .said("masquerade deleted", "delete masquerade"),
        rewrite(now, &before, wanted),
    ));
    if last {
        plan.push(Change::new(
            Event::new("table", "ip l2x", Action::Delete, "no rules left"),
            Vec::new(),
        ));
    }
    let state = if forwarding {
        "left enabled"
    } else {
        "left disabled"
    };
    plan.push(Change::new(
        Event::unchanged("forwarding", "").said(state, state),
        Vec::new(),
    ));
    Ok(plan)
}

/// The batch that makes the table hold `wanted`, unless it does already; undone by one that
/// puts back what it held.
fn rewrite(now: &Ruleset, before: &[Masquerade], wanted: Vec<Masquerade>) -> Vec<Step> {
    if now.owned.holds_exactly(&wanted) {
        return Vec::new();
    }
    vec![Step::new(
        Op::NatRules {
            generation: Some(now.generation),
            rules: wanted,
        },
        Op::NatRules {
            generation: None,
            rules: before.to_vec(),
        },
    )]
}

fn enable_forwarding(on: bool) -> Change {
    if on {
        let same =
            Event::unchanged("forwarding", "").said("unchanged (enabled)", "unchanged (enabled)");
        return Change::new(same, Vec::new());
    }
    Change::new(
        Event::new("forwarding", "", Action::Enable, ""),
        vec![Step::new(Op::Forwarding(true), Op::Forwarding(false))],
    )
}

/// The table's masquerades, unless it holds what l2x did not write: a rewrite would drop that.
fn masquerades(owned: &Owned) -> Result<Vec<Masquerade>> {
    if owned.foreign.is_empty() {
        return Ok(owned.masquerades());
    }
    Err(anyhow!(Hinted::new(
        format!(
            "table ip l2x holds what l2x did not write: {}; nothing was changed",
            owned.foreign.join("; ")
        ),
        "see it with `nft -a list table ip l2x`; remove it there (or the whole table with \
         `nft delete table ip l2x`) and run l2x again",
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ruleset(rules: &[Masquerade]) -> Ruleset {
        Ruleset {
            generation: 7,
            chains: Vec::new(),
            owned: Owned {
                chain_ok: !rules.is_empty(),
                rules: rules
                    .iter()
                    .cloned()
                    .enumerate()
                    .map(|(i, m)| (i as u64 + 2, m))
                    .collect(),
                foreign: Vec::new(),
            },
        }
    }

    fn rule(net: &str) -> Masquerade {
        masquerade(net.parse().unwrap(), None)
    }

    #[test]
    fn host_bits_are_cleared() {
        assert_eq!(rule("10.0.5.1/24").source.to_string(), "10.0.5.0/24");
    }

    #[test]
    fn a_rule_the_table_holds_sends_nothing() {
        let r = rule("10.0.5.0/24");
        let plan = plan_masq(&r, &ruleset(std::slice::from_ref(&r)), true).unwrap();
        assert!(plan.is_noop());
    }

    #[test]
    fn a_new_rule_rewrites_on_the_read_generation_and_undoes_to_what_was() {
        let old = rule("10.0.6.0/24");
        let plan = plan_masq(
            &rule("10.0.5.0/24"),
            &ruleset(std::slice::from_ref(&old)),
            false,
        )
        .unwrap();
        let step = &plan.changes[0].steps[0];
        let Op::NatRules { generation, rules } = &step.op else {
            panic!()
        };
        assert_eq!((*generation, rules.len()), (Some(7), 2));
        let Some(Op::NatRules { rules: back, .. }) = &step.undo else {
            panic!()
        };
        assert_eq!(back, &[old]);
        assert_eq!(
            plan.changes[1].steps[0].op.what(),
            "set net.ipv4.ip_forward to 1"
        );
    }

    #[test]
    fn deleting_a_rule_that_is_not_there_is_already_done() {
        let plan = plan_del(&rule("10.0.5.0/24"), &ruleset(&[]), true).unwrap();
        assert!(plan.is_noop());
    }
}
