//! `l2x tunnel vxlan`: the device, then one flood entry per remote.

use std::collections::BTreeSet;
use std::net::IpAddr;

use anyhow::{Result, anyhow};

use super::diff::{self, Diffs};
use super::{Ctx, Tunnel, check_endpoints, links, underlay_fit, wrong_kind};
use crate::cli::VxlanArgs;
use crate::msg::link::{self, Link};
use crate::msg::neigh;
use crate::msg::vxlan::{self, VxlanSpec};
use crate::report::usage;

/// Outer Ethernet-less overhead of VXLAN: IP + UDP (8) + VXLAN (8) + inner Ethernet (14).
const OVERHEAD_V4: u32 = 20 + 8 + 8 + 14;
const OVERHEAD_V6: u32 = 40 + 8 + 8 + 14;

pub struct Vxlan {
    spec: VxlanSpec,
    remotes: Vec<IpAddr>,
}

impl Vxlan {
    pub fn from_args(a: &VxlanArgs) -> Result<Self> {
        let mut seen = BTreeSet::new();
        for &remote in &a.remote {
            check_endpoints(a.local, remote)?;
            if !seen.insert(remote) {
                return Err(usage(format!("--remote {remote} is given twice")));
            }
        }
        Ok(Vxlan {
            spec: VxlanSpec {
                name: a.name.to_string(),
                vni: a.vni,
                local: a.local,
                dport: a.dport,
                mtu: None,
            },
            remotes: a.remote.clone(),
        })
    }
}

/// The remotes a VXLAN device floods to, from its forwarding entries.
pub fn remotes(ctx: &mut Ctx, index: u32) -> Result<Vec<IpAddr>> {
    let entries = ctx.nl.dump(&neigh::fdb_dump(index))?;
    Ok(entries
        .iter()
        .filter_map(|e| neigh::parse_flood_remote(e))
        .collect())
}

impl Tunnel for Vxlan {
    fn name(&self) -> &str {
        &self.spec.name
    }

    fn kind(&self) -> &'static str {
        "vxlan"
    }

    /// Without a lower device the kernel leaves a VXLAN device at 1500, too big for any
    /// 1500-byte underlay: frames that size would be fragmented or dropped. The fit is the
    /// underlay's MTU toward the first remote less the encapsulation.
    fn default_mtu(&self, ctx: &mut Ctx) -> Result<Option<u32>> {
        let overhead = if self.spec.local.is_ipv4() {
            OVERHEAD_V4
        } else {
            OVERHEAD_V6
        };
        let fit = underlay_fit(ctx, self.remotes[0], overhead)?;
        if fit.is_none() {
            ctx.out.note(&format!(
                "no route to {} yet: the kernel's MTU stands; give --mtu to set one",
                self.remotes[0]
            ));
        }
        Ok(fit)
    }

    /// The device, then its flood entries; the device is deleted again if an entry is refused.
    fn create(&self, ctx: &mut Ctx) -> Result<()> {
        ctx.nl.ack(&vxlan::create(&self.spec))?;
        let made = links::find(&mut ctx.nl, &self.spec.name)?
            .ok_or_else(|| anyhow!("{} vanished right after it was created", self.spec.name))?;
        let flooded = self.remotes.iter().try_for_each(|remote| {
            ctx.nl
                .ack(&neigh::fdb_append_flood(made.index, &made.name, *remote))
        });
        if let Err(e) = flooded {
            ctx.nl.ack(&link::delete(made.index, &made.name)).ok();
            return Err(e.into());
        }
        Ok(())
    }

    fn differences(&self, ctx: &mut Ctx, link: &Link) -> Result<Diffs> {
        if !link.is_kind("vxlan") {
            return Err(wrong_kind(link, "vxlan"));
        }
        let have = vxlan::parse(&link.info_data);
        let mut diffs = Diffs::new();
        diff::setting(&mut diffs, "vni", have.vni, self.spec.vni);
        diff::optional(&mut diffs, "local", have.local, Some(self.spec.local));
        diff::setting(&mut diffs, "dport", have.dport, self.spec.dport);
        let mut have_remotes = remotes(ctx, link.index)?;
        let mut want = self.remotes.clone();
        have_remotes.sort();
        want.sort();
        diff::members(&mut diffs, "remote", &have_remotes, &want);
        Ok(diffs)
    }
}
