//! A rule's expressions: the small virtual-machine instructions nf_tables runs per packet. l2x
//! writes and reads the few its nat rules are made of: load into register 1 (payload, meta,
//! fib, ct), mask (bitwise), compare (cmp), load a constant (immediate), and the masq and nat
//! statements.

use crate::msg::Feature;
use crate::msg::attr::{AttrWriter, Attrs, NLA_F_NESTED};

// include/uapi/linux/netfilter/nf_tables.h
pub const NFTA_LIST_ELEM: u16 = 1;
pub const NFTA_EXPR_NAME: u16 = 1;
pub const NFTA_EXPR_DATA: u16 = 2;
pub const NFTA_DATA_VALUE: u16 = 1;
/// The first of the 16-byte registers; nft's rules load into it and compare from it.
pub const NFT_REG_1: u32 = 1;
/// The second, where nft puts a nat statement's port beside the address in register 1.
pub const NFT_REG_2: u32 = 2;

pub const NFTA_PAYLOAD_DREG: u16 = 1;
pub const NFTA_PAYLOAD_BASE: u16 = 2;
pub const NFTA_PAYLOAD_OFFSET: u16 = 3;
pub const NFTA_PAYLOAD_LEN: u16 = 4;
pub const NFT_PAYLOAD_NETWORK_HEADER: u32 = 1;
pub const NFT_PAYLOAD_TRANSPORT_HEADER: u32 = 2;

pub const NFTA_BITWISE_SREG: u16 = 1;
pub const NFTA_BITWISE_DREG: u16 = 2;
pub const NFTA_BITWISE_LEN: u16 = 3;
pub const NFTA_BITWISE_MASK: u16 = 4;
pub const NFTA_BITWISE_XOR: u16 = 5;
pub const NFTA_BITWISE_OP: u16 = 6;
pub const NFT_BITWISE_BOOL: u32 = 0;

pub const NFTA_CMP_SREG: u16 = 1;
pub const NFTA_CMP_OP: u16 = 2;
pub const NFTA_CMP_DATA: u16 = 3;
pub const NFT_CMP_EQ: u32 = 0;
pub const NFT_CMP_NEQ: u32 = 1;
pub const NFT_CMP_LTE: u32 = 3;
pub const NFT_CMP_GTE: u32 = 5;

pub const NFTA_META_DREG: u16 = 1;
pub const NFTA_META_KEY: u16 = 2;
pub const NFT_META_IIFNAME: u32 = 6;
pub const NFT_META_OIFNAME: u32 = 7;
pub const NFT_META_L4PROTO: u32 = 16;
/// The name of the bridge whose port a frame came in by (nft's `meta ibrname`).
pub const NFT_META_BRI_IIFNAME: u32 = 17;

pub const NFTA_FIB_DREG: u16 = 1;
pub const NFTA_FIB_RESULT: u16 = 2;
pub const NFTA_FIB_FLAGS: u16 = 3;
pub const NFT_FIB_RESULT_ADDRTYPE: u32 = 3;
pub const NFTA_FIB_F_DADDR: u32 = 1 << 1;

pub const NFTA_CT_DREG: u16 = 1;
pub const NFTA_CT_KEY: u16 = 2;
pub const NFT_CT_STATUS: u32 = 2;

pub const NFTA_IMMEDIATE_DREG: u16 = 1;
pub const NFTA_IMMEDIATE_DATA: u16 = 2;
/// The register a verdict is put in, and how it is written.
pub const NFT_REG_VERDICT: u32 = 0;
pub const NFTA_DATA_VERDICT: u16 = 2;
pub const NFTA_VERDICT_CODE: u16 = 1;

pub const NFTA_NAT_TYPE: u16 = 1;
pub const NFTA_NAT_FAMILY: u16 = 2;
pub const NFTA_NAT_REG_ADDR_MIN: u16 = 3;
pub const NFTA_NAT_REG_ADDR_MAX: u16 = 4;
pub const NFTA_NAT_REG_PROTO_MIN: u16 = 5;
pub const NFTA_NAT_REG_PROTO_MAX: u16 = 6;
pub const NFTA_NAT_FLAGS: u16 = 7;
pub const NFT_NAT_SNAT: u32 = 0;
pub const NFT_NAT_DNAT: u32 = 1;

// include/uapi/linux/netfilter/nf_nat.h
pub const NF_NAT_RANGE_MAP_IPS: u32 = 1 << 0;
pub const NF_NAT_RANGE_PROTO_SPECIFIED: u32 = 1 << 1;

/// One expression. Those l2x does not write are kept by name only, to say what they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// Copy `len` bytes at `offset` from header `base` into register 1.
    Payload {
        base: u32,
        offset: u32,
        len: u32,
    },
    /// Register 1 = (register 1 & mask) ^ xor, over mask.len() bytes.
    Bitwise {
        mask: Vec<u8>,
        xor: Vec<u8>,
    },
    /// Compare register 1 with `data` (NFT_CMP_EQ, NFT_CMP_NEQ, ...); no match ends the rule.
    Cmp {
        op: u32,
        data: Vec<u8>,
    },
    /// Copy a packet property (NFT_META_OIFNAME, ...) into register 1.
    Meta {
        key: u32,
    },
    /// Look an address of the packet up in the routing table (`flags`: which one) and copy
    /// what `result` asks for (NFT_FIB_RESULT_ADDRTYPE: the route type) into register 1.
    Fib {
        flags: u32,
        result: u32,
    },
    /// Copy a property of the packet's connection (NFT_CT_STATUS, ...) into register 1.
    Ct {
        key: u32,
    },
    /// Put a constant into register `reg`.
    Immediate {
        reg: u32,
        data: Vec<u8>,
    },
    /// Source NAT to the outgoing interface's address, no options.
    Masq,
    /// The rule's verdict (NF_DROP, NF_ACCEPT): `immediate reg 0 drop`.
    Verdict(u32),
    /// Source or destination NAT (NFT_NAT_SNAT, NFT_NAT_DNAT) to the address in register
    /// `addr`, and to the port in register `port` when there is one.
    Nat {
        kind: u32,
        family: u32,
        addr: u32,
        port: Option<u32>,
    },
    Other(String),
}

impl Expr {
    pub fn name(&self) -> &str {
        match self {
            Expr::Payload { .. } => "payload",
            Expr::Bitwise { .. } => "bitwise",
            Expr::Cmp { .. } => "cmp",
            Expr::Meta { .. } => "meta",
            Expr::Fib { .. } => "fib",
            Expr::Ct { .. } => "ct",
            Expr::Immediate { .. } => "immediate",
            Expr::Masq => "masq",
            Expr::Verdict(_) => "immediate",
            Expr::Nat { .. } => "nat",
            Expr::Other(name) => name,
        }
    }

    /// The module an expression lives in, where it is not nf_tables itself: named when the
    /// kernel refuses a rule for want of it.
    pub fn feature(&self) -> Option<Feature> {
        let (name, module) = match self {
            Expr::Fib { .. } => ("nftables fib", "nft_fib_ipv4"),
            Expr::Ct { .. } => ("nftables conntrack", "nft_ct"),
            Expr::Masq => ("nftables masquerade", "nft_masq"),
            Expr::Nat { .. } => ("nftables nat statement", "nft_nat"),
            _ => return None,
        };
        Some(Feature { name, module })
    }

    /// The expression's NFTA_EXPR_DATA, attributes in the order nft sends them.
    fn write_data(&self, w: &mut AttrWriter) {
        match self {
            Expr::Payload { base, offset, len } => {
                w.be32(NFTA_PAYLOAD_DREG, NFT_REG_1)
                    .be32(NFTA_PAYLOAD_BASE, *base)
                    .be32(NFTA_PAYLOAD_OFFSET, *offset)
                    .be32(NFTA_PAYLOAD_LEN, *len);
            }
            Expr::Bitwise { mask, xor } => {
                w.be32(NFTA_BITWISE_SREG, NFT_REG_1)
                    .be32(NFTA_BITWISE_DREG, NFT_REG_1)
                    .be32(NFTA_BITWISE_LEN, mask.len() as u32);
                data_value(w, NFTA_BITWISE_MASK, mask);
                data_value(w, NFTA_BITWISE_XOR, xor);
            }
            Expr::Cmp { op, data } => {
                w.be32(NFTA_CMP_SREG, NFT_REG_1).be32(NFTA_CMP_OP, *op);
                data_value(w, NFTA_CMP_DATA, data);
            }
            Expr::Meta { key } => {
                w.be32(NFTA_META_KEY, *key).be32(NFTA_META_DREG, NFT_REG_1);
            }
            Expr::Fib { flags, result } => {
                w.be32(NFTA_FIB_FLAGS, *flags)
                    .be32(NFTA_FIB_RESULT, *result)
                    .be32(NFTA_FIB_DREG, NFT_REG_1);
            }
            Expr::Ct { key } => {
                w.be32(NFTA_CT_KEY, *key).be32(NFTA_CT_DREG, NFT_REG_1);
            }
            Expr::Immediate { reg, data } => {
                w.be32(NFTA_IMMEDIATE_DREG, *reg);
                data_value(w, NFTA_IMMEDIATE_DATA, data);
            }
            Expr::Nat {
                kind,
                family,
                addr,
                port,
            } => {
                w.be32(NFTA_NAT_TYPE, *kind)
                    .be32(NFTA_NAT_FAMILY, *family)
                    .be32(NFTA_NAT_REG_ADDR_MIN, *addr);
                if let Some(port) = port {
                    w.be32(NFTA_NAT_REG_PROTO_MIN, *port)
                        .be32(NFTA_NAT_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
                }
            }
            Expr::Verdict(code) => {
                w.be32(NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT).nest(
                    NFTA_IMMEDIATE_DATA | NLA_F_NESTED,
                    |d| {
                        d.nest(NFTA_DATA_VERDICT | NLA_F_NESTED, |v| {
                            v.be32(NFTA_VERDICT_CODE, *code);
                        });
                    },
                );
            }
            Expr::Masq | Expr::Other(_) => {}
        }
    }

    /// Reads one expression; anything beyond what l2x writes (another register, a payload
    /// write, masquerade options) makes it `Other`.
    fn read(name: &str, data: Attrs) -> Expr {
        let parsed = match name {
            "payload" => read_payload(&data),
            "bitwise" => read_bitwise(&data),
            "cmp" => read_cmp(&data),
            "meta" => read_meta(&data),
            "fib" => read_fib(&data),
            "ct" => read_ct(&data),
            "immediate" => read_verdict(&data).or_else(|| read_immediate(&data)),
            "masq" => data.into_iter().next().is_none().then_some(Expr::Masq),
            "nat" => read_nat(&data),
            _ => None,
        };
        parsed.unwrap_or_else(|| Expr::Other(name.to_string()))
    }
}

fn be32(data: &Attrs, kind: u16) -> Option<u32> {
    data.get(kind)?.be32()
}

/// `Some` when the register attribute names register 1.
fn reg_1(data: &Attrs, kind: u16) -> Option<()> {
    (be32(data, kind)? == NFT_REG_1).then_some(())
}

fn read_payload(d: &Attrs) -> Option<Expr> {
    reg_1(d, NFTA_PAYLOAD_DREG)?;
    Some(Expr::Payload {
        base: be32(d, NFTA_PAYLOAD_BASE)?,
        offset: be32(d, NFTA_PAYLOAD_OFFSET)?,
        len: be32(d, NFTA_PAYLOAD_LEN)?,
    })
}

/// Newer kernels add NFTA_BITWISE_OP to the dump; only the mask-and-xor form is l2x's.
fn read_bitwise(d: &Attrs) -> Option<Expr> {
    reg_1(d, NFTA_BITWISE_SREG)?;
    reg_1(d, NFTA_BITWISE_DREG)?;
    if be32(d, NFTA_BITWISE_OP).unwrap_or(NFT_BITWISE_BOOL) != NFT_BITWISE_BOOL {
        return None;
    }
    Some(Expr::Bitwise {
        mask: read_data_value(d, NFTA_BITWISE_MASK)?,
        xor: read_data_value(d, NFTA_BITWISE_XOR)?,
    })
}

fn read_cmp(d: &Attrs) -> Option<Expr> {
    reg_1(d, NFTA_CMP_SREG)?;
    Some(Expr::Cmp {
        op: be32(d, NFTA_CMP_OP)?,
        data: read_data_value(d, NFTA_CMP_DATA)?,
    })
}

fn read_meta(d: &Attrs) -> Option<Expr> {
    reg_1(d, NFTA_META_DREG)?;
    Some(Expr::Meta {
        key: be32(d, NFTA_META_KEY)?,
    })
}

fn read_fib(d: &Attrs) -> Option<Expr> {
    reg_1(d, NFTA_FIB_DREG)?;
    Some(Expr::Fib {
        flags: be32(d, NFTA_FIB_FLAGS)?,
        result: be32(d, NFTA_FIB_RESULT)?,
    })
}

/// A ct expression with a direction (`ct original saddr`) is not one l2x writes.
fn read_ct(d: &Attrs) -> Option<Expr> {
    reg_1(d, NFTA_CT_DREG)?;
    let key = be32(d, NFTA_CT_KEY)?;
    (d.into_iter().count() == 2).then_some(Expr::Ct { key })
}

/// `drop`, `accept`: the verdict register, loaded with NFTA_DATA_VERDICT.
fn read_verdict(d: &Attrs) -> Option<Expr> {
    if be32(d, NFTA_IMMEDIATE_DREG)? != NFT_REG_VERDICT {
        return None;
    }
    let verdict = d
        .get(NFTA_IMMEDIATE_DATA)?
        .nested()
        .get(NFTA_DATA_VERDICT)?;
    Some(Expr::Verdict(
        verdict.nested().get(NFTA_VERDICT_CODE)?.be32()?,
    ))
}

/// Only constants: an immediate verdict (`accept`, `jump`) carries NFTA_DATA_VERDICT instead.
fn read_immediate(d: &Attrs) -> Option<Expr> {
    Some(Expr::Immediate {
        reg: be32(d, NFTA_IMMEDIATE_DREG)?,
        data: read_data_value(d, NFTA_IMMEDIATE_DATA)?,
    })
}

/// The kernel lists a nat statement with the maximum registers equal to the minimum ones and
/// NF_NAT_RANGE_MAP_IPS added to the flags, where nft sent neither: both read as nft wrote them.
/// Ranges (a maximum of its own) and other flags (random, persistent) are not l2x's.
fn read_nat(d: &Attrs) -> Option<Expr> {
    let addr = be32(d, NFTA_NAT_REG_ADDR_MIN)?;
    let port = be32(d, NFTA_NAT_REG_PROTO_MIN);
    let same = |max: u16, min: Option<u32>| be32(d, max).is_none_or(|m| Some(m) == min);
    if !same(NFTA_NAT_REG_ADDR_MAX, Some(addr)) || !same(NFTA_NAT_REG_PROTO_MAX, port) {
        return None;
    }
    let flags = be32(d, NFTA_NAT_FLAGS).unwrap_or(0) & !NF_NAT_RANGE_MAP_IPS;
    let want = if port.is_some() {
        NF_NAT_RANGE_PROTO_SPECIFIED
    } else {
        0
    };
    (flags == want).then_some(Expr::Nat {
        kind: be32(d, NFTA_NAT_TYPE)?,
        family: be32(d, NFTA_NAT_FAMILY)?,
        addr,
        port,
    })
}

/// The NFTA_LIST_ELEMs of a rule's NFTA_RULE_EXPRESSIONS.
pub fn write_list(w: &mut AttrWriter, exprs: &[Expr]) {
    for e in exprs {
        w.nest(NFTA_LIST_ELEM | NLA_F_NESTED, |elem| {
            elem.str(NFTA_EXPR_NAME, e.name())
                .nest(NFTA_EXPR_DATA | NLA_F_NESTED, |d| e.write_data(d));
        });
    }
}

pub fn read_list(list: Attrs) -> Vec<Expr> {
    list.into_iter()
        .filter(|a| a.kind == NFTA_LIST_ELEM)
        .map(|elem| {
            let elem = elem.nested();
            let name = elem.get(NFTA_EXPR_NAME).and_then(|a| a.str()).unwrap_or("");
            let data = elem.get(NFTA_EXPR_DATA).map_or(Attrs(&[]), |a| a.nested());
            Expr::read(name, data)
        })
        .collect()
}

/// A constant operand: NFTA_DATA_VALUE inside an NFTA_CMP_DATA, _BITWISE_MASK or _XOR nest.
fn data_value(w: &mut AttrWriter, kind: u16, value: &[u8]) {
    w.nest(kind | NLA_F_NESTED, |d| {
        d.bytes(NFTA_DATA_VALUE, value);
    });
}

fn read_data_value(attrs: &Attrs, kind: u16) -> Option<Vec<u8>> {
    Some(
        attrs
            .get(kind)?
            .nested()
            .get(NFTA_DATA_VALUE)?
            .payload
            .to_vec(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_round_trip() {
        let exprs = vec![
            Expr::Payload {
                base: NFT_PAYLOAD_NETWORK_HEADER,
                offset: 12,
                len: 4,
            },
            Expr::Bitwise {
                mask: vec![0xff, 0xff, 0xf0, 0],
                xor: vec![0; 4],
            },
            Expr::Cmp {
                op: NFT_CMP_NEQ,
                data: vec![10, 0, 16, 0],
            },
            Expr::Meta {
                key: NFT_META_OIFNAME,
            },
            Expr::Fib {
                flags: NFTA_FIB_F_DADDR,
                result: NFT_FIB_RESULT_ADDRTYPE,
            },
            Expr::Ct { key: NFT_CT_STATUS },
            Expr::Immediate {
                reg: NFT_REG_2,
                data: vec![0, 80],
            },
            Expr::Masq,
            Expr::Nat {
                kind: NFT_NAT_DNAT,
                family: 2,
                addr: NFT_REG_1,
                port: Some(NFT_REG_2),
            },
        ];
        let mut w = AttrWriter::default();
        write_list(&mut w, &exprs);
        assert_eq!(read_list(Attrs(&w.finish())), exprs);
    }

    /// The kernel lists `dnat to 10.0.5.2:80` with maximum registers and NF_NAT_RANGE_MAP_IPS.
    #[test]
    fn nat_reads_as_nft_wrote_it() {
        let mut w = AttrWriter::default();
        w.nest(NFTA_LIST_ELEM | NLA_F_NESTED, |e| {
            e.str(NFTA_EXPR_NAME, "nat")
                .nest(NFTA_EXPR_DATA | NLA_F_NESTED, |d| {
                    d.be32(NFTA_NAT_TYPE, NFT_NAT_DNAT)
                        .be32(NFTA_NAT_FAMILY, 2)
                        .be32(NFTA_NAT_REG_ADDR_MIN, 1)
                        .be32(NFTA_NAT_REG_ADDR_MAX, 1)
                        .be32(NFTA_NAT_REG_PROTO_MIN, 2)
                        .be32(NFTA_NAT_REG_PROTO_MAX, 2)
                        .be32(NFTA_NAT_FLAGS, 3);
                });
        });
        let nat = Expr::Nat {
            kind: NFT_NAT_DNAT,
            family: 2,
            addr: NFT_REG_1,
            port: Some(NFT_REG_2),
        };
        assert_eq!(read_list(Attrs(&w.finish())), [nat]);
    }

    #[test]
    fn options_l2x_does_not_write_are_other() {
        let mut w = AttrWriter::default();
        w.nest(NFTA_LIST_ELEM | NLA_F_NESTED, |e| {
            e.str(NFTA_EXPR_NAME, "masq")
                .nest(NFTA_EXPR_DATA | NLA_F_NESTED, |d| {
                    d.be32(1, 4); // NFTA_MASQ_FLAGS = NF_NAT_RANGE_PROTO_RANDOM
                });
        });
        assert_eq!(
            read_list(Attrs(&w.finish())),
            vec![Expr::Other("masq".into())]
        );
    }
}
