//! `l2x nat` in network namespaces, with nft itself as the oracle: the table l2x writes must be
//! the one the equivalent typed nft commands make, other tables must stay byte-for-byte the
//! same, and a container behind the router must reach a network that has no route back to it.

mod common;

use std::process::Command;

use common::Netns;
use common::nft::{l2x_table, nft, nft_script};
use serde_json::Value;

/// A namespace with IPv4 forwarding off. A new namespace copies the host's setting, which on
/// a machine running Docker is on.
fn router_ns(tag: &str) -> Netns {
    let ns = Netns::new(tag);
    sysctl(&ns, "net.ipv4.ip_forward=0");
    ns
}

fn sysctl(ns: &Netns, setting: &str) {
    let out = ns.exec("sysctl", &["-qw", setting]);
    assert!(out.status.success(), "sysctl {setting} failed: {out:?}");
}

fn masquerade_rules(ns: &Netns) -> usize {
    l2x_table(ns)
        .iter()
        .filter(|i| i.get("rule").is_some())
        .count()
}

fn forwarding(ns: &Netns) -> String {
    let out = ns.exec("cat", &["/proc/sys/net/ipv4/ip_forward"]);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// An interface named `name` in the namespace (one end of a veth pair, the other `name`p).
fn uplink(ns: &Netns, name: &str) {
    ns.veth(name, &format!("{name}p"));
}

#[test]
fn table_equals_the_one_typed_nft_commands_make() {
    let ours = router_ns("nat-eq");
    let typed = router_ns("nat-eqnft");
    uplink(&ours, "up0");
    ours.l2x(&["nat", "masq", "--source", "10.0.5.0/24"]).ok();
    ours.l2x(&["nat", "masq", "--source", "10.0.16.0/20", "--out", "up0"])
        .ok();
    ours.l2x(&["nat", "masq", "--source", "10.0.1.128/25"]).ok();
    nft_script(
        &typed,
        r#"
        add table ip l2x
        add chain ip l2x postrouting { type nat hook postrouting priority 100; }
        add rule ip l2x postrouting ip saddr 10.0.5.0/24 ip daddr != 10.0.5.0/24 masquerade
        add rule ip l2x postrouting ip saddr 10.0.16.0/20 ip daddr != 10.0.16.0/20 oifname up0 masquerade
        add rule ip l2x postrouting ip saddr 10.0.1.128/25 ip daddr != 10.0.1.128/25 masquerade
        "#,
    );
    let want = l2x_table(&typed);
    assert_eq!(want.len(), 5, "table, chain, three rules: {want:#?}");
    assert_eq!(l2x_table(&ours), want);
    // And the text nft prints, byte for byte.
    assert_eq!(
        nft(&ours, &["list", "ruleset"]),
        nft(&typed, &["list", "ruleset"])
    );
}

#[test]
fn rerun_changes_nothing() {
    let ns = router_ns("nat-rerun");
    let first = ns.l2x(&["nat", "masq", "--source", "10.0.5.0/24"]).ok();
    assert_eq!(
        first.stdout,
        "nat 10.0.5.0/24: masquerade added\nforwarding: enabled\n"
    );
    let before = nft(&ns, &["-a", "list", "ruleset"]);
    let again = ns.l2x(&["nat", "masq", "--source", "10.0.5.0/24"]).ok();
    assert_eq!(
        again.stdout,
        "nat 10.0.5.0/24: unchanged\nforwarding: unchanged (enabled)\n"
    );
    // Same handles: the table was not even rewritten.
    assert_eq!(nft(&ns, &["-a", "list", "ruleset"]), before);
    assert_eq!(masquerade_rules(&ns), 1);
}

#[test]
fn duplicates_and_drifted_chain_are_repaired() {
    let ns = router_ns("nat-repair");
    ns.l2x(&["nat", "masq", "--source", "10.0.5.0/24"]).ok();
    nft_script(
        &ns,
        "add rule ip l2x postrouting ip saddr 10.0.5.0/24 ip daddr != 10.0.5.0/24 masquerade",
    );
    assert_eq!(masquerade_rules(&ns), 2);
    let run = ns.l2x(&["nat", "masq", "--source", "10.0.5.0/24"]).ok();
    assert!(
        run.stdout
            .contains("nat 10.0.5.0/24: unchanged (table ip l2x repaired)"),
        "{run:?}"
    );
    assert_eq!(masquerade_rules(&ns), 1);
}

/// Four l2x at once, each adding its own rule: each reads the table, and the kernel refuses a
/// commit computed from a ruleset another one has changed since, so no rule is lost.
#[test]
fn concurrent_runs_lose_no_rule() {
    let ns = router_ns("nat-race");
    let sources: Vec<String> = (1..=4).map(|i| format!("10.0.{i}.0/24")).collect();
    let runs: Vec<_> = sources
        .iter()
        .map(|s| {
            Command::new(env!("CARGO_BIN_EXE_l2x"))
                .args(["-n", &ns.name, "nat", "masq", "--source", s])
                .spawn()
                .expect("spawn l2x")
        })
        .collect();
    for mut run in runs {
        assert!(run.wait().expect("wait for l2x").success());
    }
    let table = nft(&ns, &["list", "table", "ip", "l2x"]);
    for s in &sources {
        assert_eq!(
            table.matches(&format!("ip saddr {s} ")).count(),
            1,
            "{table}"
        );
    }
}

#[test]
fn del_removes_the_rule_then_the_table_and_leaves_forwarding() {
    let ns = router_ns("nat-del");
    uplink(&ns, "up0");
    ns.l2x(&["nat", "masq", "--source", "10.0.5.0/24"]).ok();
    ns.l2x(&["nat", "masq", "--source", "10.0.5.0/24", "--out", "up0"])
        .ok();
    assert_eq!(masquerade_rules(&ns), 2);

    let run = ns.l2x(&["nat", "del", "--source", "10.0.5.0/24"]).ok();
    assert_eq!(
        run.stdout,
        "nat 10.0.5.0/24: masquerade deleted\nforwarding: left enabled\n"
    );
    let left = l2x_table(&ns);
    let rules: Vec<&Value> = left.iter().filter_map(|i| i.get("rule")).collect();
    assert_eq!(rules.len(), 1, "{left:?}");
    assert!(
        rules[0].to_string().contains("\"up0\""),
        "the rule with --out up0 stays: {left:?}"
    );

    let run = ns
        .l2x(&["nat", "del", "--source", "10.0.5.0/24", "--out", "up0"])
        .ok();
    assert!(
        run.stdout.contains("table ip l2x: deleted (no rules left)"),
        "{run:?}"
    );
    assert!(l2x_table(&ns).is_empty());
    assert_eq!(forwarding(&ns), "1");
}

#[test]
fn other_tables_stay_byte_for_byte_the_same() {
    let ns = router_ns("nat-foreign");
    nft_script(
        &ns,
        r#"
        add table inet user
        add chain inet user input { type filter hook input priority 0; policy accept; }
        add rule inet user input tcp dport 22 counter accept
        add rule inet user input ip saddr 192.0.2.0/24 drop
        add table ip nat
        add chain ip nat POSTROUTING { type nat hook postrouting priority 100; }
        add rule ip nat POSTROUTING ip saddr 172.17.0.0/16 oifname != docker0 masquerade
        "#,
    );
    let before = nft(&ns, &["-a", "list", "ruleset"]);
    ns.l2x(&["nat", "masq", "--source", "10.0.5.0/24"]).ok();
    ns.l2x(&["nat", "masq", "--source", "10.0.6.0/24"]).ok();
    for table in [["inet", "user"], ["ip", "nat"]] {
        let args = ["-a", "list", "table", table[0], table[1]];
        let whole = nft(&ns, &args);
        assert!(before.contains(&whole), "{table:?} changed:\n{whole}");
    }
    ns.l2x(&["nat", "del", "--source", "10.0.5.0/24"]).ok();
    ns.l2x(&["nat", "del", "--source", "10.0.6.0/24"]).ok();
    assert_eq!(nft(&ns, &["-a", "list", "ruleset"]), before);
}

#[test]
fn a_forward_chain_that_drops_gets_a_warning() {
    let ns = router_ns("nat-docker");
    nft_script(
        &ns,
        r#"
        add table ip filter
        add chain ip filter FORWARD { type filter hook forward priority 0; policy drop; }
        add chain ip filter DOCKER-USER
        "#,
    );
    let run = ns.l2x(&["nat", "masq", "--source", "10.0.5.0/24"]).ok();
    assert!(
        run.stderr.starts_with(
            "warning: table ip filter chain FORWARD drops forwarded packets by default"
        ),
        "{run:?}"
    );
    assert!(
        run.stderr.contains(
            "hint: allow it with `nft insert rule ip filter DOCKER-USER ip saddr 10.0.5.0/24 accept`"
        ),
        "{run:?}"
    );
    assert!(run.stdout.contains("masquerade added"), "{run:?}");
}

#[test]
fn host_cidr_is_normalised_with_a_note() {
    let ns = router_ns("nat-host");
    let run = ns.l2x(&["nat", "masq", "--source", "10.0.5.1/24"]).ok();
    assert_eq!(
        run.stdout,
        "nat 10.0.5.0/24: masquerade added\n  10.0.5.1/24 has host bits set: using the network \
         10.0.5.0/24\nforwarding: enabled\n"
    );
    let table = nft(&ns, &["list", "table", "ip", "l2x"]);
    assert!(
        table.contains("ip saddr 10.0.5.0/24 ip daddr != 10.0.5.0/24 masquerade"),
        "{table}"
    );
}

#[test]
fn show_has_a_nat_section() {
    let ns = router_ns("nat-show");
    let empty = ns.l2x(&["-j", "show"]).ok().json();
    assert_eq!(empty["nat"]["rules"], serde_json::json!([]));
    // The table typed with nft, as l2x writes it; l2x reads it back as nft lists it.
    uplink(&ns, "up0");
    nft_script(
        &ns,
        "add table ip l2x
         add chain ip l2x postrouting { type nat hook postrouting priority 100; policy accept; }
         add rule ip l2x postrouting ip saddr 10.0.5.0/24 ip daddr != 10.0.5.0/24 masquerade
         add rule ip l2x postrouting ip saddr 10.0.16.0/20 ip daddr != 10.0.16.0/20 oifname \"up0\" masquerade",
    );
    let listed: Value =
        serde_json::from_str(&nft(&ns, &["-a", "-j", "list", "table", "ip", "l2x"])).unwrap();
    let handles: Vec<Value> = listed["nftables"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i.get("rule").map(|r| r["handle"].clone()))
        .collect();
    let all = ns.l2x(&["-j", "show"]).ok().json();
    assert_eq!(
        all["nat"]["rules"],
        serde_json::json!([
            {"source": "10.0.5.0/24", "out": null, "handle": handles[0]},
            {"source": "10.0.16.0/20", "out": "up0", "handle": handles[1]},
        ])
    );
    assert_eq!(
        all["nat"]["forwarding"].as_bool(),
        Some(forwarding(&ns) == "1")
    );
    assert_eq!(
        ns.l2x(&["-j", "nat", "show"]).ok().json()["nat"],
        all["nat"]
    );
    let text = ns.l2x(&["show"]).ok().stdout;
    assert!(
        text.contains("NAT\n") && text.contains("10.0.16.0/20"),
        "{text}"
    );
    // Deleting a rule that is not there is already done, and touches nothing.
    let before = l2x_table(&ns);
    let run = ns.l2x(&["nat", "del", "--source", "10.0.9.0/24"]).ok();
    assert_eq!(run.stdout, "nat 10.0.9.0/24: unchanged (no such rule)\n");
    assert_eq!(l2x_table(&ns), before);
}

/// Bad input: each is refused with its exit status and message, and leaves no table and
/// forwarding as it was.
#[test]
fn bad_input_is_refused_without_residue() {
    let ns = router_ns("nat-bad");
    let forwarding_before = forwarding(&ns);
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["nat", "masq", "--source", "2001:db8::/64"],
            2,
            "IPv6 masquerade is not supported yet",
        ),
        (
            &["nat", "del", "--source", "2001:db8::/64"],
            2,
            "not supported yet",
        ),
        (
            &["nat", "masq", "--source", "0.0.0.0/0"],
            2,
            "covers every address",
        ),
        (
            &["nat", "masq", "--source", "10.0.5.0"],
            2,
            "has no prefix length",
        ),
        (
            &["nat", "masq", "--source", "10.0.5.0/33"],
            2,
            "is not an address with prefix length",
        ),
        (&["nat", "masq"], 2, "--source"),
        (
            &["nat", "masq", "--source", "10.0.5.0/24", "--out", "a/b"],
            2,
            "cannot contain '/'",
        ),
        (
            &["nat", "masq", "--source", "10.0.5.0/24", "--out", "nosuch0"],
            1,
            "nat masq 10.0.5.0/24: no such interface nosuch0",
        ),
    ];
    for (args, code, needle) in cases {
        ns.l2x(args).fails(*code, needle);
        assert!(
            l2x_table(&ns).is_empty(),
            "{args:?} left table ip l2x behind"
        );
        assert_eq!(forwarding(&ns), forwarding_before, "{args:?}");
    }
}

/// When forwarding cannot be turned on (/proc/sys read-only, as in many containers), the rule
/// that was just added is taken away again. The read-only mount is made in a mount namespace
/// of the test's own.
#[test]
fn failing_to_turn_on_forwarding_leaves_no_rule() {
    let ns = router_ns("nat-ro");
    let script = format!(
        "mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys && \
         exec {} -n {} nat masq --source 10.0.5.0/24",
        env!("CARGO_BIN_EXE_l2x"),
        ns.name
    );
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "sh", "-c", &script]);
    let run = common::l2x_cmd(&mut cmd).fails(1, "cannot turn on IPv4 forwarding");
    assert!(run.stderr.contains("Read-only file system"), "{run:?}");
    assert!(l2x_table(&ns).is_empty());
    assert_eq!(forwarding(&ns), "0");
}

#[test]
fn a_table_l2x_with_foreign_rules_is_left_alone() {
    let ns = router_ns("nat-theirs");
    nft_script(
        &ns,
        r#"
        add table ip l2x
        add chain ip l2x postrouting { type nat hook postrouting priority 100; }
        add rule ip l2x postrouting ip saddr 10.9.0.0/16 counter masquerade
        "#,
    );
    let before = nft(&ns, &["-a", "list", "ruleset"]);
    let run = ns.l2x(&["nat", "masq", "--source", "10.0.5.0/24"]).fails(
        1,
        "table ip l2x holds what l2x did not write: rule handle 2",
    );
    assert!(
        run.stderr
            .contains("hint: see it with `nft -a list table ip l2x`")
    );
    ns.l2x(&["nat", "del", "--source", "10.9.0.0/16"])
        .fails(1, "did not write");
    assert_eq!(nft(&ns, &["-a", "list", "ruleset"]), before);
}

/// container --(bridge)-- router --(uplink)-- "internet", which has no route back to the
/// containers' network: only masquerade makes the replies find their way.
#[test]
fn a_container_behind_the_router_reaches_the_internet() {
    let router = router_ns("nat-r");
    let container = Netns::new("nat-c");
    let internet = Netns::new("nat-i");
    router.ip(&["link", "add", "rc0", "type", "veth", "peer", "name", "c0"]);
    router.ip(&["link", "set", "c0", "netns", &container.name]);
    router.ip(&["link", "add", "up0", "type", "veth", "peer", "name", "i0"]);
    router.ip(&["link", "set", "i0", "netns", &internet.name]);
    router
        .l2x(&["bridge", "add", "br0", "--addr", "10.0.5.1/24"])
        .ok();
    router.l2x(&["attach", "rc0", "br0"]).ok();
    router.ip(&["addr", "add", "203.0.113.1/24", "dev", "up0"]);
    router.ip(&["link", "set", "up0", "up"]);
    container.ip(&["addr", "add", "10.0.5.2/24", "dev", "c0"]);
    container.ip(&["link", "set", "c0", "up"]);
    container.ip(&["route", "add", "default", "via", "10.0.5.1"]);
    internet.ip(&["addr", "add", "203.0.113.2/24", "dev", "i0"]);
    internet.ip(&["link", "set", "i0", "up"]);
    // Count the echo requests arriving at the internet host, by source address.
    nft_script(
        &internet,
        r#"
        add table ip watch
        add chain ip watch input { type filter hook input priority 0; }
        add rule ip watch input icmp type echo-request ip saddr 203.0.113.1 counter
        add rule ip watch input icmp type echo-request ip saddr 10.0.5.0/24 counter
        "#,
    );
    let ping = || {
        container
            .exec("ping", &["-c", "1", "-W", "1", "203.0.113.2"])
            .status
            .success()
    };

    // Forwarding on but no masquerade: the request gets there, the reply has no way back.
    sysctl(&router, "net.ipv4.ip_forward=1");
    assert!(!ping(), "reached the internet without masquerade");
    assert_eq!(counters(&internet), [0, 1]);

    let run = router.l2x(&["nat", "masq", "--source", "10.0.5.0/24"]).ok();
    assert!(run.stdout.contains("masquerade added"), "{run:?}");
    assert!(ping(), "no answer from the internet with masquerade");
    // The internet saw the router's address, not the container's.
    assert_eq!(counters(&internet), [1, 1]);

    let again = router.l2x(&["nat", "masq", "--source", "10.0.5.0/24"]).ok();
    assert!(
        again.stdout.contains("nat 10.0.5.0/24: unchanged"),
        "{again:?}"
    );
    assert_eq!(masquerade_rules(&router), 1);
}

/// Packets counted by the internet host's two rules: from the router, from the containers.
fn counters(ns: &Netns) -> Vec<u64> {
    let all: Value =
        serde_json::from_str(&nft(ns, &["-j", "list", "table", "ip", "watch"])).expect("JSON");
    all["nftables"]
        .as_array()
        .expect("nftables array")
        .iter()
        .filter_map(|i| i.get("rule"))
        .map(|rule| {
            rule["expr"]
                .as_array()
                .and_then(|e| e.iter().find_map(|x| x["counter"]["packets"].as_u64()))
                .expect("counter")
        })
        .collect()
}
