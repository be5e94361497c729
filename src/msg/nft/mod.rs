//! nf_tables over nfnetlink: the message framing (struct nfgenmsg after the netlink header,
//! message types in subsystem NFNL_SUBSYS_NFTABLES). The rest lives in its own files: the
//! batch that makes changes one transaction, table, chain, rule, the rule's expressions and
//! the matches made of them, and the tables l2x owns: `nat` (ip l2x) with its rule kinds
//! (masquerade, forward, map), and `dhcp_guard` (bridge l2x).

pub mod batch;
pub mod chain;
pub mod dhcp_guard;
pub mod expr;
pub mod forward;
pub mod map;
pub mod masquerade;
pub mod matches;
pub mod nat;
pub mod rule;
pub mod table;

use super::attr::{AttrWriter, Attrs};
use super::{Feature, Netfilter, Request};

/// What a request to the nf_tables subsystem needs, named in the error when the kernel lacks it.
pub const NF_TABLES: Feature = Feature {
    name: "nf_tables",
    module: "nf_tables",
};

// include/uapi/linux/netfilter/nfnetlink.h
pub const NFNL_SUBSYS_NFTABLES: u16 = 10;
pub const NFNETLINK_V0: u8 = 0;

// include/uapi/linux/netfilter/nf_tables.h, enum nf_tables_msg_types
pub const NFT_MSG_NEWTABLE: u16 = 0;
pub const NFT_MSG_DELTABLE: u16 = 2;
pub const NFT_MSG_NEWCHAIN: u16 = 3;
pub const NFT_MSG_GETCHAIN: u16 = 4;
pub const NFT_MSG_NEWRULE: u16 = 6;
pub const NFT_MSG_GETRULE: u16 = 7;

// include/uapi/linux/netfilter.h: the families nf_tables tables belong to
pub const NFPROTO_UNSPEC: u8 = 0;
pub const NFPROTO_INET: u8 = 1;
pub const NFPROTO_IPV4: u8 = 2;
pub const NFPROTO_ARP: u8 = 3;
pub const NFPROTO_NETDEV: u8 = 5;
pub const NFPROTO_BRIDGE: u8 = 7;
pub const NFPROTO_IPV6: u8 = 10;

/// A family as nft writes it (`table ip l2x`, `table inet filter`).
pub fn family_name(family: u8) -> &'static str {
    match family {
        NFPROTO_INET => "inet",
        NFPROTO_IPV4 => "ip",
        NFPROTO_ARP => "arp",
        NFPROTO_NETDEV => "netdev",
        NFPROTO_BRIDGE => "bridge",
        NFPROTO_IPV6 => "ip6",
        _ => "unknown",
    }
}

/// The nlmsg_type of an nf_tables message.
pub const fn msg_type(nft_msg: u16) -> u16 {
    (NFNL_SUBSYS_NFTABLES << 8) | nft_msg
}

/// struct nfgenmsg: address family, version, resource id (big endian).
fn nfgenmsg(family: u8, res_id: u16) -> [u8; 4] {
    let id = res_id.to_be_bytes();
    [family, NFNETLINK_V0, id[0], id[1]]
}

/// An nf_tables message of one family with its attributes.
fn message(
    nft_msg: u16,
    family: u8,
    flags: u16,
    what: String,
    fill: impl FnOnce(&mut AttrWriter),
) -> Request<Netfilter> {
    let mut w = AttrWriter::with_header(&nfgenmsg(family, 0));
    fill(&mut w);
    Request::new(msg_type(nft_msg), flags, w.finish(), what)
}

/// The family and attributes of a message the kernel sent (a dump reply).
pub fn parse(body: &[u8]) -> Option<(u8, Attrs<'_>)> {
    Some((*body.first()?, Attrs(body.get(4..)?)))
}

/// Golden-byte comparison for batches: a capture holds several messages back to back; each
/// one's sequence number and port id are zeroed before comparing. Two differences from nft
/// 1.0.6 are taken out on l2x's side: nft asks for no ACKs (it reads errors without waiting)
/// where l2x asks for one per change, and nft's BATCH_BEGIN carries no NFNL_BATCH_GENID (it
/// read no ruleset first) where l2x's carries the generation it read.
#[cfg(test)]
pub mod golden {
    use super::batch::NFNL_MSG_BATCH_BEGIN;
    pub use crate::msg::golden::{bodies, messages};
    use crate::msg::{NLM_F_ACK, Netfilter, Request, golden};

    pub fn assert_batch_matches(reqs: &[Request<Netfilter>], capture: &str) {
        let want = messages(capture);
        assert_eq!(reqs.len(), want.len(), "number of messages in the batch");
        for (i, (req, want)) in reqs.iter().zip(&want).enumerate() {
            let mut plain = req.clone();
            plain.flags &= !NLM_F_ACK;
            if plain.kind == NFNL_MSG_BATCH_BEGIN {
                plain.body.truncate(4); // struct nfgenmsg only
            }
            assert_eq!(
                golden::hex(&plain.to_bytes(0, 0)),
                golden::hex(want),
                "message {i} ('{}') differs from capture",
                req.what
            );
        }
    }
}
