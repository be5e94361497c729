//! Proves the VM runner end to end: these tests pass only inside the guest that tests/vm/run
//! boots (Debian's stock kernel, where gretap and L2TP are autoloading modules), never on the
//! development kernel, which has neither. Run with `tests/vm/run`; `cargo test` skips them.

mod common;
use common::*;

/// `ip -n NS` with the arguments written as one line, as a runbook would.
fn ip(ns: &Netns, line: &str) -> String {
    ns.ip(&line.split_whitespace().collect::<Vec<_>>())
}

/// An underlay for tunnels: a veth end up with 192.0.2.1/24, so tunnel sockets can bind to it.
fn underlay(ns: &Netns) {
    ns.veth("u0", "u1");
    ip(ns, "addr add 192.0.2.1/24 dev u0");
    ip(ns, "link set u0 up");
    ip(ns, "link set u1 up");
}

#[test]
fn gretap_exists_in_the_guest_kernel() {
    let ns = Netns::new("gre");
    underlay(&ns);
    ip(
        &ns,
        "link add gt0 type gretap local 192.0.2.1 remote 192.0.2.2",
    );

    let link = ns.link("gt0");
    assert_eq!(link["linkinfo"]["info_kind"], "gretap", "{link}");
    assert_eq!(
        link["linkinfo"]["info_data"]["remote"], "192.0.2.2",
        "{link}"
    );
    // 1500 - 20 (outer IPv4) - 4 (GRE) - 14 (inner Ethernet), as the VM notes' MTU table says.
    assert_eq!(link["mtu"], 1462, "{link}");
}

#[test]
fn l2tp_tunnel_and_session_exist_in_the_guest_kernel() {
    let ns = Netns::new("l2tp");
    underlay(&ns);
    ip(
        &ns,
        "l2tp add tunnel tunnel_id 10 peer_tunnel_id 20 encap udp \
         local 192.0.2.1 remote 192.0.2.2 udp_sport 1701 udp_dport 1701",
    );
    ip(
        &ns,
        "l2tp add session name l2tpeth0 tunnel_id 10 session_id 1 peer_session_id 2",
    );

    let tunnels = ns.ip_json(&["l2tp", "show", "tunnel"]);
    assert_eq!(tunnels.as_array().map(Vec::len), Some(1), "{tunnels}");
    assert_eq!(tunnels[0]["tunnel_id"], 10, "{tunnels}");
    assert_eq!(tunnels[0]["peer_tunnel"], 20, "{tunnels}");
    assert_eq!(tunnels[0]["encap"], "UDP", "{tunnels}");

    let sessions = ns.ip_json(&["l2tp", "show", "session"]);
    assert_eq!(sessions[0]["session_id"], 1, "{sessions}");
    assert_eq!(sessions[0]["interface"], "l2tpeth0", "{sessions}");
    // The session's Ethernet device with iproute2's default l2spec: 1446 on a 1500 underlay.
    let dev = ns.link("l2tpeth0");
    assert_eq!(dev["mtu"], 1446, "{dev}");
}

#[test]
fn l2x_runs_in_the_guest() {
    // CARGO_BIN_EXE_l2x points into the host's target directory, shared read-only with the guest.
    let ns = Netns::new("l2x");
    ns.l2x(&["bridge", "add", "br0"]).ok();
    let br = ns.link("br0");
    assert_eq!(br["linkinfo"]["info_kind"], "bridge", "{br}");
}
