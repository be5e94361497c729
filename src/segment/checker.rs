//! What a check of a segment file refuses it with, and the checker that names the key and
//! the line of each fault: shared by every part of the check.

use toml::Spanned;

use super::file::{self, Fault};

/// Why a file is not applied.
#[derive(Debug)]
pub enum Refusal {
    /// The file is wrong: exit status 2.
    Wrong(Fault),
}

pub struct Checker<'a> {
    text: &'a str,
}

impl Checker<'_> {
    pub fn new(text: &str) -> Checker<'_> {
        Checker { text }
    }

    pub fn fault(&self, key: &str, span: std::ops::Range<usize>, message: String) -> Fault {
        Fault {
            line: file::line_of(self.text, span.start),
            key: Some(key.to_string()),
            message,
        }
    }

    pub fn at<T>(&self, key: &str, value: &Spanned<T>, message: impl Into<String>) -> Refusal {
        Refusal::Wrong(self.fault(key, value.span(), message.into()))
    }
}
