//! The router host's rules in table ip l2x (its forwards, maps and masquerade) and the public
//! addresses its maps stand on: apply converges them to the file in one rewrite of the table,
//! and down removes them. A rule carries no owner, so the record says which rules apply added:
//! a rule the file no longer names is removed only when the record knows it. The record learns
//! a rule before it is added.

use std::net::{IpAddr, Ipv4Addr};

use anyhow::Result;

use super::part::Part;
use super::record::{Masq, Record};
use crate::msg::addr::Addr;
use crate::msg::nft::map::Map;
use crate::msg::nft::nat::NatRule;
use crate::plan::Plan;
use crate::spec::nat;
use crate::state::segment::SegmentState;

/// The rules as the file wants them, in place of those apply added before.
pub fn apply(part: &Part, st: &SegmentState, rec: &Record, record: &mut Record) -> Result<Plan> {
    learn(part, record);
    let Some(now) = &st.ruleset else {
        return Ok(Plan::default());
    };
    let mut plan = nat::plan_swap(&recorded(rec), &part.nat_rules(), now, st.forwarding)?;
    for m in &part.maps {
        if let Some(change) = nat::public_address(m, holder(st, m.public).is_some())? {
            if let Some(link) = m.iface.as_deref().and_then(|i| st.link(i)) {
                plan.knows(link);
            }
            plan.push(change);
        }
    }
    for m in rec.maps.iter().filter(|m| !part.maps.contains(m)) {
        plan.extend(public_removal(st, m));
    }
    Ok(plan)
}

/// Every rule apply added, and those the file names, removed; with the maps' public addresses
/// apply added.
pub fn down(part: &Part, st: &SegmentState, rec: &Record) -> Result<Plan> {
    let mut gone = recorded(rec);
    remember(&mut gone, part.nat_rules());
    let mut plan = Plan::default();
    if let Some(now) = &st.ruleset
        && !gone.is_empty()
    {
        plan.extend(nat::plan_swap(&gone, &[], now, st.forwarding)?);
    }
    let mut maps: Vec<&Map> = rec.maps.iter().collect();
    remember(&mut maps, &part.maps);
    for m in maps {
        plan.extend(public_removal(st, m));
    }
    Ok(plan)
}

/// The record once apply is done: only the rules the file still names.
pub fn settled(part: &Part, record: &mut Record) {
    let masq = part.masquerade();
    record.masquerades.retain(|m| {
        masq.as_ref()
            .is_some_and(|w| w.source == m.source && w.out == m.out)
    });
    record.forwards.retain(|f| part.forwards.contains(f));
    record.maps.retain(|m| part.maps.contains(m));
}

/// Whether the ruleset and the addresses are to be read: the file or the record names a rule.
pub fn wanted(part: &Part, rec: &Record) -> bool {
    !part.nat_rules().is_empty()
        || !rec.masquerades.is_empty()
        || !rec.forwards.is_empty()
        || !rec.maps.is_empty()
}

/// The public addresses to look for: of the maps the file or the record names.
pub fn publics(part: &Part, rec: &Record) -> Vec<Ipv4Addr> {
    part.maps
        .iter()
        .chain(&rec.maps)
        .map(|m| m.public)
        .collect()
}

fn learn(part: &Part, record: &mut Record) {
    let masquerade = part.masquerade().map(|m| Masq {
        source: m.source,
        out: m.out,
    });
    remember(&mut record.masquerades, masquerade);
    remember(&mut record.forwards, part.forwards.iter().cloned());
    remember(&mut record.maps, part.maps.iter().cloned());
}

/// `items` added to `list`, each once.
fn remember<T: PartialEq>(list: &mut Vec<T>, items: impl IntoIterator<Item = T>) {
    for item in items {
        if !list.contains(&item) {
            list.push(item);
        }
    }
}

/// The rules apply added, as the record has them.
fn recorded(rec: &Record) -> Vec<NatRule> {
    let masquerades = rec
        .masquerades
        .iter()
        .map(|m| nat::masquerade(m.source, m.out.clone()).into());
    let forwards = rec.forwards.iter().cloned().map(NatRule::from);
    let maps = rec.maps.iter().cloned().map(NatRule::from);
    forwards.chain(maps).chain(masquerades).collect()
}

/// The interface holding `ip`, and the address as it holds it.
fn holder(st: &SegmentState, ip: Ipv4Addr) -> Option<(String, Addr)> {
    st.publics
        .iter()
        .find(|(_, a)| a.net.ip() == IpAddr::V4(ip))
        .cloned()
}

/// A map's public address removed, when apply added it.
fn public_removal(st: &SegmentState, m: &Map) -> Plan {
    let mut plan = Plan::default();
    let held = holder(st, m.public);
    if let Some(link) = held.as_ref().and_then(|(i, _)| st.link(i)) {
        plan.knows(link);
    }
    if let Some(change) = nat::public_address_removal(m, held) {
        plan.push(change);
    }
    plan
}
