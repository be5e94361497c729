//! `l2x show` and the show commands of each object kind.

use anyhow::{Result, anyhow};
use serde::Serialize;

use super::{Ctx, forwarding, links, tunnel};
use crate::cli::IfName;
use crate::msg::link::Link;
use crate::msg::{gretap, vxlan};
use crate::nl::Netlink;
use crate::report::Hinted;
use crate::show::tunnels::{self, TunnelView};
use crate::show::{Overview, bridges, nat};

#[derive(Serialize)]
struct Bridges {
    bridges: Vec<bridges::BridgeView>,
}

#[derive(Serialize)]
struct Tunnels {
    tunnels: Vec<TunnelView>,
}

pub fn bridges(ctx: &mut Ctx, only: Option<&IfName>) -> Result<()> {
    let all = links::all(&mut ctx.nl)?;
    let list = collect_bridges(ctx, &all, only.map(IfName::as_str))?;
    if let Some(name) = only.filter(|_| list.is_empty()) {
        return Err(not_found("bridge", name));
    }
    let doc = Bridges { bridges: list };
    ctx.out.show(&doc, || bridges::table(&doc.bridges));
    Ok(())
}

pub fn tunnels(ctx: &mut Ctx, only: Option<&IfName>) -> Result<()> {
    let all = links::all(&mut ctx.nl)?;
    let list = collect_tunnels(ctx, &all, only.map(IfName::as_str))?;
    if let Some(name) = only.filter(|_| list.is_empty()) {
        return Err(not_found("tunnel", name));
    }
    let doc = Tunnels { tunnels: list };
    ctx.out.show(&doc, || tunnels::table(&doc.tunnels));
    Ok(())
}

#[derive(Serialize)]
struct Nat {
    nat: nat::NatView,
}

pub fn nat(ctx: &mut Ctx) -> Result<()> {
    let doc = Nat {
        nat: collect_nat(ctx)?,
    };
    ctx.out.show(&doc, || nat::table(&doc.nat));
    Ok(())
}

pub fn everything(ctx: &mut Ctx) -> Result<()> {
    let all = links::all(&mut ctx.nl)?;
    let view = Overview {
        bridges: collect_bridges(ctx, &all, None)?,
        tunnels: collect_tunnels(ctx, &all, None)?,
        nat: collect_nat(ctx)?,
        dhcp: super::dhcp::servers(ctx)?,
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

fn collect_bridges(
    ctx: &mut Ctx,
    all: &[Link],
    only: Option<&str>,
) -> Result<Vec<bridges::BridgeView>> {
    let addrs = links::addresses(&mut ctx.nl, 0)?;
    Ok(bridges::collect(all, &addrs, only))
}

pub(super) fn collect_tunnels(
    ctx: &mut Ctx,
    all: &[Link],
    only: Option<&str>,
) -> Result<Vec<TunnelView>> {
    // Only ask the L2TP family when some interface has no link kind, as a session's has not.
    let l2tp = if all.iter().any(|l| l.kind.is_none() && l.name != "lo") {
        tunnel::l2tp_views(ctx)?
    } else {
        Vec::new()
    };
    let l2tp_names: Vec<String> = l2tp.iter().map(|(name, _)| name.clone()).collect();
    let chosen: Vec<&Link> = all
        .iter()
        .filter(|l| tunnel::is_tunnel(l, &l2tp_names) && only.is_none_or(|n| l.name == n))
        .collect();
    let mut views = Vec::new();
    for link in chosen {
        let bridge = link.master.and_then(|m| all.iter().find(|b| b.index == m));
        let mut v = tunnels::base(link, bridge);
        match link.kind.as_deref() {
            Some("vxlan") => {
                let info = vxlan::parse(&link.info_data);
                v.local = info.local.map(|ip| ip.to_string());
                v.vni = Some(info.vni);
                v.dport = Some(info.dport);
                let remotes = tunnel::vxlan_remotes(ctx, link.index)?;
                v.remotes = remotes.iter().map(ToString::to_string).collect();
            }
            None => {
                let found = l2tp.iter().find(|(name, _)| *name == link.name);
                if let Some((_, l)) = found {
                    v.kind = "l2tp".to_string();
                    v.local = Some(l.local.clone());
                    v.remotes = vec![l.remote.clone()];
                    v.dport = l.dport;
                    v.l2tp = Some(l.clone());
                }
            }
            _ => {
                let info = gretap::parse(&link.info_data);
                v.local = info.local.map(|ip| ip.to_string());
                v.remotes = info.remote.iter().map(ToString::to_string).collect();
                v.key = info.key;
            }
        }
        views.push(v);
    }
    Ok(views)
}

fn collect_nat(ctx: &mut Ctx) -> Result<nat::NatView> {
    let mut nf = Netlink::netfilter(ctx.verbose)?;
    let now = super::nat::read(&mut nf)?;
    Ok(nat::collect(&now.owned, forwarding::enabled()?))
}
