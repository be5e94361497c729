//! The table l2x owns, `ip l2x`: up to three nat chains (prerouting, output, postrouting)
//! holding the rules of three kinds, each in its own file: `masquerade` (`nat masq`),
//! `forward` (`nat forward`, port forwarding) and `map` (`nat map`, 1:1 NAT). Nothing else in
//! the ruleset is ever written by l2x.
//!
//! Every change rewrites the whole table in one batch (add table, delete table, add table,
//! its chains, every rule) instead of appending or deleting single rules by handle:
//! - adding and deleting are the same operation, "make the table hold exactly this list";
//! - the batch names no rule handle, only the ruleset generation the table was read at, so
//!   the kernel refuses it whole if anything changed since (see `batch`);
//! - whatever drifted (a chain priority changed by hand, a rule added twice, one of a
//!   forward's three rules deleted) comes back to what l2x describes, and the kernel swaps old
//!   table for new atomically: a packet sees one or the other, never a table without its rules.

use std::fmt;

use super::batch::batch;
use super::chain::{
    self, Base, Chain, NF_ACCEPT, NF_INET_LOCAL_OUT, NF_INET_POST_ROUTING, NF_INET_PRE_ROUTING,
};
use super::expr::Expr;
use super::forward::Forward;
use super::map::Map;
use super::masquerade::Masquerade;
use super::rule::{self, Rule};
use super::{NFPROTO_IPV4, table};
use crate::msg::{Feature, Netfilter, Request};

pub const FAMILY: u8 = NFPROTO_IPV4;
pub const TABLE: &str = "l2x";

/// What a nat chain needs beyond nf_tables itself, named when the kernel lacks it.
const NAT_CHAIN: Feature = Feature {
    name: "nftables nat",
    module: "nft_chain_nat",
};

/// The chains of table ip l2x, in the order the table is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatChain {
    /// Destination NAT of what arrives, before the routing decision.
    Prerouting,
    /// Destination NAT of what the host itself sends.
    Output,
    /// Source NAT of what leaves.
    Postrouting,
}

impl NatChain {
    pub const ALL: [NatChain; 3] = [
        NatChain::Prerouting,
        NatChain::Output,
        NatChain::Postrouting,
    ];

    pub fn name(self) -> &'static str {
        match self {
            NatChain::Prerouting => "prerouting",
            NatChain::Output => "output",
            NatChain::Postrouting => "postrouting",
        }
    }

    fn from_name(name: &str) -> Option<NatChain> {
        NatChain::ALL.into_iter().find(|c| c.name() == name)
    }

    /// `type nat hook H priority P; policy accept;`: destination NAT at nft's `dstnat`
    /// (-100, after conntrack, before filtering), source NAT at `srcnat` (100, after it).
    pub fn base(self) -> Base {
        let (hook, priority) = match self {
            NatChain::Prerouting => (NF_INET_PRE_ROUTING, -100),
            NatChain::Output => (NF_INET_LOCAL_OUT, -100),
            NatChain::Postrouting => (NF_INET_POST_ROUTING, 100),
        };
        Base {
            kind: "nat".into(),
            hook,
            priority,
            policy: NF_ACCEPT,
        }
    }
}

/// One rule of table ip l2x, as the user names it; each is one or more kernel rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NatRule {
    Forward(Forward),
    Map(Map),
    Masquerade(Masquerade),
}

impl From<Masquerade> for NatRule {
    fn from(m: Masquerade) -> Self {
        NatRule::Masquerade(m)
    }
}

impl From<Forward> for NatRule {
    fn from(f: Forward) -> Self {
        NatRule::Forward(f)
    }
}

impl From<Map> for NatRule {
    fn from(m: Map) -> Self {
        NatRule::Map(m)
    }
}

impl fmt::Display for NatRule {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} {}", self.kind(), self.what())
    }
}

impl NatRule {
    /// The kernel rules it is made of, by chain.
    fn placed(&self) -> Vec<(NatChain, Vec<Expr>)> {
        match self {
            NatRule::Forward(r) => r.placed(),
            NatRule::Map(r) => r.placed(),
            NatRule::Masquerade(r) => r.placed(),
        }
    }

    /// Where its rules go in each chain, kinds in this order: a forward's port before a map of
    /// the same address takes every port; a map's SNAT before the masquerade that would give
    /// the machine the interface's address instead.
    fn rank(&self) -> u8 {
        match self {
            NatRule::Forward(_) => 0,
            NatRule::Map(_) => 1,
            NatRule::Masquerade(_) => 2,
        }
    }

    /// The kind, as the command that makes it is named: `forward`, `map`, `masquerade`.
    pub fn kind(&self) -> &'static str {
        match self {
            NatRule::Forward(_) => "forward",
            NatRule::Map(_) => "map",
            NatRule::Masquerade(_) => "masquerade",
        }
    }

    /// The rule without its kind: `10.0.5.0/24 out eth0`, `tcp 8080 to 10.0.5.10:80`.
    pub fn what(&self) -> String {
        match self {
            NatRule::Forward(r) => r.to_string(),
            NatRule::Map(r) => r.to_string(),
            NatRule::Masquerade(r) => r.to_string(),
        }
    }
}

/// One kernel rule of table ip l2x, for the rule kinds to read.
#[derive(Debug, Clone, Copy)]
pub struct Listed<'a> {
    pub chain: NatChain,
    pub handle: u64,
    pub exprs: &'a [Expr],
}

/// One kernel rule to write: its chain, expressions and what it is part of.
struct Laid<'a> {
    chain: NatChain,
    exprs: Vec<Expr>,
    rule: &'a NatRule,
}

/// The kernel rules of `rules`, chain by chain in table order, each chain's by kind and then
/// in the order given.
fn layout(rules: &[NatRule]) -> Vec<Laid<'_>> {
    let mut ranked: Vec<&NatRule> = rules.iter().collect();
    ranked.sort_by_key(|r| r.rank());
    let mut laid = Vec::new();
    for chain in NatChain::ALL {
        for rule in &ranked {
            for (c, exprs) in rule.placed() {
                if c == chain {
                    laid.push(Laid { chain, exprs, rule });
                }
            }
        }
    }
    laid
}

/// The batch that makes table ip l2x hold exactly `rules` (every kind, the whole list), or
/// removes the table when there are none; refused if the ruleset is no longer at
/// `generation`. The first add makes sure the delete has a table to delete. Only the chains
/// the rules use are made.
pub fn rewrite(generation: u32, rules: &[NatRule]) -> Vec<Request<Netfilter>> {
    let mut changes = vec![table::add(FAMILY, TABLE), table::delete(FAMILY, TABLE)];
    let laid = layout(rules);
    if !laid.is_empty() {
        changes.push(table::add(FAMILY, TABLE));
        for c in NatChain::ALL {
            if laid.iter().any(|l| l.chain == c) {
                let add = chain::add(FAMILY, TABLE, c.name(), &c.base());
                changes.push(add.needing(NAT_CHAIN));
            }
        }
        for l in laid {
            let what = format!("add rule {} ({})", l.rule, l.chain.name());
            let mut add = rule::append(FAMILY, TABLE, l.chain.name(), &l.exprs, what);
            if let Some(needs) = l.exprs.iter().find_map(Expr::feature) {
                add = add.needing(needs);
            }
            changes.push(add);
        }
    }
    batch(generation, changes)
}

/// The rules of table ip l2x.
pub fn dump_rules() -> Request<Netfilter> {
    rule::dump(FAMILY, TABLE)
}

/// What table ip l2x holds, from the kernel's chain dump and the table's rule dump.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Owned {
    /// l2x's chains that exist, and whether each is as `NatChain::base` describes it.
    pub chains: Vec<(NatChain, bool)>,
    /// The rules, each with the handle of its first kernel rule, in table order.
    pub rules: Vec<(u64, NatRule)>,
    /// Chains and rules in the table that l2x did not write, in words.
    pub foreign: Vec<String>,
    /// Every kernel rule of l2x's chains, in chain order: what `holds_exactly` compares.
    listed: Vec<(NatChain, Vec<Expr>)>,
}

impl Owned {
    pub fn read(chains: &[Chain], rules: &[Rule]) -> Owned {
        let mut owned = Owned::default();
        for c in chains.iter().filter(|c| is_ours(c.family, &c.table)) {
            match NatChain::from_name(&c.name) {
                Some(nc) => owned.chains.push((nc, c.base == Some(nc.base()))),
                None => owned.foreign.push(format!("chain {}", c.name)),
            }
        }
        let mut listed: Vec<Listed> = rules
            .iter()
            .filter(|r| r.table == TABLE)
            .filter_map(|r| {
                Some(Listed {
                    chain: NatChain::from_name(&r.chain)?,
                    handle: r.handle,
                    exprs: &r.exprs,
                })
            })
            .collect();
        // The dump lists chains in the order they were made; compare in table order.
        listed.sort_by_key(|l| NatChain::ALL.iter().position(|c| *c == l.chain));
        let mut claimed = Vec::new();
        let mut found: Vec<(u64, NatRule)> = Vec::new();
        found.extend(wrap(Forward::find(&listed, &mut claimed)));
        found.extend(wrap(Map::find(&listed, &mut claimed)));
        found.extend(wrap(Masquerade::find(&listed, &mut claimed)));
        owned.rules = found;
        for l in listed.iter().filter(|l| !claimed.contains(&l.handle)) {
            let names: Vec<&str> = l.exprs.iter().map(Expr::name).collect();
            let what = format!(
                "rule handle {} in {} ({})",
                l.handle,
                l.chain.name(),
                names.join(" ")
            );
            owned.foreign.push(what);
        }
        owned.listed = listed.iter().map(|l| (l.chain, l.exprs.to_vec())).collect();
        owned
    }

    /// The rules, each once, in table order.
    pub fn listed_rules(&self) -> Vec<NatRule> {
        let mut list: Vec<NatRule> = Vec::new();
        for (_, r) in &self.rules {
            if !list.contains(r) {
                list.push(r.clone());
            }
        }
        list
    }

    /// The table holds exactly `wanted`, kernel rule for kernel rule, in chains as l2x makes
    /// them: nothing to send.
    pub fn holds_exactly(&self, wanted: &[NatRule]) -> bool {
        let laid = layout(wanted);
        let rules_match = laid.len() == self.listed.len()
            && laid
                .iter()
                .zip(&self.listed)
                .all(|(l, (chain, exprs))| l.chain == *chain && l.exprs == *exprs);
        if laid.is_empty() {
            return rules_match;
        }
        let chains_match = NatChain::ALL.iter().all(|c| {
            let needed = laid.iter().any(|l| l.chain == *c);
            let made = self.chains.iter().any(|(have, ok)| have == c && *ok);
            let present = self.chains.iter().any(|(have, _)| have == c);
            needed == made && needed == present
        });
        chains_match && rules_match
    }
}

fn wrap<R: Into<NatRule>>(found: Vec<(u64, R)>) -> impl Iterator<Item = (u64, NatRule)> {
    found.into_iter().map(|(h, r)| (h, r.into()))
}

fn is_ours(family: u8, table: &str) -> bool {
    family == FAMILY && table == TABLE
}

#[cfg(test)]
pub mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::msg::nft::forward::{self, PortRange, Proto};
    use crate::msg::nft::golden;
    use crate::msg::nft::{NFT_MSG_NEWCHAIN, NFT_MSG_NEWRULE, msg_type};

    /// Any generation: the golden comparison leaves it out, nft 1.0.6 sends none.
    const GEN: u32 = 7;

    fn masq(source: &str, out: Option<&str>) -> NatRule {
        NatRule::Masquerade(Masquerade {
            source: source.parse().unwrap(),
            out: out.map(str::to_string),
        })
    }

    fn web() -> NatRule {
        NatRule::Forward(forward::tests::web())
    }

    /// `nat forward --port 5000-5010 --proto udp --to 10.0.5.3 --addr 192.0.2.1`.
    fn games() -> NatRule {
        NatRule::Forward(Forward {
            proto: Proto::Udp,
            ports: PortRange {
                first: 5000,
                last: 5010,
            },
            to: Ipv4Addr::new(10, 0, 5, 3),
            to_port: None,
            iface: None,
            addr: Some(Ipv4Addr::new(192, 0, 2, 1)),
            hairpin: None,
        })
    }

    /// `nat map --public 192.0.2.7 --to 10.0.5.7 --in up0`.
    fn map() -> NatRule {
        NatRule::Map(Map {
            public: Ipv4Addr::new(192, 0, 2, 7),
            to: Ipv4Addr::new(10, 0, 5, 7),
            iface: Some("up0".into()),
        })
    }

    /// Every kind, given in an order other than the table's.
    fn all_kinds() -> Vec<NatRule> {
        vec![masq("10.0.5.0/24", None), map(), web(), games()]
    }

    /// What the table reads as once it holds exactly `rules`: for the planners' tests.
    pub fn owned_holding(rules: &[NatRule]) -> Owned {
        let used: Vec<NatChain> = NatChain::ALL
            .into_iter()
            .filter(|c| layout(rules).iter().any(|l| l.chain == *c))
            .collect();
        Owned::read(&chains_of(&used), &rules_of(rules))
    }

    /// The kernel's answer to `nft list ruleset` after the capture's rules.
    fn dumped(rules: &str, chains: &str) -> Owned {
        let rules: Vec<Rule> = golden::bodies(rules, msg_type(NFT_MSG_NEWRULE))
            .iter()
            .filter_map(|b| Rule::parse(b))
            .collect();
        let chains: Vec<Chain> = golden::bodies(chains, msg_type(NFT_MSG_NEWCHAIN))
            .iter()
            .filter_map(|b| Chain::parse(b))
            .collect();
        Owned::read(&chains, &rules)
    }

    /// The kernel rules of `rules` as the rule kinds read them, handles from 2 (as in a new
    /// table).
    pub fn listed_of(placed: &[(NatChain, Vec<Expr>)]) -> Vec<Listed<'_>> {
        placed
            .iter()
            .zip(2..)
            .map(|((chain, exprs), handle)| Listed {
                chain: *chain,
                handle,
                exprs,
            })
            .collect()
    }

    #[test]
    fn one_rule_matches_nft() {
        golden::assert_batch_matches(
            &rewrite(GEN, &[masq("10.0.5.0/24", None)]),
            include_str!("../../../tests/golden/nft-rewrite-one.hex"),
        );
    }

    #[test]
    fn unaligned_prefix_and_interface_match_nft() {
        golden::assert_batch_matches(
            &rewrite(
                GEN,
                &[masq("10.0.5.0/24", None), masq("10.0.16.0/20", Some("up0"))],
            ),
            include_str!("../../../tests/golden/nft-rewrite-two.hex"),
        );
    }

    #[test]
    fn no_rules_removes_the_table() {
        golden::assert_batch_matches(
            &rewrite(GEN, &[]),
            include_str!("../../../tests/golden/nft-remove.hex"),
        );
    }

    #[test]
    fn forwards_maps_and_masquerades_match_nft() {
        golden::assert_batch_matches(
            &rewrite(GEN, &all_kinds()),
            include_str!("../../../tests/golden/nft-rewrite-all.hex"),
        );
    }

    #[test]
    fn kernel_dump_reads_as_two_masquerades() {
        let owned = dumped(
            include_str!("../../../tests/golden/nft-dump-rules.hex"),
            include_str!("../../../tests/golden/nft-dump-chains.hex"),
        );
        let want = [masq("10.0.5.0/24", None), masq("10.0.16.0/20", Some("up0"))];
        assert_eq!(owned.chains, [(NatChain::Postrouting, true)]);
        assert_eq!(owned.rules, [(2, want[0].clone()), (3, want[1].clone())]);
        assert!(owned.foreign.is_empty(), "{:?}", owned.foreign);
        assert!(owned.holds_exactly(&want));
    }

    #[test]
    fn kernel_dump_reads_as_every_kind() {
        let owned = dumped(
            include_str!("../../../tests/golden/nft-dump-all-rules.hex"),
            include_str!("../../../tests/golden/nft-dump-all-chains.hex"),
        );
        assert!(owned.foreign.is_empty(), "{:?}", owned.foreign);
        assert_eq!(
            owned.chains,
            NatChain::ALL.map(|c| (c, true)),
            "the chains as l2x makes them"
        );
        let read: Vec<NatRule> = owned.rules.iter().map(|(_, r)| r.clone()).collect();
        assert_eq!(read, [web(), games(), map(), masq("10.0.5.0/24", None)]);
        assert!(owned.holds_exactly(&all_kinds()), "nothing to send");
        assert!(!owned.holds_exactly(&[web()]));
    }

    #[test]
    fn rules_l2x_did_not_write_are_named() {
        let m = Masquerade {
            source: "10.0.5.0/24".parse().unwrap(),
            out: None,
        };
        let mut exprs = m.exprs();
        exprs.insert(4, Expr::Other("counter".into()));
        let rule = Rule {
            table: TABLE.into(),
            chain: "postrouting".into(),
            handle: 9,
            exprs,
        };
        let owned = Owned::read(&[], &[rule]);
        assert_eq!(
            owned.foreign,
            ["rule handle 9 in postrouting (payload cmp payload cmp counter masq)"]
        );
    }

    /// Kernel rules as the dump would list them, handles from 2.
    fn rules_of(rules: &[NatRule]) -> Vec<Rule> {
        layout(rules)
            .into_iter()
            .zip(2..)
            .map(|(l, handle)| Rule {
                table: TABLE.into(),
                chain: l.chain.name().into(),
                handle,
                exprs: l.exprs,
            })
            .collect()
    }

    fn chains_of(names: &[NatChain]) -> Vec<Chain> {
        names
            .iter()
            .map(|c| Chain {
                family: FAMILY,
                table: TABLE.into(),
                name: c.name().into(),
                base: Some(c.base()),
            })
            .collect()
    }

    #[test]
    fn a_missing_piece_is_drift_the_rewrite_repairs() {
        let mut rules = rules_of(&[web()]);
        rules.retain(|r| r.chain != "output");
        let owned = Owned::read(&chains_of(&NatChain::ALL), &rules);
        assert_eq!(owned.listed_rules(), [web()], "still read as the forward");
        assert!(owned.foreign.is_empty());
        assert!(!owned.holds_exactly(&[web()]));
    }

    #[test]
    fn a_stray_piece_is_l2x_s_and_not_a_rule() {
        let mut rules = rules_of(&[map()]);
        rules.retain(|r| r.chain == "postrouting");
        let owned = Owned::read(&chains_of(&[NatChain::Postrouting]), &rules);
        assert!(owned.rules.is_empty() && owned.foreign.is_empty());
        assert!(!owned.holds_exactly(&[]));
    }

    #[test]
    fn an_unused_chain_is_rewritten_away() {
        let rules = rules_of(&[masq("10.0.5.0/24", None)]);
        let chains = chains_of(&[NatChain::Prerouting, NatChain::Postrouting]);
        let owned = Owned::read(&chains, &rules);
        assert!(!owned.holds_exactly(&owned.listed_rules()));
    }

    #[test]
    fn duplicates_are_listed_once_and_rewritten_away() {
        let m = masq("10.0.5.0/24", None);
        let rules = rules_of(&[m.clone(), m.clone()]);
        let owned = Owned::read(&chains_of(&[NatChain::Postrouting]), &rules);
        assert_eq!(owned.rules.len(), 2);
        assert_eq!(owned.listed_rules(), std::slice::from_ref(&m));
        assert!(!owned.holds_exactly(&[m]));
    }
}
