//! Comparing an object that exists with the one asked for. Each setting that differs is a
//! `Difference`: the words every "exists with other settings" error uses (`name have (wanted
//! want)`), and the steps that would make it so, for a planner that converges instead of
//! refusing.

use std::fmt::Display;

use anyhow::{Result, bail};

use super::{Action, Change, Event, Step};

#[derive(Debug, Clone)]
pub struct Difference {
    pub said: String,
    /// What fixes it in place; None when only making the object anew would.
    pub fix: Option<Vec<Step>>,
}

pub type Diffs = Vec<Difference>;

fn push(diffs: &mut Diffs, said: String, fix: Option<Vec<Step>>) {
    diffs.push(Difference { said, fix });
}

/// `name have (wanted want)` when they differ.
pub fn setting<T: PartialEq + Display>(
    diffs: &mut Diffs,
    name: &str,
    have: T,
    want: T,
    fix: impl FnOnce() -> Option<Vec<Step>>,
) {
    if have != want {
        push(diffs, format!("{name} {have} (wanted {want})"), fix());
    }
}

/// The same, for settings that may be absent ("none").
pub fn optional<T: PartialEq + Display>(
    diffs: &mut Diffs,
    name: &str,
    have: Option<T>,
    want: Option<T>,
    fix: impl FnOnce() -> Option<Vec<Step>>,
) {
    if have != want {
        let show = |v: &Option<T>| v.as_ref().map_or("none".to_string(), T::to_string);
        let said = format!("{name} {} (wanted {})", show(&have), show(&want));
        push(diffs, said, fix());
    }
}

/// A flag, as `on` or `off`.
pub fn switch(
    diffs: &mut Diffs,
    name: &str,
    have: bool,
    want: bool,
    fix: impl FnOnce() -> Vec<Step>,
) {
    let on_off = |b: bool| if b { "on" } else { "off" };
    setting(diffs, name, on_off(have), on_off(want), || Some(fix()));
}

/// A link that every command sets up, found down.
pub fn up(diffs: &mut Diffs, up: bool, fix: impl FnOnce() -> Vec<Step>) {
    if !up {
        push(diffs, "state down (wanted up)".to_string(), Some(fix()));
    }
}

/// Members of a set (addresses, remotes): `name x missing` for each wanted one the object
/// lacks, `name x not asked for` for each it has beyond them.
pub fn members<T: PartialEq + Display + Clone>(
    diffs: &mut Diffs,
    name: &str,
    have: &[T],
    want: &[T],
    add: impl Fn(&T) -> Vec<Step>,
    remove: impl Fn(&T) -> Vec<Step>,
) {
    for missing in want.iter().filter(|w| !have.contains(w)) {
        push(
            diffs,
            format!("{name} {missing} missing"),
            Some(add(missing)),
        );
    }
    for extra in have.iter().filter(|h| !want.contains(h)) {
        push(
            diffs,
            format!("{name} {extra} not asked for"),
            Some(remove(extra)),
        );
    }
}

/// A difference in words only: what it would take is decided by whoever reads it.
pub fn said(diffs: &mut Diffs, said: String) {
    push(diffs, said, None);
}

/// A difference in words, with the steps that fix it.
pub fn said_with(diffs: &mut Diffs, said: String, fix: Vec<Step>) {
    push(diffs, said, Some(fix));
}

/// Fails with `{what} with other settings: ...` when anything differs: what the imperative
/// commands do with an object that exists with other settings.
pub fn none_or_fail(diffs: &Diffs, what: &str) -> Result<()> {
    if !diffs.is_empty() {
        let said: Vec<&str> = diffs.iter().map(|d| d.said.as_str()).collect();
        bail!("{what} with other settings: {}", said.join(", "));
    }
    Ok(())
}

/// Every fix, in order, or None when some difference has none.
pub fn fixes(diffs: Diffs) -> Option<Vec<Step>> {
    let mut steps = Vec::new();
    for d in diffs {
        steps.extend(d.fix?);
    }
    Some(steps)
}

/// An object that exists, converged: unchanged when nothing differs, else one change that
/// fixes every difference in place; an error when one of them cannot be fixed so.
pub fn converge(object: &'static str, name: &str, diffs: Diffs) -> Result<Change> {
    if diffs.is_empty() {
        return Ok(Change::unchanged(object, name));
    }
    let detail = summary(&diffs);
    let Some(steps) = fixes(diffs) else {
        bail!("{name} cannot be changed in place: {detail}");
    };
    Ok(Change::new(
        Event::new(object, name, Action::Change, detail),
        steps,
    ))
}

/// The differences in words, for a change's detail.
pub fn summary(diffs: &Diffs) -> String {
    let said: Vec<&str> = diffs.iter().map(|d| d.said.as_str()).collect();
    said.join(", ")
}
