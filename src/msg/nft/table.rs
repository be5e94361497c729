//! Tables: NFT_MSG_NEWTABLE and NFT_MSG_DELTABLE, by family and name.

use super::{NFT_MSG_DELTABLE, NFT_MSG_NEWTABLE, message};
use crate::msg::{Netfilter, Request};

// include/uapi/linux/netfilter/nf_tables.h, enum nft_table_attributes
pub const NFTA_TABLE_NAME: u16 = 1;
pub const NFTA_TABLE_FLAGS: u16 = 2;

/// `nft add table`: creates the table, or leaves an existing one as it is (no NLM_F_EXCL).
pub fn add(family: u8, name: &str) -> Request<Netfilter> {
    message(
        NFT_MSG_NEWTABLE,
        family,
        0,
        format!("add table {name}"),
        |w| {
            w.str(NFTA_TABLE_NAME, name).be32(NFTA_TABLE_FLAGS, 0);
        },
    )
}

/// `nft delete table`: the table with its chains and rules.
pub fn delete(family: u8, name: &str) -> Request<Netfilter> {
    message(
        NFT_MSG_DELTABLE,
        family,
        0,
        format!("delete table {name}"),
        |w| {
            w.str(NFTA_TABLE_NAME, name);
        },
    )
}
