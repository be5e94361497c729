//! `l2x lab status`: the lab's settings, its DHCP server, and each namespace with its
//! interfaces as the kernel has them, read through `state` only.

use anyhow::Result;

use super::plan::Names;
use super::{Ctx, recorded};
use crate::dhcp::daemon;
use crate::msg::addr::Addr;
use crate::msg::link::Link;
use crate::nl::{Netlink, netns};
use crate::show::lab::{DhcpState, LabStatus, NamespaceView};
use crate::state::links;

pub fn run(ctx: &mut Ctx, names: &Names) -> Result<()> {
    let plan = recorded(names)?;
    let pid_file = plan.as_ref().map_or_else(
        || std::path::PathBuf::from(names.dhcp_pid_file()),
        |p| p.dhcp_pid_file(names),
    );
    let dhcp = if pid_file.exists() {
        let pid = daemon::holder(&pid_file)?;
        Some(DhcpState {
            pid,
            running: pid.is_some(),
        })
    } else {
        None
    };
    let prefix = names.namespace_prefix();
    let mut found = netns::names(&prefix)?;
    // As they are made: the wan, the hosts, the containers.
    found.sort_by_key(|n| (ROLES.iter().position(|r| *r == role(&prefix, n)), n.clone()));
    let namespaces = found
        .into_iter()
        .map(|name| {
            let detail = interfaces(&name)?;
            Ok(NamespaceView {
                role: role(&prefix, &name),
                name,
                detail,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let view = LabStatus {
        tunnel: plan.as_ref().map(|p| p.tunnel.name().to_string()),
        hosts: plan.as_ref().map(|p| p.hosts),
        dhcp,
        namespaces,
    };
    ctx.out.show(&view, || view.table());
    Ok(())
}

const ROLES: [&str; 3] = ["wan", "host", "container"];

fn role(prefix: &str, name: &str) -> &'static str {
    let rest = name.trim_start_matches(prefix);
    if rest.starts_with("host") {
        "host"
    } else if rest.starts_with("ct") {
        "container"
    } else {
        "wan"
    }
}

/// `br0 (bridge, mtu 1450, 10.0.5.1/24)` for every interface but lo.
fn interfaces(ns: &str) -> Result<Vec<String>> {
    let (all, addrs) = netns::within(ns, || {
        let mut nl = Netlink::route(false)?;
        Ok((links::all(&mut nl)?, links::addresses(&mut nl, 0)?))
    })?;
    Ok(all
        .iter()
        .filter(|l| l.name != "lo")
        .map(|l| describe(l, &addrs))
        .collect())
}

fn describe(link: &Link, addrs: &[Addr]) -> String {
    let mut parts = vec![link.kind_name().to_string(), format!("mtu {}", link.mtu)];
    parts.extend(
        addrs
            .iter()
            .filter(|a| a.index == link.index)
            .map(|a| a.net.to_string()),
    );
    if !link.up {
        parts.push("down".into());
    }
    format!("{} ({})", link.name, parts.join(", "))
}
