//! The built-in DHCPv4 server (and the one-shot client of `dhcp request`).
//!
//! `wire` turns datagrams into checked messages and replies into datagrams (dhcproto);
//! `pool` decides which address a client gets, honouring `reservations`; `exchange` what to
//! answer (RFC 2131 4.3); `addressing` where the answer goes (4.1); `respond` is the whole path
//! from a datagram to its answer; `probe` (with `arp`) checks an address is free before it is
//! offered; `leases` keeps leases on disk, in the file `lease_path` checks; `names` keeps the
//! DNS server's zone as the leases go; `settings` is what a server serves, `control` how a
//! second command hands it new ones; `server` runs the loop with group commit; `daemon` is the
//! process around it; `client` is `dhcp request`.

pub mod addressing;
mod arp;
pub mod client;
pub mod control;
pub mod daemon;
pub mod exchange;
pub mod lease_path;
pub mod leases;
mod names;
pub mod pool;
mod probe;
pub mod record;
pub mod reservations;
pub mod respond;
pub mod server;
pub mod settings;
pub mod wire;

use std::ffi::OsString;
use std::net::UdpSocket;
use std::os::fd::AsRawFd;

use anyhow::{Context, Result, anyhow};
use nix::errno::Errno;
use nix::sys::socket::{self, AddressFamily, SockFlag, SockType, SockaddrIn, sockopt};

use crate::report::Hinted;

/// A UDP socket on 0.0.0.0:PORT that sends and receives on `device` only (SO_BINDTODEVICE,
/// set before bind so not one datagram from elsewhere is queued), and may broadcast.
pub fn udp_socket(device: &str, port: u16) -> Result<UdpSocket> {
    let fd = socket::socket(
        AddressFamily::Inet,
        SockType::Datagram,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .context("open UDP socket")?;
    socket::setsockopt(&fd, sockopt::BindToDevice, &OsString::from(device))
        .with_context(|| format!("bind socket to {device}"))?;
    socket::setsockopt(&fd, sockopt::Broadcast, &true).context("allow broadcast")?;

    match socket::bind(fd.as_raw_fd(), &SockaddrIn::new(0, 0, 0, 0, port)) {
        Ok(()) => Ok(UdpSocket::from(fd)),
        Err(Errno::EADDRINUSE) => Err(anyhow!(Hinted::new(
            format!("UDP port {port} is already in use on {device}"),
            "another DHCP server (dnsmasq?) listens there: `ss -ulpn sport = :67` names it",
        ))),
        Err(Errno::EACCES) => Err(anyhow!(Hinted::new(
            format!("no permission to bind UDP port {port}"),
            "run as root, or give l2x the CAP_NET_BIND_SERVICE capability",
        ))),
        Err(e) => Err(e).with_context(|| format!("bind UDP port {port} on {device}")),
    }
}
