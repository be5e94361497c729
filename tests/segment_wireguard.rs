//! Encrypted segments (`encrypt = "wireguard"`), natively: this kernel has no WireGuard module,
//! so wireguard-go runs the interfaces (tests/vm_wireguard.rs runs the same with the kernel's).
//! Three hosts over VXLAN with nothing but WireGuard on the underlay; a host behind a
//! masquerading router joining; a key that does not match, named by status and healed by
//! re-applying.

mod common;

use common::encrypted::*;
use common::site::Site;

/// 1500 - 60 (WireGuard over IPv4) - 70 (VXLAN over the inner IPv6).
const VXLAN_MTU: u64 = 1370;

#[test]
fn three_hosts_carry_only_wireguard_on_the_underlay() {
    three_hosts("wg3", "vxlan", VXLAN_MTU);
}

#[test]
fn a_host_behind_nat_joins_by_dialing_out() {
    let mut site = Site::new("wgnat");
    site.add_host("a", "192.0.2.1");
    site.add_host("b", "192.0.2.2");
    site.add_host_behind_nat("c", "192.0.2.50", "10.9.0.2");
    let hosts: Vec<Keyed> = [
        ("a", Some("192.0.2.1")),
        ("b", Some("192.0.2.2")),
        ("c", None),
    ]
    .into_iter()
    .map(|(name, underlay)| Keyed {
        name: name.into(),
        underlay: underlay.map(str::to_string),
        public_key: key_gen(&site, name),
    })
    .collect();
    let file = site.file("wseg.toml", &file_text("vxlan", &hosts));
    for h in ["a", "b", "c"] {
        apply(&mut site, h, &file);
    }
    // c cannot be reached first: its container's DHCP request is what opens the way.
    site.add_container("c", "wseg", "02:00:00:00:0c:01");
    site.add_container("b", "wseg", "02:00:00:00:0b:01");
    let c = site
        .lease("c", 0)
        .expect("the container behind NAT gets a lease");
    let b = site.lease("b", 0).expect("b's container lease");
    assert!(site.host("b").containers[0].pings_full_size(&c), "b -> c");
    assert!(site.host("c").containers[0].pings_full_size(&b), "c -> b");
    // a and b answer c where its packets come from: its router's address.
    for h in ["a", "b"] {
        let wg = shown(&site.host(h).ns);
        let peer = wg[0]["peers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["public_key"] == hosts[2].public_key.as_str())
            .cloned()
            .unwrap_or_else(|| panic!("{h} has no peer c: {wg:?}"));
        let endpoint = peer["endpoint"].as_str().unwrap_or_default();
        assert!(endpoint.starts_with("192.0.2.50:"), "{h}: {peer}");
    }
    let dump = wg_dump(&site.host("c").ns);
    assert!(
        dump.lines().skip(1).all(|l| l.ends_with("\t25")),
        "c keeps its NAT open with keepalives: {dump}"
    );
}

#[test]
fn a_wrong_key_is_named_and_reapplying_the_right_one_heals() {
    let mut site = Site::new("wgkey");
    site.add_host("a", "192.0.2.1");
    site.add_host("b", "192.0.2.2");
    let mut hosts: Vec<Keyed> = [("a", "192.0.2.1"), ("b", "192.0.2.2")]
        .into_iter()
        .map(|(name, ip)| Keyed {
            name: name.into(),
            underlay: Some(ip.into()),
            public_key: key_gen(&site, name),
        })
        .collect();
    let right = site.file("right.toml", &file_text("vxlan", &hosts));
    // a's copy of the file has an old key for b.
    let b_key = std::mem::replace(&mut hosts[1].public_key, key_gen(&site, "old"));
    let stale = site.file("stale.toml", &file_text("vxlan", &hosts));
    apply(&mut site, "a", &stale);
    apply(&mut site, "b", &right);
    site.add_container("b", "wseg", "02:00:00:00:0b:01");
    assert_eq!(
        site.lease("b", 0),
        None,
        "a lease across a peer with a wrong key"
    );
    let status = site.host("a").ns.l2x(&["status", &stale, "--host", "a"]);
    assert_eq!(status.code, 1, "{status:?}");
    assert!(
        status.stderr.contains("no WireGuard handshake with b"),
        "{status:?}"
    );
    assert!(status.stdout.contains("never"), "{status:?}");

    let healed = apply(&mut site, "a", &right);
    assert!(
        healed.contains("wireguard wseg-wg: changed (peer b missing, peer ")
            && healed.contains("not in the segment)"),
        "{healed}"
    );
    assert!(
        healed.contains("(1 change)"),
        "exactly the one peer: {healed}"
    );
    let dump = wg_dump(&site.host("a").ns);
    assert!(dump.contains(&b_key), "{dump}");
    let leased = (0..3).find_map(|_| site.lease("b", 0));
    assert!(leased.is_some(), "no lease after the key was fixed");
    site.host("a")
        .ns
        .l2x(&["status", &right, "--host", "a"])
        .ok();
}
