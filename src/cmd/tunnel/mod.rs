//! `l2x tunnel gretap|l2tp|vxlan|del|show`: what every tunnel kind shares. Each kind knows how
//! to make, compare and remove its device; this module checks the bridge first, sets the
//! device up with the right MTU, attaches it, and undoes everything if a step fails.

mod gretap;
mod l2tp;
mod vxlan;

use std::net::IpAddr;

use anyhow::{Context, Result, anyhow, bail};

use super::attach::{MtuChange, attach_port, port_differences, report_attached};
use super::diff::{self, Diffs};
use super::{Ctx, links, show};
use crate::cli::{IfName, TunnelCmd, TunnelCommon};
use crate::msg::link::{self, Link, LinkChange};
use crate::msg::route;
use crate::report::{Hinted, usage};

pub use l2tp::views as l2tp_views;
pub use vxlan::remotes as vxlan_remotes;

pub fn run(ctx: &mut Ctx, cmd: &TunnelCmd) -> Result<()> {
    match cmd {
        TunnelCmd::Gretap(a) => gretap::Gretap::from_args(a)
            .and_then(|t| add(ctx, &t, &a.common))
            .with_context(|| format!("tunnel gretap {}", a.name)),
        TunnelCmd::L2tp(a) => l2tp::L2tp::from_args(a)
            .and_then(|t| add(ctx, &t, &a.common))
            .with_context(|| format!("tunnel l2tp {}", a.name)),
        TunnelCmd::Vxlan(a) => vxlan::Vxlan::from_args(a)
            .and_then(|t| add(ctx, &t, &a.common))
            .with_context(|| format!("tunnel vxlan {}", a.name)),
        TunnelCmd::Del { name } => del(ctx, name).with_context(|| format!("tunnel del {name}")),
        TunnelCmd::Show { name } => show::tunnels(ctx, name.as_ref()),
    }
}

/// One kind of tunnel, as `add` drives it.
trait Tunnel {
    fn name(&self) -> &str;
    /// The link kind, as `ip -d link show` names it.
    fn kind(&self) -> &'static str;
    /// The MTU to give the device when --mtu is not given; None keeps the kernel's choice.
    fn default_mtu(&self, _ctx: &mut Ctx) -> Result<Option<u32>> {
        Ok(None)
    }
    /// Makes the device, leaving nothing behind when it fails.
    fn create(&self, ctx: &mut Ctx) -> Result<()>;
    /// How an existing device of this name differs; an error when it is not this kind at all.
    fn differences(&self, ctx: &mut Ctx, link: &Link) -> Result<Diffs>;
}

fn add(ctx: &mut Ctx, t: &dyn Tunnel, common: &TunnelCommon) -> Result<()> {
    // The bridge is checked before anything is made, so a typo leaves nothing behind.
    let bridge = match &common.bridge {
        Some(name) => Some(links::require_bridge(&mut ctx.nl, name)?),
        None => None,
    };
    let object = format!("tunnel {}", t.name());
    if let Some(existing) = links::find(&mut ctx.nl, t.name())? {
        let mut diffs = t.differences(ctx, &existing)?;
        diffs.extend(placement_differences(&existing, common, bridge.as_ref()));
        diff::none_or_fail(diffs, &format!("{} exists", t.name()))?;
        ctx.out.changed(&object, "unchanged");
        return Ok(());
    }
    let mtu = match common.mtu {
        Some(mtu) => Some(mtu),
        None => t.default_mtu(ctx)?,
    };
    t.create(ctx)?;
    let made = links::find(&mut ctx.nl, t.name())?
        .ok_or_else(|| anyhow!("{} vanished right after it was created", t.name()))?;
    match set_up(ctx, &made, mtu, bridge.as_ref(), common.isolated) {
        Ok((up, bridge_mtu)) => {
            let kind = t.kind();
            ctx.out
                .changed(&object, &format!("created ({kind}, mtu {})", up.mtu));
            if let (Some(br), Some(mtu)) = (&bridge, bridge_mtu) {
                report_attached(ctx, t.name(), &br.name, common.isolated, mtu);
                if let Some((_, lowered)) = mtu.bridge {
                    warn_of_bigger_ports(ctx, br, lowered)?;
                }
            }
            Ok(())
        }
        Err(e) => {
            remove(ctx, &made).ok();
            Err(e)
        }
    }
}

/// Sets the new device up with its MTU and attaches it to the bridge. Returns the device as it
/// is now and what the attach did to MTUs.
fn set_up(
    ctx: &mut Ctx,
    made: &Link,
    mtu: Option<u32>,
    bridge: Option<&Link>,
    isolated: bool,
) -> Result<(Link, Option<MtuChange>)> {
    let change = LinkChange {
        up: true,
        mtu,
        ..LinkChange::default()
    };
    ctx.nl.ack(&link::change(made.index, &made.name, change))?;
    let up = links::find_index(&mut ctx.nl, made.index)?.unwrap_or_else(|| made.clone());
    let bridge_mtu = match bridge {
        Some(br) => Some(attach_port(ctx, &up, br, isolated)?),
        None => None,
    };
    Ok((up, bridge_mtu))
}

/// The ports that were there before a tunnel lowered their bridge's MTU keep their own: frames
/// that big now vanish at the tunnel without an error. Says which, and what fixes it.
fn warn_of_bigger_ports(ctx: &mut Ctx, bridge: &Link, mtu: u32) -> Result<()> {
    let bigger: Vec<String> = links::ports(&mut ctx.nl, bridge.index)?
        .into_iter()
        .filter(|p| p.mtu > mtu)
        .map(|p| format!("{} ({})", p.name, p.mtu))
        .collect();
    if !bigger.is_empty() {
        ctx.out.note(&format!(
            "ports above {mtu} lose bigger frames: {}; give their hosts MTU {mtu} \
             (l2x dhcp serve hands the bridge's MTU out)",
            bigger.join(", ")
        ));
    }
    Ok(())
}

/// State, MTU and bridge membership of an existing tunnel, compared with the command line.
fn placement_differences(link: &Link, common: &TunnelCommon, bridge: Option<&Link>) -> Diffs {
    let mut diffs = Diffs::new();
    diff::up(&mut diffs, link);
    if let Some(mtu) = common.mtu {
        diff::setting(&mut diffs, "mtu", link.mtu, mtu);
    }
    if let Some(br) = bridge {
        port_differences(&mut diffs, link, br, common.isolated);
    }
    diffs
}

fn del(ctx: &mut Ctx, name: &IfName) -> Result<()> {
    let link = links::find(&mut ctx.nl, name.as_str())?.ok_or_else(|| {
        anyhow!(Hinted::new(
            format!("no such tunnel {name}"),
            "`l2x tunnel show` lists the tunnels",
        ))
    })?;
    remove(ctx, &link)?;
    ctx.out.changed(&format!("tunnel {name}"), "deleted");
    Ok(())
}

/// Removes a tunnel device; for L2TP its session, and the tunnel when no session is left.
fn remove(ctx: &mut Ctx, link: &Link) -> Result<()> {
    match link.kind.as_deref() {
        Some(kind) if LINK_KINDS.contains(&kind) => {
            ctx.nl.ack(&link::delete(link.index, &link.name))?;
            Ok(())
        }
        // l2tp_eth registers no link kind: a session's interface is known by its session.
        None => l2tp::remove_session(ctx, &link.name),
        Some(_) => bail!("{} is {}, not a tunnel", link.name, link.kind_phrase()),
    }
}

/// The link kinds of the tunnels l2x makes, L2TP sessions aside.
const LINK_KINDS: [&str; 3] = ["gretap", "ip6gretap", "vxlan"];

/// Whether a link is a tunnel: by its kind, or by being the interface of an L2TP session.
pub fn is_tunnel(link: &Link, l2tp_interfaces: &[String]) -> bool {
    match link.kind.as_deref() {
        Some(kind) => LINK_KINDS.contains(&kind),
        None => l2tp_interfaces.contains(&link.name),
    }
}

/// Both ends of a point-to-point tunnel: unicast, distinct, one family.
fn check_endpoints(local: IpAddr, remote: IpAddr) -> Result<()> {
    for (flag, ip) in [("--local", local), ("--remote", remote)] {
        if ip.is_unspecified() || ip.is_multicast() || ip.is_loopback() {
            return Err(usage(format!("{flag} {ip} is not a unicast host address")));
        }
    }
    if local == remote {
        return Err(usage(format!(
            "--local and --remote are both {local}: a tunnel needs two hosts"
        )));
    }
    if local.is_ipv4() != remote.is_ipv4() {
        return Err(usage(format!(
            "--local {local} and --remote {remote} are of different families; use IPv4 or IPv6 for both"
        )));
    }
    Ok(())
}

/// The MTU of the underlay toward `remote` (the route's own, else its device's), minus the
/// encapsulation's overhead; None when there is no route yet.
pub(in crate::cmd) fn underlay_fit(
    ctx: &mut Ctx,
    remote: IpAddr,
    overhead: u32,
) -> Result<Option<u32>> {
    let Some(body) = ctx.nl.get(&route::get(remote)).or_else(|e| {
        if e.errno == libc::ENETUNREACH || e.errno == libc::EHOSTUNREACH {
            Ok(None)
        } else {
            Err(e)
        }
    })?
    else {
        return Ok(None);
    };
    let info = route::parse(&body);
    let device_mtu = match info.oif {
        Some(oif) => links::find_index(&mut ctx.nl, oif)?.map(|l| l.mtu),
        None => None,
    };
    Ok(info.mtu.or(device_mtu).map(|m| m.saturating_sub(overhead)))
}

/// An error for a name that exists as a link of another kind.
fn wrong_kind(link: &Link, want: &str) -> anyhow::Error {
    anyhow!(
        "{} exists and is {}, not a {want} tunnel",
        link.name,
        link.kind_phrase()
    )
}
