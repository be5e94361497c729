//! `l2x key gen|pub` against wireguard-tools: keys l2x makes are keys `wg pubkey` accepts, and
//! l2x derives the public key `wg pubkey` derives. Files only in a temporary directory.

mod common;

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;

/// A directory of its own under the system's temporary one, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("l2x-key-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir(&dir).expect("create temp dir");
        TempDir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs `prog args` with `input` on stdin and returns its stdout.
fn piped(prog: &str, args: &[&str], input: &str) -> Run {
    let mut child = Command::new(prog)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {prog}: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn wg_pubkey(private: &str) -> String {
    let run = piped("wg", &["pubkey"], private);
    assert_eq!(run.code, 0, "wg pubkey refused {private:?}: {run:?}");
    run.stdout
}

fn l2x_pub_stdin(private: &str) -> Run {
    piped(env!("CARGO_BIN_EXE_l2x"), &["key", "pub"], private)
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn public_keys_match_wg_pubkey_for_keys_wg_genkey_made() {
    for _ in 0..20 {
        let private = run_ok("wg", &["genkey"]);
        assert_eq!(l2x_pub_stdin(&private).ok().stdout, wg_pubkey(&private));
    }
}

#[test]
fn gen_prints_a_key_wg_accepts_and_nothing_else() {
    let run = l2x(&["key", "gen"]).ok();
    let line = run.stdout.strip_suffix('\n').expect("one line");
    assert_eq!(line.len(), 44, "{run:?}");
    assert!(run.stderr.is_empty(), "{run:?}");
    assert_eq!(
        l2x_pub_stdin(&run.stdout).ok().stdout,
        wg_pubkey(&run.stdout)
    );
    assert_ne!(
        l2x(&["key", "gen"]).ok().stdout,
        run.stdout,
        "a new key each time"
    );
}

#[test]
fn gen_out_writes_a_private_file_and_prints_its_public_key() {
    let dir = TempDir::new("out");
    let file = dir.path("host1.key");
    let run = l2x(&["key", "gen", "--out", file.to_str().unwrap()]).ok();
    assert_eq!(mode(&file), 0o600);
    let private = fs::read_to_string(&file).unwrap();
    assert_eq!(run.stdout, wg_pubkey(&private));
    let again = l2x(&["key", "pub", "--key-file", file.to_str().unwrap()]).ok();
    assert_eq!(again.stdout, run.stdout);
}

#[test]
fn gen_out_never_overwrites_a_file() {
    let dir = TempDir::new("exists");
    let file = dir.path("host1.key");
    fs::write(&file, "precious\n").unwrap();
    l2x(&["key", "gen", "--out", file.to_str().unwrap()]).fails(1, "host1.key exists");
    assert_eq!(fs::read_to_string(&file).unwrap(), "precious\n");
}

#[test]
fn gen_out_into_a_missing_directory_names_it() {
    let dir = TempDir::new("nodir");
    let file = dir.path("no/such/dir/k");
    l2x(&["key", "gen", "--out", file.to_str().unwrap()]).fails(1, "no/such/dir/k");
    assert!(!dir.path("no").exists());
}

#[test]
fn pub_reads_a_wg_genkey_file() {
    let dir = TempDir::new("wgfile");
    let file = dir.path("wg.key");
    let private = run_ok("wg", &["genkey"]);
    fs::write(&file, &private).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    let run = l2x(&["key", "pub", "--key-file", file.to_str().unwrap()]).ok();
    assert_eq!(run.stdout, wg_pubkey(&private));
}

#[test]
fn a_key_file_others_can_read_is_refused_with_the_fix() {
    let dir = TempDir::new("mode");
    let file = dir.path("open.key");
    fs::write(&file, run_ok("wg", &["genkey"])).unwrap();
    for open in [0o644, 0o640, 0o604] {
        fs::set_permissions(&file, fs::Permissions::from_mode(open)).unwrap();
        let run = l2x(&["key", "pub", "--key-file", file.to_str().unwrap()]);
        let run = run.fails(1, &format!("mode 0{open:o}"));
        assert!(run.stderr.contains("hint: chmod 600"), "{run:?}");
    }
}

#[test]
fn a_missing_key_file_names_key_gen() {
    let dir = TempDir::new("missing");
    let file = dir.path("none.key");
    let run = l2x(&["key", "pub", "--key-file", file.to_str().unwrap()]);
    run.fails(1, "l2x key gen --out");
}

#[test]
fn malformed_keys_say_what_is_wrong() {
    let run = l2x_pub_stdin("AAAA\n");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("44 characters"), "{run:?}");
    let run = l2x_pub_stdin("this is not base64!\n");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("not base64"), "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
}
