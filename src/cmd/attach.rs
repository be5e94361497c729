//! `l2x attach` and `l2x detach`: bridge ports, and the host bridge (a NIC whose addresses and
//! routes move to its bridge and back).

use anyhow::Result;

use super::{Ctx, engine};
use crate::cli::{AttachArgs, DetachArgs};
use crate::msg::link::Link;
use crate::nl::Sockets;
use crate::plan::Plan;
use crate::spec::Mode;
use crate::spec::hostbridge::{self, Carried};
use crate::spec::port::{self, Port, PortHave};
use crate::spec::tunnel::mtu_notes;
use crate::state::moved::{Moved, RouteKey};
use crate::state::{links, routes};

pub fn attach(ctx: &mut Ctx, args: &AttachArgs) -> Result<()> {
    let mut spec = Port::new(args.iface.as_str(), args.bridge.as_str(), args.isolated)?;
    spec.move_addresses = args.move_addresses;
    let dry_run = args.change.dry_run;
    let mut read = None;
    let events = engine::change(&mut ctx.s, &ctx.out, dry_run, |s, _| {
        let have = read_port(s, &spec)?;
        let plan = spec.plan(&have, Mode::Refuse);
        read = Some(have);
        plan
    })
    .map_err(|e| port::port_limit(e, args.bridge.as_str()))?;
    let mut events = events;
    if let Some(have) = read.filter(|_| !dry_run) {
        let attached = have.master.is_none();
        if attached && !have.carried.is_empty() {
            record_move(&have)?;
        }
        let mtu = port::fitted_mtu(have.link.mtu, have.bridge.mtu).unwrap_or(have.link.mtu);
        if attached {
            events.extend(mtu_notes(&mut ctx.s, &spec.iface, mtu, &have.bridge)?);
        }
    }
    ctx.report(&events, dry_run);
    Ok(())
}

/// The interface, its bridge, its present master, and (unless it is a port of the bridge
/// already) what it carries that a port cannot.
fn read_port(s: &mut Sockets, spec: &Port) -> Result<PortHave> {
    let bridge = links::require_bridge(&mut s.route, &spec.bridge)?;
    let link = links::require(&mut s.route, &spec.iface)?;
    let master = match link.master {
        Some(m) if m == bridge.index => Some(bridge.clone()),
        Some(m) => links::find_index(&mut s.route, m)?,
        None => None,
    };
    let carried = if master.as_ref().is_some_and(|m| m.index == bridge.index) {
        Carried::default()
    } else {
        carried_by(s, &link)?
    };
    Ok(PortHave {
        link,
        bridge,
        master,
        carried,
    })
}

fn carried_by(s: &mut Sockets, link: &Link) -> Result<Carried> {
    Ok(Carried {
        addrs: links::movable(&mut s.route, link.index)?,
        routes: routes::through(&mut s.route, link.index)?,
    })
}

/// What moved, for `detach --move-addresses` to move back.
fn record_move(have: &PortHave) -> Result<()> {
    Moved {
        port: have.link.name.clone(),
        bridge: have.bridge.name.clone(),
        bridge_mac: have.bridge.mac,
        addrs: have.carried.addrs.iter().map(|a| a.net).collect(),
        routes: have.carried.routes.iter().map(RouteKey::of).collect(),
    }
    .write()
}

pub fn detach(ctx: &mut Ctx, args: &DetachArgs) -> Result<()> {
    let iface = args.iface.as_str();
    let dry_run = args.change.dry_run;
    let record = if args.move_addresses {
        Moved::find(iface)?
    } else {
        None
    };
    let events = engine::change(&mut ctx.s, &ctx.out, dry_run, |s, _| {
        let link = links::require(&mut s.route, iface)?;
        let bridge = match link.master {
            Some(m) => links::find_index(&mut s.route, m)?,
            None => None,
        };
        let plan = port::detach(&link, bridge.as_ref());
        match bridge.filter(|_| args.move_addresses && !plan.is_noop()) {
            Some(b) => move_back(s, plan, &link, &b, record.as_ref()),
            None => Ok(plan),
        }
    })?;
    if args.move_addresses && !dry_run {
        Moved::remove(iface)?;
    }
    ctx.report(&events, dry_run);
    Ok(())
}

/// The detach with what came from the port moved back: the recorded addresses and routes, or
/// without a record everything the bridge carries.
fn move_back(
    s: &mut Sockets,
    mut plan: Plan,
    port: &Link,
    bridge: &Link,
    record: Option<&Moved>,
) -> Result<Plan> {
    let all = carried_by(s, bridge)?;
    let carried = match record {
        Some(r) => all.only(r),
        None => all,
    };
    let release = plan.changes.remove(0).steps.remove(0);
    let mac = record.and_then(|r| r.bridge_mac);
    let mut moved = Plan {
        known: plan.known,
        ..Plan::default()
    };
    for c in hostbridge::detach(port, bridge, &carried, mac, release) {
        moved.push(c);
    }
    Ok(moved)
}
