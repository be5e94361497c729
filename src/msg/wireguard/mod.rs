//! WireGuard: the interface (rtnetlink kind "wireguard") and its configuration, one device and
//! peer model in two encodings: generic netlink for the kernel module (`netlink`), and the text
//! of wireguard-go's UAPI socket for hosts without it (`uapi`). Keys are in `key`.
//!
//! A `Device` is both what is asked for (a set) and what is read (a get): the set leaves alone
//! what is `None` and never sends the counters; a get fills in what the kernel knows and
//! leaves the set's flags false.

use std::net::SocketAddr;
use std::time::Duration;

use ipnetwork::IpNetwork;

use super::link::{self, NewLink, Placement};
use super::{Feature, Request, Route};

pub mod key;
pub mod netlink;
pub mod uapi;

use key::{PrivateKey, PublicKey};

/// The rtnetlink link kind, and the generic netlink family (include/uapi/linux/wireguard.h).
pub const WG_GENL_NAME: &str = "wireguard";
pub const WG_GENL_VERSION: u8 = 1;

/// The kernel module (mainline since 5.6); the link kind and the family autoload it.
pub const WIREGUARD: Feature = Feature {
    name: "wireguard",
    module: "wireguard",
};

/// What runs a WireGuard interface, and so which encoding configures it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The kernel module, over generic netlink.
    Kernel,
    /// wireguard-go, over its socket.
    WireguardGo,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Kernel => "the kernel module",
            Backend::WireguardGo => "wireguard-go",
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Device {
    pub name: String,
    /// The interface index (reported by the kernel only).
    pub ifindex: Option<u32>,
    pub private_key: Option<PrivateKey>,
    /// Derived from the private key (reported only).
    pub public_key: Option<PublicKey>,
    /// The UDP port; 0 asks for any free one.
    pub listen_port: Option<u16>,
    pub fwmark: Option<u32>,
    /// Set: the peers are exactly `peers`, every other one removed (WGDEVICE_F_REPLACE_PEERS).
    pub replace_peers: bool,
    pub peers: Vec<Peer>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub public_key: PublicKey,
    /// Where to send; WireGuard follows a peer that roams (and learns one that dials in).
    pub endpoint: Option<SocketAddr>,
    /// Seconds between keepalives, 0 for none: what keeps a NAT mapping open toward a host that
    /// cannot be reached first.
    pub persistent_keepalive: Option<u16>,
    /// The addresses this peer may send from, and that are sent to it.
    pub allowed_ips: Vec<IpNetwork>,
    /// Set: `allowed_ips` replace the peer's, instead of adding to them.
    pub replace_allowed_ips: bool,
    /// Set: remove this peer (WGPEER_F_REMOVE_ME); nothing else is sent for it.
    pub remove: bool,
    /// When the last handshake completed, since the Unix epoch (reported; `None`: never).
    pub last_handshake: Option<Duration>,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
}

impl Peer {
    /// A peer known by its key and nothing else yet.
    pub fn new(public_key: PublicKey) -> Peer {
        Peer {
            public_key,
            endpoint: None,
            persistent_keepalive: None,
            allowed_ips: Vec::new(),
            replace_allowed_ips: false,
            remove: false,
            last_handshake: None,
            rx_bytes: 0,
            tx_bytes: 0,
        }
    }

    /// A set that removes the peer with this key.
    pub fn removal(public_key: PublicKey) -> Peer {
        Peer {
            remove: true,
            ..Peer::new(public_key)
        }
    }
}

/// `ip link add NAME type wireguard`; down, without keys: `netlink::set_device` (or, with
/// wireguard-go, its own start) configures it.
pub fn create(name: &str, at: Placement) -> Request<Route> {
    link::create(&NewLink {
        name,
        kind: WG_GENL_NAME,
        mtu: at.mtu,
        up: at.up,
        group: at.group,
        master: at.master,
        ..NewLink::default()
    })
    .needing(WIREGUARD)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::golden;

    #[test]
    fn create_matches_iproute2() {
        golden::assert_matches(
            &create("wg1", Placement::default()),
            include_str!("../../../tests/golden/wireguard-add.hex"),
        );
    }
}
