//! Links and their addresses, by name, by index, or all at once.

use anyhow::{Result, anyhow};

use crate::msg::Route;
use crate::msg::addr::{self, Addr};
use crate::msg::link::{self, Link};
use crate::nl::Netlink;
use crate::report::Hinted;

/// A link with its addresses (those the user made: no kernel-made link-local ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub link: Link,
    pub addrs: Vec<Addr>,
}

/// One interface by name: a single RTM_GETLINK the kernel answers from its name index.
pub fn find(nl: &mut Netlink<Route>, name: &str) -> Result<Option<Link>> {
    Ok(nl
        .get(&link::get(name))?
        .and_then(|body| Link::parse(&body)))
}

/// One interface by index, for naming a link's master or underlay.
pub fn find_index(nl: &mut Netlink<Route>, index: u32) -> Result<Option<Link>> {
    Ok(nl
        .get(&link::get_index(index))?
        .and_then(|body| Link::parse(&body)))
}

/// One interface with its addresses.
pub fn device(nl: &mut Netlink<Route>, name: &str) -> Result<Option<Device>> {
    let Some(link) = find(nl, name)? else {
        return Ok(None);
    };
    let addrs = addresses(nl, link.index)?;
    Ok(Some(Device { link, addrs }))
}

/// An interface that must exist.
pub fn require(nl: &mut Netlink<Route>, name: &str) -> Result<Link> {
    find(nl, name)?.ok_or_else(|| {
        anyhow!(Hinted::new(
            format!("no such interface {name}"),
            "`ip link` lists the interfaces that exist",
        ))
    })
}

/// A bridge that must exist.
pub fn require_bridge(nl: &mut Netlink<Route>, name: &str) -> Result<Link> {
    let link = find(nl, name)?.ok_or_else(|| no_bridge(name))?;
    if !link.is_kind("bridge") {
        return Err(anyhow!("{name} is {}, not a bridge", link.kind_phrase()));
    }
    Ok(link)
}

pub fn no_bridge(name: &str) -> anyhow::Error {
    anyhow!(Hinted::new(
        format!("no such bridge {name}"),
        "`l2x bridge show` lists the bridges; `l2x bridge add NAME` makes one",
    ))
}

/// The ports of a bridge, without listing every link.
pub fn ports(nl: &mut Netlink<Route>, bridge: u32) -> Result<Vec<Link>> {
    Ok(nl
        .dump(&link::dump_ports(bridge))?
        .iter()
        .filter_map(|b| Link::parse(b))
        .collect())
}

pub fn all(nl: &mut Netlink<Route>) -> Result<Vec<Link>> {
    Ok(nl
        .dump(&link::dump())?
        .iter()
        .filter_map(|b| Link::parse(b))
        .collect())
}

/// The addresses of an interface that stop working once it is a bridge port: all but IPv6
/// link-local ones (the kernel makes those for every interface, ports too).
pub fn movable(nl: &mut Netlink<Route>, index: u32) -> Result<Vec<Addr>> {
    Ok(nl
        .dump(&addr::dump(index))?
        .iter()
        .filter_map(|b| Addr::parse(b))
        .filter(|a| !(a.net.is_ipv6() && a.is_link_scope()))
        .collect())
}

/// Addresses of one interface (index > 0) or of all (index 0), without the kernel-made
/// link-local ones.
pub fn addresses(nl: &mut Netlink<Route>, index: u32) -> Result<Vec<Addr>> {
    Ok(nl
        .dump(&addr::dump(index))?
        .iter()
        .filter_map(|b| Addr::parse(b))
        .filter(|a| !a.is_link_scope())
        .collect())
}
