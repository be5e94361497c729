//! Which host of the file this is: the one `--host` names, or else the one entry whose
//! `underlay` or `local` address is configured on an interface here (in the `-n` namespace).

use std::net::IpAddr;

use anyhow::{Result, anyhow};

use super::{Host, Segment};
use crate::report::{Hinted, usage};

/// The host entry this is, given this host's addresses.
pub fn host<'a>(s: &'a Segment, asked: Option<&str>, here: &[IpAddr]) -> Result<&'a Host> {
    if let Some(name) = asked {
        return s.host(name).ok_or_else(|| {
            usage(format!(
                "--host {name}: the segment has no such host (its hosts: {})",
                names(s.hosts.iter())
            ))
        });
    }
    let mine: Vec<&Host> = s
        .hosts
        .iter()
        .filter(|h| {
            [h.underlay, h.local]
                .iter()
                .flatten()
                .any(|ip| here.contains(ip))
        })
        .collect();
    match mine.as_slice() {
        [one] => Ok(one),
        [] => Err(anyhow!(Hinted::new(
            format!(
                "none of the segment's hosts ({}) has its underlay or local address on an \
                 interface here",
                names(s.hosts.iter())
            ),
            "give --host NAME, or configure this host's underlay address first",
        ))),
        many => Err(anyhow!(Hinted::new(
            format!(
                "several of the segment's hosts have their address here: {}",
                names(many.iter().copied())
            ),
            "give --host NAME to say which one this is",
        ))),
    }
}

fn names<'a>(hosts: impl Iterator<Item = &'a Host>) -> String {
    hosts
        .map(|h| h.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
