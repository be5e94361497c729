//! IPv4 forwarding (net.ipv4.ip_forward) of the namespace l2x runs in: a /proc/sys/net file
//! belongs to the network namespace of the process that opens it, and by now l2x has entered
//! the `-n NETNS` one.

use std::fs;

use anyhow::{Context, Result};

use crate::report::Hinted;

const IP_FORWARD: &str = "/proc/sys/net/ipv4/ip_forward";

pub fn enabled() -> Result<bool> {
    let value = fs::read_to_string(IP_FORWARD).with_context(|| format!("read {IP_FORWARD}"))?;
    Ok(value.trim() != "0")
}

/// Turns forwarding on; false when it was on already.
pub fn enable() -> Result<bool> {
    if enabled()? {
        return Ok(false);
    }
    fs::write(IP_FORWARD, "1").map_err(|e| {
        Hinted::new(
            format!("cannot turn on IPv4 forwarding ({IP_FORWARD}): {e}"),
            "run as root; inside a container /proc/sys is often read-only: set \
             net.ipv4.ip_forward=1 from the host",
        )
    })?;
    Ok(true)
}
