//! The server's whole path from one datagram to what to do about it: decode, check where it
//! came from, decide (the pool), build and encode the reply and say where it goes. No socket,
//! disk or clock: the caller sends, stores and logs, which is what lets the fuzz target and the
//! tests run it on any bytes.

use std::net::Ipv4Addr;

use dhcproto::v4::MessageType;
use ipnetwork::Ipv4Network;

use super::addressing::{self, Destination, is_host};
use super::exchange::{self, Decision};
use super::pool::{Lease, Mac, Pool, State};
use super::wire::{self, NetParams, Reply};
use crate::logger::{Kind, Level};
use crate::msg::link::format_mac;

// The kinds of log line a datagram can cause, with how many of each a 10 s window shows.
pub const IGNORED: Kind = Kind::new("ignored", 10);
pub const OFFER: Kind = Kind::new("OFFER", 10);
pub const ACK: Kind = Kind::new("ACK", 20);
pub const NAK: Kind = Kind::new("NAK", 10);
pub const RECORD: Kind = Kind::new("RELEASE/DECLINE", 10);
pub const EXHAUSTED: Kind = Kind::new("no free address", 3);

/// A line for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub level: Level,
    pub kind: Kind,
    pub text: String,
}

impl Note {
    fn new(level: Level, kind: Kind, text: String) -> Note {
        Note { level, kind, text }
    }
}

/// A reply ready to go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub bytes: Vec<u8>,
    pub dest: Destination,
    /// An ACK: it may go only once the lease it promises is on disk.
    pub durable: bool,
    /// An OFFER of an address that may be in use by a machine on the bridge the server knows
    /// nothing of: it may go only once a probe found the address free. With the address, the
    /// client's own MAC: the client may answer the probe for an address it still holds.
    pub probe: Option<(Ipv4Addr, Mac)>,
    /// What to log when (if) it is sent.
    pub note: Option<Note>,
}

/// What one datagram calls for; every part may be missing.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Lease changes to write to the lease file (before `reply`, when that is an ACK).
    pub records: Vec<Lease>,
    pub reply: Option<Outgoing>,
    /// A line to log now (the reply's own line is logged when it is sent).
    pub note: Option<Note>,
}

impl Answer {
    fn note(level: Level, kind: Kind, text: String) -> Answer {
        Answer {
            note: Some(Note::new(level, kind, text)),
            ..Answer::default()
        }
    }
}

/// What the server answers `datagram`, read on the bridge at `now` (seconds since 1970), for
/// `subnet` (the bridge's address and prefix) with `params`.
pub fn respond(
    pool: &mut Pool,
    subnet: Ipv4Network,
    params: &NetParams,
    datagram: &[u8],
    now: u64,
) -> Answer {
    let ignored = |why: String| Answer::note(Level::Debug, IGNORED, why);
    let m = match wire::decode(datagram) {
        Ok(m) => m,
        Err(why) => return ignored(format!("ignored {} bytes: {why}", datagram.len())),
    };
    let giaddr = m.msg.giaddr();
    if !giaddr.is_unspecified() && (!is_host(subnet, giaddr) || giaddr == params.server_id) {
        return ignored(format!(
            "ignored a request relayed from {giaddr}, not a relay's address in {subnet}"
        ));
    }
    let ciaddr = m.msg.ciaddr();
    if m.kind == MessageType::Inform && giaddr.is_unspecified() && !is_host(subnet, ciaddr) {
        return ignored(format!(
            "ignored an INFORM from {ciaddr}, not a host address of {subnet}"
        ));
    }
    let mac = format_mac(&m.client.mac);
    let lease_secs = pool.lease_time() as u32;
    let reply = |kind: Reply, durable: bool, note: Option<Note>| {
        let msg = wire::reply(&m.msg, kind, params);
        Outgoing {
            dest: addressing::destination(&m.msg, &msg, matches!(kind, Reply::Nak(_)), subnet),
            bytes: wire::encode(&msg),
            durable,
            probe: None,
            note,
        }
    };
    match exchange::decide(pool, &m, params.server_id, now) {
        Decision::Offer { ip: yiaddr, known } => {
            let text = format!("OFFER {yiaddr} to {mac} (xid {:#x})", m.msg.xid());
            let note = Note::new(Level::Debug, OFFER, text);
            let offer = Reply::Offer { yiaddr, lease_secs };
            // A relayed client is on its relay's link, which the bridge's ARP does not reach.
            let probe = !known && giaddr.is_unspecified();
            Answer {
                reply: Some(Outgoing {
                    probe: probe.then_some((yiaddr, m.client.mac)),
                    ..reply(offer, false, Some(note))
                }),
                ..Answer::default()
            }
        }
        Decision::Ack(granted) => {
            let lease = granted.lease;
            let text = format!("ACK {} to {mac}{}", lease.ip, named(&lease));
            let ack = Reply::Ack {
                yiaddr: lease.ip,
                lease_secs: lease.expires.saturating_sub(now).min(u64::from(u32::MAX)) as u32,
            };
            let note = granted.ended.as_ref().map(|old| {
                let text = format!("{} ended: {mac} moved to {}", old.ip, lease.ip);
                Note::new(Level::Info, RECORD, text)
            });
            Answer {
                reply: Some(reply(ack, true, Some(Note::new(Level::Info, ACK, text)))),
                records: granted.ended.into_iter().chain([lease]).collect(),
                note,
            }
        }
        Decision::InformAck => Answer {
            reply: Some(reply(Reply::InformAck, false, None)),
            ..Answer::default()
        },
        Decision::Nak(ip, why) => {
            let text = format!("NAK {ip} to {mac}: {}", why.message());
            Answer {
                reply: Some(reply(Reply::Nak(why.message()), false, None)),
                note: Some(Note::new(Level::Info, NAK, text)),
                records: Vec::new(),
            }
        }
        Decision::Record(lease) => {
            let what = match lease.state {
                State::Declined => "DECLINE (address on probation)",
                _ => "RELEASE",
            };
            let text = format!("{what} {} by {mac}", lease.ip);
            Answer {
                note: Some(Note::new(Level::Info, RECORD, text)),
                records: vec![lease],
                reply: None,
            }
        }
        Decision::Exhausted => Answer::note(
            Level::Warn,
            EXHAUSTED,
            format!(
                "no free address for {mac}: every address of {} is in use",
                pool.range()
            ),
        ),
        Decision::Silent => Answer::default(),
    }
}

/// ` (HOSTNAME)`, as the client gave it: the log escapes what needs escaping.
fn named(lease: &Lease) -> String {
    lease
        .hostname
        .as_deref()
        .map_or(String::new(), |h| format!(" ({h})"))
}

/// What a server on a bridge with address `subnet` tells its clients, for the tests and the
/// fuzz target.
#[cfg(any(test, fuzzing))]
pub fn params_for(subnet: Ipv4Network) -> NetParams {
    NetParams {
        server_id: subnet.ip(),
        netmask: subnet.mask(),
        router: subnet.ip(),
        dns: Vec::new(),
        domain: None,
        mtu: 1500,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    /// Where a reply goes.
    fn sent_to(a: &Answer) -> Option<Ipv4Addr> {
        a.reply.as_ref().map(|r| r.dest.ip())
    }
    use crate::cli::Ipv4Range;
    use crate::dhcp::wire::tests::request;
    use dhcproto::v4::DhcpOption;
    use dhcproto::{Decodable, Decoder};

    const NOW: u64 = 1_700_000_000;
    const MAC: [u8; 6] = [2, 0, 0, 0, 0, 1];

    fn subnet() -> Ipv4Network {
        "10.0.5.1/24".parse().unwrap()
    }

    fn pool() -> Pool {
        let range: Ipv4Range = "10.0.5.100-10.0.5.150".parse().unwrap();
        Pool::new(range, &[], 3600)
    }

    fn answer(p: &mut Pool, bytes: &[u8]) -> Answer {
        respond(p, subnet(), &params_for(subnet()), bytes, NOW)
    }

    /// A message with giaddr and ciaddr set in its fixed fields.
    fn with(kind: MessageType, giaddr: [u8; 4], ciaddr: [u8; 4]) -> Vec<u8> {
        let mut b = request(kind, MAC, vec![]);
        b[12..16].copy_from_slice(&ciaddr);
        b[24..28].copy_from_slice(&giaddr);
        b
    }

    #[test]
    fn a_whole_exchange_offers_then_holds_the_ack_for_the_disk() {
        let mut p = pool();
        let offer = answer(&mut p, &request(MessageType::Discover, MAC, vec![]));
        let out = offer.reply.unwrap();
        assert!(!out.durable && offer.records.is_empty());
        assert_eq!(
            out.probe.map(|(ip, _)| ip),
            Some(Ipv4Addr::new(10, 0, 5, 100)),
            "a new address is probed"
        );
        let back = dhcproto::v4::Message::decode(&mut Decoder::new(&out.bytes)).unwrap();
        let yiaddr = back.yiaddr();
        assert_eq!(yiaddr, Ipv4Addr::new(10, 0, 5, 100));
        let req = request(
            MessageType::Request,
            MAC,
            vec![
                DhcpOption::RequestedIpAddress(yiaddr),
                DhcpOption::ServerIdentifier(subnet().ip()),
                DhcpOption::Hostname("c1\n\x1b[31m".into()),
            ],
        );
        let ack = answer(&mut p, &req);
        let out = ack.reply.as_ref().unwrap();
        assert!(out.durable, "an ACK waits for the disk");
        assert_eq!(ack.records[0].ip, yiaddr);
        // The hostname is logged as given: the logger escapes it.
        assert_eq!(
            out.note.as_ref().unwrap().text,
            "ACK 10.0.5.100 to 02:00:00:00:00:01 (c1\n\x1b[31m)"
        );
    }

    #[test]
    fn relays_at_the_subnets_edges_or_at_our_own_address_are_not_answered() {
        for giaddr in [[10, 0, 5, 255], [10, 0, 5, 0], [10, 0, 5, 1], [10, 0, 6, 2]] {
            let a = answer(&mut pool(), &with(MessageType::Discover, giaddr, [0; 4]));
            assert_eq!(a.reply, None, "{giaddr:?}");
            assert_eq!(a.note.unwrap().kind, IGNORED);
        }
        let relayed = answer(
            &mut pool(),
            &with(MessageType::Discover, [10, 0, 5, 2], [0; 4]),
        );
        assert_eq!(sent_to(&relayed), Some(Ipv4Addr::new(10, 0, 5, 2)));
        assert_eq!(
            relayed.reply.unwrap().probe,
            None,
            "no ARP probe behind a relay"
        );
    }

    #[test]
    fn informs_are_answered_to_host_addresses_only() {
        for ciaddr in [
            [10, 0, 5, 255],
            [224, 0, 0, 1],
            [255, 255, 255, 255],
            [8, 8, 8, 8],
        ] {
            let a = answer(&mut pool(), &with(MessageType::Inform, [0; 4], ciaddr));
            assert_eq!(a.reply, None, "{ciaddr:?}");
        }
        let a = answer(
            &mut pool(),
            &with(MessageType::Inform, [0; 4], [10, 0, 5, 7]),
        );
        assert_eq!(sent_to(&a), Some(Ipv4Addr::new(10, 0, 5, 7)));
    }

    #[test]
    fn exhaustion_is_a_warning_and_garbage_a_debug_line() {
        let range: Ipv4Range = "10.0.5.100-10.0.5.100".parse().unwrap();
        let mut p = Pool::new(range, &[], 3600);
        answer(&mut p, &request(MessageType::Discover, MAC, vec![]));
        let other = request(MessageType::Discover, [2, 0, 0, 0, 0, 2], vec![]);
        let a = answer(&mut p, &other);
        let note = a.note.unwrap();
        assert_eq!((note.level, note.kind), (Level::Warn, EXHAUSTED));
        let a = answer(&mut p, &[1, 2, 3]);
        assert_eq!(a.note.unwrap().level, Level::Debug);
    }
}
