//! What the lab makes itself because l2x has no command for it (a real host has them already):
//! the namespaces, the veth pairs that stand for cables, and the underlay's addresses. Each is
//! one netlink request from a thread inside the namespace concerned.

use std::os::fd::AsRawFd;

use anyhow::{Result, anyhow};
use ipnetwork::IpNetwork;

use super::step::{Steps, made};
use crate::cmd::links;
use crate::msg::addr::{self, Addr};
use crate::msg::link::{self, Link, LinkChange};
use crate::msg::veth::{self, VethSpec};
use crate::nl::{Netlink, netns};

/// A named namespace with its loopback up, as a fresh host or container has it.
pub fn namespace(steps: &Steps, name: &str) -> Result<()> {
    let created = netns::add(name)?;
    if created {
        netns::within(name, || {
            Ok(Netlink::route(false)?.ack(&link::loopback_up())?)
        })?;
    }
    steps.done(&format!("netns {name}"), made(created));
    Ok(())
}

/// One end of a cable.
pub struct End<'a> {
    pub netns: &'a str,
    pub name: &'a str,
}

/// A veth pair from `a` to `b`, made inside a's namespace with b's end sent straight into b's.
pub fn cable(steps: &Steps, a: &End, b: &End) -> Result<()> {
    let peer_ns = netns::open(b.netns)?;
    let spec = VethSpec {
        name: a.name,
        peer: b.name,
        peer_netns: Some(peer_ns.as_raw_fd()),
    };
    let created = netns::within(a.netns, || {
        let mut nl = Netlink::route(false)?;
        if links::find(&mut nl, a.name)?.is_some() {
            return Ok(false);
        }
        nl.ack(&veth::create(&spec))?;
        Ok(true)
    })?;
    let what = format!("veth {} ({}) - {} ({})", a.name, a.netns, b.name, b.netns);
    steps.done(&what, made(created));
    Ok(())
}

/// Sets the interface up with this address.
pub fn address(steps: &Steps, ns: &str, iface: &str, net: IpNetwork) -> Result<()> {
    let created = netns::within(ns, || {
        let mut nl = Netlink::route(false)?;
        let link = find(&mut nl, iface)?;
        let up = LinkChange {
            up: true,
            ..LinkChange::default()
        };
        nl.ack(&link::change(link.index, iface, up))?;
        match nl.ack(&addr::add(link.index, iface, net)) {
            Err(e) if e.errno == libc::EEXIST => Ok(false),
            other => other.map(|_| true).map_err(Into::into),
        }
    })?;
    steps.done(&format!("address {net} on {iface} ({ns})"), made(created));
    Ok(())
}

/// An interface and its addresses, read inside a namespace.
pub fn read(ns: &str, iface: &str) -> Result<(Link, Vec<Addr>)> {
    netns::within(ns, || {
        let mut nl = Netlink::route(false)?;
        let link = find(&mut nl, iface)?;
        let addrs = links::addresses(&mut nl, link.index)?;
        Ok((link, addrs))
    })
}

fn find(nl: &mut Netlink, iface: &str) -> Result<Link> {
    links::find(nl, iface)?.ok_or_else(|| anyhow!("no interface {iface}"))
}
