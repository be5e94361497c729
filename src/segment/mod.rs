//! Segment files (SEGMENT.md): one description of a stretched segment, the same file on every
//! host. `file` reads the TOML, `check` turns it into a `Segment` or names what is wrong (key
//! and line), `derive` computes what both ends of a tunnel must agree on, `whoami` finds which
//! host this is, `part` is this host's share as the specs the planners take, `owner` tells the
//! segment's links from anyone else's, `plan` makes the one plan that converges the host (or
//! takes its part down), and `record` remembers what apply did that the kernel cannot tell
//! (the ports it attached as they were, the rules and the DHCP server it started).

pub mod check;
mod checker;
pub mod derive;
pub mod file;
mod hostbridge;
pub mod nat;
pub mod owner;
pub mod part;
pub mod plan;
pub mod record;
mod rules;
pub mod whoami;

use std::fs::File;
use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use ipnetwork::Ipv4Network;

use crate::cli::{HostReservation, Ipv4Range};
use crate::msg::nft::forward::Forward;
use crate::msg::nft::map::Map;
use crate::msg::wireguard::key::PublicKey;
use crate::report::{Hinted, usage};
use crate::spec::tunnel::TunnelKind;

/// More than any segment file holds (a 1,000-host file is about 100 KiB): a bigger one is not
/// read, let alone parsed.
const MAX_FILE: u64 = 4 << 20;

/// A segment file that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The bridge's name on every host.
    pub name: String,
    pub tunnel: TunnelKind,
    /// The file's MTU; without it each host sizes the segment to its own paths.
    pub mtu: Option<u32>,
    /// Given, or derived from the name (vxlan only).
    pub vni: u32,
    pub mesh: bool,
    /// `encrypt = "wireguard"`: the tunnels run inside WireGuard, between inner addresses.
    pub encrypted: bool,
    pub router: Option<Router>,
    /// In name order.
    pub hosts: Vec<Host>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Router {
    pub host: String,
    /// The bridge's address on the router host, with the segment's prefix.
    pub address: Ipv4Network,
    pub dhcp: Option<Ipv4Range>,
    /// DNS on the bridge's address, run by the DHCP server (`dns = true`).
    pub dns: bool,
    pub masquerade: bool,
    pub out: Option<String>,
    pub reservations: Vec<HostReservation>,
    pub lease_file: Option<PathBuf>,
    /// As the file writes it (`12h`), checked.
    pub lease_time: Option<String>,
    /// Ports of the router host forwarded to machines on the segment, reflected back to the
    /// segment too (hairpin).
    pub forwards: Vec<Forward>,
    /// Public addresses of the router host standing for machines on the segment.
    pub maps: Vec<Map>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    pub name: String,
    /// Where the other hosts reach this one; None for a host behind NAT, which only an
    /// encrypted segment may have: it reaches out to the others.
    pub underlay: Option<IpAddr>,
    /// This host's own address, when it differs (1:1 NAT).
    pub local: Option<IpAddr>,
    pub ports: Vec<String>,
    /// The ports' addresses and routes move to the bridge as they join it, and back as they
    /// leave (`attach --move-addresses`).
    pub move_addresses: bool,
    /// Its WireGuard key, in an encrypted segment.
    pub public_key: Option<PublicKey>,
    /// See `derive::slots`.
    pub slot: u16,
}

impl Host {
    /// The address this host's packets leave from toward the others, when the file says.
    pub fn own_address(&self) -> Option<IpAddr> {
        self.local.or(self.underlay)
    }
}

impl Segment {
    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name == name)
    }

    pub fn is_router(&self, host: &str) -> bool {
        self.router.as_ref().is_some_and(|r| r.host == host)
    }

    /// Whether the hosts' tunnels are one VXLAN device each, flooding to every other host
    /// (a full mesh), rather than one device per peer.
    pub fn one_device(&self) -> bool {
        self.tunnel == TunnelKind::Vxlan && self.mesh
    }

    /// The hosts `host` has a tunnel to: every other one in a full mesh; with hub and spoke,
    /// the router host for a spoke and every spoke for the router host.
    pub fn peers(&self, host: &str) -> Vec<&Host> {
        let hub = self.router.as_ref().map(|r| r.host.as_str());
        self.hosts
            .iter()
            .filter(|h| h.name != host)
            .filter(|h| self.mesh || hub == Some(host) || hub == Some(h.name.as_str()))
            .collect()
    }

    /// The names of the tunnels `host` has toward its peers, in the order of `peers` (one
    /// name for every peer when they share one VXLAN device).
    pub fn tunnel_names(&self, host: &str) -> Vec<String> {
        self.peers(host)
            .iter()
            .map(|p| {
                if self.one_device() {
                    derive::vxlan_name(&self.name)
                } else {
                    derive::tunnel_name(&self.name, &p.name)
                }
            })
            .collect()
    }
}

/// Reads and checks a segment file. A file that is wrong is exit status 2, naming the key and
/// the line.
pub fn load(path: &Path) -> Result<Segment> {
    let text = read(path)?;
    let file = file::parse(&text).map_err(|fault| usage(fault.to_string()))?;
    match check::check(file, &text) {
        Ok(segment) => Ok(segment),
        Err(check::Refusal::Wrong(fault)) => Err(usage(fault.to_string())),
    }
}

/// Where host keys live when `--key-file` does not say: /etc/l2x/SEGMENT.key.
pub fn default_key_file(segment: &str) -> PathBuf {
    PathBuf::from(format!("/etc/l2x/{segment}.key"))
}

fn read(path: &Path) -> Result<String> {
    let file = File::open(path).map_err(|e| {
        anyhow!(Hinted::new(
            format!("cannot open {}: {e}", path.display()),
            "give the segment file's path; the same file goes on every host",
        ))
    })?;
    let mut text = String::new();
    file.take(MAX_FILE + 1)
        .read_to_string(&mut text)
        .map_err(|e| usage(format!("{} is not a text file: {e}", path.display())))?;
    if text.len() as u64 > MAX_FILE {
        return Err(usage(format!(
            "{} is larger than {} MiB: no segment file is",
            path.display(),
            MAX_FILE >> 20
        )));
    }
    Ok(text)
}
