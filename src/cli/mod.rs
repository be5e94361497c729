//! The whole command tree. Nothing else in l2x parses arguments.

pub mod values;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use ipnetwork::IpNetwork;

pub use values::{IfName, Mac};

/// Stretch one Ethernet segment across Linux hosts: bridges, tunnels, ports, DHCP and NAT,
/// configured over netlink.
#[derive(Debug, Parser)]
#[command(name = "l2x", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path
    #[arg(short, long, global = true, value_name = "NAME")]
    pub netns: Option<String>,
    /// Print show commands as JSON (keys documented in each command's page)
    #[arg(short, long, global = true)]
    pub json: bool,
    /// Print nothing on success
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print each netlink request as it is sent
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create, delete and list bridges
    #[command(subcommand)]
    Bridge(BridgeCmd),
    /// Make an interface a port of a bridge and set it up
    Attach(AttachArgs),
    /// Release an interface from its bridge
    Detach {
        /// The bridge port to release
        iface: IfName,
    },
    /// Everything l2x manages, in one view
    #[command(after_long_help = SHOW_JSON)]
    Show,
    /// Write shell completions and man pages into DIR/completions and DIR/man
    #[command(hide = true)]
    Generate {
        /// The directory to write into (the source tree's root, to refresh the committed files)
        dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum BridgeCmd {
    /// Create a bridge and set it up (brctl addbr + ifconfig up)
    #[command(after_long_help = IDEMPOTENT)]
    Add(BridgeAddArgs),
    /// Delete a bridge; its ports are released, not deleted
    Del {
        /// The bridge to delete
        name: IfName,
    },
    /// List bridges with their addresses, MTU, state and ports
    #[command(after_long_help = BRIDGE_JSON)]
    Show {
        /// Only this bridge
        name: Option<IfName>,
    },
}

#[derive(Debug, Args)]
pub struct BridgeAddArgs {
    /// The bridge's interface name (1-15 bytes)
    pub name: IfName,
    /// Add this address, with prefix length (repeatable; IPv4 or IPv6)
    #[arg(long = "addr", value_name = "CIDR", value_parser = values::cidr)]
    pub addrs: Vec<IpNetwork>,
    /// The bridge's MTU (68-65535); without it the bridge follows its smallest port
    #[arg(long, value_parser = clap::value_parser!(u32).range(68..=65535))]
    pub mtu: Option<u32>,
    /// Run the spanning tree protocol (needed only when the topology has loops)
    #[arg(long)]
    pub stp: bool,
    /// The bridge's own MAC address (unicast)
    #[arg(long)]
    pub mac: Option<Mac>,
}

#[derive(Debug, Args)]
#[command(after_long_help = IDEMPOTENT)]
pub struct AttachArgs {
    /// The interface to attach: a veth end, tap, tunnel or NIC
    pub iface: IfName,
    /// The bridge it becomes a port of
    pub bridge: IfName,
    /// Mark the port isolated: two isolated ports never forward to each other (split horizon
    /// for a full mesh of tunnels)
    #[arg(long)]
    pub isolated: bool,
}

const IDEMPOTENT: &str = "\
Safe to re-run: when the object already exists with the same settings, nothing changes and the \
command says `unchanged`. When it exists with other settings, the command fails (exit 1), names \
each difference and changes nothing.";

const BRIDGE_JSON: &str = "\
JSON (-j): {\"bridges\": [BRIDGE...]} where BRIDGE is {\"name\", \"ifindex\", \"up\" (bool), \
\"state\" (operational: \"up\", \"down\", ...), \"mtu\", \"mac\", \"stp\" (bool), \"addresses\" \
([\"10.0.5.1/24\", ...]), \"ports\" ([{\"name\", \"ifindex\", \"kind\", \"mtu\", \"state\" (STP port \
state: \"forwarding\", ...), \"isolated\" (bool)}])}.";

const SHOW_JSON: &str = "\
JSON (-j): {\"bridges\": [...]} with each section as its own show command prints it (see \
l2x-bridge-show(1)).";
