//! The table that keeps other DHCP servers off a bridge l2x serves, `bridge l2x`: one filter
//! chain on the bridge family's prerouting hook (every frame that enters a bridge by one of its
//! ports passes it; what the host itself sends through the bridge does not), holding one rule
//! per guarded bridge:
//!
//! ```text
//! meta ibrname "br0" [iifname != "PORT" ...] udp sport 67 @th,64,8 2 drop
//! ```
//!
//! that is: a BOOTREPLY (the first byte of the UDP payload is 2) from UDP port 67 that came in
//! by a port of br0, other than the ports the bridge allows, is dropped. Replies of the server
//! on the host itself never enter by a port; on a host without the server, the allowed ports
//! are the ones that lead to it (a tunnel). Requests, and a relay's forwarding of them, are
//! BOOTREQUESTs and pass.
//!
//! As with `nat`, every change rewrites the whole table in one batch on the ruleset generation
//! it was read at: the list of guards is what the table holds, nothing else.

use super::batch::batch;
use super::chain::{self, Base, Chain, NF_ACCEPT, NF_DROP};
use super::expr::{
    Expr, NFT_CMP_EQ, NFT_CMP_NEQ, NFT_META_BRI_IIFNAME, NFT_META_IIFNAME, NFT_META_L4PROTO,
    NFT_PAYLOAD_TRANSPORT_HEADER,
};
use super::matches::{self, Cursor};
use super::rule::{self, Rule};
use super::{NFPROTO_BRIDGE, table};
use crate::msg::{Feature, Netfilter, Request};

pub const FAMILY: u8 = NFPROTO_BRIDGE;
pub const TABLE: &str = "l2x";
pub const CHAIN: &str = "dhcp-guard";
/// nft's named priority `filter` for the bridge family.
pub const PRIORITY: i32 = -200;
// include/uapi/linux/netfilter_bridge.h
const NF_BR_PRE_ROUTING: u32 = 0;

const IPPROTO_UDP: u8 = 17;
const BOOTPS: u16 = 67;
const BOOTREPLY: u8 = 2;
/// The UDP header's source port, and the first payload byte (BOOTP's op) after its 8 bytes.
const UDP_SPORT: u32 = 0;
const BOOTP_OP: u32 = 8;

/// `meta ibrname` lives in its own module, which not every kernel has.
const BRIDGE_META: Feature = Feature {
    name: "nftables bridge meta (meta ibrname)",
    module: "nft_meta_bridge",
};

/// The chain l2x makes: `type filter hook prerouting priority -200; policy accept;`.
pub fn base() -> Base {
    Base {
        kind: "filter".into(),
        hook: NF_BR_PRE_ROUTING,
        priority: PRIORITY,
        policy: NF_ACCEPT,
    }
}

/// DHCP server replies entering `bridge` by any port but `allowed` are dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guard {
    pub bridge: String,
    pub allowed: Vec<String>,
}

impl Guard {
    pub fn new(bridge: &str) -> Guard {
        Guard {
            bridge: bridge.to_string(),
            allowed: Vec::new(),
        }
    }

    /// The rule's expressions, as nft compiles the rule above.
    pub fn exprs(&self) -> Vec<Expr> {
        let cmp = |data: Vec<u8>| Expr::Cmp {
            op: NFT_CMP_EQ,
            data,
        };
        let th = |offset, len| Expr::Payload {
            base: NFT_PAYLOAD_TRANSPORT_HEADER,
            offset,
            len,
        };
        let mut e = matches::ifname(NFT_META_BRI_IIFNAME, &self.bridge);
        for port in &self.allowed {
            let mut not = matches::ifname(NFT_META_IIFNAME, port);
            if let Some(Expr::Cmp { op, .. }) = not.last_mut() {
                *op = NFT_CMP_NEQ;
            }
            e.extend(not);
        }
        e.extend([
            Expr::Meta {
                key: NFT_META_L4PROTO,
            },
            cmp(vec![IPPROTO_UDP]),
            th(UDP_SPORT, 2),
            cmp(BOOTPS.to_be_bytes().to_vec()),
            th(BOOTP_OP, 1),
            cmp(vec![BOOTREPLY]),
            Expr::Verdict(NF_DROP),
        ]);
        e
    }

    /// The guard a rule's expressions say, if they are exactly what `exprs` makes.
    pub fn from_exprs(exprs: &[Expr]) -> Option<Guard> {
        let mut c = Cursor::new(exprs);
        let bridge = c.ifname(NFT_META_BRI_IIFNAME)?;
        let mut allowed = Vec::new();
        while let Some(port) = c.ifname(NFT_META_IIFNAME) {
            allowed.push(port);
        }
        let found = Guard { bridge, allowed };
        (found.exprs() == exprs).then_some(found)
    }
}

/// The batch that makes table bridge l2x hold exactly `guards`, or removes the table when
/// there are none; refused if the ruleset is no longer at `generation`.
pub fn rewrite(generation: u32, guards: &[Guard]) -> Vec<Request<Netfilter>> {
    let mut changes = vec![table::add(FAMILY, TABLE), table::delete(FAMILY, TABLE)];
    if !guards.is_empty() {
        changes.push(table::add(FAMILY, TABLE));
        changes.push(chain::add(FAMILY, TABLE, CHAIN, &base()));
        for g in guards {
            let what = format!(
                "add rule dropping other DHCP servers' replies on {}",
                g.bridge
            );
            changes.push(rule::append(FAMILY, TABLE, CHAIN, &g.exprs(), what).needing(BRIDGE_META));
        }
    }
    batch(generation, changes)
}

/// The rules of table bridge l2x.
pub fn dump_rules() -> Request<Netfilter> {
    rule::dump(FAMILY, TABLE)
}

/// The guards table bridge l2x holds, and whether its chain is as l2x makes it; rules l2x did
/// not write are left out (and go at the next rewrite).
pub fn read(chains: &[Chain], rules: &[Rule]) -> (bool, Vec<Guard>) {
    let chain_ok = chains.iter().any(|c| {
        c.family == FAMILY && c.table == TABLE && c.name == CHAIN && c.base == Some(base())
    });
    let guards = rules
        .iter()
        .filter(|r| r.table == TABLE && r.chain == CHAIN)
        .filter_map(|r| Guard::from_exprs(&r.exprs))
        .collect();
    (chain_ok, guards)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::nft::golden;

    const GEN: u32 = 7;

    #[test]
    fn two_guards_match_nft() {
        let br1 = Guard {
            bridge: "br1".into(),
            allowed: vec!["tun1".into(), "tun2".into()],
        };
        golden::assert_batch_matches(
            &rewrite(GEN, &[Guard::new("br0"), br1]),
            include_str!("../../../tests/golden/nft-dhcp-guard.hex"),
        );
    }

    #[test]
    fn no_guards_remove_the_table() {
        golden::assert_batch_matches(
            &rewrite(GEN, &[]),
            include_str!("../../../tests/golden/nft-dhcp-guard-remove.hex"),
        );
    }

    #[test]
    fn a_guard_reads_back_from_its_expressions() {
        for allowed in [
            vec![],
            vec!["vx0".to_string()],
            vec!["a".into(), "b".into()],
        ] {
            let g = Guard {
                bridge: "br0".into(),
                allowed,
            };
            assert_eq!(Guard::from_exprs(&g.exprs()), Some(g.clone()));
        }
        let mut other = Guard::new("br0").exprs();
        other.pop();
        other.push(Expr::Verdict(NF_ACCEPT));
        assert_eq!(Guard::from_exprs(&other), None);
        let rule = |exprs| Rule {
            table: TABLE.into(),
            chain: CHAIN.into(),
            handle: 3,
            exprs,
        };
        let chain = Chain {
            family: FAMILY,
            table: TABLE.into(),
            name: CHAIN.into(),
            base: Some(base()),
        };
        let (ok, guards) = read(&[chain], &[rule(Guard::new("br0").exprs()), rule(other)]);
        assert!(ok);
        assert_eq!(guards, [Guard::new("br0")]);
    }
}
