//! The one plan that makes this host's part of a segment match the file (`apply`), or takes it
//! down (`down`), from what `state::segment` read. apply converges: what is missing is made,
//! what differs is changed in place or made anew, and what the segment made earlier that the
//! file no longer names is removed; anything in the way that is not the segment's is a
//! conflict, refused before anything is sent. Ports that others attached to the bridge (a
//! container manager's veths) are never touched.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use anyhow::{Result, anyhow};

use super::nat;
use super::owner::Owner;
use super::part::{Part, TunnelEnd};
use super::record::{Before, Record};
use crate::msg::l2tp;
use crate::msg::link::Link;
use crate::msg::wireguard::Backend;
use crate::msg::wireguard::key::PrivateKey;
use crate::plan::{Action, Change, Event, Master, Op, Plan, Run, Set, Step};
use crate::report::Hinted;
use crate::spec::Mode;
use crate::spec::bridge;
use crate::spec::hostbridge::Carried;
use crate::spec::port::{ETH_DATA_LEN, Port, PortHave};
use crate::spec::tunnel::{self, TunnelKind, TunnelState};
use crate::spec::wireguard::{self as wg, Have as WgHave};
use crate::state::segment::SegmentState;
use crate::state::tunnel::Tunnel as Have;

/// The MTU of this host's part: the file's, else the smallest of what each tunnel's
/// encapsulation leaves of its path (1500 where no route says otherwise yet), with a note for
/// each path that had no route. In an encrypted segment the paths are WireGuard's, to the
/// peers' underlays, and each packet carries WireGuard's overhead as well as the tunnel's.
pub fn size(
    part: &Part,
    path_mtu: impl Fn(IpAddr, IpAddr) -> Result<Option<u32>>,
) -> Result<(u32, Vec<Event>)> {
    if let Some(mtu) = part.mtu {
        return Ok((mtu, Vec::new()));
    }
    let mut fit = ETH_DATA_LEN;
    let mut notes = Vec::new();
    let mut path = |name: &str, local: IpAddr, remote: IpAddr, overhead: u32| -> Result<()> {
        let mtu = path_mtu(local, remote)?;
        if mtu.is_none() {
            let line = format!("no route to {remote} yet: sized for a 1500-byte underlay");
            notes.push(Event::note("tunnel", name, line.clone(), line));
        }
        fit = fit.min(mtu.unwrap_or(ETH_DATA_LEN).saturating_sub(overhead));
        Ok(())
    };
    if let Some(w) = &part.wireguard {
        let tunnel = match part.tunnels.first() {
            Some(t) => t.device()?.overhead(),
            None => 0,
        };
        // A peer behind NAT has no address to ask a route for: its path is taken as 1500.
        for remote in w.peers.iter().filter_map(|p| p.endpoint).map(|e| e.ip()) {
            let local = w.underlay.unwrap_or(if remote.is_ipv4() {
                IpAddr::V4(Ipv4Addr::UNSPECIFIED)
            } else {
                IpAddr::V6(Ipv6Addr::UNSPECIFIED)
            });
            path(
                &w.name,
                local,
                remote,
                wg::overhead(remote.is_ipv6()) + tunnel,
            )?;
        }
        if w.peers.iter().all(|p| p.endpoint.is_none()) {
            fit = fit.min(ETH_DATA_LEN - wg::overhead(false) - tunnel);
        }
        return Ok((fit, notes));
    }
    for end in &part.tunnels {
        let overhead = end.device()?.overhead();
        for &remote in &end.remotes {
            path(&end.name, end.local, remote, overhead)?;
        }
    }
    Ok((fit, notes))
}

/// What an encrypted segment's WireGuard interface needs that the file does not hold: this
/// host's private key, and what runs a new interface.
pub struct Keyed<'a> {
    pub key: &'a PrivateKey,
    pub backend: Backend,
}

/// What `apply` plans, and the record to write before it runs.
pub struct Applied {
    pub plan: Plan,
    pub record: Record,
}

pub fn apply(
    part: &Part,
    st: &SegmentState,
    rec: &Record,
    keyed: Option<&Keyed>,
) -> Result<Applied> {
    let mut plan = Plan::default();
    let bridge = st.bridge.as_ref();
    if let Some(b) = bridge {
        claim(part, &b.link, "bridge")?;
    }
    let wanted: Vec<&str> = part.tunnels.iter().map(|t| t.name.as_str()).collect();
    for t in &st.tunnels {
        let stale = !wanted.contains(&t.name.as_str());
        if stale && part.marks.tunnel_owner(t) == Owner::Segment {
            plan.push(removal(t, st, "no longer in the file")?);
        }
    }
    plan.extend(stale_l2tp(part, st, true));
    plan.extend(part.bridge_spec().plan(bridge, Mode::Converge)?);
    // The tunnels start from its inner address: it comes first.
    plan.extend(wireguard(part, st, keyed)?);
    for end in &part.tunnels {
        plan.extend(tunnel(part, end, st, bridge.is_none())?);
    }
    let mut record = Record {
        segment: part.segment.clone(),
        host: part.host.clone(),
        ports: rec.ports.clone(),
        masquerades: rec.masquerades.clone(),
        forwards: rec.forwards.clone(),
        maps: rec.maps.clone(),
        // What the server runs with changes only once it was restarted so.
        dhcp: rec.dhcp.clone(),
    };
    plan.extend(ports(part, st, rec, &mut record)?);
    if bridge.is_none() {
        // The bridge has no index until it is made: steps find it by name then.
        plan.known.remove(&part.bridge.name);
    }
    plan.extend(nat::apply(part, st, rec, &mut record)?);
    Ok(Applied { plan, record })
}

/// The ports the file names, attached; those it named before and no longer does, given back.
/// The record learns how each new one was before.
fn ports(part: &Part, st: &SegmentState, rec: &Record, record: &mut Record) -> Result<Plan> {
    let mut plan = Plan::default();
    for name in &part.ports {
        let link = st.link(name).ok_or_else(|| no_port(part, name))?;
        record.ports.entry(name.clone()).or_insert(Before {
            mtu: link.mtu,
            up: link.up,
        });
        plan.extend(port(part, link, st)?);
    }
    for (name, before) in &rec.ports {
        if !part.ports.contains(name) {
            plan.extend(release(part, st, name, before, "no longer in the file"));
        }
    }
    Ok(plan)
}

/// The record once apply is done: the ports it gave back and the rules it removed are
/// forgotten.
pub fn settled(part: &Part, mut record: Record) -> Record {
    record.ports.retain(|name, _| part.ports.contains(name));
    nat::settled(part, &mut record);
    record
}

/// `down`: every tunnel of the segment, the ports it attached given back as they were, its
/// bridge, and its masquerades. Each change is tried even when one fails.
pub fn down(part: &Part, st: &SegmentState, rec: &Record) -> Result<Plan> {
    let mut plan = Plan {
        run: Run::KeepGoing,
        ..Plan::default()
    };
    for t in &st.tunnels {
        if part.marks.tunnel_owner(t) == Owner::Segment {
            plan.push(removal(t, st, "")?);
        }
    }
    plan.extend(stale_l2tp(part, st, false));
    if let Some(w) = &st.wireguard
        && part.marks.is_ours(&w.device.link)
    {
        plan.extend(wireguard_removal(&w.device.link, ""));
    }
    let name = &part.bridge.name;
    match &st.bridge {
        Some(b) if part.marks.is_ours(&b.link) => {
            plan.extend(give_back(part, st, rec));
            plan.knows(&b.link);
            plan.push(Change::new(
                Event::new("bridge", name, Action::Delete, ""),
                vec![Step::final_(Op::DelLink { dev: name.clone() })],
            ));
        }
        Some(_) => plan.push(Change::new(
            Event::note(
                "bridge",
                name,
                format!("bridge {name} is not this segment's: left alone"),
                format!("bridge {name} is not this segment's: to be left alone"),
            ),
            Vec::new(),
        )),
        None => {}
    }
    plan.extend(nat::down(part, st, rec)?);
    Ok(plan)
}

/// Every port the file names or the record knows, given back as it was before apply attached
/// it; one the record does not know (it was lost) is released and left as it is.
fn give_back(part: &Part, st: &SegmentState, rec: &Record) -> Plan {
    let mut plan = Plan::default();
    let mut ports: BTreeMap<&String, Option<&Before>> =
        part.ports.iter().map(|p| (p, None)).collect();
    ports.extend(rec.ports.iter().map(|(p, b)| (p, Some(b))));
    for (name, before) in ports {
        let now = st.link(name).map(|l| Before {
            mtu: l.mtu,
            up: l.up,
        });
        if let Some(before) = before.copied().or(now) {
            plan.extend(release(part, st, name, &before, ""));
        }
    }
    plan
}

/// A link in the way must be the segment's: anyone else's is a conflict, and nothing is sent.
fn claim(part: &Part, link: &Link, what: &str) -> Result<()> {
    claimed(part.marks.owner(link), part, link, what)
}

fn claimed(owner: Owner, part: &Part, link: &Link, what: &str) -> Result<()> {
    let whose = match owner {
        Owner::Segment => return Ok(()),
        Owner::Other(other) => format!("segment {other}'s"),
        Owner::Nobody => "not this segment's (made by hand, or by another program)".to_string(),
    };
    let name = &link.name;
    let way_out = if what == "bridge" {
        format!(
            "`l2x bridge del {name}` removes it (its ports are released, not deleted); or give \
             the segment another name"
        )
    } else {
        format!("`ip link del {name}` removes it; then apply again")
    };
    Err(anyhow!(Hinted::new(
        format!(
            "{what} {name} is in the way of segment {}: it exists and is {whose}; nothing was \
             changed",
            part.segment
        ),
        way_out,
    )))
}

/// A tunnel of the segment removed.
fn removal(t: &Have, st: &SegmentState, why: &str) -> Result<Change> {
    Ok(Change::new(
        Event::new("tunnel", &t.name, Action::Delete, why),
        tunnel::removal(t, st.l2tp.as_ref())?,
    ))
}

/// The WireGuard interface as the file wants it: made, changed in place, made anew when
/// nothing runs it any more (a wireguard-go that was killed leaves its TUN device), or removed
/// when the file no longer encrypts.
fn wireguard(part: &Part, st: &SegmentState, keyed: Option<&Keyed>) -> Result<Plan> {
    let have = st.wireguard.as_ref();
    let (spec, keyed) = match (keyed, have) {
        (Some(k), _) => match part.wireguard_spec(k.key)? {
            Some(spec) => (spec, k),
            None => return Ok(Plan::default()),
        },
        (None, Some(w)) if part.marks.is_ours(&w.device.link) => {
            return Ok(wireguard_removal(&w.device.link, "no longer encrypted"));
        }
        (None, _) => return Ok(Plan::default()),
    };
    let Some(w) = have else {
        return spec.plan(keyed.backend, None);
    };
    claim(part, &w.device.link, "interface")?;
    if let Some((config, backend)) = &w.running {
        let have = WgHave {
            link: &w.device,
            config,
            backend: *backend,
        };
        return spec.plan(*backend, Some(have));
    }
    let made = spec.plan(keyed.backend, None)?;
    let mut steps = vec![Step::final_(Op::DelLink {
        dev: spec.name.clone(),
    })];
    steps.extend(made.changes.iter().flat_map(|c| c.steps.clone()));
    let mut plan = Plan::default();
    plan.knows(&w.device.link);
    plan.push(Change::new(
        Event::new(
            "wireguard",
            &spec.name,
            Action::Replace,
            format!("nothing ran it; now {}", keyed.backend),
        ),
        steps,
    ));
    Ok(plan)
}

fn wireguard_removal(link: &Link, why: &str) -> Plan {
    let mut plan = Plan::default();
    plan.knows(link);
    plan.push(Change::new(
        Event::new("wireguard", &link.name, Action::Delete, why),
        vec![Step::final_(Op::DelLink {
            dev: link.name.clone(),
        })],
    ));
    plan
}

/// L2TP tunnels of the segment with no session left (a crash between making the tunnel and its
/// session): removed, unless apply is about to use one as it is.
fn stale_l2tp(part: &Part, st: &SegmentState, applying: bool) -> Plan {
    let mut plan = Plan::default();
    let Some(l) = &st.l2tp else {
        return plan;
    };
    let wanted: Vec<u32> = part
        .tunnels
        .iter()
        .filter(|_| applying)
        .filter_map(|t| t.l2tp.map(|ids| ids.tunnel_id))
        .collect();
    for t in &l.tunnels {
        let ours = crate::segment::derive::is_l2tp_id(part.marks.l2tp_tag, t.tunnel_id);
        let used = l.sessions.iter().any(|s| s.tunnel_id == t.tunnel_id);
        if ours && !used && !wanted.contains(&t.tunnel_id) {
            let id = t.tunnel_id;
            plan.push(Change::new(
                Event::new("l2tp tunnel", id.to_string(), Action::Delete, "no session"),
                vec![Step::final_(Op::Genl {
                    family: l2tp::L2TP_GENL_NAME,
                    feature: l2tp::L2TP,
                    what: format!("delete l2tp tunnel {id}"),
                    build: std::sync::Arc::new(move |f| l2tp::tunnel_delete(f, id)),
                })],
            ));
        }
    }
    plan
}

/// One wanted tunnel: made, converged, or made anew when it is of another kind (the file's
/// tunnel kind changed) or the bridge it was on is gone.
fn tunnel(part: &Part, end: &TunnelEnd, st: &SegmentState, new_bridge: bool) -> Result<Plan> {
    let spec = part.tunnel_spec(end)?;
    let bridge = st.bridge.as_ref().map(|b| b.link.clone());
    let fresh = TunnelState {
        bridge: bridge.clone(),
        l2tp: st.l2tp.clone(),
        ..TunnelState::default()
    };
    let Some(have) = st.tunnel(&end.name) else {
        if let Some(link) = st.link(&end.name) {
            claim(part, link, "interface")?;
        }
        return spec.plan(&fresh, Mode::Converge);
    };
    claimed(part.marks.tunnel_owner(have), part, &have.link, "tunnel")?;
    let same_kind = TunnelKind::of(have) == Some(end.kind);
    if same_kind && !new_bridge {
        let existing = TunnelState {
            tunnel: Some(have.clone()),
            ..fresh
        };
        return spec.plan(&existing, Mode::Converge);
    }
    let mut plan = Plan::default();
    let mut steps = tunnel::removal(have, st.l2tp.as_ref())?;
    let made = spec.plan(&fresh, Mode::Converge)?;
    steps.extend(made.changes.iter().flat_map(|c| c.steps.clone()));
    let why = if same_kind {
        "its bridge was gone".to_string()
    } else {
        format!("{} (was {})", end.kind.name(), have.kind)
    };
    plan.push(Change::new(
        Event::new("tunnel", &end.name, Action::Replace, why),
        steps,
    ));
    plan.known.extend(made.known);
    Ok(plan)
}

/// A port the file names: attached to the bridge (made in the same plan, if need be), up, at
/// the bridge's MTU. A port of another bridge is not taken from it, and one that carries
/// addresses or routes is refused, as `attach` refuses it.
fn port(part: &Part, link: &Link, st: &SegmentState) -> Result<Plan> {
    let bridge = st.bridge.as_ref();
    let spec = Port::new(&link.name, &part.bridge.name, false)?;
    let mtu = part.mtu.unwrap_or(crate::spec::port::ETH_DATA_LEN);
    let bridge_link = match bridge {
        Some(b) => b.link.clone(),
        None => Link {
            name: part.bridge.name.clone(),
            kind: Some("bridge".into()),
            mtu,
            ..Link::default()
        },
    };
    let master = match link.master {
        Some(m) if bridge.is_some_and(|b| b.link.index == m) => Some(bridge_link.clone()),
        Some(_) => {
            return Err(anyhow!(Hinted::new(
                format!(
                    "{} (hosts.{}.ports) is a port of another bridge; nothing was changed",
                    link.name, part.host
                ),
                format!("`l2x detach {}` releases it", link.name),
            )));
        }
        None => None,
    };
    let attached = master.is_some();
    let carried = Carried {
        addrs: st
            .addrs
            .iter()
            .filter(|a| a.index == link.index)
            .cloned()
            .collect(),
        routes: st
            .routes
            .iter()
            .filter(|r| r.uses(link.index))
            .cloned()
            .collect(),
    };
    if !attached && !carried.is_empty() {
        // attach's way out (moving them to the bridge) is no way out here: the segment's
        // bridge has the addresses the file gives it, and no others.
        return Err(anyhow!(Hinted::new(
            format!(
                "{} (hosts.{}.ports) carries {}: as a port of {} they would stop working; \
                 nothing was changed",
                link.name,
                part.host,
                carried.words(),
                part.bridge.name
            ),
            format!(
                "move them elsewhere first, or take {} out of the file's ports",
                link.name
            ),
        )));
    }
    let have = PortHave {
        link: link.clone(),
        bridge: bridge_link,
        master,
        carried,
    };
    let mut plan = spec.plan(&have, Mode::Converge)?;
    // The segment's MTU changed since the port was attached: it follows.
    if attached && link.mtu > mtu {
        plan.push(Change::new(
            Event::new("port", &link.name, Action::Change, format!("mtu {mtu}")),
            vec![Step::new(
                Op::SetLink {
                    dev: link.name.clone(),
                    set: bridge::mtu_set(mtu),
                },
                Op::SetLink {
                    dev: link.name.clone(),
                    set: bridge::mtu_set(link.mtu),
                },
            )],
        ));
    }
    Ok(plan)
}

/// A port apply attached, given back as it was (released, its MTU and state restored), if it
/// is still on the segment's bridge.
fn release(part: &Part, st: &SegmentState, name: &str, before: &Before, why: &str) -> Plan {
    let mut plan = Plan::default();
    let on_bridge = st.ports.iter().find(|l| l.name == name);
    let Some(link) = on_bridge else {
        return plan;
    };
    plan.knows(link);
    let set = Set {
        up: Some(before.up),
        mtu: (before.mtu != link.mtu && before.mtu != 0).then_some(before.mtu),
        master: Some(Master::None),
        ..Set::default()
    };
    plan.push(Change::new(
        Event::new("port", name, Action::Detach, &part.bridge.name).said(
            detached(&part.bridge.name, why, true),
            detached(&part.bridge.name, why, false),
        ),
        vec![Step::final_(Op::SetLink {
            dev: name.to_string(),
            set,
        })],
    ));
    plan
}

fn detached(bridge: &str, why: &str, done: bool) -> String {
    let verb = if done { "detached from" } else { "detach from" };
    if why.is_empty() {
        format!("{verb} {bridge}")
    } else {
        format!("{verb} {bridge} ({why})")
    }
}

fn no_port(part: &Part, name: &str) -> anyhow::Error {
    anyhow!(Hinted::new(
        format!(
            "hosts.{}.ports names {name}, and there is no such interface here",
            part.host
        ),
        "`ip link` lists the interfaces; make it first, or take it out of the file",
    ))
}
