//! `l2x status FILE`: for each other host of the segment, whether frames cross to it and back
//! right now, probed with ICMPv6 echo requests from this host's bridge to the peer's bridge at
//! the link-local address its derived MAC gives it; with the tunnel's kind, MTU and counters.
//! Exit status 1 when a peer does not answer within 2 s.

use std::time::Duration;

use anyhow::{Result, anyhow};

use super::Ctx;
use super::segment;
use crate::cli::SegmentArgs;
use crate::report::Hinted;
use crate::segment::derive;
use crate::segment::part::Part;
use crate::show;
use crate::show::segment::{PeerView, StatusView};

use crate::state::{echo, links, wireguard};
use std::time::SystemTime;

/// How long the peers have to answer.
const WITHIN: Duration = Duration::from_secs(2);

pub fn run(ctx: &mut Ctx, args: &SegmentArgs) -> Result<()> {
    let (seg, host) = segment::load(ctx, args)?;
    let part = Part::new(&seg, &host);
    let bridge = links::find(&mut ctx.s.route, &seg.name)?
        .filter(|b| b.is_kind("bridge") && part.marks.is_ours(b))
        .ok_or_else(|| {
            anyhow!(Hinted::new(
                format!(
                    "segment {} is not applied on host {} here",
                    seg.name, host.name
                ),
                format!("`l2x apply {}` makes this host's part", args.file.display()),
            ))
        })?;
    let peers: Vec<&crate::segment::Host> =
        seg.hosts.iter().filter(|h| h.name != host.name).collect();
    let targets: Vec<_> = peers
        .iter()
        .map(|p| derive::link_local(derive::bridge_mac(&seg.name, &p.name)))
        .collect();
    let answers = echo::echo(bridge.index, &targets, WITHIN)?;
    let wg = encrypted_peers(ctx, &part)?;
    let mut views = Vec::new();
    for (peer, answer) in peers.iter().zip(answers) {
        // A spoke reaches the other spokes through its one tunnel, to the router host.
        let end = part
            .tunnels
            .iter()
            .find(|t| t.peers.contains(&peer.name))
            .or(part.tunnels.first());
        let link = match end {
            Some(e) => links::find(&mut ctx.s.route, &e.name)?,
            None => None,
        };
        views.push(PeerView {
            host: peer.name.clone(),
            tunnel: end.map_or(String::new(), |e| e.name.clone()),
            kind: seg.tunnel.name().to_string(),
            mtu: link.as_ref().map(|l| l.mtu),
            reachable: answer.is_some(),
            rtt_ms: answer.map(|d| d.as_secs_f64() * 1e3),
            counters: link.and_then(|l| l.stats),
            wireguard: peer
                .public_key
                .and_then(|k| wg.iter().find(|p| p.public_key == k).cloned()),
            encrypted: seg.encrypted,
        });
    }
    let unreachable: Vec<String> = views
        .iter()
        .filter(|v| !v.reachable)
        .map(|v| v.host.clone())
        .collect();
    // A peer WireGuard never shook hands with: the keys do not match, or it is out of reach.
    let silent: Vec<String> = views
        .iter()
        .filter(|v| {
            v.encrypted
                && v.wireguard
                    .as_ref()
                    .is_none_or(|w| w.handshake_ago.is_none())
        })
        .map(|v| v.host.clone())
        .collect();
    let view = StatusView {
        segment: seg.name.clone(),
        host: host.name.clone(),
        unreachable: unreachable.len(),
        peers: views,
    };
    ctx.out.show(&view, || view.table());
    if unreachable.is_empty() {
        return Ok(());
    }
    if !silent.is_empty() {
        return Err(anyhow!(Hinted::new(
            format!(
                "{} of {} peers did not answer within {} s: {}; no WireGuard handshake with {}",
                unreachable.len(),
                view.peers.len(),
                WITHIN.as_secs(),
                unreachable.join(", "),
                silent.join(", ")
            ),
            "a handshake needs each host's public_key in the file on every host to be the key \
             of its key file (`l2x key pub --key-file PATH`), and the WireGuard port open between \
             them",
        )));
    }
    Err(anyhow!(Hinted::new(
        format!(
            "{} of {} peers did not answer within {} s: {}",
            unreachable.len(),
            view.peers.len(),
            WITHIN.as_secs(),
            unreachable.join(", ")
        ),
        "apply the file on those hosts, and check the underlay between them (`l2x doctor`)",
    )))
}

/// The peers of this host's WireGuard interface, in an encrypted segment (none when the
/// interface is missing or nothing runs it).
fn encrypted_peers(ctx: &mut Ctx, part: &Part) -> Result<Vec<show::wireguard::PeerView>> {
    let Some(w) = &part.wireguard else {
        return Ok(Vec::new());
    };
    let Some(link) = links::find(&mut ctx.s.route, &w.name)? else {
        return Ok(Vec::new());
    };
    let Some(backend) = wireguard::runs(&link)? else {
        return Ok(Vec::new());
    };
    let dev = wireguard::read(&mut ctx.s, &w.name, backend)?;
    let now = SystemTime::now();
    Ok(dev
        .peers
        .iter()
        .map(|p| show::wireguard::peer(p, now))
        .collect())
}
