//! contrib/systemd/l2x@.service: what it is ordered against and runs, and `systemd-analyze
//! verify` on it. verify runs in a scratch root holding this machine's own units (those the
//! unit depends on), the l2x just built where systemd looks for a bare `l2x` (/usr/bin) and the
//! man pages its Documentation= names; nothing of this machine's systemd is touched.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const UNIT: &str = include_str!("../contrib/systemd/l2x@.service");

/// The scratch root, removed when dropped.
struct Root(PathBuf);

impl Drop for Root {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn copy(from: &Path, to: &Path) {
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    let ok = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(ok.success(), "cp {} {}", from.display(), to.display());
}

fn keys(name: &str) -> Vec<String> {
    UNIT.lines()
        .filter_map(|l| l.strip_prefix(&format!("{name}=")))
        .flat_map(|v| v.split_whitespace().map(str::to_string))
        .collect()
}

#[test]
fn the_unit_applies_before_container_managers_and_downs_at_stop() {
    for manager in ["lxc.service", "libvirtd.service", "docker.service"] {
        assert!(keys("Before").contains(&manager.to_string()), "{manager}");
    }
    assert_eq!(keys("After"), ["network-online.target"]);
    assert_eq!(keys("Wants"), ["network-online.target"]);
    assert_eq!(keys("ExecStart"), ["l2x", "apply", "/etc/l2x/%i.toml"]);
    assert_eq!(keys("ExecStop"), ["l2x", "down", "/etc/l2x/%i.toml"]);
    // The DHCP server `apply` leaves running must stay with the unit, not be ended with it.
    assert_eq!(keys("Type"), ["oneshot"]);
    assert_eq!(keys("RemainAfterExit"), ["yes"]);
}

#[test]
fn systemd_analyze_verify_passes() {
    let root = Root(std::env::temp_dir().join(format!("l2x-unit-{}", std::process::id())));
    let units = root.0.join("usr/lib/systemd/system");
    let system = if Path::new("/usr/lib/systemd/system").is_dir() {
        "/usr/lib/systemd/system"
    } else {
        "/lib/systemd/system"
    };
    copy(Path::new(system), &units);
    let unit = units.join("l2x@.service");
    fs::write(&unit, UNIT).unwrap();
    copy(
        Path::new(env!("CARGO_BIN_EXE_l2x")),
        &root.0.join("usr/bin/l2x"),
    );
    let man = root.0.join("usr/share/man");
    for page in ["l2x-apply.1", "l2x-down.1"] {
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("man").join(page);
        copy(&from, &man.join("man1").join(page));
    }
    let verify = |unit: &Path| {
        let out = Command::new("systemd-analyze")
            .arg("verify")
            .arg(format!("--root={}", root.0.display()))
            .arg(unit)
            .env("MANPATH", &man)
            .output()
            .expect("run systemd-analyze (tests/install-deps installs systemd)");
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), said)
    };
    let (ok, said) = verify(&unit);
    assert!(ok, "systemd-analyze verify: {said}");
    assert_eq!(said, "", "verify prints nothing for a unit without faults");
    // The same unit naming a program that is not there fails: verify does look.
    let broken = units.join("l2x-broken@.service");
    fs::write(
        &broken,
        UNIT.replace("ExecStart=l2x ", "ExecStart=l2x-not-there "),
    )
    .unwrap();
    let (ok, said) = verify(&broken);
    assert!(!ok && said.contains("l2x-not-there"), "{said}");
}
