//! The DHCP server and client against hostile peers and failing disks: floods that would fill
//! the log, a closed stderr, a full, failing or read-only lease file system, lease files that
//! are device nodes or symlinks, client-supplied text with control characters, relays and
//! INFORMs aimed at broadcast addresses, and servers that answer `dhcp request` with bogus
//! replies. Hostile packets come from tests/tools/dhcp_hostile.py (scapy), failing file
//! systems from a tmpfs that is filled and tests/tools/faultfs.py (FUSE).

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::dhcp_lab::*;
use common::*;
use serde_json::Value;

/// Debian's interpreter, whose packages hold scapy and fusepy.
const PYTHON: &str = "/usr/bin/python3";

fn tool(name: &str) -> String {
    format!("{}/tests/tools/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// `dhcp_hostile.py ARGS` inside `ns`: the JSON lines it printed.
fn hostile(ns: &Netns, args: &[&str]) -> Vec<Value> {
    let script = tool("dhcp_hostile.py");
    let out = ns.exec(PYTHON, &[&[script.as_str()][..], args].concat());
    assert!(
        out.status.success(),
        "dhcp_hostile.py {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A file system mounted for one test, unmounted when it ends.
struct Mount(PathBuf);

impl Mount {
    /// A tmpfs of `size` (`1m`) at `dir`.
    fn tmpfs(dir: &Path, size: &str) -> Mount {
        fs::create_dir_all(dir).unwrap();
        let opts = format!("size={size}");
        run_ok(
            "mount",
            &[
                "-t",
                "tmpfs",
                "-o",
                &opts,
                "l2x-test",
                dir.to_str().unwrap(),
            ],
        );
        Mount(dir.to_path_buf())
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .args(["-l", self.0.to_str().unwrap()])
            .status();
    }
}

/// Appends zeros to `file` until not one more byte fits (in its last page either: tmpfs
/// takes writes into a file's last page on a full file system).
fn fill(file: &Path) {
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .unwrap();
    for block in [1 << 20, 4096, 1] {
        let zeros = vec![0u8; block];
        while f.write_all(&zeros).is_ok() {}
    }
}

/// The lines of `log` that contain `needle`.
fn count(log: &str, needle: &str) -> usize {
    log.lines().filter(|l| l.contains(needle)).count()
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "{what} within {limit:?}");
        sleep(Duration::from_millis(100));
    }
}

/// perfdhcp as a relay at 10.0.5.2 in container `c`: `n` new clients from MAC base `batch`.
/// Returns how many ACKs it received (at most `n`: a late answer to an earlier run can be
/// counted too).
fn relayed(lab: &Lab, c: usize, n: usize, batch: u8) -> usize {
    let Container { ns, iface } = &lab.containers[c];
    let (n, mac) = (n.to_string(), format!("mac=02:0c:{batch:02x}:00:00:00"));
    let args = [
        "-4", "-l", iface, "-r", "200", "-n", &n, "-R", &n, "-b", &mac, "-W", "1000000", "10.0.5.1",
    ];
    let out = ns.exec("perfdhcp", &args);
    let text = String::from_utf8_lossy(&out.stdout);
    // The second "received packets" line is the ACKs' (the first the OFFERs').
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("received packets: "))
        .nth(1)
        .map_or(0, |got: &str| {
            got.parse::<usize>().unwrap().min(n.parse().unwrap())
        })
}

fn with_relay_address(lab: &Lab, c: usize) {
    let Container { ns, iface } = &lab.containers[c];
    ns.ip(&["addr", "add", "10.0.5.2/24", "dev", iface]);
}

#[test]
fn a_flood_of_discovers_makes_a_few_log_lines_and_q_quiets_acks() {
    let mut lab = Lab::new("flood");
    let (a, flooder) = (lab.container(), lab.container());
    lab.serve(&["--range", "10.0.5.100-10.0.5.100", "-q"]).ok();
    assert_eq!(lab.udhcpc_once(a).as_deref(), Some("10.0.5.100"));
    let iface = lab.containers[flooder].iface.clone();
    hostile(
        &lab.containers[flooder].ns,
        &[
            "send", &iface, "discover", "--count", "2000", "--wait", "0.5",
        ],
    );
    // The count of what was held back comes when the 10 s window ends.
    wait_for("the count line", Duration::from_secs(15), || {
        lab.server_log().contains("more like this in the last 10 s")
    });
    let log = lab.server_log();
    let exhausted = count(&log, "no free address for");
    assert!(
        exhausted <= 3,
        "{exhausted} lines for 2000 DISCOVERs:\n{log}"
    );
    assert!(
        log.contains("more like this in the last 10 s (no free address)"),
        "{log}"
    );
    assert_eq!(count(&log, ": ACK "), 0, "-q shows no ACKs:\n{log}");
}

/// eprintln! panicked on a closed stderr, and so did the server on its first log line.
#[test]
fn a_closed_stderr_does_not_stop_the_server() {
    let mut lab = Lab::new("stderr");
    let c = lab.container();
    let (leases, pid) = (lab.path("leases"), lab.path("pid"));
    let mut server = Command::new(env!("CARGO_BIN_EXE_l2x"))
        .args([
            "-n",
            &lab.host.name,
            "dhcp",
            "serve",
            "br0",
            "--range",
            RANGE,
        ])
        .args(["--lease-file", &leases, "--pid-file", &pid])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(server.stderr.take()); // nobody reads the log: every write fails with EPIPE
    wait_for("the pid file", Duration::from_secs(5), || {
        fs::read_to_string(&pid).is_ok_and(|p| !p.is_empty())
    });
    assert!(lab.udhcpc_once(c).is_some());
    assert!(server.try_wait().unwrap().is_none(), "the server exited");
    run_ok("kill", &["-TERM", &server.id().to_string()]);
    assert!(server.wait().unwrap().success());
}

#[test]
fn a_full_disk_under_the_log_file_does_not_stop_the_server() {
    let mut lab = Lab::new("logfull");
    let c = lab.container();
    let disk = lab.dir.join("logdisk");
    let _mount = Mount::tmpfs(&disk, "64k");
    let log = disk.join("server.log");
    lab.serve(&["--log-file", log.to_str().unwrap()]).ok();
    fill(&log);
    assert!(lab.udhcpc_once(c).is_some());
    run_ok("kill", &["-0", &lab.server_pid()]);
}

/// The whole story of a full disk under the lease file: ACKs stop (no ACK without its lease
/// on disk) with one warning, come back by themselves when space does, every ACKed lease is
/// in the file without a torn line, and a restart on a full disk starts and recovers too.
#[test]
fn a_full_lease_disk_stops_acks_until_space_comes_back() {
    let mut lab = Lab::new("diskfull");
    let (relay, late) = (lab.container(), lab.container());
    with_relay_address(&lab, relay);
    let disk = lab.dir.join("disk");
    let _mount = Mount::tmpfs(&disk, "1m");
    let leases = disk.join("leases");
    let leases = leases.to_str().unwrap();
    let range = ["--range", "10.0.5.10-10.0.5.250", "--lease-file", leases];
    lab.serve(&range).ok();
    let first = relayed(&lab, relay, 20, 1);
    assert_eq!(first, 20);

    let filler = disk.join("fill");
    fill(&filler);
    // The last page of the lease file still takes a few lines; then a write fails half done.
    let during = relayed(&lab, relay, 150, 2);
    assert!(during < 150, "{during} ACKs on a full disk");
    let log = lab.server_log();
    assert_eq!(count(&log, "cannot write"), 1, "{log}");
    assert!(log.contains("No space left on device"), "{log}");

    fs::remove_file(&filler).unwrap();
    sleep(Duration::from_millis(1500));
    assert_eq!(relayed(&lab, relay, 30, 3), 30, "{}", lab.server_log());
    assert!(lab.server_log().contains("can be written again"));
    let acked = first + during + 30;
    let listed = lab
        .host
        .l2x(&["-j", "dhcp", "leases", "br0", "--lease-file", leases]);
    let listed = listed.ok().json()["leases"].as_array().unwrap().len();
    assert!(
        listed >= acked,
        "{listed} leases in the file, {acked} ACKed"
    );

    // A restart finds no damage: nothing torn was left behind.
    lab.kill_server();
    lab.serve(&range).ok();
    let log = lab.server_log();
    assert!(
        !log.contains("damaged") && !log.contains("unfinished"),
        "{log}"
    );
    assert!(log.contains(&format!("{listed} active leases")), "{log}");

    // Killed with a torn last line, and started again on a full disk: it starts, ACKs
    // nothing, then recovers.
    lab.kill_server();
    let mut file = fs::OpenOptions::new().append(true).open(leases).unwrap();
    file.write_all(b"10.0.5.249 bou").unwrap();
    fill(&filler);
    lab.serve(&range).ok();
    assert!(
        lab.server_log()
            .contains("serving, but no ACKs until it can be written")
    );
    assert_eq!(lab.udhcpc_once(late), None);
    fs::remove_file(&filler).unwrap();
    assert!(lab.udhcpc_once(late).is_some(), "{}", lab.server_log());
}

/// A FUSE file system over a scratch directory, failing as its control file says.
struct FaultFs {
    child: Child,
    mount: PathBuf,
    control: PathBuf,
}

impl FaultFs {
    fn new(dir: &Path) -> FaultFs {
        let (backing, mount, control) = (dir.join("backing"), dir.join("fs"), dir.join("mode"));
        fs::create_dir_all(&backing).unwrap();
        fs::create_dir_all(&mount).unwrap();
        fs::write(&control, "ok").unwrap();
        let child = Command::new(PYTHON)
            .arg(tool("faultfs.py"))
            .args([&backing, &mount, &control])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mounts = || fs::read_to_string("/proc/self/mounts").unwrap();
        let name = mount.to_str().unwrap().to_string();
        wait_for("the FUSE mount", Duration::from_secs(10), || {
            mounts().contains(&name)
        });
        FaultFs {
            child,
            mount,
            control,
        }
    }

    fn set(&self, mode: &str) {
        fs::write(&self.control, mode).unwrap();
    }
}

impl Drop for FaultFs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .args(["-l", self.mount.to_str().unwrap()])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn failing_disk(mode: &str, error: &str) {
    let mut lab = Lab::new(mode);
    let (a, b) = (lab.container(), lab.container());
    let faulty = FaultFs::new(&lab.dir);
    let leases = faulty.mount.join("leases");
    lab.serve(&["--lease-file", leases.to_str().unwrap()]).ok();
    assert!(lab.udhcpc_once(a).is_some(), "{}", lab.server_log());
    faulty.set(mode);
    assert_eq!(lab.udhcpc_once(b), None, "an ACK without its lease on disk");
    let log = lab.server_log();
    assert!(log.contains(error), "{log}");
    faulty.set("ok");
    assert!(lab.udhcpc_once(b).is_some(), "{}", lab.server_log());
    let file = leases.to_str().unwrap();
    let listed = lab
        .host
        .l2x(&["-j", "dhcp", "leases", "br0", "--lease-file", file]);
    let listed = listed.ok().json();
    assert_eq!(listed["leases"].as_array().unwrap().len(), 2, "{listed}");
}

#[test]
fn an_io_error_stops_acks_until_the_disk_works_again() {
    failing_disk("eio", "Input/output error");
}

#[test]
fn a_read_only_lease_file_system_stops_acks_until_it_is_writable() {
    failing_disk("erofs", "Read-only file system");
}

#[test]
fn lease_files_that_are_not_regular_files_are_refused() {
    let lab = Lab::new("nodes");
    let dir = &lab.dir;
    let serve = |file: &Path| lab.serve(&["--lease-file", file.to_str().unwrap()]);
    // A character device like /dev/zero, made here: refused, and left as it is.
    let zero = dir.join("zero");
    run_ok("mknod", &[zero.to_str().unwrap(), "c", "1", "5"]);
    serve(&zero).fails(1, "zero is a character device, not a regular file");
    let kind = run_ok("stat", &["-c", "%F", zero.to_str().unwrap()]);
    assert_eq!(kind.trim(), "character special file");
    // A symlink to a fifo: refused, saying so, without blocking on the fifo.
    let fifo = dir.join("fifo");
    run_ok("mkfifo", &[fifo.to_str().unwrap()]);
    let link = dir.join("to-fifo");
    std::os::unix::fs::symlink(&fifo, &link).unwrap();
    let start = Instant::now();
    serve(&link).fails(1, "to-fifo is a symlink to");
    lab.host
        .l2x(&[
            "dhcp",
            "leases",
            "br0",
            "--lease-file",
            fifo.to_str().unwrap(),
        ])
        .fails(1, "is a fifo, not a regular file");
    assert!(start.elapsed() < Duration::from_secs(5));
    // A file that would take forever to read is refused at 256 MiB.
    let huge = dir.join("huge");
    fs::File::create(&huge).unwrap().set_len(300 << 20).unwrap();
    serve(&huge).fails(1, "holds more than 256 MiB");
}

#[test]
fn a_symlinked_lease_file_keeps_its_leases_in_the_target() {
    let mut lab = Lab::new("symlink");
    let c = lab.container();
    let target = lab.dir.join("real.leases");
    let link = lab.dir.join("link.leases");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    fs::write(&target, "").unwrap();
    lab.serve(&["--lease-file", link.to_str().unwrap()]).ok();
    let got = lab.udhcpc_once(c).unwrap();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(fs::read_to_string(&target).unwrap().contains(&got));
    let log = lab.server_log();
    assert!(
        log.contains("link.leases is a symlink: leases are kept in its target"),
        "{log}"
    );
}

/// A hostname with a newline and ESC sequences: escaped in the log and the table, kept in
/// the JSON.
#[test]
fn a_hostile_hostname_is_escaped_in_the_log_and_the_table() {
    let mut lab = Lab::new("hostname");
    let c = lab.container();
    lab.serve(&[]).ok();
    let Container { ns, iface } = &lab.containers[c];
    let name = "evil\\ndhcp br0: forged\\x1b]0;owned\\x07";
    let offer = hostile(ns, &["send", iface, "discover", "--hostname", name]);
    let yiaddr = offer[0]["yiaddr"].as_str().unwrap().to_string();
    let acks = hostile(
        ns,
        &[
            "send",
            iface,
            "request",
            "--hostname",
            name,
            "--requested",
            &yiaddr,
            "--server",
            "10.0.5.1",
        ],
    );
    assert_eq!(acks[0]["type"], "ack", "{acks:?}");
    let log = lab.server_log();
    assert!(
        !log.contains('\x1b') && !log.contains("\ndhcp br0: forged"),
        "{log}"
    );
    assert!(
        log.contains("(evil\\ndhcp br0: forged\\x1b]0;owned\\x07)"),
        "{log}"
    );
    let leases = lab.path("leases");
    let table = lab
        .host
        .l2x(&["dhcp", "leases", "br0", "--lease-file", &leases])
        .ok()
        .stdout;
    assert!(
        !table.contains('\x1b') && table.contains("evil\\ndhcp"),
        "{table}"
    );
    assert_eq!(
        lab.leases()["leases"][0]["hostname"],
        "evil\ndhcp br0: forged\x1b]0;owned\x07"
    );
}

#[test]
fn relays_and_informs_aimed_at_broadcast_addresses_get_nothing() {
    let mut lab = Lab::new("aimed");
    let c = lab.container();
    lab.serve(&[]).ok();
    with_relay_address(&lab, c);
    let Container { ns, iface } = &lab.containers[c];
    let send = |args: &[&str]| hostile(ns, &[&["send", iface.as_str()][..], args].concat());
    assert_eq!(
        send(&["discover", "--giaddr", "10.0.5.255"]),
        Vec::<Value>::new()
    );
    assert_eq!(
        send(&["discover", "--giaddr", "10.0.5.0"]),
        Vec::<Value>::new()
    );
    assert_eq!(
        send(&["inform", "--ciaddr", "10.0.5.255"]),
        Vec::<Value>::new()
    );
    assert_eq!(
        send(&["inform", "--ciaddr", "224.0.0.1"]),
        Vec::<Value>::new()
    );
    // The same from a real relay's and a real host's address are answered, to them.
    let relayed = send(&["discover", "--giaddr", "10.0.5.2"]);
    assert_eq!(
        (relayed[0]["type"].as_str(), relayed[0]["dst"].as_str()),
        (Some("offer"), Some("10.0.5.2"))
    );
    let informed = send(&["inform", "--ciaddr", "10.0.5.2"]);
    assert_eq!(informed[0]["dst"], "10.0.5.2", "{informed:?}");
}

#[test]
fn no_neighbour_entry_for_a_broadcast_multicast_or_zero_chaddr() {
    let mut lab = Lab::new("neigh");
    let c = lab.container();
    lab.serve(&[]).ok();
    let Container { ns, iface } = &lab.containers[c];
    for mac in [
        "ff:ff:ff:ff:ff:ff",
        "00:00:00:00:00:00",
        "01:00:5e:00:00:01",
    ] {
        let offers = hostile(ns, &["send", iface, "discover", "--mac", mac]);
        assert_eq!(offers[0]["type"], "offer", "{mac}: {offers:?}");
    }
    let neigh = lab.host.ip_json(&["neigh", "show", "dev", "br0"]);
    let bad: Vec<&Value> = neigh
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| {
            let mac = n["lladdr"].as_str().unwrap_or("");
            mac == "ff:ff:ff:ff:ff:ff" || mac == "00:00:00:00:00:00" || mac.starts_with("01:")
        })
        .collect();
    assert!(bad.is_empty(), "{neigh}");
}

#[test]
fn point_to_point_subnets_never_hand_out_the_bridges_address() {
    let mut lab = Lab::new("p2p");
    let c = lab.container();
    lab.host.ip(&["addr", "add", "10.0.7.0/31", "dev", "br0"]);
    lab.host.ip(&["addr", "add", "10.0.8.1/32", "dev", "br0"]);
    lab.serve(&["--range", "10.0.7.0-10.0.7.1"])
        .fails(1, "includes the bridge's own address 10.0.7.0");
    lab.serve(&["--range", "10.0.8.1-10.0.8.1"])
        .fails(1, "10.0.8.1/32 is a /32");
    lab.serve(&["--range", "10.0.7.1-10.0.7.1"]).ok();
    assert_eq!(lab.udhcpc_once(c).as_deref(), Some("10.0.7.1"));
}

/// A namespace holding a broken DHCP server (dhcp_hostile.py server) on one end of a veth,
/// and the namespace of `l2x dhcp request` on the other.
struct Rogue {
    server: Netns,
    client: Netns,
}

impl Rogue {
    fn new(tag: &str) -> Rogue {
        let (server, client) = (Netns::new(tag), Netns::new("req"));
        server.ip(&[
            "link",
            "add",
            "srv0",
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            &client.name,
        ]);
        server.ip(&["link", "set", "srv0", "up"]);
        client.ip(&["link", "set", "eth0", "up"]);
        Rogue { server, client }
    }

    /// Runs the server in `mode` for `seconds` while `l2x dhcp request` asks with `timeout`;
    /// what l2x said, and the requests the server counted.
    fn ask(&self, mode: &str, seconds: &str, timeout: &str) -> (Run, Value) {
        let script = tool("dhcp_hostile.py");
        let mut server = Command::new("ip")
            .args(["netns", "exec", &self.server.name, PYTHON, &script])
            .args(["server", "srv0", mode, seconds])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = server.stdout.take().unwrap();
        let mut ready = [0u8; 6];
        std::io::Read::read_exact(&mut out, &mut ready).unwrap();
        let run = self
            .client
            .l2x(&["dhcp", "request", "eth0", "--timeout", timeout]);
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
        server.wait().unwrap();
        (run, serde_json::from_str(rest.trim()).unwrap())
    }

    fn ipv4(&self) -> Value {
        self.client.ip_json(&["-4", "addr", "show", "dev", "eth0"])[0]["addr_info"].clone()
    }
}

#[test]
fn dhcp_request_survives_a_long_hlen_and_refuses_bogus_offers() {
    let r = Rogue::new("bogus");
    let (run, _) = r.ask("hlen17", "3", "2s");
    run.fails(1, "timed out: no answer from a DHCP server");
    for (mode, why) in [
        ("mask0", "subnet mask 0.0.0.0, which is no usable mask"),
        ("loopback", "offers 127.0.0.1/24, which no host can have"),
        ("multicast", "offers 224.0.0.5/24"),
        ("zero", "offers 0.0.0.0/24"),
        (
            "router",
            "names router 192.168.77.1, not another host of 10.0.9.50/24",
        ),
        ("mtu67", "sets MTU 67, below IPv4's 68"),
    ] {
        let (run, _) = r.ask(mode, "3", "2s");
        run.fails(1, why);
        let ipv4 = r.ipv4();
        let none = ipv4.as_array().is_none_or(|a| a.is_empty());
        assert!(none, "{mode}: configured {ipv4}");
    }
}

#[test]
fn dhcp_request_pauses_after_each_nak() {
    let r = Rogue::new("naks");
    let (run, counts) = r.ask("nak", "8", "7s");
    run.fails(1, "10.0.9.1 refused the request (NAK)");
    // Pauses of 1, 2 and 4 s after the NAKs: a handful of REQUESTs, not one per round trip.
    let requests = counts["requests"].as_u64().unwrap();
    assert!((2..=5).contains(&requests), "{requests} REQUESTs in 7 s");
}

#[test]
fn dhcp_request_sets_a_down_interface_down_again_when_no_lease_comes() {
    let r = Rogue::new("down");
    r.client.ip(&["link", "set", "eth0", "down"]);
    r.client
        .l2x(&["dhcp", "request", "eth0", "--timeout", "1s"])
        .fails(1, "timed out");
    let flags = r.client.link("eth0")["flags"].clone();
    assert!(
        !flags.as_array().unwrap().iter().any(|f| f == "UP"),
        "{flags}"
    );
}
