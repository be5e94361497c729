//! `l2x nat masq|del|show`: masquerade through table ip l2x, read back before every change so
//! that a re-run sends nothing, rewritten whole when it must change (see `msg::nft::nat`).

use anyhow::{Context, Result};
use ipnetwork::Ipv4Network;

use super::{Ctx, engine, show};
use crate::cli::{NatArgs, NatCmd};
use crate::msg::nft::chain::Chain;
use crate::msg::nft::family_name;
use crate::msg::nft::masquerade::Masquerade;
use crate::plan::Event;
use crate::spec::nat;
use crate::state::{links, sysctl};

pub fn run(ctx: &mut Ctx, cmd: &NatCmd) -> Result<()> {
    match cmd {
        NatCmd::Masq(args) => masq(ctx, args).with_context(|| format!("nat masq {}", args.source)),
        NatCmd::Del(args) => del(ctx, args).with_context(|| format!("nat del {}", args.source)),
        NatCmd::Show => show::nat(ctx).context("nat show"),
    }
}

fn rule(args: &NatArgs) -> Masquerade {
    nat::masquerade(args.source, args.out.as_ref().map(|o| o.to_string()))
}

fn masq(ctx: &mut Ctx, args: &NatArgs) -> Result<()> {
    let rule = rule(args);
    if let Some(out) = &args.out {
        links::require(&mut ctx.s.route, out.as_str())?;
    }
    let dry_run = args.change.dry_run;
    let mut chains = Vec::new();
    let mut events = engine::change(&mut ctx.s, &ctx.out, dry_run, |s, _| {
        let now = crate::state::nft::read(s)?;
        let plan = nat::plan_add(&rule.clone().into(), &now, sysctl::forwarding()?)?;
        chains = now.chains;
        Ok(plan)
    })?;
    if let Some(note) = normalised(args.source, &rule) {
        events.insert(1, note);
    }
    ctx.report(&events, dry_run);
    for c in chains.iter().filter(|c| c.drops_forwarded_ipv4()) {
        warn_forward_drop(ctx, c, &chains, rule.source);
    }
    Ok(())
}

fn del(ctx: &mut Ctx, args: &NatArgs) -> Result<()> {
    let rule = rule(args);
    let dry_run = args.change.dry_run;
    let mut events = engine::change(&mut ctx.s, &ctx.out, dry_run, |s, _| {
        let now = crate::state::nft::read(s)?;
        nat::plan_del(&rule.clone().into(), &now, sysctl::forwarding()?)
    })?;
    if let Some(note) = normalised(args.source, &rule) {
        events.insert(1, note);
    }
    ctx.report(&events, dry_run);
    Ok(())
}

fn normalised(given: Ipv4Network, rule: &Masquerade) -> Option<Event> {
    (given.ip() != rule.source.ip()).then(|| {
        let line = format!(
            "{given} has host bits set: using the network {}",
            rule.source
        );
        Event::note("nat", rule.to_string(), line.clone(), line)
    })
}

/// Another table drops forwarded packets by default (Docker's FORWARD chain does): the forward
/// hook comes before postrouting, so the traffic never reaches table ip l2x unless that chain
/// accepts it first.
fn warn_forward_drop(ctx: &Ctx, drop: &Chain, all: &[Chain], source: Ipv4Network) {
    let family = family_name(drop.family);
    let table = format!("{family} {}", drop.table);
    // Docker jumps to DOCKER-USER first and keeps that chain for its users' rules.
    let docker_user = all
        .iter()
        .find(|c| c.family == drop.family && c.table == drop.table && c.name == "DOCKER-USER");
    let target = docker_user.map_or(drop.name.as_str(), |c| c.name.as_str());
    ctx.out.warn(
        &format!(
            "table {table} chain {} drops forwarded packets by default (policy drop): traffic \
             from {source} may be dropped there before it is masqueraded",
            drop.name
        ),
        &format!(
            "allow it with `nft insert rule {table} {target} ip saddr {source} accept` and \
             `nft insert rule {table} {target} ip daddr {source} ct state established,related \
             accept`"
        ),
    );
}
