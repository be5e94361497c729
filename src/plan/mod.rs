//! The engine's middle: a plan is a list of typed changes, each with the steps (netlink
//! requests, described as data) that make it and what undoes each; `exec` runs a plan, undoes
//! what it made when a later step fails, and returns the events to report. Planners (in
//! `spec`) make plans from what is wanted and what `state` read; nothing here decides what
//! should change.

pub mod diff;
pub mod event;
pub mod exec;
pub mod op;

use std::collections::HashMap;

pub use event::{Action, Event};
pub use op::{Mark, Master, Op, Place, Set};

/// One step and what undoes it, if anything can.
#[derive(Debug, Clone)]
pub struct Step {
    pub op: Op,
    pub undo: Option<Op>,
}

impl Step {
    pub fn new(op: Op, undo: Op) -> Step {
        Step {
            op,
            undo: Some(undo),
        }
    }

    /// A step nothing needs to undo: a change the user asked to be rid of anyway (a delete).
    pub fn final_(op: Op) -> Step {
        Step { op, undo: None }
    }
}

/// One change to one object: what it is in the user's words, and its steps.
#[derive(Debug, Clone)]
pub struct Change {
    pub event: Event,
    pub steps: Vec<Step>,
}

impl Change {
    pub fn new(event: Event, steps: Vec<Step>) -> Change {
        Change { event, steps }
    }

    /// Nothing to do: the object is as asked.
    pub fn unchanged(object: &'static str, name: impl Into<String>) -> Change {
        Change::new(Event::unchanged(object, name), Vec::new())
    }
}

/// How a plan runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Run {
    /// All or nothing: a failed step undoes every step before it.
    #[default]
    Atomic,
    /// Teardown: a failed change is reported and the rest still run.
    KeepGoing,
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub changes: Vec<Change>,
    /// Interface indexes the planner read, so that steps naming them need no lookup.
    pub known: HashMap<String, u32>,
    pub run: Run,
}

impl Plan {
    pub fn push(&mut self, change: Change) {
        self.changes.push(change);
    }

    pub fn extend(&mut self, other: Plan) {
        self.changes.extend(other.changes);
        self.known.extend(other.known);
    }

    /// Records a link's index for the steps that name it.
    pub fn knows(&mut self, link: &crate::msg::link::Link) {
        self.known.insert(link.name.clone(), link.index);
    }

    /// The plan sends nothing that changes anything.
    pub fn is_noop(&self) -> bool {
        self.changes.iter().all(|c| c.steps.is_empty())
    }

    pub fn events(&self) -> Vec<Event> {
        self.changes.iter().map(|c| c.event.clone()).collect()
    }

    /// Every step, in words: what the planners' tests compare.
    #[cfg(test)]
    pub fn steps(&self) -> Vec<String> {
        self.changes
            .iter()
            .flat_map(|c| c.steps.iter().map(|s| s.op.what()))
            .collect()
    }
}
