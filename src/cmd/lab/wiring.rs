//! What the lab makes itself because l2x has no command for it (a real host has them already):
//! the namespaces, the veth pairs that stand for cables, and the underlay's addresses. Each is
//! one netlink request from a thread inside the namespace concerned.

use std::os::fd::AsRawFd;

use anyhow::Result;
use ipnetwork::IpNetwork;

use super::step::{Steps, made};
use crate::msg::addr;
use crate::msg::link::{self, LinkChange};
use crate::msg::veth::{self, VethSpec};
use crate::nl::{ErrorKind, Netlink, netns};
use crate::state::links;

/// A named namespace with its loopback up, as a fresh host or container has it.
pub fn namespace(steps: &Steps, name: &str) -> Result<()> {
    let what = format!("netns {name}");
    if steps.dry_run {
        steps.done(&what, "create");
        return Ok(());
    }
    let created = netns::add(name)?;
    if created {
        netns::within(name, || {
            Ok(Netlink::route(false)?.ack(&link::loopback_up())?)
        })?;
    }
    steps.done(&what, made(created));
    Ok(())
}

/// One end of a cable.
pub struct End<'a> {
    pub netns: &'a str,
    pub name: &'a str,
}

/// A veth pair from `a` to `b`, made inside a's namespace with b's end sent straight into b's.
pub fn cable(steps: &Steps, a: &End, b: &End) -> Result<()> {
    let what = format!("veth {} ({}) - {} ({})", a.name, a.netns, b.name, b.netns);
    if steps.dry_run {
        steps.done(&what, "create");
        return Ok(());
    }
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
    steps.done(&what, made(created));
    Ok(())
}

/// Sets the interface up with this address.
pub fn address(steps: &Steps, ns: &str, iface: &str, net: IpNetwork) -> Result<()> {
    let what = format!("address {net} on {iface} ({ns})");
    if steps.dry_run {
        steps.done(&what, "create");
        return Ok(());
    }
    let created = netns::within(ns, || {
        let mut nl = Netlink::route(false)?;
        let link = links::require(&mut nl, iface)?;
        let up = LinkChange {
            up: Some(true),
            ..LinkChange::default()
        };
        nl.ack(&link::change(link.index, iface, up))?;
        match nl.ack(&addr::add(link.index, iface, net)) {
            Err(e) if e.kind() == ErrorKind::Exists => Ok(false),
            other => other.map(|_| true).map_err(Into::into),
        }
    })?;
    steps.done(&what, made(created));
    Ok(())
}
