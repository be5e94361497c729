//! Routes: the ones through an interface (what moves with its addresses to a bridge), and
//! the underlay toward a tunnel's remote: the MTU of the path the kernel would send by (the
//! route's own MTU, a learned path MTU, else the outgoing device's), asked the way any
//! program asks: a UDP socket connected to the remote from the tunnel's local address, and
//! IP_MTU (nothing is sent).

use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;

use anyhow::{Context, Result};

use crate::msg::route::{self, Route as IpRoute, RouteFilter};
use crate::msg::{AF_UNSPEC, Route};
use crate::nl::Netlink;

/// The MTU of the path from `local` toward `remote`, or None when there is no route to it
/// (yet) or `local` is not an address of this host (yet).
pub fn path_mtu(local: IpAddr, remote: IpAddr) -> Result<Option<u32>> {
    let sock = match UdpSocket::bind(SocketAddr::new(local, 0)) {
        Ok(sock) => sock,
        Err(e) if e.kind() == io::ErrorKind::AddrNotAvailable => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("bind a UDP socket to {local}")),
    };
    // The port is only there to connect: a connected UDP socket carries its route.
    if let Err(e) = sock.connect(SocketAddr::new(remote, 9)) {
        return match e.raw_os_error() {
            Some(libc::ENETUNREACH | libc::EHOSTUNREACH) => Ok(None),
            _ => Err(e).with_context(|| format!("look up the route to {remote}")),
        };
    }
    let (level, name) = if remote.is_ipv4() {
        (libc::IPPROTO_IP, libc::IP_MTU)
    } else {
        (libc::IPPROTO_IPV6, libc::IPV6_MTU)
    };
    let mut mtu: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `mtu`, which lives across the call.
    let rc = unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            level,
            name,
            (&mut mtu as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error())
            .with_context(|| format!("read the path MTU toward {remote}"));
    }
    Ok(u32::try_from(mtu).ok().filter(|&m| m > 0))
}

/// The routes that leave through interface `index` (directly or as a next hop), IPv4 and
/// IPv6 in one dump, in every table, except those the kernel made for an address (they
/// follow it).
pub fn through(nl: &mut Netlink<Route>, index: u32) -> Result<Vec<IpRoute>> {
    Ok(made_by_someone(nl, Some(index))?
        .into_iter()
        .filter(|r| r.uses(index))
        .collect())
}

/// Every route of every interface and table, but those the kernel made for an address: for
/// a command that asks the same of many interfaces.
pub fn all(nl: &mut Netlink<Route>) -> Result<Vec<IpRoute>> {
    made_by_someone(nl, None)
}

fn made_by_someone(nl: &mut Netlink<Route>, oif: Option<u32>) -> Result<Vec<IpRoute>> {
    let filter = RouteFilter { table: None, oif };
    Ok(nl
        .dump(&route::dump(AF_UNSPEC, filter))?
        .iter()
        .filter_map(|b| IpRoute::parse(b))
        .filter(|r| !r.is_kernel_made())
        .collect())
}
