//! One change at a time per network namespace. Every l2x command that changes something holds
//! an exclusive lock for its namespace while it reads, plans and executes, so that four copies
//! of the same command started at once end as one `created` and three `unchanged`, never as a
//! "File exists" or a comparison with a half-made object. The lock is a file under /run/l2x
//! named after the namespace's inode, so `-n NAME` and a path to the same namespace share it.
//! It goes with the process: a crashed command never leaves it held.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::PathBuf;

use anyhow::{Context, Result};

const LOCK_DIR: &str = "/run/l2x/lock";

pub struct NamespaceLock {
    _file: File,
}

/// The lock file of the namespace this process is in (after `-n`, the entered one).
fn path() -> Result<PathBuf> {
    Ok(PathBuf::from(LOCK_DIR).join(format!("net-{}", super::netns::current_id()?)))
}

/// Waits for the namespace's lock. Where /run/l2x cannot be written (an unprivileged user,
/// whom the kernel will refuse anyway) there is nothing to hold and None comes back.
pub fn acquire() -> Result<Option<NamespaceLock>> {
    let path = path()?;
    let open = || {
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
    };
    // The directory is there but on a machine's first change: make it only then.
    let opened = match open() {
        Err(e) if e.kind() == io::ErrorKind::NotFound => match fs::create_dir_all(LOCK_DIR) {
            Ok(()) => open(),
            Err(e) => return denied_or(e, "create", LOCK_DIR),
        },
        other => other,
    };
    let file = match opened {
        Ok(f) => f,
        Err(e) => return denied_or(e, "open", &path.display().to_string()),
    };
    loop {
        // SAFETY: flock on a descriptor this function owns; no memory is involved.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
            return Ok(Some(NamespaceLock { _file: file }));
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err).with_context(|| format!("lock {}", path.display()));
        }
    }
}

fn denied_or(e: io::Error, verb: &str, what: &str) -> Result<Option<NamespaceLock>> {
    match e.kind() {
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => Ok(None),
        _ => Err(e).with_context(|| format!("{verb} {what}")),
    }
}
