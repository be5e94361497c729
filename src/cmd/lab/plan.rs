//! The lab's topology, as plain data: namespace names, addresses, and the l2x command lines
//! that build each host. Nothing here touches the kernel.
//!
//! ```text
//!                 l2x-lab-wan: bridge wan0, 192.0.2.254 (the "internet")
//!                 /                 |                      \
//!   l2x-lab-host1 ul0 192.0.2.1   host2 ul0 192.0.2.2   ... hostN
//!     br0 10.0.5.1/24 + DHCP + NAT   br0                   br0       (tunnels: full mesh)
//!      |                              |                     |
//!   l2x-lab-ct1 eth0 (DHCP)        ct2 eth0              ctN eth0
//! ```

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::cli::TunnelKind;

pub const PREFIX: &str = "l2x-lab-";
pub const WAN: &str = "l2x-lab-wan";
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
/// Where the lab keeps its files: its settings, the DHCP server's pid, leases and log.
pub const RUN_DIR: &str = "/run/l2x/lab";

/// What `lab up` was asked for; kept in RUN_DIR so a re-run can tell it is the same lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub tunnel: TunnelKind,
    pub hosts: u8,
}

pub fn host(i: u8) -> String {
    format!("{PREFIX}host{i}")
}

pub fn container(i: u8) -> String {
    format!("{PREFIX}ct{i}")
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

    /// Every namespace of the lab, in the order they are made.
    pub fn namespaces(&self) -> Vec<String> {
        let mut all = vec![WAN.to_string()];
        all.extend(self.host_ids().map(host));
        all.extend(self.host_ids().map(container));
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

    /// The tunnel command on host i toward host j. Every pair gets numbers of its own (VNI,
    /// L2TP ids and UDP ports), and every tunnel port is isolated: split horizon makes the
    /// full mesh loop-free without STP.
    pub fn tunnel_args(&self, i: u8, j: u8) -> Vec<String> {
        let (local, remote) = (underlay(i).to_string(), underlay(j).to_string());
        let name = tunnel_name(j);
        let pair = u32::from(i.min(j)) * 10 + u32::from(i.max(j));
        let (mine, theirs) = (
            u32::from(i) * 10 + u32::from(j),
            u32::from(j) * 10 + u32::from(i),
        );
        let mut args = match self.tunnel {
            TunnelKind::Gretap => words(&["tunnel", "gretap", &name]),
            TunnelKind::Vxlan => words(&["tunnel", "vxlan", &name, "--vni", &pair.to_string()]),
            // One UDP socket per tunnel: each needs its own local port.
            TunnelKind::L2tp => words(&[
                "tunnel",
                "l2tp",
                &name,
                "--tunnel-id",
                &mine.to_string(),
                "--peer-tunnel-id",
                &theirs.to_string(),
                "--session-id",
                &mine.to_string(),
                "--peer-session-id",
                &theirs.to_string(),
                "--sport",
                &(L2TP_BASE_PORT + mine).to_string(),
                "--dport",
                &(L2TP_BASE_PORT + theirs).to_string(),
            ]),
        };
        args.extend(words(&[
            "--local",
            &local,
            "--remote",
            &remote,
            "--bridge",
            BRIDGE,
            "--isolated",
        ]));
        args
    }

    pub fn dhcp_serve_args(&self) -> Vec<String> {
        words(&[
            "dhcp",
            "serve",
            BRIDGE,
            "--range",
            DHCP_RANGE,
            "--daemon",
            "--pid-file",
            &dhcp_pid_file(),
            "--lease-file",
            &format!("{RUN_DIR}/dhcp-{BRIDGE}.leases"),
            "--log-file",
            &format!("{RUN_DIR}/dhcp-{BRIDGE}.log"),
        ])
    }

    pub fn nat_args(&self) -> Vec<String> {
        words(&["nat", "masq", "--source", SEGMENT, "--out", UPLINK])
    }
}

const L2TP_BASE_PORT: u32 = 17000;

/// The lab's DHCP server's pid file, named as `dhcp serve` names them (dhcp-BRIDGE.pid).
pub fn dhcp_pid_file() -> String {
    format!("{RUN_DIR}/dhcp-{BRIDGE}.pid")
}

pub fn plan_file() -> String {
    format!("{RUN_DIR}/lab.json")
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
        };
        assert_eq!(
            plan.namespaces(),
            [
                "l2x-lab-wan",
                "l2x-lab-host1",
                "l2x-lab-host2",
                "l2x-lab-ct1",
                "l2x-lab-ct2"
            ]
        );
    }

    #[test]
    fn both_ends_of_a_tunnel_agree() {
        let plan = Plan {
            tunnel: TunnelKind::L2tp,
            hosts: 3,
        };
        let a = plan.tunnel_args(1, 3).join(" ");
        let b = plan.tunnel_args(3, 1).join(" ");
        assert!(a.contains("--tunnel-id 13 --peer-tunnel-id 31"), "{a}");
        assert!(b.contains("--tunnel-id 31 --peer-tunnel-id 13"), "{b}");
        assert!(a.contains("--sport 17013 --dport 17031"), "{a}");
        assert!(b.contains("--sport 17031 --dport 17013"), "{b}");
        assert!(a.ends_with("--local 192.0.2.1 --remote 192.0.2.3 --bridge br0 --isolated"));
        let vx = Plan {
            tunnel: TunnelKind::Vxlan,
            hosts: 3,
        };
        assert_eq!(
            vx.tunnel_args(2, 1)[..5].join(" "),
            "tunnel vxlan to-host1 --vni 12"
        );
    }
}
