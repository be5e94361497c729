//! `nat map`: 1:1 NAT, a public address of the host standing for one machine on the segment,
//! every port both ways. Three kernel rules make one map:
//!
//! - prerouting: `[iifname IN] ip daddr PUBLIC dnat to TO`: connections from outside;
//! - output: `ip daddr PUBLIC dnat to TO`: connections the host itself opens;
//! - postrouting: `ip saddr TO [oifname IN] snat to PUBLIC`: the machine's own connections
//!   leave with the public address. It comes before the masquerades, which would otherwise
//!   give them the interface's address.

use std::fmt;
use std::net::Ipv4Addr;

use super::expr::{Expr, NFT_META_IIFNAME, NFT_META_OIFNAME, NFT_NAT_DNAT, NFT_NAT_SNAT};
use super::matches::{self, Cursor, IPV4_DADDR, IPV4_SADDR};
use super::nat::{Listed, NatChain};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Map {
    pub public: Ipv4Addr,
    pub to: Ipv4Addr,
    /// The public side: only what arrives there is rewritten to `to`, only what leaves there
    /// gets `public` (any interface when `None`).
    pub iface: Option<String>,
}

impl fmt::Display for Map {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} to {}", self.public, self.to)?;
        if let Some(iface) = &self.iface {
            write!(f, " in {iface}")?;
        }
        Ok(())
    }
}

impl Map {
    pub fn prerouting(&self) -> Vec<Expr> {
        let mut e = Vec::new();
        if let Some(iface) = &self.iface {
            e.extend(matches::ifname(NFT_META_IIFNAME, iface));
        }
        e.extend(self.output());
        e
    }

    pub fn output(&self) -> Vec<Expr> {
        let mut e = matches::address(IPV4_DADDR, self.public);
        e.extend(matches::dnat(self.to, None));
        e
    }

    pub fn postrouting(&self) -> Vec<Expr> {
        let mut e = matches::address(IPV4_SADDR, self.to);
        if let Some(iface) = &self.iface {
            e.extend(matches::ifname(NFT_META_OIFNAME, iface));
        }
        e.extend(matches::snat(self.public));
        e
    }

    /// The kernel rules of this map.
    pub fn placed(&self) -> Vec<(NatChain, Vec<Expr>)> {
        vec![
            (NatChain::Prerouting, self.prerouting()),
            (NatChain::Output, self.output()),
            (NatChain::Postrouting, self.postrouting()),
        ]
    }

    /// The map a prerouting rule says, if the rule is exactly what `prerouting` makes.
    pub fn from_prerouting(exprs: &[Expr]) -> Option<Map> {
        let mut c = Cursor::new(exprs);
        let iface = c.ifname(NFT_META_IIFNAME);
        let public = c.address(IPV4_DADDR)?;
        let (to, _) = c.nat(NFT_NAT_DNAT)?;
        let found = Map { public, to, iface };
        (found.prerouting() == exprs).then_some(found)
    }

    /// The map an output rule says (without its interface), if the rule is exactly what
    /// `output` makes.
    fn from_output(exprs: &[Expr]) -> Option<Map> {
        let mut c = Cursor::new(exprs);
        let public = c.address(IPV4_DADDR)?;
        let (to, _) = c.nat(NFT_NAT_DNAT)?;
        let iface = None;
        let found = Map { public, to, iface };
        (found.output() == exprs).then_some(found)
    }

    /// The map a postrouting rule says, if the rule is exactly what `postrouting` makes.
    fn from_postrouting(exprs: &[Expr]) -> Option<Map> {
        let mut c = Cursor::new(exprs);
        let to = c.address(IPV4_SADDR)?;
        let iface = c.ifname(NFT_META_OIFNAME);
        let (public, _) = c.nat(NFT_NAT_SNAT)?;
        let found = Map { public, to, iface };
        (found.postrouting() == exprs).then_some(found)
    }

    /// The maps among the table's rules, each with the handle of its prerouting rule;
    /// `claimed` gets the handle of every rule that has the form of a map's, whole or not.
    pub fn find(listed: &[Listed], claimed: &mut Vec<u64>) -> Vec<(u64, Map)> {
        let mut found = Vec::new();
        for r in listed {
            let piece = match r.chain {
                NatChain::Prerouting => Map::from_prerouting(r.exprs),
                NatChain::Output => Map::from_output(r.exprs),
                NatChain::Postrouting => Map::from_postrouting(r.exprs),
            };
            let Some(map) = piece else { continue };
            claimed.push(r.handle);
            if r.chain == NatChain::Prerouting {
                found.push((r.handle, map));
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::nft::nat::tests::listed_of;

    #[test]
    fn every_form_reads_back() {
        for iface in [None, Some("up0".to_string())] {
            let m = Map {
                public: Ipv4Addr::new(192, 0, 2, 7),
                to: Ipv4Addr::new(10, 0, 5, 7),
                iface,
            };
            let placed = m.placed();
            let listed = listed_of(&placed);
            let mut claimed = Vec::new();
            assert_eq!(Map::find(&listed, &mut claimed), [(2, m.clone())]);
            assert_eq!(claimed, [2, 3, 4], "{m}");
        }
    }
}
