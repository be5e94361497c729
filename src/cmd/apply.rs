//! `l2x apply FILE`: this host's part of the segment made to match the file, in one plan the
//! engine runs; then the segment's DHCP server started, kept or restarted as the file says.
//! One line per change, then one for the segment.

use anyhow::Result;
use serde::Serialize;

use super::key::read_private;
use super::segment::{self, converge_dhcp, summarize};
use super::{Ctx, engine};
use crate::cli::ApplyArgs;
use crate::msg::wireguard::key::PrivateKey;
use crate::nl::netns;
use crate::plan::{Change, Event};
use crate::report::Hinted;
use crate::segment::part::Part;
use crate::segment::plan;
use crate::segment::record::Record;
use crate::segment::{Host, Segment, default_key_file};
use crate::state::{routes, wireguard};
use anyhow::anyhow;
use std::path::Path;

/// `-j`: the changes, and the part of the segment this host has (every derived value).
#[derive(Serialize)]
struct Document<'a> {
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    dry_run: bool,
    changes: &'a [Event],
    segment: &'a Part,
}

pub fn run(ctx: &mut Ctx, args: &ApplyArgs) -> Result<()> {
    let (seg, host) = segment::load(ctx, &args.segment)?;
    let part = Part::new(&seg, &host);
    let key = seg
        .encrypted
        .then(|| host_key(&seg, &host, args.key_file.as_deref()))
        .transpose()?;
    let backend = key
        .is_some()
        .then(|| wireguard::require_backend(&mut ctx.s))
        .transpose()?;
    let keyed = key
        .as_ref()
        .zip(backend)
        .map(|(key, backend)| plan::Keyed { key, backend });
    let dry_run = args.change.dry_run;
    let netns_id = netns::current_id()?;
    let rec = Record::read(&netns_id, &seg.name)?;
    let mut sized = part.clone();
    let mut written = rec.clone();
    let events = engine::change(&mut ctx.s, &ctx.out, dry_run, |s, _| {
        let (mtu, notes) = plan::size(&part, routes::path_mtu)?;
        sized = Part {
            mtu: Some(mtu),
            ..part.clone()
        };
        let st = segment::read(s, &sized, &rec)?;
        let applied = plan::apply(&sized, &st, &rec, keyed.as_ref())?;
        // Written before anything changes: a crash leaves a record of all it may have done.
        if !dry_run && applied.record != written {
            applied.record.write(&netns_id)?;
            written = applied.record;
        }
        let mut plan = applied.plan;
        for note in notes {
            plan.changes.insert(0, Change::new(note, Vec::new()));
        }
        Ok(plan)
    })?;
    let mut settled = plan::settled(&sized, written.clone());
    let mut all = events;
    all.extend(converge_dhcp(ctx, &sized, &mut settled, dry_run)?);
    if !dry_run && settled != written {
        settled.write(&netns_id)?;
    }
    let events = summarize(all, &sized, "applied", "apply");
    if ctx.out.json {
        let doc = Document {
            dry_run,
            changes: &events,
            segment: &sized,
        };
        ctx.out.show(&doc, String::new);
    } else {
        ctx.report(&events, dry_run);
    }
    Ok(())
}

/// This host's WireGuard key: from `--key-file`, else /etc/l2x/SEGMENT.key; it must be the
/// one whose public key the file gives this host, or no peer would accept it.
fn host_key(seg: &Segment, host: &Host, given: Option<&Path>) -> Result<PrivateKey> {
    let path = given.map_or_else(|| default_key_file(&seg.name), Path::to_path_buf);
    let key = read_private(&path)?;
    let public = key.public_key();
    if host.public_key != Some(public) {
        return Err(anyhow!(Hinted::new(
            format!(
                "{} is the key of public key {public}, and hosts.{}.public_key is another: \
                 the other hosts would not accept this one; nothing was changed",
                path.display(),
                host.name
            ),
            format!(
                "give hosts.{}.public_key = \"{public}\" in the file on every host, or the \
                 right --key-file",
                host.name
            ),
        )));
    }
    Ok(key)
}
