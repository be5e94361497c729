//! The server as a process: its pid file, locked for as long as the server runs so a second
//! server on the bridge is refused while a stale file left by a crash (no lock) blocks nothing;
//! detaching after the socket is bound; stopping on SIGINT/SIGTERM, reloading on SIGHUP;
//! `dhcp stop`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use nix::sys::signal::{self, SaFlags, SigAction, SigHandler, SigSet, Signal};
use nix::unistd::{self, ForkResult, Pid};

use crate::report::Hinted;

/// How long `dhcp stop` waits for the server to finish its last commit and exit.
const STOP_WAIT: Duration = Duration::from_secs(10);

/// A locked pid file. The lock lives as long as the open file description, which a forked
/// child shares: so the daemon keeps it after its parent exits.
pub struct PidFile {
    file: File,
    path: PathBuf,
}

fn try_lock(file: &File, mode: libc::c_int) -> io::Result<bool> {
    // SAFETY: flock on a file descriptor this function borrows; no memory is involved.
    if unsafe { libc::flock(file.as_raw_fd(), mode | libc::LOCK_NB) } == 0 {
        return Ok(true);
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EWOULDBLOCK) => Ok(false),
        _ => Err(err),
    }
}

fn read_pid(file: &mut File) -> Option<i32> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

impl PidFile {
    /// Takes the lock, or says which server holds it.
    pub fn lock(path: &Path, bridge: &str) -> Result<PidFile> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .with_context(|| format!("open {}", path.display()))?;
        if !try_lock(&file, libc::LOCK_EX).with_context(|| format!("lock {}", path.display()))? {
            let who = read_pid(&mut file).map_or("another process".into(), |p| format!("pid {p}"));
            return Err(anyhow!(Hinted::new(
                format!(
                    "a DHCP server already runs on {bridge} ({who}, {})",
                    path.display()
                ),
                format!("`l2x dhcp stop {bridge}` stops it"),
            )));
        }
        Ok(PidFile {
            file,
            path: path.to_path_buf(),
        })
    }

    pub fn write(&mut self, pid: Pid) -> Result<()> {
        self.file.set_len(0)?;
        self.file.rewind()?;
        writeln!(self.file, "{pid}").with_context(|| format!("write {}", self.path.display()))
    }

    /// Removed while still locked, so no other server can have taken it meanwhile.
    pub fn remove(self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Forks. The parent gets the child's pid back and should exit; the child (None) leaves the
/// terminal's session and the working directory (paths must be absolute by now), and its
/// output goes nowhere (stderr too, unless it was sent to a log).
pub fn detach(silence_stderr: bool) -> Result<Option<Pid>> {
    // SAFETY: l2x is single-threaded, so the child starts in a consistent state.
    match unsafe { unistd::fork() }.context("fork")? {
        ForkResult::Parent { child } => Ok(Some(child)),
        ForkResult::Child => {
            unistd::setsid().context("setsid")?;
            // Holding no directory open keeps every file system unmountable.
            unistd::chdir("/").context("chdir /")?;
            let null = OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/null")?;
            unistd::dup2_stdin(&null)?;
            unistd::dup2_stdout(&null)?;
            if silence_stderr {
                unistd::dup2_stderr(&null)?;
            }
            Ok(None)
        }
    }
}

/// Sends stderr, where the server logs, to the end of a file. The stderr it had is kept, so
/// that a server that then fails to start says why where it was started.
pub fn log_to(path: &Path) -> Result<Stderr> {
    let file = open_log(path)?;
    let before = unistd::dup(std::io::stderr()).context("keep stderr")?;
    log_into(&file)?;
    Ok(Stderr(before))
}

/// A log file opened for appending, created if missing.
pub fn open_log(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("open log file {}", path.display()))
}

/// Sends stderr to the end of `file` from now on.
pub fn log_into(file: &File) -> Result<()> {
    unistd::dup2_stderr(file).context("redirect stderr")
}

/// The stderr a process had before `log_to`.
pub struct Stderr(std::os::fd::OwnedFd);

impl Stderr {
    /// Puts it back.
    pub fn restore(self) {
        let _ = unistd::dup2_stderr(&self.0);
    }
}

static STOP: AtomicBool = AtomicBool::new(false);
static HANGUP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(sig: libc::c_int) {
    let flag = if sig == libc::SIGHUP { &HANGUP } else { &STOP };
    flag.store(true, Ordering::Relaxed);
}

/// SIGINT and SIGTERM ask the loop to stop, SIGHUP to read the hosts file again: the handler
/// only sets a flag, and without SA_RESTART a blocking wait returns at once so the loop sees
/// it.
pub fn catch_signals() -> Result<()> {
    let action = SigAction::new(
        SigHandler::Handler(on_signal),
        SaFlags::empty(),
        SigSet::empty(),
    );
    for sig in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe { signal::sigaction(sig, &action) }.context("install signal handler")?;
    }
    Ok(())
}

pub fn stop_requested() -> bool {
    STOP.load(Ordering::Relaxed)
}

/// Whether SIGHUP came since the last call.
pub fn hangup() -> bool {
    HANGUP.swap(false, Ordering::Relaxed)
}

/// The pid file, open, and what it says, while a server holds its lock; None when no server
/// does (no file, or one left by a server that died: nothing holds its lock).
fn held(path: &Path) -> Result<Option<(File, Option<i32>)>> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("open {}", path.display())),
    };
    if try_lock(&file, libc::LOCK_SH)? {
        return Ok(None);
    }
    let pid = read_pid(&mut file);
    Ok(Some((file, pid)))
}

/// The pid of the server running with this pid file, if one is.
pub fn holder(path: &Path) -> Result<Option<i32>> {
    Ok(held(path)?.and_then(|(_, pid)| pid))
}

/// `dhcp stop`: signals the server holding the pid file and waits until it lets go of the
/// lock, which it does only on exit. None when no server was running.
pub fn stop(path: &Path) -> Result<Option<i32>> {
    let Some((file, pid)) = held(path)? else {
        return Ok(None);
    };
    let pid = pid.ok_or_else(|| anyhow!("{} is locked but holds no pid", path.display()))?;
    signal::kill(Pid::from_raw(pid), Signal::SIGTERM)
        .with_context(|| format!("signal pid {pid}"))?;
    let start = Instant::now();
    while !try_lock(&file, libc::LOCK_SH)? {
        if start.elapsed() > STOP_WAIT {
            bail!("pid {pid} did not stop within {}s", STOP_WAIT.as_secs());
        }
        sleep(Duration::from_millis(20));
    }
    Ok(Some(pid))
}
