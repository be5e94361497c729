//! A running server's runtime record: its bridge, namespace, pid and files, written when it
//! starts and removed when it stops, so that `dhcp leases`, `dhcp stop`, `show` and `doctor`
//! find a server wherever its files are (`--lease-file`, `--pid-file`) without being told
//! again. Records live in /run/l2x/servers, one per namespace and bridge; the namespace is
//! known by its cookie, so `-n NAME` and a path to the same namespace find the same record.

use std::fs;
use std::io::ErrorKind;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

pub const DIR: &str = "/run/l2x/servers";

/// What a file may hold before it is taken for something other than a record.
const MAX_RECORD: u64 = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub bridge: String,
    /// The namespace as it was named on the command line (`-n NAME`), if one was.
    pub netns: Option<String>,
    /// The namespace's identity (`netns::current_id`).
    pub netns_id: String,
    pub pid: i32,
    pub pid_file: PathBuf,
    pub lease_file: PathBuf,
    pub log_file: Option<PathBuf>,
    /// The addresses served, FIRST-LAST.
    pub range: String,
    /// Where a second `dhcp serve` or a `dhcp forget` reaches the server (`control`).
    #[serde(default)]
    pub control: Option<PathBuf>,
    /// The DNS servers its leases hand out (option 6), for `doctor` to ask.
    #[serde(default)]
    pub dns: Vec<Ipv4Addr>,
}

impl Record {
    fn path_for(netns_id: &str, bridge: &str) -> PathBuf {
        Path::new(DIR).join(format!("dhcp-{netns_id}-{bridge}.json"))
    }

    pub fn path(&self) -> PathBuf {
        Self::path_for(&self.netns_id, &self.bridge)
    }

    /// The control socket of the server of this record: beside it.
    pub fn control_path(&self) -> PathBuf {
        self.path().with_extension("sock")
    }

    /// Written whole to a temporary file and renamed over the old record, so a reader never
    /// sees half a record.
    pub fn write(&self) -> Result<()> {
        fs::create_dir_all(DIR).with_context(|| format!("create {DIR}"))?;
        let path = self.path();
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self).expect("plain data serialises");
        fs::write(&tmp, text).with_context(|| format!("write {}", tmp.display()))?;
        fs::rename(&tmp, &path).with_context(|| format!("write {}", path.display()))
    }

    /// Removed when the server stops; only the record of this very server (a newer one on
    /// the bridge may have replaced it).
    pub fn remove(&self) {
        if Self::read(&self.path()).is_some_and(|r| r.pid == self.pid) {
            let _ = fs::remove_file(self.path());
        }
    }

    fn read(path: &Path) -> Option<Record> {
        let meta = fs::metadata(path).ok()?;
        if !meta.is_file() || meta.len() > MAX_RECORD {
            return None;
        }
        serde_json::from_str(&fs::read_to_string(path).ok()?).ok()
    }

    /// The record of the server for `bridge` in namespace `netns_id`, if one was written.
    pub fn find(netns_id: &str, bridge: &str) -> Option<Record> {
        Self::read(&Self::path_for(netns_id, bridge))
    }

    /// Every record of namespace `netns_id`, by bridge name.
    pub fn all(netns_id: &str) -> Result<Vec<Record>> {
        let entries = match fs::read_dir(DIR) {
            Ok(e) => e,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).with_context(|| format!("list {DIR}")),
        };
        let mut found: Vec<Record> = entries
            .filter_map(|e| Self::read(&e.ok()?.path()))
            .filter(|r| r.netns_id == netns_id)
            .collect();
        found.sort_by(|a, b| a.bridge.cmp(&b.bridge));
        Ok(found)
    }
}
