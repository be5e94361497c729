//! The host bridge: a namespace "host" whose eth0 carries its address and default route,
//! toward a "lan" namespace with the gateway and a dnsmasq DHCP server. attach refuses to
//! make eth0 a port while it carries them; --move-addresses moves them to br0 with at most one
//! ping lost; a container on br0 gets its lease from the LAN; detach --move-addresses puts
//! everything back as it was; a failure halfway leaves everything as it was.

mod common;

use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::Duration;

use common::*;
use serde_json::Value;

struct Lan {
    /// Kept for its lifetime: the namespace goes when the test ends.
    _lan: Netns,
    host: Netns,
    dnsmasq: Child,
}

impl Drop for Lan {
    fn drop(&mut self) {
        let _ = self.dnsmasq.kill();
        let _ = self.dnsmasq.wait();
    }
}

/// lan: bridge lan0 with the gateway 192.0.2.1/24 and dnsmasq handing out
/// 192.0.2.100-150; host: eth0 192.0.2.10/24 on it, default route via the gateway, br0.
fn lan(tag: &str) -> Lan {
    let lan = Netns::new(&format!("{tag}-lan"));
    let host = Netns::new(&format!("{tag}-host"));
    // No IPv6 duplicate address detection: an address is tentative for as long as its link
    // has no carrier (br0 without ports), so the state before and after would differ by that
    // flag and by the local routes the kernel adds once detection ends.
    let dad = host.exec(
        "sysctl",
        &[
            "-qw",
            "net.ipv6.conf.all.accept_dad=0",
            "net.ipv6.conf.default.accept_dad=0",
        ],
    );
    assert!(dad.status.success(), "{dad:?}");
    lan.ip_line("link add lan0 type bridge");
    lan.ip_line("addr add 192.0.2.1/24 dev lan0");
    lan.ip_line("link set lan0 up");
    lan.ip(&[
        "link", "add", "h0", "type", "veth", "peer", "name", "eth0", "netns", &host.name,
    ]);
    lan.ip_line("link set h0 master lan0 up");
    host.ip_line("addr add 192.0.2.10/24 dev eth0");
    host.ip_line("link set eth0 up");
    host.ip_line("route add default via 192.0.2.1 dev eth0 metric 100");
    host.ip_line("route add 198.51.100.0/24 via 192.0.2.1 dev eth0 proto static");
    host.l2x_line("bridge add br0").ok();
    let dir = std::env::temp_dir().join(&lan.name);
    std::fs::create_dir_all(&dir).unwrap();
    let leases = format!("--dhcp-leasefile={}/leases", dir.display());
    let dnsmasq = Command::new("ip")
        .args([
            "netns",
            "exec",
            &lan.name,
            "dnsmasq",
            "--keep-in-foreground",
        ])
        .args(["--conf-file=", "--pid-file=", "--port=0", "--no-resolv"])
        .args(["--interface=lan0", "--bind-interfaces"])
        .args(["--dhcp-range=192.0.2.100,192.0.2.150,1h", &leases])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("dnsmasq");
    Lan {
        _lan: lan,
        host,
        dnsmasq,
    }
}

/// What the host's IP configuration is, as iproute2 lists it: every interface's MAC and
/// addresses, and every route. (A bridge's carrier and operational state are left out: the
/// kernel sets them by itself, and one that had a port once reads "no carrier" after.)
fn ip_state(ns: &Netns) -> (Value, Value) {
    let addrs: Vec<Value> = ns
        .ip_json(&["addr", "show"])
        .as_array()
        .expect("interfaces")
        .iter()
        .map(|l| serde_json::json!([l["ifname"], l["address"], l["addr_info"]]))
        .collect();
    (
        Value::Array(addrs),
        ns.ip_json(&["route", "show", "table", "all"]),
    )
}

/// The host's IP configuration once it has settled: IPv6 duplicate address detection done on
/// a new interface's addresses, a bridge without ports down, two readings 1.5 s apart alike.
fn settled(ns: &Netns) -> (Value, Value) {
    let mut last = ip_state(ns);
    loop {
        sleep(Duration::from_millis(1500));
        let now = ip_state(ns);
        if now == last {
            return now;
        }
        last = now;
    }
}

/// The host's IP configuration is `want` again, once the kernel has passed a bridge's carrier
/// change on (it does so up to a second after the bridge's last port left).
fn settles_to(ns: &Netns, want: &(Value, Value)) {
    let mut now = ip_state(ns);
    for _ in 0..30 {
        if now == *want {
            return;
        }
        sleep(Duration::from_millis(100));
        now = ip_state(ns);
    }
    panic!("{}", differences(&now, want));
}

/// The lines of the pretty JSON that differ, for a readable failure.
fn differences(now: &(Value, Value), want: &(Value, Value)) -> String {
    let lines = |v: &(Value, Value)| -> Vec<String> {
        let text = serde_json::to_string_pretty(&serde_json::json!([v.0, v.1])).unwrap();
        text.lines().map(str::to_string).collect()
    };
    let (now, want) = (lines(now), lines(want));
    let gone: Vec<&String> = want.iter().filter(|l| !now.contains(l)).collect();
    let new: Vec<&String> = now.iter().filter(|l| !want.contains(l)).collect();
    format!("not as it was; gone: {gone:#?}; new: {new:#?}")
}

#[test]
fn the_host_bridge_moves_everything_and_back() {
    let l = lan("hb");
    let host = &l.host;
    let before = settled(host);
    let eth0_mac = host.link("eth0")["address"].clone();

    // Refused, naming what eth0 carries, with nothing changed.
    let refused = host.l2x_line("attach eth0 br0");
    let refused = refused.fails(1, "eth0 carries addresses 192.0.2.10/24");
    assert!(
        refused.stderr.contains("default via 192.0.2.1"),
        "{refused:?}"
    );
    assert!(refused.stderr.contains("--move-addresses"), "{refused:?}");
    assert_eq!(ip_state(host), before);

    // Moved while the host pings its gateway every 50 ms.
    let ping = Command::new("ip")
        .args([
            "netns",
            "exec",
            &host.name,
            "ping",
            "-i",
            "0.05",
            "-c",
            "60",
            "192.0.2.1",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("ping");
    sleep(Duration::from_millis(1000));
    let moved = host.l2x_line("attach eth0 br0 --move-addresses").ok();
    assert!(
        moved.stdout.starts_with("port eth0: attached to br0\n"),
        "{moved:?}"
    );
    let out = ping.wait_with_output().expect("ping ends");
    let summary = String::from_utf8_lossy(&out.stdout);
    let received: u32 = summary
        .lines()
        .find(|l| l.contains("received"))
        .and_then(|l| l.split(", ").nth(1))
        .and_then(|p| p.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("ping summary");
    assert!(received >= 59, "more than one ping lost: {summary}");

    // br0 has eth0's MAC, address and routes; eth0 is a port with no address left.
    let br0 = host.link("br0");
    assert_eq!(br0["address"], eth0_mac);
    assert_eq!(host.link("eth0")["master"], "br0");
    assert_eq!(host.global_addresses("br0"), ["192.0.2.10/24"]);
    assert!(host.global_addresses("eth0").is_empty());
    let routes = host.ip_json(&["route", "show"]);
    let default = routes
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["dst"] == "default")
        .expect("a default route");
    assert_eq!(
        (default["dev"].as_str(), default["gateway"].as_str()),
        (Some("br0"), Some("192.0.2.1"))
    );
    assert_eq!(default["metric"], 100);
    let stat = routes
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["dst"] == "198.51.100.0/24")
        .unwrap();
    assert_eq!(
        (stat["dev"].as_str(), stat["protocol"].as_str()),
        (Some("br0"), Some("static"))
    );
    assert!(
        host.exec("ping", &["-c", "1", "-W", "2", "192.0.2.1"])
            .status
            .success()
    );

    // A container on br0 gets its address from the LAN's DHCP server.
    let ct = Netns::new("hb-ct");
    host.ip(&[
        "link", "add", "ct0", "type", "veth", "peer", "name", "eth0", "netns", &ct.name,
    ]);
    host.l2x_line("attach ct0 br0").ok();
    ct.ip_line("link set eth0 up");
    // In the foreground (-f), once (-q), giving up after 5 tries a second apart.
    let lease = ct.exec(
        "timeout",
        &[
            "30",
            "busybox",
            "udhcpc",
            "-i",
            "eth0",
            "-f",
            "-q",
            "-n",
            "-t",
            "5",
            "-T",
            "1",
            "-s",
            "/bin/true",
        ],
    );
    let said = String::from_utf8_lossy(&lease.stdout).to_string()
        + &String::from_utf8_lossy(&lease.stderr);
    assert!(said.contains("lease of 192.0.2.1"), "{said}");
    // Its veth pair goes with its namespace.
    drop(ct);

    // Back as it was: every address and route, and br0's own MAC.
    let back = host.l2x_line("detach eth0 --move-addresses").ok();
    assert!(
        back.stdout.starts_with("port eth0: detached from br0"),
        "{back:?}"
    );
    assert_eq!(ip_state(host), before);
}

#[test]
fn a_failure_halfway_leaves_everything_as_it_was() {
    let l = lan("hbfail");
    let host = &l.host;
    // br0 cannot take eth0's IPv6 route (IPv6 is off on br0): the move fails after the MAC,
    // the address, the port and the IPv4 routes have changed, and all of that is undone.
    host.ip_line("-6 route add 2001:db8:9::/48 via fe80::1 dev eth0");
    let off = host.exec("sysctl", &["-qw", "net.ipv6.conf.br0.disable_ipv6=1"]);
    assert!(off.status.success(), "{off:?}");
    let before = settled(host);
    host.l2x_line("attach eth0 br0 --move-addresses")
        .fails(1, "add route 2001:db8:9::/48 via fe80::1");
    settles_to(host, &before);
    assert!(host.link("eth0").get("master").is_none(), "eth0 is no port");
    assert!(
        host.exec("ping", &["-c", "1", "-W", "2", "192.0.2.1"])
            .status
            .success()
    );
}
