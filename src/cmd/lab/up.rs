//! `l2x lab up`: build the lab step by step, then check it from every container.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::thread;

use anyhow::{Result, anyhow};
use ipnetwork::IpNetwork;

use super::ping::{self, Echo};
use super::plan::{self, Plan, words};
use super::step::Steps;
use super::wiring::{self, End};
use super::{Ctx, claim};
use crate::cli::{LabUpArgs, TunnelKind};
use crate::cmd::probe::{self, Probe};
use crate::dhcp::daemon;
use crate::report::Hinted;
use crate::show::lab::{ContainerView, LabView, PingView};

pub fn run(ctx: &mut Ctx, args: &LabUpArgs) -> Result<()> {
    let steps = Steps::new(ctx.out);
    let (tunnel, why) = choose_tunnel(args.tunnel)?;
    let plan = Plan {
        tunnel,
        hosts: args.hosts,
    };
    claim(&plan)?;
    steps.say(&format!("tunnel: {} ({why})", tunnel.name()));
    build(&steps, &plan)?;
    let view = check(&plan)?;
    steps.say("");
    ctx.out.show(&view, || view.table());
    if view.failed > 0 {
        return Err(anyhow!(Hinted::new(
            format!("{} pings got no answer", view.failed),
            "`l2x doctor` and `l2x -n l2x-lab-host1 show` tell what is wrong",
        )));
    }
    Ok(())
}

/// The asked-for tunnel if this kernel has it, else the first of gretap, l2tp, vxlan it has;
/// with the reason for the choice.
fn choose_tunnel(asked: Option<TunnelKind>) -> Result<(TunnelKind, String)> {
    let Some(kind) = asked else {
        return probe::default_tunnel();
    };
    let probe = Probe::tunnel(kind);
    if let Err(e) = probe.run() {
        return Err(anyhow!(Hinted::new(
            format!("--tunnel {}: {e:#}", kind.name()),
            format!(
                "`modprobe {}`, or leave --tunnel out to use what this kernel has",
                probe.module()
            ),
        )));
    }
    Ok((kind, "asked for".to_string()))
}

/// Every step, in an order where each finds what it needs: underlay, bridges, tunnels (which
/// lower the bridges' MTU), container ports of that MTU, DHCP and NAT, then the containers'
/// leases. Each step leaves what exists alone, so a re-run only checks.
fn build(steps: &Steps, plan: &Plan) -> Result<()> {
    for ns in plan.namespaces() {
        wiring::namespace(steps, &ns)?;
    }
    let internet = IpNetwork::new(IpAddr::V4(plan::INTERNET), plan::UNDERLAY_PREFIX)?;
    let wan_bridge = [
        "bridge",
        "add",
        plan::WAN_BRIDGE,
        "--addr",
        &internet.to_string(),
    ];
    steps.l2x(plan::WAN, &words(&wan_bridge))?;
    for i in plan.host_ids() {
        underlay(steps, i)?;
    }
    for i in plan.host_ids() {
        steps.l2x(&plan::host(i), &plan.bridge_args(i))?;
    }
    for i in plan.host_ids() {
        for j in plan.host_ids().filter(|&j| j != i) {
            steps.l2x(&plan::host(i), &plan.tunnel_args(i, j))?;
        }
    }
    for i in plan.host_ids() {
        container(steps, i)?;
    }
    if let Some(pid) = daemon::holder(Path::new(&plan::dhcp_pid_file()))? {
        steps.done(
            &format!("dhcp {}", plan::BRIDGE),
            &format!("unchanged (pid {pid})"),
        );
    } else {
        steps.l2x(&plan::host(1), &plan.dhcp_serve_args())?;
    }
    steps.l2x(&plan::host(1), &plan.nat_args())?;
    for i in plan.host_ids() {
        let request = ["dhcp", "request", plan::CONTAINER_IFACE, "--timeout", "20s"];
        steps.l2x(&plan::container(i), &words(&request))?;
    }
    Ok(())
}

/// Host i's cable to the wan bridge, and its underlay address.
fn underlay(steps: &Steps, i: u8) -> Result<()> {
    let (host, port) = (plan::host(i), plan::wan_port(i));
    let wan_end = End {
        netns: plan::WAN,
        name: &port,
        mtu: None,
    };
    let host_end = End {
        netns: &host,
        name: plan::UPLINK,
        mtu: None,
    };
    wiring::cable(steps, &wan_end, &host_end)?;
    steps.l2x(plan::WAN, &words(&["attach", &port, plan::WAN_BRIDGE]))?;
    let net = IpNetwork::new(IpAddr::V4(plan::underlay(i)), plan::UNDERLAY_PREFIX)?;
    wiring::address(steps, &host, plan::UPLINK, net)
}

/// Container i's cable to its host's bridge. The bridge port gets the bridge's MTU, which the
/// tunnels set; the container's end keeps the kernel's 1500 until DHCP hands it the bridge's.
fn container(steps: &Steps, i: u8) -> Result<()> {
    let (host, ct, port) = (plan::host(i), plan::container(i), plan::container_port(i));
    let (bridge, _) = wiring::read(&host, plan::BRIDGE)?;
    let host_end = End {
        netns: &host,
        name: &port,
        mtu: Some(bridge.mtu),
    };
    let ct_end = End {
        netns: &ct,
        name: plan::CONTAINER_IFACE,
        mtu: None,
    };
    wiring::cable(steps, &host_end, &ct_end)?;
    steps.l2x(&host, &words(&["attach", &port, plan::BRIDGE]))
}

/// A container as DHCP configured it.
struct Configured {
    id: u8,
    address: Option<Ipv4Addr>,
    prefix: u8,
    mtu: u32,
}

/// Reads every container's address and MTU, then pings: every peer with full-size frames,
/// and the internet host. All pings run at once.
fn check(plan: &Plan) -> Result<LabView> {
    let configured = plan
        .host_ids()
        .map(|i| {
            let (link, addrs) = wiring::read(&plan::container(i), plan::CONTAINER_IFACE)?;
            let v4 = addrs.iter().find_map(|a| match a.net {
                IpNetwork::V4(n) => Some(n),
                IpNetwork::V6(_) => None,
            });
            Ok(Configured {
                id: i,
                address: v4.map(|n| n.ip()),
                prefix: v4.map_or(0, |n| n.prefix()),
                mtu: link.mtu,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let containers = thread::scope(|s| {
        let handles: Vec<_> = configured
            .iter()
            .map(|c| s.spawn(|| ping_from(c, &configured)))
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

fn ping_from(me: &Configured, all: &[Configured]) -> Result<ContainerView> {
    let ns = plan::container(me.id);
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
    let internet = ping::ping(&ns, plan::INTERNET, None)?;
    Ok(ContainerView {
        container: plan::container_port(me.id),
        host: format!("host{}", me.id),
        address: me.address.map(|ip| format!("{ip}/{}", me.prefix)),
        mtu: me.mtu,
        peers,
        internet: view(None, plan::INTERNET.to_string(), internet),
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
