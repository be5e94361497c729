//! Runs a plan: each change's steps in order, and when a step fails, what undoes every step
//! done so far, newest first (a teardown plan instead carries on with the next change). Links
//! made by the plan are known by the index the kernel echoes back, so no step looks anything
//! up that the planner did not already read.

use std::collections::HashMap;
use std::fs;

use anyhow::{Result, anyhow};

use super::op::{Master, Op, Set};
use super::{Event, Plan, Run};
use crate::msg::addr::{self, Addr};
use crate::msg::link::{self, Link, LinkChange, Placement};
use crate::msg::nft::{dhcp_guard, nat};
use crate::msg::route::Route as IpRoute;
use crate::msg::{bridge, bridge_port, neigh, route};
use crate::nl::uapi;
use crate::nl::{ErrorKind, Sockets, kind_of};
use crate::report::Hinted;
use crate::state::{links, nft, sysctl, wireguard};

/// Why a plan did not run to its end.
#[derive(Debug)]
pub struct Failure {
    pub error: anyhow::Error,
    /// The kernel's state moved under the plan (a link of that name appeared, the ruleset
    /// changed): reading again and planning anew is the answer.
    pub stale: bool,
    /// Changes that are done and stay done (a teardown's other changes).
    pub done: Vec<Event>,
    /// Steps that could not be undone, in words.
    pub not_undone: Vec<String>,
}

pub fn execute(s: &mut Sockets, plan: Plan) -> Result<Vec<Event>, Failure> {
    let mut ex = Executor {
        s,
        known: plan.known,
        mtus: HashMap::new(),
        undo: Vec::new(),
        echo: true,
    };
    let mut done = Vec::new();
    let mut failed = Vec::new();
    let total: usize = plan.changes.iter().map(|c| c.steps.len()).sum();
    let mut ran = 0;
    for change in plan.changes {
        let mut errors = Vec::new();
        for step in &change.steps {
            ran += 1;
            // A new link's index (and MTU) are echoed back only when something after it needs
            // them: the echo costs the kernel a full link message.
            ex.echo = ran < total || change.event.mtu_of.is_some();
            match (ex.run(&step.op), plan.run) {
                (Ok(()), _) => ex.undo.extend(step.undo.clone()),
                (Err(e), Run::KeepGoing) => errors.push(e),
                (Err(e), Run::Atomic) => {
                    let stale = is_stale(&e);
                    let not_undone = ex.undo_all();
                    return Err(Failure {
                        error: e,
                        stale,
                        done: Vec::new(),
                        not_undone,
                    });
                }
            }
        }
        if errors.is_empty() {
            done.push(ex.finish(change.event));
        } else {
            failed.extend(errors);
        }
    }
    match failed.len() {
        0 => Ok(done),
        1 => Err(Failure {
            error: failed.remove(0),
            stale: false,
            done,
            not_undone: Vec::new(),
        }),
        n => {
            let all: Vec<String> = failed.iter().map(|e| format!("{e:#}")).collect();
            Err(Failure {
                error: anyhow!("{n} changes failed: {}", all.join("; ")),
                stale: false,
                done,
                not_undone: Vec::new(),
            })
        }
    }
}

/// A link of the name appeared since the read (EEXIST on create), or the ruleset changed
/// (ERESTART on commit).
fn is_stale(e: &anyhow::Error) -> bool {
    matches!(kind_of(e), Some(ErrorKind::Exists | ErrorKind::Restart))
}

struct Executor<'a> {
    s: &'a mut Sockets,
    known: HashMap<String, u32>,
    /// The MTUs of links made here, as the kernel echoed them.
    mtus: HashMap<String, u32>,
    undo: Vec<Op>,
    /// Whether a new link's create asks for its echo.
    echo: bool,
}

impl Executor<'_> {
    /// An event whose detail waits for an MTU the kernel chose gets it.
    fn finish(&mut self, mut event: Event) -> Event {
        if let Some(name) = event.mtu_of.clone() {
            let mtu = match self.mtus.get(&name) {
                Some(&mtu) => Some(mtu),
                None => links::find(&mut self.s.route, &name)
                    .ok()
                    .flatten()
                    .map(|l| l.mtu),
            };
            if let Some(mtu) = mtu {
                event.fill_mtu(mtu);
            }
        }
        event
    }

    /// Runs every undo step, newest first; what is gone already counts as undone.
    fn undo_all(&mut self) -> Vec<String> {
        let mut failed = Vec::new();
        while let Some(op) = self.undo.pop() {
            if let Err(e) = self.run(&op) {
                let gone = kind_of(&e) == Some(ErrorKind::NotFound);
                if !gone {
                    failed.push(format!("{}: {e:#}", op.what()));
                }
            }
        }
        failed
    }

    fn index(&mut self, name: &str) -> Result<u32> {
        if let Some(&i) = self.known.get(name) {
            return Ok(i);
        }
        let link = links::require(&mut self.s.route, name)?;
        self.known.insert(name.to_string(), link.index);
        Ok(link.index)
    }

    /// A route through a link the plan makes had no index when it was planned (0): it gets
    /// the link's now.
    fn placed(&mut self, dev: &str, route: &IpRoute) -> Result<IpRoute> {
        if !route.uses(0) {
            return Ok(route.clone());
        }
        Ok(route.moved_to(0, self.index(dev)?))
    }

    fn run(&mut self, op: &Op) -> Result<()> {
        match op {
            Op::NewLink { name, place, build } => {
                let master = match &place.master {
                    Some(b) => Some(self.index(b)?),
                    None => None,
                };
                let at = Placement {
                    mtu: place.mtu,
                    up: place.up,
                    group: place.group,
                    master,
                };
                if !self.echo {
                    self.s.route.ack(&build(at))?;
                    return Ok(());
                }
                let echo = self.s.route.ack_echo(&build(at))?;
                if let Some(link) = echo.as_deref().and_then(Link::parse) {
                    self.known.insert(name.clone(), link.index);
                    self.mtus.insert(name.clone(), link.mtu);
                }
            }
            Op::SetLink { dev, set } => {
                let change = self.link_change(set)?;
                let index = self.index(dev)?;
                self.s.route.ack(&link::change(index, dev, change))?;
            }
            Op::SetAlias { dev, alias } => {
                let index = self.index(dev)?;
                self.s.route.ack(&link::set_alias(index, dev, alias))?;
            }
            Op::DelLink { dev } => {
                let index = self.index(dev)?;
                self.s.route.ack(&link::delete(index, dev))?;
                self.known.remove(dev);
            }
            Op::AddAddr { dev, addr } => {
                let on = Addr {
                    index: self.index(dev)?,
                    ..addr.clone()
                };
                self.s.route.ack(&addr::create(&on, dev))?;
            }
            Op::DelAddr { dev, addr } => {
                let on = Addr {
                    index: self.index(dev)?,
                    ..addr.clone()
                };
                self.s.route.ack(&addr::delete(&on, dev))?;
            }
            Op::AddRoute { dev, route } => {
                let route = self.placed(dev, route)?;
                self.s.route.ack(&route::add(&route, dev))?
            }
            Op::DelRoute { dev, route } => {
                let route = self.placed(dev, route)?;
                self.s.route.ack(&route::delete(&route, dev))?
            }
            Op::AddRemote { dev, remote } => {
                let index = self.index(dev)?;
                self.s
                    .route
                    .ack(&neigh::fdb_append_flood(index, dev, *remote))?;
            }
            Op::DelRemote { dev, remote } => {
                let index = self.index(dev)?;
                self.s
                    .route
                    .ack(&neigh::fdb_delete_flood(index, dev, *remote))?;
            }
            Op::SetIsolated { dev, on } => {
                let index = self.index(dev)?;
                self.s
                    .route
                    .ack(&bridge_port::set_isolated(index, dev, *on))?;
            }
            Op::SetStp { dev, on } => {
                let index = self.index(dev)?;
                self.s.route.ack(&bridge::set_stp(index, dev, *on))?;
            }
            Op::Genl {
                family,
                feature,
                build,
                ..
            } => {
                let id = self.s.require_family(family, *feature)?;
                self.s.generic()?.ack(&build(id))?;
            }
            Op::NatRules { generation, rules } => {
                let generation = match generation {
                    Some(g) => *g,
                    None => nft::generation(self.s)?,
                };
                self.s
                    .netfilter()?
                    .batch(&nat::rewrite(generation, rules))?;
            }
            Op::DhcpGuards { generation, guards } => {
                let generation = match generation {
                    Some(g) => *g,
                    None => nft::generation(self.s)?,
                };
                self.s
                    .netfilter()?
                    .batch(&dhcp_guard::rewrite(generation, guards))?;
            }
            Op::Forwarding(on) => set_forwarding(*on)?,
            Op::DefaultRoute { dev, gateway } => {
                let index = self.index(dev)?;
                self.s
                    .route
                    .ack(&route::replace_default(index, dev, *gateway))?;
            }
            Op::EnableIpv6 { dev } => enable_ipv6(dev)?,
            Op::StartWireguardGo { name } => uapi::start(name)?,
            Op::Wireguard { device, backend } => wireguard::configure(self.s, device, *backend)?,
        }
        Ok(())
    }

    fn link_change(&mut self, set: &Set) -> Result<LinkChange> {
        let master = match &set.master {
            Some(Master::Bridge(b)) => Some(self.index(b)?),
            Some(Master::None) => Some(0),
            None => None,
        };
        Ok(LinkChange {
            up: set.up,
            master,
            mtu: set.mtu,
            mac: set.mac,
            group: set.group,
        })
    }
}

fn enable_ipv6(dev: &str) -> Result<()> {
    let path = sysctl::disable_ipv6(dev);
    fs::write(&path, "0").map_err(|e| {
        anyhow!(Hinted::new(
            format!("cannot turn on IPv6 on {dev} ({path}): {e}"),
            "a kernel booted with ipv6.disable=1 has no IPv6 at all: the segment's encrypted \
             tunnels need it between the WireGuard interfaces",
        ))
    })
}

fn set_forwarding(on: bool) -> Result<()> {
    let (value, verb) = if on { ("1", "on") } else { ("0", "off") };
    fs::write(sysctl::IP_FORWARD, value).map_err(|e| {
        anyhow!(Hinted::new(
            format!(
                "cannot turn {verb} IPv4 forwarding ({}): {e}",
                sysctl::IP_FORWARD
            ),
            "run as root; inside a container /proc/sys is often read-only: set \
             net.ipv4.ip_forward=1 from the host",
        ))
    })
}
