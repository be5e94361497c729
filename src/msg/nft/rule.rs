//! Rules: NFT_MSG_NEWRULE appending a rule to a chain, and the dump of one table's rules.

use super::expr::{self, Expr};
use super::{NF_TABLES, NFT_MSG_GETRULE, NFT_MSG_NEWRULE, message, parse};
use crate::msg::attr::NLA_F_NESTED;
use crate::msg::{NLM_F_APPEND, NLM_F_CREATE, NLM_F_DUMP, Netfilter, Request};

// include/uapi/linux/netfilter/nf_tables.h, enum nft_rule_attributes
pub const NFTA_RULE_TABLE: u16 = 1;
pub const NFTA_RULE_CHAIN: u16 = 2;
pub const NFTA_RULE_HANDLE: u16 = 3;
pub const NFTA_RULE_EXPRESSIONS: u16 = 4;

/// A rule as the kernel lists it; the handle is what `nft -a` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub table: String,
    pub chain: String,
    pub handle: u64,
    pub exprs: Vec<Expr>,
}

impl Rule {
    pub fn parse(body: &[u8]) -> Option<Rule> {
        let (_, attrs) = parse(body)?;
        Some(Rule {
            table: attrs.get(NFTA_RULE_TABLE)?.str()?.to_string(),
            chain: attrs.get(NFTA_RULE_CHAIN)?.str()?.to_string(),
            handle: attrs.get(NFTA_RULE_HANDLE)?.be64()?,
            exprs: attrs
                .get(NFTA_RULE_EXPRESSIONS)
                .map_or_else(Vec::new, |list| expr::read_list(list.nested())),
        })
    }
}

/// `nft add rule FAMILY TABLE CHAIN ...`: appended after the chain's last rule.
pub fn append(
    family: u8,
    table: &str,
    chain: &str,
    exprs: &[Expr],
    what: String,
) -> Request<Netfilter> {
    message(
        NFT_MSG_NEWRULE,
        family,
        NLM_F_CREATE | NLM_F_APPEND,
        what,
        |w| {
            w.str(NFTA_RULE_TABLE, table)
                .str(NFTA_RULE_CHAIN, chain)
                .nest(NFTA_RULE_EXPRESSIONS | NLA_F_NESTED, |list| {
                    expr::write_list(list, exprs)
                });
        },
    )
}

/// Every rule of one table, in chain order; an absent table lists nothing.
pub fn dump(family: u8, table: &str) -> Request<Netfilter> {
    let what = format!("list rules of table {table}");
    message(NFT_MSG_GETRULE, family, NLM_F_DUMP, what, |w| {
        w.str(NFTA_RULE_TABLE, table);
    })
    .needing(NF_TABLES)
}
