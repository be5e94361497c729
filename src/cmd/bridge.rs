//! `l2x bridge add|del|show`.

use anyhow::{Context, Result};

use super::{Ctx, engine, show};
use crate::cli::{BridgeAddArgs, BridgeCmd};
use crate::spec::Mode;
use crate::spec::bridge::{self, Bridge};
use crate::state::links;

pub fn run(ctx: &mut Ctx, cmd: &BridgeCmd) -> Result<()> {
    match cmd {
        BridgeCmd::Add(args) => add(ctx, args).with_context(|| format!("bridge add {}", args.name)),
        BridgeCmd::Del { name, change } => {
            del(ctx, name.as_str(), change.dry_run).with_context(|| format!("bridge del {name}"))
        }
        BridgeCmd::Show { name } => show::bridges(ctx, name.as_ref()),
    }
}

/// A new bridge costs one request (two with an address), as `ip link add` does: the create
/// is exclusive, so a name that is taken is only looked up and compared then.
fn add(ctx: &mut Ctx, args: &BridgeAddArgs) -> Result<()> {
    let spec = Bridge {
        name: args.name.to_string(),
        addrs: args.addrs.clone(),
        mtu: args.mtu,
        mac: args.mac.map(|m| m.0),
        stp: args.stp,
        mark: None,
    };
    let events = engine::change(&mut ctx.s, &ctx.out, args.change.dry_run, |s, presume| {
        let have = if presume {
            None
        } else {
            links::device(&mut s.route, &spec.name)?
        };
        spec.plan(have.as_ref(), Mode::Refuse)
    })?;
    ctx.report(&events, args.change.dry_run);
    Ok(())
}

fn del(ctx: &mut Ctx, name: &str, dry_run: bool) -> Result<()> {
    let events = engine::change(&mut ctx.s, &ctx.out, dry_run, |s, _| {
        bridge::delete(name, links::find(&mut s.route, name)?.as_ref())
    })?;
    ctx.report(&events, dry_run);
    Ok(())
}
