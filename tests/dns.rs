//! The DNS server that `dhcp serve` runs on the bridge's address, asked by real resolver
//! clients in container namespaces: `dig` (bind9-dnsutils) and the container's own libc
//! (`getent hosts`, reading the resolv.conf its DHCP client wrote from options 6 and 15). The
//! names are those of real DHCP clients (busybox udhcpc with `-x hostname:`, ISC dhclient);
//! names outside the domain go to a stand-in upstream, dnsmasq in DNS-only mode in an
//! "internet" namespace.

mod common;

use std::fs;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::dhcp_lab::*;
use common::*;

/// The upstream's one name and its address.
const UPSTREAM_NAME: &str = "www.example.net";
const UPSTREAM_ADDR: &str = "198.51.100.7";
const UPSTREAM: &str = "192.0.2.53";

/// udhcpc's script as a container's would be: the address, and a resolv.conf made of what
/// the lease says ($dns: option 6, $domain: option 15), kept at RESOLV.
const RESOLV_SCRIPT: &str = r#"#!/bin/sh
case "$1" in
  bound|renew)
    ip addr replace "$ip/${mask:-24}" dev "$interface"
    { [ -n "$domain" ] && echo "search $domain"
      for s in $dns; do echo "nameserver $s"; done; } > RESOLV ;;
esac
exit 0
"#;

/// The "internet": a namespace behind the server's, at 192.0.2.53, where dnsmasq answers
/// www.example.net and nothing else. It goes when dropped (dnsmasq with it).
struct Internet {
    _ns: Netns,
    _dnsmasq: Child,
}

fn internet(lab: &Lab) -> Internet {
    let ns = Netns::new("inet");
    lab.host.veth("up0", "up1");
    lab.host.ip(&["link", "set", "up1", "netns", &ns.name]);
    lab.host.ip_line("addr add 192.0.2.1/24 dev up0");
    lab.host.ip_line("link set up0 up");
    ns.ip_line("addr add 192.0.2.53/24 dev up1");
    ns.ip_line("link set up1 up");
    let host_record = format!("--host-record={UPSTREAM_NAME},{UPSTREAM_ADDR}");
    let dnsmasq = Command::new("ip")
        .args(["netns", "exec", &ns.name, "dnsmasq", "--keep-in-foreground"])
        .args(["--conf-file=", "--pid-file=", "--no-resolv", "--no-hosts"])
        .args([
            "--listen-address",
            UPSTREAM,
            "--bind-interfaces",
            &host_record,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("dnsmasq");
    let internet = Internet {
        _ns: ns,
        _dnsmasq: dnsmasq,
    };
    wait_for("dnsmasq to answer", || {
        dig(&lab.host, &["@192.0.2.53", UPSTREAM_NAME, "+short"]) == UPSTREAM_ADDR
    });
    internet
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "waited 10 s for {what}");
        sleep(Duration::from_millis(100));
    }
}

/// `dig ARGS` in `ns`, with one try of 1 s: its output, trimmed.
fn dig(ns: &Netns, args: &[&str]) -> String {
    let mut full = vec!["+tries=1", "+time=1"];
    full.extend_from_slice(args);
    let out = ns.exec("dig", &full);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `getent hosts NAME` in `ns` with `resolv` as its /etc/resolv.conf (bound over it in the
/// private mount namespace `ip netns exec` runs in): the address, if the name resolved.
fn getent(ns: &Netns, resolv: &str, name: &str) -> Option<String> {
    let line = format!("mount --bind {resolv} /etc/resolv.conf && getent hosts {name}");
    let out = ns.exec("sh", &["-c", &line]);
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace().next().map(str::to_string)
}

/// udhcpc once in container `c` with hostname `cN`, writing the lease's resolv.conf at
/// `resolv`: the address it got.
fn udhcpc_with_resolv(lab: &Lab, c: usize, resolv: &str) -> String {
    let script = lab.path(&format!("resolv{c}.sh"));
    fs::write(&script, RESOLV_SCRIPT.replace("RESOLV", resolv)).unwrap();
    run_ok("chmod", &["+x", &script]);
    let Container { ns, iface } = &lab.containers[c];
    let hostname = format!("hostname:c{c}");
    let args = [
        "udhcpc", "-i", iface, "-f", "-q", "-n", "-t", "3", "-T", "1", "-s", &script, "-x",
        &hostname,
    ];
    let out = ns.exec("busybox", &args);
    assert!(out.status.success(), "udhcpc: {out:?}");
    let addr = ns.ip_json(&["-4", "addr", "show", "dev", iface]);
    addr[0]["addr_info"][0]["local"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn clients_resolve_each_other_and_the_internet_through_the_bridge() {
    let mut lab = Lab::new("dns");
    let (c0, c1) = (lab.container(), lab.container());
    let _internet = internet(&lab);
    let run = lab.serve(&["--upstream", UPSTREAM]).ok();
    assert!(run.stdout.contains("with DNS on 10.0.5.1:53"), "{run:?}");

    let resolv = lab.path("c0.resolv");
    let ip0 = udhcpc_with_resolv(&lab, c0, &resolv);
    // Options 6 and 15: the bridge is the DNS server, `lan` the search domain.
    assert_eq!(
        fs::read_to_string(&resolv).unwrap(),
        "search lan\nnameserver 10.0.5.1\n"
    );
    let conf = "send host-name \"c1\";\n\
                request subnet-mask, routers, domain-name-servers, domain-name;\n";
    let (client1, release) = lab.dhclient(c1, conf);
    let bound = lab.wait_events(&lab.containers[c1].iface, false, 1, Duration::from_secs(15));
    let ip1 = bound[0].ip.clone();

    let ns0 = &lab.containers[c0].ns;
    let answer = dig(ns0, &["@10.0.5.1", "c1.lan"]);
    println!("$ dig @10.0.5.1 c1.lan\n{answer}");
    assert!(answer.contains("status: NOERROR"), "{answer}");
    assert!(answer.contains(&format!("c1.lan.\t\t0\tIN\tA\t{ip1}")) || answer.contains(&ip1));
    assert_eq!(dig(ns0, &["@10.0.5.1", "c1.lan", "+short"]), ip1);
    assert_eq!(dig(ns0, &["@10.0.5.1", "c0.lan", "+short"]), ip0);
    assert_eq!(
        dig(ns0, &["@10.0.5.1", "c1", "+short"]),
        ip1,
        "the plain name"
    );
    assert_eq!(dig(ns0, &["@10.0.5.1", "-x", &ip1, "+short"]), "c1.lan.");
    assert_eq!(dig(ns0, &["@10.0.5.1", "+tcp", "c1.lan", "+short"]), ip1);
    let upstream = dig(ns0, &["@10.0.5.1", UPSTREAM_NAME]);
    println!("$ dig @10.0.5.1 {UPSTREAM_NAME}\n{upstream}");
    assert_eq!(
        dig(ns0, &["@10.0.5.1", UPSTREAM_NAME, "+short"]),
        UPSTREAM_ADDR
    );
    let missing = dig(ns0, &["@10.0.5.1", "nobody.lan"]);
    assert!(missing.contains("status: NXDOMAIN"), "{missing}");

    // The container's own libc, through the resolv.conf its lease gave it.
    assert_eq!(getent(ns0, &resolv, "c1").as_deref(), Some(ip1.as_str()));
    assert_eq!(
        getent(ns0, &resolv, "c1.lan").as_deref(),
        Some(ip1.as_str())
    );
    assert_eq!(
        getent(ns0, &resolv, UPSTREAM_NAME).as_deref(),
        Some(UPSTREAM_ADDR)
    );

    // A released lease takes its name along, at once.
    drop(client1);
    let mut args = vec!["-r"];
    args.extend(release.iter().map(String::as_str));
    let out = lab.containers[c1].ns.exec("dhclient", &args);
    assert!(out.status.success(), "dhclient -r: {out:?}");
    wait_for("the server to record the release", || {
        lab.server_log().contains(&format!("RELEASE {ip1}"))
    });
    let gone = dig(ns0, &["@10.0.5.1", "c1.lan"]);
    assert!(gone.contains("status: NXDOMAIN"), "{gone}");
    assert_eq!(dig(ns0, &["@10.0.5.1", "-x", &ip1, "+short"]), "");

    // And so does a lease forgotten by hand.
    let run = lab.host.l2x(&["dhcp", "forget", "br0", &ip0]).ok();
    assert!(
        run.stdout.starts_with(&format!("dhcp br0: forgot {ip0} (")),
        "{run:?}"
    );
    assert!(run.stdout.contains(", c0)"), "{run:?}");
    assert_eq!(dig(ns0, &["@10.0.5.1", "c0.lan", "+short"]), "");
    let listed = lab.leases();
    assert_eq!(listed["leases"], serde_json::json!([]), "{listed}");
    let again = lab.host.l2x(&["dhcp", "forget", "br0", &ip0]).ok();
    assert!(
        again.stdout.contains("unchanged (no active lease"),
        "{again:?}"
    );
}

#[test]
fn reservations_have_names_and_dns_can_be_left_to_others() {
    let mut lab = Lab::new("dnsres");
    let c = lab.container();
    let mac = lab.mac(c).to_uppercase().replace(':', "-");
    let host = format!("{mac}=10.0.5.20,web");
    lab.serve(&[
        "--upstream",
        UPSTREAM,
        "--host",
        &host,
        "--host",
        "printer=10.0.5.21",
    ])
    .ok();
    let ns = &lab.containers[c].ns;
    ns.ip(&[
        "addr",
        "add",
        "10.0.5.30/24",
        "dev",
        &lab.containers[c].iface,
    ]);
    // Names of reservations resolve before their machines ever ask.
    assert_eq!(dig(ns, &["@10.0.5.1", "web.lan", "+short"]), "10.0.5.20");
    assert_eq!(
        dig(ns, &["@10.0.5.1", "printer.lan", "+short"]),
        "10.0.5.21"
    );
    ns.ip(&["addr", "flush", "dev", &lab.containers[c].iface]);
    // The MAC, spelt the Windows way, gets its address.
    assert_eq!(lab.udhcpc_once(c).as_deref(), Some("10.0.5.20"));
    lab.stop().ok();

    // --dns names another server: no DNS server handed out is ours, no domain either.
    let resolv = lab.path("other.resolv");
    lab.serve(&["--dns", "192.0.2.53"]).ok();
    udhcpc_with_resolv(&lab, c, &resolv);
    assert_eq!(
        fs::read_to_string(&resolv).unwrap(),
        "nameserver 192.0.2.53\n"
    );
    lab.stop().ok();
    // --no-dns: nothing answers on port 53.
    let run = lab.serve(&["--no-dns"]).ok();
    assert!(!run.stdout.contains("DNS"), "{run:?}");
    let ns = &lab.containers[c].ns;
    assert!(dig(ns, &["@10.0.5.1", "web.lan", "+short"]).contains("no servers could be reached"));
}

#[test]
fn port_53_taken_is_refused_naming_the_holder() {
    let lab = Lab::new("dnstaken");
    let mut dnsmasq = Command::new("ip")
        .args([
            "netns",
            "exec",
            &lab.host.name,
            "dnsmasq",
            "--keep-in-foreground",
        ])
        .args(["--conf-file=", "--pid-file=", "--no-resolv", "--no-hosts"])
        .args(["--listen-address", "10.0.5.1", "--bind-interfaces"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("dnsmasq");
    wait_for("dnsmasq to listen", || {
        dig(&lab.host, &["@10.0.5.1", "x.lan"]).contains("status:")
    });
    let pid = dnsmasq.id();
    lab.serve(&[]).fails(
        1,
        &format!("port 53 on 10.0.5.1 is taken by dnsmasq (pid {pid})"),
    );
    assert!(
        !std::path::Path::new(&lab.path("pid")).exists(),
        "nothing half-made"
    );
    let _ = dnsmasq.kill();
    let _ = dnsmasq.wait();
}

/// A flood of 500-byte queries (the most a client may send without EDNS is 512) from one
/// container: the server answers no more bytes than it was sent, and goes on answering.
#[test]
fn a_flood_of_500_byte_queries_gets_a_bounded_answer() {
    let mut lab = Lab::new("dnsflood");
    let c = lab.container();
    lab.serve(&["--upstream", UPSTREAM]).ok();
    let ip = lab.udhcpc_once(c).unwrap();
    let ns = &lab.containers[c].ns;
    let out = ns.exec("python3", &["-c", FLOOD]);
    assert!(out.status.success(), "{out:?}");
    let report = String::from_utf8_lossy(&out.stdout);
    let [sent, got, answers]: [u64; 3] = report
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect::<Vec<_>>()
        .try_into()
        .unwrap();
    assert_eq!(sent, 2000 * 500);
    assert!(got <= sent, "{got} bytes answered to {sent} sent");
    assert!(answers > 0, "no answer at all");
    assert_eq!(
        dig(ns, &["@10.0.5.1", "c0.lan", "+short"]),
        ip,
        "still answering"
    );
}

/// 2,000 queries for c0.lan padded with an EDNS padding option to 500 bytes; prints the bytes
/// sent, the bytes answered and the number of answers.
const FLOOD: &str = r#"
import socket, struct, time
name = b"\x02c0\x03lan\x00"
head = struct.pack(">HHHHHH", 0, 0x0100, 1, 0, 0, 1) + name + struct.pack(">HH", 1, 1)
pad = 500 - len(head) - 11 - 4
opt = b"\x00" + struct.pack(">HHIH", 41, 1232, 0, 4 + pad) + struct.pack(">HH", 12, pad) + bytes(pad)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("10.0.5.1", 53))
s.setblocking(False)
sent = got = answers = 0
for i in range(2000):
    q = struct.pack(">H", i) + head[2:] + opt
    assert len(q) == 500
    s.send(q)
    sent += len(q)
    try:
        while True:
            got += len(s.recv(4096)); answers += 1
    except BlockingIOError:
        pass
end = time.time() + 1
while time.time() < end:
    try:
        got += len(s.recv(4096)); answers += 1
    except BlockingIOError:
        time.sleep(0.01)
print(sent, got, answers)
"#;

/// `dhcp request --resolv-conf`: the container's resolv.conf becomes the lease's options 6
/// and 15, and its libc resolves the segment's names with it.
#[test]
fn dhcp_request_writes_the_leases_resolv_conf() {
    let mut lab = Lab::new("dnsreq");
    let c = lab.container();
    lab.serve(&["--domain", "example.lan", "--host", "printer=10.0.5.21"])
        .ok();
    let resolv = lab.path("resolv.conf");
    fs::write(&resolv, "nameserver 192.0.2.99\n").unwrap();
    let Container { ns, iface } = &lab.containers[c];
    let run = ns
        .l2x(&[
            "dhcp",
            "request",
            iface,
            "--resolv-conf",
            &resolv,
            "--hostname",
            "box",
        ])
        .ok();
    assert!(
        run.stdout
            .contains(&format!(", dns 10.0.5.1 search example.lan in {resolv}\n")),
        "{run:?}"
    );
    assert_eq!(
        fs::read_to_string(&resolv).unwrap(),
        format!(
            "# from the DHCP lease of {iface} (l2x dhcp request)\nsearch example.lan\n\
             nameserver 10.0.5.1\n"
        )
    );
    assert_eq!(getent(ns, &resolv, "printer").as_deref(), Some("10.0.5.21"));
    // --hostname: the lease's name.
    let addr = ns.ip_json(&["-4", "addr", "show", "dev", iface]);
    let ip = addr[0]["addr_info"][0]["local"].as_str().unwrap();
    assert_eq!(getent(ns, &resolv, "box").as_deref(), Some(ip));
}
