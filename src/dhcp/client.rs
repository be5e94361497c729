//! `l2x dhcp request`: a small one-shot client for containers that have none. It runs
//! DISCOVER, OFFER, REQUEST, ACK with the broadcast flag set (it cannot take unicast before it
//! has an address), retransmitting every few seconds, and starts over on a NAK.

use std::net::{Ipv4Addr, UdpSocket};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow};
use dhcproto::v4::{DhcpOption, Flags, Message, MessageType, Opcode, OptionCode};
use dhcproto::{Decodable, Decoder, Encodable, Encoder};

use super::addressing::{CLIENT_PORT, SERVER_PORT};
use super::pool::Mac;
use super::udp_socket;

/// RFC 2131 4.1 asks for about 4 s between the first retransmissions; a one-shot client on a
/// bridge can be a little more eager.
const RESEND: Duration = Duration::from_secs(2);

/// What the server gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acquired {
    pub ip: Ipv4Addr,
    pub prefix: u8,
    pub router: Option<Ipv4Addr>,
    pub mtu: Option<u16>,
    pub server: Ipv4Addr,
    pub lease_secs: u32,
}

/// Obtains a lease on `iface` (which must be up), or fails after `timeout`.
pub fn obtain(iface: &str, mac: Mac, timeout: Duration) -> Result<Acquired> {
    let sock = udp_socket(iface, CLIENT_PORT)?;
    let deadline = Instant::now() + timeout;
    let xid = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos())
        ^ std::process::id();
    loop {
        let offer = exchange(&sock, &discover(xid, mac), xid, deadline)?;
        let server = server_id(&offer).ok_or_else(|| anyhow!("offer without server identifier"))?;
        let answer = exchange(
            &sock,
            &request(xid, mac, offer.yiaddr(), server),
            xid,
            deadline,
        )?;
        if answer.opts().msg_type() == Some(MessageType::Ack) {
            return Ok(acquired(&answer, server));
        }
        // A NAK: the offer was taken meanwhile; start over.
    }
}

fn base(xid: u32, mac: Mac, kind: MessageType) -> Message {
    let mut m = Message::default();
    m.set_opcode(Opcode::BootRequest)
        .set_xid(xid)
        .set_flags(Flags::default().set_broadcast())
        .set_chaddr(&mac);
    m.opts_mut().insert(DhcpOption::MessageType(kind));
    m.opts_mut().insert(DhcpOption::ParameterRequestList(vec![
        OptionCode::SubnetMask,
        OptionCode::Router,
        OptionCode::InterfaceMtu,
        OptionCode::AddressLeaseTime,
    ]));
    m
}

fn discover(xid: u32, mac: Mac) -> Message {
    base(xid, mac, MessageType::Discover)
}

fn request(xid: u32, mac: Mac, ip: Ipv4Addr, server: Ipv4Addr) -> Message {
    let mut m = base(xid, mac, MessageType::Request);
    m.opts_mut().insert(DhcpOption::RequestedIpAddress(ip));
    m.opts_mut().insert(DhcpOption::ServerIdentifier(server));
    m
}

/// Broadcasts `msg` and waits for a reply with our xid, sending again every RESEND.
fn exchange(sock: &UdpSocket, msg: &Message, xid: u32, deadline: Instant) -> Result<Message> {
    let mut bytes = Vec::new();
    msg.encode(&mut Encoder::new(&mut bytes))
        .context("encode request")?;
    let mut buf = vec![0u8; 1500];
    loop {
        sock.send_to(&bytes, (Ipv4Addr::BROADCAST, SERVER_PORT))
            .context("send")?;
        let resend = Instant::now() + RESEND;
        while let Some(wait) = resend.min(deadline).checked_duration_since(Instant::now()) {
            if wait.is_zero() {
                break;
            }
            sock.set_read_timeout(Some(wait)).context("set timeout")?;
            let Ok(n) = sock.recv(&mut buf) else { continue };
            if let Some(reply) = reply_to(&buf[..n], xid, msg.chaddr()) {
                return Ok(reply);
            }
        }
        if Instant::now() >= deadline {
            return Err(anyhow!("no answer from a DHCP server")).context("timed out");
        }
    }
}

/// A server's reply to our transaction, or None for anything else on the wire.
fn reply_to(bytes: &[u8], xid: u32, chaddr: &[u8]) -> Option<Message> {
    let m = Message::decode(&mut Decoder::new(bytes)).ok()?;
    let ok = m.opcode() == Opcode::BootReply && m.xid() == xid && m.chaddr() == chaddr;
    let kind = m.opts().msg_type()?;
    (ok && matches!(
        kind,
        MessageType::Offer | MessageType::Ack | MessageType::Nak
    ))
    .then_some(m)
}

fn server_id(m: &Message) -> Option<Ipv4Addr> {
    match m.opts().get(OptionCode::ServerIdentifier) {
        Some(DhcpOption::ServerIdentifier(ip)) => Some(*ip),
        _ => None,
    }
}

fn acquired(ack: &Message, server: Ipv4Addr) -> Acquired {
    let o = ack.opts();
    let mask = match o.get(OptionCode::SubnetMask) {
        Some(DhcpOption::SubnetMask(m)) => *m,
        _ => Ipv4Addr::new(255, 255, 255, 0),
    };
    Acquired {
        ip: ack.yiaddr(),
        prefix: u32::from(mask).leading_ones() as u8,
        router: match o.get(OptionCode::Router) {
            Some(DhcpOption::Router(r)) => r.first().copied(),
            _ => None,
        },
        mtu: match o.get(OptionCode::InterfaceMtu) {
            Some(DhcpOption::InterfaceMtu(m)) => Some(*m),
            _ => None,
        },
        server,
        lease_secs: match o.get(OptionCode::AddressLeaseTime) {
            Some(DhcpOption::AddressLeaseTime(t)) => *t,
            _ => 0,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dhcp::wire::{self, NetParams, Reply};

    #[test]
    fn an_ack_becomes_the_configuration() {
        let mac = [2, 0, 0, 0, 0, 3];
        let req = request(
            7,
            mac,
            Ipv4Addr::new(10, 0, 5, 100),
            Ipv4Addr::new(10, 0, 5, 1),
        );
        let params = NetParams {
            server_id: Ipv4Addr::new(10, 0, 5, 1),
            netmask: Ipv4Addr::new(255, 255, 252, 0),
            router: Ipv4Addr::new(10, 0, 5, 1),
            dns: vec![],
            mtu: 1400,
        };
        let yiaddr = Ipv4Addr::new(10, 0, 5, 100);
        let ack = wire::reply(
            &req,
            Reply::Ack {
                yiaddr,
                lease_secs: 60,
            },
            &params,
        );
        let bytes = wire::encode(&ack);
        let got = reply_to(&bytes, 7, &mac).expect("our reply");
        assert!(reply_to(&bytes, 8, &mac).is_none());
        assert_eq!(
            acquired(&got, params.server_id),
            Acquired {
                ip: yiaddr,
                prefix: 22,
                router: Some(params.router),
                mtu: Some(1400),
                server: params.server_id,
                lease_secs: 60,
            }
        );
    }
}
