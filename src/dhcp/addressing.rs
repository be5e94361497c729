//! Where a reply goes (RFC 2131 4.1): to the relay that forwarded the request; to the address a
//! configured client already has; broadcast when the client asked for it; otherwise straight to
//! the address being handed out, which needs a neighbour entry because the client cannot
//! answer ARP for an address it does not have yet.

use std::net::Ipv4Addr;

use dhcproto::v4::Message;

use super::pool::Mac;

pub const SERVER_PORT: u16 = 67;
pub const CLIENT_PORT: u16 = 68;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// giaddr, port 67.
    Relay(Ipv4Addr),
    /// ciaddr, port 68.
    Client(Ipv4Addr),
    /// 255.255.255.255, port 68.
    Broadcast,
    /// yiaddr, port 68, after installing `ip -> mac` in the neighbour table.
    Direct { ip: Ipv4Addr, mac: Mac },
}

/// Where the reply `reply` to `req` is sent. A NAK without a relay is always broadcast: the
/// client's idea of its address is what is wrong.
pub fn destination(req: &Message, reply: &Message, is_nak: bool) -> Destination {
    if !req.giaddr().is_unspecified() {
        return Destination::Relay(req.giaddr());
    }
    if is_nak {
        return Destination::Broadcast;
    }
    if !req.ciaddr().is_unspecified() {
        return Destination::Client(req.ciaddr());
    }
    let mac: Option<Mac> = req.chaddr().get(..6).and_then(|c| c.try_into().ok());
    match mac {
        Some(mac) if !req.flags().broadcast() && !reply.yiaddr().is_unspecified() => {
            Destination::Direct {
                ip: reply.yiaddr(),
                mac,
            }
        }
        _ => Destination::Broadcast,
    }
}

impl Destination {
    pub fn port(&self) -> u16 {
        match self {
            Destination::Relay(_) => SERVER_PORT,
            _ => CLIENT_PORT,
        }
    }

    pub fn ip(&self) -> Ipv4Addr {
        match *self {
            Destination::Relay(ip) | Destination::Client(ip) | Destination::Direct { ip, .. } => ip,
            Destination::Broadcast => Ipv4Addr::BROADCAST,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dhcproto::v4::Flags;

    const MAC: Mac = [2, 0, 0, 0, 0, 7];

    fn req(giaddr: [u8; 4], ciaddr: [u8; 4], broadcast: bool) -> Message {
        let mut m = Message::default();
        m.set_chaddr(&MAC).set_giaddr(giaddr).set_ciaddr(ciaddr);
        if broadcast {
            m.set_flags(Flags::default().set_broadcast());
        }
        m
    }

    fn offer(yiaddr: [u8; 4]) -> Message {
        let mut m = Message::default();
        m.set_yiaddr(yiaddr);
        m
    }

    const Y: [u8; 4] = [10, 0, 5, 100];
    const ZERO: [u8; 4] = [0; 4];

    #[test]
    fn relayed_requests_are_answered_to_the_relay() {
        let d = destination(&req([10, 0, 5, 2], ZERO, true), &offer(Y), false);
        assert_eq!(
            (d, d.port()),
            (Destination::Relay(Ipv4Addr::new(10, 0, 5, 2)), 67)
        );
        let nak = destination(&req([10, 0, 5, 2], ZERO, false), &offer(ZERO), true);
        assert_eq!(nak, Destination::Relay(Ipv4Addr::new(10, 0, 5, 2)));
    }

    #[test]
    fn configured_clients_get_unicast_to_ciaddr() {
        let d = destination(&req(ZERO, [10, 0, 5, 7], false), &offer(Y), false);
        assert_eq!(
            (d, d.port()),
            (Destination::Client(Ipv4Addr::new(10, 0, 5, 7)), 68)
        );
    }

    #[test]
    fn the_broadcast_flag_and_naks_mean_broadcast() {
        let d = destination(&req(ZERO, ZERO, true), &offer(Y), false);
        assert_eq!((d.ip(), d.port()), (Ipv4Addr::BROADCAST, 68));
        let nak = destination(&req(ZERO, [10, 0, 5, 7], false), &offer(ZERO), true);
        assert_eq!(nak, Destination::Broadcast);
    }

    #[test]
    fn otherwise_straight_to_yiaddr_and_chaddr() {
        let d = destination(&req(ZERO, ZERO, false), &offer(Y), false);
        assert_eq!(
            d,
            Destination::Direct {
                ip: Ipv4Addr::from(Y),
                mac: MAC
            }
        );
        let nothing = destination(&req(ZERO, ZERO, false), &offer(ZERO), false);
        assert_eq!(nothing, Destination::Broadcast);
    }
}
