//! Network namespaces. `-n NETNS`: every command runs inside the named namespace, as `ip -n`
//! does; the process enters it once, before any socket is opened, so every socket (netlink,
//! DHCP) and every /proc/sys/net file opened afterwards belongs to it.
//!
//! Named namespaces are made the way `ip netns add` makes them: a file under /run/netns with
//! a new namespace bind-mounted on it, which keeps the namespace alive with no process inside.
//! A network namespace belongs to a task, not to a process, so l2x does namespace work on a
//! thread of its own: the thread enters (or creates) the namespace and the rest of l2x stays
//! where it was.

use std::fs::{self, File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::thread;

use anyhow::{Context, Result, anyhow};
use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags, mount, umount2};
use nix::sched::{CloneFlags, setns, unshare};

use crate::error::Hinted;

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

/// Runs `work` on a thread inside the named namespace and returns what it returns.
pub fn within<T: Send>(name: &str, work: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    let file = open(name)?;
    on_thread(move || {
        setns(&file, CloneFlags::CLONE_NEWNET).context("enter the namespace")?;
        work()
    })
    .with_context(|| format!("netns {name}"))
}

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

/// `ip netns add NAME`; false when it exists already.
pub fn add(name: &str) -> Result<bool> {
    let file = path(name);
    if file.exists() {
        return Ok(false);
    }
    shared_run_dir()?;
    // Mode 0, as iproute2 makes it: the file is only a mount point.
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o000)
        .open(&file)
        .with_context(|| format!("create {}", file.display()))?;
    let mounted = on_thread(|| {
        unshare(CloneFlags::CLONE_NEWNET).context("unshare the network namespace")?;
        // /proc/self is the process's main thread; this thread's namespace is the new one.
        mount(
            Some("/proc/thread-self/ns/net"),
            &file,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .with_context(|| format!("bind-mount the new namespace on {}", file.display()))
    });
    if let Err(e) = mounted {
        fs::remove_file(&file).ok();
        return Err(e.context(format!("netns add {name}")));
    }
    Ok(true)
}

/// /run/netns as a shared mount point, so a namespace mounted here is seen in every mount
/// namespace (a container's, systemd's private ones) that was cloned from this one. A
/// directory that is no mount point yet becomes one by a bind mount onto itself.
fn shared_run_dir() -> Result<()> {
    fs::create_dir_all(RUN_DIR).with_context(|| format!("create {RUN_DIR}"))?;
    let share = || {
        mount(
            None::<&str>,
            RUN_DIR,
            Some("none"),
            MsFlags::MS_SHARED | MsFlags::MS_REC,
            None::<&str>,
        )
    };
    match share() {
        Err(Errno::EINVAL) => {
            mount(
                Some(RUN_DIR),
                RUN_DIR,
                Some("none"),
                MsFlags::MS_BIND | MsFlags::MS_REC,
                None::<&str>,
            )
            .with_context(|| format!("bind-mount {RUN_DIR} onto itself"))?;
            share().with_context(|| format!("make {RUN_DIR} a shared mount"))
        }
        other => other.with_context(|| format!("make {RUN_DIR} a shared mount")),
    }
}

/// `ip netns del NAME`: the namespace goes when the last process inside it has left.
pub fn delete(name: &str) -> Result<()> {
    let file = path(name);
    // Not mounted (a half-made namespace) is fine: the file still goes.
    let _ = umount2(&file, MntFlags::MNT_DETACH);
    fs::remove_file(&file).with_context(|| format!("netns del {name}: remove {}", file.display()))
}

/// Names of the namespaces under /run/netns that start with `prefix`, sorted.
pub fn names(prefix: &str) -> Result<Vec<String>> {
    let entries = match fs::read_dir(RUN_DIR) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("list {RUN_DIR}")),
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(prefix))
        .collect();
    names.sort();
    Ok(names)
}

/// The identity of the network namespace this thread is in, the same for `-n NAME` and for
/// any path to that namespace: its cookie, which the kernel never gives to another
/// namespace. (An nsfs inode is reused once a namespace is gone, and a record keyed by it
/// would be taken for a new namespace's.) Kernels before 5.14 have no cookie; there the
/// device and inode serve.
pub fn current_id() -> Result<String> {
    match cookie() {
        Ok(cookie) => Ok(format!("c{cookie}")),
        Err(e) if e.raw_os_error() == Some(libc::ENOPROTOOPT) => inode_id(),
        Err(e) => Err(e).context("read this network namespace's cookie"),
    }
}

/// SO_NETNS_COOKIE of a socket made here: a socket lives in the namespace it was made in.
fn cookie() -> std::io::Result<u64> {
    use std::os::fd::AsRawFd;
    let sock = std::os::unix::net::UnixDatagram::unbound()?;
    let mut cookie: u64 = 0;
    let mut len = std::mem::size_of::<u64>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `cookie`, which lives across the call.
    let rc = unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_NETNS_COOKIE,
            (&mut cookie as *mut u64).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(cookie)
}

fn inode_id() -> Result<String> {
    use std::os::unix::fs::MetadataExt;
    let ns = fs::metadata("/proc/thread-self/ns/net").context("read this network namespace")?;
    Ok(format!("{}-{}", ns.dev(), ns.ino()))
}
