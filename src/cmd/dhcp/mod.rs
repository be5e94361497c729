//! `l2x dhcp serve|leases|forget|stop`; `dhcp request` is in `request`.

mod request;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use ipnetwork::{IpNetwork, Ipv4Network};
use serde::Serialize;

use super::{Ctx, engine};
use crate::cli::{DhcpCmd, DhcpServeArgs, HostReservation, IfName, Ipv4Range};
use crate::dhcp::pool::Pool;
use crate::dhcp::record::Record;
use crate::dhcp::server::{self, STATUS, Server};
use crate::dhcp::settings::{Config, DNS_PORT, Settings};
use crate::dhcp::{control, daemon, leases, reservations};
use crate::dns::resolv;
use crate::logger::Logger;
use crate::msg::addr::Addr;
use crate::nl::netns;
use crate::plan::{Action, Event};
use crate::report::{Hinted, usage};
use crate::show::leases as view;
use crate::spec;
use crate::state::{self, links};

pub fn run(ctx: &mut Ctx, cmd: &DhcpCmd) -> Result<()> {
    match cmd {
        DhcpCmd::Serve(args) => {
            serve(ctx, args).with_context(|| format!("dhcp serve {}", args.bridge))
        }
        DhcpCmd::Leases { bridge, lease_file } => {
            let path = match lease_file {
                Some(path) => path.clone(),
                None => recorded(bridge)?.map_or_else(
                    || default_path(ctx, bridge.as_str(), "leases"),
                    |r| r.lease_file,
                ),
            };
            show_leases(ctx, &path).with_context(|| format!("dhcp leases {bridge}"))
        }
        DhcpCmd::Forget {
            bridge,
            which,
            change,
        } => forget(ctx, bridge, which, change.dry_run)
            .with_context(|| format!("dhcp forget {bridge} {}", crate::printable::escape(which))),
        DhcpCmd::Stop {
            bridge,
            pid_file,
            change,
        } => {
            let path = match pid_file {
                Some(path) => path.clone(),
                None => recorded(bridge)?
                    .map_or_else(|| default_path(ctx, bridge.as_str(), "pid"), |r| r.pid_file),
            };
            stop(ctx, bridge, &path, change.dry_run).with_context(|| format!("dhcp stop {bridge}"))
        }
        DhcpCmd::Request {
            iface,
            timeout,
            resolv_conf,
            daemon,
            pid_file,
            hostname,
            change,
        } => {
            let asked = request::Asked {
                iface,
                timeout: *timeout,
                resolv_conf: resolv_conf.as_deref(),
                daemon: *daemon,
                pid_file: pid_file.clone(),
                hostname: hostname.clone(),
            };
            request::request(ctx, &asked, change.dry_run)
                .with_context(|| format!("dhcp request {iface}"))
        }
    }
}

/// The runtime record of the server last started on `bridge` in this namespace.
fn recorded(bridge: &IfName) -> Result<Option<Record>> {
    Ok(state::dhcp::find(bridge.as_str())?.map(|s| s.record))
}

/// `/var/lib/l2x/[NETNS/]dhcp-BRIDGE.leases` and `/run/l2x/[NETNS/]dhcp-BRIDGE.pid`: bridges
/// in different namespaces may share a name, so the namespace is part of the path. A namespace
/// given as a path becomes one directory name (`/proc/1/ns/net` -> `proc_1_ns_net`).
fn default_path(ctx: &Ctx, bridge: &str, kind: &str) -> PathBuf {
    let mut dir = PathBuf::from(if kind.ends_with("pid") {
        "/run/l2x"
    } else {
        "/var/lib/l2x"
    });
    if let Some(ns) = &ctx.netns {
        dir.push(ns.trim_start_matches('/').replace('/', "_"));
    }
    dir.join(format!("dhcp-{bridge}.{kind}"))
}

fn serve(ctx: &mut Ctx, args: &DhcpServeArgs) -> Result<()> {
    let cfg = configure(ctx, args)?;
    if let Some(done) = hand_over(ctx, &cfg, args.change.dry_run)? {
        return done;
    }
    let pid_path = absolute(args.pid_file.as_deref())?
        .unwrap_or_else(|| default_path(ctx, args.bridge.as_str(), "pid"));
    if args.change.dry_run {
        let what = format!("start (serving {} on {})", args.range, args.bridge);
        let plan = Event::new("dhcp", args.bridge.as_str(), Action::Start, "").said("", what);
        ctx.report(&[plan], true);
        return Ok(());
    }
    let mut pid_file = daemon::PidFile::lock(&pid_path, args.bridge.as_str())?;
    let mut record = Record {
        bridge: args.bridge.to_string(),
        netns: ctx.netns.clone(),
        netns_id: netns::current_id()?,
        pid: 0,
        pid_file: pid_path.clone(),
        lease_file: cfg.settings.lease_file.clone(),
        log_file: cfg.settings.log_file.clone(),
        range: args.range.to_string(),
        control: None,
        dns: cfg.params().dns,
    };
    record.control = Some(record.control_path());
    let mut server = match start(ctx, cfg, record.control.as_deref()) {
        Ok(server) => server,
        Err(e) => {
            pid_file.remove();
            return Err(e);
        }
    };
    let bridge = args.bridge.as_str();
    let guarded = guard(ctx, bridge, !args.allow_other_servers, &mut server.log);
    // The pid is in the file before `serve --daemon` returns, so a `dhcp stop` right after
    // it finds it: the parent writes its child's.
    let record = if !args.daemon {
        let pid = nix::unistd::getpid();
        pid_file.write(pid)?;
        let record = Record {
            pid: pid.as_raw(),
            ..record
        };
        record.write()?;
        record
    } else if let Some(child) = daemon::detach(args.log_file.is_none())? {
        let record = Record {
            pid: child.as_raw(),
            ..record
        };
        if let Err(e) = pid_file.write(child).and_then(|()| record.write()) {
            let _ = nix::sys::signal::kill(child, nix::sys::signal::Signal::SIGTERM);
            return Err(e);
        }
        let what = format!(
            "serving {} (pid {child}){}",
            args.range,
            dns_phrase(&server)
        );
        let started = Event::new("dhcp", args.bridge.as_str(), Action::Start, "").said(what, "");
        ctx.report(&[started], false);
        // The child serves now: dropping the server here would remove its control socket's
        // file, which the child goes on listening on.
        std::mem::forget(server);
        return Ok(());
    } else {
        Record {
            pid: nix::unistd::getpid().as_raw(),
            ..record
        }
    };
    daemon::catch_signals()?;
    let serving = format!(
        "serving {} on {}{}",
        args.range,
        args.bridge,
        dns_phrase(&server)
    );
    server.log.info(STATUS, &serving);
    let result = server.run(&mut ctx.s.route);
    // A second `dhcp serve` may have turned the guard on or off since.
    if guarded || server.config().settings.guard {
        guard(ctx, bridge, false, &mut server.log);
    }
    // The control socket goes before the record that names it.
    drop(server);
    record.remove();
    pid_file.remove();
    result
}

/// ` with DNS on 10.0.5.1:53` when the server answers DNS.
fn dns_phrase(server: &Server) -> String {
    server
        .dns_addr()
        .map_or(String::new(), |a| format!(" with DNS on {a}"))
}

/// When a server already runs on the bridge and can be reached, it is handed `cfg`: the
/// command is done once it says what changed (nothing: `unchanged`). None: no such server.
fn hand_over(ctx: &mut Ctx, cfg: &Config, dry_run: bool) -> Result<Option<Result<()>>> {
    let Some(running) = state::dhcp::find(&cfg.bridge)? else {
        return Ok(None);
    };
    let (Some(pid), Some(path)) = (running.running, running.record.control.clone()) else {
        return Ok(None);
    };
    let request = control::Request::Serve {
        config: Box::new(cfg.clone()),
        dry_run,
    };
    let changes = match control::ask(&path, &request)? {
        control::Reply::Changed(changes) => changes,
        control::Reply::Refused(why) => {
            return Err(anyhow!(Hinted::new(
                format!(
                    "the server running on {} (pid {pid}) refused: {why}",
                    cfg.bridge
                ),
                format!("`l2x dhcp stop {}` first to start it afresh", cfg.bridge),
            )));
        }
        other => return Err(anyhow!("unexpected reply from pid {pid}: {other:?}")),
    };
    let bridge = cfg.bridge.as_str();
    if changes.is_empty() {
        ctx.report(&[Event::unchanged("dhcp", bridge)], dry_run);
        return Ok(Some(Ok(())));
    }
    if !dry_run {
        if changes.iter().any(|c| c.starts_with("guard ")) {
            let mut log = Logger::stderr(format!("dhcp {bridge}"), ctx.out.quiet, ctx.verbose);
            guard(ctx, bridge, cfg.settings.guard, &mut log);
        }
        let record = Record {
            range: cfg.settings.range.to_string(),
            log_file: cfg.settings.log_file.clone(),
            dns: cfg.params().dns,
            ..running.record
        };
        record.write()?;
    }
    let list = changes.join(", ");
    let event = Event::new("dhcp", bridge, Action::Change, "").said(
        format!("changed (pid {pid}): {list}"),
        format!("change (pid {pid}): {list}"),
    );
    ctx.report(&[event], dry_run);
    Ok(Some(Ok(())))
}

/// Makes table bridge l2x guard `bridge` (or not); true when it does now. A kernel that
/// cannot (no nft_meta_bridge) leaves a warning in the log, not a server that does not start.
fn guard(ctx: &mut Ctx, bridge: &str, on: bool, log: &mut Logger) -> bool {
    let plan = |s: &mut crate::nl::Sockets, _| {
        Ok(spec::dhcp_guard::plan(bridge, on, &state::nft::guards(s)?))
    };
    match engine::change(&mut ctx.s, &ctx.out, false, plan) {
        Ok(_) => on,
        Err(e) => {
            let hint = e
                .chain()
                .find_map(|c| c.downcast_ref::<crate::nl::KernelError>()?.hint())
                .map_or(String::new(), |h| format!(" ({h})"));
            let text = format!(
                "cannot keep other DHCP servers off {bridge}: {e:#}{hint}; their replies \
                 reach its clients"
            );
            log.warn(STATUS, &text);
            false
        }
    }
}

fn absolute(path: Option<&Path>) -> Result<Option<PathBuf>> {
    path.map(|p| std::path::absolute(p).with_context(|| format!("resolve {}", p.display())))
        .transpose()
}

/// Everything up to bound sockets and loaded leases.
fn start(ctx: &mut Ctx, cfg: Config, control: Option<&Path>) -> Result<Server> {
    let s = &cfg.settings;
    let pool = Pool::new(s.range, &cfg.reservations(), s.lease_time);
    let log = Logger::stderr(format!("dhcp {}", cfg.bridge), ctx.out.quiet, ctx.verbose);
    let (quiet, verbose) = (ctx.out.quiet, ctx.verbose);
    let dns_prefix = format!("dns {}", cfg.bridge);
    let dns_log = Box::new(move || Logger::stderr(dns_prefix.clone(), quiet, verbose));
    let terminal = match &s.log_file {
        Some(path) => Some(daemon::log_to(path)?),
        None => None,
    };
    Server::start(cfg, pool, log, dns_log, control)
        .inspect_err(|_| terminal.map_or((), daemon::Stderr::restore))
}

/// Everything a server serves: the command line resolved (files made absolute, because the
/// daemon leaves the working directory and compaction reopens the lease file by name; the
/// hosts file read; the host's resolvers found) and the bridge as the kernel has it: its
/// address in the range's subnet (the server identifier and default router) and its MTU.
fn configure(ctx: &mut Ctx, args: &DhcpServeArgs) -> Result<Config> {
    let hosts_file = absolute(args.hosts_file.as_deref())?;
    let file_hosts = match &hosts_file {
        Some(path) => reservations::read_file(path).map_err(|e| usage(format!("{e:#}")))?,
        None => Vec::new(),
    };
    let all: Vec<HostReservation> = args.hosts.iter().chain(&file_hosts).cloned().collect();
    reservations::check(&all).map_err(usage)?;
    let lease_file = absolute(args.lease_file.as_deref())?
        .unwrap_or_else(|| default_path(ctx, args.bridge.as_str(), "leases"));
    let settings = Settings {
        range: args.range,
        router: args.router,
        dns: args.dns.clone(),
        lease_time: args.lease_time.as_secs(),
        hosts: args.hosts.clone(),
        hosts_file,
        file_hosts,
        serve_dns: !args.no_dns,
        domain: args.domain.to_ascii_lowercase(),
        upstreams: upstreams(args)?,
        guard: !args.allow_other_servers,
        lease_file,
        log_file: absolute(args.log_file.as_deref())?,
    };
    let bridge = links::require_bridge(&mut ctx.s.route, args.bridge.as_str())?;
    let addrs = links::addresses(&mut ctx.s.route, bridge.index)?;
    let subnet = subnet_for(&addrs, args.range, &args.bridge)?;
    let cfg = Config {
        bridge: args.bridge.to_string(),
        ifindex: bridge.index,
        mac: bridge.mac.unwrap_or_default(),
        subnet,
        mtu: bridge.mtu.min(u32::from(u16::MAX)) as u16,
        settings,
    };
    cfg.check().map_err(|e| anyhow!(e))?;
    Ok(cfg)
}

/// `--upstream`, else the host's own resolvers; none when DNS is off.
fn upstreams(args: &DhcpServeArgs) -> Result<Vec<SocketAddr>> {
    if args.no_dns {
        return Ok(Vec::new());
    }
    if !args.upstreams.is_empty() {
        let port = |ip: &std::net::IpAddr| SocketAddr::new(*ip, DNS_PORT);
        return Ok(args.upstreams.iter().map(port).collect());
    }
    let (conf, resolved) = (resolv::RESOLV_CONF, resolv::RESOLVED_UPSTREAMS);
    resolv::host_resolvers(Path::new(conf), Path::new(resolved))
        .with_context(|| format!("read the host's resolvers from {conf}"))
}

/// The bridge's IPv4 address whose subnet holds the whole range, which must not include the
/// subnet's network or broadcast address or the bridge's own address.
fn subnet_for(addrs: &[Addr], range: Ipv4Range, bridge: &IfName) -> Result<Ipv4Network> {
    let v4 = addrs.iter().filter_map(|a| match a.net {
        IpNetwork::V4(n) => Some(n),
        IpNetwork::V6(_) => None,
    });
    let nets: Vec<Ipv4Network> = v4.collect();
    let Some(net) = nets
        .iter()
        .find(|n| n.contains(range.first) && n.contains(range.last))
    else {
        let have: Vec<String> = nets.iter().map(|n| n.to_string()).collect();
        return Err(anyhow!(Hinted::new(
            format!(
                "range {range} is not inside a subnet of {bridge} (its IPv4 addresses: {})",
                if have.is_empty() {
                    "none".into()
                } else {
                    have.join(", ")
                }
            ),
            format!(
                "give {bridge} an address in that subnet: `l2x bridge add {bridge} --addr 10.0.5.1/24`"
            ),
        )));
    };
    crate::dhcp::addressing::check_range(*net, range)?;
    Ok(*net)
}

#[derive(Serialize)]
struct Leases {
    leases: Vec<view::LeaseView>,
}

fn show_leases(ctx: &mut Ctx, path: &Path) -> Result<()> {
    if !path.exists() {
        return Err(anyhow!(Hinted::new(
            format!("no lease file {}", path.display()),
            "no server has run on this bridge; `l2x dhcp serve BRIDGE --range FIRST-LAST` starts one",
        )));
    }
    let replay = leases::read(path).with_context(|| format!("read {}", path.display()))?;
    let doc = Leases {
        leases: view::collect(replay.leases, server::now()),
    };
    ctx.out.show(&doc, || view::table(&doc.leases));
    Ok(())
}

/// Asks the server running on `bridge` to end the leases of `which` (an address or a MAC).
fn forget(ctx: &mut Ctx, bridge: &IfName, which: &str, dry_run: bool) -> Result<()> {
    let running = state::dhcp::find(bridge.as_str())?;
    let Some((pid, path)) = running.and_then(|r| Some((r.running?, r.record.control?))) else {
        return Err(anyhow!(Hinted::new(
            format!("no server runs on {bridge}"),
            "a lease is forgotten by the server that holds it: `l2x dhcp serve` it first",
        )));
    };
    let request = control::Request::Forget {
        which: which.to_string(),
        dry_run,
    };
    let ended = match control::ask(&path, &request)? {
        control::Reply::Forgot(ended) => ended,
        control::Reply::Refused(why) => return Err(anyhow!("pid {pid} refused: {why}")),
        other => return Err(anyhow!("unexpected reply from pid {pid}: {other:?}")),
    };
    let events: Vec<Event> = if ended.is_empty() {
        let what = format!(
            "unchanged (no active lease of {})",
            crate::printable::escape(which)
        );
        vec![Event::unchanged("dhcp", bridge.as_str()).said(what.clone(), what)]
    } else {
        ended
            .iter()
            .map(|lease| {
                Event::new("dhcp", bridge.as_str(), Action::Delete, "")
                    .said(format!("forgot {lease}"), format!("forget {lease}"))
            })
            .collect()
    };
    ctx.report(&events, dry_run);
    Ok(())
}

fn stop(ctx: &mut Ctx, bridge: &IfName, pid_path: &Path, dry_run: bool) -> Result<()> {
    let event = |what: String| {
        Event::new("dhcp", bridge.as_str(), Action::Stop, "").said(what.clone(), what)
    };
    if dry_run {
        let what = match daemon::holder(pid_path)? {
            Some(pid) => format!("stop (pid {pid})"),
            None => "unchanged (not running)".to_string(),
        };
        ctx.report(&[event(what)], true);
        return Ok(());
    }
    let what = match daemon::stop(pid_path)? {
        Some(pid) => format!("stopped (pid {pid})"),
        None => "not running".to_string(),
    };
    ctx.report(&[event(what)], false);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(net: &str) -> Addr {
        Addr::new(4, net.parse().unwrap())
    }

    fn range(s: &str) -> Ipv4Range {
        s.parse().unwrap()
    }

    #[test]
    fn the_range_must_sit_inside_a_bridge_subnet() {
        let br: IfName = "br0".parse().unwrap();
        let addrs = [
            addr("2001:db8::1/64"),
            addr("10.0.6.1/24"),
            addr("10.0.5.1/24"),
        ];
        let net = subnet_for(&addrs, range("10.0.5.100-10.0.5.200"), &br).unwrap();
        assert_eq!(net.to_string(), "10.0.5.1/24");
        let err = subnet_for(&addrs, range("10.0.5.100-10.0.6.20"), &br).unwrap_err();
        assert!(
            err.to_string().contains("not inside a subnet of br0"),
            "{err}"
        );
        let err = subnet_for(&addrs, range("10.0.5.1-10.0.5.20"), &br).unwrap_err();
        assert!(err.to_string().contains("own address"), "{err}");
        // /31 and /32: the bridge's own address is never handed out.
        let p2p = [addr("10.0.7.0/31")];
        assert!(subnet_for(&p2p, range("10.0.7.1-10.0.7.1"), &br).is_ok());
        let err = subnet_for(&p2p, range("10.0.7.0-10.0.7.1"), &br).unwrap_err();
        assert!(err.to_string().contains("own address"), "{err}");
        let err = subnet_for(&[addr("10.0.8.1/32")], range("10.0.8.1-10.0.8.1"), &br);
        assert!(err.unwrap_err().to_string().contains("/32"));
        assert!(subnet_for(&[], range("10.0.5.2-10.0.5.3"), &br).is_err());
    }
}
