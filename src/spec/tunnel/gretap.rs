//! gretap (ip6gretap when the endpoints are IPv6): Ethernet over GRE, one device per peer.

use std::net::IpAddr;
use std::sync::Arc;

use anyhow::Result;

use super::{Device, Have, Kind, TunnelKind, check_endpoints, other_kind};
use crate::msg::gretap::{self, GRETAP, GretapSpec, IP6GRETAP};
use crate::plan::diff::{self, Diffs};
use crate::plan::{Op, Place, Step};
use crate::state::l2tp::L2tp as L2tpState;
use crate::state::tunnel::gre_overhead;

/// The runbook's TTL: outer packets survive any path.
pub const DEFAULT_TTL: u8 = 255;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gretap(pub GretapSpec);

impl Gretap {
    pub fn new(spec: GretapSpec) -> Result<Gretap> {
        check_endpoints(spec.local, spec.remote)?;
        Ok(Gretap(spec))
    }
}

impl Device for Gretap {
    fn name(&self) -> &str {
        &self.0.name
    }

    fn kind(&self) -> TunnelKind {
        TunnelKind::Gretap
    }

    fn local(&self) -> IpAddr {
        self.0.local
    }

    fn remote(&self) -> IpAddr {
        self.0.remote
    }

    /// l2x makes keyed GRE without checksums or sequence numbers, and ip6gretap with the
    /// default encapsulation limit, as iproute2 does.
    fn overhead(&self) -> u32 {
        let ipv6 = self.0.local.is_ipv6();
        gre_overhead(ipv6, u32::from(self.0.key.is_some()), ipv6)
    }

    fn create(&self, place: &Place, _: Option<&L2tpState>) -> Result<Vec<Step>> {
        let spec = self.0.clone();
        Ok(vec![Step::new(
            Op::NewLink {
                name: spec.name.clone(),
                place: place.clone(),
                build: Arc::new(move |at| gretap::create(&spec, at)),
            },
            Op::DelLink {
                dev: self.0.name.clone(),
            },
        )])
    }

    fn differences(&self, have: &Have) -> Result<Diffs> {
        let want = self.0.feature().name;
        if have.kind != want {
            return Err(other_kind(have, TunnelKind::Gretap));
        }
        let mut diffs = Diffs::new();
        diff::optional(&mut diffs, "local", have.local, Some(self.0.local), || None);
        let remote = have.remotes.first().copied();
        diff::optional(&mut diffs, "remote", remote, Some(self.0.remote), || None);
        diff::setting(&mut diffs, "ttl", have.ttl.unwrap_or(0), self.0.ttl, || {
            None
        });
        diff::optional(&mut diffs, "key", have.key, self.0.key, || None);
        Ok(diffs)
    }

    fn args(&self) -> Vec<String> {
        let mut words = vec![
            "--local".into(),
            self.0.local.to_string(),
            "--remote".into(),
            self.0.remote.to_string(),
        ];
        if self.0.ttl != DEFAULT_TTL {
            words.extend(["--ttl".into(), self.0.ttl.to_string()]);
        }
        if let Some(key) = self.0.key {
            words.extend(["--key".into(), key.to_string()]);
        }
        words
    }
}

pub struct GretapKind;
pub static KIND: GretapKind = GretapKind;

impl Kind for GretapKind {
    fn name(&self) -> &'static str {
        GRETAP.name
    }

    fn shows(&self, kind: &str) -> bool {
        kind == GRETAP.name || kind == IP6GRETAP.name
    }

    fn remove(&self, have: &Have, _: Option<&L2tpState>) -> Vec<Step> {
        vec![Step::final_(Op::DelLink {
            dev: have.name.clone(),
        })]
    }

    fn lab(&self, _: u8, _: u8, name: &str, local: IpAddr, remote: IpAddr) -> Box<dyn Device> {
        Box::new(Gretap(GretapSpec {
            name: name.to_string(),
            local,
            remote,
            ttl: DEFAULT_TTL,
            key: None,
        }))
    }
}
