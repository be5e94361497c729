//! `l2x dhcp request`: a lease obtained and set on an interface, and with --daemon kept
//! (renewed at T1, rebound at T2) by a process of its own.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};

use super::Ctx;
use crate::cli::IfName;
use crate::dhcp::client::{self, Acquired, Asker, Kept, Limits};
use crate::dhcp::daemon;
use crate::dns::label::Label;
use crate::logger::{Kind, Logger};
use crate::msg::link::{self, Link, LinkChange};
use crate::plan::{Action, Event, exec};
use crate::spec;
use crate::state::links;

/// Sets the interface up to ask, obtains a checked lease and sets MTU, address and default
/// route as one plan (`spec::dhcp_lease`), undone when a step fails; an interface that was
/// down is set down again when that fails or no lease comes.
fn obtain_and_set(ctx: &mut Ctx, asked: &Asked) -> Result<Acquired> {
    let iface = asked.iface.as_str();
    let link = links::require(&mut ctx.s.route, iface)?;
    let mac = link
        .mac
        .ok_or_else(|| anyhow!("{iface} has no hardware address to ask with"))?;
    if !link.up {
        set_up(ctx, &link, true)?;
    }
    let limits = Limits {
        max_mtu: link.max_mtu,
    };
    let me = Asker {
        mac,
        hostname: asked.hostname.clone(),
    };
    let configured = client::obtain(iface, &me, limits, asked.timeout).and_then(|got| {
        let have = links::addresses(&mut ctx.s.route, link.index)?;
        let plan = spec::dhcp_lease::plan(&link, &have, &got);
        exec::execute(&mut ctx.s, plan).map_err(|f| {
            let not_undone = f.not_undone.join("; ");
            match not_undone.is_empty() {
                true => f.error,
                false => f.error.context(format!("not undone: {not_undone}")),
            }
        })?;
        Ok(got)
    });
    if configured.is_err() && !link.up {
        let _ = set_up(ctx, &link, false);
    }
    configured
}

fn set_up(ctx: &mut Ctx, link: &Link, up: bool) -> Result<()> {
    let change = LinkChange {
        up: Some(up),
        ..LinkChange::default()
    };
    ctx.s
        .route
        .ack(&link::change(link.index, &link.name, change))?;
    Ok(())
}

/// What `dhcp request` was asked.
pub struct Asked<'a> {
    pub iface: &'a IfName,
    pub timeout: Duration,
    pub resolv_conf: Option<&'a Path>,
    pub daemon: bool,
    pub pid_file: Option<PathBuf>,
    /// Sent as option 12: the lease's name in the server's DNS.
    pub hostname: Option<Label>,
}

/// Obtains a lease and configures MTU, address and default route; with --daemon, goes on
/// keeping the lease in a process of its own.
pub fn request(ctx: &mut Ctx, asked: &Asked, dry_run: bool) -> Result<()> {
    let iface = asked.iface.as_str();
    if dry_run {
        let link = links::require(&mut ctx.s.route, iface)?;
        link.mac
            .ok_or_else(|| anyhow!("{iface} has no hardware address to ask with"))?;
        let what = "request a lease, then set its address, default route and MTU";
        let plan = Event::new("dhcp", iface, Action::Start, "").said("", what);
        ctx.report(&[plan], true);
        return Ok(());
    }
    let pid_file = match asked.daemon {
        true => {
            let path = match &asked.pid_file {
                Some(p) => std::path::absolute(p)?,
                None => super::default_path(ctx, iface, "client.pid"),
            };
            Some(daemon::PidFile::lock(&path, iface)?)
        }
        false => None,
    };
    let got = match obtain_and_set(ctx, asked) {
        Ok(got) => got,
        Err(e) => {
            if let Some(p) = pid_file {
                p.remove();
            }
            return Err(e);
        }
    };
    let resolver = match asked.resolv_conf {
        Some(path) => write_resolv_conf(path, &got, iface)?,
        None => String::new(),
    };
    let net = got.network();
    let router = got.router.map_or(String::new(), |r| format!(" via {r}"));
    let mtu = got.mtu.map_or(String::new(), |m| format!(" mtu {m}"));
    let what = format!(
        "{net}{router}{mtu} from {} for {}s{resolver}",
        got.server, got.lease_secs
    );
    let Some(mut pid_file) = pid_file else {
        let done = Event::new("dhcp", iface, Action::Start, "").said(what, "");
        ctx.report(&[done], false);
        return Ok(());
    };
    if let Some(child) = daemon::detach(true)? {
        if let Err(e) = pid_file.write(child) {
            let _ = nix::sys::signal::kill(child, nix::sys::signal::Signal::SIGTERM);
            return Err(e);
        }
        let what = format!("{what}, kept (pid {child})");
        let done = Event::new("dhcp", iface, Action::Start, "").said(what, "");
        ctx.report(&[done], false);
        return Ok(());
    }
    daemon::catch_signals()?;
    let result = keep_lease(ctx, asked, got);
    pid_file.remove();
    result
}

/// The kept lease's log lines: renewals and losses.
const KEPT: Kind = Kind::new("lease", 5);

/// Renews the lease at T1, rebinds it at T2 (`client::keep`); one that is lost takes its
/// address along, and a new lease is asked for, until SIGTERM.
fn keep_lease(ctx: &mut Ctx, asked: &Asked, mut got: Acquired) -> Result<()> {
    let iface = asked.iface.as_str();
    let mut log = Logger::stderr(format!("dhcp {iface}"), ctx.out.quiet, ctx.verbose);
    let mut since = Instant::now();
    loop {
        let link = links::require(&mut ctx.s.route, iface)?;
        let mac = link
            .mac
            .ok_or_else(|| anyhow!("{iface} has no hardware address to ask with"))?;
        let limits = Limits {
            max_mtu: link.max_mtu,
        };
        let me = Asker {
            mac,
            hostname: asked.hostname.clone(),
        };
        let renewed = match client::keep(iface, &me, limits, &got, since)? {
            Kept::Stopped => return Ok(()),
            Kept::Renewed(new) => {
                since = Instant::now();
                if (new.prefix, new.mtu, new.router) != (got.prefix, got.mtu, got.router) {
                    set(ctx, &link, &new)?;
                }
                let text = format!(
                    "renewed {} from {} for {}s",
                    new.ip, new.server, new.lease_secs
                );
                log.info(KEPT, &text);
                new
            }
            Kept::Lost(why) => {
                log.warn(
                    KEPT,
                    &format!("{why}: {} goes; asking for a new lease", got.network()),
                );
                exec::execute(&mut ctx.s, spec::dhcp_lease::unset(&link, &got))
                    .map_err(|f| f.error)?;
                let Some(new) = obtain_again(ctx, asked, &mut log) else {
                    return Ok(());
                };
                since = Instant::now();
                new
            }
        };
        if let Some(path) = asked.resolv_conf
            && (renewed.dns != got.dns || renewed.domain != got.domain)
        {
            write_resolv_conf(path, &renewed, iface)?;
        }
        got = renewed;
    }
}

/// DISCOVER again and again until a lease comes (or SIGTERM: None).
fn obtain_again(ctx: &mut Ctx, asked: &Asked, log: &mut Logger) -> Option<Acquired> {
    while !daemon::stop_requested() {
        match obtain_and_set(ctx, asked) {
            Ok(got) => {
                let text = format!(
                    "{} from {} for {}s",
                    got.network(),
                    got.server,
                    got.lease_secs
                );
                log.info(KEPT, &text);
                return Some(got);
            }
            Err(e) => log.warn(KEPT, &format!("{e:#}")),
        }
    }
    None
}

/// Sets what a renewal changed (the MTU, the router, the prefix) as `obtain_and_set` does.
fn set(ctx: &mut Ctx, link: &Link, got: &Acquired) -> Result<()> {
    let have = links::addresses(&mut ctx.s.route, link.index)?;
    let plan = spec::dhcp_lease::plan(link, &have, got);
    exec::execute(&mut ctx.s, plan).map_err(|f| f.error)?;
    Ok(())
}

/// Replaces `path` whole with the lease's resolv.conf: `, dns 10.0.5.1 search lan in PATH`
/// for the report, or what was left alone.
fn write_resolv_conf(path: &Path, got: &Acquired, iface: &str) -> Result<String> {
    let Some(text) = client::resolv_conf(got, iface) else {
        return Ok(format!(
            ", no DNS servers ({} left as it was)",
            path.display()
        ));
    };
    let tmp = path.with_extension("l2x-new");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
        .with_context(|| format!("write {}", path.display()))?;
    let servers: Vec<String> = got.dns.iter().take(3).map(|ip| ip.to_string()).collect();
    let search = got
        .domain
        .as_ref()
        .map_or(String::new(), |d| format!(" search {d}"));
    Ok(format!(
        ", dns {}{search} in {}",
        servers.join(","),
        path.display()
    ))
}
