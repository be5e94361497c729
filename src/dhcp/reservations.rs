//! Reserved addresses: `--host MAC=IP[,NAME]`, `--host NAME=IP` and the lines of a
//! `--hosts-file`, checked as a whole (no machine or address reserved twice) and indexed the
//! ways the pool asks: by hardware address, by the hostname a client sends, by address.
//!
//! The hosts file is the administrator's, but it is read again on SIGHUP from whatever is
//! there by then, so it is read like anything else from outside: bounded in size, every line
//! checked, and a file with one bad line is refused whole (the server keeps what it had).

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::Read;
use std::net::Ipv4Addr;
use std::path::Path;

use anyhow::{Context, Result, anyhow};

use crate::cli::{HostReservation, Ipv4Range, Owner};
use crate::dns::label::Label;
use crate::msg::link::format_mac;

/// A hosts file larger than this is refused (some 20,000 lines).
const MAX_FILE: u64 = 1 << 20;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reservations {
    by_mac: HashMap<[u8; 6], Ipv4Addr>,
    by_hostname: HashMap<Label, Ipv4Addr>,
    by_ip: HashMap<Ipv4Addr, Owner>,
}

impl Reservations {
    /// Indexes `list`, which `check` has found free of twins.
    pub fn new(list: &[HostReservation]) -> Reservations {
        let mut r = Reservations::default();
        for h in list {
            match &h.owner {
                Owner::Mac(mac) => r.by_mac.insert(mac.0, h.ip),
                Owner::Hostname(name) => r.by_hostname.insert(name.clone(), h.ip),
            };
            r.by_ip.insert(h.ip, h.owner.clone());
        }
        r
    }

    /// The address reserved for a client: for its MAC, else for the hostname it sent.
    pub fn for_client(&self, mac: [u8; 6], hostname: Option<&str>) -> Option<Ipv4Addr> {
        if let Some(ip) = self.by_mac.get(&mac) {
            return Some(*ip);
        }
        if self.by_hostname.is_empty() {
            return None;
        }
        let label = host_label(hostname?)?;
        self.by_hostname.get(&label).copied()
    }

    /// Whether `ip` is reserved, and if so whether for this client.
    pub fn owner_is(&self, ip: Ipv4Addr, mac: [u8; 6], hostname: Option<&str>) -> Option<bool> {
        let owner = self.by_ip.get(&ip)?;
        Some(match owner {
            Owner::Mac(m) => m.0 == mac,
            Owner::Hostname(_) => self.for_client(mac, hostname) == Some(ip),
        })
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        self.by_ip.contains_key(&ip)
    }

    /// How many reserved addresses lie in `range`.
    pub fn count_in(&self, range: Ipv4Range) -> u32 {
        self.by_ip.keys().filter(|ip| range.contains(**ip)).count() as u32
    }
}

/// The hostname a client sent, as a reservation names it: its first label, lowercase.
fn host_label(hostname: &str) -> Option<Label> {
    Label::parse(hostname.split('.').next()?).ok()
}

/// No MAC, hostname or address may be reserved twice: which one would win is anyone's guess.
pub fn check(list: &[HostReservation]) -> Result<(), String> {
    let (mut owners, mut ips, mut names) = (HashSet::new(), HashSet::new(), HashSet::new());
    for h in list {
        if !owners.insert(&h.owner) {
            return Err(match &h.owner {
                Owner::Mac(mac) => format!("{} is reserved twice", format_mac(&mac.0)),
                Owner::Hostname(name) => format!("hostname {name} is reserved twice"),
            });
        }
        if !ips.insert(h.ip) {
            return Err(format!("{} is reserved twice", h.ip));
        }
        if let Some(name) = &h.name
            && !names.insert(name)
        {
            return Err(format!("the name {name} is given to two reservations"));
        }
    }
    Ok(())
}

/// The reservations of a hosts file's text: one `MAC=IP[,NAME]` or `NAME=IP` a line; blank
/// lines and `#` comments are skipped. The first bad line is the error.
pub fn parse_file(text: &str) -> Result<Vec<HostReservation>, String> {
    let mut list = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let h: HostReservation = line
            .parse()
            .map_err(|e: String| format!("line {}: {}", n + 1, crate::printable::escape(&e)))?;
        list.push(h);
    }
    Ok(list)
}

/// Reads and parses a hosts file.
pub fn read_file(path: &Path) -> Result<Vec<HostReservation>> {
    let file = File::open(path).with_context(|| format!("open {}", path.display()))?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(anyhow!("{} is not a regular file", path.display()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("read {}", path.display()))?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(anyhow!(
            "{} is larger than {} KiB: no hosts file is that long",
            path.display(),
            MAX_FILE >> 10
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow!(
            "{}: not text (byte {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    parse_file(&text).map_err(|e| anyhow!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(lines: &[&str]) -> Vec<HostReservation> {
        lines.iter().map(|l| l.parse().unwrap()).collect()
    }

    #[test]
    fn a_client_is_matched_by_mac_then_by_hostname() {
        let r = Reservations::new(&list(&[
            "02:00:00:00:00:01=10.0.5.10,web",
            "printer=10.0.5.11",
        ]));
        let ip = |s: &str| s.parse::<Ipv4Addr>().unwrap();
        let web = ([2, 0, 0, 0, 0, 1], Some("printer"));
        assert_eq!(r.for_client(web.0, web.1), Some(ip("10.0.5.10")));
        let printer = ([2, 0, 0, 0, 0, 2], Some("Printer.lan"));
        assert_eq!(r.for_client(printer.0, printer.1), Some(ip("10.0.5.11")));
        assert_eq!(
            r.owner_is(ip("10.0.5.11"), printer.0, printer.1),
            Some(true)
        );
        assert_eq!(r.owner_is(ip("10.0.5.11"), web.0, web.1), Some(false));
        assert_eq!(r.owner_is(ip("10.0.5.12"), web.0, web.1), None);
        assert_eq!(r.for_client([2, 0, 0, 0, 0, 3], None), None);
        let range = Ipv4Range {
            first: ip("10.0.5.11"),
            last: ip("10.0.5.20"),
        };
        assert_eq!(r.count_in(range), 1);
    }

    #[test]
    fn twins_are_refused() {
        for twins in [
            ["02:00:00:00:00:01=10.0.5.10", "02-00-00-00-00-01=10.0.5.11"],
            ["02:00:00:00:00:01=10.0.5.10", "printer=10.0.5.10"],
            ["printer=10.0.5.10", "PRINTER=10.0.5.11"],
            ["02:00:00:00:00:01=10.0.5.10,web", "web=10.0.5.11"],
        ] {
            assert!(check(&list(&twins)).is_err(), "{twins:?}");
        }
        assert!(check(&list(&["02:00:00:00:00:01=10.0.5.10,web", "db=10.0.5.11"])).is_ok());
    }

    #[test]
    fn a_hosts_file_is_read_line_by_line() {
        let text = "# reservations\n\n02:00:00:00:00:01=10.0.5.10,web  # the web server\n\
                    printer=10.0.5.11\n";
        assert_eq!(
            parse_file(text).unwrap(),
            list(&["02:00:00:00:00:01=10.0.5.10,web", "printer=10.0.5.11"])
        );
        let err = parse_file("printer=10.0.5.11\nweb=10.0.5\x1b[2J\n").unwrap_err();
        assert!(
            err.starts_with("line 2: ") && !err.contains('\x1b'),
            "{err}"
        );
    }
}
