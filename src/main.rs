//! l2x: one Ethernet segment stretched across Linux hosts.

mod cli;
mod cmd;
mod dhcp;
mod msg;
mod nl;
mod report;
mod show;

use clap::Parser;
use clap::error::ErrorKind;

fn main() {
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
    let first = text.lines().next().unwrap_or("invalid command line");
    eprintln!("l2x: {}", first.trim_start_matches("error: "));
    if let Some(tip) = text.lines().find_map(|l| l.trim().strip_prefix("tip: ")) {
        eprintln!("hint: {tip}");
    } else {
        eprintln!("hint: `l2x --help` or `l2x COMMAND --help` shows the usage");
    }
    report::EXIT_USAGE
}
