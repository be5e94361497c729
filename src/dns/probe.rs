//! Asking a DNS server, as `doctor` and `lab up` do. `answers`: whether it answers at all, to
//! one query for the server's own address (PTR), which the segment's server answers from its
//! zone and a resolver for a private address from its own (RFC 6303), with no detour
//! upstream; any response carrying the query's id, even an error, counts. `address`: the A
//! record of a name.

use std::io;
use std::net::{Ipv4Addr, UdpSocket};
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RData, RecordType};

/// Asks `server` on port 53; Ok(false) when nothing answered within `wait`.
pub fn answers(server: Ipv4Addr, wait: Duration) -> io::Result<bool> {
    let [a, b, c, d] = server.octets();
    let name = format!("{d}.{c}.{b}.{a}.in-addr.arpa.");
    Ok(ask(server, &name, RecordType::PTR, wait)?.is_some())
}

/// The first address `server` gives for `name` (A); None when it has none or does not
/// answer within `wait`.
pub fn address(server: Ipv4Addr, name: &str, wait: Duration) -> io::Result<Option<Ipv4Addr>> {
    let Some(reply) = ask(server, name, RecordType::A, wait)? else {
        return Ok(None);
    };
    Ok(reply.answers.iter().find_map(|r| match &r.data {
        RData::A(a) => Some(a.0),
        _ => None,
    }))
}

/// One query, and the response with its id (None: none within `wait`, or refused).
fn ask(
    server: Ipv4Addr,
    name: &str,
    qtype: RecordType,
    wait: Duration,
) -> io::Result<Option<Message>> {
    let id: u16 = rand::random();
    let mut m = Message::new(id, MessageType::Query, OpCode::Query);
    m.metadata.recursion_desired = true;
    let name = Name::from_ascii(name).map_err(io::Error::other)?;
    m.add_query(Query::query(name, qtype));
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
            Ok(n) if n >= 2 && buf[..2] == id.to_be_bytes() => {
                return Ok(Message::from_vec(&buf[..n]).ok());
            }
            Ok(_) => {}
            // Refused (ICMP port unreachable): nothing listens there.
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => return Ok(None),
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
    Ok(None)
}
