//! The rules of table ip l2x (masquerades, port forwards, 1:1 maps), and IPv4 forwarding. The
//! table is rewritten whole in one nf_tables batch on the ruleset generation it was read at
//! (see `msg::nft::nat`): a plan names every rule the table must hold afterwards, and nothing
//! when it holds them already. Adding or removing a rule is the same for every kind.

use anyhow::{Result, anyhow};
use ipnetwork::{IpNetwork, Ipv4Network};

use super::bridge::address_step;
use crate::msg::addr::Addr;
use crate::msg::nft::map::Map;
use crate::msg::nft::masquerade::Masquerade;
use crate::msg::nft::nat::{NatRule, Owned};
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

/// A rule added unless the table holds it, then forwarding on: what NAT needs to route.
pub fn plan_add(rule: &NatRule, now: &Ruleset, forwarding: bool) -> Result<Plan> {
    let before = rules(&now.owned)?;
    let mut wanted = before.clone();
    if !wanted.contains(rule) {
        wanted.push(rule.clone());
    }
    let (kind, name) = (rule.kind(), rule.what());
    let event = match (before.contains(rule), now.owned.holds_exactly(&wanted)) {
        (false, _) => Event::new(OBJECT, name, Action::AddRule, kind)
            .said(format!("{kind} added"), format!("add {kind}")),
        (true, true) => Event::unchanged(OBJECT, name),
        (true, false) => Event::new(OBJECT, name, Action::Change, "table ip l2x repaired")
            .said("unchanged (table ip l2x repaired)", "repair table ip l2x"),
    };
    let mut plan = Plan::default();
    plan.push(Change::new(event, rewrite(now, &before, wanted)));
    plan.push(enable_forwarding(forwarding));
    Ok(plan)
}

/// A rule removed (the table with its last rule); forwarding stays as it is.
pub fn plan_del(rule: &NatRule, now: &Ruleset, forwarding: bool) -> Result<Plan> {
    let before = rules(&now.owned)?;
    let (kind, name) = (rule.kind(), rule.what());
    let mut plan = Plan::default();
    if !before.contains(rule) {
        plan.push(Change::new(
            Event::unchanged(OBJECT, name)
                .said("unchanged (no such rule)", "unchanged (no such rule)"),
            Vec::new(),
        ));
        return Ok(plan);
    }
    let wanted: Vec<NatRule> = before.iter().filter(|r| *r != rule).cloned().collect();
    let last = wanted.is_empty();
    plan.push(Change::new(
        Event::new(OBJECT, name, Action::DeleteRule, kind)
            .said(format!("{kind} deleted"), format!("delete {kind}")),
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

/// The rules `gone` removed and `wanted` added, in one rewrite: what converging a table to a
/// file does when the rules it wants changed (a segment's router address, its forwards).
/// Forwarding is turned on when a rule is wanted, and left as it is otherwise.
pub fn plan_swap(
    gone: &[NatRule],
    wanted: &[NatRule],
    now: &Ruleset,
    forwarding: bool,
) -> Result<Plan> {
    let before = rules(&now.owned)?;
    let dropped: Vec<&NatRule> = gone
        .iter()
        .filter(|r| !wanted.contains(r) && before.contains(r))
        .collect();
    let mut after: Vec<NatRule> = before
        .iter()
        .filter(|r| !dropped.contains(r))
        .cloned()
        .collect();
    let mut events = Vec::new();
    let mut kept = Vec::new();
    for rule in wanted {
        if after.contains(rule) {
            kept.push(rule);
            continue;
        }
        let kind = rule.kind();
        after.push(rule.clone());
        events.push(
            Event::new(OBJECT, rule.what(), Action::AddRule, kind)
                .said(format!("{kind} added"), format!("add {kind}")),
        );
    }
    // Every rule is there, but the table is not exactly as l2x makes it (edited by hand).
    let repair = events.is_empty() && dropped.is_empty() && !now.owned.holds_exactly(&after);
    for (i, rule) in kept.into_iter().enumerate() {
        events.push(if repair && i == 0 {
            Event::new(OBJECT, rule.what(), Action::Change, "table ip l2x repaired")
                .said("unchanged (table ip l2x repaired)", "repair table ip l2x")
        } else {
            Event::unchanged(OBJECT, rule.what())
        });
    }
    for rule in &dropped {
        let kind = rule.kind();
        events.push(
            Event::new(OBJECT, rule.what(), Action::DeleteRule, kind)
                .said(format!("{kind} deleted"), format!("delete {kind}")),
        );
    }
    let mut plan = Plan::default();
    let mut steps = rewrite(now, &before, after.clone());
    for event in events {
        let mine = if event.action == Action::Unchanged {
            Vec::new()
        } else {
            std::mem::take(&mut steps)
        };
        plan.push(Change::new(event, mine));
    }
    if after.is_empty() && !before.is_empty() {
        plan.push(Change::new(
            Event::new("table", "ip l2x", Action::Delete, "no rules left"),
            steps,
        ));
    }
    if !wanted.is_empty() {
        plan.push(enable_forwarding(forwarding));
    }
    Ok(plan)
}

/// The label that marks a public address as one `nat map` added (and `nat del` may remove):
/// `IFACE:l2x`. A label must start with its interface's name and fit IFNAMSIZ.
pub fn public_label(iface: &str) -> Option<String> {
    let label = format!("{iface}:l2x");
    (label.len() <= 15).then_some(label)
}

/// A map's public address, added to its `--in` interface as a /32 when no interface has it.
pub fn public_address(map: &Map, held: bool) -> Result<Option<Change>> {
    if held {
        return Ok(None);
    }
    let Some(iface) = &map.iface else {
        return Err(anyhow!(Hinted::new(
            format!(
                "no interface has {}, and without --in l2x cannot know which should",
                map.public
            ),
            format!(
                "give --in IFACE (the interface {} is reached by), or add it yourself and pass --no-addr",
                map.public
            ),
        )));
    };
    let mut addr = Addr::new(0, IpNetwork::V4(Ipv4Network::new(map.public, 32)?));
    addr.label = public_label(iface);
    let net = addr.net;
    Ok(Some(Change::new(
        Event::new("address", format!("{net} on {iface}"), Action::Create, ""),
        vec![address_step(iface, addr, true)],
    )))
}

/// The public address `nat map` added, removed with its map; one l2x did not add stays.
pub fn public_address_removal(map: &Map, held: Option<(String, Addr)>) -> Option<Change> {
    let (iface, addr) = held?;
    let on_its_side = map.iface.as_ref().is_none_or(|i| *i == iface);
    let ours = on_its_side && addr.label.is_some() && addr.label == public_label(&iface);
    ours.then(|| {
        Change::new(
            Event::new(
                "address",
                format!("{} on {iface}", addr.net),
                Action::Delete,
                "",
            ),
            vec![address_step(&iface, addr, false)],
        )
    })
}

/// The batch that makes the table hold `wanted`, unless it does already; undone by one that
/// puts back what it held.
fn rewrite(now: &Ruleset, before: &[NatRule], wanted: Vec<NatRule>) -> Vec<Step> {
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

/// The table's rules, unless it holds what l2x did not write: a rewrite would drop that.
fn rules(owned: &Owned) -> Result<Vec<NatRule>> {
    if owned.foreign.is_empty() {
        return Ok(owned.listed_rules());
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
    use crate::msg::nft::nat;

    /// A ruleset whose table holds `rules`, as the kernel would list them.
    fn ruleset(rules: &[Masquerade]) -> Ruleset {
        let wanted: Vec<NatRule> = rules.iter().cloned().map(NatRule::from).collect();
        Ruleset {
            generation: 7,
            chains: Vec::new(),
            owned: nat::tests::owned_holding(&wanted),
        }
    }

    fn rule(net: &str) -> NatRule {
        masquerade(net.parse().unwrap(), None).into()
    }

    #[test]
    fn host_bits_are_cleared() {
        let m = masquerade("10.0.5.1/24".parse().unwrap(), None);
        assert_eq!(m.source.to_string(), "10.0.5.0/24");
    }

    #[test]
    fn a_rule_the_table_holds_sends_nothing() {
        let r = masquerade("10.0.5.0/24".parse().unwrap(), None);
        let plan = plan_add(&r.clone().into(), &ruleset(&[r]), true).unwrap();
        assert!(plan.is_noop(), "{plan:?}");
    }

    #[test]
    fn a_new_rule_rewrites_on_the_read_generation_and_undoes_to_what_was() {
        let old = masquerade("10.0.6.0/24".parse().unwrap(), None);
        let plan = plan_add(
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
        assert_eq!(back, &[NatRule::from(old)]);
        assert_eq!(plan.steps()[1], "set net.ipv4.ip_forward to 1");
    }

    #[test]
    fn a_swap_rewrites_once() {
        let m = |net: &str| masquerade(net.parse().unwrap(), None);
        let (old, new) = (rule("10.0.6.0/24"), rule("10.0.5.0/24"));
        let now = ruleset(&[m("10.0.6.0/24")]);
        let plan = plan_swap(
            std::slice::from_ref(&old),
            std::slice::from_ref(&new),
            &now,
            true,
        )
        .unwrap();
        assert_eq!(plan.steps(), ["rewrite table ip l2x (1 rules)"]);
        let said: Vec<&str> = plan.changes.iter().map(|c| c.event.done.as_str()).collect();
        assert_eq!(
            said,
            [
                "masquerade added",
                "masquerade deleted",
                "unchanged (enabled)"
            ]
        );
        let held = ruleset(&[m("10.0.5.0/24")]);
        let same = plan_swap(&[], std::slice::from_ref(&new), &held, true).unwrap();
        assert!(same.is_noop(), "{same:?}");
        let gone = plan_swap(std::slice::from_ref(&new), &[], &held, true).unwrap();
        assert_eq!(gone.steps(), ["rewrite table ip l2x (0 rules)"]);
        assert_eq!(gone.changes.last().unwrap().event.object, "table");
    }

    #[test]
    fn deleting_a_rule_that_is_not_there_is_already_done() {
        let plan = plan_del(&rule("10.0.5.0/24"), &ruleset(&[]), true).unwrap();
        assert!(plan.is_noop());
    }
}
