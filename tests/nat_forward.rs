//! `nat forward` and `nat map` on a stretched segment: an "internet" host on the underlay
//! reaches a container on the other host (across the tunnel) through the router's public
//! address; a container on the segment reaches it the same way (hairpin); the tables are the
//! ones the same rules typed with nft make; a 1:1 map gives the container a public address of
//! its own, both ways; `nat del` removes exactly what each made.

mod common;

use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::Duration;

use common::nft::{l2x_table, nft_script};
use common::segment::Segment;
use common::*;

const INTERNET: &str = "192.0.2.254";

/// Two hosts joined by VXLAN; host 1 routes the segment (br0 10.0.5.1/24) and is on the
/// underlay at 192.0.2.1, where the wan bridge's own address plays the internet host. Every
/// container's default route is host 1.
fn routed_segment(tag: &str) -> Segment {
    let seg = Segment::new(tag, 2);
    seg.wan.ip_line(&format!("addr add {INTERNET}/24 dev wan0"));
    let (h1, h2) = (seg.host(1), seg.host(2));
    for (me, peer) in [(h1, h2), (h2, h1)] {
        me.ns
            .l2x_line(&format!(
                "tunnel vxlan vx0 --vni 42 --local {} --remote {} --bridge br0",
                me.underlay, peer.underlay
            ))
            .ok();
        me.container.ip_line("link set eth0 mtu 1450");
        me.container.ip_line("route add default via 10.0.5.1");
    }
    h1.ns.ip_line("addr add 10.0.5.1/24 dev br0");
    seg
}

/// A TCP server in `ns` on `port` that answers each connection with the address it came
/// from, so the far side says what source address arrived.
fn echo_peer(ns: &Netns, port: u16) -> Child {
    let script = format!(
        "import socket\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n\
         s.bind(('0.0.0.0',{port}))\ns.listen(8)\nwhile True:\n c,a=s.accept()\n \
         c.sendall(a[0].encode())\n c.close()\n"
    );
    let child = Command::new("ip")
        .args(["netns", "exec", &ns.name, "python3", "-c", &script])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3");
    sleep(Duration::from_millis(500));
    child
}

/// What the server at `ip:port` says the connection from `ns` came from.
fn seen_from(ns: &Netns, ip: &str, port: u16) -> String {
    let script = format!(
        "import socket\ns=socket.create_connection(('{ip}',{port}),timeout=5)\n\
         print(s.recv(64).decode())\n"
    );
    let out = ns.exec("python3", &["-c", &script]);
    assert!(
        out.status.success(),
        "{} could not connect to {ip}:{port}: {}",
        ns.name,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn a_forwarded_port_reaches_a_container_across_the_segment() {
    let seg = routed_segment("fwd");
    let (h1, h2) = (seg.host(1), seg.host(2));
    nft_script(&h1.ns, "add table inet keep\nadd chain inet keep c");
    let before_other = l2x_table_other(&h1.ns);
    let mut server = echo_peer(&h2.container, 80);

    let run = h1
        .ns
        .l2x_line("nat forward --port 8080 --to 10.0.5.12:80")
        .ok();
    assert!(
        run.stdout
            .starts_with("nat tcp 8080 to 10.0.5.12:80 hairpin 10.0.5.0/24: forward added\n"),
        "{run:?}"
    );
    // The internet reaches the container; the container sees the internet's own address.
    assert_eq!(seen_from(&seg.wan, "192.0.2.1", 8080), INTERNET);
    // A container on the segment reaches it through the public address too (hairpin), as
    // the router: the reply must come back the way the connection went.
    assert_eq!(seen_from(&h1.container, "192.0.2.1", 8080), "10.0.5.1");
    // And the host itself, from its own address (the output chain's forward).
    assert_eq!(seen_from(&h1.ns, "192.0.2.1", 8080), "192.0.2.1");

    // The table is the one the same rules typed with nft make.
    let typed = Netns::new("fwd-typed");
    nft_script(
        &typed,
        "add table ip l2x
         add chain ip l2x prerouting { type nat hook prerouting priority -100; policy accept; }
         add chain ip l2x output { type nat hook output priority -100; policy accept; }
         add chain ip l2x postrouting { type nat hook postrouting priority 100; policy accept; }
         add rule ip l2x prerouting fib daddr type local tcp dport 8080 dnat to 10.0.5.12:80
         add rule ip l2x output ip daddr != 127.0.0.0/8 fib daddr type local tcp dport 8080 dnat to 10.0.5.12:80
         add rule ip l2x postrouting ip saddr 10.0.5.0/24 ip daddr 10.0.5.12 tcp dport 80 ct status dnat masquerade",
    );
    assert_eq!(l2x_table(&h1.ns), l2x_table(&typed));
    let again = h1
        .ns
        .l2x_line("nat forward --port 8080 --to 10.0.5.12:80")
        .ok();
    assert!(again.stdout.contains(": unchanged\n"), "{again:?}");
    let show = h1.ns.l2x_line("-j nat show").ok().json();
    assert_eq!(show["nat"]["forwards"][0]["to"], "10.0.5.12");
    assert_eq!(show["nat"]["forwards"][0]["hairpin"], "10.0.5.0/24");

    // nat del removes it and nothing else.
    let del = h1.ns.l2x_line("nat del --port 8080 --to 10.0.5.12:80").ok();
    assert!(del.stdout.contains("forward deleted"), "{del:?}");
    assert!(l2x_table(&h1.ns).is_empty());
    assert_eq!(l2x_table_other(&h1.ns), before_other);
    let _ = server.kill();
    let _ = server.wait();
}

/// Table inet keep, which l2x must never touch.
fn l2x_table_other(ns: &Netns) -> String {
    let out = ns.exec("nft", &["-j", "list", "table", "inet", "keep"]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_map_gives_a_container_a_public_address_both_ways() {
    let seg = routed_segment("map");
    let (h1, h2) = (seg.host(1), seg.host(2));
    let mut on80 = echo_peer(&h2.container, 80);
    let mut on9000 = echo_peer(&h2.container, 9000);
    let mut outside = echo_peer(&seg.wan, 7000);

    let run = h1
        .ns
        .l2x_line("nat map --public 192.0.2.7 --to 10.0.5.12 --in up1")
        .ok();
    assert!(
        run.stdout.contains("address 192.0.2.7/32 on up1: created"),
        "{run:?}"
    );
    assert!(
        run.stdout
            .contains("nat 192.0.2.7 to 10.0.5.12 in up1: map added"),
        "{run:?}"
    );
    let addr = h1.ns.ip_json(&["addr", "show", "dev", "up1"]);
    let public = addr[0]["addr_info"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["local"] == "192.0.2.7")
        .cloned()
        .expect("the public address on up1");
    assert_eq!(public["label"], "up1:l2x");

    // Every port of the public address reaches the container...
    assert_eq!(seen_from(&seg.wan, "192.0.2.7", 80), INTERNET);
    assert_eq!(seen_from(&seg.wan, "192.0.2.7", 9000), INTERNET);
    // ...and the container's own connections leave with it.
    assert_eq!(seen_from(&h2.container, INTERNET, 7000), "192.0.2.7");

    let del = h1
        .ns
        .l2x_line("nat del --public 192.0.2.7 --to 10.0.5.12 --in up1")
        .ok();
    assert!(del.stdout.contains("map deleted"), "{del:?}");
    assert!(
        del.stdout.contains("address 192.0.2.7/32 on up1: deleted"),
        "{del:?}"
    );
    assert!(l2x_table(&h1.ns).is_empty());
    assert_eq!(h1.ns.global_addresses("up1"), ["192.0.2.1/24"]);
    for c in [&mut on80, &mut on9000, &mut outside] {
        let _ = c.kill();
        let _ = c.wait();
    }
}
