//! What every changing command shares through the engine: --dry-run sends nothing that
//! changes anything (the kernel's state, read with iproute2 and nft, stays byte for byte the
//! same), -j prints the changes as one JSON document, the request counts of the commands run
//! most, concurrent runs of one command, and DHCP servers found by their runtime records.

mod common;

use std::process::{Command, Stdio};
use std::thread;

use common::segment::Segment;
use common::*;
use serde_json::Value;

/// Everything `ip`, `bridge` and `nft` can say about a namespace, once it has settled: the
/// kernel passes a new bridge's operational state on (UNKNOWN, then UP) up to a second after
/// its first port came up.
fn settled(ns: &Netns) -> String {
    let mut last = everything(ns);
    for _ in 0..10 {
        thread::sleep(std::time::Duration::from_millis(1500));
        let now = everything(ns);
        if now == last {
            return now;
        }
        last = now;
    }
    panic!("{} never settled", ns.name);
}

fn everything(ns: &Netns) -> String {
    let nft = ns.exec("nft", &["-j", "list", "ruleset"]);
    assert!(nft.status.success(), "{nft:?}");
    format!(
        "{}\n{}\n{}\n{}\n{}",
        ns.snapshot(),
        ns.ip_json(&["addr", "show"]),
        ns.bridge_json(&["fdb", "show"]),
        ns.bridge_json(&["-d", "link", "show"]),
        String::from_utf8_lossy(&nft.stdout)
    )
}

#[test]
fn dry_run_changes_nothing_and_says_what_it_would() {
    let seg = Segment::new("dry", 2);
    let (h1, h2) = (seg.host(1), seg.host(2));
    h1.ns.veth("v0", "v1");
    let before = settled(&h1.ns);
    let cases = [
        (
            format!(
                "tunnel vxlan vx0 --vni 42 --local {} --remote {} --bridge br0 --isolated",
                h1.underlay, h2.underlay
            ),
            "tunnel vx0: create (vxlan, mtu 1450)\nport vx0: attach to br0 (isolated)\n",
        ),
        (
            "bridge add br1 --addr 10.0.9.1/24".to_string(),
            "bridge br1: create\n",
        ),
        ("attach v0 br0".to_string(), "port v0: attach to br0\n"),
        (
            "nat masq --source 10.0.5.0/24".to_string(),
            "nat 10.0.5.0/24: add masquerade\nforwarding: enable\n",
        ),
        ("bridge del br0".to_string(), "bridge br0: delete\n"),
    ];
    for (line, plan) in &cases {
        let run = h1.ns.l2x_line(&format!("{line} --dry-run")).ok();
        assert_eq!(
            run.stdout,
            format!("{plan}dry run: nothing was changed\n"),
            "{line}"
        );
        assert!(
            everything(&h1.ns) == before,
            "{line} --dry-run changed something"
        );
    }
    // With -j the plan is the document, marked as a dry run.
    let doc = h1.ns.l2x_line("-j bridge add br1 --dry-run").ok().json();
    assert_eq!(doc["dry_run"], true);
    assert_eq!(doc["changes"][0]["action"], "create");
    assert!(everything(&h1.ns) == before);
}

#[test]
fn changes_print_as_one_json_document() {
    let seg = Segment::new("json", 2);
    let (h1, h2) = (seg.host(1), seg.host(2));
    let line = format!(
        "-j tunnel vxlan vx0 --vni 42 --local {} --remote {} --bridge br0",
        h1.underlay, h2.underlay
    );
    let run = h1.ns.l2x_line(&line).ok();
    // The document python's own parser accepts, as a script reading it would.
    let mut check = Command::new("python3")
        .args(["-m", "json.tool"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("python3");
    use std::io::Write;
    check
        .stdin
        .take()
        .unwrap()
        .write_all(run.stdout.as_bytes())
        .unwrap();
    assert!(check.wait().unwrap().success(), "{run:?}");
    let changes = run.json()["changes"].as_array().unwrap().clone();
    let summary: Vec<(Value, Value, Value)> = changes
        .iter()
        .map(|c| (c["object"].clone(), c["name"].clone(), c["action"].clone()))
        .collect();
    assert_eq!(
        summary,
        [
            ("tunnel".into(), "vx0".into(), "create".into()),
            ("port".into(), "vx0".into(), "attach".into()),
            ("bridge".into(), "br0".into(), "note".into()),
            ("bridge".into(), "br0".into(), "note".into()),
        ]
    );
    // c1, the container's port, was there at 1500 before the tunnel lowered the bridge.
    assert!(
        changes[3]["detail"].as_str().unwrap().contains("c1 (1500)"),
        "{changes:?}"
    );
    assert_eq!(changes[0]["detail"], "vxlan, mtu 1450");
    // What the document says happened did: iproute2 sees it.
    assert_eq!(h1.ns.link("vx0")["master"], "br0");
    let again = h1.ns.l2x_line(&line).ok().json();
    assert_eq!(again["changes"][0]["action"], "unchanged");
}

/// The netlink requests a command sends, as -v lists them.
fn requests(run: &Run) -> Vec<String> {
    run.stderr
        .lines()
        .filter_map(|l| l.strip_prefix("l2x: netlink: "))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_commonest_commands_send_few_requests() {
    let seg = Segment::new("count", 2);
    let (h1, h2) = (seg.host(1), seg.host(2));
    let bridge = h1.ns.l2x_line("-v bridge add br9 --addr 10.0.9.1/24").ok();
    let sent = requests(&bridge);
    assert!(sent.len() <= 3, "{sent:#?}");
    assert_eq!(
        h1.ns.ip_json(&["addr", "show", "dev", "br9"])[0]["addr_info"][0]["local"],
        "10.0.9.1"
    );
    let line = format!(
        "-v tunnel vxlan vx0 --vni 42 --local {} --remote {} --bridge br9",
        h1.underlay, h2.underlay
    );
    let tunnel = h1.ns.l2x_line(&line).ok();
    let sent = requests(&tunnel);
    assert!(sent.len() <= 5, "{sent:#?}");
    let vx0 = h1.ns.link("vx0");
    assert_eq!(
        (vx0["mtu"].as_u64(), vx0["master"].as_str()),
        (Some(1450), Some("br9"))
    );
    assert!(
        vx0["flags"].as_array().unwrap().iter().any(|f| f == "UP"),
        "{vx0}"
    );
    // `bridge show NAME` and `tunnel show NAME` look one link up, not every link.
    for show in ["-v bridge show br9", "-v tunnel show vx0"] {
        let run = h1.ns.l2x_line(show).ok();
        assert!(
            !requests(&run).iter().any(|r| r.starts_with("list links")),
            "{show}: {run:?}"
        );
    }
}

#[test]
fn identical_commands_at_once_make_one_object() {
    let seg = Segment::new("race", 2);
    let (h1, h2) = (seg.host(1), seg.host(2));
    let lines = [
        format!(
            "tunnel vxlan vx0 --vni 42 --local {} --remote {} --bridge br0 --isolated",
            h1.underlay, h2.underlay
        ),
        "bridge add br1 --addr 10.0.9.1/24 --mtu 1400".to_string(),
    ];
    for line in &lines {
        let runs: Vec<Run> = thread::scope(|s| {
            let handles: Vec<_> = (0..4).map(|_| s.spawn(|| h1.ns.l2x_line(line))).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let firsts: Vec<&str> = runs
            .iter()
            .map(|r| {
                assert_eq!(r.code, 0, "{line}: {r:?}");
                r.stdout.lines().next().unwrap_or_default()
            })
            .collect();
        let created = firsts
            .iter()
            .filter(|l| l.ends_with("created") || l.contains("created ("))
            .count();
        let unchanged = firsts.iter().filter(|l| l.ends_with("unchanged")).count();
        assert_eq!((created, unchanged), (1, 3), "{line}: {firsts:?}");
    }
    let ports = h1.ns.bridge_json(&["-d", "link", "show", "dev", "vx0"]);
    assert_eq!(ports[0]["isolated"], true);
    let remotes = h1.ns.bridge_json(&["fdb", "show", "dev", "vx0"]);
    let flood = remotes
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["mac"] == "00:00:00:00:00:00")
        .count();
    assert_eq!(flood, 1, "{remotes}");
    assert_eq!(h1.ns.link("br1")["mtu"], 1400);
}

#[test]
fn dhcp_servers_are_found_by_their_records() {
    let a = Netns::new("rec-a");
    let b = Netns::new("rec-b");
    let dir = tempdir("rec");
    for ns in [&a, &b] {
        ns.l2x_line("bridge add br0 --addr 10.0.5.1/24").ok();
    }
    let leases = format!("{dir}/elsewhere.leases");
    let pid = format!("{dir}/elsewhere.pid");
    a.l2x(&[
        "dhcp",
        "serve",
        "br0",
        "--range",
        "10.0.5.100-10.0.5.110",
        "--daemon",
        "--lease-file",
        &leases,
        "--pid-file",
        &pid,
    ])
    .ok();
    // Found without being told the paths again.
    let found = a.l2x_line("-j dhcp leases br0").ok().json();
    assert_eq!(found["leases"], serde_json::json!([]));
    let doctor = a.l2x_line("-j doctor").json();
    let dhcp: Vec<&Value> = doctor["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["check"].as_str().unwrap().starts_with("dhcp"))
        .collect();
    assert_eq!(dhcp.len(), 1, "{doctor:#}");
    assert_eq!(dhcp[0]["status"], "ok");
    assert!(
        dhcp[0]["detail"].as_str().unwrap().contains(&leases),
        "{dhcp:?}"
    );
    let show = a.l2x_line("-j show").ok().json();
    assert_eq!(show["dhcp"][0]["bridge"], "br0");
    // Another namespace's doctor and show know nothing of it.
    let other = b.l2x_line("-j doctor").json();
    let none = other["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "dhcp")
        .expect("a dhcp row");
    assert_eq!(none["detail"], "no servers in this namespace");
    assert_eq!(
        b.l2x_line("-j show").ok().json()["dhcp"],
        serde_json::json!([])
    );
    // And stop finds the pid file.
    let stop = a.l2x_line("dhcp stop br0").ok();
    assert!(
        stop.stdout.starts_with("dhcp br0: stopped (pid "),
        "{stop:?}"
    );
    assert!(!std::path::Path::new(&pid).exists());
}

/// A directory of this test's own under /tmp.
fn tempdir(tag: &str) -> String {
    let dir = format!("/tmp/l2x-t{}-{tag}", std::process::id());
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
