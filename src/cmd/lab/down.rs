//! `l2x lab down`: stop the lab's DHCP server (by the pid in the pid file the lab had it
//! write), delete every namespace of the lab, and remove the lab's files. Works on a lab that
//! was only half built, and on none at all; keeps going after a step fails and reports every
//! failure.

use std::fs;
use std::path::Path;

use anyhow::{Result, anyhow};

use super::plan::{Names, Plan};
use super::{Ctx, recorded};
use crate::dhcp::daemon;
use crate::nl::netns;
use crate::plan::{Action, Event};
use crate::segment::record::Record;

pub fn run(ctx: &mut Ctx, names: &Names, dry_run: bool) -> Result<()> {
    let mut events = Vec::new();
    let mut failed = Vec::new();
    let plan = recorded(names)?;
    let pid_file = plan
        .as_ref()
        .map_or_else(|| names.dhcp_pid_file().into(), |p| p.dhcp_pid_file(names));
    let stop = if dry_run {
        daemon::holder(&pid_file)
    } else {
        daemon::stop(&pid_file)
    };
    match stop {
        Ok(Some(pid)) => events.push(
            Event::new(
                "dhcp",
                plan.as_ref().map_or(super::plan::BRIDGE, Plan::bridge),
                Action::Stop,
                "",
            )
            .said(format!("stopped (pid {pid})"), format!("stop (pid {pid})")),
        ),
        Ok(None) => {}
        Err(e) => failed.push(format!("stop the lab's DHCP server: {e:#}")),
    }
    if let Some(p) = plan.as_ref().filter(|_| !dry_run) {
        failed.extend(forget_segment(names, p));
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

/// A file's lab leaves what `apply` keeps outside the namespaces: each host's record of the
/// segment, and the router's lease file where the file chose none.
fn forget_segment(names: &Names, plan: &Plan) -> Vec<String> {
    let Some(lab) = &plan.file else {
        return Vec::new();
    };
    let mut failed = Vec::new();
    for i in plan.host_ids() {
        let ns = names.host(i);
        if !netns::path(&ns).exists() {
            continue;
        }
        let forgot =
            netns::within(&ns, netns::current_id).and_then(|id| Record::remove(&id, &lab.segment));
        if let Err(e) = forgot {
            failed.push(format!("{e:#}"));
        }
    }
    if let Some(dir) = super::file::dhcp_pid_file(names, lab).parent() {
        let _ = fs::remove_dir(dir);
    }
    if let Some(leases) = &lab.leases {
        let _ = fs::remove_file(leases);
        if let Some(dir) = leases.parent() {
            let _ = fs::remove_dir(dir);
        }
    }
    failed
}
