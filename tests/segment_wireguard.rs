//! Encrypted segments (`encrypt = "wireguard"`), natively: this kernel has no WireGuard module,
//! so wireguard-go runs the interfaces (tests/vm_wireguard.rs runs the same with the kernel's).
//! Three hosts over VXLAN with nothing but WireGuard on the underlay; a host behind a
//! masquerading router joining; a key that does not match, named by status and healed by
//! re-applying.

mod common;

use common::encrypted::*;

/// 1500 - 60 (WireGuard over IPv4) - 70 (VXLAN over the inner IPv6).
const VXLAN_MTU: u64 = 1370;

#[test]
fn three_hosts_carry_only_wireguard_on_the_underlay() {
    three_hosts("wg3", "vxlan", VXLAN_MTU);
}

#[test]
fn a_host_behind_nat_joins_by_dialing_out() {
    behind_nat("wgnat", "vxlan");
}

#[test]
fn a_wrong_key_is_named_and_reapplying_the_right_one_heals() {
    wrong_key("wgkey", "vxlan");
}

/// wireguard-go killed (its device goes with it): the next apply starts it again with the whole
/// configuration, and frames cross again.
#[test]
fn apply_starts_a_killed_wireguard_go_again() {
    let mut site = common::site::Site::new("wgkill");
    let hosts: Vec<Keyed> = [("a", "192.0.2.1"), ("b", "192.0.2.2")]
        .into_iter()
        .map(|(name, ip)| {
            site.add_host(name, ip);
            Keyed {
                name: name.into(),
                underlay: Some(ip.into()),
                public_key: key_gen(&site, name),
            }
        })
        .collect();
    let file = site.file("wseg.toml", &file_text("vxlan", &hosts));
    for h in ["a", "b"] {
        apply(&mut site, h, &file);
    }
    let b = &site.host("b").ns;
    let pids = common::run_ok("ip", &["netns", "pids", &b.name]);
    let daemon = pids
        .split_whitespace()
        .find(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "wireguard-go")
        })
        .expect("wireguard-go runs in b")
        .to_string();
    common::run_ok("kill", &["-9", &daemon]);
    for _ in 0..50 {
        if !b.has_link("wseg-wg") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(!b.has_link("wseg-wg"), "the device outlived its daemon");
    let again = apply(&mut site, "b", &file);
    assert!(
        again.contains("wireguard wseg-wg: created (by wireguard-go"),
        "{again}"
    );
    // The peer still holds the old daemon's session: frames cross once a new handshake is done
    // (status sends the first ones), within a few tries.
    let status = (0..5)
        .map(|_| site.host("b").ns.l2x(&["status", &file, "--host", "b"]))
        .find(|run| run.code == 0);
    assert!(status.is_some(), "no frames across after the restart");
}
