//! nf_tables over nfnetlink: the message framing (struct nfgenmsg after the netlink header,
//! message types in subsystem NFNL_SUBSYS_NFTABLES) and the batch that makes several changes
//! one atomic transaction. The objects live in their own files: table, chain, rule, the rule's
//! expressions, and `nat`, the table l2x owns.

pub mod chain;
pub mod expr;
pub mod nat;
pub mod rule;
pub mod table;

use super::attr::{AttrWriter, Attrs};
use super::{AF_UNSPEC, Feature, NLM_F_ACK, Request};

/// What a request to the nf_tables subsystem needs, named in the error when the kernel lacks it.
pub const NF_TABLES: Feature = Feature {
    name: "nf_tables",
    module: "nf_tables",
};

// include/uapi/linux/netfilter/nfnetlink.h
pub const NFNL_SUBSYS_NFTABLES: u16 = 10;
pub const NFNL_MSG_BATCH_BEGIN: u16 = 16;
pub const NFNL_MSG_BATCH_END: u16 = 17;
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
) -> Request {
    let mut w = AttrWriter::with_header(&nfgenmsg(family, 0));
    fill(&mut w);
    Request::new(msg_type(nft_msg), flags, w.finish(), what)
}

/// The family and attributes of a message the kernel sent (a dump reply).
pub fn parse(body: &[u8]) -> Option<(u8, Attrs<'_>)> {
    Some((*body.first()?, Attrs(body.get(4..)?)))
}

/// Wraps changes in NFNL_MSG_BATCH_BEGIN ... NFNL_MSG_BATCH_END, which the kernel applies all
/// or none. Every change asks for an ACK so that the caller can wait for each; the delimiters
/// ask for none, as kernels before 6.10 never acknowledge them. A commit that fails is answered
/// at BATCH_BEGIN's sequence number, before the other messages' ACKs, so nothing is missed.
pub fn batch(changes: Vec<Request>) -> Vec<Request> {
    let delimiter = |kind, what: &str| {
        let body = nfgenmsg(AF_UNSPEC, NFNL_SUBSYS_NFTABLES).to_vec();
        Request::new(kind, 0, body, what).needing(NF_TABLES)
    };
    let mut all = Vec::with_capacity(changes.len() + 2);
    all.push(delimiter(NFNL_MSG_BATCH_BEGIN, "nf_tables transaction"));
    all.extend(changes.into_iter().map(|mut r| {
        r.flags |= NLM_F_ACK;
        r
    }));
    all.push(delimiter(NFNL_MSG_BATCH_END, "nf_tables commit"));
    all
}

/// Golden-byte comparison for batches: a capture holds several messages back to back; each
/// one's sequence number and port id are zeroed before comparing. `nft` asks for no ACKs (it
/// reads errors without waiting), l2x asks for one per change: that one bit is cleared on l2x's
/// side.
#[cfg(test)]
pub mod golden {
    use crate::msg::{NLM_F_ACK, Request, golden};

    /// Splits a capture into its messages, sequence number and port id zeroed.
    pub fn messages(capture: &str) -> Vec<Vec<u8>> {
        let bytes = golden::parse(capture);
        let mut rest = &bytes[..];
        let mut out = Vec::new();
        while rest.len() >= 16 {
            let len = u32::from_ne_bytes(rest[0..4].try_into().unwrap()) as usize;
            let mut msg = rest[..len].to_vec();
            msg[8..16].fill(0);
            out.push(msg);
            rest = &rest[((len + 3) & !3).min(rest.len())..];
        }
        out
    }

    /// The bodies (after the netlink header) of the captured messages of one type.
    pub fn bodies(capture: &str, kind: u16) -> Vec<Vec<u8>> {
        messages(capture)
            .into_iter()
            .filter(|m| u16::from_ne_bytes([m[4], m[5]]) == kind)
            .map(|m| m[16..].to_vec())
            .collect()
    }

    pub fn assert_batch_matches(reqs: &[Request], capture: &str) {
        let want = messages(capture);
        assert_eq!(reqs.len(), want.len(), "number of messages in the batch");
        for (i, (req, want)) in reqs.iter().zip(&want).enumerate() {
            let mut plain = req.clone();
            plain.flags &= !NLM_F_ACK;
            assert_eq!(
                golden::hex(&plain.to_bytes(0, 0)),
                golden::hex(want),
                "message {i} ('{}') differs from capture",
                req.what
            );
        }
    }
}
