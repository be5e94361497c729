//! `l2x tunnel gretap`.

use anyhow::Result;

use super::diff::{self, Diffs};
use super::{Ctx, Tunnel, check_endpoints, wrong_kind};
use crate::cli::GretapArgs;
use crate::msg::gretap::{self, GretapSpec};
use crate::msg::link::Link;

pub struct Gretap(GretapSpec);

impl Gretap {
    pub fn from_args(a: &GretapArgs) -> Result<Self> {
        check_endpoints(a.local, a.remote)?;
        Ok(Gretap(GretapSpec {
            name: a.name.to_string(),
            local: a.local,
            remote: a.remote,
            ttl: a.ttl,
            key: a.key,
        }))
    }
}

impl Tunnel for Gretap {
    fn name(&self) -> &str {
        &self.0.name
    }

    fn kind(&self) -> &'static str {
        self.0.feature().name
    }

    /// The kernel sizes a GRE device from the route to the remote itself (38 bytes under it,
    /// 4 more with a key), so its choice stands.
    fn create(&self, ctx: &mut Ctx) -> Result<()> {
        ctx.nl.ack(&gretap::create(&self.0))?;
        Ok(())
    }

    fn differences(&self, _ctx: &mut Ctx, link: &Link) -> Result<Diffs> {
        if !link.is_kind(self.kind()) {
            return Err(wrong_kind(link, self.kind()));
        }
        let have = gretap::parse(&link.info_data);
        let mut diffs = Diffs::new();
        diff::optional(&mut diffs, "local", have.local, Some(self.0.local));
        diff::optional(&mut diffs, "remote", have.remote, Some(self.0.remote));
        diff::setting(&mut diffs, "ttl", have.ttl, self.0.ttl);
        diff::optional(&mut diffs, "key", have.key, self.0.key);
        Ok(diffs)
    }
}
