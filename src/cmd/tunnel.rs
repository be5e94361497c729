//! `l2x tunnel gretap|l2tp|vxlan|del|show`: each kind's arguments become its spec; the rest
//! is the same for every kind.

use anyhow::{Context, Result};

use super::{Ctx, engine, show};
use crate::cli::{GretapArgs, L2tpArgs, L2tpEncap, TunnelCmd, TunnelCommon, VxlanArgs};
use crate::msg::gretap::GretapSpec;
use crate::msg::l2tp::{Encap, L2TP_L2SPECTYPE_DEFAULT, L2TP_PORT, SessionSpec, TunnelSpec};
use crate::msg::vxlan::VxlanSpec;
use crate::report::usage;
use crate::spec::Mode;
use crate::spec::tunnel::{self, Device, Gretap, L2tp, Tunnel, Vxlan};

pub fn run(ctx: &mut Ctx, cmd: &TunnelCmd) -> Result<()> {
    match cmd {
        TunnelCmd::Gretap(a) => gretap(a)
            .and_then(|d| add(ctx, d, &a.common))
            .with_context(|| format!("tunnel gretap {}", a.name)),
        TunnelCmd::L2tp(a) => l2tp(a)
            .and_then(|d| add(ctx, d, &a.common))
            .with_context(|| format!("tunnel l2tp {}", a.name)),
        TunnelCmd::Vxlan(a) => vxlan(a)
            .and_then(|d| add(ctx, d, &a.common))
            .with_context(|| format!("tunnel vxlan {}", a.name)),
        TunnelCmd::Del { name, change } => {
            del(ctx, name.as_str(), change.dry_run).with_context(|| format!("tunnel del {name}"))
        }
        TunnelCmd::Show { name } => show::tunnels(ctx, name.as_ref()),
    }
}

fn gretap(a: &GretapArgs) -> Result<Box<dyn Device>> {
    Ok(Box::new(Gretap::new(GretapSpec {
        name: a.name.to_string(),
        local: a.local,
        remote: a.remote,
        ttl: a.ttl,
        key: a.key,
    })?))
}

fn l2tp(a: &L2tpArgs) -> Result<Box<dyn Device>> {
    let encap = match a.encap {
        L2tpEncap::Udp => Encap::Udp {
            sport: a.sport.unwrap_or(L2TP_PORT),
            dport: a.dport.unwrap_or(L2TP_PORT),
        },
        L2tpEncap::Ip if a.sport.is_some() || a.dport.is_some() => {
            return Err(usage(
                "--sport and --dport are UDP ports: they need --encap udp",
            ));
        }
        L2tpEncap::Ip => Encap::Ip,
    };
    let peer_tunnel_id = a.peer_tunnel_id.unwrap_or(a.tunnel_id);
    let tunnel = TunnelSpec {
        tunnel_id: a.tunnel_id,
        peer_tunnel_id,
        encap,
        local: a.local,
        remote: a.remote,
    };
    let session = SessionSpec {
        name: a.name.to_string(),
        tunnel_id: a.tunnel_id,
        peer_tunnel_id,
        session_id: a.session_id,
        peer_session_id: a.peer_session_id.unwrap_or(a.session_id),
        cookie: a.cookie.as_ref().map(|c| c.0.clone()),
        peer_cookie: a.peer_cookie.as_ref().map(|c| c.0.clone()),
        l2spec: L2TP_L2SPECTYPE_DEFAULT,
    };
    Ok(Box::new(L2tp::new(tunnel, session)?))
}

fn vxlan(a: &VxlanArgs) -> Result<Box<dyn Device>> {
    let spec = VxlanSpec {
        name: a.name.to_string(),
        vni: a.vni,
        local: a.local,
        dport: a.dport,
    };
    Ok(Box::new(Vxlan::new(spec, &a.remote)?))
}

fn add(ctx: &mut Ctx, device: Box<dyn Device>, common: &TunnelCommon) -> Result<()> {
    let spec = Tunnel {
        device,
        mtu: common.mtu,
        bridge: common.bridge.as_ref().map(|b| b.to_string()),
        isolated: common.isolated,
        mark: None,
    };
    let dry_run = common.change.dry_run;
    let mut read = None;
    let mut events = engine::change(&mut ctx.s, &ctx.out, dry_run, |s, presume| {
        let have = spec.read(s, presume)?;
        let plan = spec.plan(&have, Mode::Refuse)?;
        read = Some(have);
        Ok(plan)
    })?;
    // A new tunnel on a bridge may have lowered it: say so, and what it means for its ports.
    let made = read.filter(|have| have.tunnel.is_none() && !dry_run);
    if let Some((have, bridge)) = made.and_then(|h| h.bridge.clone().map(|b| (h, b))) {
        let mtu = match spec.mtu_for(&have) {
            Some(mtu) => Some(mtu),
            None => crate::state::links::find(&mut ctx.s.route, spec.device.name())?.map(|l| l.mtu),
        };
        if let Some(mtu) = mtu {
            events.extend(tunnel::mtu_notes(
                &mut ctx.s,
                spec.device.name(),
                mtu,
                &bridge,
            )?);
        }
    }
    ctx.report(&events, dry_run);
    Ok(())
}

fn del(ctx: &mut Ctx, name: &str, dry_run: bool) -> Result<()> {
    let events = engine::change(&mut ctx.s, &ctx.out, dry_run, |s, _| {
        tunnel::delete(name, s)
    })?;
    ctx.report(&events, dry_run);
    Ok(())
}
