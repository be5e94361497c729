//! The lab's topology, as plain data: namespace names, addresses, and the l2x command lines
//! that build each host. Nothing here touches the kernel.
//!
//! ```text
//!                 PREFIX-wan: bridge wan0, 192.0.2.254 (the "internet")
//!                 /                 |                      \
//!   PREFIX-host1 ul0 192.0.2.1    host2 ul0 192.0.2.2   ... hostN
//!     br0 10.0.5.1/24 + DHCP + NAT   br0                   br0       (tunnels: full mesh)
//!      |                              |                     |
//!   PREFIX-ct1 eth0 (DHCP)         ct2 eth0              ctN eth0
//! ```

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::spec::tunnel::{Tunnel, TunnelKind};

/// The underlay bridge in the wan namespace; its own address is the internet host.
pub const WAN_BRIDGE: &str = "wan0";
pub const INTERNET: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 254);
pub const UNDERLAY_PREFIX: u8 = 24;
/// Each host's end of its underlay link.
pub const UPLINK: &str = "ul0";
pub const BRIDGE: &str = "br0";
/// The container's end of its veth pair.
pub const CONTAINER_IFACE: &str = "eth0";
pub const SEGMENT: &str = "10.0.5.0/24";
pub const GATEWAY: &str = "10.0.5.1/24";
pub const DHCP_RANGE: &str = "10.0.5.100-10.0.5.199";
/// Where labs keep their files: settings, the DHCP server's pid, leases and log.
const RUN_DIR: &str = "/run/l2x/lab";

/// Which lab: the start of its namespaces' names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    pub prefix: String,
}

/// What `lab up` was asked for; kept in the lab's directory so a re-run can tell it is the
/// same lab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub tunnel: TunnelKind,
    pub hosts: u8,
    /// A lab built from a segment file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<FileLab>,
}

/// A lab built from a segment file: the lab's host N is the file's Nth host in name order,
/// on the underlay at the file's address, made by `l2x apply`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileLab {
    pub path: PathBuf,
    pub segment: String,
    pub hosts: Vec<String>,
    /// The lab's host (1, 2, ...) that is the file's router.
    pub router: u8,
    /// The router's lease file when it is the lab's to remove (the file chose none).
    pub leases: Option<PathBuf>,
    /// Each host's end of its underlay cable: named as the router's masquerade leaves (the
    /// file's `out`), so that the file holds in the lab as it is.
    pub uplink: String,
    /// The wan's own address, on the router's underlay subnet: the internet host.
    pub internet: Ipv4Addr,
    /// The file's router serves DNS (`dns = true`).
    #[serde(default)]
    pub dns: bool,
}

impl Names {
    pub fn new(prefix: &str) -> Names {
        Names {
            prefix: prefix.to_string(),
        }
    }

    pub fn wan(&self) -> String {
        format!("{}-wan", self.prefix)
    }

    pub fn host(&self, i: u8) -> String {
        format!("{}-host{i}", self.prefix)
    }

    pub fn container(&self, i: u8) -> String {
        format!("{}-ct{i}", self.prefix)
    }

    /// `l2x lab VERB`, with `--prefix` unless it is the default lab.
    pub fn command(&self, verb: &str) -> String {
        if self.prefix == "l2x-lab" {
            format!("l2x lab {verb}")
        } else {
            format!("l2x lab {verb} --prefix {}", self.prefix)
        }
    }

    /// What every namespace name of this lab starts with.
    pub fn namespace_prefix(&self) -> String {
        format!("{}-", self.prefix)
    }

    /// The lab's own directory: /run/l2x/lab for the default lab, /run/l2x/lab-PREFIX for
    /// others.
    pub fn run_dir(&self) -> String {
        if self.prefix == "l2x-lab" {
            RUN_DIR.to_string()
        } else {
            format!("{RUN_DIR}-{}", self.prefix)
        }
    }

    /// The lab's DHCP server's pid file, named as `dhcp serve` names them (dhcp-BRIDGE.pid).
    pub fn dhcp_pid_file(&self) -> String {
        format!("{}/dhcp-{BRIDGE}.pid", self.run_dir())
    }

    pub fn plan_file(&self) -> String {
        format!("{}/lab.json", self.run_dir())
    }
}

/// The host-side end of container i's veth pair, a port of br0.
pub fn container_port(i: u8) -> String {
    format!("ct{i}")
}

/// The wan bridge's port toward host i.
pub fn wan_port(i: u8) -> String {
    format!("host{i}")
}

pub fn underlay(i: u8) -> Ipv4Addr {
    Ipv4Addr::new(192, 0, 2, i)
}

/// Host i's tunnel toward host j.
pub fn tunnel_name(j: u8) -> String {
    format!("to-host{j}")
}

impl Plan {
    pub fn host_ids(&self) -> std::ops::RangeInclusive<u8> {
        1..=self.hosts
    }

    /// Host i's name: `hostI`, or in a file's lab the file's.
    pub fn host_name(&self, i: u8) -> String {
        match &self.file {
            Some(f) => f.hosts[usize::from(i) - 1].clone(),
            None => format!("host{i}"),
        }
    }

    /// The hosts' bridge: br0, or the file's segment.
    pub fn bridge(&self) -> &str {
        self.file.as_ref().map_or(BRIDGE, |f| f.segment.as_str())
    }

    /// The pid file of the lab's DHCP server.
    pub fn dhcp_pid_file(&self, names: &Names) -> PathBuf {
        match &self.file {
            Some(f) => super::file::dhcp_pid_file(names, f),
            None => PathBuf::from(names.dhcp_pid_file()),
        }
    }

    /// The address the containers ping as the internet.
    pub fn internet(&self) -> Ipv4Addr {
        self.file.as_ref().map_or(INTERNET, |f| f.internet)
    }

    /// Every namespace of the lab, in the order they are made.
    pub fn namespaces(&self, names: &Names) -> Vec<String> {
        let mut all = vec![names.wan()];
        all.extend(self.host_ids().map(|i| names.host(i)));
        all.extend(self.host_ids().map(|i| names.container(i)));
        all
    }

    /// `bridge add` on host i: host 1's bridge holds the segment's gateway address.
    pub fn bridge_args(&self, i: u8) -> Vec<String> {
        let mut args = words(&["bridge", "add", BRIDGE]);
        if i == 1 {
            args.extend(words(&["--addr", GATEWAY]));
        }
        args
    }

    /// The tunnel on host i toward host j, as its kind wires the lab: every pair gets numbers
    /// of its own, and every tunnel port is isolated (split horizon makes the full mesh
    /// loop-free without STP).
    pub fn tunnel_args(&self, i: u8, j: u8) -> Vec<String> {
        let (local, remote) = (IpAddr::V4(underlay(i)), IpAddr::V4(underlay(j)));
        Tunnel {
            device: self.tunnel.lab(i, j, &tunnel_name(j), local, remote),
            mtu: None,
            bridge: Some(BRIDGE.into()),
            isolated: true,
            mark: None,
        }
        .command_line()
    }

    /// Whether the lab's router serves DNS: the built-in lab's does, a file's when it says so.
    pub fn serves_dns(&self) -> bool {
        self.file.as_ref().is_none_or(|f| f.dns)
    }

    pub fn dhcp_serve_args(&self, names: &Names) -> Vec<String> {
        let dir = names.run_dir();
        words(&[
            "dhcp",
            "serve",
            BRIDGE,
            "--range",
            DHCP_RANGE,
            "--daemon",
            "--pid-file",
            &names.dhcp_pid_file(),
            "--lease-file",
            &format!("{dir}/dhcp-{BRIDGE}.leases"),
            "--log-file",
            &format!("{dir}/dhcp-{BRIDGE}.log"),
        ])
    }

    pub fn nat_args(&self) -> Vec<String> {
        words(&["nat", "masq", "--source", SEGMENT, "--out", UPLINK])
    }
}

pub fn words(w: &[&str]) -> Vec<String> {
    w.iter().map(|s| s.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_wan_hosts_then_containers() {
        let plan = Plan {
            tunnel: TunnelKind::Vxlan,
            hosts: 2,
            file: None,
        };
        assert_eq!(
            plan.namespaces(&Names::new("l2x-lab")),
            [
                "l2x-lab-wan",
                "l2x-lab-host1",
                "l2x-lab-host2",
                "l2x-lab-ct1",
                "l2x-lab-ct2"
            ]
        );
        assert_eq!(Names::new("t1").run_dir(), "/run/l2x/lab-t1");
    }

    #[test]
    fn both_ends_of_a_tunnel_agree() {
        let plan = Plan {
            tunnel: TunnelKind::L2tp,
            hosts: 3,
            file: None,
        };
        let a = plan.tunnel_args(1, 3).join(" ");
        let b = plan.tunnel_args(3, 1).join(" ");
        assert!(a.contains("--tunnel-id 13 --peer-tunnel-id 31"), "{a}");
        assert!(b.contains("--tunnel-id 31 --peer-tunnel-id 13"), "{b}");
        assert!(a.contains("--sport 17013 --dport 17031"), "{a}");
        assert!(b.contains("--sport 17031 --dport 17013"), "{b}");
        assert!(a.starts_with("tunnel l2tp to-host3 --local 192.0.2.1 --remote 192.0.2.3"));
        assert!(a.ends_with("--bridge br0 --isolated"), "{a}");
        let vx = Plan {
            tunnel: TunnelKind::Vxlan,
            hosts: 3,
            file: None,
        };
        assert_eq!(
            vx.tunnel_args(2, 1)[..5].join(" "),
            "tunnel vxlan to-host1 --vni 12"
        );
    }
}
