//! The pieces l2x's nat rules are made of, in the expressions nft 1.0.6 compiles them to
//! (`nft --debug=netlink`): matches (`ip saddr NET`, `iifname "eth0"`, `tcp dport 80`, `fib
//! daddr type local`, `ct status dnat`) and the nat statements (`dnat to IP:PORT`, `snat to
//! IP`). Each has a builder, and a reader on a `Cursor` that takes the same expressions off the
//! front of a rule, so a rule kind reads a kernel rule back in the order it wrote it.

use std::net::Ipv4Addr;

use ipnetwork::Ipv4Network;

use super::NFPROTO_IPV4;
use super::expr::{
    Expr, NFT_CMP_EQ, NFT_CMP_GTE, NFT_CMP_LTE, NFT_CMP_NEQ, NFT_CT_STATUS,
    NFT_FIB_RESULT_ADDRTYPE, NFT_META_L4PROTO, NFT_NAT_DNAT, NFT_NAT_SNAT,
    NFT_PAYLOAD_NETWORK_HEADER, NFT_PAYLOAD_TRANSPORT_HEADER, NFT_REG_1, NFT_REG_2,
    NFTA_FIB_F_DADDR,
};
use crate::msg::route::RTN_LOCAL;

// Offsets in the IPv4 header (RFC 791) and in the TCP and UDP headers (RFC 9293, RFC 768).
pub const IPV4_SADDR: u32 = 12;
pub const IPV4_DADDR: u32 = 16;
const TH_DPORT: u32 = 2;
// include/uapi/linux/if.h: interface names are compared over the whole name buffer.
const IFNAMSIZ: usize = 16;
// include/uapi/linux/netfilter/nf_conntrack_common.h: IPS_DST_NAT_BIT
const IPS_DST_NAT: u32 = 1 << 5;

/// `ip saddr NET` / `ip daddr != NET` (field at `offset`, compared with `op`). Byte-aligned
/// prefixes load only the prefix's bytes and compare them (what nft >= 0.9.8 emits); others
/// load the whole address, mask it, and compare all four bytes.
pub fn prefix(offset: u32, op: u32, net: Ipv4Network) -> Vec<Expr> {
    let addr = net.network().octets();
    let load = |len: usize| Expr::Payload {
        base: NFT_PAYLOAD_NETWORK_HEADER,
        offset,
        len: len as u32,
    };
    let bits = usize::from(net.prefix());
    if bits % 8 == 0 {
        let len = bits / 8;
        vec![
            load(len),
            Expr::Cmp {
                op,
                data: addr[..len].to_vec(),
            },
        ]
    } else {
        vec![
            load(addr.len()),
            Expr::Bitwise {
                mask: net.mask().octets().to_vec(),
                xor: vec![0; addr.len()],
            },
            Expr::Cmp {
                op,
                data: addr.to_vec(),
            },
        ]
    }
}

/// `ip saddr IP` / `ip daddr IP`: a /32.
pub fn address(offset: u32, ip: Ipv4Addr) -> Vec<Expr> {
    prefix(offset, NFT_CMP_EQ, Ipv4Network::from(ip))
}

/// `iifname "NAME"` / `oifname "NAME"` (`key`: NFT_META_IIFNAME or NFT_META_OIFNAME).
pub fn ifname(key: u32, name: &str) -> Vec<Expr> {
    let mut data = name.as_bytes().to_vec();
    data.resize(IFNAMSIZ, 0);
    vec![
        Expr::Meta { key },
        Expr::Cmp {
            op: NFT_CMP_EQ,
            data,
        },
    ]
}

/// `tcp dport 80` / `udp dport 5000-5010` (`proto`: the IP protocol number): the transport
/// protocol, then the destination port, equal to one or between two (nft writes a range as
/// two comparisons, not a range expression).
pub fn dport(proto: u8, first: u16, last: u16) -> Vec<Expr> {
    let mut e = vec![
        Expr::Meta {
            key: NFT_META_L4PROTO,
        },
        Expr::Cmp {
            op: NFT_CMP_EQ,
            data: vec![proto],
        },
        Expr::Payload {
            base: NFT_PAYLOAD_TRANSPORT_HEADER,
            offset: TH_DPORT,
            len: 2,
        },
    ];
    let cmp = |op, port: u16| Expr::Cmp {
        op,
        data: port.to_be_bytes().to_vec(),
    };
    if first == last {
        e.push(cmp(NFT_CMP_EQ, first));
    } else {
        e.extend([cmp(NFT_CMP_GTE, first), cmp(NFT_CMP_LTE, last)]);
    }
    e
}

/// `fib daddr type local`: the destination is one of this host's addresses. The route type
/// is a host-order u32 in the register.
pub fn fib_daddr_local() -> Vec<Expr> {
    vec![
        Expr::Fib {
            flags: NFTA_FIB_F_DADDR,
            result: NFT_FIB_RESULT_ADDRTYPE,
        },
        Expr::Cmp {
            op: NFT_CMP_EQ,
            data: u32::from(RTN_LOCAL).to_ne_bytes().to_vec(),
        },
    ]
}

/// `ct status dnat`: the connection's destination was rewritten (the status word is host
/// order, as the kernel keeps it).
pub fn ct_status_dnat() -> Vec<Expr> {
    vec![
        Expr::Ct { key: NFT_CT_STATUS },
        Expr::Bitwise {
            mask: IPS_DST_NAT.to_ne_bytes().to_vec(),
            xor: vec![0; 4],
        },
        Expr::Cmp {
            op: NFT_CMP_NEQ,
            data: vec![0; 4],
        },
    ]
}

/// `dnat to IP[:PORT]`: the address in register 1, the port in register 2.
pub fn dnat(to: Ipv4Addr, port: Option<u16>) -> Vec<Expr> {
    nat(NFT_NAT_DNAT, to, port)
}

/// `snat to IP`.
pub fn snat(to: Ipv4Addr) -> Vec<Expr> {
    nat(NFT_NAT_SNAT, to, None)
}

fn nat(kind: u32, to: Ipv4Addr, port: Option<u16>) -> Vec<Expr> {
    let mut e = vec![Expr::Immediate {
        reg: NFT_REG_1,
        data: to.octets().to_vec(),
    }];
    if let Some(port) = port {
        e.push(Expr::Immediate {
            reg: NFT_REG_2,
            data: port.to_be_bytes().to_vec(),
        });
    }
    e.push(Expr::Nat {
        kind,
        family: u32::from(NFPROTO_IPV4),
        addr: NFT_REG_1,
        port: port.map(|_| NFT_REG_2),
    });
    e
}

/// Reads a rule's expressions front to back. Each reader takes its piece off the front and
/// returns what it matched, or `None` and leaves the cursor where it was. The readers are
/// lenient where the builders are exact (a comparison's operator, a constant's length): a
/// rule kind checks what it read by building the rule again and comparing.
#[derive(Debug, Clone, Copy)]
pub struct Cursor<'a>(&'a [Expr]);

impl<'a> Cursor<'a> {
    pub fn new(exprs: &'a [Expr]) -> Self {
        Cursor(exprs)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Runs `read` on a copy, and moves on only if it matched.
    fn take<T>(&mut self, read: impl FnOnce(&mut Cursor<'a>) -> Option<T>) -> Option<T> {
        let mut copy = *self;
        let found = read(&mut copy)?;
        *self = copy;
        Some(found)
    }

    fn next(&mut self) -> Option<&'a Expr> {
        let (first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(first)
    }

    fn cmp(&mut self) -> Option<(u32, &'a [u8])> {
        match self.next()? {
            Expr::Cmp { op, data } => Some((*op, data)),
            _ => None,
        }
    }

    /// `ip saddr NET` / `ip daddr != NET` at `offset`, either form `prefix` writes; with the
    /// comparison's operator.
    pub fn prefix(&mut self, offset: u32) -> Option<(u32, Ipv4Network)> {
        self.take(|c| {
            let at = offset;
            let Expr::Payload {
                base: NFT_PAYLOAD_NETWORK_HEADER,
                offset,
                len,
            } = c.next()?
            else {
                return None;
            };
            if *offset != at {
                return None;
            }
            let mut bits = len * 8;
            if let Some(Expr::Bitwise { mask, .. }) = c.0.first() {
                bits = mask.iter().map(|b| b.count_ones()).sum();
                c.next();
            }
            let (op, data) = c.cmp()?;
            let mut addr = [0u8; 4];
            addr.get_mut(..data.len())?.copy_from_slice(data);
            let net = Ipv4Network::new(Ipv4Addr::from(addr), u8::try_from(bits).ok()?).ok()?;
            Some((op, net))
        })
    }

    /// `ip saddr IP` / `ip daddr IP`.
    pub fn address(&mut self, offset: u32) -> Option<Ipv4Addr> {
        self.take(|c| match c.prefix(offset)? {
            (NFT_CMP_EQ, net) if net.prefix() == 32 => Some(net.ip()),
            _ => None,
        })
    }

    /// `iifname "NAME"` / `oifname "NAME"`.
    pub fn ifname(&mut self, key: u32) -> Option<String> {
        self.take(|c| {
            match c.next()? {
                Expr::Meta { key: k } if *k == key => {}
                _ => return None,
            }
            let (_, data) = c.cmp()?;
            let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
            String::from_utf8(data[..end].to_vec()).ok()
        })
    }

    /// `PROTO dport FIRST[-LAST]`: the protocol number and the port range.
    pub fn dport(&mut self) -> Option<(u8, u16, u16)> {
        self.take(|c| {
            match c.next()? {
                Expr::Meta {
                    key: NFT_META_L4PROTO,
                } => {}
                _ => return None,
            }
            let (_, proto) = c.cmp()?;
            let &[proto] = proto else { return None };
            match c.next()? {
                Expr::Payload {
                    base: NFT_PAYLOAD_TRANSPORT_HEADER,
                    offset: TH_DPORT,
                    len: 2,
                } => {}
                _ => return None,
            }
            let port = |data: &[u8]| Some(u16::from_be_bytes(data.try_into().ok()?));
            let (op, first) = c.cmp()?;
            let first = port(first)?;
            if op == NFT_CMP_GTE {
                let (_, last) = c.cmp()?;
                return Some((proto, first, port(last)?));
            }
            Some((proto, first, first))
        })
    }

    /// `fib daddr type local`.
    pub fn fib_daddr_local(&mut self) -> Option<()> {
        self.exactly(&fib_daddr_local())
    }

    fn exactly(&mut self, want: &[Expr]) -> Option<()> {
        let (head, rest) = (self.0.get(..want.len())?, &self.0[want.len()..]);
        (head == want).then(|| self.0 = rest)
    }

    /// `dnat to IP[:PORT]` / `snat to IP[:PORT]` ending the rule (`kind`: NFT_NAT_DNAT or
    /// NFT_NAT_SNAT).
    pub fn nat(&mut self, kind: u32) -> Option<(Ipv4Addr, Option<u16>)> {
        self.take(|c| {
            let ip = match c.next()? {
                Expr::Immediate { data, .. } => {
                    Ipv4Addr::from(<[u8; 4]>::try_from(&data[..]).ok()?)
                }
                _ => return None,
            };
            let port = match c.0.first() {
                Some(Expr::Immediate { data, .. }) => {
                    c.next();
                    Some(u16::from_be_bytes(data[..].try_into().ok()?))
                }
                _ => None,
            };
            match c.next()? {
                Expr::Nat { kind: k, .. } if *k == kind => {}
                _ => return None,
            }
            Some((ip, port))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::nft::expr::{NFT_META_IIFNAME, NFT_META_OIFNAME};

    #[test]
    fn every_piece_reads_back() {
        let net: Ipv4Network = "10.0.16.0/20".parse().unwrap();
        let ip = Ipv4Addr::new(10, 0, 5, 2);
        let mut exprs = ifname(NFT_META_IIFNAME, "up0");
        exprs.extend(prefix(IPV4_SADDR, NFT_CMP_NEQ, net));
        exprs.extend(address(IPV4_DADDR, ip));
        exprs.extend(dport(17, 5000, 5010));
        exprs.extend(dport(6, 80, 80));
        exprs.extend(fib_daddr_local());
        exprs.extend(ct_status_dnat());
        exprs.extend(dnat(ip, Some(8080)));
        let mut c = Cursor::new(&exprs);
        assert_eq!(c.ifname(NFT_META_OIFNAME), None, "iifname is not oifname");
        assert_eq!(c.ifname(NFT_META_IIFNAME).as_deref(), Some("up0"));
        assert_eq!(c.address(IPV4_SADDR), None, "a /20 is not an address");
        assert_eq!(c.prefix(IPV4_SADDR), Some((NFT_CMP_NEQ, net)));
        assert_eq!(c.address(IPV4_DADDR), Some(ip));
        assert_eq!(c.dport(), Some((17, 5000, 5010)));
        assert_eq!(c.dport(), Some((6, 80, 80)));
        assert_eq!(c.address(IPV4_DADDR), None, "fib comes first");
        assert_eq!(c.fib_daddr_local(), Some(()));
        assert_eq!(c.exactly(&ct_status_dnat()), Some(()));
        assert_eq!(c.nat(NFT_NAT_SNAT), None, "a dnat is not an snat");
        assert_eq!(c.nat(NFT_NAT_DNAT), Some((ip, Some(8080))));
        assert!(c.is_empty());
    }

    #[test]
    fn a_failed_read_leaves_the_cursor() {
        let exprs = dport(6, 80, 80);
        let mut c = Cursor::new(&exprs[..3]);
        assert_eq!(c.dport(), None);
        assert_eq!(c.0.len(), 3);
    }
}
