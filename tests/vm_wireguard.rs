//! Encrypted segments with the kernel's WireGuard module, run inside the VM by tests/vm/run:
//! the checks of tests/segment_wireguard.rs (which runs them all with wireguard-go) over
//! gretap, whose GRE headers would show on the underlay if anything leaked, and a host behind
//! NAT. (A guest runs at emulated speed: each of these takes about two minutes.)

mod common;

use common::encrypted::*;

/// 1500 - 60 (WireGuard over IPv4) - 70 (ip6gretap with its key and encapsulation limit).
const GRETAP_MTU: u64 = 1370;

#[test]
fn three_hosts_over_gretap_carry_only_wireguard() {
    three_hosts("vwg3", "gretap", GRETAP_MTU);
}

#[test]
fn a_host_behind_nat_joins_over_gretap() {
    behind_nat("vwgnat", "gretap");
}
