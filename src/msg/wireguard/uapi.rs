//! wireguard-go's configuration protocol: `key=value` lines over the unix socket
//! /var/run/wireguard/NAME.sock, keys in hex (wireguard-tools src/ipc-uapi.h). `set=1` and the
//! settings, then an empty line, are answered `errno=N`; `get=1` is answered with the
//! device's settings and counters, then `errno=N`. The same `Device` as the kernel's netlink,
//! in text.

use std::fmt::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::key::{PrivateKey, PublicKey};
use super::{Device, Peer};

/// Where wireguard-go listens for interface `name`. The directory is the filesystem's, not the
/// network namespace's: two namespaces cannot both have a wireguard-go interface of one name.
pub fn socket_path(name: &str) -> PathBuf {
    PathBuf::from(format!("/var/run/wireguard/{name}.sock"))
}

/// The request for the device's settings and counters.
pub const GET: &str = "get=1\n\n";

/// The set request for `dev`, lines in the order wg writes them.
pub fn set(dev: &Device) -> String {
    let mut out = String::from("set=1\n");
    let mut line = |key: &str, value: &dyn fmt::Display| {
        // Writing to a String cannot fail.
        let _ = writeln!(out, "{key}={value}");
    };
    if let Some(key) = &dev.private_key {
        line("private_key", &key.to_hex());
    }
    if let Some(port) = dev.listen_port {
        line("listen_port", &port);
    }
    if let Some(mark) = dev.fwmark {
        line("fwmark", &mark);
    }
    if dev.replace_peers {
        line("replace_peers", &"true");
    }
    for peer in &dev.peers {
        line("public_key", &peer.public_key.to_hex());
        if peer.remove {
            line("remove", &"true");
            continue;
        }
        if let Some(endpoint) = peer.endpoint {
            line("endpoint", &endpoint);
        }
        if let Some(secs) = peer.persistent_keepalive {
            line("persistent_keepalive_interval", &secs);
        }
        if peer.replace_allowed_ips {
            line("replace_allowed_ips", &"true");
        }
        for net in &peer.allowed_ips {
            line("allowed_ip", &net);
        }
    }
    out.push('\n');
    out
}

/// What is wrong with an answer from the socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UapiError {
    /// wireguard-go refused: errno=N with N not 0.
    Refused(i32),
    /// A line that is not `key=value` with a value of the key's kind.
    Malformed(String),
    /// The answer ended before its `errno=` line.
    Truncated,
}

impl fmt::Display for UapiError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            UapiError::Refused(errno) => write!(
                f,
                "wireguard-go refused the configuration: {}",
                std::io::Error::from_raw_os_error(*errno)
            ),
            UapiError::Malformed(line) => {
                let shown: String = line.chars().take(60).collect();
                write!(f, "wireguard-go answered a malformed line: {shown:?}")
            }
            UapiError::Truncated => write!(f, "wireguard-go's answer ended early"),
        }
    }
}

impl std::error::Error for UapiError {}

/// The answer to a set: `errno=0` is success.
pub fn parse_set_answer(text: &str) -> Result<(), UapiError> {
    for line in text.lines() {
        if let Some(value) = line.strip_prefix("errno=") {
            return errno(value, line);
        }
    }
    Err(UapiError::Truncated)
}

fn errno(value: &str, line: &str) -> Result<(), UapiError> {
    match value.parse::<i32>() {
        Ok(0) => Ok(()),
        Ok(n) => Err(UapiError::Refused(n)),
        Err(_) => Err(UapiError::Malformed(line.to_string())),
    }
}

/// The device interface `name` is, from the answer to `GET`. Keys wireguard-go adds that l2x
/// has no use for (preshared_key, protocol_version, newer ones) are passed over.
pub fn parse_get(name: &str, text: &str) -> Result<Device, UapiError> {
    let mut dev = Device {
        name: name.to_string(),
        ..Device::default()
    };
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        let bad = || UapiError::Malformed(line.to_string());
        let (key, value) = line.split_once('=').ok_or_else(bad)?;
        if key == "errno" {
            errno(value, line)?;
            dev.public_key = dev.private_key.as_ref().map(PrivateKey::public_key);
            return Ok(dev);
        }
        read_line(&mut dev, key, value).ok_or_else(bad)?;
    }
    Err(UapiError::Truncated)
}

/// One `key=value` of a get answer into `dev`; `None` when the value is not of the key's kind.
fn read_line(dev: &mut Device, key: &str, value: &str) -> Option<()> {
    if key == "public_key" {
        dev.peers.push(Peer::new(PublicKey::from_hex(value).ok()?));
        return Some(());
    }
    let Some(peer) = dev.peers.last_mut() else {
        match key {
            "private_key" => dev.private_key = Some(PrivateKey::from_hex(value).ok()?),
            "listen_port" => dev.listen_port = Some(value.parse().ok()?),
            "fwmark" => dev.fwmark = Some(value.parse().ok()?).filter(|&m| m != 0),
            _ => {}
        }
        return Some(());
    };
    match key {
        "endpoint" => peer.endpoint = Some(value.parse::<SocketAddr>().ok()?),
        "persistent_keepalive_interval" => peer.persistent_keepalive = Some(value.parse().ok()?),
        "allowed_ip" => peer.allowed_ips.push(value.parse().ok()?),
        "rx_bytes" => peer.rx_bytes = value.parse().ok()?,
        "tx_bytes" => peer.tx_bytes = value.parse().ok()?,
        "last_handshake_time_sec" => {
            let secs: u64 = value.parse().ok()?;
            let nanos = peer.last_handshake.map_or(0, |t| t.subsec_nanos());
            peer.last_handshake = Some(Duration::new(secs, nanos));
        }
        "last_handshake_time_nsec" => {
            let nanos: u32 = value.parse().ok().filter(|&n| n < 1_000_000_000)?;
            let secs = peer.last_handshake.map_or(0, |t| t.as_secs());
            peer.last_handshake = Some(Duration::new(secs, nanos));
        }
        _ => {}
    }
    if peer.last_handshake == Some(Duration::ZERO) {
        peer.last_handshake = None;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::wireguard::key::tests::{KEY_A, PUB_A};
    use crate::msg::wireguard::netlink::tests::{as_wg_dumps, dumped_peers, set_a};

    /// A capture without its comment lines: the text as it crossed the socket.
    fn text(capture: &str) -> String {
        capture
            .split_inclusive('\n')
            .filter(|l| !l.starts_with('#'))
            .collect()
    }

    #[test]
    fn the_socket_is_named_after_the_interface() {
        assert_eq!(
            socket_path("wg1"),
            PathBuf::from("/var/run/wireguard/wg1.sock")
        );
    }

    #[test]
    fn set_matches_what_wg_writes() {
        let want = text(include_str!("../../../tests/golden/wg-uapi-set.txt"));
        assert_eq!(set(&set_a()), want);
    }

    #[test]
    fn get_matches_what_wg_writes() {
        let want = text(include_str!(
            "../../../tests/golden/wg-uapi-get-request.txt"
        ));
        assert_eq!(GET, want);
    }

    #[test]
    fn wireguard_gos_answer_reads_as_wg_show_dump_prints_it() {
        let capture = include_str!("../../../tests/golden/wg-uapi-get.txt");
        let dev = parse_get("wg1", &text(capture)).unwrap();
        assert_eq!(dev.private_key, Some(PrivateKey::parse(KEY_A).unwrap()));
        assert_eq!(
            dev.public_key.map(|k| k.to_string()).as_deref(),
            Some(PUB_A)
        );
        assert_eq!(dev.listen_port, Some(51820));
        let got: Vec<Vec<String>> = dev.peers.iter().map(as_wg_dumps).collect();
        assert_eq!(got, dumped_peers(capture));
        assert!(dev.peers[0].last_handshake.unwrap().subsec_nanos() > 0);
    }

    #[test]
    fn refusals_and_garbage_are_errors() {
        assert_eq!(parse_set_answer("errno=0\n\n"), Ok(()));
        assert_eq!(
            parse_set_answer("errno=22\n\n"),
            Err(UapiError::Refused(22))
        );
        assert_eq!(parse_set_answer(""), Err(UapiError::Truncated));
        assert_eq!(
            parse_get("wg1", "listen_port=70000\nerrno=0\n\n"),
            Err(UapiError::Malformed("listen_port=70000".into()))
        );
        assert_eq!(
            parse_get("wg1", "public_key=00\nerrno=0\n\n"),
            Err(UapiError::Malformed("public_key=00".into()))
        );
        assert_eq!(
            parse_get("wg1", "listen_port=1\n"),
            Err(UapiError::Truncated)
        );
        let long = format!("x{}", "y".repeat(10_000));
        let shown = UapiError::Malformed(long).to_string();
        assert!(shown.len() < 120, "{shown}");
    }

    #[test]
    fn set_then_get_is_the_same_device() {
        let dev = set_a();
        // What wireguard-go would answer for it: the set's lines, errno last.
        let lines = set(&dev).replacen("set=1\n", "", 1);
        let lines = lines.replace("replace_allowed_ips=true\n", "");
        let answer = format!("{}\nerrno=0\n\n", lines.trim_end_matches('\n'));
        let back = parse_get("wg1", &answer).unwrap();
        let plain: Vec<Peer> = dev
            .peers
            .iter()
            .map(|p| Peer {
                replace_allowed_ips: false,
                ..p.clone()
            })
            .collect();
        assert_eq!(back.peers, plain);
    }
}
