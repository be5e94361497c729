//! `l2x status FILE`: each other host of the segment, whether frames crossed to it and back,
//! and the tunnel they went by.

use serde::Serialize;

use super::{new_table, render, wireguard};
use crate::msg::link::Stats;

#[derive(Debug, Serialize)]
pub struct StatusView {
    pub segment: String,
    pub host: String,
    pub peers: Vec<PeerView>,
    /// Peers that did not answer.
    pub unreachable: usize,
}

#[derive(Debug, Serialize)]
pub struct PeerView {
    pub host: String,
    /// The tunnel the frames leave by (toward the router host, for a spoke's other spokes).
    pub tunnel: String,
    pub kind: String,
    /// None when the tunnel is missing here.
    pub mtu: Option<u32>,
    pub reachable: bool,
    pub rtt_ms: Option<f64>,
    pub counters: Option<Stats>,
    /// In an encrypted segment: the peer as this host's WireGuard interface has it (None when
    /// the interface has no such peer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wireguard: Option<wireguard::PeerView>,
    /// Whether the segment is encrypted (the table gets a handshake column).
    #[serde(skip)]
    pub encrypted: bool,
}

impl StatusView {
    pub fn table(&self) -> String {
        let mut header = vec!["PEER", "TUNNEL", "KIND", "MTU", "FRAMES", "RTT", "RX", "TX"];
        let encrypted = self.peers.iter().any(|p| p.encrypted);
        if encrypted {
            header.push("HANDSHAKE");
        }
        let mut t = new_table(&header);
        for p in &self.peers {
            let (rx, tx) = p.counters.map_or((String::new(), String::new()), |c| {
                (
                    format!("{} pkts {} B", c.rx_packets, c.rx_bytes),
                    format!("{} pkts {} B", c.tx_packets, c.tx_bytes),
                )
            });
            let mut row = vec![
                p.host.clone(),
                p.tunnel.clone(),
                p.kind.clone(),
                p.mtu.map_or("missing".into(), |m| m.to_string()),
                if p.reachable {
                    "both ways"
                } else {
                    "no answer"
                }
                .to_string(),
                p.rtt_ms.map_or("-".into(), |ms| format!("{ms:.3} ms")),
                rx,
                tx,
            ];
            if encrypted {
                row.push(match &p.wireguard {
                    Some(w) => wireguard::ago(w.handshake_ago),
                    None => "no such peer".into(),
                });
            }
            t.add_row(row);
        }
        render(t, self.peers.len(), "no other hosts in the segment")
    }
}
