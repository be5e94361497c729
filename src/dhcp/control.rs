//! How a second `dhcp serve` (or `dhcp forget`) talks to the server already running on the
//! bridge: a Unix stream socket beside the server's runtime record, mode 0600 and answering
//! root (or the server's own user) only. One request a connection: a JSON document, then the
//! end of the writer's half; the reply the same way back. The server reads at most MAX_MESSAGE
//! bytes and waits TIMEOUT at most, so a stuck client cannot stall it.

use std::fs;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use nix::sys::socket::{getsockopt, sockopt};
use serde::{Deserialize, Serialize};

use super::settings::Config;

const MAX_MESSAGE: u64 = 1 << 20;
const TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Serialize, Deserialize)]
pub enum Request {
    /// Serve with this configuration from now on; with `dry_run`, only say what would change.
    Serve { config: Box<Config>, dry_run: bool },
    /// End the leases of an address or a MAC (as `dhcp forget` names it).
    Forget { which: String, dry_run: bool },
}

#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    /// What changed (nothing: unchanged).
    Changed(Vec<String>),
    /// The leases ended, one phrase each (`10.0.5.100 (02:..., c1)`).
    Forgot(Vec<String>),
    /// Why the request was not carried out.
    Refused(String),
}

pub struct Listener {
    sock: UnixListener,
    path: PathBuf,
}

impl Listener {
    /// Listens at `path`, replacing a socket a server that died left there (a live one holds
    /// the bridge's DHCP port, which the caller has bound).
    pub fn bind(path: &Path) -> Result<Listener> {
        // On a fresh boot /run holds nothing of l2x's yet.
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
        }
        match fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("remove {}", path.display())),
        }
        let sock =
            UnixListener::bind(path).with_context(|| format!("listen on {}", path.display()))?;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))
            .with_context(|| format!("chmod {}", path.display()))?;
        sock.set_nonblocking(true)?;
        Ok(Listener {
            sock,
            path: path.to_path_buf(),
        })
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }

    /// The next caller's request, if one waits; a caller that is neither root nor this
    /// server's user, or whose request cannot be read, is told so and dropped.
    pub fn accept(&self) -> Option<(Conversation, Result<Request, String>)> {
        let (stream, _) = self.sock.accept().ok()?;
        let mut conv = Conversation { stream };
        let request = conv.read_request();
        Some((conv, request))
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

pub struct Conversation {
    stream: UnixStream,
}

impl Conversation {
    fn read_request(&mut self) -> Result<Request, String> {
        let peer = getsockopt(&self.stream, sockopt::PeerCredentials).map_err(|e| e.to_string())?;
        let me = nix::unistd::geteuid().as_raw();
        if peer.uid() != 0 && peer.uid() != me {
            return Err(format!("uid {} may not control this server", peer.uid()));
        }
        self.stream
            .set_nonblocking(false)
            .and_then(|()| self.stream.set_read_timeout(Some(TIMEOUT)))
            .and_then(|()| self.stream.set_write_timeout(Some(TIMEOUT)))
            .map_err(|e| e.to_string())?;
        let text = read_bounded(&mut self.stream).map_err(|e| e.to_string())?;
        serde_json::from_str(&text).map_err(|e| format!("unreadable request: {e}"))
    }

    /// Best effort: a caller that went away misses the reply, nothing more.
    pub fn reply(mut self, reply: &Reply) {
        let text = serde_json::to_string(reply).expect("plain data serialises");
        let _ = self.stream.write_all(text.as_bytes());
        let _ = self.stream.shutdown(Shutdown::Write);
    }
}

fn read_bounded(stream: &mut UnixStream) -> io::Result<String> {
    let mut text = String::new();
    stream.take(MAX_MESSAGE + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_MESSAGE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "message too long",
        ));
    }
    Ok(text)
}

/// Sends `request` to the server listening at `path` and waits for its reply.
pub fn ask(path: &Path, request: &Request) -> Result<Reply> {
    let what = || format!("ask the server at {}", path.display());
    let mut stream = UnixStream::connect(path).with_context(what)?;
    // Reconfiguring restarts the DNS server, whose threads take a tick to stop.
    stream
        .set_read_timeout(Some(TIMEOUT * 2))
        .with_context(what)?;
    stream.set_write_timeout(Some(TIMEOUT)).with_context(what)?;
    let text = serde_json::to_string(request).expect("plain data serialises");
    stream.write_all(text.as_bytes()).with_context(what)?;
    stream.shutdown(Shutdown::Write).with_context(what)?;
    let answer = read_bounded(&mut stream).with_context(what)?;
    serde_json::from_str(&answer).map_err(|e| anyhow!("{}: unreadable reply: {e}", what()))
}
