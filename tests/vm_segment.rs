//! Segment files over gretap and L2TPv3, on a kernel that has them: run inside the VM by
//! tests/vm/run. Three hosts apply one file (the L2TP ids and ports derived from it); then one
//! of them is taken down and configured again by plain iproute2 from the values `apply
//! --dry-run -j` prints for it, and the segment must work the same: the derived values are
//! all a peer needs.

mod common;

use common::site::Site;
use common::*;
use serde_json::Value;

const HOSTS: [(&str, &str); 3] = [("a", "192.0.2.1"), ("b", "192.0.2.2"), ("c", "192.0.2.3")];

fn file_text(tunnel: &str, leases: &str) -> String {
    let mut text = format!(
        "segment = \"seg\"\ntunnel = \"{tunnel}\"\n[router]\nhost = \"a\"\n\
         address = \"10.0.5.1/24\"\ndhcp = \"10.0.5.100-10.0.5.199\"\n\
         lease_file = \"{leases}\"\n"
    );
    for (h, ip) in HOSTS {
        text.push_str(&format!("[hosts.{h}]\nunderlay = \"{ip}\"\n"));
    }
    text
}

/// Every container reaches every other with full-size frames, DF set.
fn all_ping(site: &Site) {
    let everyone = site.addresses();
    for h in &site.hosts {
        let c = &h.containers[0];
        for (peer, ip) in &everyone {
            if peer != &h.name {
                assert!(
                    c.pings_full_size(ip),
                    "{} -> {peer} ({ip}) at MTU {}",
                    h.name,
                    c.mtu()
                );
            }
        }
    }
}

/// Host `h`'s part made by hand with iproute2, from the values apply prints for it.
fn by_hand(site: &Site, h: &str, part: &Value) {
    let ns = &site.host(h).ns;
    let bridge = &part["bridge"]["name"].as_str().unwrap();
    let mtu = part["mtu"].to_string();
    let mac = part["bridge"]["mac"].as_str().unwrap();
    ns.ip_line(&format!(
        "link add {bridge} address {mac} mtu {mtu} type bridge"
    ));
    ns.ip_line(&format!("link set {bridge} up"));
    for t in part["tunnels"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        let (local, remote) = (
            t["local"].as_str().unwrap(),
            t["remotes"][0].as_str().unwrap(),
        );
        match t["kind"].as_str().unwrap() {
            "gretap" => ns.ip_line(&format!(
                "link add {name} type gretap local {local} remote {remote} ttl {} key {}",
                t["ttl"], t["key"]
            )),
            "l2tp" => {
                let l = &t["l2tp"];
                ns.ip_line(&format!(
                    "l2tp add tunnel tunnel_id {} peer_tunnel_id {} encap udp local {local} \
                     remote {remote} udp_sport {} udp_dport {}",
                    l["tunnel_id"], l["peer_tunnel_id"], l["sport"], l["dport"]
                ));
                ns.ip_line(&format!(
                    "l2tp add session name {name} tunnel_id {} session_id {} peer_session_id {}",
                    l["tunnel_id"], l["session_id"], l["peer_session_id"]
                ))
            }
            other => panic!("no hand-made {other}"),
        };
        ns.ip_line(&format!("link set {name} mtu {mtu} master {bridge} up"));
        if t["isolated"] == true {
            run_ok(
                "bridge",
                &["-n", &ns.name, "link", "set", "dev", name, "isolated", "on"],
            );
        }
    }
}

fn segment_over(tunnel: &str, mtu: u64) {
    let mut site = Site::new(tunnel);
    for (h, ip) in HOSTS {
        site.add_host(h, ip);
    }
    let file = file_text(tunnel, &site.path("leases"));
    let file = site.file("s.toml", &file);
    for (h, _) in HOSTS {
        let run = site.apply(h, &file, &[]).ok();
        assert!(
            run.stdout.contains(&format!("({tunnel}, mtu {mtu})")),
            "{h}: {run:?}"
        );
    }
    for (i, (h, _)) in HOSTS.iter().enumerate() {
        let c = site.add_container(h, "seg", &format!("02:00:00:00:06:{i:02x}"));
        site.lease(h, c)
            .unwrap_or_else(|| panic!("no lease on {h}"));
        assert_eq!(site.host(h).containers[c].mtu(), mtu, "{h}");
    }
    all_ping(&site);
    for (h, _) in HOSTS {
        assert_eq!(
            site.apply(h, &file, &[]).ok().stdout,
            "segment seg: unchanged\n"
        );
    }
    // c by hand, from what apply would make there.
    let part = site
        .host("c")
        .ns
        .l2x(&["-j", "apply", &file, "--dry-run"])
        .ok()
        .json()["segment"]
        .clone();
    site.remove_containers("c");
    site.down("c", &file, &[]).ok();
    by_hand(&site, "c", &part);
    let c = site.add_container("c", "seg", "02:00:00:00:06:10");
    site.lease("c", c)
        .expect("a lease across the hand-made tunnels");
    all_ping(&site);
}

#[test]
fn gretap_segment_with_a_host_made_by_iproute2() {
    // 1500 less 20 (IP), 4 (GRE), 4 (the key) and 14 (Ethernet).
    segment_over("gretap", 1458);
}

#[test]
fn l2tp_segment_with_derived_ids_and_a_host_made_by_iproute2() {
    // 1500 less 20 (IP), 8 (UDP), 4 (flags), 4 (session id), 4 (sublayer), 14 (Ethernet).
    segment_over("l2tp", 1446);
}
