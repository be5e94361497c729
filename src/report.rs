//! How l2x talks to its user: one line per object changed on stdout, errors as one line
//! `l2x: <what failed>: <why>` plus an optional `hint:` line on stderr, and the exit status.

use std::io::{self, Write};

pub use crate::error::{Hinted, UsageError, usage};
use crate::nl::KernelError;

/// Exit status: the command line itself is wrong.
pub const EXIT_USAGE: i32 = 2;
/// Exit status: the operation failed.
pub const EXIT_FAILED: i32 = 1;

/// Prints the error and returns the exit status it calls for. A stderr that cannot be
/// written (a closed pipe, a full disk under a log file) loses the text, never the status:
/// `eprintln!` would panic there.
pub fn fail(err: &anyhow::Error) -> i32 {
    let mut stderr = io::stderr().lock();
    let _ = writeln!(stderr, "l2x: {err:#}");
    let hint = err.chain().find_map(|e| {
        if let Some(k) = e.downcast_ref::<KernelError>() {
            k.hint()
        } else {
            e.downcast_ref::<Hinted>().map(|h| h.hint().to_string())
        }
    });
    if let Some(hint) = hint {
        let _ = writeln!(stderr, "hint: {hint}");
    }
    if err.chain().any(|e| e.is::<UsageError>()) {
        EXIT_USAGE
    } else {
        EXIT_FAILED
    }
}

/// Where command output goes: change lines unless `-q`, tables or JSON for show commands.
#[derive(Debug, Clone, Copy, Default)]
pub struct Out {
    pub quiet: bool,
    pub json: bool,
    /// Change lines are indented: the command is a step of another (the lab's runbook).
    pub indent: bool,
}

impl Out {
    /// Change lines, as a command prints them (indented when it is a step of another).
    pub fn lines(&self, text: &str) {
        if self.indent {
            let indented: String = text.lines().map(|l| format!("  {l}\n")).collect();
            print(&indented);
        } else {
            print(text);
        }
    }

    /// Something that did not stop the command but may stop what the user wants from it: on
    /// stderr, even with `-q`, with what to do about it.
    pub fn warn(&self, text: &str, hint: &str) {
        eprintln!("warning: {text}");
        eprintln!("hint: {hint}");
    }

    /// A show command's document: the table, or with `-j` the JSON.
    pub fn show<T: serde::Serialize>(&self, value: &T, table: impl FnOnce() -> String) {
        let text = if self.json {
            serde_json::to_string_pretty(value).expect("plain data serialises") + "\n"
        } else {
            table()
        };
        print(&text);
    }
}

/// Writes to stdout; a reader that went away (`l2x show | head`) ends the program quietly.
pub fn print(text: &str) {
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("l2x: writing output: {e}");
        std::process::exit(EXIT_FAILED);
    }
}
