//! How l2x talks to its user: one line per object changed on stdout, errors as one line
//! `l2x: <what failed>: <why>` plus an optional `hint:` line on stderr, and the exit status.

use std::fmt;
use std::io::{self, Write};

use crate::nl::KernelError;

/// Exit status: the command line itself is wrong.
pub const EXIT_USAGE: i32 = 2;
/// Exit status: the operation failed.
pub const EXIT_FAILED: i32 = 1;

/// An error that knows what the user should do about it.
#[derive(Debug)]
pub struct Hinted {
    message: String,
    hint: String,
}

impl Hinted {
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Hinted {
            message: message.into(),
            hint: hint.into(),
        }
    }
}

impl fmt::Display for Hinted {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Hinted {}

/// The command line is wrong in a way the parser could not see (two options that conflict,
/// an address outside a range): exit status 2, nothing sent to the kernel.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

pub fn usage(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError(message.into()))
}

/// Prints the error and returns the exit status it calls for.
pub fn fail(err: &anyhow::Error) -> i32 {
    eprintln!("l2x: {err:#}");
    let hint = err.chain().find_map(|e| {
        if let Some(k) = e.downcast_ref::<KernelError>() {
            k.hint()
        } else {
            e.downcast_ref::<Hinted>().map(|h| h.hint.clone())
        }
    });
    if let Some(hint) = hint {
        eprintln!("hint: {hint}");
    }
    if err.chain().any(|e| e.is::<UsageError>()) {
        EXIT_USAGE
    } else {
        EXIT_FAILED
    }
}

/// Where command output goes: change lines unless `-q`, tables or JSON for show commands.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub quiet: bool,
    pub json: bool,
}

impl Out {
    /// `bridge br0: created`.
    pub fn changed(&self, object: &str, what: &str) {
        if !self.quiet {
            print(&format!("{object}: {what}\n"));
        }
    }

    /// A note that belongs with a change (an MTU the kernel chose); silenced by `-q` too.
    pub fn note(&self, text: &str) {
        if !self.quiet {
            print(&format!("  {text}\n"));
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
