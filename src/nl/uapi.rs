//! WireGuard where the kernel has no module: wireguard-go, a process that owns a TUN device and
//! answers configuration on a unix socket (`msg::wireguard::uapi` is what it says). This is
//! the transport to it, as the rest of `nl` is to the kernel: start it, and exchange text with
//! it.
//!
//! wireguard-go puts its socket in /var/run/wireguard, a directory of the filesystem shared
//! by every network namespace: two namespaces with an interface of one name would take each
//! other's socket. So l2x starts it in a mount namespace of its own where a directory for this
//! network namespace, /run/l2x/wireguard/ID, is mounted over /var/run/wireguard; the socket
//! is then ID/NAME.sock for l2x, and a `wg` started the same way (`l2x show` names the
//! directory) sees it too.

use std::ffi::{CStr, CString};
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use nix::mount::{MsFlags, mount};
use nix::sched::{CloneFlags, unshare};

use super::netns;

pub const PROGRAM: &str = "wireguard-go";
const RUN_DIR: &str = "/run/l2x/wireguard";
/// Where wireguard-go itself puts its socket.
const ITS_DIR: &str = "/var/run/wireguard";
const ITS_DIR_C: &CStr = c"/var/run/wireguard";
/// wireguard-go answers at once; this long without an answer means it never will.
const TIMEOUT: Duration = Duration::from_secs(10);
/// More than any answer holds (a thousand peers take about 300 KiB): a bigger one is not
/// read to the end.
const MAX_ANSWER: u64 = 4 << 20;
/// What is kept of wireguard-go's complaint when it fails to start.
const MAX_COMPLAINT: u64 = 4096;

/// This network namespace's socket directory, as l2x sees it.
pub fn socket_dir() -> Result<PathBuf> {
    Ok(PathBuf::from(RUN_DIR).join(netns::current_id()?))
}

pub fn socket(name: &str) -> Result<PathBuf> {
    Ok(socket_dir()?.join(format!("{name}.sock")))
}

/// Whether wireguard-go is installed (on PATH).
pub fn installed() -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path)
            .any(|dir| fs::metadata(dir.join(PROGRAM)).is_ok_and(|m| m.is_file()))
    })
}

/// `wireguard-go --version`'s first line ("wireguard-go v0.0.20220316"), None when it is not
/// installed or will not say.
pub fn version() -> Option<String> {
    let out = Command::new(PROGRAM)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next()?.trim();
    (out.status.success() && !first.is_empty()).then(|| first.chars().take(80).collect())
}

/// `wireguard-go NAME`: makes the TUN device NAME in this network namespace and its socket,
/// then leaves a daemon behind and exits; it is waited for, so both exist on return. The
/// daemon ends when the device is deleted.
pub fn start(name: &str) -> Result<()> {
    let dir = socket_dir()?;
    fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    fs::create_dir_all(ITS_DIR).with_context(|| format!("create {ITS_DIR}"))?;
    // A socket left by a daemon that was killed: wireguard-go would refuse to start.
    let _ = fs::remove_file(dir.join(format!("{name}.sock")));
    let mut command = Command::new(PROGRAM);
    command
        .arg(name)
        // Without LOG_LEVEL the daemon gets /dev/null, not our pipe, which would then stay
        // open as long as it runs.
        .env_remove("LOG_LEVEL")
        .env_remove("WG_PROCESS_FOREGROUND")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let dir_c = CString::new(dir.as_os_str().as_bytes()).context("a socket directory")?;
    // SAFETY: between fork and exec only system calls run, on memory made before the fork.
    unsafe {
        command.pre_exec(move || own_socket_dir(&dir_c));
    }
    let mut child = command
        .spawn()
        .with_context(|| format!("start {PROGRAM} {name}"))?;
    let mut complaint = String::new();
    if let Some(stderr) = child.stderr.take() {
        let _ = stderr.take(MAX_COMPLAINT).read_to_string(&mut complaint);
    }
    let status = child
        .wait()
        .with_context(|| format!("wait for {PROGRAM} {name}"))?;
    if !status.success() {
        let said = complaint.lines().last().unwrap_or("").trim();
        bail!("{PROGRAM} {name} failed ({status}){}", colon(said));
    }
    Ok(())
}

/// Once interface `name` was deleted: its daemon removes its socket as it ends, a moment later;
/// then this namespace's socket directory goes too, if no other interface's socket is in it.
pub fn forget(name: &str) -> Result<()> {
    let sock = socket(name)?;
    for _ in 0..50 {
        if !sock.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // Not empty (another interface, or a daemon slow to end): it stays, and does no harm.
    let _ = fs::remove_dir(socket_dir()?);
    Ok(())
}

fn colon(said: &str) -> String {
    if said.is_empty() {
        String::new()
    } else {
        format!(": {}", said.escape_debug())
    }
}

/// In the child: a mount namespace of its own (nothing it mounts reaches the host's), with
/// `dir` over wireguard-go's socket directory.
fn own_socket_dir(dir: &CStr) -> io::Result<()> {
    let none: Option<&CStr> = None;
    unshare(CloneFlags::CLONE_NEWNS)?;
    mount(
        none,
        c"/",
        none,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        none,
    )?;
    mount(Some(dir), ITS_DIR_C, none, MsFlags::MS_BIND, none)?;
    Ok(())
}

/// Sends `request` to interface `name`'s wireguard-go and returns its answer, up to the
/// empty line that ends it.
pub fn exchange(name: &str, request: &str) -> Result<String> {
    let path = socket(name)?;
    let mut sock = UnixStream::connect(&path)
        .with_context(|| format!("connect to {PROGRAM} of {name} ({})", path.display()))?;
    sock.set_read_timeout(Some(TIMEOUT))?;
    sock.set_write_timeout(Some(TIMEOUT))?;
    sock.write_all(request.as_bytes())
        .with_context(|| format!("send to {PROGRAM} of {name}"))?;
    read_answer(&mut sock).with_context(|| format!("read {PROGRAM}'s answer for {name}"))
}

/// An answer ends with `errno=N` and an empty line; wireguard-go keeps the connection open
/// for another request after it.
fn read_answer(sock: &mut impl Read) -> Result<String> {
    let mut answer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = match sock.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        answer.extend_from_slice(&chunk[..n]);
        if n == 0 || ends_answer(&answer) {
            break;
        }
        if answer.len() as u64 > MAX_ANSWER {
            bail!("the answer is longer than {} MiB", MAX_ANSWER >> 20);
        }
    }
    String::from_utf8(answer).context("the answer is not text")
}

fn ends_answer(answer: &[u8]) -> bool {
    answer.ends_with(b"\n\n")
        && answer
            .split(|&b| b == b'\n')
            .rev()
            .nth(2)
            .is_some_and(|line| line.starts_with(b"errno="))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_ends_at_the_empty_line_after_errno() {
        assert!(ends_answer(b"listen_port=1\nerrno=0\n\n"));
        assert!(ends_answer(b"errno=0\n\n"));
        assert!(!ends_answer(b"listen_port=1\n\n"));
        assert!(!ends_answer(b"errno=0\n"));
    }

    #[test]
    fn an_answer_is_read_whole_or_refused() {
        let mut two = io::Cursor::new(b"listen_port=1\nerrno=0\n\nlisten_port=2\n".to_vec());
        // A reader that gives everything at once: the answer is what it gave up to EOF.
        assert!(
            read_answer(&mut two)
                .unwrap()
                .starts_with("listen_port=1\nerrno=0\n\n")
        );
        let endless = io::repeat(b'a').take(MAX_ANSWER + 100_000);
        assert!(read_answer(&mut { endless }).is_err());
        let mut binary = io::Cursor::new(vec![0xff, 0xfe]);
        assert!(read_answer(&mut binary).is_err());
    }
}
