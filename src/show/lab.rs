//! The lab: what `lab up` found when it pinged across it, and what `lab status` finds.

use serde::Serialize;

use super::{new_table, render};

#[derive(Debug, Serialize)]
pub struct LabView {
    pub tunnel: String,
    pub hosts: u8,
    pub containers: Vec<ContainerView>,
    /// Pings that got no answer.
    pub failed: usize,
    /// Containers that could not resolve their peer's name.
    pub unresolved: usize,
}

#[derive(Debug, Serialize)]
pub struct ContainerView {
    pub container: String,
    pub host: String,
    /// From DHCP, with prefix length.
    pub address: Option<String>,
    pub mtu: u32,
    pub peers: Vec<PingView>,
    pub internet: PingView,
    /// A peer's name asked of the DNS server on the container's router; None without a
    /// router or a peer.
    pub dns: Option<NameView>,
}

/// One name asked from a container.
#[derive(Debug, Serialize)]
pub struct NameView {
    pub name: String,
    pub server: String,
    /// What the server answered; None: no address.
    pub address: Option<String>,
    /// The answer is the peer's address.
    pub ok: bool,
}

/// One destination pinged from a container.
#[derive(Debug, Serialize)]
pub struct PingView {
    /// The peer container; None for the internet host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    pub address: String,
    pub ok: bool,
    pub rtt_ms: Option<f64>,
}

impl LabView {
    pub fn table(&self) -> String {
        let mut t = new_table(&[
            "CONTAINER",
            "HOST",
            "ADDRESS (DHCP)",
            "MTU",
            "PEERS",
            "INTERNET",
            "DNS",
            "RTT",
        ]);
        for c in &self.containers {
            let reached: Vec<&PingView> = c.peers.iter().filter(|p| p.ok).collect();
            let names: Vec<&str> = reached
                .iter()
                .filter_map(|p| p.container.as_deref())
                .collect();
            let rtts: Vec<f64> = c.peers.iter().filter_map(|p| p.rtt_ms).collect();
            let rtt = if rtts.is_empty() {
                "-".to_string()
            } else {
                format!("{:.3} ms", rtts.iter().sum::<f64>() / rtts.len() as f64)
            };
            t.add_row(vec![
                c.container.clone(),
                c.host.clone(),
                c.address.clone().unwrap_or_else(|| "none".into()),
                c.mtu.to_string(),
                format!("{}/{} {}", reached.len(), c.peers.len(), names.join(" ")),
                if c.internet.ok { "yes" } else { "no" }.to_string(),
                match &c.dns {
                    Some(d) if d.ok => format!("{} ok", d.name),
                    Some(d) => {
                        format!("{} {}", d.name, d.address.as_deref().unwrap_or("no answer"))
                    }
                    None => "-".into(),
                },
                rtt,
            ]);
        }
        let mut verdict = if self.failed == 0 {
            "all pings ok".to_string()
        } else {
            unanswered(self.failed)
        };
        if self.unresolved > 0 {
            let s = if self.unresolved == 1 { "" } else { "s" };
            verdict.push_str(&format!(
                ", {} container{s} could not resolve a peer's name",
                self.unresolved
            ));
        }
        format!(
            "{}{verdict} ({} tunnels, {} hosts; peers pinged with full-size frames, DF set)\n",
            render(t, self.containers.len(), "no containers"),
            self.tunnel,
            self.hosts
        )
    }
}

/// `1 ping got no answer`, `3 pings got no answer`.
pub fn unanswered(n: usize) -> String {
    let s = if n == 1 { "" } else { "s" };
    format!("{n} ping{s} got no answer")
}

#[derive(Debug, Serialize)]
pub struct LabStatus {
    pub tunnel: Option<String>,
    pub hosts: Option<u8>,
    pub dhcp: Option<DhcpState>,
    pub namespaces: Vec<NamespaceView>,
}

#[derive(Debug, Serialize)]
pub struct DhcpState {
    pub pid: Option<i32>,
    pub running: bool,
}

#[derive(Debug, Serialize)]
pub struct NamespaceView {
    pub name: String,
    pub role: &'static str,
    /// Its interfaces: `br0 (bridge, mtu 1450, 10.0.5.1/24)`, one per line.
    pub detail: Vec<String>,
}

impl LabStatus {
    pub fn table(&self) -> String {
        if self.namespaces.is_empty() && self.tunnel.is_none() {
            return "no lab (`l2x lab up` builds one)\n".to_string();
        }
        let plan = match (&self.tunnel, self.hosts) {
            (Some(t), Some(h)) => format!("lab: {t} tunnels, {h} hosts"),
            _ => "lab: settings unknown".to_string(),
        };
        let dhcp = match &self.dhcp {
            Some(DhcpState {
                pid: Some(pid),
                running: true,
            }) => format!("dhcp server: pid {pid}, running"),
            Some(_) => "dhcp server: not running (stale pid file)".to_string(),
            None => "dhcp server: none".to_string(),
        };
        let mut t = new_table(&["NAMESPACE", "ROLE", "INTERFACES"]);
        for n in &self.namespaces {
            t.add_row(vec![
                n.name.clone(),
                n.role.to_string(),
                n.detail.join("\n"),
            ]);
        }
        format!(
            "{plan}; {dhcp}\n{}",
            render(t, self.namespaces.len(), "no lab namespaces")
        )
    }
}
