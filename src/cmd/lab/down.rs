//! `l2x lab down`: stop the lab's DHCP server (by the pid in the pid file the lab had it
//! write), delete every l2x-lab-* namespace, and remove the lab's files. Works on a lab
//! that was only half built, and on none at all.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

use super::Ctx;
use super::plan;
use crate::dhcp::daemon;
use crate::nl::netns;

pub fn run(ctx: &mut Ctx) -> Result<()> {
    let mut removed = 0;
    if let Some(pid) = daemon::stop(Path::new(&plan::dhcp_pid_file()))? {
        ctx.out.changed(
            &format!("dhcp {}", plan::BRIDGE),
            &format!("stopped (pid {pid})"),
        );
        removed += 1;
    }
    // The namespaces go with everything in them: veth pairs, bridges, tunnels, nft tables.
    for name in netns::names(plan::PREFIX)? {
        netns::delete(&name)?;
        ctx.out.changed(&format!("netns {name}"), "deleted");
        removed += 1;
    }
    match fs::remove_dir_all(plan::RUN_DIR) {
        Ok(()) => removed += 1,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("remove {}", plan::RUN_DIR)),
    }
    if removed == 0 {
        ctx.out.changed("lab", "nothing to remove");
    }
    Ok(())
}
