//! The segment file as TOML has it (SEGMENT.md): every key, with where it stands in the file,
//! and nothing checked beyond its type. Unknown keys are refused. A file that is no TOML, or
//! whose values have the wrong type, fails here with the key and the line.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::spec::tunnel::TunnelKind;

/// `segment = ...` and the rest of the top level.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub segment: Spanned<String>,
    pub tunnel: Option<Spanned<TunnelKind>>,
    pub mtu: Option<Spanned<u32>>,
    pub encrypt: Option<Spanned<String>>,
    pub vni: Option<Spanned<u32>>,
    pub mesh: Option<Spanned<bool>>,
    pub router: Option<Spanned<Router>>,
    pub hosts: Spanned<BTreeMap<Spanned<String>, Spanned<Host>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Router {
    pub host: Spanned<String>,
    pub address: Spanned<String>,
    pub dhcp: Option<Spanned<String>>,
    pub masquerade: Option<Spanned<bool>>,
    pub out: Option<Spanned<String>>,
    pub dns: Option<Spanned<bool>>,
    pub reservations: Option<BTreeMap<Spanned<String>, Spanned<String>>>,
    /// Extension: where the DHCP server keeps its leases.
    pub lease_file: Option<Spanned<String>>,
    /// Extension: how long a lease lasts (`dhcp serve --lease-time`).
    pub lease_time: Option<Spanned<String>>,
    /// Ports of the router host forwarded to machines on the segment (`nat forward`).
    pub forwards: Option<Vec<Spanned<Forward>>>,
    /// Public addresses standing for machines on the segment, 1:1 (`nat map`).
    pub maps: Option<Vec<Spanned<Map>>>,
}

/// `{ port = 8080, to = "10.0.5.10:80", proto = "tcp", in = "eth0", addr = "198.51.100.1" }`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Forward {
    pub port: Spanned<Port>,
    pub to: Spanned<String>,
    pub proto: Option<Spanned<String>>,
    #[serde(rename = "in")]
    pub iface: Option<Spanned<String>>,
    pub addr: Option<Spanned<String>>,
}

/// A port as TOML has it: a number, or a range as text (`"5000-5010"`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Port {
    Number(u16),
    Text(String),
}

/// `{ public = "198.51.100.10", to = "10.0.5.20", in = "eth0" }`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Map {
    pub public: Spanned<String>,
    pub to: Spanned<String>,
    #[serde(rename = "in")]
    pub iface: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Host {
    pub underlay: Option<Spanned<String>>,
    pub local: Option<Spanned<String>>,
    pub ports: Option<Vec<Spanned<String>>>,
    pub public_key: Option<Spanned<String>>,
}

/// What is wrong, at which key and line of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub line: usize,
    /// The dotted key (`hosts.b.underlay`), when the fault is at one.
    pub key: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match &self.key {
            Some(key) => write!(f, "line {}: {key}: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

impl std::error::Error for Fault {}

/// Reads the file's text. The TOML parser's depth limit keeps a hostile file from exhausting
/// the stack; its size is limited by whoever read it.
pub fn parse(text: &str) -> Result<File, Fault> {
    toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let mut key = key_at(text, &span);
        // A missing key is reported at the table it is missing from.
        if let Some(name) = missing_field(e.message()) {
            key = Some(match key {
                Some(table) if span.end > span.start => format!("{table}.{name}"),
                _ => name.to_string(),
            });
        }
        Fault {
            line: line_of(text, span.start),
            key,
            message: e.message().to_string(),
        }
    })
}

/// `missing field `host``: `host`.
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

/// The 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The dotted key whose key or value holds `span`, for errors the TOML deserializer reports
/// by position only ("invalid type: integer, expected a string"). In a file that does not parse
/// (a key given twice), the key written on that line.
fn key_at(text: &str, span: &Range<usize>) -> Option<String> {
    let Ok(table) = DeTable::parse(text) else {
        return key_on_line(text, span.start);
    };
    let mut path = Vec::new();
    find(table.get_ref(), span, &mut path);
    (!path.is_empty()).then(|| path.join("."))
}

/// `[hosts.a]` on the line: `hosts.a`; `key = ...`: the key, under the last table header.
fn key_on_line(text: &str, offset: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let at = line_of(text, offset) - 1;
    let header = |l: &str| {
        let l = l.trim();
        (l.starts_with('[') && l.ends_with(']'))
            .then(|| l.trim_matches(['[', ']']).trim().to_string())
    };
    let line = lines.get(at)?;
    if let Some(h) = header(line) {
        return Some(h);
    }
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    let table = lines[..at].iter().rev().find_map(|l| header(l));
    Some(match table {
        Some(t) => format!("{t}.{key}"),
        None => key.to_string(),
    })
}

fn find(table: &DeTable, span: &Range<usize>, path: &mut Vec<String>) {
    for (key, value) in table {
        let holds = |r: Range<usize>| r.start <= span.start && span.start < r.end.max(r.start + 1);
        if holds(key.span()) || holds(value.span()) {
            path.push(key.get_ref().to_string());
            if let DeValue::Table(inner) = value.get_ref() {
                find(inner, span, path);
            }
            return;
        }
        // A table made with a [header] spans only its header: look inside it too.
        if let DeValue::Table(inner) = value.get_ref() {
            path.push(key.get_ref().to_string());
            let before = path.len();
            find(inner, span, path);
            if path.len() > before {
                return;
            }
            path.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_as_segment_md_writes_it() {
        let text = r#"
segment = "superbr0"
tunnel  = "gretap"
mtu = 1400
[router]
host = "a"
address = "10.0.5.1/24"
dhcp = "10.0.5.100-10.0.5.199"
reservations = { "00:16:3e:00:00:10" = "10.0.5.10" }
[hosts.a]
underlay = "198.51.100.1"
ports = ["eth1"]
[hosts.b]
underlay = "198.51.100.2"
"#;
        let f = parse(text).unwrap();
        assert_eq!(f.segment.get_ref(), "superbr0");
        assert_eq!(f.tunnel.map(|t| *t.get_ref()), Some(TunnelKind::Gretap));
        assert_eq!(f.hosts.get_ref().len(), 2);
        let router = f.router.unwrap();
        assert_eq!(line_of(text, router.get_ref().host.span().start), 6);
    }

    #[test]
    fn faults_name_the_key_and_the_line() {
        let unknown = parse("segment = \"s\"\n[hosts.a]\nunderlay = \"x\"\nmtu = 5\n").unwrap_err();
        assert_eq!(unknown.line, 4);
        assert_eq!(unknown.key.as_deref(), Some("hosts.a.mtu"));
        assert!(unknown.message.contains("unknown field `mtu`"), "{unknown}");
        let typed = parse("segment = \"s\"\nmtu = \"big\"\n[hosts.a]\n").unwrap_err();
        assert_eq!((typed.line, typed.key.as_deref()), (2, Some("mtu")));
        let nested = parse("segment = \"s\"\n[hosts.a]\nports = [\"x\", 3]\n").unwrap_err();
        assert_eq!(
            (nested.line, nested.key.as_deref()),
            (3, Some("hosts.a.ports"))
        );
        let twice = parse("segment = \"s\"\n[hosts.a]\n[hosts.a]\n").unwrap_err();
        assert_eq!((twice.line, twice.key.as_deref()), (3, Some("hosts.a")));
        let again = parse("segment = \"s\"\n[hosts.a]\nports = []\nports = []\n").unwrap_err();
        assert_eq!(again.key.as_deref(), Some("hosts.a.ports"));
        assert!(twice.message.contains("duplicate"), "{twice}");
        let missing = parse("segment = \"s\"\n[router]\naddress = \"x\"\n[hosts.a]\n").unwrap_err();
        assert_eq!(
            (missing.line, missing.key.as_deref()),
            (2, Some("router.host"))
        );
        let broken = parse("segment = \"s\n").unwrap_err();
        assert_eq!((broken.line, broken.key.as_deref()), (1, Some("segment")));
    }
}
