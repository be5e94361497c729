//! A DHCP server's active leases, as read back from its lease file.

use std::net::Ipv4Addr;

use anyhow::Result;
use serde::Serialize;

use super::{new_table, render};
use crate::dhcp::leases::{self, hex};
use crate::dhcp::pool::Lease;
use crate::msg::link::format_mac;
use crate::printable;
use crate::state::dhcp::Server;

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct LeaseView {
    pub ip: Ipv4Addr,
    pub mac: String,
    pub client_id: String,
    pub hostname: Option<String>,
    /// Seconds since 1970, UTC.
    pub expires: u64,
    pub expires_in: u64,
}

/// The leases bound at `now`, in address order, from the records of a lease file.
pub fn collect(records: Vec<Lease>, now: u64) -> Vec<LeaseView> {
    leases::active(records, now)
        .into_iter()
        .map(|l| LeaseView {
            ip: l.ip,
            mac: format_mac(&l.mac),
            client_id: hex(&l.client.0),
            hostname: l.hostname.map(String::from),
            expires: l.expires,
            expires_in: l.expires - now,
        })
        .collect()
}

/// A running server, for `l2x show`.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ServerView {
    pub bridge: String,
    pub pid: i32,
    /// Active leases.
    pub leases: usize,
}

/// The running servers among those recorded, with their active leases.
pub fn servers(all: &[Server]) -> Result<Vec<ServerView>> {
    all.iter()
        .filter_map(|s| s.running.map(|pid| (s, pid)))
        .map(|(s, pid)| {
            Ok(ServerView {
                bridge: s.record.bridge.clone(),
                pid,
                leases: s.leases()?,
            })
        })
        .collect()
}

pub fn servers_table(servers: &[ServerView]) -> String {
    let mut t = new_table(&["BRIDGE", "PID", "LEASES"]);
    for s in servers {
        t.add_row(vec![
            s.bridge.clone(),
            s.pid.to_string(),
            s.leases.to_string(),
        ]);
    }
    render(t, servers.len(), "no DHCP servers")
}

pub fn table(leases: &[LeaseView]) -> String {
    let mut t = new_table(&["IP", "MAC", "HOSTNAME", "EXPIRES IN"]);
    for l in leases {
        t.add_row(vec![
            l.ip.to_string(),
            l.mac.clone(),
            // Client-supplied: escaped for the terminal (JSON keeps the name as sent).
            l.hostname
                .as_deref()
                .map_or(String::new(), |h| printable::escape(h).into_owned()),
            human(l.expires_in),
        ]);
    }
    render(t, leases.len(), "no active leases")
}

/// `1h 2m 3s`, largest units first, zeros left out.
fn human(secs: u64) -> String {
    let parts = [
        (secs / 86400, "d"),
        (secs / 3600 % 24, "h"),
        (secs / 60 % 60, "m"),
        (secs % 60, "s"),
    ];
    let text: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, u)| format!("{n}{u}"))
        .collect();
    if text.is_empty() {
        "0s".into()
    } else {
        text.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dhcp::pool::{State, sample as lease};

    #[test]
    fn only_the_latest_bound_unexpired_record_counts() {
        let records = vec![
            lease(2, State::Bound, 200),
            lease(1, State::Bound, 200),
            lease(3, State::Bound, 50),
            lease(4, State::Bound, 200),
            lease(4, State::Released, 100),
        ];
        let views = collect(records, 100);
        let ips: Vec<String> = views.iter().map(|v| v.ip.to_string()).collect();
        assert_eq!(ips, ["10.0.0.1", "10.0.0.2"]);
        assert_eq!(
            (views[0].expires_in, views[0].client_id.as_str()),
            (100, "01020000000001")
        );
    }

    #[test]
    fn hostnames_reach_the_table_escaped() {
        let mut l = lease(1, State::Bound, 200);
        l.hostname = Some("evil\n\x1b]0;owned\x07".into());
        let views = collect(vec![l], 100);
        assert_eq!(views[0].hostname.as_deref(), Some("evil\n\x1b]0;owned\x07"));
        let text = table(&views);
        assert!(text.contains("evil\\n\\x1b]0;owned\\x07"), "{text}");
        assert!(!text.contains('\x1b'), "{text}");
    }

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(human(0), "0s");
        assert_eq!(human(3723), "1h 2m 3s");
        assert_eq!(human(86400 + 60), "1d 1m");
    }
}
