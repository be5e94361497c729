//! The integration tests' harness: network namespaces that are always removed, the l2x binary
//! run inside them, and iproute2's JSON output as the independent oracle.
#![allow(dead_code)] // each test file uses its own part of the harness

pub mod dhcp_lab;
pub mod encrypted;
pub mod nft;
pub mod segment;
pub mod site;

use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::Value;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A network namespace made for one test, deleted when the test ends, even by panic. Processes
/// the test started inside it are ended first, by pid.
pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn new(tag: &str) -> Netns {
        assert!(
            is_root(),
            "integration tests run as root: they create network namespaces"
        );
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("l2x-t{}-{tag}-{n}", std::process::id());
        run_ok("ip", &["netns", "add", &name]);
        let ns = Netns { name };
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// `ip -n NS ARGS`, which must succeed.
    pub fn ip(&self, args: &[&str]) -> String {
        let mut full = vec!["-n", &self.name];
        full.extend_from_slice(args);
        run_ok("ip", &full)
    }

    /// `ip -n NS -j ARGS` parsed.
    pub fn ip_json(&self, args: &[&str]) -> Value {
        let mut full = vec!["-j"];
        full.extend_from_slice(args);
        parse_json(&self.ip(&full))
    }

    /// `bridge -n NS -j ARGS` parsed.
    pub fn bridge_json(&self, args: &[&str]) -> Value {
        let mut full = vec!["-n", &self.name, "-j"];
        full.extend_from_slice(args);
        parse_json(&run_ok("bridge", &full))
    }

    /// `ip -n NS -d -j link show DEV`: the one link's JSON object.
    pub fn link(&self, dev: &str) -> Value {
        self.ip_json(&["-d", "link", "show", "dev", dev])[0].clone()
    }

    /// The global addresses of `dev`, `10.9.0.1/24`, as `ip -j addr` lists them.
    pub fn global_addresses(&self, dev: &str) -> Vec<String> {
        self.ip_json(&["addr", "show", "dev", dev])[0]["addr_info"]
            .as_array()
            .expect("addr_info")
            .iter()
            .filter(|a| a["scope"] == "global")
            .map(|a| {
                format!(
                    "{}/{}",
                    a["local"].as_str().unwrap_or_default(),
                    a["prefixlen"]
                )
            })
            .collect()
    }

    pub fn has_link(&self, dev: &str) -> bool {
        Command::new("ip")
            .args(["-n", &self.name, "link", "show", "dev", dev])
            .output()
            .expect("run ip")
            .status
            .success()
    }

    /// Every link's `ip -d -j link show` object without the bridge timers that tick by
    /// themselves: equal snapshots mean nothing was changed.
    pub fn snapshot(&self) -> Value {
        let mut links = self.ip_json(&["-d", "link", "show"]);
        strip_timers(&mut links);
        links
    }

    /// Names of every link in the namespace, for "nothing was left behind" checks.
    pub fn link_names(&self) -> Vec<String> {
        self.ip_json(&["link", "show"])
            .as_array()
            .expect("link list")
            .iter()
            .map(|l| l["ifname"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// A command run inside the namespace (`ip netns exec NS PROG ARGS`).
    pub fn exec(&self, prog: &str, args: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.name, prog])
            .args(args)
            .output()
            .expect("run ip netns exec")
    }

    /// `l2x -n NS ARGS`.
    pub fn l2x(&self, args: &[&str]) -> Run {
        let mut full = vec!["-n", self.name.as_str()];
        full.extend_from_slice(args);
        l2x(&full)
    }

    /// `l2x -n NS` with its arguments written as one line, split at spaces.
    pub fn l2x_line(&self, line: &str) -> Run {
        self.l2x(&line.split_whitespace().collect::<Vec<_>>())
    }

    /// `ip -n NS` with its arguments written as one line, split at spaces; must succeed.
    pub fn ip_line(&self, line: &str) -> String {
        self.ip(&line.split_whitespace().collect::<Vec<_>>())
    }

    /// A veth pair with both ends in this namespace.
    pub fn veth(&self, a: &str, b: &str) {
        self.ip(&["link", "add", a, "type", "veth", "peer", "name", b]);
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        if let Ok(out) = Command::new("ip")
            .args(["netns", "pids", &self.name])
            .output()
        {
            for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                let _ = Command::new("kill").args(["-9", pid]).status();
            }
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// The result of one l2x run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "l2x failed: {self:?}");
        self
    }

    /// Fails with this exit status, one `l2x: ...` line naming `needle`, and nothing on stdout.
    pub fn fails(self, code: i32, needle: &str) -> Run {
        assert_eq!(self.code, code, "wrong exit status: {self:?}");
        let first = self.stderr.lines().next().unwrap_or_default();
        assert!(first.starts_with("l2x: "), "error line format: {self:?}");
        assert!(
            self.stderr.contains(needle),
            "error should mention {needle:?}: {self:?}"
        );
        assert!(
            self.stdout.is_empty(),
            "nothing on stdout on failure: {self:?}"
        );
        self
    }

    pub fn json(&self) -> Value {
        parse_json(&self.stdout)
    }
}

pub fn l2x(args: &[&str]) -> Run {
    l2x_cmd(Command::new(env!("CARGO_BIN_EXE_l2x")).args(args))
}

pub fn l2x_cmd(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("run l2x");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn run_ok(prog: &str, args: &[&str]) -> String {
    let out = Command::new(prog).args(args).output().expect("spawn");
    assert!(
        out.status.success(),
        "{prog} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn strip_timers(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|k, _| !k.ends_with("_timer"));
            map.values_mut().for_each(strip_timers);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_timers),
        _ => {}
    }
}

fn parse_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("bad JSON ({e}): {text}"))
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2))
                == Some("0")
        })
        .unwrap_or(false)
}

/// Whether this kernel can make a tunnel of `kind` ("gretap", "l2tp", "vxlan"), asked of
/// iproute2 in a scratch namespace: the oracle for what l2x's own probes must find.
pub fn kernel_has(kind: &str) -> bool {
    let ns = Netns::new("probe");
    let ok = |args: &[&str]| {
        let mut full = vec!["-n", ns.name.as_str()];
        full.extend_from_slice(args);
        Command::new("ip")
            .args(&full)
            .output()
            .expect("run ip")
            .status
            .success()
    };
    let (local, remote) = ("127.0.0.1", "127.0.0.2");
    match kind {
        "gretap" => ok(&[
            "link", "add", "p0", "type", "gretap", "local", local, "remote", remote,
        ]),
        "vxlan" => ok(&[
            "link", "add", "p0", "type", "vxlan", "id", "1", "dstport", "4789",
        ]),
        "wireguard" => ok(&["link", "add", "p0", "type", "wireguard"]),
        "l2tp" => {
            ok(&[
                "l2tp",
                "add",
                "tunnel",
                "tunnel_id",
                "1",
                "peer_tunnel_id",
                "1",
                "encap",
                "udp",
                "local",
                local,
                "remote",
                remote,
                "udp_sport",
                "1701",
                "udp_dport",
                "1701",
            ]) && ok(&[
                "l2tp",
                "add",
                "session",
                "tunnel_id",
                "1",
                "session_id",
                "1",
                "peer_session_id",
                "1",
            ])
        }
        other => panic!("no probe for {other}"),
    }
}
