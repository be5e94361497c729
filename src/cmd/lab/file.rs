//! `l2x lab up --file FILE`: the lab built from a segment file. The file's hosts become
//! namespaces PREFIX-host1, PREFIX-host2, ... (in name order) on one underlay, each at the
//! file's address; every host's part is made by `l2x apply FILE --host NAME`, the very command
//! a real host runs; then each gets a container, attached to the segment's bridge as a
//! container manager attaches its veths, which asks for its address by DHCP.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ipnetwork::IpNetwork;

use super::plan::{self, FileLab, Names, Plan, words};
use super::step::Steps;
use super::up;
use super::wiring::{self, End};
use crate::report::usage;
use crate::segment::{self, Segment};

/// The lab's plan for a segment file, refused unless the lab can show it working: DHCP and
/// masquerade on a router, every host on one IPv4 /24.
pub fn plan(names: &Names, path: &Path) -> Result<(Plan, Segment)> {
    let path = std::path::absolute(path).with_context(|| format!("resolve {}", path.display()))?;
    let seg = segment::load(&path)?;
    if seg.encrypted {
        // Its hosts would need keys of their own, in files the lab would have to make.
        return Err(usage(
            "the lab builds unencrypted segments: take `encrypt` out of the lab's copy",
        ));
    }
    let router = seg
        .router
        .as_ref()
        .filter(|r| r.dhcp.is_some() && r.masquerade)
        .ok_or_else(|| {
            usage(
                "the lab needs [router] with dhcp and masquerade = true: its containers get \
                 their addresses by DHCP and ping the internet through the router",
            )
        })?;
    if seg.hosts.len() > 8 {
        return Err(usage("the lab builds at most 8 hosts"));
    }
    let subnet = |ip: IpAddr| match ip {
        IpAddr::V4(v4) => Ok(u32::from(v4) >> 8),
        IpAddr::V6(_) => Err(usage(
            "the lab's underlay is IPv4: give the hosts IPv4 addresses",
        )),
    };
    let router_host = seg
        .host(&router.host)
        .expect("checked: the router is a host");
    // Unencrypted: every host has an underlay.
    let router_ip = router_host.underlay.expect("an unencrypted segment's host");
    let net = subnet(router_ip)?;
    for h in &seg.hosts {
        for ip in [h.underlay, h.local].into_iter().flatten() {
            if subnet(ip)? != net {
                return Err(usage(format!(
                    "the lab puts every host on one /24: hosts.{}'s {ip} is not on {router_ip}'s",
                    h.name
                )));
            }
        }
    }
    let internet = Ipv4Addr::from(net << 8 | 254);
    if seg
        .hosts
        .iter()
        .any(|h| h.underlay == Some(IpAddr::V4(internet)))
    {
        return Err(usage(format!(
            "the lab's internet host is {internet}: no host of the file may have it"
        )));
    }
    let router_index = seg
        .hosts
        .iter()
        .position(|h| h.name == router.host)
        .unwrap_or(0) as u8
        + 1;
    // `dhcp serve`'s default on the router host (CLI.md: with -n, the default paths carry the
    // namespace), which the lab removes with itself; one the file chose stays.
    let leases = router.lease_file.is_none().then(|| {
        let ns = names.host(router_index);
        PathBuf::from(format!("/var/lib/l2x/{ns}/dhcp-{}.leases", seg.name))
    });
    let lab = FileLab {
        path,
        segment: seg.name.clone(),
        hosts: seg.hosts.iter().map(|h| h.name.clone()).collect(),
        router: router_index,
        leases,
        uplink: router.out.clone().unwrap_or_else(|| plan::UPLINK.into()),
        internet,
        dns: router.dns,
    };
    let plan = Plan {
        tunnel: seg.tunnel,
        hosts: seg.hosts.len() as u8,
        file: Some(lab),
    };
    Ok((plan, seg))
}

/// Every step, in an order where each finds what it needs: the underlay, the ports the file
/// names, each host's part (`apply`), the containers, their leases.
pub fn build(steps: &Steps, names: &Names, plan: &Plan, seg: &Segment) -> Result<()> {
    let lab = plan.file.as_ref().expect("a file's lab");
    for ns in plan.namespaces(names) {
        wiring::namespace(steps, &ns)?;
    }
    up::wan(steps, names, plan)?;
    for (i, host) in (1..).zip(&seg.hosts) {
        let addrs = [host.underlay, host.local]
            .into_iter()
            .flatten()
            .map(|ip| IpNetwork::new(ip, plan::UNDERLAY_PREFIX))
            .collect::<Result<Vec<_>, _>>()?;
        up::underlay(steps, names, i, &lab.uplink, &addrs)?;
        // The file's extra ports: veths whose other end is a second interface of the
        // host's container.
        for extra in &host.ports {
            let (ns, ct) = (names.host(i), names.container(i));
            let a = End {
                netns: &ns,
                name: extra,
            };
            let b = End {
                netns: &ct,
                name: extra,
            };
            wiring::cable(steps, &a, &b)?;
        }
    }
    let file = lab.path.display().to_string();
    for (i, host) in (1..).zip(&seg.hosts) {
        let apply = words(&["apply", &file, "--host", &host.name]);
        steps.l2x(&names.host(i), &apply)?;
    }
    for i in plan.host_ids() {
        up::container(steps, names, i, &lab.segment)?;
    }
    up::leases(steps, names, plan)
}

/// The segment's DHCP server's pid file on the router host: `dhcp serve`'s default there.
pub fn dhcp_pid_file(names: &Names, lab: &FileLab) -> PathBuf {
    let ns = names.host(lab.router);
    PathBuf::from(format!("/run/l2x/{ns}/dhcp-{}.pid", lab.segment))
}
