//! The whole host, read once: every link with its addresses, the tunnels among them, the
//! nf_tables ruleset, IPv4 forwarding and the DHCP servers. For `show`, `doctor` and whatever
//! looks at a host as a whole.

use anyhow::Result;

use super::dhcp::{self, Server};
use super::l2tp;
use super::nft::{self, Ruleset};
use super::tunnel::{self, Tunnel};
use super::{links, sysctl, wireguard};
use crate::msg::addr::Addr;
use crate::msg::link::Link;
use crate::msg::wireguard::{Backend, Device};
use crate::nl::Sockets;

#[derive(Debug)]
pub struct Host {
    pub links: Vec<Link>,
    pub addrs: Vec<Addr>,
    pub tunnels: Vec<Tunnel>,
    /// The ruleset, or why it could not be read (no nf_tables in this kernel).
    pub nft: Result<Ruleset, String>,
    pub forwarding: bool,
    pub dhcp: Vec<Server>,
    /// The WireGuard interfaces, each with what runs it.
    pub wireguard: Vec<(Device, Backend)>,
}

impl Host {
    pub fn read(s: &mut Sockets) -> Result<Host> {
        let links = links::all(&mut s.route)?;
        let addrs = links::addresses(&mut s.route, 0)?;
        // Only ask the L2TP family when some link has no kind, as a session's has not.
        let l2tp = if tunnel::may_hold_l2tp(&links) {
            l2tp::read(s)?
        } else {
            None
        };
        let tunnels = tunnel::all(s, &links, l2tp.as_ref())?;
        let nft = nft::read(s).map_err(|e| format!("{e:#}"));
        let mut wg = Vec::new();
        for l in &links {
            if let Some(backend) = wireguard::runs(l)? {
                wg.push((wireguard::read(s, &l.name, backend)?, backend));
            }
        }
        Ok(Host {
            links,
            addrs,
            tunnels,
            nft,
            forwarding: sysctl::forwarding()?,
            dhcp: dhcp::all()?,
            wireguard: wg,
        })
    }

    pub fn bridges(&self) -> impl Iterator<Item = &Link> {
        self.links.iter().filter(|l| l.is_kind("bridge"))
    }

    pub fn ports(&self, bridge: &Link) -> impl Iterator<Item = &Link> {
        let index = bridge.index;
        self.links.iter().filter(move |l| l.master == Some(index))
    }
}
