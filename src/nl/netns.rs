//! Network namespaces. `-n NETNS`: every command runs inside the named namespace, as `ip -n`
//! does; the process enters it once, before any socket is opened, so every socket (netlink,
//! DHCP) and every /proc/sys/net file opened afterwards belongs to it.
//!
//! A network namespace belongs to a task, not to a process, so l2x does namespace work on a
//! thread of its own: the thread creates the namespace and the rest of l2x stays where it was.

use std::fs::File;
use std::io::ErrorKind;
use std::path::PathBuf;
use std::thread;

use anyhow::{Context, Result, anyhow};
use nix::sched::{CloneFlags, setns, unshare};

use crate::report::Hinted;

/// Where named namespaces live, as iproute2 keeps them.
pub const RUN_DIR: &str = "/run/netns";

/// `/run/netns/NAME`, or the argument itself when it is a path.
pub fn path(name: &str) -> PathBuf {
    if name.contains('/') {
        PathBuf::from(name)
    } else {
        PathBuf::from(RUN_DIR).join(name)
    }
}

/// The namespace file, open: what setns and IFLA_NET_NS_FD take.
pub fn open(name: &str) -> Result<File> {
    let path = path(name);
    File::open(&path)
        .map_err(|e| match e.kind() {
            ErrorKind::NotFound => Hinted::new(
                format!("no such network namespace ({})", path.display()),
                "`ip netns list` shows the namespaces that exist; `ip netns add NAME` makes one",
            ),
            _ => Hinted::new(format!("cannot open {}: {e}", path.display()), NEEDS_ADMIN),
        })
        .with_context(|| format!("netns {name}"))
}

pub fn enter(name: &str) -> Result<()> {
    let file = open(name)?;
    setns(&file, CloneFlags::CLONE_NEWNET)
        .map_err(|e| {
            Hinted::new(
                format!("cannot enter {}: {e}", path(name).display()),
                NEEDS_ADMIN,
            )
        })
        .with_context(|| format!("netns {name}"))
}

const NEEDS_ADMIN: &str = "run as root, or give l2x the CAP_SYS_ADMIN capability";

/// Runs `work` on a thread inside a new, empty namespace that vanishes when the thread ends,
/// with everything made in it: a probe that must never touch a real namespace.
pub fn scratch<T: Send>(work: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    on_thread(move || {
        unshare(CloneFlags::CLONE_NEWNET).map_err(|e| {
            Hinted::new(
                format!("cannot create a network namespace: {e}"),
                NEEDS_ADMIN,
            )
        })?;
        work()
    })
}

fn on_thread<T: Send>(work: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    thread::scope(|s| {
        s.spawn(work)
            .join()
            .unwrap_or_else(|_| Err(anyhow!("namespace worker thread panicked")))
    })
}
