//! IPv4 forwarding (net.ipv4.ip_forward) of the namespace l2x runs in: a /proc/sys/net file
//! belongs to the network namespace of the task that opens it, and by now l2x has entered the
//! `-n NETNS` one.

use std::fs;

use anyhow::{Context, Result};

pub const IP_FORWARD: &str = "/proc/sys/net/ipv4/ip_forward";

pub fn forwarding() -> Result<bool> {
    let value = fs::read_to_string(IP_FORWARD).with_context(|| format!("read {IP_FORWARD}"))?;
    Ok(value.trim() != "0")
}
