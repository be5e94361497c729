//! `l2x key gen|pub`: WireGuard key pairs, as `wg genkey` and `wg pubkey` make them, and the
//! one reader of private key files, which refuses a file others could read.

use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::{Context, Result, anyhow};

use crate::cli::KeyCmd;
use crate::msg::wireguard::key::PrivateKey;
use crate::report::{Hinted, print};

/// More than any key file holds (44 characters and a newline): a larger input is not a key,
/// and is not read whole.
const MAX_KEY_TEXT: u64 = 1024;

pub fn run(cmd: &KeyCmd) -> Result<()> {
    match cmd {
        KeyCmd::Gen { out } => {
            let key = generate().context("key gen")?;
            match out {
                Some(path) => {
                    write_new(path, &key)
                        .with_context(|| format!("key gen --out {}", path.display()))?;
                    print(&format!("{}\n", key.public_key()));
                }
                None => print(&format!("{}\n", key.to_base64())),
            }
        }
        KeyCmd::Pub { key_file } => {
            let key = match key_file {
                Some(path) => read_private(path).context("key pub")?,
                None => parse(io::stdin().lock()).context("key pub: the key on stdin")?,
            };
            print(&format!("{}\n", key.public_key()));
        }
    }
    Ok(())
}

/// A new private key from the kernel's random source.
fn generate() -> Result<PrivateKey> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow!("the kernel's random source failed: {e}"))?;
    Ok(PrivateKey::from_random(bytes))
}

/// Creates `path` with mode 0600 holding `key`, never replacing a file: a key that was
/// overwritten cannot be recovered, and the peers that know its public key would be cut off.
/// A file that could not be written whole is removed.
fn write_new(path: &Path, key: &PrivateKey) -> Result<()> {
    let mut file = match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return Err(anyhow!(Hinted::new(
                format!("{} exists: l2x never overwrites a key", path.display()),
                "choose another path, or remove the old key first if nothing uses it",
            )));
        }
        other => other.with_context(|| format!("create {}", path.display()))?,
    };
    let written = file
        .write_all(format!("{}\n", key.to_base64()).as_bytes())
        .and_then(|()| file.sync_all());
    if let Err(e) = written {
        drop(file);
        fs::remove_file(path).ok();
        return Err(e).with_context(|| format!("write {}", path.display()));
    }
    Ok(())
}

/// The private key in `path`, which only its owner may read or change (as `wg` and
/// systemd-networkd insist too): a key others can read is no longer secret.
pub fn read_private(path: &Path) -> Result<PrivateKey> {
    let shown = path.display();
    let file = match fs::File::open(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(anyhow!(Hinted::new(
                format!("{shown}: no such key file"),
                format!("make one with `l2x key gen --out {shown}`"),
            )));
        }
        other => other.with_context(|| format!("open {shown}"))?,
    };
    let mode = file
        .metadata()
        .with_context(|| format!("read {shown}"))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(anyhow!(Hinted::new(
            format!(
                "{shown} has mode {:04o}: users other than its owner can read or change the key",
                mode & 0o7777
            ),
            format!("chmod 600 {shown}"),
        )));
    }
    parse(file).with_context(|| shown.to_string())
}

/// A private key in base64, as `wg genkey` writes it; surrounding whitespace is not part of it.
fn parse(input: impl Read) -> Result<PrivateKey> {
    let mut text = String::new();
    input
        .take(MAX_KEY_TEXT + 1)
        .read_to_string(&mut text)
        .map_err(|e| match e.kind() {
            io::ErrorKind::InvalidData => anyhow!("not a key: not base64"),
            _ => anyhow!(e),
        })?;
    if text.len() as u64 > MAX_KEY_TEXT {
        return Err(anyhow!("not a key: more than {MAX_KEY_TEXT} bytes"));
    }
    Ok(PrivateKey::parse(&text)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_is_not_a_key_says_why() {
        let err = |input: &[u8]| parse(input).unwrap_err().to_string();
        assert!(err(b"AAAA\n").contains("3 bytes"));
        assert!(err(b"\xff\xfe").contains("not base64"));
        assert!(err(&[b'A'; 5000]).contains("more than 1024 bytes"));
        assert!(parse(&b"cDMm8WjnJ9f8Q2AvWu8CrPRM1zjCM4QElXadsAu6Y0E=\n"[..]).is_ok());
    }

    #[test]
    fn new_keys_differ() {
        assert_ne!(generate().unwrap(), generate().unwrap());
    }
}
