//! Running the lab's steps: each is an l2x command line, parsed and run in this very process
//! on a thread of its own (a command enters its `-n` namespace, and a namespace belongs to a
//! thread), so the lab goes through exactly the code a user's command would. Each step's
//! command line is printed, and under it what the command printed, as a runbook. The few steps
//! l2x has no command for are reported in the same style.

use anyhow::Result;

use crate::report::Out;

/// Where the steps are reported; silent with -q, and with -j (stdout is the JSON document).
#[derive(Debug, Clone, Copy)]
pub struct Steps {
    silent: bool,
    /// Print the steps, run none.
    pub dry_run: bool,
    verbose: bool,
}

impl Steps {
    pub fn new(out: Out, dry_run: bool, verbose: bool) -> Steps {
        Steps {
            silent: out.quiet || out.json,
            dry_run,
            verbose,
        }
    }

    /// `l2x -n NETNS ARGS...`, which must succeed; its error becomes the lab's, hint and all.
    pub fn l2x(&self, netns: &str, args: &[String]) -> Result<()> {
        let line = format!("l2x -n {netns} {}", args.join(" "));
        self.say(&line);
        if self.dry_run {
            return Ok(());
        }
        let mut argv = vec!["l2x".to_string(), "-n".into(), netns.to_string()];
        if self.verbose {
            argv.push("-v".into());
        }
        argv.extend(args.iter().cloned());
        let out = Out {
            quiet: self.silent,
            json: false,
            indent: true,
        };
        super::super::run_line(&argv, out)
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
