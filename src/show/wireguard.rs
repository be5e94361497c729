//! WireGuard interfaces as `show` and `status` print them: which implementation runs each, its
//! port and key, and for every peer where it is, when the last handshake completed and what
//! crossed. A peer that never completed a handshake passes no frames: its key, or its reach,
//! is wrong.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use ipnetwork::IpNetwork;
use serde::Serialize;

use super::{new_table, render};
use crate::msg::wireguard::key::PublicKey;
use crate::msg::wireguard::{Backend, Device, Peer};

#[derive(Debug, Serialize)]
pub struct WireguardView {
    pub name: String,
    /// "kernel" or "wireguard-go".
    pub backend: &'static str,
    pub public_key: Option<PublicKey>,
    pub listen_port: Option<u16>,
    pub peers: Vec<PeerView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeerView {
    pub public_key: PublicKey,
    /// Where WireGuard sends to: the file's endpoint, or where a peer behind NAT was last
    /// heard from.
    pub endpoint: Option<SocketAddr>,
    pub allowed_ips: Vec<IpNetwork>,
    /// Seconds since the last handshake completed; None: never.
    pub handshake_ago: Option<u64>,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
}

pub fn view(dev: &Device, backend: Backend, now: SystemTime) -> WireguardView {
    WireguardView {
        name: dev.name.clone(),
        backend: match backend {
            Backend::Kernel => "kernel",
            Backend::WireguardGo => "wireguard-go",
        },
        public_key: dev.public_key,
        listen_port: dev.listen_port,
        peers: dev.peers.iter().map(|p| peer(p, now)).collect(),
    }
}

pub fn peer(p: &Peer, now: SystemTime) -> PeerView {
    let since_epoch = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    PeerView {
        public_key: p.public_key,
        endpoint: p.endpoint,
        allowed_ips: p.allowed_ips.clone(),
        // WireGuard reports no handshake as the epoch itself.
        handshake_ago: p
            .last_handshake
            .filter(|t| !t.is_zero())
            .map(|t| since_epoch.saturating_sub(t).as_secs()),
        rx_bytes: p.rx_bytes,
        tx_bytes: p.tx_bytes,
    }
}

/// "12 s ago", "3 min ago", "never".
pub fn ago(seconds: Option<u64>) -> String {
    match seconds.map(Duration::from_secs) {
        None => "never".into(),
        Some(d) if d.as_secs() < 120 => format!("{} s ago", d.as_secs()),
        Some(d) if d.as_secs() < 7200 => format!("{} min ago", d.as_secs() / 60),
        Some(d) => format!("{} h ago", d.as_secs() / 3600),
    }
}

pub fn table(list: &[WireguardView]) -> String {
    let mut t = new_table(&[
        "INTERFACE",
        "BY",
        "PORT",
        "PEER",
        "ENDPOINT",
        "HANDSHAKE",
        "RX",
        "TX",
    ]);
    let mut rows = 0;
    for w in list {
        let port = w.listen_port.map_or("-".into(), |p| p.to_string());
        if w.peers.is_empty() {
            t.add_row(vec![w.name.clone(), w.backend.into(), port.clone()]);
        }
        for p in &w.peers {
            t.add_row(vec![
                w.name.clone(),
                w.backend.into(),
                port.clone(),
                p.public_key.to_string(),
                p.endpoint.map_or("-".into(), |e| e.to_string()),
                ago(p.handshake_ago),
                format!("{} B", p.rx_bytes),
                format!("{} B", p.tx_bytes),
            ]);
        }
        rows += 1;
    }
    render(t, rows, "no WireGuard interfaces")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handshake_is_told_as_time_ago_and_none_as_never() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut p = Peer::new(PublicKey::from_bytes([7; 32]));
        assert_eq!(peer(&p, now).handshake_ago, None);
        p.last_handshake = Some(Duration::ZERO);
        assert_eq!(peer(&p, now).handshake_ago, None);
        p.last_handshake = Some(Duration::from_secs(999_990));
        assert_eq!(ago(peer(&p, now).handshake_ago), "10 s ago");
        assert_eq!(ago(Some(600)), "10 min ago");
        assert_eq!(ago(None), "never");
    }
}
