//! Keeping other DHCP servers off a bridge the server answers on: a container on any host of
//! the segment that runs a DHCP server of its own would otherwise answer the whole segment's
//! clients. `dhcp serve` adds its bridge to table bridge l2x (see `msg::nft::dhcp_guard`)
//! when it starts and takes it out when it stops; servers on other bridges keep theirs.

use anyhow::{Result, anyhow};

use super::server::STATUS;
use crate::logger::Logger;
use crate::msg::nft::chain::{self, Chain};
use crate::msg::nft::dhcp_guard::{self, Guard};
use crate::msg::nft::rule::Rule;
use crate::nl::{ErrorKind, KernelError, Sockets, lock};
use crate::state::nft;

/// How often a rewrite is tried again when another change to the ruleset came first.
const ATTEMPTS: usize = 5;

/// Drops other servers' replies entering `bridge` by any port.
pub fn add(s: &mut Sockets, bridge: &str) -> Result<()> {
    update(s, |guards| {
        guards.retain(|g| g.bridge != bridge);
        guards.push(Guard::new(bridge));
    })
}

/// Lets them in again.
pub fn remove(s: &mut Sockets, bridge: &str) -> Result<()> {
    update(s, |guards| guards.retain(|g| g.bridge != bridge))
}

/// Reads the table, changes the list of guards, and rewrites the table when the list (or its
/// chain) is not what it should be, on the generation read.
fn update(s: &mut Sockets, change: impl Fn(&mut Vec<Guard>)) -> Result<()> {
    let _lock = lock::acquire()?;
    for attempt in 1..=ATTEMPTS {
        let generation = nft::generation(s)?;
        let nf = s.netfilter()?;
        let chains: Vec<Chain> = nf
            .dump(&chain::dump())?
            .iter()
            .filter_map(|b| Chain::parse(b))
            .collect();
        let rules: Vec<Rule> = nf
            .dump(&dhcp_guard::dump_rules())?
            .iter()
            .filter_map(|b| Rule::parse(b))
            .collect();
        let (chain_ok, have) = dhcp_guard::read(&chains, &rules);
        let mut want = have.clone();
        change(&mut want);
        let table_exists = chains
            .iter()
            .any(|c| c.family == dhcp_guard::FAMILY && c.table == dhcp_guard::TABLE);
        let as_wanted = if want.is_empty() {
            !table_exists
        } else {
            chain_ok && have == want && rules.len() == want.len()
        };
        if as_wanted {
            return Ok(());
        }
        match nf.batch(&dhcp_guard::rewrite(generation, &want)) {
            Err(e) if e.kind() == ErrorKind::Restart && attempt < ATTEMPTS => continue,
            other => return other.map_err(KernelError::into),
        }
    }
    Err(anyhow!("the ruleset kept changing"))
}

/// What `dhcp serve` does at start: guards `bridge`, or with `--allow-other-servers` makes
/// sure it is not guarded. A kernel that cannot (no nft_meta_bridge) leaves a warning, not a
/// server that does not start. True when the server must take its guard out when it stops.
pub fn at_start(s: &mut Sockets, bridge: &str, allow_others: bool, log: &mut Logger) -> bool {
    let done = if allow_others {
        remove(s, bridge).map(|()| false)
    } else {
        add(s, bridge).map(|()| true)
    };
    done.unwrap_or_else(|e| {
        let hint = e
            .chain()
            .find_map(|c| c.downcast_ref::<KernelError>()?.hint())
            .map_or(String::new(), |h| format!(" ({h})"));
        let text = format!(
            "cannot keep other DHCP servers off {bridge}: {e:#}{hint}; other servers' replies \
             reach its clients"
        );
        log.warn(STATUS, &text);
        false
    })
}
