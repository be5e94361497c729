//! Which file `--lease-file` names, and opening it safely. The lease file is rewritten by
//! renaming a new file over it, which would turn a device node into a regular file and a
//! symlink into a file of its own, so:
//! - a regular file (or none yet) is the lease file;
//! - a symlink is followed, once, at start, to its final target, which must be a regular file:
//!   leases are then kept in the target and the symlink stays as it is;
//! - anything else (a device node, a fifo, a socket, a directory, a dangling symlink) is
//!   refused with what it is.
//!
//! Every open also says O_NOFOLLOW and O_NONBLOCK and checks what it opened, so a fifo or a
//! symlink put in its place later can neither block the server nor redirect it, and a read
//! stops at `MAX_FILE` bytes, so a file that never ends is not read forever.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// More than any lease file l2x writes: a /14 of leases, each with a long hostname, compacted
/// only after growing four times over, stays well below.
pub const MAX_FILE: u64 = 256 << 20;

/// The lease file a path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Where leases are read and written.
    pub path: PathBuf,
    /// The symlink given on the command line, when `path` is its target.
    pub via: Option<PathBuf>,
}

/// Follows a symlink to its target and refuses what is not a regular file.
pub fn resolve(given: &Path) -> io::Result<Resolved> {
    let meta = match fs::symlink_metadata(given) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(Resolved {
                path: given.to_path_buf(),
                via: None,
            });
        }
        other => other?,
    };
    if !meta.file_type().is_symlink() {
        regular(given, &meta.file_type())?;
        return Ok(Resolved {
            path: given.to_path_buf(),
            via: None,
        });
    }
    let target = fs::canonicalize(given).map_err(|e| {
        let to = fs::read_link(given).map_or_else(|_| "?".into(), |t| t.display().to_string());
        refusal(format!(
            "{} is a symlink to {to}, which cannot be followed: {e}",
            given.display()
        ))
    })?;
    let kind = fs::metadata(&target)?.file_type();
    regular(&target, &kind).map_err(|_| {
        refusal(format!(
            "{} is a symlink to {}, {}, not a regular file",
            given.display(),
            target.display(),
            what(&kind)
        ))
    })?;
    Ok(Resolved {
        path: target,
        via: Some(given.to_path_buf()),
    })
}

fn regular(path: &Path, kind: &fs::FileType) -> io::Result<()> {
    if kind.is_file() {
        return Ok(());
    }
    Err(refusal(format!(
        "{} is {}, not a regular file",
        path.display(),
        what(kind)
    )))
}

fn what(kind: &fs::FileType) -> &'static str {
    if kind.is_dir() {
        "a directory"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_fifo() {
        "a fifo"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_symlink() {
        "a symlink"
    } else {
        "something other than a file"
    }
}

fn refusal(text: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, text)
}

fn options() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    o
}

/// Checks that an open file is a regular one (it may have been swapped since `resolve`).
fn checked(path: &Path, file: File) -> io::Result<File> {
    regular(path, &file.metadata()?.file_type())?;
    Ok(file)
}

/// Opens a resolved lease file to append to, creating it if need be.
pub fn open_append(path: &Path) -> io::Result<File> {
    let file = options()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                refusal(format!("{} is a symlink", path.display()))
            } else {
                e
            }
        })?;
    checked(path, file)
}

/// The whole file, or None when there is none; at most MAX_FILE bytes.
pub fn read(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let given = resolve(path)?.path;
    let file = match options().read(true).open(&given) {
        Ok(f) => checked(&given, f)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(refusal(format!(
            "{} holds more than {} MiB: not a lease file l2x wrote",
            given.display(),
            MAX_FILE >> 20
        )));
    }
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("l2x-lease-path-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn regular_files_and_absent_ones_are_used_as_given() {
        let dir = scratch("plain");
        let file = dir.join("leases");
        assert_eq!(resolve(&file).unwrap().path, file);
        fs::write(&file, "x").unwrap();
        assert_eq!(resolve(&file).unwrap().via, None);
        assert_eq!(read(&file).unwrap().unwrap(), b"x");
        assert_eq!(read(&dir.join("none")).unwrap(), None);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_symlink_is_followed_to_a_regular_target() {
        let dir = scratch("link");
        let target = dir.join("real.leases");
        fs::write(&target, "").unwrap();
        let link = dir.join("leases");
        symlink(&target, &link).unwrap();
        let r = resolve(&link).unwrap();
        assert_eq!((r.path, r.via), (target.clone(), Some(link.clone())));
        // Opening the symlink itself is refused: only its resolved target is opened.
        let e = open_append(&link).unwrap_err();
        assert!(e.to_string().contains("is a symlink"), "{e}");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn fifos_directories_and_dangling_symlinks_are_refused() {
        let dir = scratch("refused");
        let fifo = dir.join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        let e = resolve(&fifo).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("fifo is a fifo, not a regular file"),
            "{e}"
        );
        // read() must not block on it either.
        assert!(read(&fifo).is_err());
        let link = dir.join("to-fifo");
        symlink(&fifo, &link).unwrap();
        let e = resolve(&link).unwrap_err().to_string();
        assert!(
            e.contains("is a symlink to") && e.contains("a fifo, not a regular file"),
            "{e}"
        );
        assert!(
            resolve(&dir)
                .unwrap_err()
                .to_string()
                .contains("a directory")
        );
        let dangling = dir.join("dangling");
        symlink(dir.join("nowhere"), &dangling).unwrap();
        let e = resolve(&dangling).unwrap_err().to_string();
        assert!(e.contains("cannot be followed"), "{e}");
        fs::remove_dir_all(dir).unwrap();
    }
}
