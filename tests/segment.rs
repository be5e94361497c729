//! Segment files on this kernel (VXLAN): hosts in namespaces on one underlay apply one file;
//! containers attached by "their manager" get leases from the router host and ping across
//! with full-size frames. Checked with iproute2, bridge, nft and busybox udhcpc.

mod common;

use std::collections::BTreeMap;

use common::site::{Site, Snapshot, assert_unchanged};
use common::*;

/// The hosts of the 4-host segment: name, underlay.
const HOSTS: [(&str, &str); 4] = [
    ("a", "192.0.2.1"),
    ("b", "192.0.2.2"),
    ("c", "192.0.2.3"),
    ("d", "192.0.2.4"),
];

/// A segment file: segment `name`, router a with DHCP and masquerade, the given hosts, and
/// `extra` lines at the top.
fn file_text(name: &str, extra: &str, hosts: &[(&str, &str)], leases: &str) -> String {
    let mut text = format!(
        "segment = \"{name}\"\n{extra}\n[router]\nhost = \"a\"\naddress = \"10.0.5.1/24\"\n\
         dhcp = \"10.0.5.100-10.0.5.199\"\nmasquerade = true\nout = \"eth0\"\n\
         lease_file = \"{leases}\"\n"
    );
    for (h, ip) in hosts {
        text.push_str(&format!("\n[hosts.{h}]\nunderlay = \"{ip}\"\n"));
    }
    text
}

/// Every container pings every other with full-size frames, DF set.
fn all_ping(site: &Site) {
    let everyone = site.addresses();
    for h in &site.hosts {
        for c in &h.containers {
            for (peer_host, ip) in &everyone {
                if Some(ip.as_str()) == c.address().as_deref() {
                    continue;
                }
                assert!(
                    c.pings_full_size(ip),
                    "a container on {} cannot reach {ip} on {peer_host} with {}-byte frames",
                    h.name,
                    c.mtu()
                );
            }
        }
    }
}

/// The requests a run sent that change something, as -v lists them.
fn changing_requests(run: &Run) -> Vec<String> {
    run.stderr
        .lines()
        .filter(|l| l.starts_with("l2x: netlink: ") && l.contains(", change"))
        .map(str::to_string)
        .collect()
}

/// The segment's VXLAN device on `host`: its MTU, and its remotes as `bridge fdb` lists them.
fn vxlan_of(site: &Site, host: &str, seg: &str) -> (u64, Vec<String>) {
    let h = site.host(host);
    let dev = format!("{seg}-vx");
    let link = h.link(&dev).unwrap_or_else(|| panic!("no {dev} on {host}"));
    assert_eq!(link["master"], seg, "{host}: {link}");
    assert_eq!(
        link["linkinfo"]["info_slave_data"]["isolated"], true,
        "{host}: {link}"
    );
    assert_eq!(
        h.links_of_kind("vxlan"),
        std::slice::from_ref(&dev),
        "{host}: exactly one tunnel"
    );
    (link["mtu"].as_u64().unwrap(), h.remotes(&dev))
}

#[test]
fn four_hosts_converge_from_one_file() {
    let mut site = Site::new("conv");
    for (h, ip) in HOSTS {
        site.add_host(h, ip);
    }
    let before: BTreeMap<String, Snapshot> = site
        .hosts
        .iter()
        .map(|h| (h.name.clone(), h.snapshot()))
        .collect();
    let leases = site.path("leases");
    let v1 = site.file("v1.toml", &file_text("conv", "", &HOSTS, &leases));

    let a = site.apply("a", &v1, &[]).ok();
    assert!(a.stdout.starts_with("bridge conv: created\n"), "{a:?}");
    assert!(
        a.stdout
            .contains("tunnel conv-vx: created (vxlan, mtu 1450)\n"),
        "{a:?}"
    );
    assert!(
        a.stdout
            .contains("nat 10.0.5.0/24 out eth0: masquerade added"),
        "{a:?}"
    );
    assert!(
        a.stdout
            .contains("dhcp conv: started (serving 10.0.5.100-10.0.5.199"),
        "{a:?}"
    );
    assert!(
        a.stdout
            .ends_with("segment conv: applied on host a (6 changes)\n"),
        "{a:?}"
    );
    for (h, _) in &HOSTS[1..] {
        let run = site.apply(h, &v1, &[]).ok();
        assert!(
            run.stdout
                .ends_with(&format!("segment conv: applied on host {h} (3 changes)\n")),
            "{run:?}"
        );
    }
    // The bridge is the segment's: marked, at the tunnels' MTU, the address on a only.
    let br = site.host("a").link("conv").unwrap();
    assert_eq!(
        (br["mtu"].as_u64(), br["ifalias"].as_str()),
        (Some(1450), Some("l2x:conv"))
    );
    for (h, _) in HOSTS {
        let (mtu, remotes) = vxlan_of(&site, h, "conv");
        let others: Vec<String> = HOSTS
            .iter()
            .filter(|(o, _)| *o != h)
            .map(|(_, ip)| ip.to_string())
            .collect();
        assert_eq!((mtu, remotes), (1450, others), "{h}");
    }

    // Containers, attached by their manager; every one gets a lease from a and reaches the
    // others with full-size frames.
    for (i, (h, _)) in HOSTS.iter().enumerate() {
        let c = site.add_container(h, "conv", &format!("02:00:00:00:01:{i:02x}"));
        let got = site
            .lease(h, c)
            .unwrap_or_else(|| panic!("no lease on {h}"));
        assert!(got.starts_with("10.0.5.1"), "{h}: {got}");
        assert_eq!(
            site.host(h).containers[c].mtu(),
            1450,
            "{h}: the MTU by DHCP"
        );
    }
    all_ping(&site);

    // Re-applying changes nothing: not one request that changes anything is sent, and the
    // containers' ports stay on the bridge.
    for (h, _) in HOSTS {
        let again = site.apply(h, &v1, &["-v"]).ok();
        assert_eq!(again.stdout, "segment conv: unchanged\n", "{h}");
        assert_eq!(changing_requests(&again), Vec::<String>::new(), "{h}");
        let port = &site.host(h).containers[0].port;
        assert_eq!(site.host(h).ns.link(port)["master"], "conv", "{h}: {port}");
    }

    // Host d leaves: its own `down` leaves its namespace as it was before the first apply.
    site.remove_containers("d");
    let gone = site.down("d", &v1, &[]).ok();
    assert!(gone.stdout.contains("tunnel conv-vx: deleted"), "{gone:?}");
    assert_unchanged(&site.host("d").snapshot(), &before["d"], "d after down");
    site.remove_host("d");
    // Host e joins, and the MTU changes: the file says so, and every host applies it.
    site.add_host("e", "192.0.2.5");
    let before_e = site.host("e").snapshot();
    let v2_hosts = [HOSTS[0], HOSTS[1], HOSTS[2], ("e", "192.0.2.5")];
    let v2 = site.file(
        "v2.toml",
        &file_text("conv", "mtu = 1400", &v2_hosts, &leases),
    );
    let a = site.apply("a", &v2, &[]).ok();
    let tunnel = a
        .stdout
        .lines()
        .find(|l| l.starts_with("tunnel conv-vx: changed ("))
        .unwrap_or_else(|| panic!("{a:?}"));
    for said in [
        "mtu 1450 (wanted 1400)",
        "remote 192.0.2.5 missing",
        "remote 192.0.2.4 not asked for",
    ] {
        assert!(tunnel.contains(said), "{tunnel}");
    }
    assert!(
        a.stdout
            .contains("bridge conv: changed (mtu 1450 (wanted 1400))"),
        "{a:?}"
    );
    assert!(
        a.stdout.contains("dhcp conv: restarted"),
        "the new MTU is handed out: {a:?}"
    );
    for h in ["b", "c", "e"] {
        site.apply(h, &v2, &[]).ok();
    }
    for (h, _) in v2_hosts {
        let others: Vec<String> = v2_hosts
            .iter()
            .filter(|(o, _)| *o != h)
            .map(|(_, ip)| ip.to_string())
            .collect();
        assert_eq!(vxlan_of(&site, h, "conv"), (1400, others), "{h}");
        let br = site.host(h).link("conv").unwrap();
        assert_eq!(br["mtu"], 1400, "{h}");
    }
    // The containers renew: same addresses, the new MTU; e's new container joins.
    let addresses = site.addresses();
    for h in ["a", "b", "c"] {
        let again = site.lease(h, 0).unwrap();
        assert!(
            addresses.contains(&(h.to_string(), again.clone())),
            "{h}: {again}"
        );
        assert_eq!(site.host(h).containers[0].mtu(), 1400, "{h}");
    }
    let c = site.add_container("e", "conv", "02:00:00:00:01:10");
    site.lease("e", c).expect("a lease on e");
    all_ping(&site);
    for (h, _) in v2_hosts {
        assert_eq!(
            site.apply(h, &v2, &[]).ok().stdout,
            "segment conv: unchanged\n"
        );
    }

    // Down everywhere: each namespace is as it was before the first apply.
    for (h, _) in v2_hosts {
        site.remove_containers(h);
        let down = site.down(h, &v2, &[]).ok();
        assert!(
            down.stdout.contains("bridge conv: deleted"),
            "{h}: {down:?}"
        );
        let was = before.get(h).unwrap_or(&before_e);
        assert_unchanged(&site.host(h).snapshot(), was, &format!("{h} after down"));
    }
}

/// Two hosts, a the router: the smaller segment most tests start from.
fn two_hosts(tag: &str) -> Site {
    let mut site = Site::new(tag);
    site.add_host("a", "192.0.2.1");
    site.add_host("b", "192.0.2.2");
    site
}

#[test]
fn a_reboot_brings_the_segment_back_and_clients_keep_their_addresses() {
    let mut site = two_hosts("boot");
    let leases = site.path("leases");
    let file = site.file("s.toml", &file_text("boot", "", &HOSTS[..2], &leases));
    for h in ["a", "b"] {
        site.apply(h, &file, &[]).ok();
    }
    let macs = ["02:00:00:00:02:01", "02:00:00:00:02:02"];
    for (h, mac) in ["a", "b"].iter().zip(macs) {
        let c = site.add_container(h, "boot", mac);
        site.lease(h, c).expect("a lease");
    }
    let before = site.addresses();
    all_ping(&site);

    // The machines go down: everything in them (the DHCP server too) and every container;
    // the lease file, on disk, stays. They come back with just their uplinks.
    site.remove_host("a");
    site.remove_host("b");
    site.add_host("a", "192.0.2.1");
    site.add_host("b", "192.0.2.2");
    for h in ["a", "b"] {
        let run = site.apply(h, &file, &[]).ok();
        assert!(run.stdout.contains("bridge boot: created"), "{run:?}");
    }
    for (h, mac) in ["a", "b"].iter().zip(macs) {
        let c = site.add_container(h, "boot", mac);
        site.lease(h, c).expect("a lease after the reboot");
    }
    assert_eq!(
        site.addresses(),
        before,
        "every client has its address again"
    );
    all_ping(&site);
}

#[test]
fn an_apply_killed_after_any_request_is_completed_by_the_next_and_down_removes_it_all() {
    let mut site = two_hosts("crash");
    // An extra port on a: apply attaches it and lowers its MTU; down must give it back.
    site.host("a").ns.veth("eth1", "eth1-peer");
    // Up once (see ports_the_file_names_are_attached_and_given_back), then down as it stays.
    site.host("a").ns.ip_line("link set eth1 up");
    site.host("a").ns.ip_line("link set eth1 down");
    let text = file_text("crash", "", &HOSTS[..2], &site.path("leases")).replace(
        "underlay = \"192.0.2.1\"",
        "underlay = \"192.0.2.1\"\nports = [\"eth1\"]",
    );
    let file = site.file("s.toml", &text);
    let before = site.host("a").snapshot();
    let full = site.apply("a", &file, &["-v"]).ok();
    assert!(changing_requests(&full).len() >= 8, "{full:?}");
    let converged = site.host("a").ns.link_names();
    site.down("a", &file, &[]).ok();
    assert_unchanged(&site.host("a").snapshot(), &before, "a clean down");

    // Killed right after its first changing request, then its second, ... until an apply
    // with the knob runs to its end.
    let mut kills = 0;
    for n in 1.. {
        let knob = n.to_string();
        let run = site.l2x_env("a", ("L2X_TEST_KILL_AFTER", &knob), &["apply", &file]);
        if run.code == 0 {
            break;
        }
        assert_eq!(run.code, -1, "killed by SIGKILL after request {n}: {run:?}");
        kills += 1;
        // Taken down from there: nothing of the segment is left.
        if n % 2 == 0 {
            site.down("a", &file, &[]).ok();
            assert_unchanged(
                &site.host("a").snapshot(),
                &before,
                &format!("down after a kill at {n}"),
            );
            continue;
        }
        // Or applied again: it completes the host's part, and then there is nothing to do.
        let next = site.apply("a", &file, &[]).ok();
        assert!(next.stdout.contains("dhcp crash: started"), "{n}: {next:?}");
        assert_eq!(
            site.host("a").ns.link_names(),
            converged,
            "after a kill at {n}"
        );
        let third = site.apply("a", &file, &[]).ok();
        assert_eq!(
            third.stdout, "segment crash: unchanged\n",
            "after a kill at {n}"
        );
        site.down("a", &file, &[]).ok();
        assert_unchanged(
            &site.host("a").snapshot(),
            &before,
            &format!("down after a kill at {n}"),
        );
    }
    assert!(kills >= 8, "apply was killed {kills} times");
    site.down("a", &file, &[]).ok();
    assert_unchanged(&site.host("a").snapshot(), &before, "the end");
}

#[test]
fn what_is_not_the_segments_is_a_conflict_and_nothing_changes() {
    let mut site = two_hosts("own");
    let file = site.file(
        "s.toml",
        &file_text("own", "", &HOSTS[..2], &site.path("l")),
    );
    // A bridge of the segment's name, made by hand.
    site.host("b").ns.ip_line("link add own type bridge");
    let before = site.host("b").snapshot();
    let run = site
        .apply("b", &file, &[])
        .fails(1, "bridge own is in the way of segment own");
    assert!(run.stderr.contains("hint: `l2x bridge del own`"), "{run:?}");
    assert_unchanged(
        &site.host("b").snapshot(),
        &before,
        "a conflict changes nothing",
    );
    site.host("b").ns.ip_line("link del own");
    // An interface with the name of the segment's tunnel.
    site.host("b").ns.veth("own-vx", "x0");
    let before = site.host("b").snapshot();
    let run = site
        .apply("b", &file, &[])
        .fails(1, "interface own-vx is in the way of segment own");
    assert!(run.stderr.contains("`ip link del own-vx`"), "{run:?}");
    assert_unchanged(&site.host("b").snapshot(), &before, "nothing was made");
    site.host("b").ns.ip_line("link del own-vx");
    // Another segment's link: segment own's tunnel is in the way of segment own-vx's bridge.
    site.apply("b", &file, &[]).ok();
    let other = file_text("own-vx", "", &HOSTS[..2], &site.path("l2"));
    let other = site.file("other.toml", &other);
    let run = site.host("b").ns.l2x(&["apply", &other]);
    run.fails(1, "it exists and is segment own's");
    // down of a segment whose bridge is not its own leaves that bridge alone.
    site.host("a").ns.ip_line("link add own type bridge");
    let down = site.down("a", &file, &[]).ok();
    assert!(
        down.stdout
            .contains("  bridge own is not this segment's: left alone\n"),
        "{down:?}"
    );
    assert!(site.host("a").ns.has_link("own"));
}

#[test]
fn ports_the_file_names_are_attached_and_given_back() {
    let mut site = two_hosts("port");
    let ns = &site.host("b").ns;
    ns.veth("eth1", "eth1-peer");
    ns.ip_line("link set eth1-peer up");
    // A link that was never up has no queueing discipline yet, and can never again lack one:
    // eth1 has been up before, as a NIC has.
    ns.ip_line("link set eth1 up");
    ns.ip_line("link set eth1 down");
    let eth1_before = ns.link("eth1");
    let with = file_text("port", "", &HOSTS[..2], &site.path("l")).replace(
        "underlay = \"192.0.2.2\"",
        "underlay = \"192.0.2.2\"\nports = [\"eth1\"]",
    );
    let with = site.file("with.toml", &with);
    let run = site.apply("b", &with, &[]).ok();
    assert!(
        run.stdout.contains("port eth1: attached to port\n"),
        "{run:?}"
    );
    let eth1 = site.host("b").ns.link("eth1");
    assert_eq!(
        (eth1["master"].as_str(), eth1["mtu"].as_u64()),
        (Some("port"), Some(1450))
    );
    // A port a container manager attached stays, whatever the file says.
    site.add_container("b", "port", "02:00:00:00:03:01");
    let without = site.file(
        "without.toml",
        &file_text("port", "", &HOSTS[..2], &site.path("l")),
    );
    let run = site.apply("b", &without, &[]).ok();
    assert!(
        run.stdout
            .contains("port eth1: detached from port (no longer in the file)"),
        "{run:?}"
    );
    let ns = &site.host("b").ns;
    assert_eq!(
        ns.link("eth1"),
        eth1_before,
        "eth1 as it was: MTU, state, no master"
    );
    let ct = &site.host("b").containers[0].port;
    assert_eq!(
        ns.link(ct)["master"],
        "port",
        "the container's port stays attached"
    );
    // down gives a named port back too.
    site.apply("b", &with, &[]).ok();
    site.remove_containers("b");
    site.down("b", &with, &[]).ok();
    assert_eq!(site.host("b").ns.link("eth1"), eth1_before);
    // A port that does not exist, or is another bridge's, is refused before anything is done.
    let before = site.host("b").snapshot();
    site.host("b").ns.ip_line("link del eth1");
    let run = site.apply("b", &with, &[]);
    run.fails(
        1,
        "hosts.b.ports names eth1, and there is no such interface here",
    );
    let _ = before;
}

#[test]
fn the_dhcp_server_follows_the_file_keeping_its_leases() {
    let mut site = two_hosts("dhcp");
    let leases = site.path("leases");
    let v1 = site.file("v1.toml", &file_text("dhcp", "", &HOSTS[..2], &leases));
    for h in ["a", "b"] {
        site.apply(h, &v1, &[]).ok();
    }
    let c = site.add_container("b", "dhcp", "02:00:00:00:04:01");
    let first = site.lease("b", c).unwrap();
    // Another range, and a reservation: the server restarts with them and its leases.
    let v2 = file_text("dhcp", "", &HOSTS[..2], &leases)
        .replace("10.0.5.100-10.0.5.199", "10.0.5.100-10.0.5.150")
        .replace(
            "masquerade = true",
            "masquerade = true\nreservations = { \"02:00:00:00:04:02\" = \"10.0.5.20\" }",
        );
    let v2 = site.file("v2.toml", &v2);
    let run = site.apply("a", &v2, &[]).ok();
    assert!(
        run.stdout
            .contains("dhcp dhcp: restarted (serving 10.0.5.100-10.0.5.150"),
        "{run:?}"
    );
    assert_eq!(
        site.lease("b", c),
        Some(first),
        "the client keeps its address"
    );
    let r = site.add_container("b", "dhcp", "02:00:00:00:04:02");
    assert_eq!(
        site.lease("b", r).as_deref(),
        Some("10.0.5.20"),
        "the reservation"
    );
    assert_eq!(
        site.apply("a", &v2, &[]).ok().stdout,
        "segment dhcp: unchanged\n"
    );
    // Without dhcp in the file, the server apply started is stopped.
    let v3 = file_text("dhcp", "", &HOSTS[..2], &leases)
        .replace("dhcp = \"10.0.5.100-10.0.5.199\"\n", "")
        .replace(&format!("lease_file = \"{leases}\"\n"), "");
    let v3 = site.file("v3.toml", &v3);
    let run = site.apply("a", &v3, &[]).ok();
    assert!(run.stdout.contains("dhcp dhcp: stopped (pid"), "{run:?}");
    assert!(site.lease("b", c).is_none(), "no server answers");
}

#[test]
fn status_probes_every_peer_across_the_segment() {
    let mut site = Site::new("stat");
    for (h, ip) in &HOSTS[..3] {
        site.add_host(h, ip);
    }
    let file = site.file(
        "s.toml",
        &file_text("stat", "", &HOSTS[..3], &site.path("l")),
    );
    for (h, _) in &HOSTS[..3] {
        site.apply(h, &file, &[]).ok();
    }
    // The bridges' link-local addresses are usable once duplicate address detection is done.
    let mut doc = serde_json::Value::Null;
    for _ in 0..20 {
        let run = site.host("a").ns.l2x(&["-j", "status", &file]);
        doc = run.json();
        if run.code == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    assert_eq!(doc["unreachable"], 0, "{doc:#}");
    let peers = doc["peers"].as_array().unwrap();
    assert_eq!(peers.len(), 2);
    for p in peers {
        assert_eq!(
            (p["tunnel"].as_str(), p["kind"].as_str()),
            (Some("stat-vx"), Some("vxlan"))
        );
        assert_eq!(p["mtu"], 1450);
        assert!(p["counters"]["tx_packets"].as_u64().unwrap() > 0, "{p}");
    }
    // Host c's tunnel goes down: c no longer answers, and status says so with exit status 1.
    site.host("c").ns.ip_line("link set stat-vx down");
    let run = site.host("a").ns.l2x(&["-j", "status", &file]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("1 of 2 peers did not answer within 2 s: c"),
        "{run:?}"
    );
    let doc = run.json();
    let c = doc["peers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["host"] == "c")
        .unwrap();
    assert_eq!(c["reachable"], false);
}

#[test]
fn hub_and_spoke_forwards_between_spokes_through_the_router() {
    let mut site = Site::new("hub");
    for (h, ip) in &HOSTS[..3] {
        site.add_host(h, ip);
    }
    let file = site.file(
        "s.toml",
        &file_text("hub", "mesh = false", &HOSTS[..3], &site.path("l")),
    );
    for (h, _) in &HOSTS[..3] {
        site.apply(h, &file, &[]).ok();
    }
    // The hub has a device per spoke, not isolated (it forwards between them); a spoke has
    // one, to the hub, and none to the other spoke.
    let hub = site.host("a");
    assert_eq!(hub.links_of_kind("vxlan"), ["hub-b", "hub-c"]);
    for dev in ["hub-b", "hub-c"] {
        let l = hub.link(dev).unwrap();
        assert_eq!(l["linkinfo"]["info_slave_data"]["isolated"], false, "{l}");
    }
    assert_eq!(site.host("b").links_of_kind("vxlan"), ["hub-a"]);
    let vni =
        |h: &str, dev: &str| site.host(h).link(dev).unwrap()["linkinfo"]["info_data"]["id"].clone();
    assert_eq!(vni("a", "hub-b"), vni("b", "hub-a"));
    assert_ne!(vni("a", "hub-b"), vni("a", "hub-c"));
    for h in ["b", "c"] {
        let c = site.add_container(
            h,
            "hub",
            if h == "b" {
                "02:00:00:00:05:01"
            } else {
                "02:00:00:00:05:02"
            },
        );
        site.lease(h, c).expect("a lease through the hub");
    }
    all_ping(&site);
}

#[test]
fn the_host_is_found_by_its_address_or_named() {
    let site = two_hosts("who");
    let file = site.file(
        "s.toml",
        &file_text("who", "", &HOSTS[..2], &site.path("l")),
    );
    let plan = site
        .host("b")
        .ns
        .l2x(&["-j", "apply", &file, "--dry-run"])
        .ok()
        .json();
    assert_eq!(plan["segment"]["host"], "b");
    assert_eq!(plan["dry_run"], true);
    // Named, it is the one asked for; a name the file lacks is a wrong command line.
    let plan = site
        .host("b")
        .ns
        .l2x(&["-j", "apply", &file, "--host", "a", "--dry-run"]);
    assert_eq!(plan.ok().json()["segment"]["host"], "a");
    site.host("b")
        .ns
        .l2x(&["apply", &file, "--host", "z"])
        .fails(
            2,
            "--host z: the segment has no such host (its hosts: a, b)",
        );
    // Neither address here, or both: exit status 1, naming the hosts.
    site.host("b").ns.ip_line("addr del 192.0.2.2/24 dev eth0");
    site.host("b")
        .ns
        .l2x(&["apply", &file])
        .fails(1, "none of the segment's hosts (a, b)");
    site.host("b").ns.ip_line("addr add 192.0.2.1/24 dev eth0");
    site.host("b").ns.ip_line("addr add 192.0.2.2/24 dev eth0");
    site.host("b").ns.l2x(&["apply", &file]).fails(
        1,
        "several of the segment's hosts have their address here: a, b",
    );
}

/// `dns = true`: the segment's DHCP server answers DNS on the router's address, and a
/// container on one host resolves a container on the other by the hostname its lease carries;
/// without it, the server runs with --no-dns and nothing answers there.
#[test]
fn dns_true_names_the_containers_across_the_segment() {
    let mut site = two_hosts("dns");
    let leases = site.path("leases");
    let with_dns = file_text("dns", "", &HOSTS[..2], &leases)
        .replace("masquerade = true", "masquerade = true\ndns = true");
    let v1 = site.file("v1.toml", &with_dns);
    for h in ["a", "b"] {
        site.apply(h, &v1, &[]).ok();
    }
    let near = site.add_container("a", "dns", "02:00:00:00:05:01");
    let far = site.add_container("b", "dns", "02:00:00:00:05:02");
    let script = site.path("udhcpc.sh");
    let mut got = Vec::new();
    for (host, c, name) in [("a", near, "near"), ("b", far, "far")] {
        let ct = &site.host(host).containers[c];
        let hostname = format!("hostname:{name}");
        let args = [
            "udhcpc", "-i", "eth0", "-f", "-q", "-n", "-t", "5", "-T", "1", "-s", &script, "-x",
            &hostname,
        ];
        assert!(ct.ns.exec("busybox", &args).status.success(), "{name}");
        got.push(ct.address().unwrap());
    }
    let dig = |c: &common::site::Container, name: &str| {
        let args = ["+tries=1", "+time=1", "+short", "@10.0.5.1", name];
        String::from_utf8_lossy(&c.ns.exec("dig", &args).stdout)
            .trim()
            .to_string()
    };
    let near_ct = &site.host("a").containers[near];
    let far_ct = &site.host("b").containers[far];
    assert_eq!(dig(far_ct, "near.lan"), got[0], "across the tunnel");
    assert_eq!(dig(near_ct, "far.lan"), got[1]);

    let v2 = site.file("v2.toml", &file_text("dns", "", &HOSTS[..2], &leases));
    let run = site.apply("a", &v2, &[]).ok();
    assert!(run.stdout.contains("dhcp dns: restarted"), "{run:?}");
    let far_ct = &site.host("b").containers[far];
    assert!(dig(far_ct, "near.lan").contains("no servers could be reached"));
}
