//! `l2x attach` and `l2x detach`: bridge ports.

use anyhow::Result;

use super::{Ctx, engine};
use crate::cli::{AttachArgs, IfName};
use crate::spec::Mode;
use crate::spec::port::{self, Port, PortHave};
use crate::spec::tunnel::mtu_notes;
use crate::state::links;

pub fn attach(ctx: &mut Ctx, args: &AttachArgs) -> Result<()> {
    let spec = Port::new(args.iface.as_str(), args.bridge.as_str(), args.isolated)?;
    let dry_run = args.change.dry_run;
    let mut read = None;
    let events = engine::change(&mut ctx.s, &ctx.out, dry_run, |s, _| {
        let bridge = links::require_bridge(&mut s.route, &spec.bridge)?;
        let link = links::require(&mut s.route, &spec.iface)?;
        let master = match link.master {
            Some(m) if m == bridge.index => Some(bridge.clone()),
            Some(m) => links::find_index(&mut s.route, m)?,
            None => None,
        };
        let have = PortHave {
            link,
            bridge,
            master,
        };
        let plan = spec.plan(&have, Mode::Refuse);
        read = Some(have);
        plan
    })
    .map_err(|e| port::port_limit(e, args.bridge.as_str()))?;
    let mut events = events;
    if let Some(have) = read.filter(|_| !dry_run) {
        let attached = have.master.is_none();
        let mtu = port::fitted_mtu(have.link.mtu, have.bridge.mtu).unwrap_or(have.link.mtu);
        if attached {
            events.extend(mtu_notes(&mut ctx.s, &spec.iface, mtu, &have.bridge)?);
        }
    }
    ctx.report(&events, dry_run);
    Ok(())
}

pub fn detach(ctx: &mut Ctx, iface: &IfName, dry_run: bool) -> Result<()> {
    let events = engine::change(&mut ctx.s, &ctx.out, dry_run, |s, _| {
        let link = links::require(&mut s.route, iface.as_str())?;
        let bridge = match link.master {
            Some(m) => links::find_index(&mut s.route, m)?,
            None => None,
        };
        Ok(port::detach(&link, bridge.as_ref()))
    })?;
    ctx.report(&events, dry_run);
    Ok(())
}
