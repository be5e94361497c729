//! Tunnels on this machine's kernel: VXLAN end to end (l2x on both hosts, and against a peer
//! configured with iproute2), a loop-free full mesh, and the errors for bad input and for
//! kernels without gretap or L2TP. gretap and L2TP traffic tests run in the VM (vm_tunnels.rs).

mod common;

use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::Duration;

use common::segment::Segment;
use common::*;

/// `tunnel vxlan vx0 --vni 42` from `host` to each of `remotes`, then `extra`.
fn vxlan(host: &str, remotes: &[&str], extra: &str) -> String {
    let remotes: Vec<String> = remotes.iter().map(|r| format!("--remote {r}")).collect();
    format!(
        "tunnel vxlan vx0 --vni 42 --local {host} {} {extra}",
        remotes.join(" ")
    )
}

#[test]
fn vxlan_joins_two_hosts() {
    let seg = Segment::new("vx2", 2);
    let (h1, h2) = (seg.host(1), seg.host(2));
    let run = h1
        .ns
        .l2x_line(&vxlan(&h1.underlay, &[&h2.underlay], "--bridge br0"))
        .ok();
    assert!(
        run.stdout
            .starts_with("tunnel vx0: created (vxlan, mtu 1450)\n"),
        "{run:?}"
    );
    assert!(run.stdout.contains("port vx0: attached to br0"), "{run:?}");
    assert!(
        run.stdout
            .contains("bridge br0 MTU lowered from 1500 to 1450"),
        "{run:?}"
    );
    h2.ns
        .l2x_line(&vxlan(&h2.underlay, &[&h1.underlay], "--bridge br0"))
        .ok();

    let link = h1.ns.link("vx0");
    assert_eq!(link["linkinfo"]["info_kind"], "vxlan");
    assert_eq!(link["linkinfo"]["info_data"]["id"], 42);
    assert_eq!(link["linkinfo"]["info_data"]["port"], 4789);
    assert_eq!(link["mtu"], 1450);
    assert_eq!(link["master"], "br0");
    let fdb = h1.ns.bridge_json(&["fdb", "show", "dev", "vx0"]);
    let flood: Vec<_> = fdb
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["mac"] == "00:00:00:00:00:00")
        .collect();
    assert_eq!(flood.len(), 1, "{fdb}");
    assert_eq!(flood[0]["dst"], h2.underlay.as_str());

    assert!(h1.container_pings(&h2.container_ip));
    assert!(h2.container_pings(&h1.container_ip));
}

#[test]
fn vxlan_interoperates_with_iproute2() {
    let seg = Segment::new("vxip", 2);
    let (h1, h2) = (seg.host(1), seg.host(2));
    h1.ns
        .l2x_line(&vxlan(&h1.underlay, &[&h2.underlay], "--bridge br0"))
        .ok();
    // The peer as a runbook makes it with iproute2.
    h2.ns.ip(&[
        "link",
        "add",
        "vx0",
        "type",
        "vxlan",
        "id",
        "42",
        "local",
        &h2.underlay,
        "dstport",
        "4789",
    ]);
    let peer = [
        "fdb",
        "append",
        "00:00:00:00:00:00",
        "dst",
        &h1.underlay,
        "dev",
        "vx0",
    ];
    run_ok(
        "bridge",
        &[&["-n", h2.ns.name.as_str()][..], &peer[..]].concat(),
    );
    h2.ns
        .ip(&["link", "set", "vx0", "mtu", "1450", "master", "br0", "up"]);

    assert!(h1.container_pings(&h2.container_ip));
    assert!(h2.container_pings(&h1.container_ip));
    let ours = h1.ns.link("vx0")["linkinfo"]["info_data"].clone();
    let theirs = h2.ns.link("vx0")["linkinfo"]["info_data"].clone();
    let strip_local = |mut v: serde_json::Value| {
        v.as_object_mut().unwrap().remove("local");
        v
    };
    assert_eq!(strip_local(ours), strip_local(theirs));
}

#[test]
fn vxlan_again_is_unchanged_and_a_conflict_names_each_difference() {
    let seg = Segment::new("vxre", 2);
    let (h1, h2) = (seg.host(1), seg.host(2));
    let line = vxlan(&h1.underlay, &[&h2.underlay], "--bridge br0 --isolated");
    h1.ns.l2x_line(&line).ok();
    let before = h1.ns.snapshot();
    assert_eq!(h1.ns.l2x_line(&line).ok().stdout, "tunnel vx0: unchanged\n");
    let other = vxlan(&h1.underlay, &["192.0.2.9"], "--bridge br0").replace("42", "43");
    let run = h1.ns.l2x_line(&other).fails(1, "other settings");
    for named in [
        "vni 42 (wanted 43)",
        "remote 192.0.2.9 missing",
        "remote 192.0.2.2 not asked for",
        "isolated on (wanted off)",
    ] {
        assert!(run.stderr.contains(named), "{named}: {run:?}");
    }
    assert_eq!(h1.ns.snapshot(), before);
}

#[test]
fn full_mesh_of_isolated_vxlan_ports_has_no_loop() {
    let seg = Segment::new("mesh", 3);
    for h in &seg.hosts {
        let others: Vec<&str> = seg
            .hosts
            .iter()
            .filter(|o| o.underlay != h.underlay)
            .map(|o| o.underlay.as_str())
            .collect();
        // One VXLAN device per peer, as a full mesh of point-to-point tunnels.
        for (i, peer) in others.iter().enumerate() {
            let name = format!("vx{i}");
            h.ns.l2x(&[
                "tunnel",
                "vxlan",
                &name,
                "--vni",
                "42",
                "--local",
                &h.underlay,
                "--remote",
                peer,
                "--dport",
                &format!("{}", 4789 + peer_port_offset(&h.underlay, peer)),
                "--bridge",
                "br0",
                "--isolated",
            ])
            .ok();
        }
    }
    for a in &seg.hosts {
        for b in &seg.hosts {
            if a.underlay != b.underlay {
                assert!(
                    a.container_pings(&b.container_ip),
                    "{} -> {}",
                    a.container_ip,
                    b.container_ip
                );
            }
        }
    }
    // One broadcast from container 2 must reach containers 1 and 3 exactly once each.
    let counters: Vec<_> = [1, 3]
        .iter()
        .map(|&n| {
            Command::new("ip")
                .args([
                    "netns",
                    "exec",
                    &seg.host(n).container.name,
                    "python3",
                    arp_tool(),
                    "count",
                    "eth0",
                    "10.0.5.99",
                    "3",
                ])
                .stdout(Stdio::piped())
                .spawn()
                .expect("start counter")
        })
        .collect();
    sleep(Duration::from_millis(800));
    let sent = seg
        .host(2)
        .container
        .exec("python3", &[arp_tool(), "send", "eth0", "10.0.5.99"]);
    assert!(sent.status.success(), "{sent:?}");
    for c in counters {
        let out = c.wait_with_output().expect("counter");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "1",
            "copies of one broadcast"
        );
    }
}

/// Each pair of hosts gets its own UDP port, so one VXLAN socket per (host, peer) pair and the
/// same VNI on every tunnel: the devices of one host stay distinct.
fn peer_port_offset(a: &str, b: &str) -> u16 {
    let last = |ip: &str| ip.rsplit('.').next().unwrap().parse::<u16>().unwrap();
    let (x, y) = (last(a).min(last(b)), last(a).max(last(b)));
    x * 10 + y
}

fn arp_tool() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tools/arp.py")
}

#[test]
fn tunnel_show_and_del() {
    let seg = Segment::new("vxshow", 2);
    let (h1, h2) = (seg.host(1), seg.host(2));
    // Made with iproute2, read with l2x, compared with what iproute2 reads back.
    h1.ns.ip_line(&format!(
        "link add vx0 mtu 1400 type vxlan id 42 local {} dstport 4789",
        h1.underlay
    ));
    h1.ns.ip_line("link set vx0 master br0 up");
    for remote in [h2.underlay.as_str(), "192.0.2.7"] {
        run_ok(
            "bridge",
            &[
                "-n",
                &h1.ns.name,
                "fdb",
                "append",
                "00:00:00:00:00:00",
                "dst",
                remote,
                "dev",
                "vx0",
            ],
        );
    }
    let doc = h1.ns.l2x_line("-j tunnel show").ok().json();
    let t = &doc["tunnels"][0];
    let ip = h1.ns.link("vx0");
    assert_eq!(t["name"], "vx0");
    assert_eq!(t["kind"], ip["linkinfo"]["info_kind"]);
    assert_eq!(t["vni"], ip["linkinfo"]["info_data"]["id"]);
    assert_eq!(t["dport"], ip["linkinfo"]["info_data"]["port"]);
    assert_eq!(t["local"], ip["linkinfo"]["info_data"]["local"]);
    assert_eq!(t["mtu"], ip["mtu"]);
    assert_eq!(t["bridge"], ip["master"]);
    let fdb = h1.ns.bridge_json(&["fdb", "show", "dev", "vx0"]);
    let mut want: Vec<&str> = fdb
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["mac"] == "00:00:00:00:00:00")
        .map(|e| e["dst"].as_str().unwrap())
        .collect();
    want.sort();
    let remotes: Vec<&str> = t["remotes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(remotes, want);
    assert_eq!(remotes.len(), 2);
    assert_eq!(
        h1.ns.l2x_line("-j show").ok().json()["tunnels"],
        doc["tunnels"]
    );
    assert!(h1.ns.l2x_line("tunnel show").ok().stdout.contains("vni 42"));

    assert_eq!(
        h1.ns.l2x_line("tunnel del vx0").ok().stdout,
        "tunnel vx0: deleted\n"
    );
    assert!(!h1.ns.has_link("vx0"));
    assert_eq!(
        h1.ns.l2x_line("tunnel del vx0").ok().stdout,
        "tunnel vx0: unchanged (absent)\n"
    );
    h1.ns
        .l2x_line("tunnel del br0")
        .fails(1, "br0 is a bridge, not a tunnel");
}

/// Bad input: the command line (split at spaces) fails with this exit status and message, and
/// no link is added.
fn rejects(command_line: &str, code: i32, needle: &str) {
    let ns = Netns::new("tbad");
    ns.ip(&["link", "add", "br0", "type", "bridge"]);
    let before = ns.snapshot();
    let args: Vec<&str> = command_line.split_whitespace().collect();
    ns.l2x(&args).fails(code, needle);
    assert_eq!(ns.snapshot(), before, "state changed by {command_line}");
}

const VXLAN: &str = "tunnel vxlan vx0 --vni 1 --local 192.0.2.1";
const L2TP: &str = "tunnel l2tp l0 --local 192.0.2.1 --remote 192.0.2.2 --session-id 1";

#[test]
fn remote_equal_to_local() {
    let gretap = "tunnel gretap gt0 --local 192.0.2.1 --remote 192.0.2.1";
    rejects(gretap, 2, "a tunnel needs two hosts");
}

#[test]
fn ipv4_local_with_ipv6_remote() {
    rejects(
        &format!("{VXLAN} --remote fd00::2"),
        2,
        "different families",
    );
}

#[test]
fn vni_of_2_to_the_24() {
    let vni = "tunnel vxlan vx0 --vni 16777216 --local 192.0.2.1 --remote 192.0.2.2";
    rejects(vni, 2, "16777216");
}

#[test]
fn tunnel_id_zero() {
    rejects(&format!("{L2TP} --tunnel-id 0"), 2, "--tunnel-id");
}

#[test]
fn cookie_of_three_bytes() {
    rejects(
        &format!("{L2TP} --tunnel-id 1 --cookie 010203"),
        2,
        "4 or 8 bytes",
    );
}

#[test]
fn udp_ports_with_ip_encapsulation() {
    let ip_encap = format!("{L2TP} --tunnel-id 1 --encap ip --sport 1702");
    rejects(&ip_encap, 2, "need --encap udp");
}

#[test]
fn isolated_without_bridge() {
    rejects(
        &format!("{VXLAN} --remote 192.0.2.2 --isolated"),
        2,
        "--bridge",
    );
}

#[test]
fn bridge_that_does_not_exist() {
    rejects(
        &format!("{VXLAN} --remote 192.0.2.2 --bridge nobr"),
        1,
        "no such bridge nobr",
    );
}

#[test]
fn name_used_by_another_kind() {
    let named_br0 = "tunnel vxlan br0 --vni 1 --local 192.0.2.1 --remote 192.0.2.2";
    rejects(
        named_br0,
        1,
        "br0 exists and is a bridge, not a vxlan tunnel",
    );
}

/// Whether iproute2 can make a link of this kind in a scratch namespace.
fn kernel_has(kind_args: &[&str]) -> bool {
    let ns = Netns::new("probe");
    let mut args = vec!["-n", ns.name.as_str(), "link", "add", "probe0", "type"];
    args.extend_from_slice(kind_args);
    Command::new("ip")
        .args(&args)
        .output()
        .expect("ip")
        .status
        .success()
}

#[test]
fn gretap_without_kernel_support_says_what_is_missing() {
    let ns = Netns::new("nogre");
    let run = ns.l2x_line("tunnel gretap gt0 --local 192.0.2.1 --remote 192.0.2.2");
    if kernel_has(&["gretap", "local", "192.0.2.1", "remote", "192.0.2.2"]) {
        // This kernel has gretap: the device is made, as iproute2 sees it.
        run.ok();
        let gt0 = ns.link("gt0");
        assert_eq!(gt0["linkinfo"]["info_kind"], "gretap", "{gt0}");
        assert_eq!(gt0["linkinfo"]["info_data"]["remote"], "192.0.2.2", "{gt0}");
        return;
    }
    let run = run.fails(
        1,
        "l2x: tunnel gretap gt0: this kernel has no gretap support",
    );
    assert!(
        run.stderr
            .contains("hint: load the module with `modprobe ip_gre`"),
        "{run:?}"
    );
    assert!(!ns.has_link("gt0"));
}

#[test]
fn l2tp_without_kernel_support_says_what_is_missing() {
    let ns = Netns::new("nol2tp");
    // The local address exists, so that with L2TP in the kernel the tunnel's socket can bind.
    ns.veth("u0", "u1");
    ns.ip_line("addr add 192.0.2.1/24 dev u0");
    ns.ip_line("link set u0 up");
    let before = ns.link_names();
    let line = format!("{L2TP} --tunnel-id 1");
    let args: Vec<&str> = line.split_whitespace().collect();
    let ip_l2tp = Command::new("ip")
        .args(["-n", &ns.name, "l2tp", "show", "tunnel"])
        .output()
        .expect("ip");
    let run = ns.l2x(&args);
    if ip_l2tp.status.success() {
        // This kernel has L2TP: the session is made, as iproute2 sees it.
        run.ok();
        let sessions = Command::new("ip")
            .args(["-n", &ns.name, "l2tp", "show", "session"])
            .output()
            .expect("ip");
        let text = String::from_utf8_lossy(&sessions.stdout);
        assert!(text.contains("interface name: l0"), "{text}");
        return;
    }
    let run = run.fails(1, "l2x: tunnel l2tp l0: this kernel has no l2tp support");
    assert!(run.stderr.contains("modprobe l2tp_eth"), "{run:?}");
    assert_eq!(ns.link_names(), before);
}

#[test]
fn ports_get_an_mtu_that_fits_the_tunnel() {
    let seg = Segment::new("vxmtu", 2);
    let (h1, h2) = (seg.host(1), seg.host(2));
    // c1, the container's veth, was attached at 1500 before the tunnel came.
    let run = h1
        .ns
        .l2x_line(&vxlan(&h1.underlay, &[&h2.underlay], "--bridge br0"))
        .ok();
    assert!(
        run.stdout
            .contains("ports above 1450 lose bigger frames: c1 (1500); give"),
        "{run:?}"
    );
    // A port attached afterwards gets the bridge's MTU.
    h1.ns.veth("late0", "late1");
    let run = h1.ns.l2x_line("attach late0 br0").ok();
    assert!(
        run.stdout
            .contains("port late0 MTU lowered from 1500 to 1450 to fit bridge br0"),
        "{run:?}"
    );
    assert_eq!(h1.ns.link("late0")["mtu"], 1450);
    assert_eq!(h1.ns.link("br0")["mtu"], 1450);
}

#[test]
fn dhcp_answers_a_container_behind_the_tunnel() {
    let seg = Segment::new("vxdhcp", 2);
    let (h1, h2) = (seg.host(1), seg.host(2));
    h1.ns
        .l2x_line(&vxlan(&h1.underlay, &[&h2.underlay], "--bridge br0"))
        .ok();
    h2.ns
        .l2x_line(&vxlan(&h2.underlay, &[&h1.underlay], "--bridge br0"))
        .ok();
    h1.ns.ip_line("addr add 10.0.5.1/24 dev br0");
    let dir = std::env::temp_dir().join(format!("l2x-vxdhcp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let serve = format!(
        "dhcp serve br0 --range 10.0.5.100-10.0.5.150 --daemon --lease-file {} --pid-file {}",
        file("leases"),
        file("pid")
    );
    h1.ns.l2x_line(&serve).ok();

    // Container 2, on the far side of the tunnel, asks with busybox udhcpc; its script writes
    // what it was given.
    let script = file("udhcpc.sh");
    let got = file("got");
    std::fs::write(
        &script,
        format!("#!/bin/sh\n[ \"$1\" = bound ] && echo \"$ip $mtu\" > {got}\nexit 0\n"),
    )
    .unwrap();
    Command::new("chmod")
        .args(["+x", &script])
        .status()
        .unwrap();
    h2.container.ip_line("addr flush dev eth0");
    let udhcpc = [
        "udhcpc", "-i", "eth0", "-f", "-q", "-n", "-t", "5", "-T", "1", "-s", &script, "-O", "mtu",
    ];
    let out = h2.container.exec("busybox", &udhcpc);
    let lease = std::fs::read_to_string(&got).unwrap_or_default();
    h1.ns
        .l2x_line(&format!("dhcp stop br0 --pid-file {}", file("pid")))
        .ok();
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        out.status.success(),
        "udhcpc: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (ip, mtu) = lease.trim().split_once(' ').expect("ip and mtu");
    let ip: std::net::Ipv4Addr = ip.parse().expect("an IPv4 address");
    assert!(
        (100..=150).contains(&ip.octets()[3]) && ip.octets()[..3] == [10, 0, 5],
        "{lease}"
    );
    assert_eq!(mtu, "1450", "the bridge's MTU, lowered by the tunnel");
}
