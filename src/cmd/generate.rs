//! `l2x generate DIR`: shell completions and man pages, made from the clap definitions so they
//! never drift from the binary. The committed copies are checked by tests/generated.rs.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// The command tree as the generated files show it: the release alone, without the commit
/// `--version` adds, so that the committed files change with the interface only.
fn command() -> clap::Command {
    Cli::command().version(env!("CARGO_PKG_VERSION"))
}

pub fn run(dir: &Path) -> Result<()> {
    completions(&dir.join("completions"))?;
    man_pages(&dir.join("man"))
}

fn completions(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let mut cmd = command();
        clap_complete::generate_to(shell, &mut cmd, "l2x", dir)
            .with_context(|| format!("write {shell} completions"))?;
    }
    Ok(())
}

/// l2x.1, and one page per subcommand at every depth (l2x-bridge-add.1, ...).
fn man_pages(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    clap_mangen::generate_to(command(), dir)
        .with_context(|| format!("write man pages to {}", dir.display()))
}
