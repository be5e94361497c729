//! Comparing an object that exists with the one a command asks for. Each setting that differs
//! is written `name have (wanted want)`, the words every "exists with other settings" error
//! uses, so a re-run that would change something says exactly what and changes nothing.

use std::fmt::Display;

use anyhow::{Result, bail};

use crate::msg::link::Link;

pub type Diffs = Vec<String>;

/// `name have (wanted want)` when they differ.
pub fn setting<T: PartialEq + Display>(diffs: &mut Diffs, name: &str, have: T, want: T) {
    if have != want {
        diffs.push(format!("{name} {have} (wanted {want})"));
    }
}

/// The same, for settings that may be absent ("none").
pub fn optional<T: PartialEq + Display>(
    diffs: &mut Diffs,
    name: &str,
    have: Option<T>,
    want: Option<T>,
) {
    if have != want {
        let show = |v: &Option<T>| v.as_ref().map_or("none".to_string(), T::to_string);
        diffs.push(format!("{name} {} (wanted {})", show(&have), show(&want)));
    }
}

/// A flag, as `on` or `off`.
pub fn switch(diffs: &mut Diffs, name: &str, have: bool, want: bool) {
    let on_off = |b: bool| if b { "on" } else { "off" };
    setting(diffs, name, on_off(have), on_off(want));
}

/// Every command that makes a link sets it up.
pub fn up(diffs: &mut Diffs, link: &Link) {
    if !link.up {
        diffs.push("state down (wanted up)".to_string());
    }
}

/// Members of a set (addresses, remotes): `name x missing` for each wanted one the object
/// lacks, `name x not asked for` for each it has beyond them.
pub fn members<T: PartialEq + Display>(diffs: &mut Diffs, name: &str, have: &[T], want: &[T]) {
    for missing in want.iter().filter(|w| !have.contains(w)) {
        diffs.push(format!("{name} {missing} missing"));
    }
    for extra in have.iter().filter(|h| !want.contains(h)) {
        diffs.push(format!("{name} {extra} not asked for"));
    }
}

/// Fails with `{what} with other settings: ...` when anything differs.
pub fn none_or_fail(diffs: Diffs, what: &str) -> Result<()> {
    if !diffs.is_empty() {
        bail!("{what} with other settings: {}", diffs.join(", "));
    }
    Ok(())
}
