//! Where a reply goes (RFC 2131 4.1): to the relay that forwarded the request; to the address a
//! configured client already has; broadcast when the client asked for it; otherwise straight to
//! the address being handed out, which needs a neighbour entry because the client cannot
//! answer ARP for an address it does not have yet. Only to a host address of the served
//! subnet and a unicast hardware address: never to the subnet's broadcast address, a multicast
//! group, or a neighbour entry for ff:ff:ff:ff:ff:ff.

use std::net::Ipv4Addr;

use dhcproto::v4::Message;
use ipnetwork::Ipv4Network;

use crate::cli::Ipv4Range;

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

/// Whether `ip` is an address a host of `subnet` can have: inside it and, but in the /31 and
/// /32 of point-to-point links (RFC 3021), neither its network nor its broadcast address.
pub fn is_host(subnet: Ipv4Network, ip: Ipv4Addr) -> bool {
    subnet.contains(ip)
        && (subnet.prefix() >= 31 || (ip != subnet.network() && ip != subnet.broadcast()))
}

/// Refuses a range that would hand out the server's own address (`subnet.ip()`) or, in a
/// subnet with them, its network or broadcast address. A /31 (RFC 3021) leaves one address
/// for one client; a /32 leaves none, and says so.
pub fn check_range(subnet: Ipv4Network, range: Ipv4Range) -> anyhow::Result<()> {
    if subnet.prefix() == 32 {
        anyhow::bail!(
            "{subnet} is a /32: the bridge's own address is the only one, none is left to hand \
             out (a /31 leaves one, a /30 two)"
        );
    }
    if range.contains(subnet.ip()) {
        anyhow::bail!(
            "range {range} includes the bridge's own address {}",
            subnet.ip()
        );
    }
    let edges = [subnet.network(), subnet.broadcast()];
    if subnet.prefix() < 31 && edges.iter().any(|&ip| range.contains(ip)) {
        anyhow::bail!("range {range} includes the network or broadcast address of {subnet}");
    }
    Ok(())
}

/// A hardware address a neighbour entry can point at: not multicast (which includes
/// broadcast), not all zeros.
pub fn is_unicast(mac: &Mac) -> bool {
    mac[0] & 1 == 0 && *mac != [0; 6]
}

/// Where the reply `reply` to `req` is sent. A NAK without a relay is always broadcast: the
/// client's idea of its address is what is wrong. The caller has checked that a giaddr is a
/// host address of `subnet`.
pub fn destination(
    req: &Message,
    reply: &Message,
    is_nak: bool,
    subnet: Ipv4Network,
) -> Destination {
    if !req.giaddr().is_unspecified() {
        return Destination::Relay(req.giaddr());
    }
    if is_nak {
        return Destination::Broadcast;
    }
    if is_host(subnet, req.ciaddr()) {
        return Destination::Client(req.ciaddr());
    }
    let mac: Option<Mac> = req.chaddr().get(..6).and_then(|c| c.try_into().ok());
    let yiaddr = reply.yiaddr();
    match mac {
        Some(mac) if !req.flags().broadcast() && is_host(subnet, yiaddr) && is_unicast(&mac) => {
            Destination::Direct { ip: yiaddr, mac }
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

    fn subnet() -> Ipv4Network {
        "10.0.5.1/24".parse().unwrap()
    }

    fn destination(req: &Message, reply: &Message, is_nak: bool) -> Destination {
        super::destination(req, reply, is_nak, subnet())
    }

    fn req(giaddr: [u8; 4], ciaddr: [u8; 4], broadcast: bool) -> Message {
        req_from(MAC, giaddr, ciaddr, broadcast)
    }

    fn req_from(mac: Mac, giaddr: [u8; 4], ciaddr: [u8; 4], broadcast: bool) -> Message {
        let mut m = Message::default();
        m.set_chaddr(&mac).set_giaddr(giaddr).set_ciaddr(ciaddr);
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

    #[test]
    fn no_unicast_to_broadcast_or_multicast_addresses() {
        // A ciaddr that is the subnet's broadcast address, or outside it, is not unicast to.
        let bcast = destination(&req(ZERO, [10, 0, 5, 255], false), &offer(ZERO), false);
        assert_eq!(bcast, Destination::Broadcast);
        let outside = destination(&req(ZERO, [8, 8, 8, 8], false), &offer(ZERO), false);
        assert_eq!(outside, Destination::Broadcast);
        // No neighbour entry for a broadcast, multicast or zero chaddr.
        for mac in [
            [0xff; 6],
            [0; 6],
            [0x01, 0, 0x5e, 0, 0, 1],
            [0x33, 0x33, 0, 0, 0, 1],
        ] {
            let d = destination(&req_from(mac, ZERO, ZERO, false), &offer(Y), false);
            assert_eq!(d, Destination::Broadcast, "{mac:x?}");
        }
    }

    #[test]
    fn host_addresses_of_a_subnet() {
        let net: Ipv4Network = "10.0.5.1/24".parse().unwrap();
        let host = |s: &str| is_host(net, s.parse().unwrap());
        assert!(host("10.0.5.1") && host("10.0.5.254"));
        assert!(!host("10.0.5.0") && !host("10.0.5.255") && !host("10.0.6.1"));
        let p2p: Ipv4Network = "10.0.5.0/31".parse().unwrap();
        assert!(is_host(p2p, "10.0.5.0".parse().unwrap()));
        assert!(is_host(p2p, "10.0.5.1".parse().unwrap()));
    }
}
