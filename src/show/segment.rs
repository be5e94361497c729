//! `l2x status FILE`: each other host of the segment, whether frames crossed to it and back,
//! and the tunnel they went by.

use serde::Serialize;

use super::{new_table, render};
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
}

impl StatusView {
    pub fn table(&self) -> String {
        let mut t = new_table(&["PEER", "TUNNEL", "KIND", "MTU", "FRAMES", "RTT", "RX", "TX"]);
        for p in &self.peers {
            let (rx, tx) = p.counters.map_or((String::new(), String::new()), |c| {
                (
                    format!("{} pkts {} B", c.rx_packets, c.rx_bytes),
                    format!("{} pkts {} B", c.tx_packets, c.tx_bytes),
                )
            });
            t.add_row(vec![
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
            ]);
        }
        render(t, self.peers.len(), "no other hosts in the segment")
    }
}
