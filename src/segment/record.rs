//! What apply did that the kernel cannot tell afterwards: the ports the file named, as they
//! were before apply attached them (so that `down`, or an apply of a file that no longer names
//! one, gives it back as it was), the masquerades, port forwards and maps it added (a rule
//! carries no owner), and the
//! `dhcp serve` command line its DHCP server was started with (kept when the file still says
//! so, restarted when it says otherwise). One record per namespace and segment, in
//! /run/l2x/segments: it lives as long as what it describes, which a reboot takes too.
//!
//! apply writes the record before it changes anything (what it is about to do, merged with
//! what it did before), and again once done, so a crash between the two leaves a record that
//! covers everything on the host.

use std::collections::BTreeMap;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use ipnetwork::Ipv4Network;
use serde::{Deserialize, Serialize};

use crate::msg::nft::forward::Forward;
use crate::msg::nft::map::Map;

const DIR: &str = "/run/l2x/segments";
/// What a file may hold before it is taken for something other than a record.
const MAX_RECORD: u64 = 1 << 20;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub segment: String,
    pub host: String,
    /// The interfaces the file named in `ports`, as they were before they were attached.
    pub ports: BTreeMap<String, Before>,
    pub masquerades: Vec<Masq>,
    /// The port forwards and 1:1 maps it added (none in a record of an older l2x).
    #[serde(default)]
    pub forwards: Vec<Forward>,
    #[serde(default)]
    pub maps: Vec<Map>,
    /// The server apply started.
    pub dhcp: Option<Serving>,
}

/// A DHCP server as apply started it: its `dhcp serve` arguments, and the bridge's MTU it
/// read when it started (and hands out since).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Serving {
    pub args: Vec<String>,
    pub mtu: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Before {
    pub mtu: u32,
    pub up: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Masq {
    pub source: Ipv4Network,
    pub out: Option<String>,
}

impl Record {
    fn path(netns_id: &str, segment: &str) -> PathBuf {
        Path::new(DIR).join(format!("{netns_id}-{segment}.json"))
    }

    /// The record of `segment` in the namespace `netns_id`; an empty one when there is none
    /// (or what is there is no record).
    pub fn read(netns_id: &str, segment: &str) -> Result<Record> {
        let path = Self::path(netns_id, segment);
        let text = match fs::metadata(&path) {
            Ok(m) if m.is_file() && m.len() <= MAX_RECORD => {
                fs::read_to_string(&path).with_context(|| format!("read {}", path.display()))?
            }
            Ok(_) => String::new(),
            Err(e) if e.kind() == ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e).with_context(|| format!("read {}", path.display())),
        };
        Ok(serde_json::from_str(&text).unwrap_or_else(|_| Record {
            segment: segment.to_string(),
            ..Record::default()
        }))
    }

    /// Written whole to a temporary file and renamed over the old one.
    pub fn write(&self, netns_id: &str) -> Result<()> {
        fs::create_dir_all(DIR).with_context(|| format!("create {DIR}"))?;
        let path = Self::path(netns_id, &self.segment);
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self).expect("plain data serialises");
        fs::write(&tmp, text).with_context(|| format!("write {}", tmp.display()))?;
        fs::rename(&tmp, &path).with_context(|| format!("write {}", path.display()))
    }

    pub fn remove(netns_id: &str, segment: &str) -> Result<()> {
        let path = Self::path(netns_id, segment);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != ErrorKind::NotFound => {
                Err(e).with_context(|| format!("remove {}", path.display()))
            }
            _ => Ok(()),
        }
    }
}
