//! What `lab up` reports: every container's address and MTU as DHCP set them, and pings from
//! each to every peer (full-size frames, DF set) and to the internet host (through the NAT).

use std::net::Ipv4Addr;
use std::thread;

use anyhow::{Result, anyhow};
use ipnetwork::IpNetwork;

use super::ping::{self, Echo};
use super::plan::{self, Names, Plan};
use crate::nl::{Netlink, netns};
use crate::show::lab::{ContainerView, LabView, PingView};
use crate::state::links;

/// A container as DHCP configured it.
struct Configured {
    id: u8,
    host: String,
    address: Option<Ipv4Addr>,
    prefix: u8,
    mtu: u32,
}

/// Reads every container's address and MTU, then pings: every peer with full-size frames,
/// and the internet host. All pings run at once.
pub fn check(names: &Names, plan: &Plan) -> Result<LabView> {
    let configured = plan
        .host_ids()
        .map(|i| {
            let (link, addrs) = netns::within(&names.container(i), || {
                let mut nl = Netlink::route(false)?;
                let link = links::require(&mut nl, plan::CONTAINER_IFACE)?;
                let addrs = links::addresses(&mut nl, link.index)?;
                Ok((link, addrs))
            })?;
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
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let containers = thread::scope(|s| {
        let handles: Vec<_> = configured
            .iter()
            .map(|c| s.spawn(|| ping_from(names, plan.internet(), c, &configured)))
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
    Ok(LabView {
        tunnel: plan.tunnel.name().to_string(),
        hosts: plan.hosts,
        containers,
        failed,
    })
}

/// IPv4 header (20) and ICMP header (8): what a ping adds to its payload.
const ICMP_OVERHEAD: u32 = 28;

fn ping_from(
    names: &Names,
    internet: Ipv4Addr,
    me: &Configured,
    all: &[Configured],
) -> Result<ContainerView> {
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
    Ok(ContainerView {
        container: plan::container_port(me.id),
        host: me.host.clone(),
        address: me.address.map(|ip| format!("{ip}/{}", me.prefix)),
        mtu: me.mtu,
        peers,
        internet: view(None, internet.to_string(), answer),
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
