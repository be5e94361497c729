//! The whole command tree. Nothing else in l2x parses arguments.

pub mod values;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use ipnetwork::IpNetwork;

pub use values::{HostReservation, IfName, Ipv4Range, Mac};

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
    /// The built-in DHCPv4 server on a bridge, its leases, and a one-shot client
    #[command(subcommand)]
    Dhcp(DhcpCmd),
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

#[derive(Debug, Subcommand)]
pub enum DhcpCmd {
    /// Serve DHCPv4 on a bridge, answering on that bridge only
    #[command(after_long_help = DHCP_SERVE_HELP)]
    Serve(DhcpServeArgs),
    /// List the leases of the server on a bridge (read from its lease file)
    #[command(after_long_help = LEASES_JSON)]
    Leases {
        /// The bridge the server runs on
        bridge: IfName,
        /// The server's lease file [default: /var/lib/l2x/[NETNS/]dhcp-BRIDGE.leases]
        #[arg(long, value_name = "PATH")]
        lease_file: Option<PathBuf>,
    },
    /// Stop the server that `dhcp serve --daemon` started on a bridge, and wait for it to exit
    Stop {
        /// The bridge the server runs on
        bridge: IfName,
        /// The server's pid file [default: /run/l2x/[NETNS/]dhcp-BRIDGE.pid]
        #[arg(long, value_name = "PATH")]
        pid_file: Option<PathBuf>,
    },
    /// Obtain a lease on an interface and configure its address, default route and MTU
    Request {
        /// The interface to configure (it is set up first)
        iface: IfName,
        /// Give up after this long without a lease (90s, 30m, ...)
        #[arg(long, value_name = "DUR", default_value = "10s", value_parser = values::duration)]
        timeout: Duration,
    },
}

#[derive(Debug, Args)]
pub struct DhcpServeArgs {
    /// The bridge to serve; it must have an IPv4 address in the range's subnet
    pub bridge: IfName,
    /// The addresses to hand out, both ends included: 10.0.5.100-10.0.5.200
    #[arg(long, value_name = "FIRST-LAST")]
    pub range: Ipv4Range,
    /// The default router given to clients [default: the bridge's address in the range's subnet]
    #[arg(long, value_name = "IP")]
    pub router: Option<std::net::Ipv4Addr>,
    /// A DNS server given to clients (repeatable)
    #[arg(long = "dns", value_name = "IP")]
    pub dns: Vec<std::net::Ipv4Addr>,
    /// How long a lease lasts: 90s, 30m, 12h, 1d
    #[arg(long, value_name = "DUR", default_value = "1h", value_parser = values::duration)]
    pub lease_time: Duration,
    /// Always give IP to the client with hardware address MAC (repeatable)
    #[arg(long = "host", value_name = "MAC=IP")]
    pub hosts: Vec<HostReservation>,
    /// Where leases are kept [default: /var/lib/l2x/[NETNS/]dhcp-BRIDGE.leases]
    #[arg(long, value_name = "PATH")]
    pub lease_file: Option<PathBuf>,
    /// Detach once the socket is bound and the leases are loaded, and write the pid file
    #[arg(long)]
    pub daemon: bool,
    /// The pid file, also the lock that keeps a second server off the bridge
    /// [default: /run/l2x/[NETNS/]dhcp-BRIDGE.pid]
    #[arg(long, value_name = "PATH")]
    pub pid_file: Option<PathBuf>,
    /// Append the log here instead of stderr (with --daemon, the log is otherwise discarded)
    #[arg(long, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
}

const DHCP_SERVE_HELP: &str = "\
Answers DISCOVER, REQUEST, DECLINE, RELEASE and INFORM (RFC 2131) on BRIDGE only, also when relayed \
(giaddr in the bridge's subnet). Clients are known by their client identifier (option 61), else \
by hardware address, and get their previous address back when it is free. Replies carry the \
subnet mask, router, DNS servers, lease time, T1/T2, server identifier and the bridge's MTU \
(option 26), so clients behind a tunnel get a frame size that fits.

Every lease is written to the lease file and flushed to disk (fsync) before its ACK is sent; \
requests that arrive together share one flush. The file is append-only and is compacted when it \
grows well past the leases it holds; a truncated or damaged tail (after a crash) is skipped with \
a warning.

Exit status 2 for a malformed range or reservation. A range or reservation outside the subnets \
of the bridge's IPv4 addresses, which needs the kernel to judge, is exit status 1, as is a \
second server on the same bridge (the pid file is locked while a server runs).

Runs in the foreground, logging to stderr, until SIGINT or SIGTERM: one line per ACK, NAK, \
RELEASE and DECLINE (none with -q) and a warning when the pool is exhausted; -v adds each OFFER \
and each packet ignored as malformed. With -n NETNS it serves the \
bridge of that namespace, and the default file names carry the namespace's name.";

const LEASES_JSON: &str = "\
Lists active leases (bound and not expired), in address order. JSON (-j): {\"leases\": [LEASE...]} \
where LEASE is {\"ip\", \"mac\", \"client_id\" (hex), \"hostname\" (string or null), \"expires\" \
(seconds since 1970, UTC), \"expires_in\" (seconds from now)}.";

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
JSON (-j): {\"bridges\": [...], \"dhcp\": [...]} with each section as its own show command \
prints it (see l2x-bridge-show(1)); \"dhcp\" lists the DHCP servers running with their default \
pid file, each {\"bridge\", \"pid\", \"leases\" (active leases in its default lease file)}.";
