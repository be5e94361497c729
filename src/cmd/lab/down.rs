//! `l2x lab down`: stop the lab's DHCP server (by the pid in the pid file the lab had it
//! write), delete every namespace of the lab, and remove the lab's files. Works on a lab that
//! was only half built, and on none at all; keeps going after a step fails and reports every
//! failure.

use std::fs;
use std::path::Path;

use anyhow::{Result, anyhow};

use super::Ctx;
use super::plan::Names;
use crate::dhcp::daemon;
use crate::nl::netns;
use crate::plan::{Action, Event};

pub fn run(ctx: &mut Ctx, names: &Names, dry_run: bool) -> Result<()> {
    let mut events = Vec::new();
    let mut failed = Vec::new();
    let pid_file = names.dhcp_pid_file();
    let stop = if dry_run {
        daemon::holder(Path::new(&pid_file))
    } else {
        daemon::stop(Path::new(&pid_file))
    };
    match stop {
        Ok(Some(pid)) => events.push(
            Event::new("dhcp", super::plan::BRIDGE, Action::Stop, "")
                .said(format!("stopped (pid {pid})"), format!("stop (pid {pid})")),
        ),
        Ok(None) => {}
        Err(e) => failed.push(format!("stop the lab's DHCP server: {e:#}")),
    }
    // The namespaces go with everything in them: veth pairs, bridges, tunnels, nft tables.
    for name in netns::names(&names.namespace_prefix())? {
        let deleted = if dry_run {
            Ok(())
        } else {
            netns::delete(&name)
        };
        match deleted {
            Ok(()) => events.push(Event::new("netns", name, Action::Delete, "")),
            Err(e) => failed.push(format!("{e:#}")),
        }
    }
    let dir = names.run_dir();
    if Path::new(&dir).exists() {
        let removed = if dry_run {
            Ok(())
        } else {
            fs::remove_dir_all(&dir)
        };
        match removed {
            Ok(()) => events.push(Event::new("directory", dir.clone(), Action::Delete, "")),
            Err(e) => failed.push(format!("remove {dir}: {e}")),
        }
    }
    if events.is_empty() && failed.is_empty() {
        events.push(Event::unchanged("lab", "").said("nothing to remove", "nothing to remove"));
    }
    ctx.report(&events, dry_run);
    match failed.len() {
        0 => Ok(()),
        _ => Err(anyhow!("{}", failed.join("; "))),
    }
}
