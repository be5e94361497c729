//! bridge add/del/show, attach/detach and show, checked with iproute2's JSON output.

mod common;

use common::*;
use serde_json::Value;

#[test]
fn bridge_add_creates_an_up_bridge_with_its_address() {
    let ns = Netns::new("br-add");
    let run = ns
        .l2x_line("bridge add br0 --addr 10.9.0.1/24 --addr fd00:9::1/64")
        .ok();
    assert_eq!(run.stdout, "bridge br0: created\n");
    let link = ns.link("br0");
    assert_eq!(link["linkinfo"]["info_kind"], "bridge");
    let flags = link["flags"].as_array().unwrap();
    assert!(flags.iter().any(|f| f == "UP"), "{link}");
    assert_eq!(ns.global_addresses("br0"), ["10.9.0.1/24", "fd00:9::1/64"]);
}

#[test]
fn bridge_add_sets_mtu_mac_and_stp() {
    let ns = Netns::new("br-opts");
    ns.l2x_line("bridge add br0 --mtu 9000 --mac 02:00:00:00:00:09 --stp")
        .ok();
    let link = ns.link("br0");
    assert_eq!(link["mtu"], 9000);
    assert_eq!(link["address"], "02:00:00:00:00:09");
    assert_eq!(link["linkinfo"]["info_data"]["stp_state"], 1);
}

#[test]
fn bridge_add_again_is_unchanged() {
    let ns = Netns::new("br-again");
    let args = [
        "bridge",
        "add",
        "br0",
        "--addr",
        "10.9.0.1/24",
        "--mtu",
        "1400",
    ];
    ns.l2x(&args).ok();
    let before = ns.snapshot();
    let run = ns.l2x(&args).ok();
    assert_eq!(run.stdout, "bridge br0: unchanged\n");
    assert_eq!(ns.snapshot(), before);
    assert!(
        ns.l2x_line("-q bridge add br0 --mtu 1400")
            .ok()
            .stdout
            .is_empty()
    );
}

#[test]
fn bridge_add_with_other_settings_fails_and_changes_nothing() {
    let ns = Netns::new("br-conflict");
    ns.l2x_line("bridge add br0 --addr 10.9.0.1/24").ok();
    let before = ns.snapshot();
    let before_addrs = ns.ip_json(&["addr", "show", "dev", "br0"]);
    let run = ns
        .l2x_line("bridge add br0 --addr 10.9.1.1/24 --mtu 9000 --stp")
        .fails(1, "other settings");
    for named in [
        "mtu 1500 (wanted 9000)",
        "stp off (wanted on)",
        "address 10.9.1.1/24 missing",
    ] {
        assert!(run.stderr.contains(named), "{named}: {run:?}");
    }
    assert_eq!(ns.snapshot(), before);
    assert_eq!(ns.ip_json(&["addr", "show", "dev", "br0"]), before_addrs);
}

#[test]
fn bridge_add_over_another_kind_fails() {
    let ns = Netns::new("br-kind");
    ns.veth("v0", "v1");
    ns.l2x_line("bridge add v0")
        .fails(1, "v0 exists and is a veth, not a bridge");
    assert_eq!(ns.link("v0")["linkinfo"]["info_kind"], "veth");
}

#[test]
fn bridge_with_a_refused_address_is_removed_again() {
    let ns = Netns::new("br-atomic");
    // With IPv6 off for new interfaces, the kernel refuses the bridge's IPv6 address: the
    // create's third step fails, and its own words (extended ACK) reach the user.
    let off = ns.exec("sysctl", &["-qw", "net.ipv6.conf.default.disable_ipv6=1"]);
    assert!(off.status.success(), "{off:?}");
    let run = ns
        .l2x_line("bridge add br0 --addr 10.9.0.1/24 --addr 2001:db8::1/64")
        .fails(1, "add address 2001:db8::1/64 to br0");
    assert!(run.stderr.contains("IPv6 is disabled"), "{run:?}");
    assert!(
        !ns.has_link("br0"),
        "half-made bridge left: {:?}",
        ns.link_names()
    );
}

#[test]
fn bridge_del_removes_the_bridge_and_keeps_its_ports() {
    let ns = Netns::new("br-del");
    ns.l2x_line("bridge add br0").ok();
    ns.veth("v0", "v1");
    ns.l2x_line("attach v0 br0").ok();
    let run = ns.l2x_line("bridge del br0").ok();
    assert_eq!(run.stdout, "bridge br0: deleted\n");
    assert!(!ns.has_link("br0"));
    assert!(ns.link("v0").get("master").is_none());
}

#[test]
fn attach_isolated_shows_in_bridge_link() {
    let ns = Netns::new("attach");
    ns.l2x_line("bridge add br0").ok();
    ns.veth("v0", "v1");
    let run = ns.l2x_line("attach v0 br0 --isolated").ok();
    assert_eq!(run.stdout, "port v0: attached to br0 (isolated)\n");
    let ports = ns.bridge_json(&["-d", "link", "show"]);
    let v0 = ports
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["ifname"] == "v0")
        .expect("v0 port");
    assert_eq!(v0["master"], "br0");
    assert_eq!(v0["isolated"], true);
    assert!(
        ns.link("v0")["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "UP")
    );
}

#[test]
fn attach_again_is_unchanged_and_a_conflict_fails() {
    let ns = Netns::new("attach-again");
    ns.l2x_line("bridge add br0").ok();
    ns.veth("v0", "v1");
    ns.l2x_line("attach v0 br0").ok();
    assert_eq!(
        ns.l2x_line("attach v0 br0").ok().stdout,
        "port v0: unchanged\n"
    );
    ns.l2x_line("attach v0 br0 --isolated")
        .fails(1, "isolated off (wanted on)");
    let ports = ns.bridge_json(&["-d", "link", "show"]);
    assert_eq!(ports[0]["isolated"], false);
    ns.l2x_line("bridge add br1").ok();
    ns.l2x_line("attach v0 br1")
        .fails(1, "already a port of br0");
    assert_eq!(ns.link("v0")["master"], "br0");
}

#[test]
fn attach_reports_the_bridge_mtu_it_lowered() {
    let ns = Netns::new("attach-mtu");
    ns.l2x_line("bridge add br0").ok();
    ns.veth("v0", "v1");
    ns.ip(&["link", "set", "v0", "mtu", "1400"]);
    ns.veth("w0", "w1");
    ns.l2x_line("attach w0 br0").ok();
    let run = ns.l2x_line("attach v0 br0").ok();
    assert!(
        run.stdout
            .contains("bridge br0 MTU lowered from 1500 to 1400"),
        "{run:?}"
    );
    assert_eq!(ns.link("br0")["mtu"], 1400);
}

#[test]
fn detach_releases_the_port() {
    let ns = Netns::new("detach");
    ns.l2x_line("bridge add br0").ok();
    ns.veth("v0", "v1");
    ns.l2x_line("attach v0 br0").ok();
    assert_eq!(
        ns.l2x_line("detach v0").ok().stdout,
        "port v0: detached from br0\n"
    );
    assert!(ns.link("v0").get("master").is_none());
    let again = ns.l2x_line("detach v0").ok();
    assert_eq!(again.stdout, "port v0: unchanged (not a bridge port)\n");
}

#[test]
fn show_lists_bridges_addresses_and_ports() {
    // Made with iproute2, read with l2x, compared with what iproute2 reads back.
    let ns = Netns::new("show");
    ns.ip_line("link add br0 type bridge");
    ns.ip_line("addr add 10.9.0.1/24 dev br0");
    ns.ip_line("link set br0 up");
    ns.ip_line("link add br1 mtu 1400 type bridge");
    ns.veth("v0", "v1");
    ns.ip_line("link set v0 master br0 up");
    run_ok(
        "bridge",
        &["-n", &ns.name, "link", "set", "dev", "v0", "isolated", "on"],
    );
    let doc = ns.l2x_line("-j bridge show").ok().json();
    let bridges = doc["bridges"].as_array().unwrap();
    assert_eq!(bridges.len(), 2);
    for b in bridges {
        let name = b["name"].as_str().unwrap();
        let ip = ns.link(name);
        assert_eq!(b["ifindex"], ip["ifindex"], "{name}");
        assert_eq!(b["mtu"], ip["mtu"], "{name}");
        assert_eq!(b["mac"], ip["address"], "{name}");
        assert_eq!(
            b["up"],
            ip["flags"].as_array().unwrap().iter().any(|f| f == "UP")
        );
        let addrs = ns.global_addresses(name);
        assert_eq!(b["addresses"], serde_json::json!(addrs), "{name}");
        let ports = ns.ip_json(&["-d", "link", "show", "master", name]);
        let want: Vec<(Value, Value)> = ports
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let isolated = p["linkinfo"]["info_slave_data"]["isolated"].clone();
                (p["ifname"].clone(), isolated)
            })
            .collect();
        let have: Vec<(Value, Value)> = b["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["name"].clone(), p["isolated"].clone()))
            .collect();
        assert_eq!(have, want, "{name}");
    }
    assert_eq!(bridges[0]["ports"][0]["isolated"], true);

    let one = ns.l2x_line("-j bridge show br1").ok().json();
    assert_eq!(one["bridges"].as_array().unwrap().len(), 1);
    assert_eq!(one["bridges"][0]["mtu"], 1400);
    // `show` has the same section (the bridges' operational state may move in between).
    let all = ns.l2x_line("-j show").ok().json();
    let without_state = |v: &Value| {
        let mut v = v.clone();
        for b in v.as_array_mut().unwrap() {
            b.as_object_mut().unwrap().remove("state");
        }
        v
    };
    assert_eq!(
        without_state(&all["bridges"]),
        without_state(&doc["bridges"])
    );
    let table = ns.l2x_line("show").ok().stdout;
    assert!(table.contains("br0") && table.contains("10.9.0.1/24") && table.contains("isolated"));
    ns.l2x_line("bridge show br9").fails(1, "no such bridge");
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let ns = Netns::new("pipe");
    ns.l2x_line("bridge add br0").ok();
    // The reader is gone before l2x writes a byte: `true` exits at once, l2x starts only a
    // moment later, so its write meets a closed pipe (EPIPE).
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "{{ sleep 0.3; {} -n {} show; }} | true; echo \"${{PIPESTATUS[0]}}\"",
            env!("CARGO_BIN_EXE_l2x"),
            ns.name
        ))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "0\n", "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn a_full_bridge_says_so() {
    let ns = Netns::new("br-full");
    ns.l2x_line("bridge add br0").ok();
    // 1023 ports, the kernel's limit (port number 0 is reserved), attached with one ip -batch.
    let mut batch = String::new();
    for i in 0..1024 {
        batch.push_str(&format!("link add p{i} type veth peer name q{i}\n"));
    }
    for i in 0..1023 {
        batch.push_str(&format!("link set p{i} master br0\n"));
    }
    let file = std::env::temp_dir().join(format!("l2x-br-full-{}", std::process::id()));
    std::fs::write(&file, batch).unwrap();
    ns.ip(&["-batch", file.to_str().unwrap()]);
    std::fs::remove_file(&file).ok();
    let run = ns
        .l2x_line("attach p1023 br0")
        .fails(1, "br0 has the most ports a Linux bridge can hold (1023)");
    assert!(
        run.stderr
            .contains("hint: attach the interface to another bridge"),
        "{run:?}"
    );
    assert!(ns.link("p1023").get("master").is_none());
}
