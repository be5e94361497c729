//! `l2x show` and the show commands of each object kind: read through `state`, rendered by
//! `show`.

use anyhow::{Result, anyhow};
use serde::Serialize;

use super::Ctx;
use crate::cli::IfName;
use crate::report::Hinted;
use crate::show::{Overview, bridges, leases, nat, tunnels, wireguard};
use crate::state::tunnel::{self, Tunnel};
use crate::state::{Host, l2tp, links, nft, sysctl};
use std::time::SystemTime;

#[derive(Serialize)]
struct Bridges {
    bridges: Vec<bridges::BridgeView>,
}

#[derive(Serialize)]
struct Tunnels {
    tunnels: Vec<Tunnel>,
}

#[derive(Serialize)]
struct Nat {
    nat: nat::NatView,
}

/// One bridge is one lookup, its ports' dump and its addresses; all bridges are two dumps.
pub fn bridges(ctx: &mut Ctx, only: Option<&IfName>) -> Result<()> {
    let list = match only {
        Some(name) => {
            let bridge = links::find(&mut ctx.s.route, name.as_str())?
                .filter(|l| l.is_kind("bridge"))
                .ok_or_else(|| not_found("bridge", name))?;
            let mut all = links::ports(&mut ctx.s.route, bridge.index)?;
            let addrs = links::addresses(&mut ctx.s.route, bridge.index)?;
            all.push(bridge);
            bridges::collect(&all, &addrs)
        }
        None => {
            let all = links::all(&mut ctx.s.route)?;
            let addrs = links::addresses(&mut ctx.s.route, 0)?;
            bridges::collect(&all, &addrs)
        }
    };
    let doc = Bridges { bridges: list };
    ctx.out.show(&doc, || bridges::table(&doc.bridges));
    Ok(())
}

pub fn tunnels(ctx: &mut Ctx, only: Option<&IfName>) -> Result<()> {
    let list = match only {
        Some(name) => {
            let t = tunnel::find(&mut ctx.s, name.as_str())?;
            vec![t.ok_or_else(|| not_found("tunnel", name))?]
        }
        None => {
            let all = links::all(&mut ctx.s.route)?;
            let l2tp = if tunnel::may_hold_l2tp(&all) {
                l2tp::read(&mut ctx.s)?
            } else {
                None
            };
            tunnel::all(&mut ctx.s, &all, l2tp.as_ref())?
        }
    };
    let doc = Tunnels { tunnels: list };
    ctx.out.show(&doc, || tunnels::table(&doc.tunnels));
    Ok(())
}

pub fn nat(ctx: &mut Ctx) -> Result<()> {
    let now = nft::read(&mut ctx.s)?;
    let doc = Nat {
        nat: nat::collect(&now.owned, sysctl::forwarding()?),
    };
    ctx.out.show(&doc, || nat::table(&doc.nat));
    Ok(())
}

pub fn everything(ctx: &mut Ctx) -> Result<()> {
    let host = Host::read(&mut ctx.s)?;
    let ruleset = host.nft.as_ref().map_err(|e| anyhow!("nat: {e}"))?;
    let view = Overview {
        bridges: bridges::collect(&host.links, &host.addrs),
        tunnels: host.tunnels.clone(),
        wireguard: host
            .wireguard
            .iter()
            .map(|(dev, backend)| wireguard::view(dev, *backend, SystemTime::now()))
            .collect(),
        nat: nat::collect(&ruleset.owned, host.forwarding),
        dhcp: leases::servers(&host.dhcp)?,
    };
    ctx.out.show(&view, || view.table());
    Ok(())
}

fn not_found(what: &str, name: &IfName) -> anyhow::Error {
    anyhow!(Hinted::new(
        format!("{what} show {name}: no such {what}"),
        format!("`l2x {what} show` lists them"),
    ))
}
