//! VXLAN, unicast: one device whose flood entries name every remote (head-end replication).
//! A VXLAN device never forwards a frame from one remote to another, so one device is a
//! loop-free full mesh by itself.

use std::net::IpAddr;
use std::sync::Arc;

use anyhow::Result;

use super::{Device, Have, Kind, TunnelKind, check_endpoints, other_kind};
use crate::msg::vxlan::{self, VXLAN, VxlanSpec};
use crate::plan::diff::{self, Diffs};
use crate::plan::{Op, Place, Step};
use crate::report::usage;
use crate::state::l2tp::L2tp as L2tpState;
use crate::state::tunnel::vxlan_overhead;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vxlan {
    pub spec: VxlanSpec,
    /// Sorted, each once.
    pub remotes: Vec<IpAddr>,
}

impl Vxlan {
    pub fn new(spec: VxlanSpec, remotes: &[IpAddr]) -> Result<Vxlan> {
        if spec.dport == 0 {
            return Err(usage(
                "--dport 0 is no port (the kernel would take it as its old default, 8472)",
            ));
        }
        let mut sorted = Vec::new();
        for &remote in remotes {
            check_endpoints(spec.local, remote)?;
            if sorted.contains(&remote) {
                return Err(usage(format!("--remote {remote} is given twice")));
            }
            sorted.push(remote);
        }
        sorted.sort();
        Ok(Vxlan {
            spec,
            remotes: sorted,
        })
    }

    fn remote_step(&self, remote: &IpAddr, add: bool) -> Step {
        let dev = self.spec.name.clone();
        let (add_op, del_op) = (
            Op::AddRemote {
                dev: dev.clone(),
                remote: *remote,
            },
            Op::DelRemote {
                dev,
                remote: *remote,
            },
        );
        if add {
            Step::new(add_op, del_op)
        } else {
            Step::new(del_op, add_op)
        }
    }
}

impl Device for Vxlan {
    fn name(&self) -> &str {
        &self.spec.name
    }

    fn kind(&self) -> TunnelKind {
        TunnelKind::Vxlan
    }

    /// Without a lower device the kernel leaves a VXLAN device at 1500, too big for any
    /// 1500-byte underlay; the fit is the path toward the first remote less the encapsulation.
    fn local(&self) -> IpAddr {
        self.spec.local
    }

    fn remote(&self) -> IpAddr {
        self.remotes[0]
    }

    fn overhead(&self) -> u32 {
        vxlan_overhead(self.spec.local.is_ipv6())
    }

    /// The device, then its flood entries (deleting the device undoes them all).
    fn create(&self, place: &Place, _: Option<&L2tpState>) -> Result<Vec<Step>> {
        let spec = self.spec.clone();
        let mut steps = vec![Step::new(
            Op::NewLink {
                name: spec.name.clone(),
                place: place.clone(),
                build: Arc::new(move |at| vxlan::create(&spec, at)),
            },
            Op::DelLink {
                dev: self.spec.name.clone(),
            },
        )];
        steps.extend(self.remotes.iter().map(|r| Step {
            undo: None,
            ..self.remote_step(r, true)
        }));
        Ok(steps)
    }

    fn differences(&self, have: &Have) -> Result<Diffs> {
        if have.kind != VXLAN.name {
            return Err(other_kind(have, TunnelKind::Vxlan));
        }
        let mut diffs = Diffs::new();
        diff::setting(
            &mut diffs,
            "vni",
            have.vni.unwrap_or(0),
            self.spec.vni,
            || None,
        );
        diff::optional(
            &mut diffs,
            "local",
            have.local,
            Some(self.spec.local),
            || None,
        );
        diff::setting(
            &mut diffs,
            "dport",
            have.dport.unwrap_or(0),
            self.spec.dport,
            || None,
        );
        diff::members(
            &mut diffs,
            "remote",
            &have.remotes,
            &self.remotes,
            |r| vec![self.remote_step(r, true)],
            |r| vec![self.remote_step(r, false)],
        );
        Ok(diffs)
    }

    fn args(&self) -> Vec<String> {
        let mut words = vec![
            "--vni".into(),
            self.spec.vni.to_string(),
            "--local".into(),
            self.spec.local.to_string(),
        ];
        for r in &self.remotes {
            words.extend(["--remote".into(), r.to_string()]);
        }
        if self.spec.dport != vxlan::VXLAN_PORT {
            words.extend(["--dport".into(), self.spec.dport.to_string()]);
        }
        words
    }
}

pub struct VxlanKind;
pub static KIND: VxlanKind = VxlanKind;

impl Kind for VxlanKind {
    fn name(&self) -> &'static str {
        VXLAN.name
    }

    fn shows(&self, kind: &str) -> bool {
        kind == VXLAN.name
    }

    fn remove(&self, have: &Have, _: Option<&L2tpState>) -> Vec<Step> {
        vec![Step::final_(Op::DelLink {
            dev: have.name.clone(),
        })]
    }

    /// Every pair of hosts gets a VNI of its own: two devices with one VNI and port cannot
    /// share a namespace.
    fn lab(&self, i: u8, j: u8, name: &str, local: IpAddr, remote: IpAddr) -> Box<dyn Device> {
        let pair = u32::from(i.min(j)) * 10 + u32::from(i.max(j));
        Box::new(Vxlan {
            spec: VxlanSpec {
                name: name.to_string(),
                vni: pair,
                local,
                dport: vxlan::VXLAN_PORT,
            },
            remotes: vec![remote],
        })
    }
}
