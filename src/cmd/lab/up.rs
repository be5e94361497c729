//! `l2x lab up`: build the lab step by step, then check it from every container.

use std::net::IpAddr;
use std::path::Path;

use anyhow::{Result, anyhow};
use ipnetwork::IpNetwork;

use super::plan::{self, Names, Plan, words};
use super::step::Steps;
use super::wiring::{self, End};
use super::{Ctx, claim, file, report};
use crate::cli::{self, LabUpArgs};
use crate::dhcp::daemon;
use crate::report::Hinted;
use crate::show::lab::unanswered;
use crate::spec::tunnel::TunnelKind;
use crate::state::kernel;

pub fn run(ctx: &mut Ctx, args: &LabUpArgs) -> Result<()> {
    let names = Names::new(&args.prefix.prefix);
    let steps = Steps::new(ctx.out, args.change.dry_run, ctx.verbose);
    let segment = match &args.file {
        Some(path) => Some(file::plan(&names, path)?),
        None => None,
    };
    let asked = match &segment {
        Some((_, seg)) => Some(seg.tunnel),
        None => args.tunnel.map(kind),
    };
    let (tunnel, why) = choose_tunnel(asked)?;
    let plan = match &segment {
        Some((plan, _)) => plan.clone(),
        None => Plan {
            tunnel,
            hosts: args.hosts,
            file: None,
        },
    };
    if !steps.dry_run {
        claim(&names, &plan)?;
    }
    match &segment {
        Some((plan, seg)) => {
            let path = plan
                .file
                .as_ref()
                .map_or(String::new(), |f| f.path.display().to_string());
            steps.say(&format!(
                "segment {} from {path}: {} tunnels",
                seg.name,
                tunnel.name()
            ));
            file::build(&steps, &names, plan, seg)?;
        }
        None => {
            steps.say(&format!("tunnel: {} ({why})", tunnel.name()));
            build(&steps, &names, &plan)?;
        }
    }
    if steps.dry_run {
        steps.say("dry run: nothing was changed");
        return Ok(());
    }
    let view = report::check(&names, &plan)?;
    steps.say("");
    ctx.out.show(&view, || view.table());
    if view.failed > 0 {
        return Err(anyhow!(Hinted::new(
            unanswered(view.failed),
            format!(
                "`l2x doctor` and `l2x -n {} show` tell what is wrong",
                names.host(1)
            ),
        )));
    }
    if view.unresolved > 0 {
        return Err(anyhow!(Hinted::new(
            format!(
                "{} containers could not resolve a peer's name",
                view.unresolved
            ),
            format!(
                "`l2x -n {} doctor` checks the DNS server the lab's DHCP hands out",
                names.host(plan.file.as_ref().map_or(1, |f| f.router))
            ),
        )));
    }
    Ok(())
}

fn kind(asked: cli::TunnelKind) -> TunnelKind {
    match asked {
        cli::TunnelKind::Gretap => TunnelKind::Gretap,
        cli::TunnelKind::L2tp => TunnelKind::L2tp,
        cli::TunnelKind::Vxlan => TunnelKind::Vxlan,
    }
}

/// The asked-for tunnel if this kernel has it, else the first of gretap, l2tp, vxlan it has;
/// with the reason for the choice.
fn choose_tunnel(asked: Option<TunnelKind>) -> Result<(TunnelKind, String)> {
    if let Some(kind) = asked {
        let probe =
            kernel::tunnel(kind.name()).ok_or_else(|| anyhow!("no probe for {}", kind.name()))?;
        if let Err(e) = probe.run() {
            return Err(anyhow!(Hinted::new(
                format!("--tunnel {}: {e:#}", kind.name()),
                format!(
                    "`modprobe {}`, or leave --tunnel out to use what this kernel has",
                    probe.module
                ),
            )));
        }
        return Ok((kind, "asked for".to_string()));
    }
    let mut missing = Vec::new();
    for kind in TunnelKind::ALL {
        let has = kernel::tunnel(kind.name()).is_some_and(|p| p.run().is_ok());
        if has {
            let why = if missing.is_empty() {
                "the first of gretap, l2tp, vxlan; this kernel has it".to_string()
            } else {
                format!("this kernel has no {}", missing.join(" and no "))
            };
            return Ok((kind, why));
        }
        missing.push(kind.name());
    }
    Err(anyhow!(
        "this kernel has none of gretap, l2tp (l2tp_eth) and vxlan"
    ))
}

/// Every step, in an order where each finds what it needs: underlay, bridges, tunnels (which
/// lower the bridges' MTU), container ports (attached at that MTU), DHCP and NAT, then the
/// containers' leases. Each step leaves what exists alone, so a re-run only checks.
fn build(steps: &Steps, names: &Names, plan: &Plan) -> Result<()> {
    for ns in plan.namespaces(names) {
        wiring::namespace(steps, &ns)?;
    }
    wan(steps, names, plan)?;
    for i in plan.host_ids() {
        let addr = IpNetwork::new(IpAddr::V4(plan::underlay(i)), plan::UNDERLAY_PREFIX)?;
        underlay(steps, names, i, plan::UPLINK, &[addr])?;
    }
    for i in plan.host_ids() {
        steps.l2x(&names.host(i), &plan.bridge_args(i))?;
    }
    for i in plan.host_ids() {
        for j in plan.host_ids().filter(|&j| j != i) {
            steps.l2x(&names.host(i), &plan.tunnel_args(i, j))?;
        }
    }
    for i in plan.host_ids() {
        container(steps, names, i, plan::BRIDGE)?;
    }
    let running = daemon::holder(Path::new(&names.dhcp_pid_file()))?;
    match running.filter(|_| !steps.dry_run) {
        Some(pid) => steps.done(
            &format!("dhcp {}", plan::BRIDGE),
            &format!("unchanged (pid {pid})"),
        ),
        None => steps.l2x(&names.host(1), &plan.dhcp_serve_args(names))?,
    }
    steps.l2x(&names.host(1), &plan.nat_args())?;
    leases(steps, names, plan)
}

/// The underlay: bridge wan0 in the wan namespace, whose own address is the internet host.
pub(super) fn wan(steps: &Steps, names: &Names, plan: &Plan) -> Result<()> {
    let internet = IpNetwork::new(IpAddr::V4(plan.internet()), plan::UNDERLAY_PREFIX)?;
    let wan_bridge = [
        "bridge",
        "add",
        plan::WAN_BRIDGE,
        "--addr",
        &internet.to_string(),
    ];
    steps.l2x(&names.wan(), &words(&wan_bridge))
}

/// Host i's cable to the wan bridge, ending in `uplink` on the host, with its addresses.
pub(super) fn underlay(
    steps: &Steps,
    names: &Names,
    i: u8,
    uplink: &str,
    addrs: &[IpNetwork],
) -> Result<()> {
    let (host, port) = (names.host(i), plan::wan_port(i));
    let wan = names.wan();
    let wan_end = End {
        netns: &wan,
        name: &port,
    };
    let host_end = End {
        netns: &host,
        name: uplink,
    };
    wiring::cable(steps, &wan_end, &host_end)?;
    steps.l2x(&wan, &words(&["attach", &port, plan::WAN_BRIDGE]))?;
    for net in addrs {
        wiring::address(steps, &host, uplink, *net)?;
    }
    Ok(())
}

/// Every container asks for its address, MTU and default route.
pub(super) fn leases(steps: &Steps, names: &Names, plan: &Plan) -> Result<()> {
    for i in plan.host_ids() {
        // Named as its bridge port is: the name its peers resolve it by.
        let name = plan::container_port(i);
        let request = [
            "dhcp",
            "request",
            plan::CONTAINER_IFACE,
            "--timeout",
            "20s",
            "--hostname",
            &name,
        ];
        steps.l2x(&names.container(i), &words(&request))?;
    }
    Ok(())
}

/// Container i's cable to its host's bridge. `attach` gives the bridge port the bridge's MTU,
/// which the tunnels lowered; the container's end keeps the kernel's 1500 until DHCP hands it
/// the bridge's.
pub(super) fn container(steps: &Steps, names: &Names, i: u8, bridge: &str) -> Result<()> {
    let (host, ct, port) = (names.host(i), names.container(i), plan::container_port(i));
    let host_end = End {
        netns: &host,
        name: &port,
    };
    let ct_end = End {
        netns: &ct,
        name: plan::CONTAINER_IFACE,
    };
    wiring::cable(steps, &host_end, &ct_end)?;
    steps.l2x(&host, &words(&["attach", &port, bridge]))
}
