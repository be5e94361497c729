//! Encrypted segments on a site: keys made with `l2x key gen`, segment files that name them,
//! a capture of the underlay, and `wg` itself reading what l2x configured. Shared by the
//! native tests (wireguard-go, VXLAN) and the VM's (the kernel module, gretap).

use std::fs;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::site::Site;
use super::{Netns, kernel_has, run_ok};

/// A host of an encrypted file: its name, its underlay (None behind NAT), its public key.
pub struct Keyed {
    pub name: String,
    pub underlay: Option<String>,
    pub public_key: String,
}

/// `l2x key gen --out DIR/NAME.key`: the public key it printed.
pub fn key_gen(site: &Site, name: &str) -> String {
    let path = key_file(site, name);
    let _ = fs::remove_file(&path);
    run_ok(env!("CARGO_BIN_EXE_l2x"), &["key", "gen", "--out", &path])
        .trim()
        .to_string()
}

pub fn key_file(site: &Site, name: &str) -> String {
    site.path(&format!("{name}.key"))
}

/// Segment `wseg` over `tunnel`, encrypted, routed and served by host a.
pub fn file_text(tunnel: &str, hosts: &[Keyed]) -> String {
    let mut text = format!(
        "segment = \"wseg\"\ntunnel = \"{tunnel}\"\nencrypt = \"wireguard\"\n[router]\n\
         host = \"a\"\naddress = \"10.0.5.1/24\"\ndhcp = \"10.0.5.100-10.0.5.199\"\n"
    );
    for h in hosts {
        text.push_str(&format!("[hosts.{}]\n", h.name));
        if let Some(u) = &h.underlay {
            text.push_str(&format!("underlay = \"{u}\"\n"));
        }
        text.push_str(&format!("public_key = \"{}\"\n", h.public_key));
    }
    text
}

/// `l2x -n HOST apply FILE --host HOST --key-file ITS-KEY`, which must succeed.
pub fn apply(site: &mut Site, host: &str, file: &str) -> String {
    let key = key_file(site, host);
    let run = site.apply_with(host, file, &["--host", host, "--key-file", &key]);
    assert_eq!(run.code, 0, "apply on {host}: {run:?}");
    run.stdout
}

/// What runs WireGuard here, as `apply` says it.
pub fn backend() -> &'static str {
    if kernel_has("wireguard") {
        "the kernel module"
    } else {
        "wireguard-go"
    }
}

/// This host's WireGuard interfaces as `l2x show -j` lists them.
pub fn shown(ns: &Netns) -> Vec<Value> {
    let run = ns.l2x(&["-j", "show"]);
    assert_eq!(run.code, 0, "{run:?}");
    run.json()["wireguard"].as_array().unwrap().clone()
}

/// `wg show all dump` in the host's namespace: iproute2's sibling reads the kernel module's
/// configuration; for wireguard-go it is given the socket directory l2x keeps for the
/// namespace, mounted where `wg` looks.
pub fn wg_dump(ns: &Netns) -> String {
    let script = match cookie_dir(ns) {
        Some(dir) if !kernel_has("wireguard") => format!(
            "mkdir -p /var/run/wireguard && mount --bind {dir} /var/run/wireguard && \
             wg show all dump"
        ),
        _ => "wg show all dump".to_string(),
    };
    let out = ns.exec("unshare", &["-m", "sh", "-c", &script]);
    assert!(out.status.success(), "wg show: {out:?}");
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn cookie_dir(ns: &Netns) -> Option<String> {
    let out = ns.exec("python3", &["-c", super::site::COOKIE]);
    let cookie = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let dir = format!("/run/l2x/wireguard/c{cookie}");
    std::path::Path::new(&dir).exists().then_some(dir)
}

/// tcpdump on the underlay bridge, writing every frame to a file until stopped.
pub struct Capture {
    child: Child,
    path: String,
}

impl Capture {
    pub fn start(site: &Site) -> Capture {
        let path = site.path("underlay.pcap");
        let child = Command::new("ip")
            .args([
                "netns",
                "exec",
                &site.wan.name,
                "tcpdump",
                "-i",
                "wan0",
                "-nn",
                "-U",
            ])
            .args(["-w", &path])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tcpdump");
        // tcpdump listens a moment after it starts.
        std::thread::sleep(Duration::from_millis(1500));
        Capture { child, path }
    }

    /// Stops the capture; every frame it holds, one line each as `tcpdump -r` reads them.
    pub fn stop(mut self) -> Vec<String> {
        std::thread::sleep(Duration::from_millis(500));
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        let out = run_ok("tcpdump", &["-nn", "-r", &self.path]);
        out.lines().map(str::to_string).collect()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The frames of a capture that are neither WireGuard (UDP to or from `port`) nor the
/// underlay's own ARP, IGMP and IPv6 neighbour discovery; and how many were
/// WireGuard's.
pub fn not_wireguard(frames: &[String], port: u16) -> (Vec<String>, usize) {
    let wg = |l: &str| l.contains(" UDP") && l.contains(&format!(".{port}"));
    // The underlay's own ARP and IGMP, about its own addresses.
    let underlay_arp =
        |l: &str| (l.contains("ARP") || l.contains("igmp")) && !l.contains("10.0.5.");
    // From an underlay interface's link-local address, or from none during its duplicate
    // address detection.
    let underlay_nd =
        |l: &str| (l.contains("IP6 fe80::") || l.contains("IP6 :: >")) && l.contains("ICMP6");
    let others = frames
        .iter()
        .filter(|l| !wg(l) && !underlay_arp(l) && !underlay_nd(l))
        .cloned()
        .collect();
    (others, frames.iter().filter(|l| wg(l)).count())
}

/// Three hosts, one encrypted segment over `tunnel`: every host applies the file (WireGuard run
/// by what this kernel has), a second apply changes nothing, containers on b and c get leases
/// from a with the MTU that fits both layers and ping each other and the router with
/// full-size frames, DF set; meanwhile the underlay carries nothing but WireGuard. `wg`
/// reads the configuration l2x made; status shows every handshake.
pub fn three_hosts(tag: &str, tunnel: &str, mtu: u64) {
    let mut site = Site::new(tag);
    let mut hosts = Vec::new();
    for (name, ip) in [("a", "192.0.2.1"), ("b", "192.0.2.2"), ("c", "192.0.2.3")] {
        site.add_host(name, ip);
        hosts.push(Keyed {
            name: name.into(),
            underlay: Some(ip.into()),
            public_key: key_gen(&site, name),
        });
    }
    let file = site.file("wseg.toml", &file_text(tunnel, &hosts));
    for h in ["a", "b", "c"] {
        let said = apply(&mut site, h, &file);
        let by = format!("wireguard wseg-wg: created (by {}, port ", backend());
        assert!(said.contains(&by), "{h}: {said}");
    }
    for h in ["a", "b", "c"] {
        let again = apply(&mut site, h, &file);
        assert_eq!(again.trim(), "segment wseg: unchanged", "{h}");
    }
    let port = shown(&site.host("a").ns)[0]["listen_port"]
        .as_u64()
        .unwrap() as u16;
    // wg's own reading: b's peers are a and c, at their underlays, each allowed one address.
    let dump = wg_dump(&site.host("b").ns);
    for (peer, ip) in [(&hosts[0], "192.0.2.1"), (&hosts[2], "192.0.2.3")] {
        let line = dump
            .lines()
            .find(|l| l.contains(&peer.public_key))
            .unwrap_or_else(|| panic!("no peer {} in {dump}", peer.name));
        assert!(line.contains(&format!("\t{ip}:{port}\t")), "{line}");
        assert!(line.contains("/128\t"), "{line}");
    }

    let capture = Capture::start(&site);
    site.add_container("b", "wseg", "02:00:00:00:0b:01");
    site.add_container("c", "wseg", "02:00:00:00:0c:01");
    let (b, c) = (site.lease("b", 0), site.lease("c", 0));
    let (b, c) = (
        b.expect("b's container lease"),
        c.expect("c's container lease"),
    );
    let from_b = &site.host("b").containers[0];
    assert_eq!(from_b.mtu(), mtu, "the MTU DHCP handed out");
    assert!(from_b.pings_full_size(&c), "b -> c");
    assert!(from_b.pings_full_size("10.0.5.1"), "b -> the router");
    assert!(site.host("c").containers[0].pings_full_size(&b), "c -> b");
    let frames = capture.stop();
    let (others, wireguard) = not_wireguard(&frames, port);
    assert!(
        others.is_empty(),
        "in the clear on the underlay: {others:#?}"
    );
    assert!(
        wireguard > 20,
        "only {wireguard} WireGuard packets: {frames:#?}"
    );

    let status = site.host("b").ns.l2x(&["status", &file, "--host", "b"]);
    assert_eq!(status.code, 0, "{status:?}");
    assert!(status.stdout.contains("HANDSHAKE"), "{status:?}");
    assert_eq!(status.stdout.matches(" s ago").count(), 2, "{status:?}");

    // down takes the interface, its daemon and wireguard-go's socket directory with it.
    let c = &site.host("c").ns;
    c.l2x(&["down", &file, "--host", "c"]).ok();
    assert!(!c.has_link("wseg-wg"));
    assert_eq!(cookie_dir(c), None, "a socket directory is left");
}

/// A host without underlay behind a masquerading router (the others cannot reach it first)
/// joins by dialing out: its container gets a lease and pings b's; a and b answer it at its
/// router's address; it sends keepalives.
pub fn behind_nat(tag: &str, tunnel: &str) {
    let mut site = Site::new(tag);
    site.add_host("a", "192.0.2.1");
    site.add_host("b", "192.0.2.2");
    site.add_host_behind_nat("c", "192.0.2.50", "10.9.0.2");
    let hosts: Vec<Keyed> = [
        ("a", Some("192.0.2.1")),
        ("b", Some("192.0.2.2")),
        ("c", None),
    ]
    .into_iter()
    .map(|(name, underlay)| Keyed {
        name: name.into(),
        underlay: underlay.map(str::to_string),
        public_key: key_gen(&site, name),
    })
    .collect();
    let file = site.file("wseg.toml", &file_text(tunnel, &hosts));
    for h in ["a", "b", "c"] {
        apply(&mut site, h, &file);
    }
    // c cannot be reached first: its container's DHCP request is what opens the way.
    site.add_container("c", "wseg", "02:00:00:00:0c:01");
    site.add_container("b", "wseg", "02:00:00:00:0b:01");
    let c = site
        .lease("c", 0)
        .expect("the container behind NAT gets a lease");
    let b = site.lease("b", 0).expect("b's container lease");
    assert!(site.host("b").containers[0].pings_full_size(&c), "b -> c");
    assert!(site.host("c").containers[0].pings_full_size(&b), "c -> b");
    // a and b answer c where its packets come from: its router's address.
    for h in ["a", "b"] {
        let wg = shown(&site.host(h).ns);
        let peer = wg[0]["peers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["public_key"] == hosts[2].public_key.as_str())
            .cloned()
            .unwrap_or_else(|| panic!("{h} has no peer c: {wg:?}"));
        let endpoint = peer["endpoint"].as_str().unwrap_or_default();
        assert!(endpoint.starts_with("192.0.2.50:"), "{h}: {peer}");
    }
    let dump = wg_dump(&site.host("c").ns);
    assert!(
        dump.lines().skip(1).all(|l| l.ends_with("\t25")),
        "c keeps its NAT open with keepalives: {dump}"
    );
}

/// a's copy of the file has an old key for b: no frame crosses, status names b as the peer
/// without a handshake; the right file re-applied on a swaps exactly that peer and heals it.
pub fn wrong_key(tag: &str, tunnel: &str) {
    let mut site = Site::new(tag);
    site.add_host("a", "192.0.2.1");
    site.add_host("b", "192.0.2.2");
    let mut hosts: Vec<Keyed> = [("a", "192.0.2.1"), ("b", "192.0.2.2")]
        .into_iter()
        .map(|(name, ip)| Keyed {
            name: name.into(),
            underlay: Some(ip.into()),
            public_key: key_gen(&site, name),
        })
        .collect();
    let right = site.file("right.toml", &file_text(tunnel, &hosts));
    // a's copy of the file has an old key for b.
    let b_key = std::mem::replace(&mut hosts[1].public_key, key_gen(&site, "old"));
    let stale = site.file("stale.toml", &file_text(tunnel, &hosts));
    apply(&mut site, "a", &stale);
    apply(&mut site, "b", &right);
    site.add_container("b", "wseg", "02:00:00:00:0b:01");
    assert_eq!(
        site.lease("b", 0),
        None,
        "a lease across a peer with a wrong key"
    );
    let status = site.host("a").ns.l2x(&["status", &stale, "--host", "a"]);
    assert_eq!(status.code, 1, "{status:?}");
    assert!(
        status.stderr.contains("no WireGuard handshake with b"),
        "{status:?}"
    );
    assert!(status.stdout.contains("never"), "{status:?}");

    let healed = apply(&mut site, "a", &right);
    assert!(
        healed.contains("wireguard wseg-wg: changed (peer b missing, peer ")
            && healed.contains("not in the segment)"),
        "{healed}"
    );
    assert!(
        healed.contains("(1 change)"),
        "exactly the one peer: {healed}"
    );
    let dump = wg_dump(&site.host("a").ns);
    assert!(dump.contains(&b_key), "{dump}");
    let leased = (0..3).find_map(|_| site.lease("b", 0));
    assert!(leased.is_some(), "no lease after the key was fixed");
    site.host("a")
        .ns
        .l2x(&["status", &right, "--host", "a"])
        .ok();
}
