//! `l2x bridge add|del|show`.

use anyhow::{Context, Result, anyhow, bail};
use ipnetwork::IpNetwork;

use super::diff::{self, Diffs};
use super::{Ctx, links, show};
use crate::cli::{BridgeAddArgs, BridgeCmd, IfName};
use crate::msg::addr;
use crate::msg::bridge::{self, BridgeSpec};
use crate::msg::link::{self, Link, format_mac};

pub fn run(ctx: &mut Ctx, cmd: &BridgeCmd) -> Result<()> {
    match cmd {
        BridgeCmd::Add(args) => add(ctx, args).with_context(|| format!("bridge add {}", args.name)),
        BridgeCmd::Del { name } => del(ctx, name).with_context(|| format!("bridge del {name}")),
        BridgeCmd::Show { name } => show::bridges(ctx, name.as_ref()),
    }
}

fn add(ctx: &mut Ctx, args: &BridgeAddArgs) -> Result<()> {
    let spec = BridgeSpec {
        name: args.name.to_string(),
        mtu: args.mtu,
        mac: args.mac.map(|m| m.0),
        stp: args.stp,
    };
    let object = format!("bridge {}", args.name);
    // A new bridge, the common case, costs one request, as `ip link add` does: creation is
    // exclusive, so a link that has the name already is left as it is, then looked up and
    // compared. A refusal for any other reason is the answer when no such link exists.
    let refused = match ctx.nl.ack(&bridge::create(&spec)) {
        Ok(()) => {
            add_addresses(ctx, &spec, &args.addrs)?;
            ctx.out.changed(&object, "created");
            return Ok(());
        }
        Err(e) => e,
    };
    let Some(existing) = links::find(&mut ctx.nl, &spec.name)? else {
        return Err(refused.into());
    };
    let have = links::addresses(&mut ctx.nl, existing.index)?;
    let have: Vec<IpNetwork> = have.iter().map(|a| a.net).collect();
    let diffs = differences(&existing, &spec, &args.addrs, &have)?;
    diff::none_or_fail(diffs, &format!("{} exists", spec.name))?;
    ctx.out.changed(&object, "unchanged");
    Ok(())
}

/// Adds the addresses of a bridge just created; if one is refused the bridge is deleted again,
/// so a failed `bridge add` leaves nothing behind. The new bridge is read back for its index
/// only when there are addresses to add.
fn add_addresses(ctx: &mut Ctx, spec: &BridgeSpec, addrs: &[IpNetwork]) -> Result<()> {
    if addrs.is_empty() {
        return Ok(());
    }
    let created = links::find(&mut ctx.nl, &spec.name)?
        .ok_or_else(|| anyhow!("{} vanished right after it was created", spec.name))?;
    for net in addrs {
        if let Err(e) = ctx.nl.ack(&addr::add(created.index, &spec.name, *net)) {
            ctx.nl.ack(&link::delete(created.index, &spec.name)).ok();
            return Err(e.into());
        }
    }
    Ok(())
}

/// What differs between an existing link and the bridge asked for, in the user's words.
/// Settings not given on the command line are not compared, except STP (off unless --stp).
fn differences(
    link: &Link,
    spec: &BridgeSpec,
    addrs: &[IpNetwork],
    have: &[IpNetwork],
) -> Result<Diffs> {
    if !link.is_kind("bridge") {
        bail!(
            "{} exists and is {}, not a bridge",
            spec.name,
            link.kind_phrase()
        );
    }
    let mut diffs = Diffs::new();
    diff::up(&mut diffs, link);
    if let Some(mtu) = spec.mtu {
        diff::setting(&mut diffs, "mtu", link.mtu, mtu);
    }
    if let Some(mac) = spec.mac {
        diff::optional(
            &mut diffs,
            "mac",
            link.mac.as_ref().map(format_mac),
            Some(format_mac(&mac)),
        );
    }
    diff::switch(
        &mut diffs,
        "stp",
        bridge::stp_enabled(&link.info_data),
        spec.stp,
    );
    if !addrs.is_empty() {
        diff::members(&mut diffs, "address", have, addrs);
    }
    Ok(diffs)
}

fn del(ctx: &mut Ctx, name: &IfName) -> Result<()> {
    let bridge = links::require_bridge(&mut ctx.nl, name)?;
    ctx.nl.ack(&link::delete(bridge.index, name.as_str()))?;
    ctx.out.changed(&format!("bridge {name}"), "deleted");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bridge(mtu: u32) -> Link {
        Link {
            name: "br0".into(),
            up: true,
            mtu,
            kind: Some("bridge".into()),
            ..Link::default()
        }
    }

    fn spec() -> BridgeSpec {
        BridgeSpec {
            name: "br0".into(),
            ..BridgeSpec::default()
        }
    }

    #[test]
    fn same_settings_differ_in_nothing() {
        let net: IpNetwork = "10.0.5.1/24".parse().unwrap();
        let d = differences(&bridge(1500), &spec(), &[net], &[net]).unwrap();
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn each_difference_is_named() {
        let want: IpNetwork = "10.0.5.1/24".parse().unwrap();
        let have: IpNetwork = "10.0.6.1/24".parse().unwrap();
        let mut link = bridge(1500);
        link.up = false;
        let s = BridgeSpec {
            mtu: Some(9000),
            stp: true,
            ..spec()
        };
        let d = differences(&link, &s, &[want], &[have]).unwrap();
        assert_eq!(
            d,
            vec![
                "state down (wanted up)",
                "mtu 1500 (wanted 9000)",
                "stp off (wanted on)",
                "address 10.0.5.1/24 missing",
                "address 10.0.6.1/24 not asked for",
            ]
        );
    }

    #[test]
    fn another_kind_is_refused() {
        let mut link = bridge(1500);
        link.kind = Some("veth".into());
        let err = differences(&link, &spec(), &[], &[]).unwrap_err();
        assert_eq!(err.to_string(), "br0 exists and is a veth, not a bridge");
    }
}
