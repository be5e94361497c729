//! `l2x lab up|status|down`: the whole runbook on this one machine, in network namespaces
//! named PREFIX-* (l2x-lab-* by default), built with l2x's own commands and checked with
//! pings. Nothing outside those namespaces is changed; the lab's files live in /run/l2x/lab.

mod down;
mod file;
mod ping;
mod plan;
mod report;
mod status;
mod step;
mod up;
mod wiring;

use std::fs;
use std::io::ErrorKind;

use anyhow::{Context, Result, anyhow};

use super::Ctx;
use crate::cli::LabCmd;
use crate::report::Hinted;
use plan::{Names, Plan};

pub fn run(ctx: &mut Ctx, cmd: &LabCmd) -> Result<()> {
    match cmd {
        LabCmd::Up(args) => up::run(ctx, args).context("lab up"),
        LabCmd::Status(which) => status::run(ctx, &Names::new(&which.prefix)).context("lab status"),
        LabCmd::Down { prefix, change } => {
            down::run(ctx, &Names::new(&prefix.prefix), change.dry_run).context("lab down")
        }
    }
}

/// The settings of the lab that is up, if any.
fn recorded(names: &Names) -> Result<Option<Plan>> {
    let path = names.plan_file();
    match fs::read_to_string(&path) {
        Ok(text) => Ok(serde_json::from_str(&text).ok()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("read {path}")),
    }
}

/// Records `plan` before anything is built, so that a half-built lab is known too; a lab with
/// other settings must be taken down first (its devices would clash with the new ones).
fn claim(names: &Names, plan: &Plan) -> Result<()> {
    if let Some(other) = recorded(names)?.filter(|p| p != plan) {
        return Err(anyhow!(Hinted::new(
            format!(
                "a lab with {} tunnels and {} hosts is up",
                other.tunnel.name(),
                other.hosts
            ),
            format!("`{}` removes it first", names.command("down")),
        )));
    }
    let dir = names.run_dir();
    fs::create_dir_all(&dir).with_context(|| format!("create {dir}"))?;
    let path = names.plan_file();
    let text = serde_json::to_string(plan).expect("plain data serialises");
    fs::write(&path, text).with_context(|| format!("write {path}"))
}
