//! Bad input: each case checks the exit status, a message naming the problem, and that nothing
//! was left behind in the namespace.

mod common;

use common::*;

/// Runs l2x with `args` in a namespace holding bridge br0 and veth v0/v1, expects `code` and
/// `needle`, and checks that the namespace's links are exactly as before.
fn rejects(args: &[&str], code: i32, needle: &str) {
    let ns = Netns::new("bad");
    ns.l2x(&["bridge", "add", "br0"]).ok();
    ns.veth("v0", "v1");
    let before = ns.snapshot();
    ns.l2x(args).fails(code, needle);
    assert_eq!(ns.snapshot(), before, "state changed by {args:?}");
}

/// A teardown of what is not there: exit 0, saying so, and nothing changed.
fn already_so(args: &[&str], said: &str) {
    let ns = Netns::new("gone");
    ns.l2x(&["bridge", "add", "br0"]).ok();
    ns.veth("v0", "v1");
    let before = ns.snapshot();
    let run = ns.l2x(args).ok();
    assert_eq!(run.stdout, said);
    assert_eq!(ns.snapshot(), before, "state changed by {args:?}");
}

#[test]
fn name_of_16_bytes() {
    rejects(
        &["bridge", "add", "sixteen-bytes-xx"],
        2,
        "at most 15 bytes",
    );
}

#[test]
fn name_with_a_slash() {
    rejects(&["bridge", "add", "a/b"], 2, "cannot contain '/'");
}

#[test]
fn name_with_whitespace() {
    rejects(&["bridge", "add", "a b"], 2, "whitespace");
}

#[test]
fn name_dot_dot() {
    rejects(&["bridge", "add", ".."], 2, "not a valid interface name");
}

#[test]
fn cidr_without_prefix() {
    rejects(
        &["bridge", "add", "br1", "--addr", "10.0.5.1"],
        2,
        "no prefix length",
    );
}

#[test]
fn cidr_malformed() {
    rejects(
        &["bridge", "add", "br1", "--addr", "10.0.500.1/24"],
        2,
        "10.0.500.1/24",
    );
}

#[test]
fn mac_malformed() {
    rejects(
        &["bridge", "add", "br1", "--mac", "02:00:00:00:00"],
        2,
        "not a MAC address",
    );
}

#[test]
fn mac_multicast() {
    rejects(
        &["bridge", "add", "br1", "--mac", "01:00:5e:00:00:01"],
        2,
        "multicast",
    );
}

#[test]
fn mtu_zero() {
    rejects(&["bridge", "add", "br1", "--mtu", "0"], 2, "--mtu");
}

#[test]
fn mtu_70000() {
    rejects(&["bridge", "add", "br1", "--mtu", "70000"], 2, "70000");
}

#[test]
fn unknown_flag() {
    rejects(&["bridge", "add", "br1", "--colour", "blue"], 2, "--colour");
}

#[test]
fn attach_of_a_missing_interface() {
    rejects(&["attach", "nope0", "br0"], 1, "no such interface nope0");
}

#[test]
fn attach_to_a_missing_bridge() {
    rejects(&["attach", "v0", "nobr"], 1, "no such bridge nobr");
}

#[test]
fn attach_to_a_non_bridge() {
    rejects(&["attach", "v0", "v1"], 1, "v1 is a veth, not a bridge");
}

#[test]
fn attach_of_a_bridge_to_itself() {
    rejects(&["attach", "br0", "br0"], 2, "cannot attach br0 to itself");
}

#[test]
fn attach_of_a_bridge_to_another_bridge() {
    let ns = Netns::new("bad-nest");
    ns.l2x(&["bridge", "add", "br0"]).ok();
    ns.l2x(&["bridge", "add", "br1"]).ok();
    ns.l2x(&["attach", "br1", "br0"]).fails(
        1,
        "attach br1 br0: br1 is a bridge; a bridge cannot be a port of another bridge here",
    );
    assert!(ns.link("br1").get("master").is_none());
}

#[test]
fn del_of_a_missing_bridge_is_already_done() {
    already_so(
        &["bridge", "del", "nobr"],
        "bridge nobr: unchanged (absent)\n",
    );
}

#[test]
fn del_of_a_non_bridge() {
    rejects(&["bridge", "del", "v0"], 1, "v0 is a veth, not a bridge");
}

#[test]
fn detach_of_a_non_port_is_already_done() {
    already_so(
        &["detach", "v0"],
        "port v0: unchanged (not a bridge port)\n",
    );
}

#[test]
fn detach_of_a_missing_interface() {
    rejects(&["detach", "nosuch0"], 1, "no such interface nosuch0");
}

#[test]
fn del_of_a_missing_tunnel_is_already_done() {
    already_so(
        &["tunnel", "del", "vx9"],
        "tunnel vx9: unchanged (absent)\n",
    );
}

#[test]
fn unknown_netns() {
    l2x(&["-n", "l2x-no-such-ns", "bridge", "add", "br0"]).fails(1, "no such network namespace");
}

#[test]
fn unprivileged_run() {
    let ns = Netns::new("bad-unpriv");
    let run = l2x_cmd(
        std::process::Command::new("ip")
            .args([
                "netns",
                "exec",
                &ns.name,
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
            ])
            .args([env!("CARGO_BIN_EXE_l2x"), "bridge", "add", "br0"]),
    )
    .fails(1, "Operation not permitted");
    assert!(run.stderr.contains("hint: run as root"), "{run:?}");
    assert!(!ns.has_link("br0"));
}

#[test]
fn name_with_a_format_the_kernel_would_number() {
    // The kernel expands `%d` in a new link's name: three runs would make a0, a1, a2.
    rejects(&["bridge", "add", "a%d"], 2, "cannot contain '%'");
}

#[test]
fn cookie_with_a_multibyte_character() {
    let cmd = "tunnel l2tp l0 --local 192.0.2.1 --remote 192.0.2.2 --tunnel-id 1 --session-id 1";
    let mut args: Vec<&str> = cmd.split_whitespace().collect();
    args.extend(["--cookie", "a€aaaa"]);
    rejects(&args, 2, "is not hex");
}

#[test]
fn addresses_no_interface_can_have() {
    for (addr, needle) in [
        ("0.0.0.0/0", "not an address an interface can have"),
        ("224.0.0.1/24", "not an address an interface can have"),
        ("255.255.255.255/32", "not an address an interface can have"),
        ("10.0.5.1/0", "covers every address"),
    ] {
        rejects(&["bridge", "add", "br1", "--addr", addr], 2, needle);
    }
}

#[test]
fn vxlan_port_zero() {
    // The kernel would take port 0 as its old default, 8472.
    let cmd = "tunnel vxlan vx0 --vni 1 --local 192.0.2.1 --remote 192.0.2.2 --dport 0";
    let args: Vec<&str> = cmd.split_whitespace().collect();
    rejects(&args, 2, "--dport");
}

#[test]
fn attach_of_loopback_says_why() {
    rejects(&["attach", "lo", "br0"], 1, "lo is the loopback interface");
}
