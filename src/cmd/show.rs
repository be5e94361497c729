//! `l2x show` and the show commands of each object kind.

use anyhow::{Result, anyhow};
use serde::Serialize;

use super::{Ctx, links};
use crate::cli::IfName;
use crate::report::Hinted;
use crate::show::{Overview, bridges};

#[derive(Serialize)]
struct Bridges {
    bridges: Vec<bridges::BridgeView>,
}

pub fn bridges(ctx: &mut Ctx, only: Option<&IfName>) -> Result<()> {
    let list = collect_bridges(ctx, only.map(IfName::as_str))?;
    if let (Some(name), true) = (only, list.is_empty()) {
        return Err(anyhow!(Hinted::new(
            format!("bridge show {name}: no such bridge"),
            "`l2x bridge show` lists the bridges",
        )));
    }
    let doc = Bridges { bridges: list };
    ctx.out.show(&doc, || bridges::table(&doc.bridges));
    Ok(())
}

pub fn everything(ctx: &mut Ctx) -> Result<()> {
    let view = Overview {
        bridges: collect_bridges(ctx, None)?,
        dhcp: super::dhcp::servers(ctx)?,
    };
    ctx.out.show(&view, || view.table());
    Ok(())
}

fn collect_bridges(ctx: &mut Ctx, only: Option<&str>) -> Result<Vec<bridges::BridgeView>> {
    let all = links::all(&mut ctx.nl)?;
    let addrs = links::addresses(&mut ctx.nl, 0)?;
    Ok(bridges::collect(&all, &addrs, only))
}
