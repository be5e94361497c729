//! The whole command tree. Nothing else in l2x parses arguments.

pub mod values;

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ipnetwork::{IpNetwork, Ipv4Network};

use crate::dns::label::Label;

pub use values::{Cookie, HostReservation, IfName, Ipv4Range, Mac, Owner};

/// `0.1.0 (commit 4b4e85e1c2d3)`: the release and the commit it was built from.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("L2X_COMMIT"),
    ")"
);

/// Stretch one Ethernet segment across Linux hosts: bridges, tunnels, ports, DHCP and NAT,
/// configured over netlink.
#[derive(Debug, Parser)]
#[command(name = "l2x", version = VERSION, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// Run inside network namespace NAME (/run/netns/NAME), or the namespace file at a path
    #[arg(short, long, global = true, value_name = "NAME")]
    pub netns: Option<String>,
    /// Print JSON: show commands their document, commands that change something their changes
    /// (keys documented in each command's page)
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
    /// Create, delete and list the tunnels that join hosts' bridges
    #[command(subcommand)]
    Tunnel(TunnelCmd),
    /// Make an interface a port of a bridge and set it up
    Attach(AttachArgs),
    /// Release an interface from its bridge
    #[command(after_long_help = DETACH_HELP)]
    Detach(DetachArgs),
    /// Masquerade a network's traffic to the outside world (nftables table ip l2x)
    #[command(subcommand)]
    Nat(NatCmd),
    /// The built-in DHCPv4 server on a bridge, its leases, and a one-shot client
    #[command(subcommand)]
    Dhcp(DhcpCmd),
    /// Make this host's part of a segment match a segment file (the same file on every host)
    #[command(after_long_help = APPLY_HELP)]
    Apply(ApplyArgs),
    /// Remove everything apply made for a segment on this host (the lease file stays)
    #[command(after_long_help = DOWN_HELP)]
    Down {
        #[command(flatten)]
        segment: SegmentArgs,
        #[command(flatten)]
        change: DryRun,
    },
    /// Whether frames cross to each other host of a segment and back, with each tunnel's kind,
    /// MTU and counters
    #[command(after_long_help = STATUS_HELP)]
    Status(SegmentArgs),
    /// Everything l2x manages, in one view
    #[command(after_long_help = SHOW_JSON)]
    Show,
    /// The whole runbook on this machine, in network namespaces l2x-lab-*: try l2x here first
    #[command(subcommand)]
    Lab(LabCmd),
    /// Check what this kernel can do and what is misconfigured here, one row per check
    #[command(after_long_help = DOCTOR_HELP)]
    Doctor,
    /// WireGuard keys for encrypted segments: make one, or print a private key's public key
    #[command(subcommand)]
    Key(KeyCmd),
    /// Write shell completions and man pages into DIR/completions and DIR/man
    #[command(hide = true)]
    Generate {
        /// The directory to write into (the source tree's root, to refresh the committed files)
        dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// Make a private key: into PATH (mode 0600, never over an existing file) printing its
    /// public key, or without --out on stdout as `wg genkey` does
    Gen {
        /// The key file to create
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
    },
    /// Print the public key of a private key, read from PATH or from stdin as `wg pubkey` does
    Pub {
        /// The private key file (it must be readable by its owner only)
        #[arg(long, value_name = "PATH")]
        key_file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum LabCmd {
    /// Build the lab (hosts, tunnels, containers, DHCP, NAT, an internet host) and ping across it
    #[command(after_long_help = LAB_UP_HELP)]
    Up(LabUpArgs),
    /// List what exists of the lab: namespaces, containers' addresses, the DHCP server
    #[command(after_long_help = LAB_STATUS_JSON)]
    Status(LabPrefix),
    /// Remove every lab namespace and stop the lab's DHCP server
    Down {
        #[command(flatten)]
        prefix: LabPrefix,
        #[command(flatten)]
        change: DryRun,
    },
}

/// Which lab: its namespaces' names start with the prefix, so that several labs (a test's,
/// a user's) can live on one machine.
#[derive(Debug, Clone, Args)]
pub struct LabPrefix {
    /// The start of the lab's namespace names (l2x-lab-wan, l2x-lab-host1, ...)
    #[arg(long, default_value = "l2x-lab", value_parser = values::lab_prefix)]
    pub prefix: String,
}

/// A segment file and which of its hosts this is.
#[derive(Debug, Clone, Args)]
pub struct SegmentArgs {
    /// The segment file (TOML; see l2x-apply(1))
    pub file: PathBuf,
    /// This host's entry in the file [default: the one whose underlay or local address is
    /// configured here]
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub segment: SegmentArgs,
    /// This host's WireGuard private key, for a segment with encrypt = "wireguard"
    /// [default: /etc/l2x/SEGMENT.key]
    #[arg(long, value_name = "PATH")]
    pub key_file: Option<PathBuf>,
    #[command(flatten)]
    pub change: DryRun,
}

#[derive(Debug, Args)]
pub struct LabUpArgs {
    /// The tunnels between the hosts [default: the first of gretap, l2tp, vxlan this kernel has]
    #[arg(long, value_enum)]
    pub tunnel: Option<TunnelKind>,
    /// How many hosts (each with one container), joined by a full mesh of tunnels
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(2..=8))]
    pub hosts: u8,
    /// Build the lab from a segment file instead: its hosts, tunnels, router and DHCP, each
    /// host made by `l2x apply` (the file needs [router] with dhcp and masquerade)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["tunnel", "hosts"])]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub prefix: LabPrefix,
    #[command(flatten)]
    pub change: DryRun,
}

/// The encapsulations l2x makes tunnels with, as `--tunnel` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TunnelKind {
    /// Ethernet over GRE
    Gretap,
    /// L2TPv3 over UDP
    L2tp,
    /// VXLAN over UDP
    Vxlan,
}

/// `--dry-run`, on every command that changes something.
#[derive(Debug, Clone, Copy, Args)]
pub struct DryRun {
    /// Print what would change (the plan) and change nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum BridgeCmd {
    /// Create a bridge and set it up (brctl addbr + ifconfig up)
    #[command(after_long_help = IDEMPOTENT)]
    Add(BridgeAddArgs),
    /// Delete a bridge; its ports are released, not deleted
    #[command(after_long_help = DELETE)]
    Del {
        /// The bridge to delete
        name: IfName,
        #[command(flatten)]
        change: DryRun,
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
    #[arg(long = "addr", value_name = "CIDR", value_parser = values::iface_addr)]
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
    #[command(flatten)]
    pub change: DryRun,
}

#[derive(Debug, Args)]
#[command(after_long_help = ATTACH_HELP)]
pub struct AttachArgs {
    /// The interface to attach: a veth end, tap, tunnel or NIC
    pub iface: IfName,
    /// The bridge it becomes a port of
    pub bridge: IfName,
    /// Mark the port isolated: two isolated ports never forward to each other (split horizon
    /// for a full mesh of tunnels)
    #[arg(long)]
    pub isolated: bool,
    /// Move IFACE's MAC, addresses and routes to the bridge in the same step (for a NIC that
    /// carries the host's own address: the host bridge)
    #[arg(long)]
    pub move_addresses: bool,
    #[command(flatten)]
    pub change: DryRun,
}

#[derive(Debug, Args)]
pub struct DetachArgs {
    /// The bridge port to release
    pub iface: IfName,
    /// Move back to IFACE the addresses and routes `attach --move-addresses` moved to the
    /// bridge, and give the bridge its own MAC again
    #[arg(long)]
    pub move_addresses: bool,
    #[command(flatten)]
    pub change: DryRun,
}

#[derive(Debug, Subcommand)]
pub enum TunnelCmd {
    /// Ethernet over GRE (ip link add ... type gretap); ip6gretap when the addresses are IPv6
    #[command(after_long_help = IDEMPOTENT)]
    Gretap(GretapArgs),
    /// An L2TPv3 tunnel and its Ethernet session, whose interface is NAME (ip l2tp)
    #[command(after_long_help = IDEMPOTENT)]
    L2tp(L2tpArgs),
    /// Unicast VXLAN: every --remote gets a copy of broadcast and unknown frames
    #[command(after_long_help = IDEMPOTENT)]
    Vxlan(VxlanArgs),
    /// Delete a tunnel; for L2TP the session, and its tunnel when no session is left
    #[command(after_long_help = DELETE)]
    Del {
        /// The tunnel interface
        name: IfName,
        #[command(flatten)]
        change: DryRun,
    },
    /// List tunnels with kind, endpoints, ids, MTU, state and bridge
    #[command(after_long_help = TUNNEL_JSON)]
    Show {
        /// Only this tunnel
        name: Option<IfName>,
    },
}

/// What every tunnel command does with the device once it exists.
#[derive(Debug, Args)]
pub struct TunnelCommon {
    /// The device's MTU (68-65535); without it the encapsulation's own fit is used and printed
    #[arg(long, value_parser = clap::value_parser!(u32).range(68..=65535))]
    pub mtu: Option<u32>,
    /// Attach the tunnel to this bridge
    #[arg(long, value_name = "BR")]
    pub bridge: Option<IfName>,
    /// With --bridge: mark the port isolated (split horizon for a full mesh)
    #[arg(long, requires = "bridge")]
    pub isolated: bool,
    #[command(flatten)]
    pub change: DryRun,
}

#[derive(Debug, Args)]
pub struct GretapArgs {
    /// The tunnel's interface name
    pub name: IfName,
    /// This host's underlay address
    #[arg(long)]
    pub local: IpAddr,
    /// The peer's underlay address (same family as --local)
    #[arg(long)]
    pub remote: IpAddr,
    /// TTL of the outer packets (0 = inherit from the inner packet)
    #[arg(long, default_value_t = 255)]
    pub ttl: u8,
    /// GRE key, for both directions (must match the peer's)
    #[arg(long)]
    pub key: Option<u32>,
    #[command(flatten)]
    pub common: TunnelCommon,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum L2tpEncap {
    /// L2TPv3 in UDP (ports --sport/--dport)
    Udp,
    /// L2TPv3 straight over IP (protocol 115)
    Ip,
}

#[derive(Debug, Args)]
pub struct L2tpArgs {
    /// The session's interface name
    pub name: IfName,
    /// This host's underlay address
    #[arg(long)]
    pub local: IpAddr,
    /// The peer's underlay address (same family as --local)
    #[arg(long)]
    pub remote: IpAddr,
    /// This end's tunnel id (1-4294967295)
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub tunnel_id: u32,
    /// This end's session id (1-4294967295)
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub session_id: u32,
    /// The peer's tunnel id [default: --tunnel-id]
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub peer_tunnel_id: Option<u32>,
    /// The peer's session id [default: --session-id]
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub peer_session_id: Option<u32>,
    /// Encapsulation
    #[arg(long, value_enum, default_value_t = L2tpEncap::Udp)]
    pub encap: L2tpEncap,
    /// UDP source port
    #[arg(long, alias = "udp-sport", value_name = "PORT")]
    pub sport: Option<u16>,
    /// UDP destination port
    #[arg(long, alias = "udp-dport", value_name = "PORT")]
    pub dport: Option<u16>,
    /// This end's cookie, 4 or 8 bytes in hex (the peer's --peer-cookie)
    #[arg(long, value_parser = values::cookie)]
    pub cookie: Option<Cookie>,
    /// The cookie expected from the peer, 4 or 8 bytes in hex
    #[arg(long, value_parser = values::cookie)]
    pub peer_cookie: Option<Cookie>,
    #[command(flatten)]
    pub common: TunnelCommon,
}

#[derive(Debug, Args)]
pub struct VxlanArgs {
    /// The tunnel's interface name
    pub name: IfName,
    /// VXLAN network identifier (0-16777215), the same on every host of the segment
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..1 << 24))]
    pub vni: u32,
    /// This host's underlay address
    #[arg(long)]
    pub local: IpAddr,
    /// A peer's underlay address (repeatable: one per other host)
    #[arg(long, required = true)]
    pub remote: Vec<IpAddr>,
    /// UDP destination port, 1-65535 (the kernel's own default would be 8472)
    #[arg(long, default_value_t = crate::msg::vxlan::VXLAN_PORT,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub dport: u16,
    #[command(flatten)]
    pub common: TunnelCommon,
}

#[derive(Debug, Subcommand)]
pub enum NatCmd {
    /// Masquerade traffic from CIDR to anywhere outside it, and turn on IPv4 forwarding
    #[command(after_long_help = NAT_MASQ)]
    Masq(NatArgs),
    /// Forward a port (or range) of this host to a machine on the segment (DNAT)
    #[command(after_long_help = NAT_FORWARD)]
    Forward(ForwardArgs),
    /// Give a machine on the segment a public address of this host, every port both ways
    #[command(after_long_help = NAT_MAP)]
    Map(MapArgs),
    /// Remove a rule, named by the flags that made it; IPv4 forwarding is left as it is
    #[command(after_long_help = NAT_DEL)]
    Del(NatDelArgs),
    /// List the rules l2x owns, and whether IPv4 forwarding is on
    #[command(after_long_help = NAT_JSON)]
    Show,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Proto {
    Tcp,
    Udp,
}

/// What names a port forward.
#[derive(Debug, Clone, Args)]
pub struct ForwardRule {
    /// The host's port, or a range of them (8080, 5000-5010)
    #[arg(long, value_name = "PORT[-PORT]", value_parser = values::port_range)]
    pub port: values::PortRange,
    /// The machine connections go to, and its port [default: the port they came to]
    #[arg(long, value_name = "IP[:PORT]", value_parser = values::target)]
    pub to: values::Target,
    #[arg(long, value_enum, default_value_t = Proto::Tcp)]
    pub proto: Proto,
    /// Only connections arriving by this interface [default: any]
    #[arg(long = "in", value_name = "IFACE")]
    pub iface: Option<IfName>,
    /// Only connections to this address of the host [default: any of its addresses]
    #[arg(long, value_name = "IP")]
    pub addr: Option<std::net::Ipv4Addr>,
}

#[derive(Debug, Args)]
pub struct ForwardArgs {
    #[command(flatten)]
    pub rule: ForwardRule,
    #[command(flatten)]
    pub change: DryRun,
}

/// What names a 1:1 map.
#[derive(Debug, Clone, Args)]
pub struct MapRule {
    /// The public address that stands for the machine
    #[arg(long, value_name = "IP")]
    pub public: std::net::Ipv4Addr,
    /// The machine on the segment
    #[arg(long, value_name = "IP")]
    pub to: std::net::Ipv4Addr,
    /// The public side: only what arrives and leaves there [default: any interface]
    #[arg(long = "in", value_name = "IFACE")]
    pub iface: Option<IfName>,
}

#[derive(Debug, Args)]
pub struct MapArgs {
    #[command(flatten)]
    pub rule: MapRule,
    /// Leave the public address to the host: do not add it to --in when it is missing
    #[arg(long)]
    pub no_addr: bool,
    #[command(flatten)]
    pub change: DryRun,
}

/// `nat del` takes the flags of the rule it removes: a masquerade's (--source), a forward's
/// (--port, --to) or a map's (--public, --to).
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("rule").required(true).args(["source", "port", "public"]))]
pub struct NatDelArgs {
    /// The masquerade of this network
    #[arg(long, value_name = "CIDR", value_parser = values::ipv4_cidr)]
    pub source: Option<Ipv4Network>,
    /// With --source: the masquerade's --out
    #[arg(long, value_name = "IFACE", requires = "source")]
    pub out: Option<IfName>,
    /// The forward of this port or range
    #[arg(long, value_name = "PORT[-PORT]", value_parser = values::port_range, requires = "to")]
    pub port: Option<values::PortRange>,
    /// The map of this public address
    #[arg(long, value_name = "IP", conflicts_with = "port", requires = "to")]
    pub public: Option<std::net::Ipv4Addr>,
    /// With --port or --public: where the rule sends connections
    #[arg(long, value_name = "IP[:PORT]", value_parser = values::target)]
    pub to: Option<values::Target>,
    /// With --port: the forward's protocol
    #[arg(long, value_enum, default_value_t = Proto::Tcp)]
    pub proto: Proto,
    /// With --port or --public: the rule's --in
    #[arg(long = "in", value_name = "IFACE")]
    pub iface: Option<IfName>,
    /// With --port: the forward's --addr
    #[arg(long, value_name = "IP")]
    pub addr: Option<std::net::Ipv4Addr>,
    #[command(flatten)]
    pub change: DryRun,
}

#[derive(Debug, Args)]
pub struct NatArgs {
    /// The IPv4 network whose traffic is masqueraded, with prefix length (10.0.5.0/24); host
    /// bits are cleared
    #[arg(long, value_name = "CIDR", value_parser = values::ipv4_cidr)]
    pub source: Ipv4Network,
    /// Only traffic leaving by this interface (default: any interface)
    #[arg(long, value_name = "IFACE")]
    pub out: Option<IfName>,
    #[command(flatten)]
    pub change: DryRun,
}

#[derive(Debug, Subcommand)]
pub enum DhcpCmd {
    /// Serve DHCPv4 on a bridge, answering on that bridge only
    #[command(after_long_help = DHCP_SERVE_HELP)]
    Serve(Box<DhcpServeArgs>),
    /// List the leases of the server on a bridge (read from its lease file)
    #[command(after_long_help = LEASES_JSON)]
    Leases {
        /// The bridge the server runs on
        bridge: IfName,
        /// The server's lease file [default: the running server's, else
        /// /var/lib/l2x/[NETNS/]dhcp-BRIDGE.leases]
        #[arg(long, value_name = "PATH")]
        lease_file: Option<PathBuf>,
    },
    /// End the leases of an address or a MAC on a bridge by hand (its name leaves DNS)
    Forget {
        /// The bridge the server runs on
        bridge: IfName,
        /// The leased address, or the client's MAC
        #[arg(value_name = "MAC|IP")]
        which: String,
        #[command(flatten)]
        change: DryRun,
    },
    /// Stop the server that `dhcp serve --daemon` started on a bridge, and wait for it to exit
    Stop {
        /// The bridge the server runs on
        bridge: IfName,
        /// The server's pid file [default: the one it was started with]
        #[arg(long, value_name = "PATH")]
        pid_file: Option<PathBuf>,
        #[command(flatten)]
        change: DryRun,
    },
    /// Obtain a lease on an interface and configure its address, default route and MTU
    #[command(after_long_help = REQUEST_HELP)]
    Request {
        /// The interface to configure (it is set up first)
        iface: IfName,
        /// Give up after this long without a lease (90s, 30m, ...)
        #[arg(long, value_name = "DUR", default_value = "10s", value_parser = values::duration)]
        timeout: Duration,
        /// Write the lease's DNS servers and search domain (options 6 and 15) to this file,
        /// the container's /etc/resolv.conf
        #[arg(long, value_name = "PATH")]
        resolv_conf: Option<PathBuf>,
        /// Keep the lease: detach once it is configured, renew it at T1 and rebind it at T2
        #[arg(long)]
        daemon: bool,
        /// With --daemon: the pid file, also the lock that keeps a second client off IFACE
        /// [default: /run/l2x/[NETNS/]dhcp-IFACE.client.pid]
        #[arg(long, value_name = "PATH", requires = "daemon")]
        pid_file: Option<PathBuf>,
        /// Send this hostname (option 12): the lease's name in the server's DNS
        #[arg(long, value_name = "NAME", value_parser = values::hostname)]
        hostname: Option<Label>,
        #[command(flatten)]
        change: DryRun,
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
    /// A DNS server given to clients instead of BRIDGE's own (repeatable)
    #[arg(long = "dns", value_name = "IP")]
    pub dns: Vec<std::net::Ipv4Addr>,
    /// Serve no DNS on BRIDGE's address (and hand out no DNS server unless --dns names one)
    #[arg(long)]
    pub no_dns: bool,
    /// The domain of the clients' names in DNS, handed out as their search domain (option 15)
    #[arg(long, value_name = "DOMAIN", default_value = "lan")]
    pub domain: String,
    /// A resolver for names outside the domain (repeatable) [default: the host's, from
    /// /etc/resolv.conf]
    #[arg(long = "upstream", value_name = "IP")]
    pub upstreams: Vec<std::net::IpAddr>,
    /// How long a lease lasts: 90s, 30m, 12h, 1d
    #[arg(long, value_name = "DUR", default_value = "1h", value_parser = values::duration)]
    pub lease_time: Duration,
    /// Always give IP to the client with hardware address MAC, or to the client that sends
    /// hostname NAME; NAME is its name in DNS (repeatable)
    #[arg(long = "host", value_name = "MAC=IP[,NAME]|NAME=IP")]
    pub hosts: Vec<HostReservation>,
    /// More reservations, one MAC=IP[,NAME] or NAME=IP a line; read again on SIGHUP
    #[arg(long, value_name = "PATH")]
    pub hosts_file: Option<PathBuf>,
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
    /// Let other DHCP servers on the segment answer BRIDGE's clients too: without it, their
    /// replies entering BRIDGE by a port are dropped (table bridge l2x)
    #[arg(long)]
    pub allow_other_servers: bool,
    #[command(flatten)]
    pub change: DryRun,
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
a warning. When the disk refuses a write (full, EIO, read-only), what was written of it is cut \
off again and no ACK goes out until the whole file has been rewritten from the server's leases: \
clients that are renewing keep their address and ask again (a NAK would take it from them). \
One warning says so per 10 s; the rewrite is tried once a second, only when the file system has \
room for it, and serving goes on normally once it succeeds. A server started on a disk that \
cannot take its lease file starts all the same and waits for the disk.

--lease-file must be a regular file, or a symlink, which is followed at start to its target: \
leases are then kept in the target (the log says so) and the symlink stays. A device node, a \
fifo, a socket, a directory, a dangling symlink or a file above 256 MiB is refused.

Other DHCP servers on the segment (a container running its own) would answer BRIDGE's clients \
too. Unless --allow-other-servers, the server adds BRIDGE to l2x's table bridge l2x, whose \
prerouting chain drops DHCP server replies (BOOTREPLY from UDP port 67) entering BRIDGE by any \
of its ports, and takes it out when it stops; its own replies leave by the bridge itself and \
pass. This needs the kernel's nft_meta_bridge (meta ibrname); without it the server warns and \
serves unguarded. A server killed with -9 leaves its rule behind until it is started again.

DNS: unless --no-dns, the same process answers DNS on the bridge's address, port 53, UDP and \
TCP: A and PTR records for every active lease and every reservation with a name, as NAME.DOMAIN \
and plain NAME (--domain, default lan), with authority; every other name is forwarded to the \
--upstream resolvers (default: the host's, from /etc/resolv.conf; a loopback stub there is \
replaced by the servers systemd-resolved forwards to, from /run/systemd/resolve/resolv.conf) \
and cached. A lease's name is its client's hostname (option 12), first label, checked as a DNS \
label; it appears once the lease is on disk and goes when the lease is released, forgotten or \
runs out. A name two clients claim goes to the newer lease (the log says so). Replies hand out \
the bridge's address as DNS server (option 6) and DOMAIN as the search domain (option 15), \
unless --dns names other servers. Port 53 already taken on the bridge's address is an error \
that names the process holding it.

Reservations: --host MAC=IP[,NAME] (MAC as 02:00:00:00:00:01, 02-00-00-00-00-01 or \
0200.0000.0001, any case) and --host NAME=IP (for the client that sends hostname NAME, as \
dnsmasq's dhcp-host=NAME,IP); --hosts-file PATH holds more, one a line (blank lines and # \
comments skipped), and is read again on SIGHUP: a file with a bad line is refused whole, and \
the server keeps the reservations it had. No MAC, hostname, address or name may be reserved \
twice.

Running `dhcp serve` again on a bridge whose server runs hands the new settings to that server \
over its control socket (beside its record in /run/l2x/servers, mode 0600): the same settings \
print `dhcp BRIDGE: unchanged`; others are taken over at once, without losing a lease or an \
exchange in flight, and the line names each change (`range A -> B`, `+host H`). A new lease \
file is refused while the server runs. A lease outside a new range is not renewed: its client \
gets a new address when it asks.

No duplicate addresses: before an address is first offered, the server asks the segment with \
ARP (two who-has requests 200 ms apart); a machine that answers (one with a static address, or \
a lease from a server that is gone) keeps its address, which is kept out of use for an hour as \
a DECLINEd one is, and the client is offered another when it asks again. A client's own bound \
address is offered without a probe, and so is one to a relayed client (it is on its relay's \
link, which the bridge's ARP does not reach); an address found free is not probed again for \
30 s. A \
client holds one lease: when it (by client identifier or hardware address) takes a new \
address, its old lease ends, and `dhcp leases` no longer lists it.

A running server keeps a record of its bridge, namespace, pid and files in /run/l2x/servers, \
so `dhcp leases`, `dhcp stop`, `dhcp forget`, `show` and `doctor` find it whatever --pid-file \
and --lease-file it was started with.

Exit status 2 for a malformed range or reservation. A range or reservation outside the subnets \
of the bridge's IPv4 addresses, which needs the kernel to judge, is exit status 1, as is a \
second server on the same bridge (the pid file is locked while a server runs).

A /32 bridge address is refused (it leaves no address to hand out); in a /31 (RFC 3021) the \
other address can be served. No range may hold the bridge's own address.

Runs in the foreground, logging to stderr (or --log-file), until SIGINT or SIGTERM (SIGHUP reads \
--hosts-file again): one line per \
ACK (once its lease is on disk), NAK, RELEASE and DECLINE (none with -q) and a warning when the \
pool is exhausted; -v adds each OFFER and each packet ignored. Anyone on the segment can make \
the server log, so the log is bounded: each kind of line shows a few times per 10 s and the \
rest are counted (\"N more like this in the last 10 s (KIND)\"); a line that cannot be written \
(a full disk, a closed stderr) is dropped and counted, never fatal; control characters in what \
clients send (hostnames) are escaped (\\n, \\x1b), and a line is cut at 1 KiB. Relayed requests \
are answered only from a relay address of the subnet (not its network or broadcast address); \
INFORMs only to a host address of it; and no neighbour entry is made for a broadcast, \
multicast or all-zero client MAC. Offers that are never requested are forgotten after 30 s. \
With -n NETNS it serves the bridge of that namespace, and the default file names carry the \
namespace's name.";

const LAB_UP_HELP: &str = "\
Builds, in network namespaces: l2x-lab-wan, the underlay (bridge wan0, 192.0.2.0/24) whose own \
address 192.0.2.254 plays an internet host with no route to the containers; l2x-lab-hostN (N = \
1..HOSTS), each on the underlay at 192.0.2.N with bridge br0 and a tunnel to every other host \
(tunnel ports isolated: a loop-free full mesh); l2x-lab-ctN, a container on hostN's br0. Host 1 \
gives br0 10.0.5.1/24, serves DHCP and DNS on it and masquerades 10.0.5.0/24 out of its \
underlay. Each \
step is an l2x command, printed as it runs (`l2x -n l2x-lab-host1 bridge add br0 ...`): the \
output is also a runbook for real hosts. Only the creation of namespaces, underlay veth pairs and \
underlay addresses, which have no l2x command, is done by the lab itself.

Every container then asks for its address with `l2x dhcp request --hostname ctN` (which also \
sets the MTU the server hands out: br0's, which the tunnels lowered), pings every other \
container and the internet host, asks the DNS server on its router for a peer's name, and the \
lab prints one row per container: address, MTU, reachable peers, internet, DNS (`ct2 ok`: the \
name gave the peer's address), average round-trip time. A lab made --file from a segment file \
asks DNS only when its [router] says dns = true. JSON (-j): {\"tunnel\", \"hosts\", \
\"containers\": [{\"container\", \"host\", \"address\", \"mtu\", \"peers\": [{\"container\", \"address\", \
\"ok\" (bool), \"rtt_ms\" (or null)}], \"internet\": {\"address\", \"ok\", \"rtt_ms\"}, \"dns\": \
{\"name\", \"server\", \"address\" (or null), \"ok\"} (or null)}], \"failed\" (pings that got no \
answer), \"unresolved\" (containers whose peer's name did not resolve)}.

Exit status 1 when any ping fails or a name does not resolve. Safe to re-run: what exists is left as it is and checked \
again. A lab built with another --tunnel or --hosts must be taken down first. Nothing outside \
the lab's namespaces is changed (the lab's files are under /run/l2x/lab). With --prefix NAME \
the namespaces are NAME-wan, NAME-host1, ... and the files under /run/l2x/lab-NAME, so a lab can \
be built beside another. --dry-run prints every step and runs none.";

const LAB_STATUS_JSON: &str = "\
JSON (-j): {\"tunnel\" (or null), \"hosts\" (or null), \"dhcp\" ({\"pid\", \"running\"} or null), \
\"namespaces\": [{\"name\", \"role\" (\"wan\", \"host\", \"container\"), \"detail\"}]}.";

const DOCTOR_HELP: &str = "\
Checks: privileges (root or CAP_NET_ADMIN); kernel support for bridge, gretap, ip6gretap, l2tp \
over UDP and over IP, vxlan, nf_tables and masquerade, each probed by making a throwaway device \
or table in a temporary network namespace that vanishes with it; IPv4 forwarding; br_netfilter \
and forward-hook chains whose policy drops (Docker's FORWARD); for every bridge, ports whose MTU \
differs and tunnels smaller than the other ports; every tunnel's MTU against its underlay's; \
the DHCP servers started in this namespace (found by their runtime records under \
/run/l2x/servers, whatever their --pid-file and --lease-file). With -n NETNS everything but the \
kernel probes looks at that namespace only.

Each row is ok, warn (works, but something may bite) or fail (l2x cannot work as asked), with a \
hint. Exit status 1 when any check fails. JSON (-j): {\"checks\": [{\"check\", \"status\" (\"ok\", \
\"warn\", \"fail\"), \"detail\", \"hint\" (or null)}]}.";

const LEASES_JSON: &str = "\
Lists active leases (bound and not expired), in address order. Hostnames are the clients' own \
words: the table escapes their control characters (\\n, \\x1b), the JSON keeps them as sent. \
JSON (-j): {\"leases\": [LEASE...]} where LEASE is {\"ip\", \"mac\", \"client_id\" (hex), \
\"hostname\" (string or null), \"expires\" (seconds since 1970, UTC), \"expires_in\" (seconds \
from now)}.";

const REQUEST_HELP: &str = "\
Sets IFACE up, broadcasts DISCOVER and REQUEST (again every 2 s) and, once a server ACKs, sets \
IFACE's MTU, address and default route from the ACK, in that order; if a step fails, the ones \
before it are undone, and an IFACE that was down and got no lease is set down again. A NAK \
starts over after a pause of 1 s, doubled after each further NAK up to 8 s.

Anyone on the segment can answer, so a reply is checked before it is used and refused when its \
subnet mask is 0.0.0.0 or not contiguous, its address is 0.0.0.0, loopback, multicast, \
broadcast, class E or its subnet's network or broadcast address, its router lies outside the \
subnet, or its MTU is below 68 or above what IFACE takes; the client then waits for another \
reply, and the error after --timeout says why it refused the last one.

--resolv-conf PATH writes the lease's DNS servers (option 6, at most three) and search domain \
(option 15) to PATH, replacing it whole (a temporary file renamed over it), once the rest is \
configured; a search domain that is not a domain name (one with a line break, say) is left \
out, and a lease without DNS servers leaves PATH as it was. With `-n NETNS`, PATH is read in \
l2x's own mount namespace: give the container's file as the host sees it.

--daemon keeps the lease (RFC 2131 4.4.5): once IFACE is configured the client detaches (the \
pid in --pid-file, locked while it runs, so a second client on IFACE is refused) and, at T1 \
(option 58, else half the lease), asks the server that granted it, by unicast from the address \
itself; from T2 (option 59, else seven eighths) any server, by broadcast; again every 2 s until \
an ACK. An ACK renews the lease (a new MTU or router in it is set, and --resolv-conf written \
again); a NAK, or the end of the lease with no answer, takes the address off IFACE and starts \
over with DISCOVER. Detached, it logs nowhere; it stops on SIGTERM or SIGINT (`kill $(cat \
PIDFILE)`), leaving the address on IFACE.";

const IDEMPOTENT: &str = "\
Safe to re-run: when the object already exists with the same settings, nothing changes and the \
command says `unchanged`. When it exists with other settings, the command fails (exit 1), names \
each difference and changes nothing. A command that fails halfway undoes what it made.

--dry-run prints the plan, one line per change (`tunnel vx0: create (vxlan, mtu 1450)`), and \
sends nothing that changes anything.

JSON (-j): {\"changes\": [{\"object\" (\"bridge\", \"tunnel\", \"port\", \"nat\", \"forwarding\", ...), \
\"name\", \"action\" (\"create\", \"unchanged\", \"attach\", \"change\", \"replace\", \"add-rule\", \
\"note\", ...), \"detail\"}]}, and \"dry_run\": true with --dry-run.";

const ATTACH_HELP: &str = "\
An interface that carries IP addresses (IPv6 link-local ones aside) or routes is refused, exit \
1, naming them: as a bridge port they would stop working, and over SSH that locks you out. \
With --move-addresses they move to the bridge in one step: the bridge takes IFACE's MAC (a \
DHCP server or switch on the LAN keeps recognising the host), then its addresses with their \
lifetimes, flags and labels, IFACE joins the bridge, every route through IFACE (the default \
route included, with its metric, table and source) moves to the bridge, and IFACE's addresses \
go. If any step fails, everything is put back. Addresses a DHCP client holds are moved with a \
warning: the client must now run on the bridge. What moved is recorded (/run/l2x/moved) for \
`detach --move-addresses`.

Safe to re-run: when the interface is already a port of the bridge with the same settings, \
nothing changes and the command says `unchanged`; with other settings it fails (exit 1), names \
each difference and changes nothing. A command that fails halfway undoes what it made.

--dry-run prints the plan and changes nothing. JSON (-j): {\"changes\": [{\"object\", \"name\", \
\"action\", \"detail\"}]}, and \"dry_run\": true with --dry-run.";

const DETACH_HELP: &str = "\
An interface that is no bridge port is already detached (`unchanged`, exit 0). With \
--move-addresses the addresses and routes `attach --move-addresses` moved to the bridge move \
back to IFACE, and the bridge gets its own MAC again; without that record (after a reboot) \
every address and route of the bridge moves to IFACE, and the bridge keeps IFACE's MAC.

--dry-run prints the plan and changes nothing. JSON (-j): {\"changes\": [{\"object\", \"name\", \
\"action\", \"detail\"}]}, and \"dry_run\": true with --dry-run.";

const DELETE: &str = "\
Safe to re-run: deleting what is not there is already done (`unchanged (absent)`, exit 0); a \
name that belongs to another kind of interface is an error (exit 1). Every step is tried even \
when one fails, and each failure is reported.

--dry-run prints the plan and changes nothing. JSON (-j): {\"changes\": [{\"object\", \"name\", \
\"action\", \"detail\"}]}.";

const BRIDGE_JSON: &str = "\
JSON (-j): {\"bridges\": [BRIDGE...]} where BRIDGE is {\"name\", \"ifindex\", \"up\" (bool), \
\"state\" (operational: \"up\", \"down\", ...), \"mtu\", \"mac\", \"stp\" (bool), \"addresses\" \
([\"10.0.5.1/24\", ...]), \"ports\" ([{\"name\", \"ifindex\", \"kind\", \"mtu\", \"state\" (STP port \
state: \"forwarding\", ...), \"isolated\" (bool)}])}.";

const TUNNEL_JSON: &str = "\
JSON (-j): {\"tunnels\": [TUNNEL...]} where TUNNEL is {\"name\", \"kind\" (\"gretap\", \
\"ip6gretap\", \"l2tp\", \"vxlan\"), \"local\", \"remotes\" ([address...]), \"key\" (gretap, or \
null), \"ttl\" (gretap, or null), \"vni\" (vxlan, or null), \"dport\" (vxlan and l2tp over udp, or \
null), \"l2tp\" (null, or {\"tunnel_id\", \"peer_tunnel_id\", \"session_id\", \"peer_session_id\", \
\"encap\" (\"udp\" or \"ip\"), \"sport\", \"dport\", \"local\", \"remote\", \"cookie\" and \
\"peer_cookie\" (hex, or null), \"l2spec\" (1: the default 4-byte sublayer, 0: none)}), \"mtu\", \
\"up\" (bool), \"state\", \"bridge\" (or null), \"isolated\" (bool)}. `tunnel show NAME` looks \
that one link up.";

const NAT_MASQ: &str = "\
Adds the rule `ip saddr CIDR ip daddr != CIDR [oifname IFACE] masquerade` to chain postrouting \
(type nat hook postrouting priority 100) of table ip l2x, then writes 1 to \
/proc/sys/net/ipv4/ip_forward. `nft list ruleset` shows the rule as if typed with nft.

Table ip l2x belongs to l2x: each change rewrites it whole in one atomic nf_tables batch, which \
the kernel refuses if the ruleset changed since l2x read it (l2x then reads it again), and no \
other table is ever touched. A table ip l2x holding rules or chains l2x did not write is left \
alone and the command fails.

Safe to re-run: when the rule exists, nothing changes and the command says `unchanged`. A rule \
is one source and one --out; the same source with another --out is another rule.

When another table has a chain on the forward hook whose policy is drop (Docker's FORWARD \
chain is one), forwarded packets are dropped there whatever table ip l2x says: a warning names \
the chain and the rules that would let the network's traffic through.

--dry-run prints the plan and changes nothing. JSON (-j): {\"changes\": [{\"object\", \"name\", \
\"action\", \"detail\"}]}.";

const NAT_FORWARD: &str = "\
Adds to table ip l2x: in chain prerouting (type nat hook prerouting priority -100) `[iifname \
IN] (ip daddr ADDR | fib daddr type local) PROTO dport PORTS dnat to TO[:PORT]`, for \
connections arriving for the host; in chain output the same for connections the host itself \
opens to its own address (loopback aside); and, when TO is on a network of one of this host's \
interfaces (the segment), in chain postrouting `ip saddr NET ip daddr TO PROTO dport PORT ct \
status dnat masquerade`: a machine on the segment that connects to the host's public address \
reaches the forwarded port too (hairpin), only connections the forward rewrote are \
masqueraded, and connections from the internet keep their client address. With --in, only \
connections arriving by that interface are forwarded (the hairpin then needs no --in). A \
range with `--to IP:PORT` sends every port of it to that one port. Then turns on IPv4 \
forwarding.

Safe to re-run: a rule the table holds is `unchanged`. `nft list table ip l2x` shows the rules \
as if typed with nft.

--dry-run prints the plan and changes nothing. JSON (-j): {\"changes\": [{\"object\", \"name\", \
\"action\", \"detail\"}]}.";

const NAT_MAP: &str = "\
1:1 NAT: adds to table ip l2x `[iifname IN] ip daddr PUBLIC dnat to TO` (chains prerouting and \
output) and `ip saddr TO [oifname IN] snat to PUBLIC` (postrouting, before the masquerades): \
every connection to PUBLIC reaches TO, and TO's own connections leave with PUBLIC as their \
source. When no interface has PUBLIC, it is added to --in as PUBLIC/32, labelled IN:l2x (so \
that `nat del` knows it is l2x's to remove); --no-addr leaves that to you, and without --in \
l2x cannot know where it belongs. Then turns on IPv4 forwarding.

--dry-run prints the plan and changes nothing. JSON (-j): {\"changes\": [{\"object\", \"name\", \
\"action\", \"detail\"}]}.";

const NAT_DEL: &str = "\
Removes the rule that the same flags made: `nat del --source CIDR [--out IFACE]` a \
masquerade, `nat del --port PORT --to IP[:PORT] [--proto P] [--in IFACE] [--addr IP]` a \
forward, `nat del --public IP --to IP [--in IFACE]` a map (and the public address l2x added \
for it). The table goes with its last rule. A rule that is not there is already removed \
(`unchanged (no such rule)`, exit 0).

--dry-run prints the plan and changes nothing. JSON (-j): {\"changes\": [{\"object\", \"name\", \
\"action\", \"detail\"}]}.";

const NAT_JSON: &str = "\
JSON (-j): {\"nat\": NAT} where NAT is {\"forwarding\" (bool: net.ipv4.ip_forward is 1), \
\"rules\": [{\"source\" (\"10.0.5.0/24\"), \"out\" (interface name, or null for any), \
\"handle\" (the rule's handle in table ip l2x, as `nft -a` shows it)}] (the masquerades), \
\"forwards\": [{\"proto\", \"ports\" (\"8080\" or \"5000-5010\"), \"to\", \"to_port\" (or null), \
\"in\" (or null), \"addr\" (or null), \"hairpin\" (the segment, or null), \"handle\"}], \
\"maps\": [{\"public\", \"to\", \"in\" (or null), \"handle\"}]}.";

const APPLY_HELP: &str = "\
The same file goes on every host; each host makes its own part of the segment: a bridge named \
after the segment, tunnels to the other hosts (a full mesh of isolated bridge ports, or with \
mesh = false hub and spoke, every host to the router host), the file's extra ports, and on the \
router host the bridge's address, the DHCP server and the masquerade.

The file is TOML; every key is checked and unknown keys are refused. Top level: segment \
(required: the bridge's name on every host), tunnel (gretap, l2tp or vxlan; default vxlan), mtu \
(the segment's MTU, 576-65535; default: what the tunnels' encapsulation leaves of this host's \
paths to the others, 1500 where no route says otherwise yet), vni (vxlan only; default derived \
from the segment's name), mesh (default true; false: hub and spoke around the router host), \
encrypt (\"wireguard\": carry the tunnels inside WireGuard; see Encryption below).

[router] (optional): host (a key of [hosts]), address (the bridge's there, with the \
segment's prefix: 10.0.5.1/24), dhcp (FIRST-LAST inside that subnet: serve DHCP), masquerade \
(true: masquerade the subnet out of the router host), out (only what leaves by this \
interface), reservations ({ \"MAC\" = \"IP\" }), lease_file (an absolute path; default dhcp \
serve's), lease_time (90s, 30m, 12h, 1d; default 1h), forwards ([{ port = 8080, to = \
\"10.0.5.10:80\" }]: `nat forward` of the router host's port to a machine on the segment; \
also proto (tcp or udp), in (only what arrives by this interface), addr (only to this address \
of the host); reflected back to the segment, so its machines reach the port at the router's \
public address too), maps ([{ public = \"198.51.100.10\", to = \"10.0.5.20\", in = \"eth0\" \
}]: `nat map`, 1:1 NAT; the public address is added to `in` as a /32 when no interface has it, \
and removed with the map), dns (true: the DHCP server answers DNS on the bridge's address for \
the clients' names, as `dhcp serve` does without --no-dns; needs dhcp).

[hosts.NAME]: underlay (the address the other hosts reach it at; only in an encrypted segment \
may a host behind NAT have none), local (its own address when it differs, behind 1:1 NAT), \
ports ([\"eth1\"]: more interfaces to put on the bridge there; one that carries addresses or \
routes is refused unless move_addresses = true, which moves them to the bridge as it joins and \
back as it leaves, as attach --move-addresses does, the bridge keeping its derived MAC), \
public_key (its WireGuard \
public key, required on every host of an encrypted segment: `l2x key gen` prints it).

Encryption: with encrypt = \"wireguard\", apply makes one WireGuard interface, SEGMENT-wg, run by \
the kernel module or, where the kernel has none, by wireguard-go (apply says which; doctor \
reports both). Its private key is --key-file, default /etc/l2x/SEGMENT.key (mode 0600, made by \
`l2x key gen --out PATH`), and must be the one whose public key the file gives this host. It \
has one peer per host it has a tunnel to, allowed only that host's inner address; the inner \
addresses (a unique local IPv6 /64, fdXX:XXXX:XXXX::/64 derived from the segment's name, each \
host at its slot) and the UDP port (51820-55915, derived from the name) are the same on every \
host. The segment's tunnels run between the inner addresses, so nothing but WireGuard's UDP \
crosses the underlay. A host without underlay gets no endpoint in its peers' configuration: \
it sends keepalives every 25 s and they answer it where its packets come from; two hosts \
that both lack an underlay and would have a tunnel between them are refused. The MTU counts \
both layers: WireGuard's 60 bytes (80 over IPv6) and the tunnel's over IPv6. Changing a key in \
the file and applying again swaps exactly that peer. status adds each peer's last handshake \
and names those without one; show lists the WireGuard interfaces and their peers.

Everything both ends of a tunnel agree on comes from the file alone, the same way on every \
host: the tunnel toward host NAME is called SEGMENT-NAME (a full mesh over VXLAN is one device, \
SEGMENT-vx, whose remotes are every other host); gretap tunnels share a key derived from the \
segment's name; each host has a slot (a number its name hashes to, the next free one when \
another host took it), and an L2TP tunnel's and session's ids and UDP ports (10000-32767) come \
from the two hosts' slots, so no two tunnels of a host share an id or a port; with hub and \
spoke over VXLAN each spoke's pair has a VNI of its own. Each host's bridge has a MAC derived \
from the segment and the host (the same after every boot). A file that is wrong is refused \
(exit status 2) before anything is sent, naming the key and the line.

Without --host, the host is the one entry whose underlay or local address is on an interface \
here (inside -n NETNS); none or several is exit status 1, naming them.

Ownership: apply marks what it makes as the segment's: the link group (set in the create \
request itself, so even a crash right after leaves the link marked) and the alias l2x:SEGMENT \
(`ip link show` prints it); an L2TP session is the segment's by its ids. apply changes and \
removes only what is the segment's. An interface of one of its names made by hand, or by \
another segment, is a conflict: exit status 1, nothing changed, the interface and the way out \
named. Ports that a container manager (LXC, libvirt, Incus, Docker) or a user attached to the \
bridge stay attached across re-applies; a port the file names is attached up at the bridge's \
MTU, and given back as it was (MTU, state) when the file no longer names it, or by down.

Convergence: what is missing is made, what differs is changed (MTU, addresses, remotes, \
isolation, the masquerade) in place or made anew where the kernel cannot change it, and what \
apply made for the segment that the file no longer names is removed (the tunnel to a host that \
left). The DHCP server (`l2x dhcp serve SEGMENT --daemon` with the file's range and \
reservations) is started, kept when it runs with the file's settings, or restarted with them, \
keeping its leases; it is stopped when the file no longer has one. A run that fails halfway \
undoes what it made; one that is killed leaves what the next apply completes. What the kernel \
cannot tell afterwards (the ports' MTU and state before, the rules and the server apply \
started) is kept in /run/l2x/segments.

Output: one line per change, then `segment NAME: applied on host H (N changes)`; with nothing \
to do, `segment NAME: unchanged`, and no request that changes anything is sent. --dry-run \
prints the plan and changes nothing. JSON (-j): {\"changes\": [{\"object\", \"name\", \"action\", \
\"detail\"}], \"dry_run\" (with --dry-run), \"segment\": this host's part with every derived \
value: {\"segment\", \"host\", \"mtu\", \"bridge\": {\"name\", \"mac\", \"address\"}, \"tunnels\": \
[{\"name\", \"kind\", \"peers\", \"local\", \"remotes\", \"key\", \"ttl\", \"vni\", \"dport\", \"l2tp\" \
({\"tunnel_id\", \"peer_tunnel_id\", \"session_id\", \"peer_session_id\", \"sport\", \"dport\"} or \
null), \"isolated\"}], \"wireguard\" (encrypted only: {\"name\", \"address\", \"listen_port\", \
\"underlay\", \"peers\": [{\"host\", \"public_key\", \"endpoint\", \"keepalive\", \"allowed_ips\"}]}), \
\"ports\", \"masquerade\" ({\"source\", \"out\"} or null), \"forwards\" and \"maps\" (as nat show \
lists them), \"dhcp\" (the `dhcp serve` arguments, or null)}}: what a peer configured by hand \
must mirror.

At boot: contrib/systemd/l2x@.service applies /etc/l2x/SEGMENT.toml before container managers \
start (`systemctl enable --now l2x@SEGMENT`) and takes it down when stopped.";

const DOWN_HELP: &str = "\
Removes what apply made for the segment on this host: its tunnels, its WireGuard interface, its \
bridge (ports that others attached are released, not deleted), the masquerade, forwards and \
maps (with the public addresses apply added), and the DHCP server (its lease \
file stays, so a later apply hands the same addresses out again). Ports the file names are \
given back as they were before apply attached them (MTU and state). Nothing that is not the \
segment's is touched: a bridge of the segment's name made by hand is left alone and said so. \
Every change is tried even when one fails, and each failure is reported.

Output: one line per change, then `segment NAME: down on host H (N changes)`, or `segment \
NAME: unchanged` when nothing of it was here. --dry-run prints the plan and changes nothing. \
JSON (-j): {\"changes\": [{\"object\", \"name\", \"action\", \"detail\"}]}.";

const STATUS_HELP: &str = "\
For each other host of the segment, whether frames cross to it and back right now: an ICMPv6 \
echo request goes out of this host's bridge to the peer's bridge at the IPv6 link-local address \
its derived MAC gives it (fe80::/64 by EUI-64, the kernel's default address generation), \
across the tunnels, and the peer's kernel answers; requests are sent again every 200 ms until \
every peer has answered or 2 s have passed. Hosts behind the router host in a hub and spoke \
segment are reached through it. It needs IPv6 on the bridges (the kernel's default; a bridge \
with disable_ipv6 set never answers) and root, as ping does.

Each row: the peer, the tunnel the frames leave by, its kind and MTU, whether the probe \
crossed both ways and its round-trip time, and the tunnel's receive and transmit counters; in \
an encrypted segment also when WireGuard last completed a handshake with the peer (\"never\": \
its public key in the file is not its key, or it is out of reach). Exit status 1 when a peer \
did not answer (the table is printed all the same), naming the peers without a handshake. \
JSON (-j): {\"segment\", \"host\", \"peers\": [{\"host\", \"tunnel\", \"kind\", \"mtu\" (or null: no \
tunnel here), \"reachable\" (bool), \"rtt_ms\" (or null), \"counters\": {\"rx_packets\", \
\"tx_packets\", \"rx_bytes\", \"tx_bytes\", \"rx_errors\", \"tx_errors\", \"rx_dropped\", \
\"tx_dropped\"} (or null), \"wireguard\" (encrypted only: {\"public_key\", \"endpoint\", \
\"allowed_ips\", \"handshake_ago\" (seconds, or null: never), \"rx_bytes\", \"tx_bytes\"})}], \
\"unreachable\" (how many did not answer)}.";

const SHOW_JSON: &str = "\
JSON (-j): {\"bridges\": [...], \"tunnels\": [...], \"wireguard\": [...], \"nat\": {...}, \
\"dhcp\": [...]} with each section as its own show command prints it (see l2x-bridge-show(1), \
l2x-tunnel-show(1), l2x-nat-show(1)); \"wireguard\" lists the WireGuard interfaces, each \
{\"name\", \"backend\" (\"kernel\" or \"wireguard-go\"), \"public_key\", \"listen_port\", \"peers\": \
[{\"public_key\", \"endpoint\", \"allowed_ips\", \"handshake_ago\", \"rx_bytes\", \"tx_bytes\"}]}; \"dhcp\" lists the DHCP servers running in this namespace, found by their \
runtime records under /run/l2x/servers, each {\"bridge\", \"pid\", \"leases\" (active leases in \
its lease file)}.";
