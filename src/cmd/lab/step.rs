//! Running the lab's steps: each is an l2x command run as its own process (this very binary,
//! with `-n NETNS`), so the lab goes through exactly the code a user's command would; its
//! command line and output are printed as a runbook. The few steps l2x has no command for are
//! reported in the same style.

use std::process::Command;

use anyhow::{Context, Result, anyhow};

use crate::report::{Hinted, Out};

/// Where the steps are reported; silent with -q, and with -j (stdout is the JSON document).
#[derive(Debug, Clone, Copy)]
pub struct Steps {
    silent: bool,
}

impl Steps {
    pub fn new(out: Out) -> Steps {
        Steps {
            silent: out.quiet || out.json,
        }
    }

    /// `l2x -n NETNS ARGS...`, which must succeed; its error becomes the lab's, with its hint.
    pub fn l2x(&self, netns: &str, args: &[String]) -> Result<()> {
        let line = format!("l2x -n {netns} {}", args.join(" "));
        let exe = std::env::current_exe().context("find the l2x binary")?;
        let mut cmd = Command::new(exe);
        cmd.arg("-n").arg(netns).args(args);
        if self.silent {
            cmd.arg("-q");
        }
        let out = cmd.output().with_context(|| format!("run {line}"))?;
        self.say(&line);
        for l in String::from_utf8_lossy(&out.stdout).lines() {
            self.say(&format!("  {l}"));
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            // Warnings and notes a step printed on stderr stay visible.
            for l in stderr.lines() {
                self.say(&format!("  {l}"));
            }
            return Ok(());
        }
        let why = stderr
            .lines()
            .find_map(|l| l.strip_prefix("l2x: "))
            .unwrap_or("failed without saying why");
        let hint = stderr
            .lines()
            .find_map(|l| l.strip_prefix("hint: "))
            .unwrap_or("`l2x lab down` removes what the lab made so far");
        Err(anyhow!(Hinted::new(format!("`{line}`: {why}"), hint)))
    }

    /// A step the lab did itself: `netns l2x-lab-wan: created`.
    pub fn done(&self, object: &str, what: &str) {
        self.say(&format!("{object}: {what}"));
    }

    pub fn say(&self, line: &str) {
        if !self.silent {
            crate::report::print(&format!("{line}\n"));
        }
    }
}

/// `created` or `unchanged`.
pub fn made(created: bool) -> &'static str {
    if created { "created" } else { "unchanged" }
}
