//! Chains: NFT_MSG_NEWCHAIN for a base chain (one attached to a netfilter hook), and the dump of
//! every chain of every table, read back to check l2x's own chain and to spot other tables'
//! chains that drop forwarded traffic.

use super::{
    NFPROTO_INET, NFPROTO_IPV4, NFPROTO_UNSPEC, NFT_MSG_GETCHAIN, NFT_MSG_NEWCHAIN, message, parse,
};
use crate::msg::attr::NLA_F_NESTED;
use crate::msg::{NLM_F_CREATE, NLM_F_DUMP, Netfilter, Request};

// include/uapi/linux/netfilter/nf_tables.h, enum nft_chain_attributes
pub const NFTA_CHAIN_TABLE: u16 = 1;
pub const NFTA_CHAIN_NAME: u16 = 3;
pub const NFTA_CHAIN_HOOK: u16 = 4;
pub const NFTA_CHAIN_POLICY: u16 = 5;
pub const NFTA_CHAIN_TYPE: u16 = 7;

// enum nft_hook_attributes
pub const NFTA_HOOK_HOOKNUM: u16 = 1;
pub const NFTA_HOOK_PRIORITY: u16 = 2;

// include/uapi/linux/netfilter.h, enum nf_inet_hooks and verdicts
pub const NF_INET_PRE_ROUTING: u32 = 0;
pub const NF_INET_LOCAL_IN: u32 = 1;
pub const NF_INET_FORWARD: u32 = 2;
pub const NF_INET_LOCAL_OUT: u32 = 3;
pub const NF_INET_POST_ROUTING: u32 = 4;
pub const NF_DROP: u32 = 0;
pub const NF_ACCEPT: u32 = 1;

/// What makes a chain a base chain: its type ("filter", "nat"), hook, priority, and the verdict
/// for packets no rule decided on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    pub kind: String,
    pub hook: u32,
    pub priority: i32,
    pub policy: u32,
}

/// A chain as the kernel lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub family: u8,
    pub table: String,
    pub name: String,
    pub base: Option<Base>,
}

impl Chain {
    pub fn parse(body: &[u8]) -> Option<Chain> {
        let (family, attrs) = parse(body)?;
        let hook = attrs.get(NFTA_CHAIN_HOOK).map(|h| h.nested());
        let base = hook.and_then(|hook| {
            Some(Base {
                kind: attrs.get(NFTA_CHAIN_TYPE)?.str()?.to_string(),
                hook: hook.get(NFTA_HOOK_HOOKNUM)?.be32()?,
                priority: hook.get(NFTA_HOOK_PRIORITY)?.be32()? as i32,
                policy: attrs.get(NFTA_CHAIN_POLICY)?.be32()?,
            })
        });
        Some(Chain {
            family,
            table: attrs.get(NFTA_CHAIN_TABLE)?.str()?.to_string(),
            name: attrs.get(NFTA_CHAIN_NAME)?.str()?.to_string(),
            base,
        })
    }

    /// A base chain on the forward hook of table ip or inet whose policy drops: with nf_tables
    /// every base chain on a hook sees the packet, so this drops routed IPv4 traffic whatever
    /// other tables accept (Docker's FORWARD chain is one).
    pub fn drops_forwarded_ipv4(&self) -> bool {
        self.drops_ipv4_on(NF_INET_FORWARD)
    }

    /// The same on the input hook: what is addressed to this host (DHCP, DNS, tunnels).
    pub fn drops_input_ipv4(&self) -> bool {
        self.drops_ipv4_on(NF_INET_LOCAL_IN)
    }

    fn drops_ipv4_on(&self, hook: u32) -> bool {
        matches!(self.family, NFPROTO_IPV4 | NFPROTO_INET)
            && self
                .base
                .as_ref()
                .is_some_and(|b| b.hook == hook && b.policy == NF_DROP)
    }
}

/// `nft add chain FAMILY TABLE NAME { type T hook H priority P; }`. The policy is sent only
/// when it is not accept, the kernel's default, so the request is the one nft sends.
pub fn add(family: u8, table: &str, name: &str, base: &Base) -> Request<Netfilter> {
    let what = format!("add chain {table} {name}");
    message(NFT_MSG_NEWCHAIN, family, NLM_F_CREATE, what, |w| {
        w.str(NFTA_CHAIN_TABLE, table)
            .str(NFTA_CHAIN_NAME, name)
            .str(NFTA_CHAIN_TYPE, &base.kind)
            .nest(NFTA_CHAIN_HOOK | NLA_F_NESTED, |h| {
                h.be32(NFTA_HOOK_HOOKNUM, base.hook)
                    .be32(NFTA_HOOK_PRIORITY, base.priority as u32);
            });
        if base.policy != NF_ACCEPT {
            w.be32(NFTA_CHAIN_POLICY, base.policy);
        }
    })
}

/// Every chain of every table, all families.
pub fn dump() -> Request<Netfilter> {
    message(
        NFT_MSG_GETCHAIN,
        NFPROTO_UNSPEC,
        NLM_F_DUMP,
        "list chains".into(),
        |_| {},
    )
    .needing(super::NF_TABLES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::nft::golden;
    use crate::msg::nft::msg_type;

    const DUMP: &str = include_str!("../../../tests/golden/nft-dump-chains.hex");

    #[test]
    fn base_chains_are_read_from_the_kernels_dump() {
        let chains: Vec<Chain> = golden::bodies(DUMP, msg_type(NFT_MSG_NEWCHAIN))
            .iter()
            .filter_map(|b| Chain::parse(b))
            .collect();
        let nat = Base {
            kind: "nat".into(),
            hook: NF_INET_POST_ROUTING,
            priority: 100,
            policy: NF_ACCEPT,
        };
        let drop = Base {
            kind: "filter".into(),
            hook: NF_INET_FORWARD,
            priority: 0,
            policy: NF_DROP,
        };
        let chain = |table: &str, name: &str, base| Chain {
            family: NFPROTO_IPV4,
            table: table.into(),
            name: name.into(),
            base: Some(base),
        };
        assert_eq!(
            chains,
            vec![
                chain("l2x", "postrouting", nat),
                chain("filter", "FORWARD", drop)
            ]
        );
        let drops: Vec<bool> = chains.iter().map(Chain::drops_forwarded_ipv4).collect();
        assert_eq!(drops, [false, true]);
    }
}
