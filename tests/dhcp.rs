//! The DHCP server against real clients (busybox udhcpc, ISC dhclient, dhcpcd), each in a
//! namespace of its own behind a bridge, as containers are. What a client received is what its
//! script was told; what it configured is read back with `ip -j`.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::dhcp_lab::*;
use common::*;

/// Waits until a client daemon has bound and renewed once, and checks what it was told; then
/// kills the server with -9, starts it again with `serve` options, and waits for the next
/// renewal, which must keep the address too.
fn bound_then_renewed(lab: &Lab, c: usize, limit: Duration, serve: &[&str]) {
    let iface = &lab.containers[c].iface;
    let bound = lab.wait_events(iface, false, 1, Duration::from_secs(15));
    let b = &bound[0];
    assert!(in_range(&b.ip), "{b:?}");
    assert_eq!(
        (b.router.as_str(), b.mtu.as_str()),
        ("10.0.5.1", PORT_MTU),
        "{b:?}"
    );
    let renewed = lab.wait_events(iface, true, 1, limit);
    assert_eq!(renewed[0].ip, b.ip, "a renewal must keep the address");
    let leases = lab.leases();
    assert_eq!(leases["leases"][0]["ip"], b.ip.as_str(), "{leases}");

    lab.kill_server();
    lab.serve(serve).ok();
    let renewed = lab.wait_events(iface, true, 2, limit);
    assert_eq!(renewed[1].ip, b.ip, "renewed after the restart");
}

#[test]
fn udhcpc_gets_an_address_router_and_mtu_and_renews() {
    let mut lab = Lab::new("udhcpc");
    let c = lab.container();
    let serve = ["--lease-time", "6s"];
    lab.serve(&serve).ok();
    let script = lab.path("client.sh");
    let iface = lab.containers[c].iface.clone();
    let _client = lab.spawn(
        c,
        "busybox",
        &["udhcpc", "-i", &iface, "-f", "-s", &script, "-O", "mtu"],
    );
    bound_then_renewed(&lab, c, Duration::from_secs(15), &serve);
    let ns = &lab.containers[c].ns;
    let addr = ns.ip_json(&["-4", "addr", "show", "dev", &iface]);
    assert!(
        in_range(addr[0]["addr_info"][0]["local"].as_str().unwrap()),
        "{addr}"
    );
}

#[test]
fn dhclient_gets_an_address_router_and_mtu_and_renews() {
    let mut lab = Lab::new("dhclient");
    let c = lab.container();
    let serve = ["--lease-time", "8s"];
    lab.serve(&serve).ok();
    let (_client, _) = lab.dhclient(c, "request subnet-mask, routers, interface-mtu;\n");
    bound_then_renewed(&lab, c, Duration::from_secs(15), &serve);
}

#[test]
fn dhcpcd_gets_an_address_router_and_mtu_and_renews() {
    let mut lab = Lab::new("dhcpcd");
    let c = lab.container();
    // dhcpcd takes no lease shorter than 20 s.
    let serve = ["--lease-time", "20s"];
    lab.serve(&serve).ok();
    let script = lab.path("client.sh");
    let iface = lab.containers[c].iface.clone();
    let args = [
        "-4",
        "-B",
        "-f",
        "/dev/null",
        "-c",
        &script,
        "-o",
        "interface_mtu",
        &iface,
    ];
    let _client = lab.spawn(c, "dhcpcd", &args);
    bound_then_renewed(&lab, c, Duration::from_secs(25), &serve);
    // dhcpcd configures address and routes itself (the MTU is left to its hook scripts,
    // which the test script replaces): the kernel says so.
    let ns = &lab.containers[c].ns;
    let routes = ns.ip_json(&["-4", "route", "show", "default"]);
    assert_eq!(routes[0]["gateway"], "10.0.5.1", "{routes}");
}

#[test]
fn the_l2x_client_configures_address_route_and_mtu() {
    let mut lab = Lab::new("request");
    let c = lab.container();
    lab.serve(&[]).ok();
    let Container { ns, iface } = &lab.containers[c];
    let run = ns.l2x(&["dhcp", "request", iface, "--timeout", "10s"]).ok();
    assert!(run.stdout.contains("via 10.0.5.1 mtu 1400"), "{run:?}");
    let addr = ns.ip_json(&["-4", "addr", "show", "dev", iface]);
    let info = &addr[0]["addr_info"][0];
    assert!(in_range(info["local"].as_str().unwrap()), "{addr}");
    assert_eq!(info["prefixlen"], 24);
    assert_eq!(ns.link(iface)["mtu"], 1400);
    let routes = ns.ip_json(&["-4", "route", "show", "default"]);
    assert_eq!(routes[0]["gateway"], "10.0.5.1", "{routes}");
}

#[test]
fn a_reservation_is_honoured() {
    let mut lab = Lab::new("reserve");
    let (a, b) = (lab.container(), lab.container());
    let host = format!("{}=10.0.5.140", lab.mac(b));
    lab.serve(&["--host", &host]).ok();
    assert_eq!(lab.udhcpc_once(a).as_deref(), Some("10.0.5.100"));
    assert_eq!(lab.udhcpc_once(b).as_deref(), Some("10.0.5.140"));
}

#[test]
fn an_exhausted_pool_offers_nothing_and_says_so() {
    let mut lab = Lab::new("exhaust");
    let (a, b) = (lab.container(), lab.container());
    lab.serve(&["--range", "10.0.5.100-10.0.5.100"]).ok();
    assert_eq!(lab.udhcpc_once(a).as_deref(), Some("10.0.5.100"));
    assert_eq!(lab.udhcpc_once(b), None);
    let log = lab.server_log();
    let line = format!("dhcp br0: no free address for {}", lab.mac(b));
    assert!(log.contains(&line), "{log}");
}

/// The issue's "must show": a lease survives kill -9 of the server, and the restarted server
/// (whose stale pid file must not stop it) gives each client its address again.
#[test]
fn leases_survive_kill_9_and_restart() {
    let mut lab = Lab::new("crash");
    let clients: Vec<usize> = (0..3).map(|_| lab.container()).collect();
    let run = lab.serve(&[]).ok();
    assert!(
        run.stdout
            .starts_with("dhcp br0: serving 10.0.5.100-10.0.5.150 (pid "),
        "{run:?}"
    );
    let before: Vec<String> = clients
        .iter()
        .map(|&c| lab.udhcpc_once(c).unwrap())
        .collect();
    let listed = lab.leases();
    assert_eq!(listed["leases"].as_array().unwrap().len(), 3, "{listed}");
    assert_eq!(listed["leases"][0]["mac"], lab.mac(clients[0]).as_str());
    assert_eq!(
        listed["leases"][0]["hostname"], "c0",
        "the hostname is recorded"
    );

    lab.kill_server();
    // As if the crash had cut a line short: skipped with a warning, never fatal.
    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(lab.path("leases"))
        .unwrap();
    std::io::Write::write_all(&mut file, b"10.0.5.149 bound 17").unwrap();
    lab.serve(&[]).ok();
    // Asked in the reverse order, so handing out addresses afresh would give others.
    for &c in clients.iter().rev() {
        assert_eq!(lab.udhcpc_once(c).as_ref(), Some(&before[c]), "client {c}");
    }
    let log = lab.server_log();
    assert!(log.contains("unfinished last line"), "{log}");
    assert!(log.contains("3 active leases"), "{log}");
}

#[test]
fn a_client_on_another_interface_gets_no_answer() {
    let mut lab = Lab::new("elsewhere");
    let bridged = lab.container();
    lab.serve(&[]).ok();
    // A veth of the server's namespace that is not a port of br0, addressed in the same subnet.
    let outside = Netns::new("out");
    lab.host
        .ip(&["link", "add", "o0", "type", "veth", "peer", "name", "o1"]);
    lab.host.ip(&["addr", "add", "10.0.5.2/24", "dev", "o0"]);
    lab.host.ip(&["link", "set", "o0", "up"]);
    lab.host.ip(&["link", "set", "o1", "netns", &outside.name]);
    outside.ip(&["link", "set", "o1", "up"]);
    let out = outside.exec(
        "busybox",
        &[
            "udhcpc",
            "-i",
            "o1",
            "-f",
            "-q",
            "-n",
            "-t",
            "3",
            "-T",
            "1",
            "-s",
            "/bin/true",
        ],
    );
    assert!(!out.status.success(), "a client outside br0 got a lease");
    let start = Instant::now();
    outside
        .l2x(&["dhcp", "request", "o1", "--timeout", "2s"])
        .fails(
            1,
            "dhcp request o1: timed out: no answer from a DHCP server",
        );
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(lab.udhcpc_once(bridged).is_some());
}

#[test]
fn malformed_packets_are_ignored_and_serving_goes_on() {
    let mut lab = Lab::new("garbage");
    let (sender, client) = (lab.container(), lab.container());
    lab.serve(&[]).ok();
    let Container { ns, iface } = &lab.containers[sender];
    ns.ip(&["addr", "add", "10.0.5.99/24", "dev", iface]);
    let out = ns.exec("python3", &["-c", GARBAGE, iface]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(lab.udhcpc_once(client).is_some(), "{}", lab.server_log());
    run_ok("kill", &["-0", &lab.server_pid()]);
}

/// Datagrams to port 67, unicast and broadcast: empty, truncated, a reply instead of a
/// request, no magic cookie, option lengths running past the end, a message type of the
/// wrong length, random bytes.
const GARBAGE: &str = r#"
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, sys.argv[1].encode())
s.bind(("0.0.0.0", 68))
def msg(op=1, cookie=b"\x63\x82\x53\x63", opts=b"\x35\x01\x01\xff"):
    return bytes([op, 1, 6, 0]) + os.urandom(4) + bytes(20) + bytes.fromhex("020000000099") + bytes(202) + cookie + opts
bad = [b"", b"\x01", msg()[:100], msg()[:239], msg(op=2), msg(cookie=b"\x00\x00\x00\x00"),
       msg(opts=b"\x35\xff\x01"), msg(opts=b"\x35\x02\x01\x01\x32\x09\x0a\xff"),
       msg(opts=b"\x3d\x00\x35\x01\x03\xff"), msg(opts=b"\x35\x01\x63\xff")]
bad += [os.urandom(n) for n in (50, 240, 300, 576, 1400) for _ in range(20)]
for dst in ("10.0.5.1", "255.255.255.255"):
    for b in bad:
        s.sendto(b, (dst, 67))
"#;

#[test]
fn a_second_serve_with_the_same_settings_is_unchanged_and_stop_stops_the_first() {
    let mut lab = Lab::new("second");
    lab.container();
    lab.serve(&[]).ok();
    let pid = lab.server_pid();
    assert_eq!(lab.serve(&[]).ok().stdout, "dhcp br0: unchanged\n");
    assert_eq!(lab.server_pid(), pid, "the first server goes on serving");
    let run = lab.stop().ok();
    assert_eq!(run.stdout, format!("dhcp br0: stopped (pid {pid})\n"));
    assert!(!Path::new(&lab.path("pid")).exists());
    assert_eq!(lab.stop().ok().stdout, "dhcp br0: not running\n");
}

#[test]
fn default_paths_carry_the_namespace() {
    let mut lab = Lab::new("paths");
    let c = lab.container();
    let ns = lab.host.name.clone();
    let pid = PathBuf::from(format!("/run/l2x/{ns}/dhcp-br0.pid"));
    let leases = PathBuf::from(format!("/var/lib/l2x/{ns}/dhcp-br0.leases"));
    let _cleanup = RemoveOnDrop(vec![
        pid.parent().unwrap().to_path_buf(),
        leases.parent().unwrap().to_path_buf(),
    ]);
    let run = lab
        .host
        .l2x(&["dhcp", "serve", "br0", "--range", RANGE, "--daemon"]);
    assert!(run.ok().stdout.contains("serving"));
    assert!(pid.exists() && leases.exists());
    let got = lab.udhcpc_once(c).unwrap();
    let listed = lab.host.l2x(&["-j", "dhcp", "leases", "br0"]).ok().json();
    assert_eq!(listed["leases"][0]["ip"], got.as_str());
    // l2x show lists the server with its lease count.
    let shown = lab.host.l2x(&["-j", "show"]).ok().json();
    assert_eq!(shown["dhcp"][0]["bridge"], "br0", "{shown}");
    assert_eq!(shown["dhcp"][0]["leases"], 1, "{shown}");
    lab.host.l2x(&["dhcp", "stop", "br0"]).ok();
    assert!(!pid.exists());
    let shown = lab.host.l2x(&["-j", "show"]).ok().json();
    assert_eq!(shown["dhcp"], serde_json::json!([]), "{shown}");
}

/// Directories removed when a test ends, however it ends.
struct RemoveOnDrop(Vec<PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        for dir in &self.0 {
            let _ = fs::remove_dir_all(dir);
        }
    }
}

#[test]
fn the_foreground_server_stops_cleanly_on_sigterm() {
    let lab = Lab::new("sigterm");
    let (leases, pid) = (lab.path("leases"), lab.path("pid"));
    let args = [
        "-n",
        &lab.host.name,
        "dhcp",
        "serve",
        "br0",
        "--range",
        RANGE,
    ];
    let server = Command::new(env!("CARGO_BIN_EXE_l2x"))
        .args(args)
        .args(["--lease-file", &leases, "--pid-file", &pid])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !Path::new(&pid).exists() || fs::read_to_string(&pid).unwrap().is_empty() {
        assert!(start.elapsed() < Duration::from_secs(5), "no pid file");
        sleep(Duration::from_millis(20));
    }
    run_ok("kill", &["-TERM", &server.id().to_string()]);
    let out = server.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains("dhcp br0: serving 10.0.5.100-10.0.5.150 on br0"),
        "{log}"
    );
    assert!(log.ends_with("dhcp br0: stopped\n"), "{log}");
    assert!(!Path::new(&pid).exists());
}

#[test]
fn bad_command_lines_and_foreign_ranges_are_refused() {
    let lab = Lab::new("refuse");
    let serve = |extra: &[&str]| {
        let mut args = vec![
            "dhcp",
            "serve",
            "br0",
            "--lease-file",
            "/nonexistent/l",
            "--pid-file",
        ];
        let pid = lab.path("pid");
        args.push(&pid);
        args.extend_from_slice(extra);
        lab.host.l2x(&args)
    };
    serve(&["--range", "10.0.5.200-10.0.5.100"]).fails(2, "ends before it starts");
    serve(&["--range", RANGE, "--lease-time", "0s"]).fails(2, "out of range");
    serve(&[
        "--range",
        RANGE,
        "--host",
        "02:00:00:00:00:01=10.0.5.9",
        "--host",
        "02:00:00:00:00:01=10.0.5.8",
    ])
    .fails(2, "02:00:00:00:00:01 is reserved twice");
    serve(&["--range", "10.0.6.10-10.0.6.20"]).fails(1, "not inside a subnet of br0");
    serve(&["--range", RANGE, "--host", "02:00:00:00:00:01=10.0.7.9"]).fails(
        1,
        "reservation 10.0.7.9 for 02:00:00:00:00:01 is not a host address of 10.0.5.1/24",
    );
    lab.host
        .l2x(&[
            "dhcp",
            "serve",
            "nobr0",
            "--range",
            RANGE,
            "--pid-file",
            &lab.path("pid2"),
        ])
        .fails(1, "no such bridge nobr0");
    // Nothing half-made: no pid file, no lease file.
    assert!(!Path::new(&lab.path("pid")).exists() && !Path::new(&lab.path("pid2")).exists());
    assert!(!Path::new("/nonexistent/l").exists());
}

/// perfdhcp acts as a relay (giaddr = its own address), as in the benchmark: relayed
/// exchanges must complete.
#[test]
fn relayed_requests_are_answered_to_the_relay() {
    let mut lab = Lab::new("relay");
    let c = lab.container();
    lab.serve(&[]).ok();
    let Container { ns, iface } = &lab.containers[c];
    ns.ip(&["addr", "add", "10.0.5.2/24", "dev", iface]);
    // -W: wait a second for the last answers before counting them as dropped.
    let args = [
        "-4", "-l", iface, "-r", "20", "-n", "20", "-R", "20", "-u", "-W", "1000000",
    ];
    let out = ns.exec("perfdhcp", &[&args[..], &["10.0.5.1"]].concat());
    let text = String::from_utf8_lossy(&out.stdout);
    let complete = text.matches("received packets: 20\n").count();
    assert_eq!(
        complete,
        2,
        "offers and acks:\n{text}\n{}",
        lab.server_log()
    );
    assert_eq!(lab.leases()["leases"].as_array().unwrap().len(), 20);
}

/// A daemon leaves its working directory: relative file names still name the same files.
#[test]
fn relative_paths_name_the_same_files_for_a_daemon() {
    let mut lab = Lab::new("relative");
    let c = lab.container();
    let in_dir = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_l2x"));
        cmd.args(["-n", &lab.host.name])
            .args(args)
            .current_dir(&lab.dir);
        l2x_cmd(&mut cmd)
    };
    let files = ["--lease-file", "leases", "--pid-file", "pid"];
    in_dir(
        &[
            &["dhcp", "serve", "br0", "--range", RANGE, "--daemon"][..],
            &files[..],
        ]
        .concat(),
    )
    .ok();
    let got = lab.udhcpc_once(c).unwrap();
    let listed = in_dir(&["-j", "dhcp", "leases", "br0", "--lease-file", "leases"])
        .ok()
        .json();
    assert_eq!(listed["leases"][0]["ip"], got.as_str());
    assert!(
        in_dir(&["dhcp", "stop", "br0", "--pid-file", "pid"])
            .ok()
            .stdout
            .contains("stopped")
    );
}

/// Ten clients asking again and again: the file is rewritten from the live leases once it
/// holds 4096 lines, while the daemon runs, and every lease is still there.
#[test]
fn the_lease_file_is_compacted_as_it_grows() {
    let mut lab = Lab::new("compact");
    let c = lab.container();
    lab.serve(&["-q"]).ok();
    let Container { ns, iface } = &lab.containers[c];
    ns.ip(&["addr", "add", "10.0.5.2/24", "dev", iface]);
    let args = [
        "-4", "-l", iface, "-r", "2000", "-n", "5000", "-R", "10", "-W", "1000000",
    ];
    let out = ns.exec("perfdhcp", &[&args[..], &["10.0.5.1"]].concat());
    let text = String::from_utf8_lossy(&out.stdout);
    let lines = fs::read_to_string(lab.path("leases"))
        .unwrap()
        .lines()
        .count();
    assert!(lines < 1000, "{lines} lines after 5000 exchanges\n{text}");
    assert_eq!(
        lab.leases()["leases"].as_array().unwrap().len(),
        10,
        "{text}"
    );
}

/// Reservations added while a client renews every 2 s (a 4 s lease): one by SIGHUP from the
/// hosts file, one by running `serve` again with another `--host`. Both take effect at once;
/// the renewing client gets every renewal answered (no NAK, no timeout, never a new lease).
#[test]
fn reservations_reload_by_sighup_and_by_serve_while_a_client_renews() {
    let mut lab = Lab::new("reload");
    let (renewing, a, b) = (lab.container(), lab.container(), lab.container());
    let hosts = lab.path("hosts");
    fs::write(&hosts, "# none yet\n").unwrap();
    let serve = ["--lease-time", "4s", "--hosts-file", &hosts];
    lab.serve(&serve).ok();
    let pid = lab.server_pid();
    // dhclient, which takes a lease this short as it is (udhcpc makes it 16 s at least).
    let conf = "request subnet-mask, routers, interface-mtu;\n";
    let (_client, _) = lab.dhclient(renewing, conf);
    let iface = lab.containers[renewing].iface.clone();
    let bound = lab.wait_events(&iface, false, 1, Duration::from_secs(15));
    let start = Instant::now();

    let alpha = format!("{}=10.0.5.20,alpha", lab.mac(a));
    fs::write(&hosts, format!("# the first one\n{alpha}\n")).unwrap();
    run_ok("kill", &["-HUP", &pid]);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !lab.server_log().contains(&format!("+host {alpha}")) {
        assert!(Instant::now() < deadline, "no reload: {}", lab.server_log());
        sleep(Duration::from_millis(50));
    }
    assert_eq!(lab.udhcpc_once(a).as_deref(), Some("10.0.5.20"));

    let beta = format!("{}=10.0.5.21", lab.mac(b));
    let mut more = serve.to_vec();
    more.extend(["--host", &beta]);
    let run = lab.serve(&more).ok();
    assert_eq!(
        run.stdout,
        format!("dhcp br0: changed (pid {pid}): +host {beta}\n")
    );
    assert_eq!(lab.serve(&more).ok().stdout, "dhcp br0: unchanged\n");
    assert_eq!(
        lab.server_pid(),
        pid,
        "the same server took the settings over"
    );
    assert_eq!(lab.udhcpc_once(b).as_deref(), Some("10.0.5.21"));
    // A bad hosts file changes nothing: the server says so and keeps what it had.
    fs::write(&hosts, "not a reservation\n").unwrap();
    run_ok("kill", &["-HUP", &pid]);
    sleep(Duration::from_secs(6));

    let renewals = lab.wait_events(&iface, true, 1, Duration::from_secs(1));
    let elapsed = start.elapsed().as_secs();
    println!(
        "{} renewals in {elapsed} s, all of {}",
        renewals.len(),
        bound[0].ip
    );
    assert!(
        renewals.len() as u64 >= elapsed / 2 - 1,
        "{} renewals in {elapsed} s",
        renewals.len()
    );
    assert!(renewals.iter().all(|r| r.ip == bound[0].ip), "{renewals:?}");
    let rebound: Vec<_> = lab
        .events()
        .into_iter()
        .filter(|e| e.iface == iface && !e.renew)
        .collect();
    assert_eq!(
        rebound.len(),
        1,
        "the client never lost its lease: {rebound:?}"
    );
    let log = lab.server_log();
    assert!(!log.contains("NAK"), "{log}");
    assert!(
        log.contains("line 1: 'not a reservation' is not MAC=IP"),
        "{log}"
    );
    assert!(log.contains("keeping the reservations it had"), "{log}");
}

/// A machine with a static address in the range answers the server's ARP probe: the address
/// is never offered, and the next one is.
#[test]
fn an_address_in_use_by_a_static_machine_is_never_offered() {
    let mut lab = Lab::new("dup");
    let (fixed, c) = (lab.container(), lab.container());
    let Container { ns, iface } = &lab.containers[fixed];
    ns.ip(&["addr", "add", "10.0.5.100/24", "dev", iface]);
    lab.serve(&[]).ok();
    let got = lab.udhcpc_once(c).unwrap();
    println!("a new client got {got}; 10.0.5.100 is held statically");
    assert_eq!(got, "10.0.5.101");
    let log = lab.server_log();
    let said = format!(
        "10.0.5.100 is in use by {} (it answered ARP)",
        lab.mac(fixed)
    );
    assert!(log.contains(&said), "{log}");
    let listed = lab.leases();
    assert_eq!(listed["leases"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed["leases"][0]["ip"], "10.0.5.101", "{listed}");
}

/// `dhcp request --daemon` keeps its lease: at T1 (half the 8 s lease) it renews with the
/// server by unicast; with unicast to the server dropped, it rebinds by broadcast at T2 (7/8),
/// so the address outlives the lease it was first given. SIGTERM stops it.
#[test]
fn the_l2x_client_renews_at_t1_and_rebinds_at_t2() {
    let mut lab = Lab::new("keep");
    let c = lab.container();
    lab.serve(&["--lease-time", "8s"]).ok();
    let mac = lab.mac(c);
    let acks = |lab: &Lab| {
        let log = lab.server_log();
        log.lines()
            .filter(|l| l.contains(" ACK ") && l.contains(&mac))
            .count()
    };
    let wait_acks = |lab: &Lab, n: usize, limit: Duration| {
        let start = Instant::now();
        while acks(lab) < n {
            assert!(
                start.elapsed() < limit,
                "{} ACKs: {}",
                acks(lab),
                lab.server_log()
            );
            sleep(Duration::from_millis(50));
        }
        start.elapsed()
    };
    let Container { ns, iface } = &lab.containers[c];
    let pid_file = lab.path("client.pid");
    let run = ns
        .l2x(&[
            "dhcp",
            "request",
            iface,
            "--daemon",
            "--pid-file",
            &pid_file,
        ])
        .ok();
    assert!(run.stdout.contains(", kept (pid "), "{run:?}");
    let addr = ns.ip_json(&["-4", "addr", "show", "dev", iface]);
    let ip = addr[0]["addr_info"][0]["local"]
        .as_str()
        .unwrap()
        .to_string();

    let renewal = wait_acks(&lab, 2, Duration::from_secs(8));
    assert!(
        renewal >= Duration::from_millis(3500),
        "renewed after {renewal:?}"
    );
    common::nft::nft_script(
        &lab.host,
        "add table inet keep\n\
         add chain inet keep in { type filter hook input priority 0 ; }\n\
         add rule inet keep in ip daddr 10.0.5.1 udp dport 67 drop",
    );
    let rebind = wait_acks(&lab, 3, Duration::from_secs(10));
    println!("renewed {renewal:?} after the first ACK, rebound {rebind:?} after that");
    assert!(rebind >= Duration::from_secs(5), "rebound after {rebind:?}");
    let addr = ns.ip_json(&["-4", "addr", "show", "dev", iface]);
    assert_eq!(addr[0]["addr_info"][0]["local"], ip.as_str(), "{addr}");
    let listed = lab.leases();
    assert_eq!(listed["leases"][0]["ip"], ip.as_str(), "{listed}");

    let pid = fs::read_to_string(&pid_file).unwrap();
    run_ok("kill", &[pid.trim()]);
    let start = Instant::now();
    while Path::new(&pid_file).exists() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "pid {pid} did not stop"
        );
        sleep(Duration::from_millis(50));
    }
}
