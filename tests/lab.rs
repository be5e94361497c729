//! `l2x lab` on this machine's kernel: up with 2 and 3 hosts, re-run, status, down, and a
//! half-failed up cleaned away, under a lab prefix of this test's own (never the machine's
//! l2x-lab-* lab). One lab at a time, so everything runs in one test function; a guard takes
//! the lab down whatever happens.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::Value;

/// This test's lab: its namespaces are PREFIX-wan, PREFIX-host1, ...
fn prefix() -> String {
    format!("l2xt{}", std::process::id())
}

/// `l2x [-j] lab VERB ARGS... --prefix PREFIX`.
fn lab(global: &[&str], verb: &str, args: &[&str]) -> Run {
    let prefix = prefix();
    let mut all: Vec<&str> = global.to_vec();
    all.extend(["lab", verb]);
    all.extend(args);
    all.extend(["--prefix", &prefix]);
    l2x(&all)
}

fn ns(name: &str) -> String {
    format!("{}-{name}", prefix())
}

fn run_dir() -> String {
    format!("/run/l2x/lab-{}", prefix())
}

/// Runs `l2x lab down` when dropped, also when the test panics.
struct LabDown;

impl Drop for LabDown {
    fn drop(&mut self) {
        let _ = lab(&[], "down", &[]);
    }
}

fn lab_namespaces() -> Vec<String> {
    let start = format!("{}-", prefix());
    run_ok("ip", &["netns", "list"])
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| n.starts_with(&start))
        .map(str::to_string)
        .collect()
}

/// A process that is gone, or a zombie waiting for whoever inherited it to reap it.
fn gone(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            stat.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(true)
}

fn assert_nothing_left(dhcp_pid: &str) {
    assert_eq!(
        lab_namespaces(),
        Vec::<String>::new(),
        "lab namespaces left"
    );
    assert!(!Path::new(&run_dir()).exists(), "{} left", run_dir());
    assert!(
        gone(dhcp_pid),
        "the lab's DHCP server (pid {dhcp_pid}) still runs"
    );
}

/// Every container has a DHCP address, the MTU the tunnels allow, and reached every peer and
/// the internet host; checked against iproute2 inside each container.
fn assert_all_reached(doc: &Value, hosts: usize, mtu: u64) {
    assert_all_reached_in(doc, hosts, mtu, &prefix());
}

/// The same, for the lab whose namespaces start with `prefix`.
fn assert_all_reached_in(doc: &Value, hosts: usize, mtu: u64, prefix: &str) {
    let containers = doc["containers"].as_array().expect("containers");
    assert_eq!(containers.len(), hosts, "{doc:#}");
    assert_eq!(doc["failed"], 0, "{doc:#}");
    for c in containers {
        let address = c["address"].as_str().expect("a DHCP address");
        assert!(
            address.starts_with("10.0.5.1"),
            "{address} outside the range"
        );
        assert_eq!(c["mtu"], mtu, "{c:#}");
        assert_eq!(c["peers"].as_array().expect("peers").len(), hosts - 1);
        assert!(
            c["peers"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["ok"] == true)
        );
        assert_eq!(c["internet"]["ok"], true, "{c:#}");
        let ns = format!("{prefix}-{}", c["container"].as_str().unwrap());
        // The container resolves a peer by the name its lease carries, as dig finds too.
        let dns = &c["dns"];
        assert_eq!(dns["ok"], true, "{c:#}");
        let peer = containers
            .iter()
            .find(|p| p["container"] == dns["name"])
            .expect("the peer asked for");
        let peer_ip = peer["address"].as_str().unwrap().split('/').next().unwrap();
        assert_eq!(dns["address"], peer_ip, "{c:#}");
        let server = format!("@{}", dns["server"].as_str().unwrap());
        let name = dns["name"].as_str().unwrap();
        let dig = run_ok(
            "ip",
            &["netns", "exec", &ns, "dig", "+short", &server, name],
        );
        assert_eq!(dig.trim(), peer_ip, "dig {server} {name} in {ns}");
        let eth0 = &run_json(&["-n", &ns, "-j", "addr", "show", "dev", "eth0"])[0];
        assert_eq!(eth0["mtu"], mtu);
        let ip = address.split('/').next().unwrap();
        assert!(
            eth0["addr_info"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["local"] == ip)
        );
    }
}

fn run_json(args: &[&str]) -> Value {
    serde_json::from_str(&run_ok("ip", args)).expect("ip -j")
}

fn dhcp_pid(down: &Run) -> String {
    let line = down
        .stdout
        .lines()
        .find(|l| l.starts_with("dhcp br0: stopped (pid "))
        .unwrap_or_else(|| panic!("lab down stopped no DHCP server: {down:?}"));
    line.trim_end_matches(')')
        .rsplit(' ')
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn lab_up_status_down() {
    let _guard = LabDown;
    lab(&[], "down", &[]).ok();
    if !kernel_has("gretap") {
        lab(&[], "up", &["--tunnel", "gretap"]).fails(1, "modprobe ip_gre");
        assert_eq!(lab_namespaces(), Vec::<String>::new(), "nothing made");
    }

    let up = lab(&[], "up", &["--tunnel", "vxlan"]).ok();
    assert!(
        up.stdout.starts_with("tunnel: vxlan (asked for)\n"),
        "{up:?}"
    );
    assert!(up.stdout.contains("\nall pings ok"), "{up:?}");
    let header = up.stdout.lines().find(|l| l.contains("CONTAINER")).unwrap();
    assert!(
        header.contains(" INTERNET   DNS "),
        "the DNS column: {up:?}"
    );
    assert!(up.stdout.contains("ct2 ok"), "ct1 resolves ct2: {up:?}");
    let tunnel_step = format!("l2x -n {} tunnel vxlan to-host2 --vni 12", ns("host1"));
    assert!(up.stdout.contains(&tunnel_step), "{up:?}");

    // A re-run changes nothing and checks again.
    let again = lab(&["-j"], "up", &["--tunnel", "vxlan"]).ok();
    assert_all_reached(&again.json(), 2, 1450);
    let rerun = lab(&[], "up", &["--tunnel", "vxlan"]).ok();
    assert!(!rerun.stdout.contains(": created"), "{rerun:?}");

    let status = lab(&["-j"], "status", &[]).ok().json();
    assert_eq!(status["tunnel"], "vxlan");
    assert_eq!(status["hosts"], 2);
    assert_eq!(status["dhcp"]["running"], true);
    let names: Vec<&str> = status["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    let want: Vec<String> = ["wan", "host1", "host2", "ct1", "ct2"].map(ns).into();
    assert_eq!(names, want);

    let other = lab(&[], "up", &["--hosts", "3"]);
    other.fails(1, &format!("`l2x lab down --prefix {}`", prefix()));

    // A forward chain that drops on host 1 cuts the containers off the internet, and the
    // re-check says so with exit status 1. With br_netfilter passing bridged frames through
    // that hook, the containers lose each other too: what doctor warns about.
    let host1_ns = ns("host1");
    let host1 = ["netns", "exec", host1_ns.as_str()];
    run_ok("ip", &[&host1[..], &["nft", "add table ip block"]].concat());
    let drop = "add chain ip block forward { type filter hook forward priority 0; policy drop; }";
    run_ok("ip", &[&host1[..], &["nft", drop]].concat());
    let cut = lab(&["-j"], "up", &["--tunnel", "vxlan"]);
    assert_eq!(cut.code, 1, "{cut:?}");
    assert!(cut.stderr.contains("pings got no answer"), "{cut:?}");
    let bridged_filtered = Command::new("ip")
        .args(
            [
                &host1[..],
                &["cat", "/proc/sys/net/bridge/bridge-nf-call-iptables"],
            ]
            .concat(),
        )
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "1");
    for c in cut.json()["containers"].as_array().unwrap() {
        assert_eq!(c["internet"]["ok"], false, "{c:#}");
        assert_eq!(c["peers"][0]["ok"], !bridged_filtered, "{c:#}");
    }
    let doctor = l2x(&["-n", &host1_ns, "-j", "doctor"]).ok().json();
    let rows = doctor["checks"].as_array().unwrap();
    let row = |name: &str| rows.iter().find(|c| c["check"] == name).unwrap().clone();
    assert_eq!(row("forward policy")["status"], "warn");
    let br_netfilter = if bridged_filtered { "warn" } else { "ok" };
    assert_eq!(row("br_netfilter")["status"], br_netfilter);
    let down = lab(&[], "down", &[]).ok();
    assert_nothing_left(&dhcp_pid(&down));
    assert_eq!(
        lab(&[], "status", &[]).ok().stdout,
        "no lab (`l2x lab up` builds one)\n"
    );

    // Three hosts, on the tunnel this kernel offers first.
    let first = ["gretap", "l2tp", "vxlan"]
        .into_iter()
        .find(|k| kernel_has(k))
        .expect("a tunnel kind");
    let up = lab(&["-j"], "up", &["--hosts", "3"]).ok();
    let doc = up.json();
    assert_eq!(doc["tunnel"], first);
    let mtu = match first {
        "gretap" => 1462,
        "l2tp" => 1446,
        _ => 1450,
    };
    assert_all_reached(&doc, 3, mtu);
    let down = lab(&[], "down", &[]).ok();
    assert_nothing_left(&dhcp_pid(&down));

    // A lab that broke half-way is taken down all the same: host 2 has a br0 that is no bridge.
    let blocker = ns("host2");
    run_ok("ip", &["netns", "add", &blocker]);
    run_ok(
        "ip",
        &[
            "-n", &blocker, "link", "add", "br0", "type", "veth", "peer", "name", "x0",
        ],
    );
    let broken = lab(&[], "up", &["--tunnel", "vxlan"]);
    assert_eq!(broken.code, 1, "{broken:?}");
    assert!(
        broken.stderr.contains("br0 exists and is a veth"),
        "{broken:?}"
    );
    assert!(lab_namespaces().len() >= 3, "the half-built lab");
    lab(&[], "down", &[]).ok();
    assert_eq!(
        lab_namespaces(),
        Vec::<String>::new(),
        "lab namespaces left"
    );
    assert!(!Path::new(&run_dir()).exists(), "{} left", run_dir());
}

/// A file's lab: its own prefix, beside the other test's.
fn file_lab(global: &[&str], verb: &str, args: &[&str]) -> Run {
    let prefix = format!("l2xf{}", std::process::id());
    let mut all: Vec<&str> = global.to_vec();
    all.extend(["lab", verb]);
    all.extend(args);
    all.extend(["--prefix", &prefix]);
    l2x(&all)
}

struct FileLabDown;

impl Drop for FileLabDown {
    fn drop(&mut self) {
        let _ = file_lab(&[], "down", &[]);
    }
}

#[test]
fn lab_up_from_a_segment_file() {
    let _guard = FileLabDown;
    let dir = std::env::temp_dir().join(format!("l2xf{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("superbr0.toml");
    std::fs::write(
        &file,
        "segment = \"superbr0\"\n[router]\nhost = \"a\"\naddress = \"10.0.5.1/24\"\n\
         dhcp = \"10.0.5.100-10.0.5.199\"\nmasquerade = true\nout = \"eth0\"\ndns = true\n\
         [hosts.a]\nunderlay = \"198.51.100.1\"\n[hosts.b]\nunderlay = \"198.51.100.2\"\n\
         [hosts.c]\nunderlay = \"198.51.100.3\"\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let up = file_lab(&[], "up", &["--file", file]).ok();
    let prefix = format!("l2xf{}", std::process::id());
    for (i, h) in ["a", "b", "c"].iter().enumerate() {
        let step = format!("l2x -n {prefix}-host{} apply {file} --host {h}\n", i + 1);
        assert!(up.stdout.contains(&step), "{up:?}");
    }
    let again = file_lab(&["-j"], "up", &["--file", file]).ok();
    let doc = again.json();
    assert_eq!(doc["tunnel"], "vxlan");
    assert_all_reached_in(&doc, 3, 1450, &prefix);
    let hosts: Vec<&str> = doc["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["host"].as_str().unwrap())
        .collect();
    assert_eq!(hosts, ["a", "b", "c"]);
    assert!(!again.stdout.is_empty());
    let status = file_lab(&["-j"], "status", &[]).ok().json();
    assert_eq!(
        (
            status["hosts"].as_u64(),
            status["dhcp"]["running"].as_bool()
        ),
        (Some(3), Some(true))
    );
    let down = file_lab(&[], "down", &[]).ok();
    assert!(
        down.stdout.starts_with("dhcp superbr0: stopped (pid "),
        "{down:?}"
    );
    let left: Vec<String> = run_ok("ip", &["netns", "list"])
        .lines()
        .filter(|l| l.starts_with(&format!("{prefix}-")))
        .map(str::to_string)
        .collect();
    assert_eq!(left, Vec::<String>::new());
    for gone in [
        format!("/run/l2x/lab-{prefix}"),
        format!("/run/l2x/{prefix}-host1"),
        format!("/var/lib/l2x/{prefix}-host1"),
    ] {
        assert!(!Path::new(&gone).exists(), "{gone} left");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
