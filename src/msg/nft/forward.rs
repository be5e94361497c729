//! `nat forward`: a port (or range) of this host forwarded to a machine on the segment. Three
//! kernel rules make one forward:
//!
//! - prerouting: `[iifname IN] (ip daddr ADDR | fib daddr type local) PROTO dport PORTS
//!   dnat to TO[:PORT]`: connections arriving for the host. Without `--addr` only destinations
//!   that are the host's own addresses match, so a container's connection through the host to
//!   port 80 elsewhere is never taken.
//! - output: `(ip daddr ADDR | ip daddr != 127.0.0.0/8 fib daddr type local) PROTO dport
//!   PORTS dnat to TO[:PORT]`: connections the host itself opens to its own address. Loopback
//!   is left alone: a packet from 127.0.0.1 rewritten to a remote destination could not leave.
//! - postrouting, with a hairpin network: `ip saddr NET ip daddr TO PROTO dport TOPORTS ct
//!   status dnat masquerade`. A machine on NET that connects to the host's public address is
//!   forwarded back onto its own segment; without the masquerade the target would answer it
//!   directly, from an address it never connected to. `ct status dnat` limits this to
//!   connections the forward rewrote (a direct connection to the target keeps its source),
//!   `ip saddr NET` to the segment (connections from the internet keep their client address,
//!   the reason to forward rather than proxy), and the port to this forward's service.

use std::fmt;
use std::net::Ipv4Addr;

use ipnetwork::Ipv4Network;

use super::expr::{Expr, NFT_CMP_EQ, NFT_CMP_NEQ, NFT_META_IIFNAME, NFT_NAT_DNAT};
use super::matches::{self, Cursor, IPV4_DADDR, IPV4_SADDR};
use super::nat::{Listed, NatChain};

// include/uapi/linux/in.h
pub const IPPROTO_TCP: u8 = 6;
pub const IPPROTO_UDP: u8 = 17;

/// 127.0.0.0/8, the loopback network (RFC 1122).
const LOOPBACK: Ipv4Network = match Ipv4Network::new_checked(Ipv4Addr::new(127, 0, 0, 0), 8) {
    Some(net) => net,
    None => panic!("127.0.0.0/8 is a network"),
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    pub fn number(self) -> u8 {
        match self {
            Proto::Tcp => IPPROTO_TCP,
            Proto::Udp => IPPROTO_UDP,
        }
    }

    fn from_number(n: u8) -> Option<Proto> {
        match n {
            IPPROTO_TCP => Some(Proto::Tcp),
            IPPROTO_UDP => Some(Proto::Udp),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

/// Ports `first` to `last`, both included; one port when they are equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PortRange {
    pub first: u16,
    pub last: u16,
}

impl PortRange {
    pub fn one(port: u16) -> PortRange {
        PortRange {
            first: port,
            last: port,
        }
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.first)?;
        if self.last != self.first {
            write!(f, "-{}", self.last)?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Forward {
    pub proto: Proto,
    /// The host's ports.
    pub ports: PortRange,
    pub to: Ipv4Addr,
    /// Every port of the range goes to this one; `None` keeps each connection's port.
    pub to_port: Option<u16>,
    /// Only connections arriving on this interface (any when `None`).
    pub iface: Option<String>,
    /// Only connections to this address of the host (any of its addresses when `None`).
    pub addr: Option<Ipv4Addr>,
    /// The segment whose connections to the forwarded port are reflected back (hairpin).
    pub hairpin: Option<Ipv4Network>,
}

impl fmt::Display for Forward {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} {} to {}", self.proto.name(), self.ports, self.to)?;
        if let Some(port) = self.to_port {
            write!(f, ":{port}")?;
        }
        if let Some(iface) = &self.iface {
            write!(f, " in {iface}")?;
        }
        if let Some(addr) = self.addr {
            write!(f, " addr {addr}")?;
        }
        if let Some(net) = self.hairpin {
            write!(f, " hairpin {net}")?;
        }
        Ok(())
    }
}

impl Forward {
    /// The ports connections reach on the target.
    fn target_ports(&self) -> PortRange {
        self.to_port.map_or(self.ports, PortRange::one)
    }

    fn dport_dnat(&self) -> Vec<Expr> {
        let mut e = matches::dport(self.proto.number(), self.ports.first, self.ports.last);
        e.extend(matches::dnat(self.to, self.to_port));
        e
    }

    pub fn prerouting(&self) -> Vec<Expr> {
        let mut e = Vec::new();
        if let Some(iface) = &self.iface {
            e.extend(matches::ifname(NFT_META_IIFNAME, iface));
        }
        match self.addr {
            Some(addr) => e.extend(matches::address(IPV4_DADDR, addr)),
            None => e.extend(matches::fib_daddr_local()),
        }
        e.extend(self.dport_dnat());
        e
    }

    pub fn output(&self) -> Vec<Expr> {
        let mut e = match self.addr {
            Some(addr) => matches::address(IPV4_DADDR, addr),
            None => {
                let mut e = matches::prefix(IPV4_DADDR, NFT_CMP_NEQ, LOOPBACK);
                e.extend(matches::fib_daddr_local());
                e
            }
        };
        e.extend(self.dport_dnat());
        e
    }

    /// The masquerade of reflected connections from `net`.
    pub fn hairpin_rule(&self, net: Ipv4Network) -> Vec<Expr> {
        let ports = self.target_ports();
        let mut e = matches::prefix(IPV4_SADDR, NFT_CMP_EQ, net);
        e.extend(matches::address(IPV4_DADDR, self.to));
        e.extend(matches::dport(self.proto.number(), ports.first, ports.last));
        e.extend(matches::ct_status_dnat());
        e.push(Expr::Masq);
        e
    }

    /// The kernel rules of this forward.
    pub fn placed(&self) -> Vec<(NatChain, Vec<Expr>)> {
        let mut rules = vec![
            (NatChain::Prerouting, self.prerouting()),
            (NatChain::Output, self.output()),
        ];
        if let Some(net) = self.hairpin {
            rules.push((NatChain::Postrouting, self.hairpin_rule(net)));
        }
        rules
    }

    /// The forward a prerouting rule says (its hairpin is in another rule), if the rule is
    /// exactly what `prerouting` makes.
    pub fn from_prerouting(exprs: &[Expr]) -> Option<Forward> {
        let mut c = Cursor::new(exprs);
        let iface = c.ifname(NFT_META_IIFNAME);
        let addr = c.address(IPV4_DADDR);
        if addr.is_none() {
            c.fib_daddr_local()?;
        }
        let found = Forward {
            iface,
            addr,
            ..Forward::dport_dnat_from(c)?
        };
        (found.prerouting() == exprs).then_some(found)
    }

    /// Whether an output rule is one `output` makes.
    fn is_output(exprs: &[Expr]) -> bool {
        let mut c = Cursor::new(exprs);
        let addr = c.address(IPV4_DADDR);
        if addr.is_none() && (c.prefix(IPV4_DADDR).is_none() || c.fib_daddr_local().is_none()) {
            return false;
        }
        Forward::dport_dnat_from(c).is_some_and(|f| Forward { addr, ..f }.output() == exprs)
    }

    /// The protocol, ports and target of `PROTO dport PORTS dnat to TO[:PORT]` ending a rule.
    fn dport_dnat_from(mut c: Cursor) -> Option<Forward> {
        let (proto, first, last) = c.dport()?;
        let (to, to_port) = c.nat(NFT_NAT_DNAT)?;
        c.is_empty().then_some(Forward {
            proto: Proto::from_number(proto)?,
            ports: PortRange { first, last },
            to,
            to_port,
            iface: None,
            addr: None,
            hairpin: None,
        })
    }

    /// A hairpin rule's network and what it reflects: protocol, target, target ports.
    fn read_hairpin(exprs: &[Expr]) -> Option<(Ipv4Network, (Proto, Ipv4Addr, PortRange))> {
        let mut c = Cursor::new(exprs);
        let (_, net) = c.prefix(IPV4_SADDR)?;
        let to = c.address(IPV4_DADDR)?;
        let (proto, first, last) = c.dport()?;
        let proto = Proto::from_number(proto)?;
        let ports = PortRange { first, last };
        let shape = Forward {
            proto,
            ports,
            to,
            to_port: None,
            iface: None,
            addr: None,
            hairpin: None,
        };
        (shape.hairpin_rule(net) == exprs).then_some((net, (proto, to, ports)))
    }

    /// The forwards among the table's rules, each with the handle of its prerouting rule;
    /// `claimed` gets the handle of every rule that has the form of a forward's, whole or not.
    pub fn find(listed: &[Listed], claimed: &mut Vec<u64>) -> Vec<(u64, Forward)> {
        let mut found = Vec::new();
        let mut hairpins = Vec::new();
        for r in listed {
            match r.chain {
                NatChain::Prerouting => {
                    if let Some(f) = Forward::from_prerouting(r.exprs) {
                        found.push((r.handle, f));
                        claimed.push(r.handle);
                    }
                }
                NatChain::Output => {
                    if Forward::is_output(r.exprs) {
                        claimed.push(r.handle);
                    }
                }
                NatChain::Postrouting => {
                    if let Some(h) = Forward::read_hairpin(r.exprs) {
                        hairpins.push(h);
                        claimed.push(r.handle);
                    }
                }
            }
        }
        for (_, f) in &mut found {
            let reflects = (f.proto, f.to, f.target_ports());
            f.hairpin = hairpins
                .iter()
                .find(|(_, what)| *what == reflects)
                .map(|(net, _)| *net);
        }
        found
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::msg::nft::nat::tests::listed_of;

    /// `nat forward --port 8080 --to 10.0.5.2:80 --in up0`, hairpin for 10.0.5.0/24.
    pub fn web() -> Forward {
        Forward {
            proto: Proto::Tcp,
            ports: PortRange::one(8080),
            to: Ipv4Addr::new(10, 0, 5, 2),
            to_port: Some(80),
            iface: Some("up0".into()),
            addr: None,
            hairpin: Some("10.0.5.0/24".parse().unwrap()),
        }
    }

    #[test]
    fn every_form_reads_back() {
        let forms = [
            web(),
            Forward {
                proto: Proto::Udp,
                ports: PortRange {
                    first: 5000,
                    last: 5010,
                },
                to_port: None,
                iface: None,
                addr: Some(Ipv4Addr::new(192, 0, 2, 1)),
                hairpin: None,
                ..web()
            },
        ];
        for f in forms {
            let placed = f.placed();
            let listed = listed_of(&placed);
            let mut claimed = Vec::new();
            let found = Forward::find(&listed, &mut claimed);
            assert_eq!(found, [(2, f.clone())], "{f}");
            assert_eq!(claimed.len(), listed.len(), "{f}");
        }
    }

    #[test]
    fn the_hairpin_matches_the_target_port() {
        let f = web();
        let rule = f.hairpin_rule(f.hairpin.unwrap());
        let (_, (proto, to, ports)) = Forward::read_hairpin(&rule).unwrap();
        assert_eq!((proto, to, ports), (Proto::Tcp, f.to, PortRange::one(80)));
    }

    #[test]
    fn a_range_reads_as_one() {
        let r = PortRange {
            first: 5000,
            last: 5010,
        };
        assert_eq!(format!("{r} {}", PortRange::one(80)), "5000-5010 80");
    }
}
