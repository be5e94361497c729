//! `l2x nat masq|del|show`: masquerade through table ip l2x. The table is read back before
//! every change, so a re-run sends nothing, and rewritten whole when it must change (see
//! `msg::nft::nat` for why).

use anyhow::{Context, Result, anyhow};
use ipnetwork::Ipv4Network;

use super::{Ctx, forwarding, links, show};
use crate::cli::{NatArgs, NatCmd};
use crate::msg::nft::batch;
use crate::msg::nft::chain::{self, Chain};
use crate::msg::nft::family_name;
use crate::msg::nft::masquerade::Masquerade;
use crate::msg::nft::nat::{self, Owned};
use crate::msg::nft::rule::Rule;
use crate::nl::Netlink;
use crate::report::Hinted;

pub fn run(ctx: &mut Ctx, cmd: &NatCmd) -> Result<()> {
    match cmd {
        NatCmd::Masq(args) => masq(ctx, args).with_context(|| format!("nat masq {}", args.source)),
        NatCmd::Del(args) => del(ctx, args).with_context(|| format!("nat del {}", args.source)),
        NatCmd::Show => show::nat(ctx).context("nat show"),
    }
}

/// The ruleset as far as l2x cares: its own table, and every chain (for the forward check).
pub struct Ruleset {
    pub chains: Vec<Chain>,
    pub owned: Owned,
}

pub fn read(nf: &mut Netlink) -> Result<Ruleset> {
    let chains: Vec<Chain> = nf
        .dump(&chain::dump())?
        .iter()
        .filter_map(|b| Chain::parse(b))
        .collect();
    let rules: Vec<Rule> = nf
        .dump(&nat::dump_rules())?
        .iter()
        .filter_map(|b| Rule::parse(b))
        .collect();
    let owned = Owned::read(&chains, &rules);
    Ok(Ruleset { chains, owned })
}

fn masq(ctx: &mut Ctx, args: &NatArgs) -> Result<()> {
    let rule = masquerade(args);
    if let Some(out) = &args.out {
        links::require(&mut ctx.nl, out)?;
    }
    let mut nf = Netlink::netfilter(ctx.verbose)?;
    let change = commit(&mut nf, |before| {
        let mut wanted = before.to_vec();
        if !wanted.contains(&rule) {
            wanted.push(rule.clone());
        }
        Ok(wanted)
    })?;
    let forwarding = match forwarding::enable() {
        Ok(turned_on) => turned_on,
        Err(e) => {
            // Put the table back as it was: a failed command changes nothing.
            if change.sent {
                commit(&mut nf, |_| Ok(change.before.clone())).ok();
            }
            return Err(e);
        }
    };
    let what = match (change.before.contains(&rule), change.sent) {
        (false, _) => "masquerade added",
        (true, false) => "unchanged",
        (true, true) => "unchanged (table ip l2x repaired)",
    };
    ctx.out.changed(&format!("nat {rule}"), what);
    note_normalised(ctx, args.source, rule.source);
    let state = if forwarding {
        "enabled"
    } else {
        "unchanged (enabled)"
    };
    ctx.out.changed("forwarding", state);
    for c in change.chains.iter().filter(|c| c.drops_forwarded_ipv4()) {
        warn_forward_drop(ctx, c, &change.chains, rule.source);
    }
    Ok(())
}

fn del(ctx: &mut Ctx, args: &NatArgs) -> Result<()> {
    let rule = masquerade(args);
    let mut nf = Netlink::netfilter(ctx.verbose)?;
    let change = commit(&mut nf, |before| {
        if !before.contains(&rule) {
            return Err(anyhow!(Hinted::new(
                format!("no masquerade rule for {rule}"),
                "`l2x nat show` lists the rules l2x owns",
            )));
        }
        Ok(before.iter().filter(|m| **m != rule).cloned().collect())
    })?;
    ctx.out
        .changed(&format!("nat {rule}"), "masquerade deleted");
    note_normalised(ctx, args.source, rule.source);
    if change.wanted.is_empty() {
        ctx.out.changed("table ip l2x", "deleted (no rules left)");
    }
    let state = if forwarding::enabled()? {
        "left enabled"
    } else {
        "left disabled"
    };
    ctx.out.changed("forwarding", state);
    Ok(())
}

/// A change made to table ip l2x: the masquerades before and after, whether a batch was sent,
/// and every chain of the ruleset as read for it.
struct Change {
    before: Vec<Masquerade>,
    wanted: Vec<Masquerade>,
    sent: bool,
    chains: Vec<Chain>,
}

/// How often a change is computed again because someone else committed in between.
const ATTEMPTS: usize = 5;

/// Reads the generation and table ip l2x, asks `want` for the masquerades the table should
/// hold, and commits them on that generation unless the table holds them already. When the
/// ruleset changed in between (ERESTART) it starts over from a fresh read, so a concurrent
/// change (another l2x, nft, Docker) is never overwritten by a stale one.
fn commit(
    nf: &mut Netlink,
    want: impl Fn(&[Masquerade]) -> Result<Vec<Masquerade>>,
) -> Result<Change> {
    for _ in 0..ATTEMPTS {
        let generation = generation(nf)?;
        let now = read(nf)?;
        let before = masquerades(&now.owned)?;
        let wanted = want(&before)?;
        // The table is rewritten whole: its forwards and maps stay as they are.
        let table = now.owned.with_masquerades(&wanted);
        let sent = !now.owned.holds_exactly(&table);
        if sent {
            match nf.batch(&nat::rewrite(generation, &table)) {
                Err(e) if e.errno == libc::ERESTART => continue,
                result => result?,
            }
        }
        let chains = now.chains;
        return Ok(Change {
            before,
            wanted,
            sent,
            chains,
        });
    }
    Err(anyhow!(
        "the ruleset kept changing while l2x was updating table ip l2x; try again"
    ))
}

pub(super) fn generation(nf: &mut Netlink) -> Result<u32> {
    nf.get(&batch::get_generation())?
        .and_then(|body| batch::parse_generation(&body))
        .ok_or_else(|| anyhow!("the kernel did not say the ruleset generation"))
}

/// The rule the arguments describe, its source with the host bits cleared.
fn masquerade(args: &NatArgs) -> Masquerade {
    let net = args.source;
    Masquerade {
        source: Ipv4Network::new(net.network(), net.prefix()).unwrap_or(net),
        out: args.out.as_ref().map(|o| o.to_string()),
    }
}

fn note_normalised(ctx: &Ctx, given: Ipv4Network, used: Ipv4Network) {
    if given.ip() != used.ip() {
        ctx.out.note(&format!(
            "{given} has host bits set: using the network {used}"
        ));
    }
}

/// The table's masquerades, unless it holds what l2x did not write: a rewrite would drop that.
fn masquerades(owned: &Owned) -> Result<Vec<Masquerade>> {
    if owned.foreign.is_empty() {
        return Ok(owned.masquerades());
    }
    Err(anyhow!(Hinted::new(
        format!(
            "table ip l2x holds what l2x did not write: {}; nothing was changed",
            owned.foreign.join("; ")
        ),
        "see it with `nft -a list table ip l2x`; remove it there (or the whole table with \
         `nft delete table ip l2x`) and run l2x again",
    )))
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
