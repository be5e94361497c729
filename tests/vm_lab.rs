//! `l2x lab` and `l2x doctor` on a kernel with gretap and L2TP: run inside the VM by
//! tests/vm/run. One lab per tunnel kind, two hosts each, taken down in between.

mod common;

use common::*;
use serde_json::Value;

/// Runs `l2x lab down` when dropped, also when the test panics.
struct LabDown;

impl Drop for LabDown {
    fn drop(&mut self) {
        let _ = l2x(&["lab", "down"]);
    }
}

#[test]
fn lab_over_gretap_and_l2tp() {
    let _guard = LabDown;
    for (kind, mtu) in [("gretap", 1462), ("l2tp", 1446)] {
        let up = l2x(&["-j", "lab", "up", "--tunnel", kind]).ok();
        let doc = up.json();
        assert_eq!(doc["tunnel"], kind);
        assert_eq!(doc["failed"], 0, "{kind}: {doc:#}");
        for c in doc["containers"].as_array().expect("containers") {
            assert!(c["address"].as_str().is_some(), "{kind}: {c:#}");
            assert_eq!(c["mtu"], mtu, "{kind}: DHCP hands out the tunnel's MTU");
            assert_eq!(c["internet"]["ok"], true, "{kind}: {c:#}");
        }
        l2x(&["lab", "down"]).ok();
    }
}

#[test]
fn doctor_in_the_lab_vm_finds_every_tunnel_kind() {
    let ns = Netns::new("vmdoc");
    let doc: Value = ns.l2x(&["-j", "doctor"]).ok().json();
    let checks = doc["checks"].as_array().expect("checks");
    for row in ["kernel: gretap", "kernel: l2tp (udp)", "kernel: vxlan"] {
        let c = checks.iter().find(|c| c["check"] == row).expect(row);
        assert_eq!(c["status"], "ok", "{c:#}");
    }
}
