//! `l2x down FILE`: everything apply made for the segment on this host removed (its tunnels,
//! its bridge, its masquerade, its DHCP server), the ports it attached given back as they were;
//! the lease file stays. Each change is tried even when one fails.

use anyhow::Result;

use super::segment::{self, dhcp_running, stop_dhcp, summarize};
use super::{Ctx, engine};
use crate::cli::SegmentArgs;
use crate::nl::{netns, uapi};
use crate::plan::{Action, Event};
use crate::segment::part::Part;
use crate::segment::plan;
use crate::segment::record::Record;

pub fn run(ctx: &mut Ctx, args: &SegmentArgs, dry_run: bool) -> Result<()> {
    let (seg, host) = segment::load(ctx, args)?;
    let part = Part::new(&seg, &host);
    let netns_id = netns::current_id()?;
    let mut rec = Record::read(&netns_id, &seg.name)?;
    let mut events = engine::change(&mut ctx.s, &ctx.out, dry_run, |s, _| {
        let st = segment::read(s, &part, &rec)?;
        plan::down(&part, &st, &rec)
    })?;
    if let Some(pid) = dhcp_running(&part)?.filter(|_| rec.dhcp.is_some() || part.dhcp.is_some()) {
        if !dry_run {
            stop_dhcp(ctx, &part, &mut rec)?;
        }
        events.push(
            Event::new("dhcp", seg.name.as_str(), Action::Stop, "")
                .said(format!("stopped (pid {pid})"), format!("stop (pid {pid})")),
        );
    }
    if !dry_run {
        Record::remove(&netns_id, &seg.name)?;
        if let Some(w) = &part.wireguard {
            uapi::forget(&w.name)?;
        }
    }
    let events = summarize(events, &part, "down", "take down");
    ctx.report(&events, dry_run);
    Ok(())
}
