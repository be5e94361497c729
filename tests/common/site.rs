//! Hosts for segment files: namespaces on one underlay (a bridge in a "wan" namespace), each
//! with nothing but its uplink eth0 at its address, as a fresh host has; containers attached to
//! a host's bridge the way a container manager attaches its veths (`ip link set ... master`),
//! which get their address from a real DHCP client (busybox udhcpc); segment files in a
//! scratch directory. Dropping a site takes everything down: the containers, `l2x down` on
//! every host (stopping the DHCP server), the namespaces, the directory.

use std::fs;
use std::path::PathBuf;

use serde_json::Value;

use super::{Netns, Run, l2x_cmd, run_ok};

pub struct Site {
    tag: String,
    pub wan: Netns,
    pub hosts: Vec<SiteHost>,
    pub dir: PathBuf,
    /// The file last applied, for the final `down`.
    last: Option<String>,
    containers: u32,
    /// The masquerading routers hosts behind NAT sit behind.
    nats: Vec<Netns>,
}

pub struct SiteHost {
    pub name: String,
    pub ip: String,
    pub ns: Netns,
    pub containers: Vec<Container>,
}

pub struct Container {
    pub ns: Netns,
    /// The host-side end, a port of the segment's bridge.
    pub port: String,
    pub mac: String,
}

/// What the kernel holds in a namespace, as independent tools print it: every link (`ip -d -j
/// link`, without the bridge timers that tick by themselves), every address, the ruleset.
#[derive(PartialEq)]
pub struct Snapshot {
    pub links: Value,
    pub addrs: Value,
    pub ruleset: Value,
}

/// Shown as the differences from an empty snapshot would hide them: one path per leaf.
impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let mut leaves = Vec::new();
        for (name, v) in [
            ("links", &self.links),
            ("addrs", &self.addrs),
            ("ruleset", &self.ruleset),
        ] {
            flatten(name, v, &mut leaves);
        }
        write!(f, "{}", leaves.join("\n"))
    }
}

impl Snapshot {
    /// The leaves in which two snapshots differ, each side's, for an assertion's message.
    pub fn differences(&self, other: &Snapshot) -> String {
        let (a, b) = (format!("{self:?}"), format!("{other:?}"));
        let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
        let only = |x: &[&str], y: &[&str]| -> Vec<String> {
            x.iter()
                .filter(|l| !y.contains(l))
                .map(|l| l.to_string())
                .collect()
        };
        format!("now: {:?}\nbefore: {:?}", only(&a, &b), only(&b, &a))
    }
}

/// Fails unless the namespace is as `before` showed it, naming what differs.
#[track_caller]
pub fn assert_unchanged(now: &Snapshot, before: &Snapshot, what: &str) {
    assert!(now == before, "{what}: {}", now.differences(before));
}

fn flatten(path: &str, v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, v)| flatten(&format!("{path}.{k}"), v, out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| flatten(&format!("{path}[{i}]"), v, out)),
        leaf => out.push(format!("{path} = {leaf}")),
    }
}

impl Site {
    pub fn new(tag: &str) -> Site {
        let wan = Netns::new(&format!("{tag}-wan"));
        wan.ip(&["link", "add", "wan0", "type", "bridge"]);
        wan.ip(&["link", "set", "wan0", "up"]);
        let dir = std::env::temp_dir().join(&wan.name);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("udhcpc.sh"), CLIENT_SCRIPT).unwrap();
        run_ok("chmod", &["+x", dir.join("udhcpc.sh").to_str().unwrap()]);
        Site {
            tag: tag.to_string(),
            wan,
            hosts: Vec::new(),
            dir,
            last: None,
            containers: 0,
            nats: Vec::new(),
        }
    }

    /// A host behind NAT: its eth0 has `private`/24 only, and its default route goes through a
    /// router whose own uplink is on the underlay at `public` and which masquerades everything
    /// out of it. The other hosts cannot reach this one first.
    pub fn add_host_behind_nat(&mut self, name: &str, public: &str, private: &str) {
        let nat = Netns::new(&format!("{}-{name}-nat", self.tag));
        self.containers += 1;
        let port = format!("to-{name}{}", self.containers);
        self.wan.ip(&[
            "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns", &nat.name,
        ]);
        self.wan.ip(&["link", "set", &port, "master", "wan0", "up"]);
        nat.ip(&["addr", "add", &format!("{public}/24"), "dev", "eth0"]);
        nat.ip(&["link", "set", "eth0", "up"]);
        let ns = Netns::new(&format!("{}-{name}", self.tag));
        nat.ip(&[
            "link", "add", "lan0", "type", "veth", "peer", "name", "eth0", "netns", &ns.name,
        ]);
        let gateway = format!("{}.1", private.rsplit_once('.').unwrap().0);
        nat.ip(&["addr", "add", &format!("{gateway}/24"), "dev", "lan0"]);
        nat.ip(&["link", "set", "lan0", "up"]);
        let forward = nat.exec("sysctl", &["-qw", "net.ipv4.ip_forward=1"]);
        assert!(forward.status.success(), "{forward:?}");
        for rule in [
            "add table ip nat",
            "add chain ip nat post { type nat hook postrouting priority srcnat ; }",
            "add rule ip nat post oifname eth0 masquerade",
        ] {
            let nft = nat.exec("nft", &rule.split(' ').collect::<Vec<_>>());
            assert!(nft.status.success(), "nft {rule}: {nft:?}");
        }
        ns.ip(&["addr", "add", &format!("{private}/24"), "dev", "eth0"]);
        ns.ip(&["link", "set", "eth0", "up"]);
        ns.ip(&["route", "add", "default", "via", &gateway]);
        self.nats.push(nat);
        self.hosts.push(SiteHost {
            name: name.to_string(),
            ip: private.to_string(),
            ns,
            containers: Vec::new(),
        });
    }

    /// A host on the underlay at `ip`/24, its uplink eth0.
    pub fn add_host(&mut self, name: &str, ip: &str) {
        let ns = Netns::new(&format!("{}-{name}", self.tag));
        // A port name of its own: the port of a host just removed may linger for a moment.
        self.containers += 1;
        let port = format!("to-{name}{}", self.containers);
        self.wan.ip(&[
            "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns", &ns.name,
        ]);
        self.wan.ip(&["link", "set", &port, "master", "wan0", "up"]);
        ns.ip(&["addr", "add", &format!("{ip}/24"), "dev", "eth0"]);
        ns.ip(&["link", "set", "eth0", "up"]);
        self.hosts.push(SiteHost {
            name: name.to_string(),
            ip: ip.to_string(),
            ns,
            containers: Vec::new(),
        });
    }

    pub fn host(&self, name: &str) -> &SiteHost {
        self.hosts
            .iter()
            .find(|h| h.name == name)
            .unwrap_or_else(|| panic!("no host {name}"))
    }

    fn host_mut(&mut self, name: &str) -> &mut SiteHost {
        self.hosts.iter_mut().find(|h| h.name == name).unwrap()
    }

    /// The host gone, as a machine that is switched off: its namespace (and what runs in it)
    /// and its containers.
    pub fn remove_host(&mut self, name: &str) {
        let h = self
            .hosts
            .remove(self.hosts.iter().position(|h| h.name == name).unwrap());
        let records = records_of(&h.ns.name);
        drop(h.containers);
        let netns = h.ns.name.clone();
        drop(h.ns);
        // A machine that was switched off starts with an empty /run.
        forget_runtime(&netns);
        for r in records {
            let _ = fs::remove_file(&r).or_else(|_| fs::remove_dir(&r));
        }
    }

    /// Writes a segment file into the scratch directory; its path.
    pub fn file(&self, name: &str, text: &str) -> String {
        let path = self.dir.join(name);
        fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_string()
    }

    /// `l2x -n HOST [ARGS] apply FILE` (the host found by its address).
    pub fn apply(&mut self, host: &str, file: &str, args: &[&str]) -> Run {
        self.last = Some(file.to_string());
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["apply", file]);
        self.host(host).ns.l2x(&all)
    }

    /// `l2x -n HOST apply FILE AFTER...` (`--host`, `--key-file`).
    pub fn apply_with(&mut self, host: &str, file: &str, after: &[&str]) -> Run {
        self.last = Some(file.to_string());
        let mut all = vec!["apply", file];
        all.extend_from_slice(after);
        self.host(host).ns.l2x(&all)
    }

    /// `l2x -n HOST [ARGS] down FILE`.
    pub fn down(&self, host: &str, file: &str, args: &[&str]) -> Run {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["down", file]);
        self.host(host).ns.l2x(&all)
    }

    /// The same with an environment variable set (the crash knob).
    pub fn l2x_env(&self, host: &str, env: (&str, &str), args: &[&str]) -> Run {
        let mut all = vec!["-n", self.host(host).ns.name.as_str()];
        all.extend_from_slice(args);
        l2x_cmd(
            std::process::Command::new(env!("CARGO_BIN_EXE_l2x"))
                .env(env.0, env.1)
                .args(&all),
        )
    }

    /// A container on `host`: a namespace whose eth0 (with this MAC) is a veth whose other
    /// end is attached to `bridge` and set up by the container manager, not by l2x.
    pub fn add_container(&mut self, host: &str, bridge: &str, mac: &str) -> usize {
        self.containers += 1;
        let n = self.containers;
        let ns = Netns::new(&format!("{}-c{n}", self.tag));
        let port = format!("ct{n}");
        let h = self.host_mut(host);
        h.ns.ip(&[
            "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns", &ns.name,
        ]);
        ns.ip(&["link", "set", "eth0", "address", mac, "up"]);
        h.ns.ip(&["link", "set", &port, "master", bridge, "up"]);
        h.containers.push(Container {
            ns,
            port,
            mac: mac.to_string(),
        });
        h.containers.len() - 1
    }

    /// Removes the host's containers, as their manager does when they stop: their veths
    /// first (a namespace's own links go only once the kernel has finished with it, a moment
    /// after `ip netns del`), then their namespaces.
    pub fn remove_containers(&mut self, host: &str) {
        let h = self.host_mut(host);
        for c in h.containers.drain(..) {
            h.ns.ip(&["link", "del", &c.port]);
        }
    }

    /// busybox udhcpc in the container, once: the address it was given and configured (with
    /// the MTU and default route the server handed out).
    pub fn lease(&self, host: &str, c: usize) -> Option<String> {
        let ct = &self.host(host).containers[c];
        let script = self.path("udhcpc.sh");
        let out = ct.ns.exec(
            "busybox",
            &[
                "udhcpc", "-i", "eth0", "-f", "-q", "-n", "-t", "5", "-T", "1", "-s", &script,
                "-O", "mtu",
            ],
        );
        if !out.status.success() {
            return None;
        }
        ct.address()
    }

    /// Every container's address, host by host.
    pub fn addresses(&self) -> Vec<(String, String)> {
        self.hosts
            .iter()
            .flat_map(|h| {
                h.containers
                    .iter()
                    .map(|c| (h.name.clone(), c.address().unwrap_or_default()))
            })
            .collect()
    }
}

impl Container {
    pub fn address(&self) -> Option<String> {
        let addrs = self.ns.ip_json(&["-4", "addr", "show", "dev", "eth0"]);
        addrs[0]["addr_info"][0]["local"]
            .as_str()
            .map(str::to_string)
    }

    pub fn mtu(&self) -> u64 {
        self.ns.link("eth0")["mtu"].as_u64().unwrap()
    }

    /// Pings `ip` with frames of the container's full MTU, DF set: true when replies came.
    pub fn pings_full_size(&self, ip: &str) -> bool {
        let size = (self.mtu() - 28).to_string();
        let out = self.ns.exec(
            "ping",
            &[
                "-M", "do", "-s", &size, "-c", "2", "-i", "0.2", "-W", "2", ip,
            ],
        );
        out.status.success()
    }
}

impl SiteHost {
    pub fn snapshot(&self) -> Snapshot {
        let ruleset = self.ns.exec("nft", &["-j", "list", "ruleset"]);
        let mut addrs = self.ns.ip_json(&["addr", "show"]);
        // Duplicate address detection runs by itself for a second after a link comes up.
        for link in addrs.as_array_mut().unwrap() {
            for a in link["addr_info"].as_array_mut().into_iter().flatten() {
                a.as_object_mut().unwrap().remove("tentative");
            }
        }
        Snapshot {
            links: self.ns.snapshot(),
            addrs,
            ruleset: serde_json::from_slice(&ruleset.stdout).expect("nft -j"),
        }
    }

    /// `ip -d -j link show DEV`, when it exists.
    pub fn link(&self, dev: &str) -> Option<Value> {
        self.ns.has_link(dev).then(|| self.ns.link(dev))
    }

    /// The remotes of a VXLAN device: its all-zeros forwarding entries, as `bridge fdb` lists
    /// them.
    pub fn remotes(&self, dev: &str) -> Vec<String> {
        let fdb = self.ns.bridge_json(&["fdb", "show", "dev", dev]);
        let mut all: Vec<String> = fdb
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["mac"] == "00:00:00:00:00:00")
            .filter_map(|e| e["dst"].as_str().map(str::to_string))
            .collect();
        all.sort();
        all
    }

    /// Names of the links of a kind (`vxlan`, `bridge`, ...).
    pub fn links_of_kind(&self, kind: &str) -> Vec<String> {
        self.ns
            .ip_json(&["-d", "link", "show", "type", kind])
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["ifname"].as_str().unwrap().to_string())
            .collect()
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        for h in &mut self.hosts {
            h.containers.clear();
            if let Some(file) = &self.last {
                // A host behind NAT has no address of the file: it is named.
                let found = h.ns.l2x(&["down", file]);
                if found.code != 0 {
                    let _ = h.ns.l2x(&["down", file, "--host", &h.name]);
                }
            }
            for r in records_of(&h.ns.name) {
                let _ = fs::remove_file(&r).or_else(|_| fs::remove_dir(&r));
            }
            forget_runtime(&h.ns.name);
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The directories `dhcp serve` makes for a namespace's default pid and lease files (the
/// namespace's name is this test's own).
fn forget_runtime(netns: &str) {
    let _ = fs::remove_dir_all(format!("/run/l2x/{netns}"));
    let _ = fs::remove_dir_all(format!("/var/lib/l2x/{netns}"));
}

/// The runtime records l2x keeps under /run/l2x for a namespace, which it knows by its cookie
/// (SO_NETNS_COOKIE, asked of a socket made in it): the segments', the DHCP servers'.
fn records_of(netns: &str) -> Vec<PathBuf> {
    let cookie = std::process::Command::new("ip")
        .args(["netns", "exec", netns, "python3", "-c", COOKIE])
        .output();
    let Some(id) = cookie
        .ok()
        .filter(|o| o.status.success())
        .map(|o| format!("c{}", String::from_utf8_lossy(&o.stdout).trim()))
    else {
        return Vec::new();
    };
    // wireguard-go's socket directory (its sockets go with their interfaces).
    let sockets = PathBuf::from(format!("/run/l2x/wireguard/{id}"));
    let mut found: Vec<PathBuf> = sockets.exists().then_some(sockets).into_iter().collect();
    for (dir, prefix) in [
        ("/run/l2x/segments", format!("{id}-")),
        ("/run/l2x/servers", format!("dhcp-{id}-")),
    ] {
        for e in fs::read_dir(dir).into_iter().flatten().flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                found.push(e.path());
            }
        }
    }
    found
}

/// Prints the cookie of the network namespace it runs in.
pub const COOKIE: &str = "import socket; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); \
print(int.from_bytes(s.getsockopt(socket.SOL_SOCKET, 71, 8), 'little'))";

/// udhcpc's script: the address, the MTU and the default route the server handed out.
const CLIENT_SCRIPT: &str = r#"#!/bin/sh
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
    [ -n "$router" ] && ip route replace default via "$router"
    ;;
esac
exit 0
"#;
