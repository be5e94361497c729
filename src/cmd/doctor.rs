//! `l2x doctor`: what this kernel can do and what is misconfigured here, one row per check.
//! The kernel probes run in throwaway namespaces; everything else is read, never changed, in
//! the namespace l2x runs in (`-n NETNS` included).

use std::fs;
use std::net::IpAddr;
use std::time::Duration;

use anyhow::{Result, anyhow};

use super::Ctx;
use crate::dns::probe;
use crate::msg::link::Link;
use crate::msg::nft::chain::Chain;
use crate::msg::nft::family_name;
use crate::nl::uapi;
use crate::show::doctor::{Check, DoctorView, Status};
use crate::state::probe::Probe;
use crate::state::tunnel::Tunnel;
use crate::state::{Host, kernel, routes};

pub fn run(ctx: &mut Ctx) -> Result<()> {
    let host = Host::read(&mut ctx.s)?;
    let mut checks = vec![privileges()];
    let kernel = kernel();
    let kernel_wireguard = kernel
        .iter()
        .any(|c| c.check == "kernel: wireguard" && c.status == Status::Ok);
    checks.extend(kernel);
    checks.push(wireguard_go(kernel_wireguard));
    checks.push(ip_forwarding(host.forwarding, routes_a_segment(&host)));
    checks.extend(firewall(&host));
    checks.push(input_policy(&host));
    for bridge in host.bridges() {
        checks.push(bridge_mtu(bridge, &host));
        checks.extend(ports_with_addresses(bridge, &host));
    }
    for t in &host.tunnels {
        checks.push(underlay_mtu(t)?);
    }
    checks.extend(dhcp_servers(&host));
    checks.extend(dns_handed_out(&host));
    let view = DoctorView { checks };
    ctx.out.show(&view, || view.table());
    match view.count(Status::Fail) {
        0 => Ok(()),
        n => Err(anyhow!(
            "doctor: {n} of {} checks failed",
            view.checks.len()
        )),
    }
}

// include/uapi/linux/capability.h
const CAP_NET_ADMIN: u32 = 12;

fn privileges() -> Check {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
    };
    let root = field("Uid:").and_then(|u| u.split_whitespace().nth(1).map(|e| e == "0"));
    let caps = field("CapEff:").and_then(|c| u64::from_str_radix(&c, 16).ok());
    match (root, caps) {
        (Some(true), _) => Check::ok("privileges", "root"),
        (_, Some(c)) if c & (1 << CAP_NET_ADMIN) != 0 => Check::ok("privileges", "CAP_NET_ADMIN"),
        _ => Check::bad(
            Status::Fail,
            "privileges",
            "neither root nor CAP_NET_ADMIN: the kernel refuses every change l2x makes",
            "run as root (sudo), or give l2x CAP_NET_ADMIN",
        ),
    }
}

/// One row per probe. A missing tunnel kind is a warning while another one works; with none
/// of them, or without bridges, l2x has nothing to stretch a segment with.
fn kernel() -> Vec<Check> {
    let results: Vec<(Probe, Result<()>)> =
        kernel::probes().into_iter().map(|p| (p, p.run())).collect();
    let no_tunnel = results
        .iter()
        .all(|(p, r)| r.is_err() || p.tunnel.is_none());
    results
        .into_iter()
        .map(|(p, result)| {
            let check = format!("kernel: {}", p.name);
            match result {
                Ok(()) => Check::ok(check, "supported"),
                Err(e) => {
                    let fatal = p.name == "bridge" || (no_tunnel && p.tunnel.is_some());
                    let status = if fatal { Status::Fail } else { Status::Warn };
                    Check::bad(
                        status,
                        check,
                        format!("not supported: {e:#}"),
                        format!(
                            "`modprobe {}`, or install the distribution's extra kernel modules",
                            p.module
                        ),
                    )
                }
            }
        })
        .collect()
}

/// wireguard-go runs encrypted segments where the kernel has no WireGuard module.
fn wireguard_go(kernel_has_it: bool) -> Check {
    const CHECK: &str = "wireguard-go";
    match (uapi::version(), kernel_has_it) {
        (Some(version), true) => Check::ok(
            CHECK,
            format!("{version} (not needed: the kernel has WireGuard)"),
        ),
        (Some(version), false) => Check::ok(
            CHECK,
            format!("{version}: runs encrypted segments, as the kernel has no WireGuard module"),
        ),
        (None, true) => Check::ok(
            CHECK,
            "not installed (not needed: the kernel has WireGuard)",
        ),
        (None, false) => Check::bad(
            Status::Warn,
            CHECK,
            "not installed, and the kernel has no WireGuard module: encrypted segments \
             (encrypt = \"wireguard\") cannot be applied",
            "`apt install wireguard-go`, or `modprobe wireguard`",
        ),
    }
}

/// Whether this host routes a segment: a DHCP server runs here (its clients' default router is
/// the bridge), or l2x's NAT table has rules.
fn routes_a_segment(host: &Host) -> bool {
    !host.dhcp.is_empty() || host.nft.as_ref().is_ok_and(|r| !r.owned.rules.is_empty())
}

fn ip_forwarding(on: bool, routes: bool) -> Check {
    if on {
        Check::ok("ipv4 forwarding", "on")
    } else if !routes {
        Check::ok(
            "ipv4 forwarding",
            "off, and this host routes no segment (no DHCP server, no NAT)",
        )
    } else {
        Check::bad(
            Status::Warn,
            "ipv4 forwarding",
            "off: this host serves a segment (DHCP, NAT) but routes none of its packets, so the \
             segment cannot reach the outside through it",
            "on the host that masquerades the segment, `l2x nat masq --source CIDR` turns it on",
        )
    }
}

const BRIDGE_NF: &str = "/proc/sys/net/bridge/bridge-nf-call-iptables";

/// br_netfilter and forward-hook chains whose policy drops (Docker's FORWARD): together they
/// drop even bridged frames, alone the chain drops what the segment routes (NAT).
fn firewall(host: &Host) -> Vec<Check> {
    let chains = match &host.nft {
        Ok(ruleset) => &ruleset.chains,
        Err(e) => {
            return vec![Check::bad(
                Status::Warn,
                "forward policy",
                format!("cannot read the nf_tables ruleset: {e}"),
                "without nf_tables nothing filters, and `l2x nat masq` cannot work",
            )];
        }
    };
    let drops: Vec<&Chain> = chains.iter().filter(|c| c.drops_forwarded_ipv4()).collect();
    let named: Vec<String> = drops.iter().map(|c| chain_name(c)).collect();
    let bridged = fs::read_to_string(BRIDGE_NF).map(|v| v.trim() == "1");
    let br_netfilter = match (bridged, drops.is_empty()) {
        (Err(_), _) => Check::ok(
            "br_netfilter",
            "not loaded: bridged frames skip the IP hooks",
        ),
        (Ok(false), _) => Check::ok("br_netfilter", "loaded, bridge-nf-call-iptables off"),
        (Ok(true), true) => Check::ok(
            "br_netfilter",
            "loaded: bridged IPv4 frames pass the forward hook, where nothing drops them",
        ),
        (Ok(true), false) => Check::bad(
            Status::Warn,
            "br_netfilter",
            format!(
                "loaded with bridge-nf-call-iptables on: bridged IPv4 frames pass the forward \
                 hook, where {} drops them by default",
                named.join(", ")
            ),
            "`sysctl -w net.bridge.bridge-nf-call-iptables=0`, or accept the segment's bridges \
             in that chain (`nft insert rule ... iifname BRIDGE accept`)",
        ),
    };
    let policy = if drops.is_empty() {
        Check::ok("forward policy", "no forward-hook chain drops by default")
    } else {
        Check::bad(
            Status::Warn,
            "forward policy",
            format!(
                "{} drops forwarded packets by default (policy drop): what the segment routes \
                 through this host (NAT) is dropped unless a rule there accepts it",
                named.join(", ")
            ),
            "`l2x nat masq` prints the `nft insert rule` commands that let a segment through",
        )
    };
    vec![br_netfilter, policy]
}

/// What this host must receive to do its part, as nft matches it: DHCP and DNS where a
/// server runs, each tunnel's encapsulation, each WireGuard port.
fn wanted_in(host: &Host) -> Vec<(String, String)> {
    let mut wanted: Vec<(String, String)> = Vec::new();
    let mut want = |what: String, matches: String| {
        if !wanted.iter().any(|(_, m)| *m == matches) {
            wanted.push((what, matches));
        }
    };
    for s in host.dhcp.iter().filter(|s| s.running.is_some()) {
        want("DHCP (udp 67)".into(), "udp dport 67".into());
        if !s.record.dns.is_empty() {
            want("DNS (udp 53)".into(), "udp dport 53".into());
            want("DNS (tcp 53)".into(), "tcp dport 53".into());
        }
    }
    for t in &host.tunnels {
        match (t.kind.as_str(), &t.l2tp) {
            ("vxlan", _) => {
                let port = t.dport.unwrap_or(4789);
                want(format!("VXLAN (udp {port})"), format!("udp dport {port}"));
            }
            ("gretap", _) => want("GRE".into(), "ip protocol gre".into()),
            (_, Some(l)) if l.encap == "ip" => {
                want(
                    "L2TP over IP (protocol 115)".into(),
                    "ip protocol 115".into(),
                );
            }
            (_, Some(l)) => {
                let port = l.sport.unwrap_or(1701);
                want(format!("L2TP (udp {port})"), format!("udp dport {port}"));
            }
            _ => {}
        }
    }
    for (dev, _) in &host.wireguard {
        if let Some(port) = dev.listen_port.filter(|&p| p != 0) {
            want(
                format!("WireGuard (udp {port})"),
                format!("udp dport {port}"),
            );
        }
    }
    wanted
}

/// An input-hook chain whose policy drops would drop what this host must receive unless one
/// of its rules accepts it: named, with the rules that let each through.
fn input_policy(host: &Host) -> Check {
    let Ok(ruleset) = &host.nft else {
        return Check::ok("input policy", "no nf_tables ruleset to read");
    };
    let drops: Vec<&Chain> = ruleset
        .chains
        .iter()
        .filter(|c| c.drops_input_ipv4())
        .collect();
    let wanted = wanted_in(host);
    if drops.is_empty() || wanted.is_empty() {
        return Check::ok(
            "input policy",
            if drops.is_empty() {
                "no input-hook chain drops by default"
            } else {
                "an input-hook chain drops by default, but this host serves nothing l2x needs"
            },
        );
    }
    let named: Vec<String> = drops.iter().map(|c| chain_name(c)).collect();
    let what: Vec<&str> = wanted.iter().map(|(w, _)| w.as_str()).collect();
    let fixes: Vec<String> = drops
        .iter()
        .flat_map(|c| {
            wanted.iter().map(move |(_, m)| {
                format!(
                    "nft insert rule {} {} {} {m} accept",
                    family_name(c.family),
                    c.table,
                    c.name
                )
            })
        })
        .collect();
    Check::bad(
        Status::Warn,
        "input policy",
        format!(
            "{} drops what reaches this host by default (policy drop): {} is dropped unless a \
             rule there accepts it",
            named.join(", "),
            what.join(", ")
        ),
        format!("let them in: `{}`", fixes.join("`; `")),
    )
}

fn chain_name(c: &Chain) -> String {
    format!(
        "table {} {} chain {}",
        family_name(c.family),
        c.table,
        c.name
    )
}

/// A bridge port's IP addresses stop working the moment it joins: traffic for them arrives
/// at the bridge, which does not have them.
fn ports_with_addresses(bridge: &Link, host: &Host) -> Vec<Check> {
    host.ports(bridge)
        .filter_map(|port| {
            let addrs: Vec<String> = host
                .addrs
                .iter()
                .filter(|a| a.index == port.index)
                .map(|a| a.net.to_string())
                .collect();
            (!addrs.is_empty()).then(|| {
                Check::bad(
                    Status::Warn,
                    format!("port {}", port.name),
                    format!(
                        "a port of {} that still has {}: as a port it cannot use them",
                        bridge.name,
                        addrs.join(", ")
                    ),
                    format!(
                        "`l2x detach {p}` and `l2x attach {p} {b} --move-addresses` move them \
                         (and {p}'s routes) to {b}",
                        p = port.name,
                        b = bridge.name
                    ),
                )
            })
        })
        .collect()
}

/// A bridge runs at the MTU of its smallest port. A tunnel smaller than the other ports means
/// frames that fit those ports vanish in the tunnel, without an error to anyone.
fn bridge_mtu(bridge: &Link, host: &Host) -> Check {
    let check = format!("bridge {}", bridge.name);
    let ports: Vec<&Link> = host.ports(bridge).collect();
    let is_tunnel = |l: &Link| host.tunnels.iter().any(|t| t.name == l.name);
    let (tuns, others): (Vec<&Link>, Vec<&Link>) = ports.iter().partition(|l| is_tunnel(l));
    let biggest = others.iter().max_by_key(|l| l.mtu);
    if let (Some(small), Some(big)) = (tuns.iter().min_by_key(|l| l.mtu), biggest)
        && small.mtu < big.mtu
    {
        return Check::bad(
            Status::Warn,
            check,
            format!(
                "tunnel {} (mtu {}) is smaller than port {} (mtu {}): bigger frames from \
                 there vanish in the tunnel",
                small.name, small.mtu, big.name, big.mtu
            ),
            format!(
                "give the other ports, and the interfaces behind them, mtu {} \
                 (`l2x dhcp serve` hands the bridge's MTU to DHCP clients)",
                small.mtu
            ),
        );
    }
    let mut mtus: Vec<String> = ports
        .iter()
        .map(|l| format!("{} {}", l.name, l.mtu))
        .collect();
    if ports.iter().any(|l| l.mtu != bridge.mtu) {
        mtus.sort();
        return Check::bad(
            Status::Warn,
            check,
            format!("ports differ in MTU: {}", mtus.join(", ")),
            format!("give every port of {} the same MTU", bridge.name),
        );
    }
    Check::ok(
        check,
        format!("mtu {}, {} ports alike", bridge.mtu, ports.len()),
    )
}

/// A tunnel bigger than its underlay carries: frames are fragmented or silently dropped.
fn underlay_mtu(t: &Tunnel) -> Result<Check> {
    let check = format!("tunnel {}", t.name);
    let mut tightest: Option<(u32, IpAddr)> = None;
    for &remote in &t.remotes {
        let path = match t.local {
            Some(local) => routes::path_mtu(local, remote)?,
            None => None,
        };
        let fit = path.map(|m| m.saturating_sub(t.overhead(remote.is_ipv6())));
        let Some(fit) = fit else {
            return Ok(Check::bad(
                Status::Warn,
                check,
                format!("no route to the remote {remote}"),
                "the underlay must reach every remote: check addresses and routes (`ip route get`)",
            ));
        };
        if tightest.is_none_or(|(f, _)| fit < f) {
            tightest = Some((fit, remote));
        }
    }
    Ok(match tightest {
        None => Check::ok(check, format!("mtu {}, no remote to check against", t.mtu)),
        Some((fit, remote)) if t.mtu > fit => Check::bad(
            Status::Fail,
            check,
            format!(
                "mtu {} is more than the underlay toward {remote} carries ({fit} after {} \
                 encapsulation): big frames are fragmented or dropped",
                t.mtu, t.kind
            ),
            format!("set its MTU to {fit} (`ip link set {} mtu {fit}`)", t.name),
        ),
        Some((fit, remote)) => Check::ok(
            check,
            format!("mtu {} fits the underlay toward {remote} ({fit})", t.mtu),
        ),
    })
}

/// Every DHCP server recorded for this namespace: is it still running?
fn dhcp_servers(host: &Host) -> Vec<Check> {
    if host.dhcp.is_empty() {
        return vec![Check::ok("dhcp", "no servers in this namespace")];
    }
    host.dhcp
        .iter()
        .map(|s| {
            let r = &s.record;
            let check = format!("dhcp {}", r.bridge);
            match s.running {
                Some(pid) => Check::ok(
                    check,
                    format!(
                        "pid {pid} running, serving {} ({})",
                        r.range,
                        r.lease_file.display()
                    ),
                ),
                None => Check::bad(
                    Status::Warn,
                    check,
                    format!("pid {} is gone: the server died or was killed", r.pid),
                    format!(
                        "start it again with `l2x dhcp serve {} --range {} --daemon` (its \
                         leases in {} are kept)",
                        r.bridge,
                        r.range,
                        r.lease_file.display()
                    ),
                ),
            }
        })
        .collect()
}

/// Every DNS server a running DHCP server hands out (option 6) answers a query: clients given
/// one that does not wait seconds for every name before they try the next.
fn dns_handed_out(host: &Host) -> Vec<Check> {
    let mut checks = Vec::new();
    for s in host.dhcp.iter().filter(|s| s.running.is_some()) {
        for &server in &s.record.dns {
            let check = format!("dns {server}");
            let by = format!("handed out by dhcp {}", s.record.bridge);
            checks.push(match probe::answers(server, Duration::from_secs(1)) {
                Ok(true) => Check::ok(check, format!("answers ({by})")),
                Ok(false) => Check::bad(
                    Status::Warn,
                    check,
                    format!("does not answer within 1 s ({by}): its clients wait for every name"),
                    format!(
                        "start DNS on it, or give `l2x dhcp serve {}` a --dns that answers",
                        s.record.bridge
                    ),
                ),
                Err(e) => Check::bad(
                    Status::Warn,
                    check,
                    format!("cannot ask it ({by}): {e}"),
                    "check the route to it from this host",
                ),
            });
        }
    }
    checks
}
