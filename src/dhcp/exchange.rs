//! What the server does with each client message (RFC 2131 4.3): offer, acknowledge, refuse,
//! record a release or decline, or stay silent. Pure: the pool is the only state touched.

use std::net::Ipv4Addr;

use dhcproto::v4::MessageType;

use super::pool::{Granted, Lease, Pool, Refusal};
use super::wire::Inbound;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Offer the address; `known`: it is the client's bound lease already (no probe needed).
    Offer {
        ip: Ipv4Addr,
        known: bool,
    },
    /// Write the lease (and the client's old one that it ended) to disk, then acknowledge it.
    Ack(Granted),
    InformAck,
    Nak(Ipv4Addr, Refusal),
    /// A release or decline: record it, send nothing.
    Record(Lease),
    /// A DISCOVER the pool has no address for.
    Exhausted,
    /// Not for this server, or nothing to say (RFC 2131 says stay silent).
    Silent,
}

pub fn decide(pool: &mut Pool, m: &Inbound, server_id: Ipv4Addr, now: u64) -> Decision {
    let ours = m.server_id.is_none_or(|s| s == server_id);
    let ciaddr = m.msg.ciaddr();
    match m.kind {
        MessageType::Discover => match pool.offer(&m.client, m.requested, now) {
            Some((ip, known)) => Decision::Offer { ip, known },
            None => Decision::Exhausted,
        },
        MessageType::Request if !ours => Decision::Silent, // the client chose another server
        MessageType::Request => {
            // Selecting and init-reboot name the address in option 50; renewing and
            // rebinding clients use the one they have, in ciaddr.
            let ip = m.requested.or(Some(ciaddr).filter(|c| !c.is_unspecified()));
            let Some(ip) = ip else {
                return Decision::Silent;
            };
            match pool.request(&m.client, ip, now) {
                Ok(lease) => Decision::Ack(lease),
                Err(why) => Decision::Nak(ip, why),
            }
        }
        MessageType::Decline if ours => m
            .requested
            .and_then(|ip| pool.decline(&m.client.id, ip, now))
            .map_or(Decision::Silent, Decision::Record),
        MessageType::Release if ours => pool
            .release(&m.client.id, ciaddr, now)
            .map_or(Decision::Silent, Decision::Record),
        MessageType::Inform if !ciaddr.is_unspecified() => Decision::InformAck,
        _ => Decision::Silent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Ipv4Range;
    use crate::dhcp::pool::State;
    use crate::dhcp::wire::{decode, tests::request};
    use dhcproto::v4::DhcpOption;

    const SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 5, 1);
    const NOW: u64 = 5_000_000;
    const MAC: [u8; 6] = [2, 0, 0, 0, 0, 1];

    fn pool() -> Pool {
        let range = Ipv4Range {
            first: Ipv4Addr::new(10, 0, 5, 100),
            last: Ipv4Addr::new(10, 0, 5, 101),
        };
        Pool::new(range, &[], 600)
    }

    fn msg(kind: MessageType, mac: [u8; 6], opts: Vec<DhcpOption>) -> Inbound {
        decode(&request(kind, mac, opts)).unwrap()
    }

    fn with_ciaddr(mut m: Inbound, ip: Ipv4Addr) -> Inbound {
        m.msg.set_ciaddr(ip);
        m
    }

    const A: Ipv4Addr = Ipv4Addr::new(10, 0, 5, 100);

    #[test]
    fn discover_offer_request_ack() {
        let mut p = pool();
        let d = decide(
            &mut p,
            &msg(MessageType::Discover, MAC, vec![]),
            SERVER,
            NOW,
        );
        assert_eq!(
            d,
            Decision::Offer {
                ip: A,
                known: false
            }
        );
        let req = msg(
            MessageType::Request,
            MAC,
            vec![
                DhcpOption::ServerIdentifier(SERVER),
                DhcpOption::RequestedIpAddress(A),
            ],
        );
        let Decision::Ack(Granted { lease, ended: None }) = decide(&mut p, &req, SERVER, NOW)
        else {
            panic!("no ack");
        };
        assert_eq!(
            (lease.ip, lease.state, lease.expires),
            (A, State::Bound, NOW + 600)
        );
        // Renewing: no options, the address in ciaddr.
        let renew = with_ciaddr(msg(MessageType::Request, MAC, vec![]), A);
        assert!(
            matches!(decide(&mut p, &renew, SERVER, NOW + 300), Decision::Ack(g) if g.lease.ip == A)
        );
    }

    #[test]
    fn a_request_to_another_server_is_not_answered() {
        let mut p = pool();
        let other = DhcpOption::ServerIdentifier(Ipv4Addr::new(10, 0, 5, 2));
        let req = msg(
            MessageType::Request,
            MAC,
            vec![other, DhcpOption::RequestedIpAddress(A)],
        );
        assert_eq!(decide(&mut p, &req, SERVER, NOW), Decision::Silent);
    }

    #[test]
    fn init_reboot_for_a_foreign_address_gets_a_nak() {
        let mut p = pool();
        let foreign = Ipv4Addr::new(192, 168, 1, 9);
        let req = msg(
            MessageType::Request,
            MAC,
            vec![DhcpOption::RequestedIpAddress(foreign)],
        );
        assert_eq!(
            decide(&mut p, &req, SERVER, NOW),
            Decision::Nak(foreign, Refusal::NotOurs)
        );
        let req = msg(
            MessageType::Request,
            MAC,
            vec![DhcpOption::RequestedIpAddress(A)],
        );
        assert!(matches!(
            decide(&mut p, &req, SERVER, NOW),
            Decision::Ack(_)
        ));
        let thief = msg(
            MessageType::Request,
            [2, 0, 0, 0, 0, 2],
            vec![DhcpOption::RequestedIpAddress(A)],
        );
        assert_eq!(
            decide(&mut p, &thief, SERVER, NOW),
            Decision::Nak(A, Refusal::InUse)
        );
    }

    #[test]
    fn release_and_decline_are_recorded_silently() {
        let mut p = pool();
        let req = msg(
            MessageType::Request,
            MAC,
            vec![DhcpOption::RequestedIpAddress(A)],
        );
        decide(&mut p, &req, SERVER, NOW);
        let release = with_ciaddr(msg(MessageType::Release, MAC, vec![]), A);
        let Decision::Record(l) = decide(&mut p, &release, SERVER, NOW) else {
            panic!("release not recorded");
        };
        assert_eq!(l.state, State::Released);
        let decline = msg(
            MessageType::Decline,
            MAC,
            vec![DhcpOption::RequestedIpAddress(A)],
        );
        let Decision::Record(l) = decide(&mut p, &decline, SERVER, NOW) else {
            panic!("decline not recorded");
        };
        assert_eq!(l.state, State::Declined);
        // Someone else's address cannot be released or declined.
        let other = with_ciaddr(msg(MessageType::Release, [2, 0, 0, 0, 0, 9], vec![]), A);
        assert_eq!(decide(&mut p, &other, SERVER, NOW), Decision::Silent);
    }

    #[test]
    fn exhaustion_and_inform() {
        let mut p = pool();
        for n in 1..=2 {
            let d = decide(
                &mut p,
                &msg(MessageType::Discover, [2, 0, 0, 0, 0, n], vec![]),
                SERVER,
                NOW,
            );
            assert!(matches!(d, Decision::Offer { .. }));
        }
        let d = decide(
            &mut p,
            &msg(MessageType::Discover, [2, 0, 0, 0, 0, 3], vec![]),
            SERVER,
            NOW,
        );
        assert_eq!(d, Decision::Exhausted);
        let inform = with_ciaddr(
            msg(MessageType::Inform, MAC, vec![]),
            Ipv4Addr::new(10, 0, 5, 7),
        );
        assert_eq!(decide(&mut p, &inform, SERVER, NOW), Decision::InformAck);
    }
}
