//! `l2x attach` and `l2x detach`: bridge ports.

use anyhow::{Result, bail};

use super::{Ctx, links};
use crate::cli::{AttachArgs, IfName};
use crate::msg::bridge_port;
use crate::msg::link::{self, Link, LinkChange};
use crate::report::usage;

pub fn attach(ctx: &mut Ctx, args: &AttachArgs) -> Result<()> {
    if args.iface == args.bridge {
        return Err(usage(format!("cannot attach {} to itself", args.bridge)));
    }
    let bridge = links::require_bridge(&mut ctx.nl, &args.bridge)?;
    let port = links::require(&mut ctx.nl, &args.iface)?;
    match port.master {
        Some(m) if m == bridge.index => same_port(ctx, &port, &bridge, args.isolated),
        Some(m) => {
            let other = links::find_index(&mut ctx.nl, m)?.map_or(m.to_string(), |l| l.name);
            bail!(
                "{} is already a port of {other}; `l2x detach {}` releases it",
                port.name,
                port.name
            )
        }
        None => {
            let mtu = attach_port(ctx, &port, &bridge, args.isolated)?;
            report_attached(ctx, &port.name, &bridge.name, args.isolated, mtu);
            Ok(())
        }
    }
}

/// Re-running an attach that was done already: unchanged, or a clear difference.
fn same_port(ctx: &mut Ctx, port: &Link, bridge: &Link, isolated: bool) -> Result<()> {
    let info = bridge_port::parse(&port.slave_data);
    let on_off = |b: bool| if b { "on" } else { "off" };
    let mut diffs = Vec::new();
    if !port.up {
        diffs.push("state down (wanted up)".to_string());
    }
    if info.isolated != isolated {
        diffs.push(format!(
            "isolated {} (wanted {})",
            on_off(info.isolated),
            on_off(isolated)
        ));
    }
    if !diffs.is_empty() {
        bail!(
            "{} is a port of {} with other settings: {}",
            port.name,
            bridge.name,
            diffs.join(", ")
        );
    }
    ctx.out.changed(&format!("port {}", port.name), "unchanged");
    Ok(())
}

/// Enslaves `port` to `bridge` and sets it up in one request, then marks it isolated when asked.
/// If isolation is refused the port is released again. Returns the bridge's MTU before and
/// after: the kernel silently lowers a bridge to its smallest port, and frames that fitted
/// before may then be dropped. Only a port smaller than the bridge can lower it (the kernel
/// sets an auto-sized bridge to its smallest port and leaves one sized by hand alone), so the
/// bridge is read back only then; otherwise `after` is reported as `before`.
pub fn attach_port(
    ctx: &mut Ctx,
    port: &Link,
    bridge: &Link,
    isolated: bool,
) -> Result<(u32, u32)> {
    let enslave = LinkChange {
        up: true,
        master: Some(bridge.index),
        ..LinkChange::default()
    };
    ctx.nl.ack(&link::change(port.index, &port.name, enslave))?;
    let isolate = || bridge_port::set_isolated(port.index, &port.name, true);
    if let Err(e) = isolated
        .then(isolate)
        .map_or(Ok(()), |req| ctx.nl.ack(&req))
    {
        let release = LinkChange {
            master: Some(0),
            ..LinkChange::default()
        };
        ctx.nl
            .ack(&link::change(port.index, &port.name, release))
            .ok();
        return Err(e.into());
    }
    if port.mtu >= bridge.mtu {
        return Ok((bridge.mtu, bridge.mtu));
    }
    let after = links::find_index(&mut ctx.nl, bridge.index)?.map_or(bridge.mtu, |b| b.mtu);
    Ok((bridge.mtu, after))
}

/// `port v0: attached to br0 (isolated)`, and a note when the bridge's MTU went down.
pub fn report_attached(ctx: &Ctx, port: &str, bridge: &str, isolated: bool, mtu: (u32, u32)) {
    let how = if isolated { " (isolated)" } else { "" };
    ctx.out.changed(
        &format!("port {port}"),
        &format!("attached to {bridge}{how}"),
    );
    if mtu.1 < mtu.0 {
        ctx.out.note(&format!(
            "bridge {bridge} MTU lowered from {} to {} to match {port}",
            mtu.0, mtu.1
        ));
    }
}

pub fn detach(ctx: &mut Ctx, iface: &IfName) -> Result<()> {
    let port = links::require(&mut ctx.nl, iface)?;
    let bridge = match port.master {
        Some(m) if port.slave_kind.as_deref() == Some("bridge") => {
            links::find_index(&mut ctx.nl, m)?
        }
        _ => bail!("{iface} is not a bridge port"),
    };
    let release = LinkChange {
        master: Some(0),
        ..LinkChange::default()
    };
    ctx.nl
        .ack(&link::change(port.index, iface.as_str(), release))?;
    let from = bridge.map_or(String::new(), |b| format!(" from {}", b.name));
    ctx.out
        .changed(&format!("port {iface}"), &format!("detached{from}"));
    Ok(())
}
