//! The server on a real segment, as a container sees it: a bridge with the server's address in
//! one network namespace, a container on the bridge in another, and the "internet" in a third,
//! where dnsmasq in DNS-only mode stands in for the upstream resolver. Queries come from
//! `dig` (bind9-dnsutils) in the container. Every namespace is made for the test and removed
//! after it, dnsmasq ended by its pid; nothing of the host is touched. Runs as root.

use std::fs;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
use hickory_proto::rr::rdata::opt::EdnsOption;
use hickory_proto::rr::{Name, RecordType};

use nix::sys::socket::{setsockopt, sockopt};

use super::forward::MAX_WAITERS;
use super::server::{Config, Server, Sockets};
use super::zone::Zone;
use crate::logger::Logger;
use crate::nl::netns;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The server's log, with debug lines, on the test's stderr.
fn log() -> Logger {
    Logger::stderr("dns br0", false, true)
}

const SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 5, 1);
const UPSTREAM: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 2);
/// An upstream name and its address, as dnsmasq answers it.
const UPSTREAM_NAME: &str = "upstream.test";
const UPSTREAM_ADDR: &str = "192.0.2.7";
/// Six TXT strings of 250 bytes: an answer larger than any UDP answer the server sends.
const BIG_NAME: &str = "big.test";

/// Three namespaces: `lan` holds br0 (10.0.5.1/24, where the server answers) and the link
/// to `inet` (10.99.0.1 <-> 10.99.0.2, dnsmasq); `client` is a container on br0 at
/// 10.0.5.10. Everything goes when the lab does, even after a panic.
struct Lab {
    lan: String,
    client: String,
    inet: String,
    dir: PathBuf,
    upstream: Option<Child>,
}

impl Lab {
    fn new(tag: &str) -> Lab {
        assert!(
            nix::unistd::geteuid().is_root(),
            "the DNS server tests run as root: they make network namespaces"
        );
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let base = format!("l2x-dns{}-{n}-{tag}", std::process::id());
        let lab = Lab {
            lan: format!("{base}-lan"),
            client: format!("{base}-c"),
            inet: format!("{base}-inet"),
            dir: std::env::temp_dir().join(&base),
            upstream: None,
        };
        fs::create_dir_all(&lab.dir).unwrap();
        for ns in [&lab.lan, &lab.client, &lab.inet] {
            netns::add(ns).unwrap();
            lab.ip(ns, "link set lo up");
        }
        let lan = &lab.lan;
        lab.ip(lan, "link add br0 type bridge");
        lab.ip(lan, "addr add 10.0.5.1/24 dev br0");
        lab.ip(lan, "link set br0 up");
        lab.wire("c0", &lab.client, "10.0.5.10/24");
        lab.ip(lan, "link set c0 master br0 up");
        lab.wire("up0", &lab.inet, "10.99.0.2/24");
        lab.ip(lan, "addr add 10.99.0.1/24 dev up0");
        lab.ip(lan, "link set up0 up");
        lab
    }

    /// A veth pair: `port` in `lan`, its peer `eth0` in `ns` with `addr`, up.
    fn wire(&self, port: &str, ns: &str, addr: &str) {
        self.ip(
            &self.lan,
            &format!("link add {port} type veth peer name eth0 netns {ns}"),
        );
        self.ip(ns, &format!("addr add {addr} dev eth0"));
        self.ip(ns, "link set eth0 up");
    }

    fn ip(&self, ns: &str, args: &str) {
        let out = Command::new("ip")
            .arg("-n")
            .arg(ns)
            .args(args.split_whitespace())
            .output()
            .expect("run ip");
        assert!(
            out.status.success(),
            "ip -n {ns} {args}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// dnsmasq, DNS only, on `addr`:53 in namespace `ns`, answering the test names itself and
    /// logging every query it gets.
    fn dnsmasq(&self, ns: &str, addr: Ipv4Addr) -> Child {
        let conf = self.dir.join("empty.conf");
        fs::write(&conf, "").unwrap();
        let txt: Vec<String> = (0..6).map(|_| format!("\"{}\"", "x".repeat(250))).collect();
        let dir = self.dir.display();
        let args = [
            "--keep-in-foreground".to_string(),
            format!("--conf-file={}", conf.display()),
            format!("--pid-file={dir}/dnsmasq-{addr}.pid"),
            format!("--log-facility={dir}/dnsmasq-{addr}.log"),
            "--log-queries".into(),
            "--user=root".into(),
            "--no-resolv".into(),
            "--no-hosts".into(),
            "--bind-interfaces".into(),
            format!("--listen-address={addr}"),
            "--port=53".into(),
            "--local-ttl=300".into(),
            format!("--address=/{UPSTREAM_NAME}/{UPSTREAM_ADDR}"),
            "--address=/nx.test/".into(),
            "--address=/ready.test/192.0.2.1".into(),
            format!("--txt-record={BIG_NAME},{}", txt.join(",")),
        ];
        netns::within(ns, || {
            Ok(Command::new("dnsmasq")
                .args(&args)
                .stdin(Stdio::null())
                .spawn()
                .expect("start dnsmasq (Debian package dnsmasq-base)"))
        })
        .unwrap()
    }

    /// Starts the upstream and waits until it answers.
    fn start_upstream(&mut self) {
        self.upstream = Some(self.dnsmasq(&self.inet, UPSTREAM));
        self.wait_for_dnsmasq(&self.lan, UPSTREAM);
    }

    /// Until the dnsmasq on `addr` answers a query from namespace `ns`.
    fn wait_for_dnsmasq(&self, ns: &str, addr: Ipv4Addr) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.dig(ns, &format!("@{addr}"), &["+short", "ready.test"]) != "192.0.2.1" {
            assert!(Instant::now() < deadline, "dnsmasq did not start answering");
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// How many queries for `name` the upstream was asked.
    fn upstream_asked(&self, name: &str) -> usize {
        let log = fs::read_to_string(self.dir.join(format!("dnsmasq-{UPSTREAM}.log")))
            .unwrap_or_default();
        log.lines()
            .filter(|l| l.contains("query[") && l.contains(&format!(" {name} from")))
            .count()
    }

    /// The server on br0's address, with two leases, forwarding to the upstream.
    fn server(&self) -> Server {
        let mut zone = Zone::new("lan", "10.0.5.0/24".parse().unwrap()).unwrap();
        zone.lease(Ipv4Addr::new(10, 0, 5, 10), Some("c1"));
        zone.lease(Ipv4Addr::new(10, 0, 5, 11), Some("c2"));
        let cfg = Config {
            listen: SocketAddrV4::new(SERVER, 53),
            upstreams: vec![SocketAddr::from((UPSTREAM, 53))],
        };
        netns::within(&self.lan, || {
            Sockets::bind(cfg).and_then(|s| Server::answer(s, zone, log()))
        })
        .unwrap()
    }

    /// `dig` in namespace `ns`, its output trimmed; printed for the test log.
    fn dig(&self, ns: &str, server: &str, args: &[&str]) -> String {
        let out = Command::new("ip")
            .args(["netns", "exec", ns, "dig", server, "+time=2", "+tries=1"])
            .args(args)
            .output()
            .expect("run dig (Debian package bind9-dnsutils)");
        let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        eprintln!("$ dig {server} {}\n{text}", args.join(" "));
        text
    }

    /// `dig @10.0.5.1 ARGS` from the container.
    fn ask(&self, args: &[&str]) -> String {
        self.dig(&self.client, &format!("@{SERVER}"), args)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(mut child) = self.upstream.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        for ns in [&self.lan, &self.client, &self.inet] {
            let _ = netns::delete(ns);
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The status and flags lines of dig's full output.
fn header(dig: &str) -> String {
    dig.lines()
        .filter(|l| l.contains("status:") || l.contains("flags:"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn lease_names_resolve_for_a_container_over_udp_and_tcp() {
    let lab = Lab::new("names");
    let server = lab.server();
    for transport in ["+notcp", "+tcp"] {
        assert_eq!(lab.ask(&[transport, "+short", "c1.lan"]), "10.0.5.10");
        assert_eq!(lab.ask(&[transport, "+short", "C2.LAN"]), "10.0.5.11");
        assert_eq!(lab.ask(&[transport, "+short", "c1"]), "10.0.5.10");
        assert_eq!(
            lab.ask(&[transport, "+short", "-x", "10.0.5.11"]),
            "c2.lan."
        );
    }
    let full = lab.ask(&["c1.lan"]);
    assert!(header(&full).contains("status: NOERROR"), "{full}");
    assert!(header(&full).contains("flags: qr aa rd ra"), "{full}");
    let aaaa = lab.ask(&["c1.lan", "AAAA"]);
    assert!(header(&aaaa).contains("status: NOERROR"), "{aaaa}");
    assert!(aaaa.contains("ANSWER: 0, AUTHORITY: 1"), "{aaaa}");
    let nx = lab.ask(&["nosuch.lan"]);
    assert!(
        header(&nx).contains("status: NXDOMAIN") && header(&nx).contains(" aa "),
        "{nx}"
    );

    // A lease that goes takes its name along at once; a new one brings its name.
    server.update(|z| z.release(Ipv4Addr::new(10, 0, 5, 11)));
    assert!(header(&lab.ask(&["c2.lan"])).contains("status: NXDOMAIN"));
    assert_eq!(lab.ask(&["+short", "-x", "10.0.5.11"]), "");
    let events = server.update(|z| z.lease(Ipv4Addr::new(10, 0, 5, 12), Some("web")));
    eprintln!("{}", events[0]);
    assert_eq!(lab.ask(&["+short", "web.lan"]), "10.0.5.12");
    drop(server);
}

#[test]
fn upstream_names_resolve_once_then_from_the_cache() {
    let mut lab = Lab::new("upstream");
    lab.start_upstream();
    let _server = lab.server();
    assert_eq!(lab.ask(&["+short", UPSTREAM_NAME]), UPSTREAM_ADDR);
    assert_eq!(lab.ask(&["+short", "UPSTREAM.test"]), UPSTREAM_ADDR);
    assert_eq!(lab.ask(&["+tcp", "+short", UPSTREAM_NAME]), UPSTREAM_ADDR);
    let full = lab.ask(&[UPSTREAM_NAME]);
    assert!(
        header(&full).contains("flags: qr rd ra;"),
        "no AA for a forwarded answer: {full}"
    );
    assert_eq!(
        lab.upstream_asked(UPSTREAM_NAME),
        1,
        "the cache answered the others"
    );

    let nx = lab.ask(&["nosuch.nx.test"]);
    assert!(header(&nx).contains("status: NXDOMAIN"), "{nx}");
}

#[test]
fn a_large_answer_is_truncated_over_udp_and_whole_over_tcp() {
    let mut lab = Lab::new("big");
    lab.start_upstream();
    let _server = lab.server();
    let udp = lab.ask(&["+ignore", BIG_NAME, "TXT"]);
    assert!(header(&udp).contains(" tc "), "{udp}");
    // dig asks again over TCP on its own, as a stub resolver does.
    let retried = lab.ask(&["+short", BIG_NAME, "TXT"]);
    assert_eq!(retried.matches(&"x".repeat(250)).count(), 6, "{retried}");
}

#[test]
fn no_upstream_answering_is_servfail() {
    let lab = Lab::new("dead");
    let _server = lab.server();
    // No dnsmasq runs: each of the two tries times out.
    let out = lab.dig(
        &lab.client,
        &format!("@{SERVER}"),
        &["+time=5", "example.com"],
    );
    assert!(header(&out).contains("status: SERVFAIL"), "{out}");
}

/// A query padded (RFC 7830) to 500 bytes.
fn padded(id: u16, name: &str, qtype: RecordType) -> Vec<u8> {
    let mut m = Message::new(id, MessageType::Query, OpCode::Query);
    m.metadata.recursion_desired = true;
    m.add_query(Query::query(Name::from_ascii(name).unwrap(), qtype));
    let mut bare = m.clone();
    bare.set_edns(Edns::new());
    let pad = 500 - bare.to_vec().unwrap().len() - 4;
    let mut edns = Edns::new();
    edns.options_mut()
        .insert(EdnsOption::Unknown(12, vec![0; pad]));
    m.set_edns(edns);
    let bytes = m.to_vec().unwrap();
    assert_eq!(bytes.len(), 500);
    bytes
}

#[test]
fn a_flood_of_500_byte_queries_gets_smaller_answers() {
    let mut lab = Lab::new("flood");
    lab.start_upstream();
    let _server = lab.server();
    const QUERIES: u16 = 400;
    let (sent, answers) = netns::within(&lab.client, || {
        let sock = UdpSocket::bind("10.0.5.10:0")?;
        sock.set_read_timeout(Some(Duration::from_secs(3)))?;
        // Room for every answer while the queries go out: none may be lost here.
        setsockopt(&sock, sockopt::RcvBufForce, &(4 << 20))?;
        let kinds = [
            ("c1.lan.", RecordType::A),
            ("nosuch.lan.", RecordType::A),
            ("10.5.0.10.in-addr.arpa.", RecordType::PTR),
            ("upstream.test.", RecordType::A),
        ];
        let mut sent = 0;
        for id in 0..QUERIES {
            let bytes = match kinds.get(usize::from(id % 5)) {
                Some((name, qtype)) => padded(id, name, *qtype),
                None => vec![0xab; 500],
            };
            sent += sock.send_to(&bytes, (SERVER, 53))?;
        }
        let mut answers = Vec::new();
        let mut buf = [0; 2048];
        while let Ok(n) = sock.recv(&mut buf) {
            answers.push(n);
            if answers.len() == usize::from(QUERIES) {
                break;
            }
        }
        Ok((sent, answers))
    })
    .unwrap();
    let received: usize = answers.iter().sum();
    eprintln!(
        "{QUERIES} queries, {sent} bytes: {} answers, {received} bytes, largest {:?}",
        answers.len(),
        answers.iter().max()
    );
    // Every query but the garbage one in five, less the askers of upstream.test beyond
    // the MAX_WAITERS that share its one upstream query before the cache has it.
    let expected = usize::from(QUERIES) * 4 / 5;
    let upstream = usize::from(QUERIES) / 5;
    assert!(
        answers.len() >= expected - (upstream - MAX_WAITERS),
        "the server kept answering: {} answers",
        answers.len()
    );
    assert!(answers.iter().all(|&n| n < 100), "{answers:?}");
    assert!(received * 4 < sent, "{received} bytes answered {sent}");
    assert_eq!(
        lab.ask(&["+short", "c1.lan"]),
        "10.0.5.10",
        "still answering"
    );
}

#[test]
fn a_taken_port_53_names_who_holds_it() {
    let mut lab = Lab::new("taken");
    lab.upstream = Some(lab.dnsmasq(&lab.lan, SERVER));
    lab.wait_for_dnsmasq(&lab.lan, SERVER);
    let pid = lab.upstream.as_ref().map(Child::id).unwrap();
    let cfg = Config {
        listen: SocketAddrV4::new(SERVER, 53),
        upstreams: vec![],
    };
    let zone = Zone::new("lan", "10.0.5.0/24".parse().unwrap()).unwrap();
    let err = match netns::within(&lab.lan, || {
        Sockets::bind(cfg).and_then(|s| Server::answer(s, zone, log()))
    }) {
        Err(e) => format!("{e:#}"),
        Ok(_) => panic!("started on a port dnsmasq holds"),
    };
    eprintln!("{err}");
    assert!(
        err.ends_with(&format!(
            ": UDP port 53 on 10.0.5.1 is taken by dnsmasq (pid {pid})"
        )),
        "{err}"
    );
}

#[test]
fn a_stopped_server_frees_its_port() {
    let lab = Lab::new("stop");
    let server = lab.server();
    assert_eq!(lab.ask(&["+short", "c1.lan"]), "10.0.5.10");
    drop(server);
    netns::within(&lab.lan, || {
        UdpSocket::bind((SERVER, 53))?;
        std::net::TcpListener::bind((SERVER, 53))?;
        Ok(())
    })
    .expect("both ports free again");
}
