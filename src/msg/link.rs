//! Links (network interfaces): RTM_NEWLINK / RTM_DELLINK / RTM_GETLINK with struct ifinfomsg.

use super::attr::{AttrWriter, Attrs};
use super::{AF_UNSPEC, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, Request, Route};

// include/uapi/linux/rtnetlink.h
pub const RTM_NEWLINK: u16 = 16;
pub const RTM_DELLINK: u16 = 17;
pub const RTM_GETLINK: u16 = 18;
pub const RTM_SETLINK: u16 = 19;

// include/uapi/linux/if_link.h
pub const IFLA_ADDRESS: u16 = 1;
pub const IFLA_IFNAME: u16 = 3;
pub const IFLA_MTU: u16 = 4;
pub const IFLA_LINK: u16 = 5;
pub const IFLA_MASTER: u16 = 10;
pub const IFLA_PROTINFO: u16 = 12;
pub const IFLA_OPERSTATE: u16 = 16;
pub const IFLA_LINKINFO: u16 = 18;
pub const IFLA_IFALIAS: u16 = 20;
pub const IFLA_STATS64: u16 = 23;
pub const IFLA_GROUP: u16 = 27;
pub const IFLA_EXT_MASK: u16 = 29;
pub const IFLA_MAX_MTU: u16 = 51;
pub const IFLA_INFO_KIND: u16 = 1;
pub const IFLA_INFO_DATA: u16 = 2;
pub const IFLA_INFO_SLAVE_KIND: u16 = 4;
pub const IFLA_INFO_SLAVE_DATA: u16 = 5;

// include/uapi/linux/if.h
pub const IFF_UP: u32 = 0x1;
// include/uapi/linux/socket.h: the family iproute2's link dumps carry
const AF_PACKET: u8 = 17;
// include/uapi/linux/rtnetlink.h
const RTEXT_FILTER_VF: u32 = 1;

/// RFC 2863 operational states, as IFLA_OPERSTATE reports them.
const OPER_STATES: [&str; 7] = [
    "unknown",
    "notpresent",
    "down",
    "lowerlayerdown",
    "testing",
    "dormant",
    "up",
];

/// struct ifinfomsg: family, pad, type, index, flags, change.
pub fn ifinfomsg(family: u8, index: u32, flags: u32, change: u32) -> [u8; 16] {
    let mut h = [0u8; 16];
    h[0] = family;
    h[4..8].copy_from_slice(&index.to_ne_bytes());
    h[8..12].copy_from_slice(&flags.to_ne_bytes());
    h[12..16].copy_from_slice(&change.to_ne_bytes());
    h
}

/// What a new link is made with. `data` is the kind's own IFLA_INFO_DATA, built by the module
/// that knows that kind (bridge, gretap, vxlan). `up`, `mtu` and `master` go in the same
/// request, so the link never exists half set up.
#[derive(Debug, Default, Clone)]
pub struct NewLink<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub mtu: Option<u32>,
    pub mac: Option<[u8; 6]>,
    pub up: bool,
    /// The link group (IFLA_GROUP): unlike an alias, the kernel takes it in the create request.
    pub group: Option<u32>,
    /// The ifindex of the bridge to enslave the new link to.
    pub master: Option<u32>,
    pub data: Option<AttrWriter>,
}

/// Where a new tunnel device goes and in what state: its MTU, up, its link group and the
/// bridge (ifindex) it becomes a port of, all in its create request.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub mtu: Option<u32>,
    pub up: bool,
    pub group: Option<u32>,
    pub master: Option<u32>,
}

impl<'a> NewLink<'a> {
    /// A link of `kind` named `name`, placed as given, with the kind's own settings.
    pub fn placed(name: &'a str, kind: &'a str, at: Placement, data: AttrWriter) -> Self {
        NewLink {
            name,
            kind,
            mtu: at.mtu,
            mac: None,
            up: at.up,
            group: at.group,
            master: at.master,
            data: Some(data),
        }
    }
}

/// RTM_NEWLINK with NLM_F_CREATE|NLM_F_EXCL: never modifies a link that exists already. The
/// attributes come in the order `ip link add NAME mtu N address MAC group G master BR type KIND`
/// sends them.
pub fn create(link: &NewLink) -> Request<Route> {
    let up = if link.up { IFF_UP } else { 0 };
    let mut w = AttrWriter::with_header(&ifinfomsg(AF_UNSPEC, 0, up, up));
    if let Some(mtu) = link.mtu {
        w.u32(IFLA_MTU, mtu);
    }
    if let Some(mac) = link.mac {
        w.bytes(IFLA_ADDRESS, &mac);
    }
    if let Some(group) = link.group {
        w.u32(IFLA_GROUP, group);
    }
    if let Some(master) = link.master {
        w.u32(IFLA_MASTER, master);
    }
    w.str(IFLA_IFNAME, link.name);
    w.nest(IFLA_LINKINFO, |info| {
        // Without the NUL, as iproute2 sends it (the kernel's NLA_STRING takes either).
        info.bytes(IFLA_INFO_KIND, link.kind.as_bytes());
        if let Some(data) = &link.data {
            info.bytes(IFLA_INFO_DATA, &data.clone().finish());
        }
    });
    Request::new(
        RTM_NEWLINK,
        NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
        w.finish(),
        format!("create {} {}", link.kind, link.name),
    )
}

/// Changes to an existing link, sent together in one RTM_NEWLINK.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LinkChange {
    /// Some(true) sets the link up, Some(false) down; None leaves its state alone.
    pub up: Option<bool>,
    /// Some(0) releases the link from its master (`nomaster`).
    pub master: Option<u32>,
    pub mtu: Option<u32>,
    pub mac: Option<[u8; 6]>,
    pub group: Option<u32>,
}

pub fn change(index: u32, name: &str, c: LinkChange) -> Request<Route> {
    let flags = if c.up == Some(true) { IFF_UP } else { 0 };
    let mask = if c.up.is_some() { IFF_UP } else { 0 };
    let mut w = AttrWriter::with_header(&ifinfomsg(AF_UNSPEC, index, flags, mask));
    if let Some(mac) = c.mac {
        w.bytes(IFLA_ADDRESS, &mac);
    }
    if let Some(mtu) = c.mtu {
        w.u32(IFLA_MTU, mtu);
    }
    if let Some(master) = c.master {
        w.u32(IFLA_MASTER, master);
    }
    if let Some(group) = c.group {
        w.u32(IFLA_GROUP, group);
    }
    Request::new(RTM_NEWLINK, NLM_F_ACK, w.finish(), format!("change {name}"))
}

/// `ip link set NAME alias TEXT`: the words `ip link show` prints under the link; an empty
/// text removes them.
pub fn set_alias(index: u32, name: &str, alias: &str) -> Request<Route> {
    let mut w = AttrWriter::with_header(&ifinfomsg(AF_UNSPEC, index, 0, 0));
    // Without the NUL, as iproute2 sends it.
    w.bytes(IFLA_IFALIAS, alias.as_bytes());
    Request::new(
        RTM_NEWLINK,
        NLM_F_ACK,
        w.finish(),
        format!("set the alias of {name}"),
    )
}

/// `ip link set NAME type KIND ...`: the kind's own settings of an existing link.
pub fn change_kind(index: u32, name: &str, kind: &str, data: AttrWriter) -> Request<Route> {
    let mut w = AttrWriter::with_header(&ifinfomsg(AF_UNSPEC, index, 0, 0));
    w.nest(IFLA_LINKINFO, |info| {
        info.bytes(IFLA_INFO_KIND, kind.as_bytes());
        info.bytes(IFLA_INFO_DATA, &data.finish());
    });
    Request::new(RTM_NEWLINK, NLM_F_ACK, w.finish(), format!("change {name}"))
}

/// The kernel gives lo index 1 in every network namespace (LOOPBACK_IFINDEX).
pub const LOOPBACK_IFINDEX: u32 = 1;

/// `ip link set lo up`: a new namespace starts with its loopback down.
pub fn loopback_up() -> Request<Route> {
    let up = LinkChange {
        up: Some(true),
        ..LinkChange::default()
    };
    change(LOOPBACK_IFINDEX, "lo", up)
}

pub fn delete(index: u32, name: &str) -> Request<Route> {
    let w = AttrWriter::with_header(&ifinfomsg(AF_UNSPEC, index, 0, 0));
    Request::new(RTM_DELLINK, NLM_F_ACK, w.finish(), format!("delete {name}"))
}

/// RTM_GETLINK for one name: the kernel looks it up, no dump of every link.
pub fn get(name: &str) -> Request<Route> {
    let mut w = AttrWriter::with_header(&ifinfomsg(AF_UNSPEC, 0, 0, 0));
    w.str(IFLA_IFNAME, name);
    Request::new(RTM_GETLINK, 0, w.finish(), format!("look up {name}"))
}

/// RTM_GETLINK for one index.
pub fn get_index(index: u32) -> Request<Route> {
    let w = AttrWriter::with_header(&ifinfomsg(AF_UNSPEC, index, 0, 0));
    Request::new(
        RTM_GETLINK,
        0,
        w.finish(),
        format!("look up interface {index}"),
    )
}

pub fn dump() -> Request<Route> {
    let w = AttrWriter::with_header(&ifinfomsg(AF_UNSPEC, 0, 0, 0));
    Request::new(RTM_GETLINK, NLM_F_DUMP, w.finish(), "list links")
}

/// The links of one kind (`ip link show type KIND`): the kernel filters the dump by it.
pub fn dump_kind(kind: &str) -> Request<Route> {
    let mut w = AttrWriter::with_header(&ifinfomsg(AF_PACKET, 0, 0, 0));
    w.u32(IFLA_EXT_MASK, RTEXT_FILTER_VF);
    w.nest(IFLA_LINKINFO, |info| {
        info.bytes(IFLA_INFO_KIND, kind.as_bytes());
    });
    Request::new(
        RTM_GETLINK,
        NLM_F_DUMP,
        w.finish(),
        format!("list {kind} links"),
    )
}

/// The ports of one master: the kernel filters the dump by IFLA_MASTER.
pub fn dump_ports(master: u32) -> Request<Route> {
    let mut w = AttrWriter::with_header(&ifinfomsg(AF_UNSPEC, 0, 0, 0));
    w.u32(IFLA_MASTER, master);
    Request::new(RTM_GETLINK, NLM_F_DUMP, w.finish(), "list ports")
}

/// A link as the kernel reports it. The kind-specific attributes stay raw for the module that
/// knows how to read them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Link {
    pub index: u32,
    pub name: String,
    pub up: bool,
    pub oper_state: &'static str,
    pub mtu: u32,
    /// The largest MTU the device takes (IFLA_MAX_MTU), where the kernel says.
    pub max_mtu: Option<u32>,
    pub mac: Option<[u8; 6]>,
    pub master: Option<u32>,
    /// The underlay device (IFLA_LINK), for veth peers and tunnels bound to a device.
    pub link: Option<u32>,
    pub kind: Option<String>,
    pub info_data: Vec<u8>,
    pub slave_kind: Option<String>,
    pub slave_data: Vec<u8>,
    /// IFLA_IFALIAS, when set.
    pub alias: Option<String>,
    /// IFLA_GROUP: 0, the default group, unless someone put the link in another.
    pub group: u32,
    pub stats: Option<Stats>,
}

/// The first counters of struct rtnl_link_stats64 (IFLA_STATS64).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    pub rx_packets: u64,
    pub tx_packets: u64,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    pub rx_errors: u64,
    pub tx_errors: u64,
    pub rx_dropped: u64,
    pub tx_dropped: u64,
}

impl Stats {
    fn parse(payload: &[u8]) -> Option<Stats> {
        let n = |i: usize| -> Option<u64> {
            Some(u64::from_ne_bytes(
                payload.get(i * 8..i * 8 + 8)?.try_into().ok()?,
            ))
        };
        Some(Stats {
            rx_packets: n(0)?,
            tx_packets: n(1)?,
            rx_bytes: n(2)?,
            tx_bytes: n(3)?,
            rx_errors: n(4)?,
            tx_errors: n(5)?,
            rx_dropped: n(6)?,
            tx_dropped: n(7)?,
        })
    }
}

impl Link {
    /// Parses the body of an RTM_NEWLINK reply (ifinfomsg and attributes).
    pub fn parse(body: &[u8]) -> Option<Link> {
        let header = body.get(..16)?;
        let attrs = Attrs(&body[16..]);
        let mut link = Link {
            index: u32::from_ne_bytes(header[4..8].try_into().ok()?),
            up: u32::from_ne_bytes(header[8..12].try_into().ok()?) & IFF_UP != 0,
            oper_state: "unknown",
            ..Link::default()
        };
        for a in &attrs {
            match a.kind {
                IFLA_IFNAME => link.name = a.str()?.to_string(),
                IFLA_MTU => link.mtu = a.u32()?,
                IFLA_MAX_MTU => link.max_mtu = a.u32().filter(|&m| m > 0),
                IFLA_ADDRESS => link.mac = a.payload.try_into().ok(),
                IFLA_MASTER => link.master = a.u32().filter(|&m| m != 0),
                IFLA_LINK => link.link = a.u32().filter(|&l| l != 0 && l != link.index),
                IFLA_OPERSTATE => {
                    link.oper_state = OPER_STATES.get(a.u8()? as usize).unwrap_or(&"unknown")
                }
                IFLA_LINKINFO => link.read_linkinfo(a.nested()),
                IFLA_IFALIAS => link.alias = a.str().filter(|s| !s.is_empty()).map(str::to_string),
                IFLA_GROUP => link.group = a.u32()?,
                IFLA_STATS64 => link.stats = Stats::parse(a.payload),
                _ => {}
            }
        }
        Some(link)
    }

    fn read_linkinfo(&mut self, info: Attrs) {
        for a in &info {
            match a.kind {
                IFLA_INFO_KIND => self.kind = a.str().map(str::to_string),
                IFLA_INFO_DATA => self.info_data = a.payload.to_vec(),
                IFLA_INFO_SLAVE_KIND => self.slave_kind = a.str().map(str::to_string),
                IFLA_INFO_SLAVE_DATA => self.slave_data = a.payload.to_vec(),
                _ => {}
            }
        }
    }

    pub fn is_kind(&self, kind: &str) -> bool {
        self.kind.as_deref() == Some(kind)
    }

    /// The words a user would use for what this link is: its kind, or "interface".
    pub fn kind_name(&self) -> &str {
        self.kind.as_deref().unwrap_or("interface")
    }

    /// "a veth", "an interface": for messages saying what a link is instead.
    pub fn kind_phrase(&self) -> String {
        let kind = self.kind_name();
        let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        format!("{article} {kind}")
    }
}

/// `aa:bb:cc:dd:ee:ff`.
pub fn format_mac(mac: &[u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::msg::golden;

    #[test]
    fn set_up_matches_iproute2() {
        let req = change(
            4,
            "br0",
            LinkChange {
                up: Some(true),
                ..Default::default()
            },
        );
        golden::assert_matches(&req, include_str!("../../tests/golden/link-set-up.hex"));
    }

    #[test]
    fn set_master_matches_iproute2() {
        let req = change(
            3,
            "v0",
            LinkChange {
                master: Some(4),
                ..Default::default()
            },
        );
        golden::assert_matches(&req, include_str!("../../tests/golden/link-set-master.hex"));
    }

    #[test]
    fn nomaster_matches_iproute2() {
        let req = change(
            3,
            "v0",
            LinkChange {
                master: Some(0),
                ..Default::default()
            },
        );
        golden::assert_matches(
            &req,
            include_str!("../../tests/golden/link-set-nomaster.hex"),
        );
    }

    #[test]
    fn set_mac_matches_iproute2() {
        let req = change(
            4,
            "br0",
            LinkChange {
                mac: Some([2, 0, 0, 0, 0, 1]),
                ..Default::default()
            },
        );
        golden::assert_matches(&req, include_str!("../../tests/golden/link-set-mac.hex"));
    }

    #[test]
    fn delete_matches_iproute2() {
        golden::assert_matches(
            &delete(4, "br0"),
            include_str!("../../tests/golden/link-del.hex"),
        );
    }

    /// The link `name` among a captured reply's (`ip link show dev X` also looks up the
    /// links it names: master, peer).
    pub fn replied(capture: &str, name: &str) -> Link {
        golden::bodies(capture, RTM_NEWLINK)
            .iter()
            .map(|b| Link::parse(b).expect("every reply parses"))
            .find(|l| l.name == name)
            .unwrap_or_else(|| panic!("no {name} in the capture"))
    }

    #[test]
    fn a_bridge_as_the_kernel_reports_it() {
        let br0 = replied(
            include_str!("../../tests/golden/reply-link-bridge.hex"),
            "br0",
        );
        assert_eq!((br0.index, br0.name.as_str(), br0.mtu), (4, "br0", 1500));
        assert!(br0.up && br0.is_kind("bridge"));
        assert!(br0.mac.is_some() && br0.master.is_none());
        assert!(!crate::msg::bridge::stp_enabled(&br0.info_data));
    }

    #[test]
    fn an_isolated_port_as_the_kernel_reports_it() {
        let v0 = replied(include_str!("../../tests/golden/reply-link-port.hex"), "v0");
        assert_eq!((v0.index, v0.master), (3, Some(4)));
        assert_eq!(v0.link, Some(2), "its veth peer");
        assert!(v0.is_kind("veth"));
        assert_eq!(v0.slave_kind.as_deref(), Some("bridge"));
        let port = crate::msg::bridge_port::parse(&v0.slave_data);
        assert!(port.isolated);
    }

    #[test]
    fn parse_reads_back_what_create_writes() {
        let req = create(&NewLink {
            name: "br0",
            kind: "bridge",
            mtu: Some(1450),
            mac: Some([2, 0, 0, 0, 0, 1]),
            up: true,
            group: Some(7),
            master: None,
            data: None,
        });
        let link = Link::parse(&req.body).expect("parse");
        assert_eq!(link.name, "br0");
        assert_eq!(link.mtu, 1450);
        assert_eq!(link.mac, Some([2, 0, 0, 0, 0, 1]));
        assert_eq!(link.group, 7);
        assert!(link.up && link.is_kind("bridge"));
    }

    #[test]
    fn alias_and_group_match_iproute2() {
        golden::assert_matches(
            &set_alias(4, "br0", "l2x:seg"),
            include_str!("../../tests/golden/link-set-alias.hex"),
        );
        let group = LinkChange {
            group: Some(7),
            ..Default::default()
        };
        golden::assert_matches(
            &change(4, "br0", group),
            include_str!("../../tests/golden/link-set-group.hex"),
        );
    }

    #[test]
    fn a_kind_dump_matches_iproute2() {
        golden::assert_matches(
            &dump_kind("vxlan"),
            include_str!("../../tests/golden/link-dump-kind.hex"),
        );
    }

    #[test]
    fn alias_group_and_counters_as_the_kernel_reports_them() {
        let br0 = replied(
            include_str!("../../tests/golden/reply-link-marked.hex"),
            "br0",
        );
        assert_eq!(br0.alias.as_deref(), Some("l2x:seg"));
        assert_eq!(br0.group, 7);
        assert!(br0.stats.is_some(), "IFLA_STATS64");
        let plain = replied(
            include_str!("../../tests/golden/reply-link-bridge.hex"),
            "br0",
        );
        assert_eq!((plain.alias, plain.group), (None, 0));
    }
}
