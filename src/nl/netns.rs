//! `-n NETNS`: every command runs inside the named network namespace, as `ip -n` does. The
//! process enters it once, before any socket is opened, so every socket (netlink, DHCP) and
//! every /proc/sys/net file opened afterwards belongs to it.

use std::fs::File;
use std::io::ErrorKind;
use std::path::PathBuf;

use anyhow::{Context, Result};
use nix::sched::{CloneFlags, setns};

use crate::report::Hinted;

/// `/run/netns/NAME`, or the argument itself when it is a path.
pub fn path(name: &str) -> PathBuf {
    if name.contains('/') {
        PathBuf::from(name)
    } else {
        PathBuf::from("/run/netns").join(name)
    }
}

pub fn enter(name: &str) -> Result<()> {
    let path = path(name);
    let file = File::open(&path)
        .map_err(|e| match e.kind() {
            ErrorKind::NotFound => Hinted::new(
                format!("no such network namespace ({})", path.display()),
                "`ip netns list` shows the namespaces that exist; `ip netns add NAME` makes one",
            ),
            _ => Hinted::new(format!("cannot open {}: {e}", path.display()), NEEDS_ADMIN),
        })
        .with_context(|| format!("netns {name}"))?;
    setns(&file, CloneFlags::CLONE_NEWNET)
        .map_err(|e| Hinted::new(format!("cannot enter {}: {e}", path.display()), NEEDS_ADMIN))
        .with_context(|| format!("netns {name}"))
}

const NEEDS_ADMIN: &str = "run as root, or give l2x the CAP_SYS_ADMIN capability";
