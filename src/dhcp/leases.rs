//! The lease file: one line per lease change, appended and flushed to disk before the client
//! hears its ACK, replayed at start (a later line for an address replaces an earlier one), and
//! rewritten from the live leases when it has grown well past them.
//!
//! A line is `IP STATE EXPIRES MAC CLIENT-ID HOSTNAME CHECK`, CHECK being an FNV-1a hash of the
//! rest, so a line torn by a crash, or blocks of zeros a file system left after one, are told
//! apart from leases and skipped with a warning.

use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use super::pool::{ClientId, Lease, Mac, State};

const HEADER: &str = "# l2x dhcp leases v1: ip state expires mac client-id hostname check\n";

/// Compaction happens when the file holds this many times more lines than live leases...
const GROWTH: usize = 4;
/// ...and at least this many lines, so a small file is never rewritten over and over.
const MIN_COMPACT: usize = 4096;

/// An open lease file, positioned at its end.
pub struct LeaseFile {
    path: PathBuf,
    file: File,
    lines: usize,
    pending: String,
}

/// What replaying a lease file found.
pub struct Replay {
    pub leases: Vec<Lease>,
    /// One warning per damaged stretch (line number and why), for the log.
    pub damage: Vec<String>,
}

/// Reads the leases from a file's text. Damaged lines are skipped, never fatal.
pub fn parse(text: &str) -> Replay {
    let mut replay = Replay {
        leases: Vec::new(),
        damage: Vec::new(),
    };
    let complete = text.rfind('\n').map_or(0, |i| i + 1);
    for (n, line) in text[..complete].lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match decode(line) {
            Some(lease) => replay.leases.push(lease),
            None => replay
                .damage
                .push(format!("line {}: damaged, skipped", n + 1)),
        }
    }
    if complete < text.len() {
        replay.damage.push(format!(
            "{} bytes of an unfinished last line (cut short by a crash?), skipped",
            text.len() - complete
        ));
    }
    replay
}

/// Reads a lease file that may not exist (no leases yet).
pub fn read(path: &Path) -> io::Result<Replay> {
    match File::open(path) {
        Ok(mut f) => {
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes)?;
            Ok(parse(&String::from_utf8_lossy(&bytes)))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(parse("")),
        Err(e) => Err(e),
    }
}

impl LeaseFile {
    /// Opens the file for appending, after `replay` was read from it. Rewrites it first when it
    /// was damaged (so new lines never follow a torn one) or has grown past its leases.
    pub fn open(path: &Path, replay: &Replay, live: &[&Lease]) -> io::Result<LeaseFile> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let mut lf = LeaseFile {
            path: path.to_path_buf(),
            file,
            lines: replay.leases.len() + replay.damage.len(),
            pending: String::new(),
        };
        if !replay.damage.is_empty() || lf.wants_compaction(live.len()) || lf.lines == 0 {
            lf.compact(live.iter().copied())?;
        }
        Ok(lf)
    }

    /// Queues a lease change; `commit` writes and flushes everything queued at once.
    pub fn append(&mut self, lease: &Lease) {
        encode(lease, &mut self.pending);
        self.lines += 1;
    }

    /// Writes the queued lines and waits until they are on disk (fdatasync). One call serves
    /// every lease queued since the last: that is the group commit.
    pub fn commit(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.file.write_all(self.pending.as_bytes())?;
        self.pending.clear();
        self.file.sync_data()
    }

    pub fn wants_compaction(&self, live: usize) -> bool {
        self.lines >= MIN_COMPACT && self.lines > GROWTH * live
    }

    /// Replaces the file with one line per live lease: written to a temporary file, flushed,
    /// renamed over the old one, and the directory flushed, so a crash at any point leaves
    /// either the old file or the new one.
    pub fn compact<'a>(&mut self, live: impl Iterator<Item = &'a Lease>) -> io::Result<()> {
        let mut text = String::from(HEADER);
        let mut lines = 0;
        for lease in live {
            encode(lease, &mut text);
            lines += 1;
        }
        let tmp = self.path.with_extension("leases.tmp");
        let mut f = File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        fs::rename(&tmp, &self.path)?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir)?.sync_all()?;
        }
        self.file = OpenOptions::new().append(true).open(&self.path)?;
        self.lines = lines;
        Ok(())
    }
}

fn state_name(s: State) -> &'static str {
    match s {
        State::Offered => "offered",
        State::Bound => "bound",
        State::Released => "released",
        State::Declined => "declined",
    }
}

fn encode(lease: &Lease, out: &mut String) {
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

/// The leases bound at `now`, in address order, from a lease file's records (a later record
/// for an address replaces an earlier one).
pub fn active(records: Vec<Lease>, now: u64) -> Vec<Lease> {
    let mut latest: std::collections::BTreeMap<std::net::Ipv4Addr, Lease> = Default::default();
    for lease in records {
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
        lf.commit().unwrap();
        let r = read(&path).unwrap();
        assert!(r.damage.is_empty());
        assert_eq!(r.leases.len(), 4);
        assert_eq!(r.leases[3], lease(2, State::Released));

        let live = [lease(1, State::Bound), lease(2, State::Released)];
        lf.compact(live.iter()).unwrap();
        lf.append(&lease(9, State::Bound));
        lf.commit().unwrap();
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
        lf.commit().unwrap();
        let r = read(&path).unwrap();
        assert!(r.damage.is_empty(), "{:?}", r.damage);
        assert_eq!(
            r.leases,
            vec![lease(1, State::Bound), lease(3, State::Bound)]
        );
        let _ = fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
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
