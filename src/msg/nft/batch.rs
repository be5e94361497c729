//! The nf_tables transaction: NFNL_MSG_BATCH_BEGIN, the changes, NFNL_MSG_BATCH_END, sent in one
//! datagram and applied by the kernel all or none. The batch names the ruleset generation its
//! changes were computed from; if anyone committed since, the kernel refuses it with ERESTART
//! instead of letting a stale read overwrite their change.

use super::{NF_TABLES, NFNL_SUBSYS_NFTABLES, NFPROTO_UNSPEC, message, nfgenmsg, parse};
use crate::msg::attr::AttrWriter;
use crate::msg::{AF_UNSPEC, NLM_F_ACK, Netfilter, Request};

// include/uapi/linux/netfilter/nfnetlink.h
pub const NFNL_MSG_BATCH_BEGIN: u16 = 16;
pub const NFNL_MSG_BATCH_END: u16 = 17;
pub const NFNL_BATCH_GENID: u16 = 1;

// include/uapi/linux/netfilter/nf_tables.h
pub const NFT_MSG_GETGEN: u16 = 16;
pub const NFTA_GEN_ID: u16 = 1;

/// Asks for the ruleset's generation, a counter the kernel bumps on every commit.
pub fn get_generation() -> Request<Netfilter> {
    message(
        NFT_MSG_GETGEN,
        NFPROTO_UNSPEC,
        0,
        "read the ruleset generation".into(),
        |_| {},
    )
    .needing(NF_TABLES)
}

/// The generation in the kernel's NFT_MSG_NEWGEN answer.
pub fn parse_generation(body: &[u8]) -> Option<u32> {
    parse(body)?.1.get(NFTA_GEN_ID)?.be32()
}

/// Wraps changes computed from ruleset `generation` in BATCH_BEGIN ... BATCH_END. Every change
/// asks for an ACK so that the caller can wait for each; the delimiters ask for none, as
/// kernels before 6.10 never acknowledge them. A commit that fails is answered at
/// BATCH_BEGIN's sequence number, before the other messages' ACKs, so nothing is missed.
pub fn batch(generation: u32, changes: Vec<Request<Netfilter>>) -> Vec<Request<Netfilter>> {
    let mut begin = AttrWriter::with_header(&nfgenmsg(AF_UNSPEC, NFNL_SUBSYS_NFTABLES));
    begin.be32(NFNL_BATCH_GENID, generation);
    let end = nfgenmsg(AF_UNSPEC, NFNL_SUBSYS_NFTABLES).to_vec();
    let mut all = Vec::with_capacity(changes.len() + 2);
    all.push(
        Request::new(
            NFNL_MSG_BATCH_BEGIN,
            0,
            begin.finish(),
            "nf_tables transaction",
        )
        .needing(NF_TABLES),
    );
    all.extend(changes.into_iter().map(|mut r| {
        r.flags |= NLM_F_ACK;
        r
    }));
    all.push(Request::new(NFNL_MSG_BATCH_END, 0, end, "nf_tables commit"));
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::attr::Attrs;

    #[test]
    fn the_batch_names_its_generation_and_only_changes_ask_for_acks() {
        let change = Request::new(0x0a00, 0, vec![2, 0, 0, 0], "change");
        let reqs = batch(0x5bcb, vec![change]);
        let kinds: Vec<u16> = reqs.iter().map(|r| r.kind).collect();
        assert_eq!(kinds, [NFNL_MSG_BATCH_BEGIN, 0x0a00, NFNL_MSG_BATCH_END]);
        let acks: Vec<bool> = reqs.iter().map(|r| r.flags & NLM_F_ACK != 0).collect();
        assert_eq!(acks, [false, true, false]);
        let begin = Attrs(&reqs[0].body[4..]);
        assert_eq!(
            begin.get(NFNL_BATCH_GENID).and_then(|a| a.be32()),
            Some(0x5bcb)
        );
    }

    #[test]
    fn generation_is_read_from_newgen() {
        // NFT_MSG_NEWGEN as the kernel sent it to nft 1.0.6: id 0x5bcb, pid 11, "nft".
        let mut w = AttrWriter::with_header(&[0, 0, 0, 11]);
        w.be32(NFTA_GEN_ID, 0x5bcb).be32(2, 11).str(3, "nft");
        assert_eq!(parse_generation(&w.finish()), Some(0x5bcb));
    }
}
