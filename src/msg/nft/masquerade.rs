//! `nat masq`: traffic from a network to anywhere outside it leaves with the outgoing
//! interface's address as its source. One rule in the postrouting chain.

use std::fmt;

use ipnetwork::Ipv4Network;

use super::expr::{Expr, NFT_CMP_EQ, NFT_CMP_NEQ, NFT_META_OIFNAME};
use super::matches::{self, Cursor, IPV4_DADDR, IPV4_SADDR};
use super::nat::{Listed, NatChain};

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
        let mut e = matches::prefix(IPV4_SADDR, NFT_CMP_EQ, self.source);
        e.extend(matches::prefix(IPV4_DADDR, NFT_CMP_NEQ, self.source));
        if let Some(out) = &self.out {
            e.extend(matches::ifname(NFT_META_OIFNAME, out));
        }
        e.push(Expr::Masq);
        e
    }

    /// The masquerade a rule's expressions say, if they are exactly what `exprs` makes.
    pub fn from_exprs(exprs: &[Expr]) -> Option<Masquerade> {
        let mut c = Cursor::new(exprs);
        let (_, source) = c.prefix(IPV4_SADDR)?;
        c.prefix(IPV4_DADDR)?;
        let found = Masquerade {
            source,
            out: c.ifname(NFT_META_OIFNAME),
        };
        (found.exprs() == exprs).then_some(found)
    }

    /// The kernel rules of this masquerade.
    pub fn placed(&self) -> Vec<(NatChain, Vec<Expr>)> {
        vec![(NatChain::Postrouting, self.exprs())]
    }

    /// The masquerades among the table's rules, each with its handle; `claimed` gets the
    /// handle of every rule read as one.
    pub fn find(listed: &[Listed], claimed: &mut Vec<u64>) -> Vec<(u64, Masquerade)> {
        let found: Vec<(u64, Masquerade)> = listed
            .iter()
            .filter(|r| r.chain == NatChain::Postrouting)
            .filter_map(|r| Some((r.handle, Masquerade::from_exprs(r.exprs)?)))
            .collect();
        claimed.extend(found.iter().map(|(h, _)| h));
        found
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::msg::nft::expr::NFT_PAYLOAD_NETWORK_HEADER;

    fn masq(source: &str, out: Option<&str>) -> Masquerade {
        Masquerade {
            source: source.parse().unwrap(),
            out: out.map(str::to_string),
        }
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
    fn a_rule_with_more_is_not_a_masquerade() {
        let mut exprs = masq("10.0.5.0/24", None).exprs();
        exprs.insert(4, Expr::Other("counter".into()));
        assert_eq!(Masquerade::from_exprs(&exprs), None);
    }
}
