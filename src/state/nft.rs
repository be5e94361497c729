//! The nf_tables ruleset as far as l2x cares: the generation it was read at (a change committed
//! on it is refused if anyone committed since), l2x's own table, and every chain (to spot
//! another table's chain that drops what the segment routes).

use anyhow::{Result, anyhow};

use crate::msg::nft::batch;
use crate::msg::nft::chain::{self, Chain};
use crate::msg::nft::dhcp_guard::{self, Guard};
use crate::msg::nft::nat::{self, Owned};
use crate::msg::nft::rule::Rule;
use crate::msg::{Netfilter, Request};
use crate::nl::Sockets;

#[derive(Debug, Clone)]
pub struct Ruleset {
    pub generation: u32,
    pub chains: Vec<Chain>,
    pub owned: Owned,
}

/// The generation first, so that what is read after it is at least that new: a commit on it
/// fails if anything changed after the read began.
pub fn read(s: &mut Sockets) -> Result<Ruleset> {
    let (generation, chains, rules) = dump(s, &nat::dump_rules())?;
    let owned = Owned::read(&chains, &rules);
    Ok(Ruleset {
        generation,
        chains,
        owned,
    })
}

/// The generation, every chain, and the rules `rules` asks for (one table's).
fn dump(s: &mut Sockets, rules: &Request<Netfilter>) -> Result<(u32, Vec<Chain>, Vec<Rule>)> {
    let generation = generation(s)?;
    let nf = s.netfilter()?;
    let chains = nf
        .dump(&chain::dump())?
        .iter()
        .filter_map(|b| Chain::parse(b))
        .collect();
    let rules = nf
        .dump(rules)?
        .iter()
        .filter_map(|b| Rule::parse(b))
        .collect();
    Ok((generation, chains, rules))
}

pub fn generation(s: &mut Sockets) -> Result<u32> {
    s.netfilter()?
        .get(&batch::get_generation())?
        .and_then(|body| batch::parse_generation(&body))
        .ok_or_else(|| anyhow!("the kernel did not say the ruleset generation"))
}

/// Table bridge l2x, which keeps other DHCP servers off served bridges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guards {
    pub generation: u32,
    /// Its chain is as l2x makes it, and holds nothing but `guards`.
    pub exact: bool,
    /// The table has chains at all (an empty list then still has a table to remove).
    pub exists: bool,
    pub guards: Vec<Guard>,
}

pub fn guards(s: &mut Sockets) -> Result<Guards> {
    let (generation, chains, rules) = dump(s, &dhcp_guard::dump_rules())?;
    let (chain_ok, guards) = dhcp_guard::read(&chains, &rules);
    let exists = chains
        .iter()
        .any(|c| c.family == dhcp_guard::FAMILY && c.table == dhcp_guard::TABLE);
    Ok(Guards {
        generation,
        exact: chain_ok && rules.len() == guards.len(),
        exists,
        guards,
    })
}
