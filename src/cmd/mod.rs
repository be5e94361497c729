//! One thin module per subcommand: validate, resolve names, ask `msg` for requests, hand them
//! to `nl`, report.

mod attach;
mod bridge;
mod dhcp;
mod diff;
mod doctor;
mod forwarding;
mod generate;
mod key;
mod lab;
mod links;
mod nat;
mod probe;
mod show;
mod tunnel;

use anyhow::{Context, Result};

use crate::cli::{Cli, Command};
use crate::nl::{self, Netlink};
use crate::report::Out;

/// What every command works with: an rtnetlink socket in the target namespace, the output,
/// and the global options a command may need to know (the namespace names DHCP's files).
/// Commands that need another netlink family open it themselves, `verbose` as given.
pub struct Ctx {
    pub nl: Netlink,
    pub out: Out,
    pub netns: Option<String>,
    /// `-v`: other sockets a command opens (generic netlink, nf_tables) print their requests too.
    pub verbose: bool,
}

pub fn run(cli: Cli) -> Result<()> {
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
        nl: Netlink::route(cli.verbose)?,
        out: Out {
            quiet: cli.quiet,
            json: cli.json,
        },
        netns: cli.netns.clone(),
        verbose: cli.verbose,
    };
    match &cli.command {
        Command::Bridge(cmd) => bridge::run(&mut ctx, cmd),
        Command::Tunnel(cmd) => tunnel::run(&mut ctx, cmd),
        Command::Attach(args) => attach::attach(&mut ctx, args)
            .with_context(|| format!("attach {} {}", args.iface, args.bridge)),
        Command::Detach { iface } => {
            attach::detach(&mut ctx, iface).with_context(|| format!("detach {iface}"))
        }
        Command::Nat(cmd) => nat::run(&mut ctx, cmd),
        Command::Dhcp(cmd) => dhcp::run(&mut ctx, cmd),
        Command::Show => show::everything(&mut ctx),
        Command::Lab(cmd) => lab::run(&mut ctx, cmd),
        Command::Doctor => doctor::run(&mut ctx),
        Command::Generate { .. } | Command::Key(_) => {
            unreachable!("handled before entering the namespace")
        }
    }
}
