//! Every probe of what this kernel can do (see `probe`), in the order doctor lists them: the
//! bridge, each tunnel kind's, WireGuard, nf_tables and masquerade.

use std::net::Ipv4Addr;

use anyhow::Result;
use ipnetwork::Ipv4Network;

use super::nft;
use super::probe::{PROBE, Probe, link_kind};
use crate::msg::bridge::{self, BridgeSpec};
use crate::msg::nft::masquerade::Masquerade;
use crate::msg::nft::nat;
use crate::msg::nft::{NFPROTO_IPV4, batch, table};
use crate::msg::wireguard;
use crate::msg::{Netfilter, Request};
use crate::nl::Sockets;

/// Every probe, in the order doctor lists them.
pub fn probes() -> Vec<Probe> {
    let mut all = vec![Probe {
        name: "bridge",
        module: "bridge",
        tunnel: None,
        check: || {
            link_kind(&bridge::create(&BridgeSpec {
                name: PROBE.into(),
                ..BridgeSpec::default()
            }))
        },
    }];
    all.extend(super::tunnel::probes());
    all.push(Probe {
        name: "wireguard",
        module: "wireguard",
        tunnel: None,
        check: || link_kind(&wireguard::create(PROBE, Default::default())),
    });
    all.push(Probe {
        name: "nf_tables",
        module: "nf_tables",
        tunnel: None,
        check: || nft_batch(|g| batch::batch(g, vec![table::add(NFPROTO_IPV4, PROBE)])),
    });
    all.push(Probe {
        name: "masquerade",
        module: "nft_masq",
        tunnel: None,
        check: || {
            let rule = Masquerade {
                source: Ipv4Network::new(Ipv4Addr::new(10, 0, 5, 0), 24)?,
                out: None,
            };
            nft_batch(|g| nat::rewrite(g, &[rule.clone().into()]))
        },
    });
    all
}

/// The probe that shows the kernel has the tunnel kind `kind` as the lab makes it.
pub fn tunnel(kind: &str) -> Option<Probe> {
    super::tunnel::probes()
        .into_iter()
        .find(|p| p.tunnel == Some(kind))
}

/// Commits an nf_tables batch made on the current generation.
fn nft_batch(changes: impl FnOnce(u32) -> Vec<Request<Netfilter>>) -> Result<()> {
    let mut s = Sockets::open(false)?;
    let generation = nft::generation(&mut s)?;
    s.netfilter()?.batch(&changes(generation))?;
    Ok(())
}
