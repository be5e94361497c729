//! l2x: one Ethernet segment stretched across Linux hosts. The program is `main()`
//! (src/main.rs only calls it); the fuzz targets under fuzz/ reach the parsers through
//! `fuzzing`, which exists only in their builds.

mod cli;
mod cmd;
mod dhcp;
mod dns;
mod error;
#[cfg(fuzzing)]
pub mod fuzzing;
mod logger;
mod msg;
mod nl;
mod plan;
mod printable;
mod report;
mod segment;
mod show;
mod spec;
mod state;

use clap::Parser;
use clap::error::ErrorKind;

pub fn main() {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => std::process::exit(command_line_error(e)),
    };
    if let Err(err) = cmd::run(cli) {
        std::process::exit(report::fail(&err));
    }
}

/// Help and version go to stdout as clap writes them; a wrong command line becomes the same
/// one-line `l2x: ...` error every other failure gets, exit status 2.
fn command_line_error(e: clap::Error) -> i32 {
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
        || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    {
        report::print(&e.render().to_string());
        return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            report::EXIT_USAGE
        } else {
            0
        };
    }
    let text = e.render().to_string();
    eprintln!("l2x: {}", first_sentence(&text));
    if let Some(tip) = text.lines().find_map(|l| l.trim().strip_prefix("tip: ")) {
        eprintln!("hint: {tip}");
    } else {
        eprintln!("hint: `l2x --help` or `l2x COMMAND --help` shows the usage");
    }
    report::EXIT_USAGE
}

/// clap's first line, with the indented lines that complete it when it ends in a colon ("the
/// following required arguments were not provided:" is followed by their names).
fn first_sentence(text: &str) -> String {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("invalid command line");
    let first = first.trim_start_matches("error: ");
    if !first.ends_with(':') {
        return first.to_string();
    }
    let rest: Vec<&str> = lines
        .take_while(|l| l.starts_with(char::is_whitespace) && !l.trim().is_empty())
        .map(str::trim)
        .collect();
    format!("{first} {}", rest.join(", "))
}
