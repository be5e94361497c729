//! What this kernel can do, found out by doing it: each probe makes a throwaway device or
//! table inside a new network namespace that vanishes with everything in it when the probe
//! ends. Nothing is made in any namespace that exists; modules the kernel autoloads for a
//! probe stay loaded, as they would for the real command.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use anyhow::Result;

use crate::msg::{Request, Route};
use crate::nl::{Netlink, netns};

/// One thing the kernel may or may not do.
#[derive(Clone, Copy)]
pub struct Probe {
    /// In the words of the command line: "gretap", "l2tp (udp)".
    pub name: &'static str,
    /// The module that provides it, for the hint when it is missing.
    pub module: &'static str,
    /// The tunnel kind (as `--tunnel` names it) this probe shows the kernel has.
    pub tunnel: Option<&'static str>,
    pub check: fn() -> Result<()>,
}

impl Probe {
    /// Ok when the kernel did it; the kernel's refusal otherwise.
    pub fn run(&self) -> Result<()> {
        let check = self.check;
        netns::scratch(check)
    }
}

/// The name probes give what they make.
pub const PROBE: &str = "l2x-probe";
/// Documentation addresses: nothing is sent to them, the devices never go up.
pub const V4: (IpAddr, IpAddr) = (
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)),
);
pub const V6: (IpAddr, IpAddr) = (
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2)),
);

/// Makes a link in the probe's namespace.
pub fn link_kind(create: &Request<Route>) -> Result<()> {
    Netlink::route(false)?.ack(create)?;
    Ok(())
}
