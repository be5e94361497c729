//! `l2x lab up`: build the lab step by step, then check it from every container.

use std::net::IpAddr;
use std::path::Path;

use anyhow::{Result, anyhow};
use ipnetwork::IpNetwork;

use super::plan::{self, Plan, words};
use super::step::Steps;
use super::wiring::{self, End};
use super::{Ctx, claim, report};
use crate::cli::{LabUpArgs, TunnelKind};
use crate::cmd::probe::{self, Probe};
use crate::dhcp::daemon;
use crate::report::Hinted;
use crate::show::lab::unanswered;

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
    let view = report::check(&plan)?;
    steps.say("");
    ctx.out.show(&view, || view.table());
    if view.failed > 0 {
        return Err(anyhow!(Hinted::new(
            unanswered(view.failed),
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
/// lower the bridges' MTU), container ports (attached at that MTU), DHCP and NAT, then the containers'
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
    };
    let host_end = End {
        netns: &host,
        name: plan::UPLINK,
    };
    wiring::cable(steps, &wan_end, &host_end)?;
    steps.l2x(plan::WAN, &words(&["attach", &port, plan::WAN_BRIDGE]))?;
    let net = IpNetwork::new(IpAddr::V4(plan::underlay(i)), plan::UNDERLAY_PREFIX)?;
    wiring::address(steps, &host, plan::UPLINK, net)
}

/// Container i's cable to its host's bridge. `attach` gives the bridge port the bridge's MTU,
/// which the tunnels lowered; the container's end keeps the kernel's 1500 until DHCP hands it
/// the bridge's.
fn container(steps: &Steps, i: u8) -> Result<()> {
    let (host, ct, port) = (plan::host(i), plan::container(i), plan::container_port(i));
    let host_end = End {
        netns: &host,
        name: &port,
    };
    let ct_end = End {
        netns: &ct,
        name: plan::CONTAINER_IFACE,
    };
    wiring::cable(steps, &host_end, &ct_end)?;
    steps.l2x(&host, &words(&["attach", &port, plan::BRIDGE]))
}
