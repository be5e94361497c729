//! One change at a time per network namespace. Every l2x command that changes something holds
//! an exclusive lock for its namespace while it reads, plans and executes, so that four copies
//! of the same command started at once end as one `created` and three `unchanged`, never as a
//! "File exists" or a comparison with a half-made object. The lock is a flock on the
//! namespace's own nsfs inode, which `-n NAME` and every path to that namespace share; it
//! leaves no file behind, and it goes with the process: a crashed command never leaves it
//! held.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;

use anyhow::{Context, Result};

/// The namespace this thread is in (after `-n`, the entered one).
const NAMESPACE: &str = "/proc/thread-self/ns/net";

pub struct NamespaceLock {
    _file: File,
}

/// Waits for the namespace's lock.
pub fn acquire() -> Result<NamespaceLock> {
    let file = File::open(NAMESPACE).with_context(|| format!("open {NAMESPACE}"))?;
    loop {
        // SAFETY: flock on a descriptor this function owns; no memory is involved.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
            return Ok(NamespaceLock { _file: file });
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err).context("lock this network namespace");
        }
    }
}
