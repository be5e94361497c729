//! What `attach --move-addresses` moved to a bridge, kept so that `detach --move-addresses`
//! moves exactly that back and gives the bridge its own MAC again: one record per namespace
//! and port in /run/l2x/moved, written when the attach is done, removed by the detach. Without
//! a record (after a reboot), detach moves back everything the bridge carries and says so.

use std::fs;
use std::io::ErrorKind;
use std::path::PathBuf;

use anyhow::{Context, Result};
use ipnetwork::IpNetwork;
use serde::{Deserialize, Serialize};

use crate::msg::route::Route;
use crate::nl::netns;

const DIR: &str = "/run/l2x/moved";
/// What a file may hold before it is taken for something other than a record.
const MAX_RECORD: u64 = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moved {
    pub port: String,
    pub bridge: String,
    /// The bridge's MAC before it took the port's.
    pub bridge_mac: Option<[u8; 6]>,
    pub addrs: Vec<IpNetwork>,
    /// Each route by what names it in the kernel: destination, table, metric.
    pub routes: Vec<RouteKey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteKey {
    pub dst: IpNetwork,
    pub table: u32,
    pub metric: Option<u32>,
}

impl RouteKey {
    pub fn of(r: &Route) -> RouteKey {
        RouteKey {
            dst: r.dst,
            table: r.table,
            metric: r.priority,
        }
    }
}

fn path(port: &str) -> Result<PathBuf> {
    Ok(PathBuf::from(DIR).join(format!("{}-{port}.json", netns::current_id()?)))
}

impl Moved {
    pub fn write(&self) -> Result<()> {
        fs::create_dir_all(DIR).with_context(|| format!("create {DIR}"))?;
        let path = path(&self.port)?;
        let text = serde_json::to_string_pretty(self).expect("plain data serialises");
        fs::write(&path, text).with_context(|| format!("write {}", path.display()))
    }

    /// The record for `port` in this namespace, if one was written (and reads as one).
    pub fn find(port: &str) -> Result<Option<Moved>> {
        let path = path(port)?;
        let meta = match fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("read {}", path.display())),
        };
        if !meta.is_file() || meta.len() > MAX_RECORD {
            return Ok(None);
        }
        let text = fs::read_to_string(&path).with_context(|| format!("read {}", path.display()))?;
        Ok(serde_json::from_str(&text).ok())
    }

    pub fn remove(port: &str) -> Result<()> {
        match fs::remove_file(path(port)?) {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(e).context("remove the move record"),
            _ => Ok(()),
        }
    }
}
