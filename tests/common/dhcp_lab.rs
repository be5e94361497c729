//! A DHCP lab for the integration tests: a server namespace with bridge br0 (10.0.5.1/24),
//! containers behind it as namespaces with a veth port each, and real clients in them.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};

use super::*;

pub const RANGE: &str = "10.0.5.100-10.0.5.150";
/// The bridge ports' MTU: the bridge follows it, and option 26 must carry it.
pub const PORT_MTU: &str = "1400";

pub static IFACES: AtomicU32 = AtomicU32::new(0);

/// A server namespace with bridge br0 (10.0.5.1/24), containers behind it, and a scratch
/// directory for the server's and clients' files. Containers go first when it is dropped.
pub struct Lab {
    pub containers: Vec<Container>,
    pub host: Netns,
    pub dir: PathBuf,
}

pub struct Container {
    pub ns: Netns,
    /// Unique on the machine: dhcpcd keeps its state under the interface's name.
    pub iface: String,
}

impl Lab {
    pub fn new(tag: &str) -> Lab {
        let host = Netns::new(tag);
        host.l2x(&["bridge", "add", "br0", "--addr", "10.0.5.1/24"])
            .ok();
        let dir = std::env::temp_dir().join(&host.name);
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("client.sh"),
            CLIENT_SCRIPT.replace("LOG", &log_path(&dir)),
        )
        .unwrap();
        run_ok("chmod", &["+x", dir.join("client.sh").to_str().unwrap()]);
        Lab {
            containers: Vec::new(),
            host,
            dir,
        }
    }

    /// A container: a namespace whose interface (MTU 1500) is a veth whose peer (MTU 1400)
    /// is a port of br0.
    pub fn container(&mut self) -> usize {
        let n = IFACES.fetch_add(1, Ordering::SeqCst);
        let iface = format!("e{}x{n}", std::process::id() % 100_000);
        let port = format!("p{n}");
        let ns = Netns::new("ctr");
        self.host
            .ip(&["link", "add", &iface, "type", "veth", "peer", "name", &port]);
        self.host.ip(&["link", "set", &port, "mtu", PORT_MTU]);
        self.host.l2x(&["attach", &port, "br0"]).ok();
        self.host.ip(&["link", "set", &iface, "netns", &ns.name]);
        ns.ip(&["link", "set", &iface, "up"]);
        self.containers.push(Container { ns, iface });
        self.containers.len() - 1
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_string()
    }

    /// `dhcp serve br0 --daemon` with the lab's files (but those `extra` names) and `extra`
    /// options.
    pub fn serve(&self, extra: &[&str]) -> Run {
        let (leases, pid, log) = (
            self.path("leases"),
            self.path("pid"),
            self.path("server.log"),
        );
        let mut args = vec!["dhcp", "serve", "br0", "--pid-file", &pid, "--daemon"];
        for (option, default) in [
            ("--range", RANGE),
            ("--lease-file", &leases),
            ("--log-file", &log),
        ] {
            if !extra.contains(&option) {
                args.extend([option, default]);
            }
        }
        args.extend_from_slice(extra);
        self.host.l2x(&args)
    }

    pub fn server_pid(&self) -> String {
        fs::read_to_string(self.path("pid"))
            .unwrap()
            .trim()
            .to_string()
    }

    /// kill -9, then waits for the server to be dead: until then it holds its pid file's
    /// lock, and a new server would be refused as a second one.
    pub fn kill_server(&self) {
        let pid = self.server_pid();
        run_ok("kill", &["-9", &pid]);
        let stat = format!("/proc/{pid}/stat");
        let deadline = Instant::now() + Duration::from_secs(5);
        // Dead once gone, or a zombie ("PID (l2x) Z ...") its parent has not reaped yet and
        // whose other threads (the DNS server's) have ended too: until the last one has, the
        // process holds its files, the pid file's lock among them.
        let task = format!("/proc/{pid}/task");
        let threads = || fs::read_dir(&task).map_or(0, |d| d.count());
        while fs::read_to_string(&stat).is_ok_and(|s| !s.contains(") Z ")) || threads() > 1 {
            assert!(Instant::now() < deadline, "pid {pid} outlived kill -9");
            sleep(Duration::from_millis(10));
        }
    }

    pub fn server_log(&self) -> String {
        fs::read_to_string(self.path("server.log")).unwrap_or_default()
    }

    pub fn stop(&self) -> Run {
        self.host
            .l2x(&["dhcp", "stop", "br0", "--pid-file", &self.path("pid")])
    }

    pub fn leases(&self) -> serde_json::Value {
        let file = self.path("leases");
        self.host
            .l2x(&["-j", "dhcp", "leases", "br0", "--lease-file", &file])
            .ok()
            .json()
    }

    /// What the clients' script was told, one line per event: `EVENT IP ROUTER MTU IFACE`.
    pub fn events(&self) -> Vec<Event> {
        let text = fs::read_to_string(log_path(&self.dir)).unwrap_or_default();
        text.lines().filter_map(Event::parse).collect()
    }

    /// Waits until the script has seen `count` events of a kind (bound or renew) on `iface`.
    pub fn wait_events(
        &self,
        iface: &str,
        renew: bool,
        count: usize,
        limit: Duration,
    ) -> Vec<Event> {
        let start = Instant::now();
        loop {
            let seen: Vec<Event> = self
                .events()
                .into_iter()
                .filter(|e| e.iface == iface && e.renew == renew)
                .collect();
            if seen.len() >= count {
                return seen;
            }
            assert!(
                start.elapsed() < limit,
                "no {} event on {iface} within {limit:?}; events {:?}; server log:\n{}",
                if renew { "renew" } else { "bound" },
                self.events(),
                self.server_log()
            );
            sleep(Duration::from_millis(100));
        }
    }

    /// busybox udhcpc, once, giving hostname `cN`: Some(address) when it got a lease.
    pub fn udhcpc_once(&self, c: usize) -> Option<String> {
        let Container { ns, iface } = &self.containers[c];
        let script = self.path("client.sh");
        let hostname = format!("hostname:c{c}");
        let out = ns.exec(
            "busybox",
            &[
                "udhcpc", "-i", iface, "-f", "-q", "-n", "-t", "3", "-T", "1", "-s", &script, "-O",
                "mtu", "-x", &hostname,
            ],
        );
        out.status.success().then(|| {
            let bound = self.wait_events(iface, false, 1, Duration::from_secs(1));
            bound.last().unwrap().ip.clone()
        })
    }

    /// A client daemon in container `c`, kept in the foreground so it can be killed by pid.
    pub fn spawn(&self, c: usize, prog: &str, args: &[&str]) -> Client {
        let ns = &self.containers[c].ns;
        let child = Command::new("ip")
            .args(["netns", "exec", &ns.name, prog])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn client");
        Client(child)
    }

    /// ISC dhclient in container `c` with `conf` as its configuration, kept in the
    /// foreground; with the arguments (but `-d`) that name its files, for `dhclient -r`.
    pub fn dhclient(&self, c: usize, conf: &str) -> (Client, Vec<String>) {
        let conf_path = self.path("dhclient.conf");
        fs::write(&conf_path, conf).unwrap();
        let args: Vec<String> = [
            "-4".to_string(),
            "-cf".into(),
            conf_path,
            "-sf".into(),
            self.path("client.sh"),
            "-lf".into(),
            self.path("dhclient.leases"),
            "-pf".into(),
            self.path("dhclient.pid"),
            self.containers[c].iface.clone(),
        ]
        .into();
        let mut daemon = vec!["-d"];
        daemon.extend(args.iter().map(String::as_str));
        (self.spawn(c, "dhclient", &daemon), args)
    }

    pub fn mac(&self, c: usize) -> String {
        let Container { ns, iface } = &self.containers[c];
        ns.link(iface)["address"].as_str().unwrap().to_string()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // dhcpcd keeps a lease file per interface name outside the namespace.
        for c in self.containers.drain(..) {
            drop(c.ns);
            let _ = fs::remove_file(format!("/var/lib/dhcpcd/{}.lease", c.iface));
        }
        if let Ok(pid) = fs::read_to_string(self.path("pid")) {
            let _ = Command::new("kill").args(["-9", pid.trim()]).status();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// A client process, killed (by pid) when dropped.
pub struct Client(pub Child);

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn log_path(dir: &Path) -> String {
    dir.join("events").to_str().unwrap().to_string()
}

/// The script all three clients run. udhcpc passes the event as $1 and options as $ip, $mask
/// (a prefix length), $router, $mtu; dhclient and dhcpcd pass $reason and $new_*. udhcpc and
/// dhclient leave configuring the address to the script (so renewals can be unicast); dhcpcd
/// (which alone sets $protocol) configures it itself. The lab's subnet is a /24.
pub const CLIENT_SCRIPT: &str = r#"#!/bin/sh
event=${reason:-$1}
addr=${new_ip_address:-$ip}
case "$event" in
  bound|renew|BOUND|RENEW|REBIND|REBOOT)
    echo "$event $addr ${new_routers:-$router} ${new_interface_mtu:-$mtu} $interface" >> LOG
    [ -n "$protocol" ] || ip addr replace "$addr/${mask:-24}" dev "$interface" ;;
esac
exit 0
"#;

#[derive(Debug, Clone)]
pub struct Event {
    pub renew: bool,
    pub ip: String,
    pub router: String,
    pub mtu: String,
    pub iface: String,
}

impl Event {
    pub fn parse(line: &str) -> Option<Event> {
        let f: Vec<&str> = line.split(' ').collect();
        let [event, ip, router, mtu, iface] = f[..] else {
            return None;
        };
        Some(Event {
            renew: matches!(event, "renew" | "RENEW" | "REBIND"),
            ip: ip.into(),
            router: router.into(),
            mtu: mtu.into(),
            iface: iface.into(),
        })
    }
}

pub fn in_range(ip: &str) -> bool {
    let last: u8 = ip
        .strip_prefix("10.0.5.")
        .and_then(|o| o.parse().ok())
        .unwrap_or(0);
    (100..=150).contains(&last)
}
