//! What `apply`, `down` and `status` share: the segment file read and checked, which host this
//! is, what to read of the kernel for its part, and the segment's DHCP server, which runs as
//! `l2x dhcp serve --daemon` started through the command line a user would type.

use std::net::IpAddr;

use anyhow::Result;

use super::{Ctx, run_line};
use crate::cli::SegmentArgs;
use crate::plan::{Action, Event};
use crate::report::Out;
use crate::segment::part::Part;
use crate::segment::record::{Record, Serving};
use crate::segment::{self, Host, Segment, derive, whoami};
use crate::spec::tunnel::TunnelKind;
use crate::state::{self, links, segment::Asked};

/// The file, and this host's entry in it.
pub fn load(ctx: &mut Ctx, args: &SegmentArgs) -> Result<(Segment, Host)> {
    let seg = segment::load(&args.file)?;
    let here: Vec<IpAddr> = if args.host.is_some() {
        Vec::new()
    } else {
        links::addresses(&mut ctx.s.route, 0)?
            .iter()
            .map(|a| a.net.ip())
            .collect()
    };
    let host = whoami::host(&seg, args.host.as_deref(), &here)?.clone();
    Ok((seg, host))
}

/// The link kinds the segment's tunnels are made of, as the kernel names them.
fn kinds(part: &Part) -> Vec<&'static str> {
    let ipv6 = part.tunnels.first().is_some_and(|t| t.local.is_ipv6());
    match part.tunnels.first().map(|t| t.kind) {
        Some(TunnelKind::Vxlan) => vec!["vxlan"],
        Some(TunnelKind::Gretap) if ipv6 => vec!["ip6gretap"],
        Some(TunnelKind::Gretap) => vec!["gretap"],
        Some(TunnelKind::L2tp) | None => Vec::new(),
    }
}

/// Reads what the plans of `part` start from.
pub fn read(
    s: &mut crate::nl::Sockets,
    part: &Part,
    rec: &Record,
) -> Result<state::segment::SegmentState> {
    let names: Vec<String> = part.tunnels.iter().map(|t| t.name.clone()).collect();
    let mut ports = part.ports.clone();
    ports.extend(
        rec.ports
            .keys()
            .filter(|p| !part.ports.contains(p))
            .cloned(),
    );
    let kinds = kinds(part);
    let publics = segment::nat::publics(part, rec);
    let wireguard = derive::wireguard_name(&part.segment);
    let tag = part.marks.l2tp_tag;
    let ours = move |id: u32| derive::is_l2tp_id(tag, id);
    let l2tp = part
        .tunnels
        .iter()
        .any(|t| t.kind == TunnelKind::L2tp)
        .then_some(&ours as &dyn Fn(u32) -> bool);
    let asked = Asked {
        bridge: &part.bridge.name,
        names: &names,
        ports: &ports,
        kinds: &kinds,
        l2tp,
        nat: segment::nat::wanted(part, rec),
        publics: &publics,
        wireguard: &wireguard,
    };
    state::segment::read(s, &asked)
}

/// The pid of the DHCP server running on the segment's bridge here, if one is.
pub fn dhcp_running(part: &Part) -> Result<Option<i32>> {
    Ok(state::dhcp::find(&part.segment)?.and_then(|s| s.running))
}

/// Runs `l2x [-n NETNS] [-v] ARGS...` quietly: the caller reports what it did.
fn l2x(ctx: &Ctx, args: &[String]) -> Result<()> {
    let mut argv = vec!["l2x".to_string()];
    if let Some(ns) = &ctx.netns {
        argv.extend(["-n".to_string(), ns.clone()]);
    }
    if ctx.verbose {
        argv.push("-v".into());
    }
    argv.extend(args.iter().cloned());
    let out = Out {
        quiet: true,
        ..Out::default()
    };
    run_line(&argv, out)
}

/// The server with the file's settings: started, kept when it runs with them, restarted
/// (keeping its leases, which are in its lease file) when it runs with others; and the one
/// apply started stopped when the file no longer asks for one. `rec` learns what runs.
pub fn converge_dhcp(
    ctx: &Ctx,
    part: &Part,
    rec: &mut Record,
    dry_run: bool,
) -> Result<Vec<Event>> {
    let name = &part.segment;
    let running = dhcp_running(part)?;
    let said = |done: String, todo: String, action| {
        vec![Event::new("dhcp", name.as_str(), action, "").said(done, todo)]
    };
    // The server hands out the MTU the bridge had when it started: a new MTU is a restart.
    let wanted = part.dhcp.as_ref().map(|args| Serving {
        args: args.clone(),
        mtu: part.mtu.unwrap_or_default(),
    });
    match (&wanted, running) {
        (Some(w), Some(pid)) if rec.dhcp.as_ref() == Some(w) => Ok(said(
            format!("unchanged (pid {pid})"),
            format!("unchanged (pid {pid})"),
            Action::Unchanged,
        )),
        (Some(w), running) => {
            let range = w
                .args
                .iter()
                .skip_while(|a| *a != "--range")
                .nth(1)
                .map_or("", String::as_str);
            let verb = if running.is_some() {
                "restart"
            } else {
                "start"
            };
            if dry_run {
                return Ok(said(
                    String::new(),
                    format!("{verb} (serving {range})"),
                    Action::Start,
                ));
            }
            if running.is_some() {
                l2x(ctx, &["dhcp".into(), "stop".into(), name.clone()])?;
            }
            rec.dhcp = None;
            l2x(ctx, &w.args)?;
            rec.dhcp = wanted.clone();
            let pid = dhcp_running(part)?.map_or("?".to_string(), |p| p.to_string());
            Ok(said(
                format!("{verb}ed (serving {range}, pid {pid})"),
                String::new(),
                Action::Start,
            ))
        }
        (None, Some(pid)) if rec.dhcp.is_some() => {
            if !dry_run {
                stop_dhcp(ctx, part, rec)?;
            }
            Ok(said(
                format!("stopped (pid {pid})"),
                format!("stop (pid {pid})"),
                Action::Stop,
            ))
        }
        _ => Ok(Vec::new()),
    }
}

/// Stops the segment's server (its lease file stays).
pub fn stop_dhcp(ctx: &Ctx, part: &Part, rec: &mut Record) -> Result<()> {
    l2x(ctx, &["dhcp".into(), "stop".into(), part.segment.clone()])?;
    rec.dhcp = None;
    Ok(())
}

/// Only what changed, then one line for the segment: `segment NAME: unchanged` when nothing
/// did.
pub fn summarize(events: Vec<Event>, part: &Part, done: &str, todo: &str) -> Vec<Event> {
    let mut changed: Vec<Event> = events
        .into_iter()
        .filter(|e| e.action != Action::Unchanged)
        .collect();
    let n = changed.iter().filter(|e| e.action != Action::Note).count();
    let name = part.segment.as_str();
    if n == 0 {
        changed.push(Event::unchanged("segment", name));
        return changed;
    }
    let count = if n == 1 {
        "1 change".to_string()
    } else {
        format!("{n} changes")
    };
    let host = &part.host;
    changed.push(
        Event::new(
            "segment",
            name,
            Action::Change,
            format!("host {host}, {count}"),
        )
        .said(
            format!("{done} on host {host} ({count})"),
            format!("{todo} on host {host} ({count})"),
        ),
    );
    changed
}
