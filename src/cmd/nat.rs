//! `l2x nat masq|forward|map|del|show`: the rules of table ip l2x, read back before every
//! change so that a re-run sends nothing, rewritten whole when it must change (see
//! `msg::nft::nat`).

use std::net::{IpAddr, Ipv4Addr};

use anyhow::{Context, Result};
use ipnetwork::{IpNetwork, Ipv4Network};

use super::{Ctx, engine, show};
use crate::cli::{ForwardRule, MapArgs, MapRule, NatArgs, NatCmd, NatDelArgs, Proto};
use crate::msg::nft::chain::Chain;
use crate::msg::nft::family_name;
use crate::msg::nft::forward::{self, Forward};
use crate::msg::nft::map::Map;
use crate::msg::nft::masquerade::Masquerade;
use crate::msg::nft::nat::NatRule;
use crate::nl::Sockets;
use crate::plan::{Event, Plan};
use crate::spec::nat;
use crate::state::nft::Ruleset;
use crate::state::{links, sysctl};

pub fn run(ctx: &mut Ctx, cmd: &NatCmd) -> Result<()> {
    match cmd {
        NatCmd::Masq(args) => masq(ctx, args).with_context(|| format!("nat masq {}", args.source)),
        NatCmd::Forward(args) => forward(ctx, args)
            .with_context(|| format!("nat forward {} to {}", args.rule.port, args.rule.to.ip)),
        NatCmd::Map(args) => {
            map(ctx, args).with_context(|| format!("nat map {}", args.rule.public))
        }
        NatCmd::Del(args) => del(ctx, args).context("nat del"),
        NatCmd::Show => show::nat(ctx).context("nat show"),
    }
}

fn masquerade(args: &NatArgs) -> Masquerade {
    nat::masquerade(args.source, args.out.as_ref().map(|o| o.to_string()))
}

fn masq(ctx: &mut Ctx, args: &NatArgs) -> Result<()> {
    let rule = masquerade(args);
    if let Some(out) = &args.out {
        links::require(&mut ctx.s.route, out.as_str())?;
    }
    let mut events = add(ctx, args.change.dry_run, |_| Ok(rule.clone().into()))?;
    if let Some(note) = normalised(args.source, &rule) {
        events.insert(1, note);
    }
    ctx.report(&events, args.change.dry_run);
    Ok(())
}

fn forward(ctx: &mut Ctx, args: &crate::cli::ForwardArgs) -> Result<()> {
    let events = add(ctx, args.change.dry_run, |s| forward_rule(s, &args.rule))?;
    ctx.report(&events, args.change.dry_run);
    Ok(())
}

/// Adds the rule `rule_for` makes (from what it reads), warns of forward-hook chains that
/// would drop what it lets through, and returns the events for the caller to report.
fn add(
    ctx: &mut Ctx,
    dry_run: bool,
    rule_for: impl Fn(&mut Sockets) -> Result<NatRule>,
) -> Result<Vec<crate::plan::Event>> {
    let mut chains = Vec::new();
    let mut source = None;
    let events = engine::change(&mut ctx.s, &ctx.out, dry_run, |s, _| {
        let rule = rule_for(s)?;
        let now = crate::state::nft::read(s)?;
        let plan = nat::plan_add(&rule, &now, sysctl::forwarding()?)?;
        chains = now.chains;
        source = Some(rule);
        Ok(plan)
    })?;
    for c in chains.iter().filter(|c| c.drops_forwarded_ipv4()) {
        warn_forward_drop(ctx, c, &chains, source.as_ref());
    }
    Ok(events)
}

/// The forward the flags name; its hairpin is the network of this host's that holds the
/// target (the segment), when one does.
fn forward_rule(s: &mut Sockets, r: &ForwardRule) -> Result<NatRule> {
    if let Some(iface) = &r.iface {
        links::require(&mut s.route, iface.as_str())?;
    }
    let hairpin = links::addresses(&mut s.route, 0)?
        .into_iter()
        .find_map(|a| match a.net {
            IpNetwork::V4(n) if n.contains(r.to.ip) && n.ip() != r.to.ip => {
                Ipv4Network::new(n.network(), n.prefix()).ok()
            }
            _ => None,
        });
    Ok(Forward {
        hairpin,
        ..forward_named(r)
    }
    .into())
}

fn forward_named(r: &ForwardRule) -> Forward {
    Forward {
        proto: match r.proto {
            Proto::Tcp => forward::Proto::Tcp,
            Proto::Udp => forward::Proto::Udp,
        },
        ports: r.port,
        to: r.to.ip,
        to_port: r.to.port,
        iface: r.iface.as_ref().map(|i| i.to_string()),
        addr: r.addr,
        hairpin: None,
    }
}

fn map_named(r: &MapRule) -> Map {
    Map {
        public: r.public,
        to: r.to,
        iface: r.iface.as_ref().map(|i| i.to_string()),
    }
}

/// The map, and the public address on --in when no interface has it.
fn map(ctx: &mut Ctx, args: &MapArgs) -> Result<()> {
    let rule = map_named(&args.rule);
    let dry_run = args.change.dry_run;
    let events = engine::change(&mut ctx.s, &ctx.out, dry_run, |s, _| {
        let now = crate::state::nft::read(s)?;
        let mut plan = nat::plan_add(&rule.clone().into(), &now, sysctl::forwarding()?)?;
        if !args.no_addr {
            let held = holder(s, rule.public)?;
            if let Some(change) = nat::public_address(&rule, held.is_some())? {
                if let Some(iface) = &rule.iface {
                    plan.knows(&links::require(&mut s.route, iface)?);
                }
                plan.changes.insert(0, change);
            }
        }
        Ok(plan)
    })?;
    ctx.report(&events, dry_run);
    Ok(())
}

/// The interface that has `ip`, and the address as it has it.
fn holder(s: &mut Sockets, ip: Ipv4Addr) -> Result<Option<(String, crate::msg::addr::Addr)>> {
    let addrs = links::addresses(&mut s.route, 0)?;
    let Some(a) = addrs.into_iter().find(|a| a.net.ip() == IpAddr::V4(ip)) else {
        return Ok(None);
    };
    let name = links::find_index(&mut s.route, a.index)?.map_or_else(String::new, |l| l.name);
    Ok(Some((name, a)))
}

fn del(ctx: &mut Ctx, args: &NatDelArgs) -> Result<()> {
    let dry_run = args.change.dry_run;
    if let Some(source) = args.source {
        let rule = nat::masquerade(source, args.out.as_ref().map(|o| o.to_string()));
        let mut events = remove(ctx, dry_run, |_, _| Ok((rule.clone().into(), None)))?;
        if let Some(note) = normalised(source, &rule) {
            events.insert(1, note);
        }
        ctx.report(&events, dry_run);
        return Ok(());
    }
    let to = args
        .to
        .expect("clap requires --to with --port and --public");
    let events = if let Some(port) = args.port {
        let named = forward_named(&ForwardRule {
            port,
            to,
            proto: args.proto,
            iface: args.iface.clone(),
            addr: args.addr,
        });
        remove(ctx, dry_run, |now, _| {
            Ok((listed_forward(now, &named), None))
        })?
    } else {
        let public = args
            .public
            .expect("clap requires one of --source, --port, --public");
        let named = map_named(&MapRule {
            public,
            to: to.ip,
            iface: args.iface.clone(),
        });
        remove(ctx, dry_run, |_, s| {
            let held = holder(s, public)?;
            Ok((
                named.clone().into(),
                nat::public_address_removal(&named, held),
            ))
        })?
    };
    ctx.report(&events, dry_run);
    Ok(())
}

/// The forward in the table that the flags name, whatever its hairpin (the segment it was
/// made for); the named one when the table has none.
fn listed_forward(now: &Ruleset, named: &Forward) -> NatRule {
    now.owned
        .listed_rules()
        .into_iter()
        .find(|r| matches!(r, NatRule::Forward(f) if Forward { hairpin: None, ..f.clone() } == *named))
        .unwrap_or_else(|| named.clone().into())
}

/// Removes the rule `rule_for` finds in what was read (with a change that goes with it).
fn remove(
    ctx: &mut Ctx,
    dry_run: bool,
    rule_for: impl Fn(&Ruleset, &mut Sockets) -> Result<(NatRule, Option<crate::plan::Change>)>,
) -> Result<Vec<crate::plan::Event>> {
    engine::change(&mut ctx.s, &ctx.out, dry_run, |s, _| {
        let now = crate::state::nft::read(s)?;
        let (rule, also) = rule_for(&now, s)?;
        let mut plan: Plan = nat::plan_del(&rule, &now, sysctl::forwarding()?)?;
        if let Some(change) = also.filter(|_| !plan.is_noop()) {
            plan.changes.insert(1, change);
        }
        Ok(plan)
    })
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
fn warn_forward_drop(ctx: &Ctx, drop: &Chain, all: &[Chain], rule: Option<&NatRule>) {
    let family = family_name(drop.family);
    let table = format!("{family} {}", drop.table);
    // Docker jumps to DOCKER-USER first and keeps that chain for its users' rules.
    let docker_user = all
        .iter()
        .find(|c| c.family == drop.family && c.table == drop.table && c.name == "DOCKER-USER");
    let target = docker_user.map_or(drop.name.as_str(), |c| c.name.as_str());
    let (what, net) = match rule {
        Some(NatRule::Masquerade(m)) => {
            (format!("traffic from {}", m.source), m.source.to_string())
        }
        Some(NatRule::Forward(f)) => (
            format!("connections forwarded to {}", f.to),
            f.to.to_string(),
        ),
        Some(NatRule::Map(m)) => (format!("traffic to and from {}", m.to), m.to.to_string()),
        None => return,
    };
    ctx.out.warn(
        &format!(
            "table {table} chain {} drops forwarded packets by default (policy drop): {what} \
             may be dropped there before table ip l2x sees it",
            drop.name
        ),
        &format!(
            "allow it with `nft insert rule {table} {target} ip saddr {net} accept` and \
             `nft insert rule {table} {target} ip daddr {net} ct state established,related \
             accept`"
        ),
    );
}
