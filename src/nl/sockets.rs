//! The sockets one command uses, opened when first needed: rtnetlink always, generic netlink
//! for L2TP (and WireGuard), nfnetlink for nf_tables. Generic netlink families are looked up
//! once per command and remembered.

use std::collections::HashMap;

use anyhow::Result;

use super::{KernelError, Netlink};
use crate::msg::{Feature, Generic, Netfilter, Request, Route, genl};

pub struct Sockets {
    pub route: Netlink<Route>,
    generic: Option<Netlink<Generic>>,
    netfilter: Option<Netlink<Netfilter>>,
    families: HashMap<&'static str, Option<u16>>,
    pub verbose: bool,
}

impl Sockets {
    pub fn open(verbose: bool) -> Result<Sockets> {
        Ok(Sockets {
            route: Netlink::route(verbose)?,
            generic: None,
            netfilter: None,
            families: HashMap::new(),
            verbose,
        })
    }

    pub fn generic(&mut self) -> Result<&mut Netlink<Generic>> {
        if self.generic.is_none() {
            self.generic = Some(Netlink::generic(self.verbose)?);
        }
        Ok(self.generic.as_mut().expect("opened above"))
    }

    pub fn netfilter(&mut self) -> Result<&mut Netlink<Netfilter>> {
        if self.netfilter.is_none() {
            self.netfilter = Some(Netlink::netfilter(self.verbose)?);
        }
        Ok(self.netfilter.as_mut().expect("opened above"))
    }

    /// The message type the kernel gave a generic netlink family at boot, or None where the
    /// kernel has no such family (the lookup also loads its module where it can).
    pub fn family(&mut self, name: &'static str, feature: Feature) -> Result<Option<u16>> {
        if let Some(known) = self.families.get(name) {
            return Ok(*known);
        }
        let request: Request<Generic> = genl::get_family(feature, name);
        let id = self
            .generic()?
            .get(&request)?
            .and_then(|body| genl::parse_family_id(&body));
        self.families.insert(name, id);
        Ok(id)
    }

    /// The same, for a command that cannot go on without the family.
    pub fn require_family(&mut self, name: &'static str, feature: Feature) -> Result<u16> {
        self.family(name, feature)?.ok_or_else(|| {
            KernelError::missing(&format!("look up {name} netlink family"), feature).into()
        })
    }
}
