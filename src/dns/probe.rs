//! Whether a DNS server answers at all, as `doctor` asks of the servers DHCP hands out: one
//! query for the server's own address (PTR), which the segment's server answers from its zone
//! and a resolver for a private address from its own (RFC 6303), with no detour upstream;
//! any response carrying the query's id, even an error, counts.

use std::io;
use std::net::{Ipv4Addr, UdpSocket};
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RecordType};

/// Asks `server` on port 53; Ok(false) when nothing answered within `wait`.
pub fn answers(server: Ipv4Addr, wait: Duration) -> io::Result<bool> {
    let id: u16 = rand::random();
    let mut m = Message::new(id, MessageType::Query, OpCode::Query);
    m.metadata.recursion_desired = true;
    let [a, b, c, d] = server.octets();
    let name =
        Name::from_ascii(format!("{d}.{c}.{b}.{a}.in-addr.arpa.")).map_err(io::Error::other)?;
    m.add_query(Query::query(name, RecordType::PTR));
    let query = m.to_vec().map_err(io::Error::other)?;
    let sock = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
    sock.connect((server, 53))?;
    sock.send(&query)?;
    let deadline = Instant::now() + wait;
    let mut buf = [0u8; 1500];
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        if left.is_zero() {
            break;
        }
        sock.set_read_timeout(Some(left))?;
        match sock.recv(&mut buf) {
            Ok(n) if n >= 2 && buf[..2] == id.to_be_bytes() => return Ok(true),
            Ok(_) => {}
            // Refused (ICMP port unreachable): nothing listens there.
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => return Ok(false),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                break;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}
