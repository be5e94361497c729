//! The table l2x owns, `ip l2x`: one nat chain on the postrouting hook, holding one masquerade
//! rule per source network (and outgoing interface, when one is given). Nothing else in the
//! ruleset is ever written by l2x.
//!
//! Every change rewrites the whole table in one batch (add table, delete table, add table,
//! chain, every rule) instead of appending or deleting single rules by handle:
//! - masq and del are the same operation, "make the table hold exactly this list";
//! - the batch names no rule handle, only the ruleset generation the table was read at, so
//!   the kernel refuses it whole if anything changed since (see `batch`);
//! - whatever drifted (a chain priority changed by hand, a rule added twice) comes back to what
//!   l2x describes, and the kernel swaps old table for new atomically: a packet sees one or the
//!   other, never a table without its rules.

use std::fmt;
use std::net::Ipv4Addr;

use ipnetwork::Ipv4Network;

use super::batch::batch;
use super::chain::{self, Base, Chain, NF_ACCEPT, NF_INET_POST_ROUTING};
use super::expr::{
    Expr, NFT_CMP_EQ, NFT_CMP_NEQ, NFT_META_OIFNAME, NFT_PAYLOAD_NETWORK_HEADER, ifname, ifname_of,
};
use super::rule::{self, Rule};
use super::{NFPROTO_IPV4, table};
use crate::msg::{Feature, Netfilter, Request};

pub const FAMILY: u8 = NFPROTO_IPV4;
pub const TABLE: &str = "l2x";
pub const CHAIN: &str = "postrouting";
/// After destination NAT and filtering, as nft's named priority `srcnat`.
pub const PRIORITY: i32 = 100;

// Offsets in the IPv4 header (RFC 791).
const IPV4_SADDR: u32 = 12;
const IPV4_DADDR: u32 = 16;

/// What the chain and the rule need beyond nf_tables itself, named when the kernel lacks it.
const NAT_CHAIN: Feature = Feature {
    name: "nftables nat",
    module: "nft_chain_nat",
};
const MASQ: Feature = Feature {
    name: "nftables masquerade",
    module: "nft_masq",
};

/// The chain l2x makes: `type nat hook postrouting priority 100; policy accept;`.
pub fn base() -> Base {
    Base {
        kind: "nat".into(),
        hook: NF_INET_POST_ROUTING,
        priority: PRIORITY,
        policy: NF_ACCEPT,
    }
}

/// One masquerade rule: traffic from `source` to anywhere outside it, leaving by `out` (any
/// interface when `None`), gets the outgoing interface's address as its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Masquerade {
    pub source: Ipv4Network,
    pub out: Option<String>,
}

impl fmt::Display for Masquerade {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.source)?;
        if let Some(out) = &self.out {
            write!(f, " out {out}")?;
        }
        Ok(())
    }
}

impl Masquerade {
    /// `ip saddr NET ip daddr != NET [oifname IFACE] masquerade`, as nft compiles it.
    pub fn exprs(&self) -> Vec<Expr> {
        let mut e = prefix_match(IPV4_SADDR, NFT_CMP_EQ, self.source);
        e.extend(prefix_match(IPV4_DADDR, NFT_CMP_NEQ, self.source));
        if let Some(out) = &self.out {
            e.push(Expr::Meta {
                key: NFT_META_OIFNAME,
            });
            e.push(Expr::Cmp {
                op: NFT_CMP_EQ,
                data: ifname(out),
            });
        }
        e.push(Expr::Masq);
        e
    }

    /// The masquerade a rule's expressions say, if they are exactly what `exprs` makes.
    pub fn from_exprs(exprs: &[Expr]) -> Option<Masquerade> {
        let out = exprs.windows(2).find_map(|pair| match pair {
            [
                Expr::Meta {
                    key: NFT_META_OIFNAME,
                },
                Expr::Cmp { data, .. },
            ] => ifname_of(data),
            _ => None,
        });
        let found = Masquerade {
            source: source_of(exprs)?,
            out,
        };
        (found.exprs() == exprs).then_some(found)
    }
}

/// Matches an address field against a network. Byte-aligned prefixes load only the prefix's
/// bytes and compare them (what nft >= 0.9.8 emits); others load the whole address, mask it,
/// and compare all four bytes.
fn prefix_match(offset: u32, op: u32, net: Ipv4Network) -> Vec<Expr> {
    let addr = net.network().octets();
    let load = |len: usize| Expr::Payload {
        base: NFT_PAYLOAD_NETWORK_HEADER,
        offset,
        len: len as u32,
    };
    let prefix = usize::from(net.prefix());
    if prefix % 8 == 0 {
        let len = prefix / 8;
        vec![
            load(len),
            Expr::Cmp {
                op,
                data: addr[..len].to_vec(),
            },
        ]
    } else {
        vec![
            load(addr.len()),
            Expr::Bitwise {
                mask: net.mask().octets().to_vec(),
                xor: vec![0; addr.len()],
            },
            Expr::Cmp {
                op,
                data: addr.to_vec(),
            },
        ]
    }
}

/// The network of the first match (`ip saddr NET`), in either form `prefix_match` writes.
fn source_of(exprs: &[Expr]) -> Option<Ipv4Network> {
    let (prefix, data) = match exprs {
        [Expr::Payload { len, .. }, Expr::Cmp { data, .. }, ..] => (len * 8, data),
        [
            Expr::Payload { .. },
            Expr::Bitwise { mask, .. },
            Expr::Cmp { data, .. },
            ..,
        ] => (mask.iter().map(|b| b.count_ones()).sum(), data),
        _ => return None,
    };
    let mut addr = [0u8; 4];
    addr.get_mut(..data.len())?.copy_from_slice(data);
    Ipv4Network::new(Ipv4Addr::from(addr), u8::try_from(prefix).ok()?).ok()
}

/// The batch that makes table ip l2x hold exactly `rules`, in this order, or removes the table
/// when there are none; refused if the ruleset is no longer at `generation`. The first add
/// makes sure the delete has a table to delete.
pub fn rewrite(generation: u32, rules: &[Masquerade]) -> Vec<Request<Netfilter>> {
    let mut changes = vec![table::add(FAMILY, TABLE), table::delete(FAMILY, TABLE)];
    if !rules.is_empty() {
        changes.push(table::add(FAMILY, TABLE));
        changes.push(chain::add(FAMILY, TABLE, CHAIN, &base()).needing(NAT_CHAIN));
        for r in rules {
            let what = format!("add rule masquerade {r}");
            changes.push(rule::append(FAMILY, TABLE, CHAIN, &r.exprs(), what).needing(MASQ));
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
    /// The postrouting chain exists as `base()` describes it.
    pub chain_ok: bool,
    /// Masquerade rules with their handles, in chain order.
    pub rules: Vec<(u64, Masquerade)>,
    /// Chains and rules in the table that l2x did not write, in words.
    pub foreign: Vec<String>,
}

impl Owned {
    pub fn read(chains: &[Chain], rules: &[Rule]) -> Owned {
        let mut owned = Owned::default();
        for c in chains.iter().filter(|c| is_ours(c.family, &c.table)) {
            if c.name == CHAIN {
                owned.chain_ok = c.base == Some(base());
            } else {
                owned.foreign.push(format!("chain {}", c.name));
            }
        }
        for r in rules
            .iter()
            .filter(|r| r.table == TABLE && r.chain == CHAIN)
        {
            match Masquerade::from_exprs(&r.exprs) {
                Some(m) => owned.rules.push((r.handle, m)),
                None => {
                    let names: Vec<&str> = r.exprs.iter().map(Expr::name).collect();
                    let what = format!("rule handle {} ({})", r.handle, names.join(" "));
                    owned.foreign.push(what);
                }
            }
        }
        owned
    }

    /// The masquerades, each once, in chain order.
    pub fn masquerades(&self) -> Vec<Masquerade> {
        let mut list: Vec<Masquerade> = Vec::new();
        for (_, m) in &self.rules {
            if !list.contains(m) {
                list.push(m.clone());
            }
        }
        list
    }

    /// The table holds exactly `wanted` and its chain is as l2x makes it: nothing to send.
    pub fn holds_exactly(&self, wanted: &[Masquerade]) -> bool {
        let have: Vec<&Masquerade> = self.rules.iter().map(|(_, m)| m).collect();
        let wanted: Vec<&Masquerade> = wanted.iter().collect();
        (self.chain_ok || wanted.is_empty()) && have == wanted
    }
}

fn is_ours(family: u8, table: &str) -> bool {
    family == FAMILY && table == TABLE
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::nft::golden;
    use crate::msg::nft::{NFT_MSG_NEWCHAIN, NFT_MSG_NEWRULE, msg_type};

    /// Any generation: the golden comparison leaves it out, nft 1.0.6 sends none.
    const GEN: u32 = 7;

    fn masq(source: &str, out: Option<&str>) -> Masquerade {
        Masquerade {
            source: source.parse().unwrap(),
            out: out.map(str::to_string),
        }
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
    fn unaligned_prefixes_are_masked_bitwise() {
        let e = masq("10.0.16.0/20", None).exprs();
        assert_eq!(
            e[..3],
            [
                Expr::Payload {
                    base: NFT_PAYLOAD_NETWORK_HEADER,
                    offset: IPV4_SADDR,
                    len: 4
                },
                Expr::Bitwise {
                    mask: vec![0xff, 0xff, 0xf0, 0],
                    xor: vec![0; 4]
                },
                Expr::Cmp {
                    op: NFT_CMP_EQ,
                    data: vec![10, 0, 16, 0]
                },
            ]
        );
        let aligned = masq("10.0.5.0/24", None).exprs();
        assert!(!aligned.iter().any(|e| matches!(e, Expr::Bitwise { .. })));
    }

    #[test]
    fn every_prefix_length_reads_back() {
        for prefix in 1..=32 {
            let net = Ipv4Network::new(Ipv4Addr::new(10, 200, 255, 255), prefix).unwrap();
            let m = Masquerade {
                source: Ipv4Network::new(net.network(), prefix).unwrap(),
                out: (prefix % 2 == 0).then(|| "eth0".to_string()),
            };
            assert_eq!(Masquerade::from_exprs(&m.exprs()), Some(m), "/{prefix}");
        }
    }

    #[test]
    fn kernel_dump_reads_as_two_masquerades() {
        let dump = include_str!("../../../tests/golden/nft-dump-rules.hex");
        let rules: Vec<Rule> = golden::bodies(dump, msg_type(NFT_MSG_NEWRULE))
            .iter()
            .filter_map(|b| Rule::parse(b))
            .collect();
        let chains = include_str!("../../../tests/golden/nft-dump-chains.hex");
        let chains: Vec<Chain> = golden::bodies(chains, msg_type(NFT_MSG_NEWCHAIN))
            .iter()
            .filter_map(|b| Chain::parse(b))
            .collect();
        let owned = Owned::read(&chains, &rules);
        assert_eq!(
            owned,
            Owned {
                chain_ok: true,
                rules: vec![
                    (2, masq("10.0.5.0/24", None)),
                    (3, masq("10.0.16.0/20", Some("up0")))
                ],
                foreign: vec![],
            }
        );
        assert!(owned.holds_exactly(&owned.masquerades()));
    }

    #[test]
    fn rules_l2x_did_not_write_are_named() {
        let mut exprs = masq("10.0.5.0/24", None).exprs();
        exprs.insert(4, Expr::Other("counter".into()));
        let rule = Rule {
            table: TABLE.into(),
            chain: CHAIN.into(),
            handle: 9,
            exprs,
        };
        let owned = Owned::read(&[], &[rule]);
        assert_eq!(
            owned.foreign,
            ["rule handle 9 (payload cmp payload cmp counter masq)"]
        );
    }

    #[test]
    fn duplicates_are_listed_once_and_rewritten_away() {
        let m = masq("10.0.5.0/24", None);
        let owned = Owned {
            chain_ok: true,
            rules: vec![(2, m.clone()), (3, m.clone())],
            foreign: vec![],
        };
        assert_eq!(owned.masquerades(), std::slice::from_ref(&m));
        assert!(!owned.holds_exactly(&[m]));
    }
}
