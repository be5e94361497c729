//! gretap and L2TPv3 on a kernel that has them: run inside the VM by tests/vm/run. Two
//! namespace hosts on one underlay, a bridge and a container on each; l2x on both ends, then
//! l2x against a peer configured with iproute2; containers must ping each other both ways.

mod common;

use common::segment::{Host, Segment};
use common::*;
use serde_json::Value;

fn pings_both_ways(seg: &Segment) {
    let (h1, h2) = (seg.host(1), seg.host(2));
    assert!(h1.container_pings(&h2.container_ip), "container 1 -> 2");
    assert!(h2.container_pings(&h1.container_ip), "container 2 -> 1");
}

/// `tunnel gretap gt0` from `me` to `peer`, then `extra`.
fn gretap(me: &Host, peer: &Host, extra: &str) -> String {
    format!(
        "tunnel gretap gt0 --local {} --remote {} {extra}",
        me.underlay, peer.underlay
    )
}

/// `tunnel l2tp l2t0` from `me` to `peer` with tunnel id 10 and session id 20, then `extra`.
fn l2tp(me: &Host, peer: &Host, extra: &str) -> String {
    format!(
        "tunnel l2tp l2t0 --local {} --remote {} --tunnel-id 10 --session-id 20 {extra}",
        me.underlay, peer.underlay
    )
}

#[test]
fn gretap_between_two_l2x_hosts() {
    let seg = Segment::new("gre", 2);
    let (h1, h2) = (seg.host(1), seg.host(2));
    let run = h1
        .ns
        .l2x_line(&gretap(h1, h2, "--key 42 --bridge br0"))
        .ok();
    assert!(
        run.stdout
            .starts_with("tunnel gt0: created (gretap, mtu 1458)\n"),
        "{run:?}"
    );
    assert!(
        run.stdout
            .contains("bridge br0 MTU lowered from 1500 to 1458"),
        "{run:?}"
    );
    h2.ns
        .l2x_line(&gretap(h2, h1, "--key 42 --bridge br0"))
        .ok();
    pings_both_ways(&seg);
    let again = h1
        .ns
        .l2x_line(&gretap(h1, h2, "--key 42 --bridge br0"))
        .ok();
    assert_eq!(again.stdout, "tunnel gt0: unchanged\n");
    let other = h1.ns.l2x_line(&gretap(h1, h2, "--key 43 --bridge br0"));
    other.fails(1, "key 42 (wanted 43)");
}

#[test]
fn gretap_against_iproute2() {
    let seg = Segment::new("greip", 2);
    let (h1, h2) = (seg.host(1), seg.host(2));
    h1.ns.l2x_line(&gretap(h1, h2, "--bridge br0")).ok();
    let peer = format!(
        "link add gt0 type gretap local {} remote {} ttl 255",
        h2.underlay, h1.underlay
    );
    h2.ns.ip_line(&peer);
    h2.ns.ip_line("link set gt0 master br0 up");
    pings_both_ways(&seg);
}

/// A link's `ip -d -j` object without what differs between any two links: index, name, MAC,
/// state.
fn comparable(mut link: Value) -> Value {
    let obj = link.as_object_mut().expect("link object");
    for key in [
        "ifindex",
        "ifname",
        "address",
        "broadcast",
        "link_netnsid",
        "operstate",
        "flags",
    ] {
        obj.remove(key);
    }
    link
}

#[test]
fn gretap_made_by_l2x_reads_like_one_made_by_ip() {
    let cases = [
        ("gretap", "192.0.2.1", "192.0.2.2", "key 7"),
        ("ip6gretap", "fd00::1", "fd00::2", ""),
    ];
    for (kind, local, remote, key) in cases {
        let ours = Netns::new("gre-ours");
        let theirs = Netns::new("gre-theirs");
        let flag = if key.is_empty() {
            String::new()
        } else {
            format!("--{key}")
        };
        ours.l2x_line(&format!(
            "tunnel gretap gt0 --local {local} --remote {remote} {flag}"
        ))
        .ok();
        theirs.ip_line(&format!(
            "link add gt0 type {kind} local {local} remote {remote} ttl 255 {key}"
        ));
        theirs.ip_line("link set gt0 up");
        assert_eq!(
            comparable(ours.link("gt0")),
            comparable(theirs.link("gt0")),
            "{kind}"
        );
    }
}

#[test]
fn l2tp_over_udp_and_ip_between_two_l2x_hosts() {
    for (encap, mtu) in [("udp", 1446), ("ip", 1458)] {
        let seg = Segment::new(&format!("l2tp{encap}"), 2);
        let (h1, h2) = (seg.host(1), seg.host(2));
        let extra = format!("--encap {encap} --bridge br0");
        let run = h1.ns.l2x_line(&l2tp(h1, h2, &extra)).ok();
        let created = format!("tunnel l2t0: created (l2tp, mtu {mtu})\n");
        assert!(run.stdout.starts_with(&created), "{encap}: {run:?}");
        h2.ns.l2x_line(&l2tp(h2, h1, &extra)).ok();
        pings_both_ways(&seg);
        let again = h1.ns.l2x_line(&l2tp(h1, h2, &extra)).ok();
        assert_eq!(again.stdout, "tunnel l2t0: unchanged\n");
    }
}

#[test]
fn l2tp_with_cookies_against_iproute2() {
    let seg = Segment::new("l2tpip2", 2);
    let (h1, h2) = (seg.host(1), seg.host(2));
    let ours = "--peer-tunnel-id 11 --peer-session-id 21 --cookie 0a0b0c0d --peer-cookie 01020304";
    h1.ns
        .l2x_line(&l2tp(h1, h2, &format!("{ours} --bridge br0")))
        .ok();
    h2.ns.ip_line(&format!(
        "l2tp add tunnel tunnel_id 11 peer_tunnel_id 10 encap udp local {} remote {} udp_sport 1701 udp_dport 1701",
        h2.underlay, h1.underlay
    ));
    h2.ns.ip_line(
        "l2tp add session name l2t0 tunnel_id 11 session_id 21 peer_session_id 20 cookie 01020304 peer_cookie 0a0b0c0d",
    );
    h2.ns.ip_line("link set l2t0 master br0 up");
    pings_both_ways(&seg);

    let doc = h1.ns.l2x(&["-j", "tunnel", "show", "l2t0"]).ok().json();
    let t = &doc["tunnels"][0];
    assert_eq!(t["kind"], "l2tp");
    assert_eq!(t["l2tp"]["peer_tunnel_id"], 11);
    assert_eq!(t["l2tp"]["peer_session_id"], 21);
    assert_eq!(t["remotes"][0], h2.underlay.as_str());
}

#[test]
fn l2tp_made_by_l2x_reads_like_one_made_by_ip() {
    let ours = Netns::new("l2tp-ours");
    let theirs = Netns::new("l2tp-theirs");
    for ns in [&ours, &theirs] {
        ns.veth("u0", "u1");
        ns.ip_line("addr add 192.0.2.1/24 dev u0");
        ns.ip_line("link set u0 up");
        ns.ip_line("link set u1 up");
    }
    ours.l2x_line(
        "tunnel l2tp l2t0 --local 192.0.2.1 --remote 192.0.2.2 --tunnel-id 10 --peer-tunnel-id 20 \
         --session-id 30 --peer-session-id 40 --cookie 0102030405060708",
    )
    .ok();
    theirs.ip_line(
        "l2tp add tunnel tunnel_id 10 peer_tunnel_id 20 encap udp local 192.0.2.1 remote 192.0.2.2 \
         udp_sport 1701 udp_dport 1701",
    );
    theirs.ip_line(
        "l2tp add session name l2t0 tunnel_id 10 session_id 30 peer_session_id 40 cookie 0102030405060708",
    );
    for what in ["tunnel", "session"] {
        let show = ["l2tp", "show", what];
        assert_eq!(ours.ip_json(&show), theirs.ip_json(&show), "{what}");
    }
}

fn count(ns: &Netns, what: &str) -> usize {
    ns.ip_json(&["l2tp", "show", what])
        .as_array()
        .map_or(0, Vec::len)
}

#[test]
fn l2tp_del_removes_the_session_and_then_its_tunnel() {
    let seg = Segment::new("l2tpdel", 2);
    let (h1, h2) = (seg.host(1), seg.host(2));
    h1.ns.l2x_line(&l2tp(h1, h2, "")).ok();
    // A second session in the same tunnel shares it.
    let second = l2tp(h1, h2, "")
        .replace("l2t0", "l2t1")
        .replace("--session-id 20", "--session-id 21");
    h1.ns.l2x_line(&second).ok();
    assert_eq!((count(&h1.ns, "tunnel"), count(&h1.ns, "session")), (1, 2));

    h1.ns.l2x(&["tunnel", "del", "l2t0"]).ok();
    assert_eq!((count(&h1.ns, "tunnel"), count(&h1.ns, "session")), (1, 1));
    h1.ns.l2x(&["tunnel", "del", "l2t1"]).ok();
    assert_eq!((count(&h1.ns, "tunnel"), count(&h1.ns, "session")), (0, 0));
    assert!(!h1.ns.has_link("l2t1"));
}

#[test]
fn l2tp_tunnel_with_other_settings_is_not_reused() {
    let seg = Segment::new("l2tpconf", 2);
    let (h1, h2) = (seg.host(1), seg.host(2));
    h1.ns.l2x_line(&l2tp(h1, h2, "")).ok();
    let other = l2tp(h1, h2, "--dport 1702")
        .replace("l2t0", "l2t1")
        .replace("--session-id 20", "--session-id 21");
    let run = h1.ns.l2x_line(&other);
    run.fails(
        1,
        "l2tp tunnel 10 exists with other settings: dport 1701 (wanted 1702)",
    );
    assert!(!h1.ns.has_link("l2t1"));
}
