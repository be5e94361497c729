//! What this kernel can do, found out by doing it: each probe makes a throwaway device or
//! table inside a new network namespace that vanishes with everything in it when the probe
//! ends. Nothing is made in any namespace that exists; modules the kernel autoloads for a
//! probe stay loaded, as they would for the real command.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use anyhow::{Result, anyhow};
use ipnetwork::Ipv4Network;

use super::nat::generation;
use crate::cli::TunnelKind;
use crate::msg::bridge::{self, BridgeSpec};
use crate::msg::gretap::{self, GretapSpec};
use crate::msg::l2tp::{self, Encap, SessionSpec, TunnelSpec};
use crate::msg::link;
use crate::msg::nft::masquerade::Masquerade;
use crate::msg::nft::nat;
use crate::msg::nft::{NFPROTO_IPV4, batch, table};
use crate::msg::vxlan::{self, VxlanSpec};
use crate::msg::{Request, genl};
use crate::nl::{KernelError, Netlink, netns};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    Bridge,
    Gretap,
    Ip6gretap,
    L2tpUdp,
    L2tpIp,
    Vxlan,
    NfTables,
    Masquerade,
}

impl Probe {
    pub const ALL: [Probe; 8] = [
        Probe::Bridge,
        Probe::Gretap,
        Probe::Ip6gretap,
        Probe::L2tpUdp,
        Probe::L2tpIp,
        Probe::Vxlan,
        Probe::NfTables,
        Probe::Masquerade,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Probe::Bridge => "bridge",
            Probe::Gretap => "gretap",
            Probe::Ip6gretap => "ip6gretap",
            Probe::L2tpUdp => "l2tp (udp)",
            Probe::L2tpIp => "l2tp (ip)",
            Probe::Vxlan => "vxlan",
            Probe::NfTables => "nf_tables",
            Probe::Masquerade => "masquerade",
        }
    }

    /// The module that provides it, for the hint when it is missing.
    pub fn module(self) -> &'static str {
        match self {
            Probe::Bridge => "bridge",
            Probe::Gretap => "ip_gre",
            Probe::Ip6gretap => "ip6_gre",
            Probe::L2tpUdp => "l2tp_eth",
            Probe::L2tpIp => "l2tp_ip",
            Probe::Vxlan => "vxlan",
            Probe::NfTables => "nf_tables",
            Probe::Masquerade => "nft_masq",
        }
    }

    /// The probe for a tunnel kind as the lab makes it.
    pub fn tunnel(kind: TunnelKind) -> Probe {
        match kind {
            TunnelKind::Gretap => Probe::Gretap,
            TunnelKind::L2tp => Probe::L2tpUdp,
            TunnelKind::Vxlan => Probe::Vxlan,
        }
    }

    /// Ok when the kernel did it; the kernel's refusal otherwise.
    pub fn run(self) -> Result<()> {
        netns::scratch(move || match self {
            Probe::Bridge => link_kind(&bridge::create(&BridgeSpec {
                name: PROBE.into(),
                ..BridgeSpec::default()
            })),
            Probe::Gretap => link_kind(&gretap::create(&gre(V4.0, V4.1))),
            Probe::Ip6gretap => link_kind(&gretap::create(&gre(V6.0, V6.1))),
            Probe::L2tpUdp => l2tp_session(Encap::Udp {
                sport: l2tp::L2TP_PORT,
                dport: l2tp::L2TP_PORT,
            }),
            Probe::L2tpIp => l2tp_session(Encap::Ip),
            Probe::Vxlan => link_kind(&vxlan::create(&VxlanSpec {
                name: PROBE.into(),
                vni: 1,
                local: V4.0,
                dport: vxlan::VXLAN_PORT,
                mtu: None,
            })),
            Probe::NfTables => nft(table::add(NFPROTO_IPV4, PROBE)),
            Probe::Masquerade => masquerade(),
        })
    }
}

const PROBE: &str = "l2x-probe";
/// Documentation addresses: nothing is sent to them, the devices never go up.
const V4: (IpAddr, IpAddr) = (
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)),
);
const V6: (IpAddr, IpAddr) = (
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2)),
);

fn gre(local: IpAddr, remote: IpAddr) -> GretapSpec {
    GretapSpec {
        name: PROBE.into(),
        local,
        remote,
        ttl: 255,
        key: None,
    }
}

fn link_kind(create: &Request) -> Result<()> {
    Netlink::route(false)?.ack(create)?;
    Ok(())
}

/// An L2TPv3 tunnel and its Ethernet session between two loopback addresses: the tunnel's
/// UDP or IP socket binds to the local one, which exists only once lo is up.
fn l2tp_session(encap: Encap) -> Result<()> {
    Netlink::route(false)?.ack(&link::loopback_up())?;
    let mut nl = Netlink::generic(false)?;
    let request = l2tp::get_family();
    let family = nl
        .get(&request)?
        .and_then(|body| genl::parse_family_id(&body))
        .ok_or_else(|| KernelError::missing(&request.what, l2tp::L2TP))?;
    let (local, remote) = (Ipv4Addr::new(127, 0, 0, 1), Ipv4Addr::new(127, 0, 0, 2));
    let tunnel = TunnelSpec {
        tunnel_id: 1,
        peer_tunnel_id: 1,
        encap,
        local: local.into(),
        remote: remote.into(),
    };
    let mut create = l2tp::tunnel_create(family, &tunnel);
    if encap == Encap::Ip {
        create = create.needing(l2tp::L2TP_IP);
    }
    nl.ack(&create)?;
    nl.ack(&l2tp::session_create(
        family,
        &SessionSpec {
            name: PROBE.into(),
            tunnel_id: 1,
            peer_tunnel_id: 1,
            session_id: 1,
            peer_session_id: 1,
            cookie: None,
            peer_cookie: None,
        },
    ))?;
    Ok(())
}

fn nft(change: Request) -> Result<()> {
    let mut nf = Netlink::netfilter(false)?;
    let generation = generation(&mut nf)?;
    nf.batch(&batch::batch(generation, vec![change]))?;
    Ok(())
}

/// Table ip l2x with its masquerade rule, as `nat masq` writes it.
fn masquerade() -> Result<()> {
    let mut nf = Netlink::netfilter(false)?;
    let generation = generation(&mut nf)?;
    let rule = Masquerade {
        source: Ipv4Network::new(Ipv4Addr::new(10, 0, 5, 0), 24)?,
        out: None,
    };
    nf.batch(&nat::rewrite(generation, &[rule.into()]))?;
    Ok(())
}

/// The tunnel the lab uses when none is asked for: the first of gretap, l2tp and vxlan this
/// kernel has, with the reason in words ("this kernel has no gretap and no l2tp").
pub fn default_tunnel() -> Result<(TunnelKind, String)> {
    let mut missing = Vec::new();
    for kind in [TunnelKind::Gretap, TunnelKind::L2tp, TunnelKind::Vxlan] {
        match Probe::tunnel(kind).run() {
            Ok(()) => {
                let why = if missing.is_empty() {
                    "the first of gretap, l2tp, vxlan; this kernel has it".to_string()
                } else {
                    format!("this kernel has no {}", missing.join(" and no "))
                };
                return Ok((kind, why));
            }
            Err(_) => missing.push(kind.name()),
        }
    }
    Err(anyhow!(
        "this kernel has none of gretap, l2tp (l2tp_eth) and vxlan"
    ))
}
