//! VXLAN devices and the remotes in their forwarding table.

use anyhow::Result;

use super::{ETH_HLEN, Kind, Tunnel, ip_header};
use crate::msg::link::{Link, Placement};
use crate::msg::{neigh, vxlan};
use crate::nl::Sockets;
use crate::state::l2tp::L2tp;
use crate::state::probe::{self, PROBE, Probe};

pub struct Vxlan;

impl Kind for Vxlan {
    fn names(&self) -> &'static [&'static str] {
        &[vxlan::VXLAN.name]
    }

    fn claims(&self, link: &Link, _: Option<&L2tp>) -> bool {
        link.is_kind(vxlan::VXLAN.name)
    }

    /// The remotes are the destinations of the device's all-zeros forwarding entries.
    fn read(&self, s: &mut Sockets, t: &mut Tunnel, _: Option<&L2tp>) -> Result<()> {
        let info = vxlan::parse(&t.link.info_data);
        t.local = info.local;
        t.vni = Some(info.vni);
        t.dport = Some(info.dport);
        let entries = s.route.dump(&neigh::fdb_dump(t.link.index))?;
        t.remotes = entries
            .iter()
            .filter_map(|e| neigh::parse_flood_remote(e))
            .collect();
        t.remotes.sort();
        Ok(())
    }

    fn overhead(&self, _: &Tunnel, ipv6: bool) -> u32 {
        overhead(ipv6)
    }

    fn probes(&self) -> Vec<Probe> {
        vec![Probe {
            name: "vxlan",
            module: "vxlan",
            tunnel: Some("vxlan"),
            check: || {
                let spec = vxlan::VxlanSpec {
                    name: PROBE.into(),
                    vni: 1,
                    local: probe::V4.0,
                    dport: vxlan::VXLAN_PORT,
                };
                probe::link_kind(&vxlan::create(&spec, Placement::default()))
            },
        }]
    }
}

/// Outer IP, UDP (8) and VXLAN (8) headers, and the inner Ethernet header.
pub fn overhead(ipv6: bool) -> u32 {
    ip_header(ipv6) + 8 + 8 + ETH_HLEN
}
