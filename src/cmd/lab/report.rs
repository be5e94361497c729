//! What `lab up` reports: every container's address and MTU as DHCP set them, pings from
//! each to every peer (full-size frames, DF set) and to the internet host (through the NAT),
//! and whether it resolves a peer by name through the DNS server on its router.

use std::net::{IpAddr, Ipv4Addr};
use std::thread;
use std::time::Duration;

use anyhow::{Result, anyhow};
use ipnetwork::IpNetwork;

use super::ping::{self, Echo};
use super::plan::{self, Names, Plan};
use crate::dns::probe;
use crate::nl::{Netlink, netns};
use crate::show::lab::{ContainerView, LabView, NameView, PingView};
use crate::state::{links, routes};

/// A container as DHCP configured it.
struct Configured {
    id: u8,
    host: String,
    address: Option<Ipv4Addr>,
    prefix: u8,
    mtu: u32,
    /// The default router DHCP gave it, where the segment's DNS server answers.
    router: Option<Ipv4Addr>,
}

/// Reads every container's address and MTU, then pings: every peer with full-size frames,
/// and the internet host. All pings run at once.
pub fn check(names: &Names, plan: &Plan) -> Result<LabView> {
    let configured = plan
        .host_ids()
        .map(|i| {
            let (link, addrs, routes) = netns::within(&names.container(i), || {
                let mut nl = Netlink::route(false)?;
                let link = links::require(&mut nl, plan::CONTAINER_IFACE)?;
                let addrs = links::addresses(&mut nl, link.index)?;
                Ok((link, addrs, routes::all(&mut nl)?))
            })?;
            let router = routes.iter().find_map(|r| match r.gateway {
                Some(IpAddr::V4(gw)) if r.dst.prefix() == 0 => Some(gw),
                _ => None,
            });
            let v4 = addrs.iter().find_map(|a| match a.net {
                IpNetwork::V4(n) => Some(n),
                IpNetwork::V6(_) => None,
            });
            Ok(Configured {
                id: i,
                host: plan.host_name(i),
                address: v4.map(|n| n.ip()),
                prefix: v4.map_or(0, |n| n.prefix()),
                mtu: link.mtu,
                router,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let containers = thread::scope(|s| {
        let handles: Vec<_> = configured
            .iter()
            .map(|c| s.spawn(|| ping_from(names, plan, c, &configured)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow!("ping thread panicked")))
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let failed = containers
        .iter()
        .flat_map(|c: &ContainerView| c.peers.iter().chain([&c.internet]))
        .filter(|p| !p.ok)
        .count();
    let unresolved = containers
        .iter()
        .filter(|c| c.dns.as_ref().is_some_and(|d| !d.ok))
        .count();
    Ok(LabView {
        tunnel: plan.tunnel.name().to_string(),
        hosts: plan.hosts,
        containers,
        failed,
        unresolved,
    })
}

/// IPv4 header (20) and ICMP header (8): what a ping adds to its payload.
const ICMP_OVERHEAD: u32 = 28;

fn ping_from(
    names: &Names,
    plan: &Plan,
    me: &Configured,
    all: &[Configured],
) -> Result<ContainerView> {
    let internet = plan.internet();
    let ns = names.container(me.id);
    let mut peers = Vec::new();
    for peer in all.iter().filter(|p| p.id != me.id) {
        let name = plan::container_port(peer.id);
        let echo = match peer.address {
            Some(ip) => ping::ping(&ns, ip, Some(me.mtu.saturating_sub(ICMP_OVERHEAD)))?,
            None => Echo {
                ok: false,
                rtt_ms: None,
            },
        };
        let address = peer.address.map_or("none".into(), |ip| ip.to_string());
        peers.push(view(Some(name), address, echo));
    }
    let answer = ping::ping(&ns, internet, None)?;
    let dns = match (me.router, all.iter().find(|p| p.id != me.id)) {
        (Some(router), Some(peer)) if plan.serves_dns() => Some(resolve(&ns, router, peer)?),
        _ => None,
    };
    Ok(ContainerView {
        container: plan::container_port(me.id),
        host: me.host.clone(),
        address: me.address.map(|ip| format!("{ip}/{}", me.prefix)),
        mtu: me.mtu,
        peers,
        internet: view(None, internet.to_string(), answer),
        dns,
    })
}

/// Asks the DNS server on the container's router, from the container, for the peer's name:
/// right when it gives the peer's address.
fn resolve(ns: &str, router: Ipv4Addr, peer: &Configured) -> Result<NameView> {
    let name = plan::container_port(peer.id);
    let got = netns::within(ns, || {
        Ok(probe::address(
            router,
            &format!("{name}."),
            Duration::from_secs(2),
        )?)
    })?;
    Ok(NameView {
        ok: got.is_some() && got == peer.address,
        address: got.map(|ip| ip.to_string()),
        name,
        server: router.to_string(),
    })
}

fn view(container: Option<String>, address: String, echo: Echo) -> PingView {
    PingView {
        container,
        address,
        ok: echo.ok,
        rtt_ms: echo.rtt_ms,
    }
}
