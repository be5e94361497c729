//! The engine every change goes through: read what the plan needs, plan, and (unless it is a
//! dry run) execute, holding the namespace's lock so that concurrent l2x commands take turns.
//! A plan made on a state that moved before it ran (a link of the name appeared, the ruleset
//! changed) is made again from a fresh read.

use anyhow::Result;

use crate::nl::{Sockets, lock};
use crate::plan::exec::{self, Failure};
use crate::plan::{Event, Plan};
use crate::report::Out;

/// How many times a plan is made anew when the kernel's state moved under it.
const ATTEMPTS: usize = 5;

/// Runs `plan_with` (which reads and plans; `presume` says it may skip reading what a
/// create would find out by itself) and executes its plan. Returns the events to report: the
/// plan's, with `dry_run`.
pub fn change(
    s: &mut Sockets,
    out: &Out,
    dry_run: bool,
    mut plan_with: impl FnMut(&mut Sockets, bool) -> Result<Plan>,
) -> Result<Vec<Event>> {
    if dry_run {
        return Ok(plan_with(s, false)?.events());
    }
    let _lock = lock::acquire()?;
    let mut presume = true;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let plan = plan_with(s, presume)?;
        if plan.is_noop() {
            return Ok(plan.events());
        }
        match exec::execute(s, plan) {
            Ok(events) => return Ok(events),
            Err(f) if f.stale && attempt < ATTEMPTS => presume = false,
            Err(f) => return Err(failed(out, f)),
        }
    }
}

/// What a failure leaves to say besides its error: the changes that stayed done, and the
/// steps that could not be undone.
fn failed(out: &Out, f: Failure) -> anyhow::Error {
    if !f.done.is_empty() {
        crate::plan::event::report(out, &f.done, false);
    }
    for step in &f.not_undone {
        out.warn(
            &format!("not undone: {step}"),
            "`l2x show` shows what is left; remove it by hand",
        );
    }
    f.error
}
