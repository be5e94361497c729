//! The lease file: one line per lease change, appended and flushed to disk before the client
//! hears its ACK, replayed at start (a later line for an address replaces an earlier one), and
//! rewritten from the live leases when it has grown well past them.
//!
//! A line is `IP STATE EXPIRES MAC CLIENT-ID HOSTNAME CHECK`, CHECK being an FNV-1a hash of the
//! rest, so a line torn by a crash, or blocks of zeros a file system left after one, are told
//! apart from leases and skipped with a warning.
//!
//! When the disk refuses (full, EIO, read-only), the lines of that commit are cut off again
//! and forgotten, and the file is *failing*: no commit succeeds, so no ACK goes out, until a
//! rewrite of the whole file from the server's leases succeeds. That rewrite is tried at most
//! once per `RETRY`, and only when the file system has room for it, so a full disk is not
//! filled again by the attempt; whatever a failed write left behind (a torn line, data the
//! kernel dropped after a failed fsync) is replaced by the rewrite.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, Write};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::lease_path;
use super::pool::{ClientId, Lease, Mac, State};

const HEADER: &str = "# l2x dhcp leases v1: ip state expires mac client-id hostname check\n";

/// Compaction happens when the file holds this many times more lines than live leases...
const GROWTH: usize = 4;
/// ...and at least this many lines, so a small file is never rewritten over and over.
const MIN_COMPACT: usize = 4096;
/// How often a failing file is tried again.
pub const RETRY: Duration = Duration::from_secs(1);
/// Room left free beside a rewrite, for the file system's own blocks.
const HEADROOM: u64 = 64 << 10;

/// An open lease file, positioned at its end.
pub struct LeaseFile {
    path: PathBuf,
    file: File,
    lines: usize,
    /// The file's length after the last commit that reached the disk: where a failed append
    /// is cut back to.
    good_len: u64,
    pending: String,
    pending_lines: usize,
    failing: Option<Failing>,
}

/// Why the file cannot be written, and when to try again.
struct Failing {
    error: io::Error,
    next_try: Instant,
}

/// What a successful commit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The queued lines were appended (or there were none).
    Appended,
    /// The file had been failing and was rewritten whole: it is writable again.
    Recovered,
}

/// Damaged lines named one by one; the rest are counted in one more warning, so a file of
/// garbage makes a few lines of log, not millions.
const DAMAGE_NAMED: usize = 5;

/// What replaying a lease file found.
pub struct Replay {
    pub leases: Vec<Lease>,
    /// Warnings about damaged lines (line number and why), for the log.
    pub damage: Vec<String>,
}

/// Reads the leases from a file's text. Damaged lines are skipped, never fatal.
pub fn parse(text: &str) -> Replay {
    let mut replay = Replay {
        leases: Vec::new(),
        damage: Vec::new(),
    };
    let complete = text.rfind('\n').map_or(0, |i| i + 1);
    let mut damaged = 0;
    for (n, line) in text[..complete].lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match decode(line) {
            Some(lease) => replay.leases.push(lease),
            None if damaged < DAMAGE_NAMED => {
                damaged += 1;
                replay
                    .damage
                    .push(format!("line {}: damaged, skipped", n + 1));
            }
            None => damaged += 1,
        }
    }
    if damaged > DAMAGE_NAMED {
        let more = damaged - DAMAGE_NAMED;
        replay
            .damage
            .push(format!("{more} more damaged lines, skipped"));
    }
    if complete < text.len() {
        replay.damage.push(format!(
            "{} bytes of an unfinished last line (cut short by a crash?), skipped",
            text.len() - complete
        ));
    }
    replay
}

/// Reads a lease file that may not exist (no leases yet). See `lease_path` for what may be
/// read: a regular file, or a symlink to one, of at most `MAX_FILE` bytes.
pub fn read(path: &Path) -> io::Result<Replay> {
    let bytes = lease_path::read(path)?.unwrap_or_default();
    Ok(parse(&String::from_utf8_lossy(&bytes)))
}

impl LeaseFile {
    /// Opens the file for appending, after `replay` was read from it. Rewrites it first when it
    /// was damaged (so new lines never follow a torn one) or has grown past its leases. A file
    /// that cannot be opened is an error; one that can be opened but not rewritten (a full
    /// disk) is opened failing, so the server starts and waits for the disk.
    pub fn open(path: &Path, replay: &Replay, live: &[&Lease]) -> io::Result<LeaseFile> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir)?;
        }
        let file = lease_path::open_append(path)?;
        let mut lf = LeaseFile {
            path: path.to_path_buf(),
            good_len: file.metadata()?.len(),
            file,
            lines: replay.leases.len() + replay.damage.len(),
            pending: String::new(),
            pending_lines: 0,
            failing: None,
        };
        let rewrite = !replay.damage.is_empty() || lf.wants_compaction(live.len()) || lf.lines == 0;
        if rewrite && let Err(error) = lf.compact(live.iter().copied()) {
            lf.fail(error);
        }
        Ok(lf)
    }

    /// Why the file cannot be written now, if it cannot.
    pub fn failure(&self) -> Option<&io::Error> {
        self.failing.as_ref().map(|f| &f.error)
    }

    /// Queues a lease change; `commit` writes and flushes everything queued at once.
    pub fn append(&mut self, lease: &Lease) {
        encode(lease, &mut self.pending);
        self.pending_lines += 1;
    }

    /// Makes every lease change so far durable: appends the queued lines and waits until they
    /// are on disk (fdatasync), one call for every lease queued since the last (the group
    /// commit). A failing file is instead rewritten whole from `live` (the server's leases,
    /// which hold every queued change), when it is time to try again. On error nothing queued
    /// is kept and nothing should be acknowledged.
    pub fn commit<'a>(&mut self, live: impl Iterator<Item = &'a Lease>) -> io::Result<Written> {
        self.commit_at(Instant::now(), live)
    }

    fn commit_at<'a>(
        &mut self,
        now: Instant,
        live: impl Iterator<Item = &'a Lease>,
    ) -> io::Result<Written> {
        if let Some(f) = &self.failing {
            self.pending.clear();
            self.pending_lines = 0;
            if now < f.next_try {
                return Err(io::Error::new(f.error.kind(), f.error.to_string()));
            }
            return match self.compact(live) {
                Ok(()) => {
                    self.failing = None;
                    Ok(Written::Recovered)
                }
                Err(e) => Err(self.fail_at(now, e)),
            };
        }
        if self.pending.is_empty() {
            return Ok(Written::Appended);
        }
        let written = self
            .file
            .write_all(self.pending.as_bytes())
            .and_then(|()| self.file.sync_data());
        let bytes = self.pending.len() as u64;
        self.pending.clear();
        let lines = std::mem::take(&mut self.pending_lines);
        match written {
            Ok(()) => {
                self.good_len += bytes;
                self.lines += lines;
                Ok(Written::Appended)
            }
            Err(e) => {
                // Best effort: the rewrite that ends the failure replaces the file anyway.
                let _ = self.file.set_len(self.good_len);
                Err(self.fail_at(now, e))
            }
        }
    }

    fn fail(&mut self, error: io::Error) {
        self.fail_at(Instant::now(), error);
    }

    /// Marks the file failing and returns the error, for the caller to report.
    fn fail_at(&mut self, now: Instant, error: io::Error) -> io::Error {
        let copy = io::Error::new(error.kind(), error.to_string());
        self.failing = Some(Failing {
            error,
            next_try: now + RETRY,
        });
        copy
    }

    pub fn wants_compaction(&self, live: usize) -> bool {
        self.failing.is_none() && self.lines >= MIN_COMPACT && self.lines > GROWTH * live
    }

    /// Replaces the file with one line per live lease: written to a temporary file, flushed,
    /// renamed over the old one, and the directory flushed, so a crash at any point leaves
    /// either the old file or the new one. Nothing is written when the file system has no
    /// room for it, and a temporary file that could not be finished is removed.
    pub fn compact<'a>(&mut self, live: impl Iterator<Item = &'a Lease>) -> io::Result<()> {
        let mut text = String::from(HEADER);
        let mut lines = 0;
        for lease in live {
            encode(lease, &mut text);
            lines += 1;
        }
        let dir = self
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        room_for(dir, text.len() as u64)?;
        let tmp = self.path.with_extension("leases.tmp");
        let written = write_synced(&tmp, text.as_bytes());
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        fs::rename(&tmp, &self.path)?;
        File::open(dir)?.sync_all()?;
        self.file = lease_path::open_append(&self.path)?;
        self.lines = lines;
        self.good_len = text.len() as u64;
        Ok(())
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// ENOSPC before writing, when the file system under `dir` has less than `bytes` free.
fn room_for(dir: &Path, bytes: u64) -> io::Result<()> {
    let Ok(fs) = nix::sys::statvfs::statvfs(dir) else {
        return Ok(()); // the write itself will tell
    };
    let free = fs.blocks_available().saturating_mul(fs.fragment_size());
    if free < bytes + HEADROOM {
        return Err(io::Error::new(
            io::ErrorKind::StorageFull,
            format!("no room for {bytes} bytes ({free} free)"),
        ));
    }
    Ok(())
}

fn state_name(s: State) -> &'static str {
    match s {
        State::Offered => "offered",
        State::Bound => "bound",
        State::Released => "released",
        State::Declined => "declined",
    }
}

pub fn encode(lease: &Lease, out: &mut String) {
    let start = out.len();
    let _ = write!(
        out,
        "{} {} {} {} {} {}",
        lease.ip,
        state_name(lease.state),
        lease.expires,
        hex(&lease.mac),
        hex(&lease.client.0),
        lease.hostname.as_deref().map_or("-".into(), escape),
    );
    let check = fnv1a(&out.as_bytes()[start..]);
    let _ = writeln!(out, " {check:08x}");
}

fn decode(line: &str) -> Option<Lease> {
    let (body, check) = line.rsplit_once(' ')?;
    if u32::from_str_radix(check, 16).ok()? != fnv1a(body.as_bytes()) {
        return None;
    }
    let f: Vec<&str> = body.split(' ').collect();
    let [ip, state, expires, mac, client, hostname] = f[..] else {
        return None;
    };
    Some(Lease {
        ip: ip.parse().ok()?,
        state: match state {
            "bound" => State::Bound,
            "released" => State::Released,
            "declined" => State::Declined,
            _ => return None,
        },
        expires: expires.parse().ok()?,
        mac: Mac::try_from(unhex(mac)?.as_slice()).ok()?,
        client: ClientId(unhex(client)?.into()),
        hostname: (hostname != "-").then(|| unescape(hostname)).flatten(),
    })
}

/// 32-bit FNV-1a: enough to tell a torn line from a whole one, and small enough to write here.
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// The leases bound at `now`, in address order, from a lease file's records: a later record
/// for an address replaces an earlier one, and a client's bound lease (by client identifier or
/// hardware address) ends the one it held before on another address, as in the server.
pub fn active(records: Vec<Lease>, now: u64) -> Vec<Lease> {
    let mut latest: BTreeMap<Ipv4Addr, Lease> = BTreeMap::new();
    let mut by_client: HashMap<ClientId, Ipv4Addr> = HashMap::new();
    let mut by_mac: HashMap<Mac, Ipv4Addr> = HashMap::new();
    for lease in records {
        if lease.state == State::Bound {
            let held = [by_client.get(&lease.client), by_mac.get(&lease.mac)];
            for old in held.into_iter().flatten().filter(|&&old| old != lease.ip) {
                if latest.get(old).is_some_and(|l| {
                    l.state == State::Bound && (l.client == lease.client || l.mac == lease.mac)
                }) {
                    latest.remove(old);
                }
            }
            by_client.insert(lease.client.clone(), lease.ip);
            by_mac.insert(lease.mac, lease.ip);
        }
        latest.insert(lease.ip, lease);
    }
    latest.into_values().filter(|l| l.is_active(now)).collect()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.is_empty() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Hostnames come from clients: anything but plain printable ASCII is %-escaped, so a name can
/// neither split a line nor forge one; a leading `-` too, which alone means "no hostname".
fn escape(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        let plain = b.is_ascii_graphic() && b != b'%' && !(b == b'-' && out.is_empty());
        if plain {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02x}");
        }
    }
    out
}

fn unescape(s: &str) -> Option<Box<str>> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let pair = [bytes.next()?, bytes.next()?];
            out.push(u8::from_str_radix(std::str::from_utf8(&pair).ok()?, 16).ok()?);
        } else {
            out.push(b);
        }
    }
    Some(String::from_utf8_lossy(&out).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dhcp::pool::sample;

    /// With a hostname that needs escaping.
    fn lease(n: u8, state: State) -> Lease {
        Lease {
            hostname: Some(format!("host {n}%-").into()),
            ..sample(n, state, 1_700_000_000 + u64::from(n))
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("l2x-leases-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir.join("sub/dhcp-br0.leases")
    }

    #[test]
    fn a_line_reads_back_as_written() {
        for state in [State::Bound, State::Released, State::Declined] {
            let mut text = String::new();
            encode(&lease(7, state), &mut text);
            assert!(
                text.ends_with('\n') && text.matches(' ').count() == 6,
                "{text}"
            );
            assert_eq!(decode(text.trim_end()), Some(lease(7, state)));
        }
        let mut bare = lease(8, State::Bound);
        bare.hostname = None;
        let mut text = String::new();
        encode(&bare, &mut text);
        assert_eq!(decode(text.trim_end()), Some(bare));
    }

    #[test]
    fn a_truncated_tail_and_damaged_lines_are_skipped() {
        let mut text = String::from(HEADER);
        encode(&lease(1, State::Bound), &mut text);
        let mut second = String::new();
        encode(&lease(2, State::Bound), &mut second);
        text.push_str(&second.replace("10.0.0.2", "10.0.0.3"));
        text.push_str("\0\0\0\0\n");
        encode(&lease(4, State::Bound), &mut text);
        let mut last = String::new();
        encode(&lease(5, State::Bound), &mut last);
        text.push_str(&last[..last.len() / 2]);
        let r = parse(&text);
        assert_eq!(
            r.leases,
            vec![lease(1, State::Bound), lease(4, State::Bound)]
        );
        assert_eq!(r.damage.len(), 3, "{:?}", r.damage);
        assert!(r.damage[2].contains("unfinished last line"));
    }

    #[test]
    fn appends_replay_and_compaction_keep_the_latest() {
        let path = scratch("replay");
        let empty = read(&path).unwrap();
        let mut lf = LeaseFile::open(&path, &empty, &[]).unwrap();
        for n in 1..=3 {
            lf.append(&lease(n, State::Bound));
        }
        lf.append(&lease(2, State::Released));
        lf.commit(std::iter::empty()).unwrap();
        let r = read(&path).unwrap();
        assert!(r.damage.is_empty());
        assert_eq!(r.leases.len(), 4);
        assert_eq!(r.leases[3], lease(2, State::Released));

        let live = [lease(1, State::Bound), lease(2, State::Released)];
        lf.compact(live.iter()).unwrap();
        lf.append(&lease(9, State::Bound));
        lf.commit(std::iter::empty()).unwrap();
        let r = read(&path).unwrap();
        assert_eq!(
            r.leases,
            vec![live[0].clone(), live[1].clone(), lease(9, State::Bound)]
        );
        let _ = fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }

    #[test]
    fn opening_a_damaged_file_rewrites_it_clean() {
        let path = scratch("damaged");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut text = String::new();
        encode(&lease(1, State::Bound), &mut text);
        text.push_str("10.0.0.2 bou");
        fs::write(&path, &text).unwrap();
        let r = read(&path).unwrap();
        assert_eq!(r.damage.len(), 1);
        let live: Vec<&Lease> = r.leases.iter().collect();
        let mut lf = LeaseFile::open(&path, &r, &live).unwrap();
        lf.append(&lease(3, State::Bound));
        lf.commit(std::iter::empty()).unwrap();
        let r = read(&path).unwrap();
        assert!(r.damage.is_empty(), "{:?}", r.damage);
        assert_eq!(
            r.leases,
            vec![lease(1, State::Bound), lease(3, State::Bound)]
        );
        let _ = fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }

    #[test]
    fn a_failed_commit_is_forgotten_until_a_rewrite_succeeds() {
        let path = scratch("failing");
        let mut lf = LeaseFile::open(&path, &read(&path).unwrap(), &[]).unwrap();
        lf.append(&lease(1, State::Bound));
        lf.commit(std::iter::empty()).unwrap();
        // A descriptor the kernel refuses writes on stands in for a full or broken disk.
        lf.file = File::open(&path).unwrap();
        lf.append(&lease(2, State::Bound));
        let t0 = Instant::now();
        assert!(lf.commit_at(t0, std::iter::empty()).is_err());
        assert!(lf.failure().is_some());
        // Until RETRY has passed, nothing is tried and nothing succeeds.
        lf.append(&lease(3, State::Bound));
        let live = [
            lease(1, State::Bound),
            lease(2, State::Bound),
            lease(3, State::Bound),
        ];
        assert!(lf.commit_at(t0 + RETRY / 2, live.iter()).is_err());
        assert!(!lf.wants_compaction(0));
        // Then the whole file is rewritten from the live leases, once, and appends go on.
        assert!(matches!(
            lf.commit_at(t0 + RETRY, live.iter()),
            Ok(Written::Recovered)
        ));
        assert!(lf.failure().is_none());
        lf.append(&lease(4, State::Bound));
        assert!(matches!(
            lf.commit(std::iter::empty()),
            Ok(Written::Appended)
        ));
        let r = read(&path).unwrap();
        assert!(r.damage.is_empty(), "{:?}", r.damage);
        assert_eq!(r.leases.len(), 4);
        assert_eq!(r.leases[3], lease(4, State::Bound));
        let _ = fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }

    #[test]
    fn a_client_is_listed_with_its_latest_lease_only() {
        let at = |n: u8| Lease {
            ip: Ipv4Addr::new(10, 0, 0, n),
            ..sample(1, State::Bound, 2_000_000_000)
        };
        let other = sample(2, State::Bound, 2_000_000_000);
        let shown = active(vec![at(10), other.clone(), at(11)], 1_900_000_000);
        assert_eq!(shown, vec![other, at(11)]);
    }

    #[test]
    fn compaction_waits_for_real_growth() {
        let path = scratch("growth");
        let mut lf = LeaseFile::open(&path, &read(&path).unwrap(), &[]).unwrap();
        lf.lines = MIN_COMPACT - 1;
        assert!(!lf.wants_compaction(0));
        lf.lines = MIN_COMPACT * 2;
        assert!(lf.wants_compaction(100));
        assert!(!lf.wants_compaction(MIN_COMPACT));
        let _ = fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }
}
