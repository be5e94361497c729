//! What the fuzz targets under fuzz/ run: each takes any bytes, must never panic, and checks
//! what must hold whatever the input. Built only by cargo-fuzz (`--cfg fuzzing`).

use std::net::Ipv4Addr;

use ipnetwork::Ipv4Network;

use crate::cli::Ipv4Range;
use crate::dhcp::addressing::{Destination, is_host, is_unicast};
use crate::dhcp::client::{self, Limits, Reply};
use crate::dhcp::leases;
use crate::dhcp::pool::Pool;
use crate::dhcp::respond::{self, params_for};
use crate::segment::part::Part;
use crate::segment::{check, file};

const NOW: u64 = 1_700_000_000;

/// The server: `data` is a sequence of datagrams, each `[seconds later: u8][length: u16 BE]
/// [bytes]`, answered in turn by one server on 10.0.0.1/22 (a /31 range would be too small to
/// reach exhaustion's paths, a bigger one too slow to fill).
pub fn dhcp_server(mut data: &[u8]) {
    let subnet: Ipv4Network = "10.0.0.1/22".parse().expect("a valid network");
    let range = Ipv4Range {
        first: Ipv4Addr::new(10, 0, 0, 100),
        last: Ipv4Addr::new(10, 0, 0, 131),
    };
    let reserved = [
        "02:00:00:00:00:09=10.0.1.9,nine"
            .parse()
            .expect("a valid reservation"),
        "printer=10.0.1.10".parse().expect("a valid reservation"),
    ];
    let mut pool = Pool::new(range, &reserved, 60);
    let params = params_for(subnet);
    let mut now = NOW;
    while let [step, hi, lo, rest @ ..] = data {
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(rest.len());
        let (datagram, next) = rest.split_at(len);
        now += u64::from(*step);
        let answer = respond::respond(&mut pool, subnet, &params, datagram, now);
        for lease in &answer.records {
            let mut text = String::new();
            leases::encode(lease, &mut text);
            let back = leases::parse(&text);
            assert_eq!(
                back.leases.as_slice(),
                std::slice::from_ref(lease),
                "{text:?}"
            );
        }
        if let Some(out) = &answer.reply {
            match out.dest {
                Destination::Relay(ip) | Destination::Client(ip) => assert!(is_host(subnet, ip)),
                Destination::Direct { ip, mac } => assert!(is_host(subnet, ip) && is_unicast(&mac)),
                Destination::Broadcast => {}
            }
        }
        data = next;
    }
}

/// The lease file loader: whatever it reads, the leases it keeps are written back as lines
/// that read back the same.
pub fn lease_file(data: &[u8]) {
    let replay = leases::parse(&String::from_utf8_lossy(data));
    let mut text = String::new();
    for lease in &replay.leases {
        leases::encode(lease, &mut text);
    }
    let back = leases::parse(&text);
    assert!(back.damage.is_empty(), "{:?}", back.damage);
    assert_eq!(back.leases, replay.leases);
}

/// The client's reply handler: a datagram read on port 68 by a client with xid 0x12345678 and
/// MAC 02:00:00:00:00:03 is ignored, refused, or a configuration that holds together.
pub fn dhcp_client(data: &[u8]) {
    let limits = Limits {
        max_mtu: Some(9000),
    };
    let Some(Ok(Reply::Offer(got) | Reply::Ack(got))) =
        client::judge(data, 0x1234_5678, &[2, 0, 0, 0, 0, 3], &limits)
    else {
        return;
    };
    let net = got.network();
    assert!(is_host(net, got.ip) && got.prefix > 0);
    assert!(got.router.is_none_or(|r| r != got.ip && is_host(net, r)));
    assert!(got.mtu.is_none_or(|m| (68..=9000).contains(&m)));
}

/// Segment files: whatever the text, reading and checking it never panics, and a file that
/// passes yields, for every host, a part whose tunnels can be specified and whose names fit
/// an interface; checking the same text twice gives the same segment.
pub fn segment_file(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let check = |text: &str| match file::parse(text) {
        Ok(f) => check::check(f, text).ok(),
        Err(_) => None,
    };
    let Some(segment) = check(&text) else {
        return;
    };
    assert_eq!(check(&text).as_ref(), Some(&segment));
    for host in &segment.hosts {
        let part = Part::new(&segment, host);
        for end in &part.tunnels {
            assert!(end.name.len() <= 15, "{}", end.name);
            end.device().expect("a checked file's tunnel");
        }
        if let Some(w) = &part.wireguard {
            assert!(w.name.len() <= 15, "{}", w.name);
            assert!(
                w.peers
                    .iter()
                    .all(|p| p.endpoint.is_some() || host.underlay.is_some())
            );
        }
    }
}
