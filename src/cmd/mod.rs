//! One thin module per subcommand: arguments become a spec, the engine reads, plans and
//! executes, and the command reports what happened.

mod apply;
mod attach;
mod bridge;
mod dhcp;
mod doctor;
mod down;
mod engine;
mod generate;
mod key;
mod lab;
mod nat;
mod segment;
mod show;
mod status;
mod tunnel;

use std::thread;

use anyhow::{Context, Result, anyhow};
use clap::Parser;

use crate::cli::{Cli, Command};
use crate::nl::{self, Sockets};
use crate::plan::Event;
use crate::report::Out;

/// What every command works with: the netlink sockets of the target namespace, the output,
/// and the global options a command may need to know (the namespace names DHCP's files).
pub struct Ctx {
    pub s: Sockets,
    pub out: Out,
    pub netns: Option<String>,
    /// `-v`: every netlink request is printed as it is sent.
    pub verbose: bool,
}

impl Ctx {
    /// Prints a change command's events: lines, or with -j the document.
    pub fn report(&self, events: &[Event], dry_run: bool) {
        crate::plan::event::report(&self.out, events, dry_run);
    }
}

pub fn run(cli: Cli) -> Result<()> {
    let out = Out {
        quiet: cli.quiet,
        json: cli.json,
        indent: false,
    };
    run_with(cli, out)
}

/// Runs a command line with its output going where `out` says: the lab runs its steps so.
pub fn run_with(cli: Cli, out: Out) -> Result<()> {
    // Neither needs the kernel, nor root.
    match &cli.command {
        Command::Generate { dir } => return generate::run(dir),
        Command::Key(cmd) => return key::run(cmd),
        _ => {}
    }
    if let Some(ns) = &cli.netns {
        nl::netns::enter(ns)?;
    }
    let mut ctx = Ctx {
        s: Sockets::open(cli.verbose)?,
        out,
        netns: cli.netns.clone(),
        verbose: cli.verbose,
    };
    match &cli.command {
        Command::Bridge(cmd) => bridge::run(&mut ctx, cmd),
        Command::Tunnel(cmd) => tunnel::run(&mut ctx, cmd),
        Command::Attach(args) => attach::attach(&mut ctx, args)
            .with_context(|| format!("attach {} {}", args.iface, args.bridge)),
        Command::Detach(args) => {
            attach::detach(&mut ctx, args).with_context(|| format!("detach {}", args.iface))
        }
        Command::Nat(cmd) => nat::run(&mut ctx, cmd),
        Command::Apply(args) => apply::run(&mut ctx, args)
            .with_context(|| format!("apply {}", args.segment.file.display())),
        Command::Down { segment, change } => down::run(&mut ctx, segment, change.dry_run)
            .with_context(|| format!("down {}", segment.file.display())),
        Command::Status(args) => {
            status::run(&mut ctx, args).with_context(|| format!("status {}", args.file.display()))
        }
        Command::Dhcp(cmd) => dhcp::run(&mut ctx, cmd),
        Command::Show => show::everything(&mut ctx),
        Command::Lab(cmd) => lab::run(&mut ctx, cmd),
        Command::Doctor => doctor::run(&mut ctx),
        Command::Generate { .. } | Command::Key(_) => {
            unreachable!("handled before entering the namespace")
        }
    }
}

/// Runs an l2x command line (`argv[0]` is `l2x`) in this process, on a thread of its own: a
/// command enters its `-n` namespace, and a namespace belongs to a thread. So one command runs
/// another through exactly the code a user's would. (A command that forks a daemon, `dhcp
/// serve --daemon`, forks from that thread: in the daemon it is the only one, and the daemon
/// ends when it returns.)
pub fn run_line(argv: &[String], out: Out) -> Result<()> {
    let line = argv.join(" ");
    let cli = Cli::try_parse_from(argv).map_err(|e| anyhow!("`{line}`: {e}"))?;
    thread::scope(|s| {
        s.spawn(move || run_with(cli, out))
            .join()
            .unwrap_or_else(|_| Err(anyhow!("the command's thread panicked")))
    })
    .with_context(|| format!("`{line}`"))
}
