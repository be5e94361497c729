//! IPv4 forwarding (net.ipv4.ip_forward) of the namespace l2x runs in: a /proc/sys/net file
//! belongs to the network namespace of the task that opens it, and by now l2x has entered the
//! `-n NETNS` one.

use std::fs;

use anyhow::{Context, Result};

pub const IP_FORWARD: &str = "/proc/sys/net/ipv4/ip_forward";

/// net.ipv6.conf.DEV.disable_ipv6: a new interface takes `default`'s, which a host without
/// IPv6 sets to 1.
pub fn disable_ipv6(dev: &str) -> String {
    format!("/proc/sys/net/ipv6/conf/{dev}/disable_ipv6")
}

pub fn forwarding() -> Result<bool> {
    let value = fs::read_to_string(IP_FORWARD).with_context(|| format!("read {IP_FORWARD}"))?;
    Ok(value.trim() != "0")
}
