//! Whether neighbours on one link answer now: ICMPv6 echo requests to their link-local
//! addresses, out of that link, from a raw socket (root's, as ping's is), sent again every
//! 200 ms to each that has not answered, until all have or the time is up. An echo reply from
//! a neighbour's own address is the answer: the frames crossed to it and back.

use std::net::{Ipv6Addr, SocketAddrV6};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{
    self, AddressFamily, MsgFlags, SockFlag, SockProtocol, SockType, SockaddrIn6,
};

// RFC 4443
const ECHO_REQUEST: u8 = 128;
const ECHO_REPLY: u8 = 129;
const RESEND: Duration = Duration::from_millis(200);

/// The round-trip time of each target's first answer, in the targets' order; None for those
/// that did not answer within `within`. A send the kernel refuses (no usable link-local
/// address here yet) counts as no answer and is tried again.
pub fn echo(ifindex: u32, targets: &[Ipv6Addr], within: Duration) -> Result<Vec<Option<Duration>>> {
    let sock = socket::socket(
        AddressFamily::Inet6,
        SockType::Raw,
        SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
        SockProtocol::IcmpV6,
    )
    .context("open an ICMPv6 socket (needs root, as ping does)")?;
    let id = (std::process::id() & 0xffff) as u16;
    let start = Instant::now();
    let mut answered: Vec<Option<Duration>> = vec![None; targets.len()];
    let mut sent: Vec<Option<Instant>> = vec![None; targets.len()];
    let mut last_send = None;
    while answered.iter().any(Option::is_none) && start.elapsed() < within {
        if last_send.is_none_or(|t: Instant| t.elapsed() >= RESEND) {
            for (i, target) in targets.iter().enumerate() {
                if answered[i].is_none() && send(&sock, ifindex, *target, id, i as u16) {
                    sent[i].get_or_insert_with(Instant::now);
                }
            }
            last_send = Some(Instant::now());
        }
        let wait = RESEND.min(within.saturating_sub(start.elapsed()));
        let mut fds = [PollFd::new(sock.as_fd(), PollFlags::POLLIN)];
        // At most RESEND: a few hundred milliseconds fit a u16.
        let ms = PollTimeout::from(wait.as_millis().max(1) as u16);
        match poll(&mut fds, ms) {
            Ok(0) | Err(Errno::EINTR) => continue,
            Ok(_) => {}
            Err(e) => return Err(e).context("wait for echo replies"),
        }
        while let Some((from, seq)) = receive(&sock, id) {
            let i = usize::from(seq);
            if targets.get(i) == Some(&from) && answered[i].is_none() {
                answered[i] = sent[i].map(|t| t.elapsed());
            }
        }
    }
    Ok(answered)
}

/// One echo request; false when the kernel would not send it.
fn send(sock: &OwnedFd, ifindex: u32, to: Ipv6Addr, id: u16, seq: u16) -> bool {
    let mut msg = [0u8; 16];
    msg[0] = ECHO_REQUEST;
    msg[4..6].copy_from_slice(&id.to_be_bytes());
    msg[6..8].copy_from_slice(&seq.to_be_bytes());
    msg[8..].copy_from_slice(b"l2x echo");
    // The kernel fills in the checksum of an ICMPv6 raw socket's messages (RFC 3542 3.1).
    let addr = SockaddrIn6::from(SocketAddrV6::new(to, 0, 0, ifindex));
    socket::sendto(sock.as_raw_fd(), &msg, &addr, MsgFlags::empty()).is_ok()
}

/// The next echo reply to one of ours waiting on the socket: who sent it, and its sequence.
fn receive(sock: &OwnedFd, id: u16) -> Option<(Ipv6Addr, u16)> {
    let mut buf = [0u8; 1500];
    loop {
        let (len, from) = socket::recvfrom::<SockaddrIn6>(sock.as_raw_fd(), &mut buf).ok()?;
        let msg = &buf[..len];
        let ours =
            msg.len() >= 8 && msg[0] == ECHO_REPLY && u16::from_be_bytes([msg[4], msg[5]]) == id;
        if let (true, Some(from)) = (ours, from) {
            return Some((from.ip(), u16::from_be_bytes([msg[6], msg[7]])));
        }
    }
}
