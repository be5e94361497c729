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
