//! DHCP servers of this namespace, from their runtime records: which still run (a live server
//! holds its pid file's lock) and how many leases each has.

use anyhow::Result;

use crate::dhcp::record::Record;
use crate::dhcp::{daemon, leases, server};
use crate::nl::netns;

#[derive(Debug, Clone)]
pub struct Server {
    pub record: Record,
    /// The pid holding the pid file's lock; None when the server is gone.
    pub running: Option<i32>,
}

impl Server {
    /// Active leases in its lease file.
    pub fn leases(&self) -> Result<usize> {
        let replay = leases::read(&self.record.lease_file)?;
        Ok(leases::active(replay.leases, server::now()).len())
    }
}

fn with_state(record: Record) -> Result<Server> {
    let running = daemon::holder(&record.pid_file)?;
    Ok(Server { record, running })
}

/// Every server recorded for this namespace, running or not.
pub fn all() -> Result<Vec<Server>> {
    Record::all(&netns::current_id()?)?
        .into_iter()
        .map(with_state)
        .collect()
}

/// The server recorded for `bridge` in this namespace.
pub fn find(bridge: &str) -> Result<Option<Server>> {
    Record::find(&netns::current_id()?, bridge)
        .map(with_state)
        .transpose()
}
