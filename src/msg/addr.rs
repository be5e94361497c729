//! Interface addresses: RTM_NEWADDR / RTM_DELADDR / RTM_GETADDR with struct ifaddrmsg. An
//! address reads back with everything the kernel keeps about it (label, broadcast, peer,
//! scope, flags, lifetimes, prefix route metric, protocol), so it can be made again, the same,
//! on another interface.

use std::net::{IpAddr, Ipv4Addr};

use ipnetwork::IpNetwork;

use super::attr::{AttrWriter, Attrs};
use super::route::{RT_SCOPE_LINK, RT_SCOPE_UNIVERSE};
use super::{
    AF_INET, AF_INET6, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, Request, Route, ip_from,
    octets,
};

// include/uapi/linux/rtnetlink.h
pub const RTM_NEWADDR: u16 = 20;
pub const RTM_DELADDR: u16 = 21;
pub const RTM_GETADDR: u16 = 22;

// include/uapi/linux/if_addr.h
pub const IFA_ADDRESS: u16 = 1;
pub const IFA_LOCAL: u16 = 2;
pub const IFA_LABEL: u16 = 3;
pub const IFA_BROADCAST: u16 = 4;
pub const IFA_CACHEINFO: u16 = 6;
pub const IFA_FLAGS: u16 = 8;
pub const IFA_RT_PRIORITY: u16 = 9;
pub const IFA_PROTO: u16 = 11;

pub const IFA_F_NODAD: u32 = 0x02;
pub const IFA_F_OPTIMISTIC: u32 = 0x04;
pub const IFA_F_HOMEADDRESS: u32 = 0x10;
pub const IFA_F_MANAGETEMPADDR: u32 = 0x100;
pub const IFA_F_NOPREFIXROUTE: u32 = 0x200;
pub const IFA_F_MCAUTOJOIN: u32 = 0x400;

/// The flags a request may set (what inet6_rtm_newaddr keeps). The others are the kernel's
/// own state: secondary (it picks the primary), tentative, dadfailed and deprecated (duplicate
/// address detection and lifetimes), permanent (no lifetime).
pub const IFA_F_SETTABLE: u32 = IFA_F_NODAD
    | IFA_F_OPTIMISTIC
    | IFA_F_HOMEADDRESS
    | IFA_F_MANAGETEMPADDR
    | IFA_F_NOPREFIXROUTE
    | IFA_F_MCAUTOJOIN;

/// A lifetime that never ends (include/net/addrconf.h).
pub const INFINITY_LIFE_TIME: u32 = u32::MAX;

fn family(ip: &IpAddr) -> u8 {
    if ip.is_ipv4() { AF_INET } else { AF_INET6 }
}

/// struct ifaddrmsg: family, prefixlen, flags, scope, index.
fn ifaddrmsg(family: u8, prefix: u8, flags: u8, scope: u8, index: u32) -> [u8; 8] {
    let mut h = [family, prefix, flags, scope, 0, 0, 0, 0];
    h[4..8].copy_from_slice(&index.to_ne_bytes());
    h
}

/// Seconds an address stays valid and preferred, counted from when the kernel reported it
/// (struct ifa_cacheinfo's ifa_valid and ifa_prefered); INFINITY_LIFE_TIME for ever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime {
    pub valid: u32,
    pub preferred: u32,
}

impl Lifetime {
    pub const FOREVER: Lifetime = Lifetime {
        valid: INFINITY_LIFE_TIME,
        preferred: INFINITY_LIFE_TIME,
    };
}

impl Default for Lifetime {
    fn default() -> Self {
        Lifetime::FOREVER
    }
}

/// An address as the kernel reports it, and as l2x asks for one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addr {
    pub index: u32,
    /// The interface's own address (IFA_LOCAL; IFA_ADDRESS for IPv6) with its prefix.
    pub net: IpNetwork,
    /// The other end of a point-to-point address (`peer`), where IFA_ADDRESS differs.
    pub peer: Option<IpAddr>,
    pub broadcast: Option<Ipv4Addr>,
    /// IPv4 only: `eth0`, or an alias such as `eth0:web`.
    pub label: Option<String>,
    pub scope: u8,
    /// IFA_F_*, from IFA_FLAGS where the kernel sends it (it holds more than the header's 8 bits).
    pub flags: u32,
    pub lifetime: Lifetime,
    /// The metric of the prefix route the kernel makes for the address (`metric`).
    pub metric: Option<u32>,
    /// Who made the address (IFA_PROTO, kernel 5.18 and later): kernel, RA, user space.
    pub proto: Option<u8>,
}

impl Addr {
    /// A plain address, as `ip addr add CIDR dev NAME` makes it.
    pub fn new(index: u32, net: IpNetwork) -> Addr {
        Addr {
            index,
            net,
            peer: None,
            broadcast: None,
            label: None,
            scope: RT_SCOPE_UNIVERSE,
            flags: 0,
            lifetime: Lifetime::FOREVER,
            metric: None,
            proto: None,
        }
    }

    /// fe80::/10 and friends: made by the kernel, not by the user.
    pub fn is_link_scope(&self) -> bool {
        self.scope == RT_SCOPE_LINK
    }
}

impl Addr {
    /// An address with a lifetime: a DHCP client or router advertisements hold it and will
    /// renew it on the interface they run on.
    pub fn is_dynamic(&self) -> bool {
        self.lifetime.valid != INFINITY_LIFE_TIME
    }

    /// The same address on another interface: the label follows the name (`eth0:web` on br0
    /// becomes `br0:web`: ip refuses a label that does not start with its interface's name).
    pub fn moved_to(&self, index: u32, from: &str, to: &str) -> Addr {
        let label = self.label.as_ref().map(|l| match l.strip_prefix(from) {
            Some(alias) => format!("{to}{alias}"),
            None => l.clone(),
        });
        Addr {
            index,
            label,
            ..self.clone()
        }
    }
}

impl Addr {
    /// IFA_ADDRESS: the peer's address, or the interface's own.
    fn address(&self) -> IpAddr {
        self.peer.unwrap_or(self.net.ip())
    }

    pub fn parse(body: &[u8]) -> Option<Addr> {
        let h = body.get(..8)?;
        let attrs = Attrs(&body[8..]);
        // IFA_LOCAL is the interface's own address; IPv6 sends only IFA_ADDRESS.
        let address = attrs.get(IFA_ADDRESS).and_then(|a| ip_from(a.payload));
        let local = attrs.get(IFA_LOCAL).and_then(|a| ip_from(a.payload));
        let ip = local.or(address)?;
        let mut addr = Addr {
            scope: h[3],
            flags: u32::from(h[2]),
            peer: address.filter(|a| *a != ip),
            ..Addr::new(
                u32::from_ne_bytes(h[4..8].try_into().ok()?),
                IpNetwork::new(ip, h[1]).ok()?,
            )
        };
        for a in &attrs {
            match a.kind {
                IFA_LABEL => addr.label = a.str().map(str::to_string),
                IFA_BROADCAST => {
                    addr.broadcast = <[u8; 4]>::try_from(a.payload).ok().map(Into::into)
                }
                IFA_FLAGS => addr.flags = a.u32()?,
                IFA_CACHEINFO => addr.lifetime = cacheinfo(a.payload)?,
                IFA_RT_PRIORITY => addr.metric = a.u32(),
                IFA_PROTO => addr.proto = a.u8(),
                _ => {}
            }
        }
        Some(addr)
    }
}

/// struct ifa_cacheinfo: ifa_prefered, ifa_valid, cstamp, tstamp.
fn cacheinfo(payload: &[u8]) -> Option<Lifetime> {
    let word = |i: usize| Some(u32::from_ne_bytes(payload.get(i..i + 4)?.try_into().ok()?));
    Some(Lifetime {
        preferred: word(0)?,
        valid: word(4)?,
    })
}

/// Adds an address as `ip addr add CIDR dev NAME` does: IFA_LOCAL and IFA_ADDRESS both set.
pub fn add(index: u32, name: &str, net: IpNetwork) -> Request<Route> {
    create(&Addr::new(index, net), name)
}

/// Adds `addr` with everything it carries, in the order `ip addr add ... label L metric M
/// [flags] peer|brd ... valid_lft V preferred_lft P` sends it. Flags above the header's 8
/// bits go in IFA_FLAGS, the rest in the header, as iproute2 does; only settable ones are sent.
pub fn create(addr: &Addr, name: &str) -> Request<Route> {
    let ip = addr.net.ip();
    let flags = addr.flags & IFA_F_SETTABLE;
    let header_flags = u8::try_from(flags).unwrap_or(0);
    let header = ifaddrmsg(
        family(&ip),
        addr.net.prefix(),
        header_flags,
        addr.scope,
        addr.index,
    );
    let mut w = AttrWriter::with_header(&header);
    w.bytes(IFA_LOCAL, &octets(ip));
    if let Some(label) = &addr.label {
        w.str(IFA_LABEL, label);
    }
    if let Some(metric) = addr.metric {
        w.u32(IFA_RT_PRIORITY, metric);
    }
    if u32::from(header_flags) != flags {
        w.u32(IFA_FLAGS, flags);
    }
    w.bytes(IFA_ADDRESS, &octets(addr.address()));
    if let Some(brd) = addr.broadcast {
        w.bytes(IFA_BROADCAST, &brd.octets());
    }
    if addr.lifetime != Lifetime::FOREVER {
        let mut info = [0u8; 16];
        info[0..4].copy_from_slice(&addr.lifetime.preferred.to_ne_bytes());
        info[4..8].copy_from_slice(&addr.lifetime.valid.to_ne_bytes());
        w.bytes(IFA_CACHEINFO, &info);
    }
    if let Some(proto) = addr.proto {
        w.u8(IFA_PROTO, proto);
    }
    Request::new(
        RTM_NEWADDR,
        NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
        w.finish(),
        format!("add address {} to {name}", addr.net),
    )
}

/// `ip addr del CIDR dev NAME`: the address and prefix name it (and the peer, if it has one).
pub fn delete(addr: &Addr, name: &str) -> Request<Route> {
    let ip = addr.net.ip();
    let header = ifaddrmsg(family(&ip), addr.net.prefix(), 0, 0, addr.index);
    let mut w = AttrWriter::with_header(&header);
    w.bytes(IFA_LOCAL, &octets(ip))
        .bytes(IFA_ADDRESS, &octets(addr.address()));
    Request::new(
        RTM_DELADDR,
        NLM_F_ACK,
        w.finish(),
        format!("delete address {} from {name}", addr.net),
    )
}

/// All addresses of one interface; the kernel filters by index (strict dump checking).
pub fn dump(index: u32) -> Request<Route> {
    let w = AttrWriter::with_header(&ifaddrmsg(0, 0, 0, 0, index));
    Request::new(RTM_GETADDR, NLM_F_DUMP, w.finish(), "list addresses")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::golden;

    /// br0 in the captures' namespace.
    const BR0: u32 = 4;
    // The kernel's own flags, which a dump reports and a request never sets.
    const IFA_F_SECONDARY: u32 = 0x01;
    const IFA_F_PERMANENT: u32 = 0x80;

    fn net(s: &str) -> IpNetwork {
        s.parse().unwrap()
    }

    /// `ip addr add 10.9.0.5/24 dev br0 label br0:web metric 50 noprefixroute brd + ...`.
    fn web() -> Addr {
        Addr {
            broadcast: Some(Ipv4Addr::new(10, 9, 0, 255)),
            label: Some("br0:web".into()),
            flags: IFA_F_NOPREFIXROUTE,
            lifetime: Lifetime {
                valid: 3600,
                preferred: 1800,
            },
            metric: Some(50),
            ..Addr::new(BR0, net("10.9.0.5/24"))
        }
    }

    #[test]
    fn add_matches_iproute2() {
        golden::assert_matches(
            &add(BR0, "br0", net("10.9.0.1/24")),
            include_str!("../../tests/golden/addr-add.hex"),
        );
    }

    #[test]
    fn add_with_everything_matches_iproute2() {
        golden::assert_matches(
            &create(&web(), "br0"),
            include_str!("../../tests/golden/addr-add-full.hex"),
        );
    }

    #[test]
    fn ipv6_add_matches_iproute2() {
        let addr = Addr {
            flags: IFA_F_NODAD,
            lifetime: Lifetime {
                valid: 3600,
                preferred: 1800,
            },
            ..Addr::new(BR0, net("2001:db8::5/64"))
        };
        golden::assert_matches(
            &create(&addr, "br0"),
            include_str!("../../tests/golden/addr-add-v6.hex"),
        );
    }

    #[test]
    fn delete_matches_iproute2() {
        let addr = Addr::new(BR0, net("10.9.0.1/24"));
        golden::assert_matches(
            &delete(&addr, "br0"),
            include_str!("../../tests/golden/addr-del.hex"),
        );
    }

    #[test]
    fn dump_matches_iproute2() {
        golden::assert_matches(&dump(BR0), include_str!("../../tests/golden/addr-dump.hex"));
    }

    fn dumped() -> Vec<Addr> {
        let replies = include_str!("../../tests/golden/addr-dump-reply.hex");
        golden::bodies(replies, RTM_NEWADDR)
            .iter()
            .map(|b| Addr::parse(b).expect("an address"))
            .collect()
    }

    #[test]
    fn kernel_dump_reads_with_every_field() {
        let addrs = dumped();
        let nets: Vec<String> = addrs.iter().map(|a| a.net.to_string()).collect();
        // Primary addresses first, then the secondary ones; fe80:: is derived from a random MAC.
        assert_eq!(
            nets[..6],
            [
                "10.9.0.1/24",
                "10.8.0.1/32",
                "10.9.0.7/24",
                "10.9.0.5/24",
                "2001:db8:5::1/64",
                "2001:db8::5/64"
            ]
        );
        let [primary, p2p, secondary, labelled, ..] = &addrs[..] else {
            panic!("{addrs:?}")
        };
        assert_eq!(primary.label.as_deref(), Some("br0"));
        assert_eq!(primary.flags, IFA_F_PERMANENT);
        assert!(!primary.is_dynamic());
        assert_eq!(secondary.flags, IFA_F_PERMANENT | IFA_F_SECONDARY);
        // Lifetimes count down from the capture's 3600/1800.
        assert!(
            (3590..=3600).contains(&labelled.lifetime.valid),
            "{labelled:?}"
        );
        assert!((1790..=1800).contains(&labelled.lifetime.preferred));
        assert!(labelled.is_dynamic());
        let same = Addr {
            lifetime: labelled.lifetime,
            flags: IFA_F_NOPREFIXROUTE | IFA_F_SECONDARY,
            ..web()
        };
        assert_eq!(*labelled, same);
        assert_eq!(p2p.peer, Some("10.8.0.2".parse().unwrap()));
    }

    #[test]
    fn ipv6_addresses_keep_their_flags_and_scope() {
        let addrs = dumped();
        let v6 = addrs
            .iter()
            .find(|a| a.net == net("2001:db8::5/64"))
            .unwrap();
        assert_eq!(v6.flags & IFA_F_NODAD, IFA_F_NODAD);
        assert!(v6.is_dynamic() && v6.label.is_none() && v6.broadcast.is_none());
        let link = addrs.iter().find(|a| a.is_link_scope()).unwrap();
        assert_eq!(link.scope, RT_SCOPE_LINK);
    }

    #[test]
    fn a_dumped_address_is_recreated_the_same_on_another_interface() {
        for addr in dumped() {
            let moved = addr.moved_to(7, "br0", "eth0");
            let again = Addr::parse(&create(&moved, "eth0").body).unwrap();
            let settable = |a: &Addr| Addr {
                flags: a.flags & IFA_F_SETTABLE,
                ..a.clone()
            };
            assert_eq!(settable(&again), settable(&moved), "{addr:?}");
            assert_eq!(again.index, 7);
        }
        let label = web().moved_to(7, "br0", "eth0").label;
        assert_eq!(label.as_deref(), Some("eth0:web"));
    }

    #[test]
    fn protocol_reads_back() {
        let addr = Addr {
            proto: Some(3),
            ..Addr::new(BR0, net("10.9.0.1/24"))
        };
        assert_eq!(Addr::parse(&create(&addr, "br0").body), Some(addr));
    }
}
