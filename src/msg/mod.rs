//! The kernel's wire format: pure builders that turn plain data into netlink requests, and
//! parsers that turn kernel replies into plain structs. No I/O happens here; `nl` sends what
//! these functions return. Constants carry their uapi names so they can be grepped for in the
//! kernel headers.

use std::marker::PhantomData;
use std::net::IpAddr;

pub mod addr;
pub mod attr;
pub mod bridge;
pub mod bridge_port;
pub mod genl;
pub mod gretap;
pub mod l2tp;
pub mod link;
pub mod neigh;
pub mod nft;
pub mod route;
pub mod veth;
pub mod vxlan;
// The encrypted segments of `apply` (encrypt = "wireguard"); `l2x key` uses its keys.
#[cfg_attr(not(test), allow(dead_code))]
pub mod wireguard;

// include/uapi/linux/netlink.h
pub const NLM_F_REQUEST: u16 = 0x01;
pub const NLM_F_ACK: u16 = 0x04;
pub const NLM_F_ECHO: u16 = 0x08;
pub const NLM_F_ROOT: u16 = 0x100;
pub const NLM_F_MATCH: u16 = 0x200;
pub const NLM_F_DUMP: u16 = NLM_F_ROOT | NLM_F_MATCH;
pub const NLM_F_REPLACE: u16 = 0x100;
pub const NLM_F_EXCL: u16 = 0x200;
pub const NLM_F_CREATE: u16 = 0x400;
pub const NLM_F_APPEND: u16 = 0x800;

// include/uapi/linux/socket.h
pub const AF_UNSPEC: u8 = 0;
pub const AF_INET: u8 = 2;
pub const AF_BRIDGE: u8 = 7;
pub const AF_INET6: u8 = 10;

/// An address as the kernel carries it: 4 or 16 bytes in network order.
pub fn octets(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

/// An address attribute of either family, told apart by its length.
pub fn ip_from(payload: &[u8]) -> Option<IpAddr> {
    match payload.len() {
        4 => Some(IpAddr::from(<[u8; 4]>::try_from(payload).ok()?)),
        16 => Some(IpAddr::from(<[u8; 16]>::try_from(payload).ok()?)),
        _ => None,
    }
}

/// A kernel feature a request depends on, named so that a refusal can say what is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feature {
    /// What the user asked for, in the words of the command line ("gretap").
    pub name: &'static str,
    /// The kernel module that provides it ("ip_gre").
    pub module: &'static str,
}

/// A netlink protocol family. Each request is built for one, and a socket of that family is
/// the only one that can send it (`nl::Netlink<P>`), so an rtnetlink message can never reach the
/// nf_tables socket by mistake.
pub trait Proto {
    const NAME: &'static str;
}

/// rtnetlink: links, addresses, routes, neighbours (NETLINK_ROUTE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route;
/// Generic netlink: l2tp, wireguard, the controller (NETLINK_GENERIC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generic;
/// nfnetlink: nf_tables (NETLINK_NETFILTER).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Netfilter;

impl Proto for Route {
    const NAME: &'static str = "rtnetlink";
}
impl Proto for Generic {
    const NAME: &'static str = "generic netlink";
}
impl Proto for Netfilter {
    const NAME: &'static str = "nfnetlink";
}

/// One netlink request of protocol family `P`: the message type, flags beyond NLM_F_REQUEST,
/// the body after the netlink header, and a few words naming it for error messages and `-v`.
#[derive(Debug, PartialEq, Eq)]
pub struct Request<P> {
    pub kind: u16,
    pub flags: u16,
    pub body: Vec<u8>,
    pub what: String,
    pub needs: Option<Feature>,
    proto: PhantomData<P>,
}

// By hand: a derived Clone would ask the family marker to be Clone too.
impl<P> Clone for Request<P> {
    fn clone(&self) -> Self {
        Request {
            kind: self.kind,
            flags: self.flags,
            body: self.body.clone(),
            what: self.what.clone(),
            needs: self.needs,
            proto: PhantomData,
        }
    }
}

impl<P> Request<P> {
    pub fn new(kind: u16, flags: u16, body: Vec<u8>, what: impl Into<String>) -> Self {
        Request {
            kind,
            flags,
            body,
            what: what.into(),
            needs: None,
            proto: PhantomData,
        }
    }

    pub fn needing(mut self, feature: Feature) -> Self {
        self.needs = Some(feature);
        self
    }

    /// Asks the kernel to send back the object as made (NLM_F_ECHO), which saves a lookup.
    pub fn echoed(mut self) -> Self {
        self.flags |= NLM_F_ECHO;
        self
    }

    /// The whole message as sent, with the given sequence number and port id.
    pub fn to_bytes(&self, seq: u32, pid: u32) -> Vec<u8> {
        let len = 16 + self.body.len();
        let mut out = Vec::with_capacity(len);
        out.extend_from_slice(&(len as u32).to_ne_bytes());
        out.extend_from_slice(&self.kind.to_ne_bytes());
        out.extend_from_slice(&(self.flags | NLM_F_REQUEST).to_ne_bytes());
        out.extend_from_slice(&seq.to_ne_bytes());
        out.extend_from_slice(&pid.to_ne_bytes());
        out.extend_from_slice(&self.body);
        out
    }
}

/// Golden-byte comparison shared by the builders' tests: a capture file holds comment lines
/// (`#`, saying how it was captured) and the message in hex; sequence number and port id, which
/// differ per run, are zeroed on both sides before comparing.
#[cfg(test)]
pub mod golden {
    use super::Request;

    pub fn parse(capture: &str) -> Vec<u8> {
        let hex: String = capture
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .flat_map(|l| l.split_whitespace())
            .collect();
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex capture"))
            .collect()
    }

    /// Splits a capture into its messages, sequence number and port id zeroed. A capture of
    /// a request sent with sendto holds the buffer ip sent, zeroes after the message included.
    pub fn messages(capture: &str) -> Vec<Vec<u8>> {
        let bytes = parse(capture);
        let mut rest = &bytes[..];
        let mut out = Vec::new();
        while rest.len() >= 16 {
            let len = u32::from_ne_bytes(rest[0..4].try_into().unwrap()) as usize;
            if len < 16 {
                break;
            }
            let mut msg = rest[..len].to_vec();
            msg[8..16].fill(0);
            out.push(msg);
            rest = &rest[((len + 3) & !3).min(rest.len())..];
        }
        out
    }

    /// The bodies (after the netlink header) of the captured messages of one type: a dump's
    /// replies, for the parsers.
    pub fn bodies(capture: &str, kind: u16) -> Vec<Vec<u8>> {
        messages(capture)
            .into_iter()
            .filter(|m| u16::from_ne_bytes([m[4], m[5]]) == kind)
            .map(|m| m[16..].to_vec())
            .collect()
    }

    pub fn assert_matches<P>(req: &Request<P>, capture: &str) {
        let want = messages(capture).swap_remove(0);
        let got = req.to_bytes(0, 0);
        assert_eq!(
            hex(&got),
            hex(&want),
            "request '{}' differs from capture",
            req.what
        );
    }

    pub fn hex(bytes: &[u8]) -> String {
        bytes
            .chunks(16)
            .map(|c| {
                c.iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}
