//! `l2x attach` and `l2x detach`: bridge ports.

use anyhow::{Result, anyhow, bail};

use super::diff::{self, Diffs};
use super::{Ctx, links};
use crate::cli::{AttachArgs, IfName};
use crate::msg::bridge_port;
use crate::msg::link::{self, Link, LinkChange};
use crate::nl::KernelError;
use crate::report::{Hinted, usage};

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
    let mut diffs = Diffs::new();
    diff::up(&mut diffs, port);
    port_differences(&mut diffs, port, bridge, isolated);
    let what = format!("{} is a port of {}", port.name, bridge.name);
    diff::none_or_fail(diffs, &what)?;
    ctx.out.changed(&format!("port {}", port.name), "unchanged");
    Ok(())
}

/// A link's membership of `bridge` and its isolated flag, compared with what was asked.
pub fn port_differences(diffs: &mut Diffs, link: &Link, bridge: &Link, isolated: bool) {
    if link.master != Some(bridge.index) {
        diffs.push(format!("not a port of {}", bridge.name));
    } else {
        let have = bridge_port::parse(&link.slave_data).isolated;
        diff::switch(diffs, "isolated", have, isolated);
    }
}

/// Enslaves `port` to `bridge` and sets it up in one request, then marks it isolated when asked.
/// If isolation is refused the port is released again.
///
/// A bridge below Ethernet's 1500 was lowered by a tunnel port (the kernel keeps a bridge at
/// its smallest port's MTU) or by its owner; a bigger port would take frames the bridge cannot
/// carry, so the port gets the bridge's MTU in the same request. Returns what happened to the
/// MTUs: the kernel silently lowers a bridge to a smaller new port, and frames that fitted
/// before may then be dropped. Only a port smaller than the bridge can lower it (the kernel
/// sets an auto-sized bridge to its smallest port and leaves one sized by hand alone), so the
/// bridge is read back only then.
pub fn attach_port(ctx: &mut Ctx, port: &Link, bridge: &Link, isolated: bool) -> Result<MtuChange> {
    let fitted = (bridge.mtu < ETH_DATA_LEN && port.mtu > bridge.mtu).then_some(bridge.mtu);
    let enslave = LinkChange {
        up: true,
        master: Some(bridge.index),
        mtu: fitted,
    };
    ctx.nl
        .ack(&link::change(port.index, &port.name, enslave))
        .map_err(|e| port_limit(e, bridge))?;
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
    let port_change = fitted.map(|mtu| (port.mtu, mtu));
    if fitted.unwrap_or(port.mtu) >= bridge.mtu {
        return Ok(MtuChange {
            port: port_change,
            bridge: None,
        });
    }
    let after = links::find_index(&mut ctx.nl, bridge.index)?.map_or(bridge.mtu, |b| b.mtu);
    Ok(MtuChange {
        port: port_change,
        bridge: (after < bridge.mtu).then_some((bridge.mtu, after)),
    })
}

/// The kernel's "Exchange full" means the bridge has all the ports it can take (BR_MAX_PORTS
/// less the reserved port number 0); say that in the user's words.
fn port_limit(e: KernelError, bridge: &Link) -> anyhow::Error {
    if e.errno != libc::EXFULL {
        return e.into();
    }
    anyhow!(Hinted::new(
        format!(
            "{} has the most ports a Linux bridge can hold (1023)",
            bridge.name
        ),
        "attach the interface to another bridge",
    ))
}

/// Ethernet's payload size, the MTU of a bridge no tunnel has lowered.
const ETH_DATA_LEN: u32 = 1500;

/// MTUs an attach changed, each as (before, after).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MtuChange {
    pub port: Option<(u32, u32)>,
    pub bridge: Option<(u32, u32)>,
}

/// `port v0: attached to br0 (isolated)`, and a note for each MTU the attach changed.
pub fn report_attached(ctx: &Ctx, port: &str, bridge: &str, isolated: bool, mtu: MtuChange) {
    let how = if isolated { " (isolated)" } else { "" };
    ctx.out.changed(
        &format!("port {port}"),
        &format!("attached to {bridge}{how}"),
    );
    if let Some((from, to)) = mtu.port {
        ctx.out.note(&format!(
            "port {port} MTU lowered from {from} to {to} to fit bridge {bridge}"
        ));
    }
    if let Some((from, to)) = mtu.bridge {
        ctx.out.note(&format!(
            "bridge {bridge} MTU lowered from {from} to {to} to match {port}"
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
