//! `l2x doctor` on this machine's kernel, inside test namespaces (`-n`): what the kernel
//! supports, as iproute2 finds it, and the warnings for forwarding, forward-drop policies and
//! tunnel MTUs.

mod common;

use common::dhcp_lab::Lab;
use common::*;
use serde_json::Value;

fn check<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no check {name}: {doc:#}"))
}

fn status(supported: bool) -> &'static str {
    if supported { "ok" } else { "warn" }
}

#[test]
fn kernel_support_is_what_iproute2_finds() {
    let ns = Netns::new("doc");
    let run = ns.l2x(&["-j", "doctor"]);
    assert_eq!(run.code, 0, "nothing fails in an empty namespace: {run:?}");
    let doc = run.json();
    assert_eq!(check(&doc, "privileges")["status"], "ok");
    assert_eq!(check(&doc, "kernel: bridge")["status"], "ok");
    for (row, kind) in [
        ("kernel: gretap", "gretap"),
        ("kernel: l2tp (udp)", "l2tp"),
        ("kernel: vxlan", "vxlan"),
        ("kernel: wireguard", "wireguard"),
    ] {
        assert_eq!(
            check(&doc, row)["status"],
            status(kernel_has(kind)),
            "{row}"
        );
    }
    let table = ns.l2x(&["doctor"]).ok();
    assert!(table.stdout.contains("kernel: vxlan"), "{table:?}");
    // wireguard-go is installed by tests/install-deps: its version, as it gives it.
    let version = run_ok("wireguard-go", &["--version"]);
    let first = version.lines().next().unwrap();
    let go = check(&doc, "wireguard-go");
    assert_eq!(go["status"], "ok");
    assert!(go["detail"].as_str().unwrap().starts_with(first), "{go}");
}

#[test]
fn forwarding_off_and_forward_drop_are_warned() {
    let ns = Netns::new("docfw");
    let doc = ns.l2x(&["-j", "doctor"]).ok().json();
    let fwd = check(&doc, "ipv4 forwarding");
    assert_eq!(
        fwd["status"], "ok",
        "a namespace that routes no segment: {fwd}"
    );
    assert!(
        fwd["detail"]
            .as_str()
            .unwrap()
            .contains("routes no segment")
    );
    assert_eq!(check(&doc, "forward policy")["status"], "ok");

    ns.exec("sysctl", &["-qw", "net.ipv4.ip_forward=1"]);
    let nft = "add table ip filter\n\
               add chain ip filter FORWARD { type filter hook forward priority 0; policy drop; }\n";
    let file = std::env::temp_dir().join(format!("{}.nft", ns.name));
    std::fs::write(&file, nft).unwrap();
    let out = ns.exec("nft", &["-f", file.to_str().unwrap()]);
    std::fs::remove_file(&file).ok();
    assert!(out.status.success(), "{out:?}");
    let doc = ns.l2x(&["-j", "doctor"]).ok().json();
    assert_eq!(check(&doc, "ipv4 forwarding")["status"], "ok");
    let policy = check(&doc, "forward policy");
    assert_eq!(policy["status"], "warn");
    assert!(
        policy["detail"]
            .as_str()
            .unwrap()
            .contains("table ip filter chain FORWARD drops forwarded packets"),
        "{policy:#}"
    );
}

#[test]
fn tunnel_mtus_are_checked_against_ports_and_underlay() {
    let ns = Netns::new("docmtu");
    ns.veth("ul0", "ul1");
    ns.ip(&["addr", "add", "192.0.2.1/24", "dev", "ul0"]);
    ns.ip(&["link", "set", "ul0", "up"]);
    ns.ip(&["link", "set", "ul1", "up"]);
    ns.veth("p0", "p1");
    ns.l2x(&["bridge", "add", "br0"]).ok();
    ns.l2x(&["attach", "p0", "br0"]).ok();
    let vxlan = [
        "tunnel",
        "vxlan",
        "vx0",
        "--vni",
        "5",
        "--local",
        "192.0.2.1",
        "--remote",
        "192.0.2.2",
        "--bridge",
        "br0",
        "--mtu",
        "1400",
    ];
    ns.l2x(&vxlan).ok();
    let doc = ns.l2x(&["-j", "doctor"]).ok().json();
    let bridge = check(&doc, "bridge br0");
    assert_eq!(bridge["status"], "warn");
    assert!(
        bridge["detail"]
            .as_str()
            .unwrap()
            .contains("tunnel vx0 (mtu 1400) is smaller than port p0 (mtu 1500)"),
        "{bridge:#}"
    );
    assert_eq!(check(&doc, "tunnel vx0")["status"], "ok");

    ns.ip(&["link", "set", "vx0", "mtu", "1500"]);
    let run = ns.l2x(&["-j", "doctor"]);
    assert_eq!(
        run.code, 1,
        "a tunnel too big for its underlay fails: {run:?}"
    );
    let tunnel = check(&run.json(), "tunnel vx0").clone();
    assert_eq!(tunnel["status"], "fail");
    assert!(
        tunnel["detail"]
            .as_str()
            .unwrap()
            .contains("(1450 after vxlan"),
        "{tunnel:#}"
    );
}

#[test]
fn a_port_that_still_has_an_address_is_warned() {
    let ns = Netns::new("doc-port");
    ns.veth("v0", "v1");
    ns.ip_line("link add br0 type bridge");
    ns.ip_line("addr add 10.7.0.5/24 dev v0");
    ns.ip_line("link set v0 master br0");
    let doc = ns.l2x_line("-j doctor").json();
    let row = check(&doc, "port v0");
    assert_eq!(row["status"], "warn", "{row}");
    assert!(
        row["detail"].as_str().unwrap().contains("10.7.0.5/24"),
        "{row}"
    );
    assert!(
        row["hint"].as_str().unwrap().contains("--move-addresses"),
        "{row}"
    );
}

/// A host serving a segment: forwarding off is warned there; an input-hook chain that drops
/// by default is named with the `nft insert rule` lines that let DHCP, DNS and the tunnel in;
/// a DNS server handed out that does not answer is warned, the server's own one answers.
#[test]
fn a_serving_host_is_checked_for_forwarding_input_policy_and_dns() {
    let lab = Lab::new("docsrv");
    let ns = &lab.host;
    ns.veth("ul0", "ul1");
    ns.ip(&["addr", "add", "192.0.2.1/24", "dev", "ul0"]);
    ns.ip(&["link", "set", "ul0", "up"]);
    let vxlan = [
        "tunnel",
        "vxlan",
        "vx0",
        "--vni",
        "5",
        "--local",
        "192.0.2.1",
        "--remote",
        "192.0.2.2",
        "--bridge",
        "br0",
    ];
    ns.l2x(&vxlan).ok();
    lab.serve(&[]).ok();
    common::nft::nft_script(
        ns,
        "add table inet filter\n\
         add chain inet filter input { type filter hook input priority 0 ; policy drop ; }\n\
         add rule inet filter input ct state established,related accept",
    );
    let doc = ns.l2x(&["-j", "doctor"]).ok().json();
    assert_eq!(check(&doc, "ipv4 forwarding")["status"], "warn", "{doc:#}");
    let input = check(&doc, "input policy");
    assert_eq!(input["status"], "warn", "{input:#}");
    let detail = input["detail"].as_str().unwrap();
    assert!(
        detail.contains("table inet filter chain input drops"),
        "{input:#}"
    );
    assert!(detail.contains("DHCP (udp 67), DNS (udp 53), DNS (tcp 53), VXLAN (udp 4789)"));
    let hint = input["hint"].as_str().unwrap();
    for rule in [
        "udp dport 67",
        "udp dport 53",
        "tcp dport 53",
        "udp dport 4789",
    ] {
        let line = format!("nft insert rule inet filter input {rule} accept");
        assert!(hint.contains(&line), "{line}: {input:#}");
        // The line is one nft takes as it is.
        let words: Vec<&str> = line.split(' ').skip(1).collect();
        common::nft::nft(ns, &words);
    }
    let doc = ns.l2x(&["-j", "doctor"]).ok().json();
    assert_eq!(check(&doc, "dns 10.0.5.1")["status"], "ok", "{doc:#}");

    lab.stop().ok();
    lab.serve(&["--dns", "10.0.5.53"]).ok();
    let doc = ns.l2x(&["-j", "doctor"]).ok().json();
    let dns = check(&doc, "dns 10.0.5.53");
    assert_eq!(dns["status"], "warn", "{dns:#}");
    assert!(
        dns["detail"].as_str().unwrap().contains("does not answer"),
        "{dns:#}"
    );
}
