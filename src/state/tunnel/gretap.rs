//! gretap and ip6gretap devices.

use anyhow::Result;

use super::{ETH_HLEN, Kind, Tunnel, ip_header};
use crate::msg::gretap::{self, GRETAP, GretapSpec, IP6GRETAP};
use crate::msg::link::Link;
use crate::msg::link::Placement;
use crate::nl::Sockets;
use crate::state::l2tp::L2tp;
use crate::state::probe::{self, PROBE, Probe};

pub struct Gretap;

impl Kind for Gretap {
    fn names(&self) -> &'static [&'static str] {
        &[GRETAP.name, IP6GRETAP.name]
    }

    fn claims(&self, link: &Link, _: Option<&L2tp>) -> bool {
        link.is_kind(GRETAP.name) || link.is_kind(IP6GRETAP.name)
    }

    fn read(&self, _: &mut Sockets, t: &mut Tunnel, _: Option<&L2tp>) -> Result<()> {
        let info = gretap::parse(&t.link.info_data);
        t.local = info.local;
        t.remotes = info.remote.into_iter().collect();
        t.key = info.key;
        t.ttl = Some(info.ttl);
        Ok(())
    }

    fn overhead(&self, t: &Tunnel, ipv6: bool) -> u32 {
        let info = gretap::parse(&t.link.info_data);
        overhead(ipv6, info.optional_fields(), info.encap_limit)
    }

    fn probes(&self) -> Vec<Probe> {
        vec![
            Probe {
                name: "gretap",
                module: "ip_gre",
                tunnel: Some("gretap"),
                check: || probe::link_kind(&gretap::create(&spec(probe::V4), Placement::default())),
            },
            Probe {
                name: "ip6gretap",
                module: "ip6_gre",
                tunnel: None,
                check: || probe::link_kind(&gretap::create(&spec(probe::V6), Placement::default())),
            },
        ]
    }
}

fn spec((local, remote): (std::net::IpAddr, std::net::IpAddr)) -> GretapSpec {
    GretapSpec {
        name: PROBE.into(),
        local,
        remote,
        ttl: 255,
        key: None,
    }
}

/// Outer IP, the 4-byte GRE header and 4 bytes for each optional field (key, checksum,
/// sequence number), the inner Ethernet header, and over IPv6 the 8-byte destination option
/// that carries an encapsulation limit (RFC 2473) unless the device was made without one.
pub fn overhead(ipv6: bool, optional_fields: u32, encap_limit: bool) -> u32 {
    let limit = if ipv6 && encap_limit { 8 } else { 0 };
    ip_header(ipv6) + 4 + 4 * optional_fields + limit + ETH_HLEN
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overheads_match_the_kernels_default_mtus() {
        // 1500-byte underlay: gretap 1462, with a key 1458; ip6gretap 1434, without the
        // encapsulation limit 1442 (see the kernel notes).
        assert_eq!(1500 - overhead(false, 0, false), 1462);
        assert_eq!(1500 - overhead(false, 1, false), 1458);
        assert_eq!(1500 - overhead(true, 0, true), 1434);
        assert_eq!(1500 - overhead(true, 0, false), 1442);
    }
}
