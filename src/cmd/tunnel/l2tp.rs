//! `l2x tunnel l2tp`: an L2TPv3 tunnel and its Ethernet session in one command, over generic
//! netlink. Several sessions may share a tunnel: an existing tunnel with the same settings is
//! used as it is, and a tunnel is deleted only with its last session.

use anyhow::{Result, bail};

use super::diff::{self, Diffs};
use super::{Ctx, Tunnel, check_endpoints, wrong_kind};
use crate::cli::{L2tpArgs, L2tpEncap};
use crate::msg::genl;
use crate::msg::l2tp::{self, Encap, L2TP_PORT, SessionSpec, TunnelSpec};
use crate::msg::link::Link;
use crate::nl::{KernelError, Netlink};
use crate::report::usage;
use crate::show::tunnels::L2tpView;

pub struct L2tp {
    tunnel: TunnelSpec,
    session: SessionSpec,
}

impl L2tp {
    pub fn from_args(a: &L2tpArgs) -> Result<Self> {
        check_endpoints(a.local, a.remote)?;
        let encap = match a.encap {
            L2tpEncap::Udp => Encap::Udp {
                sport: a.sport.unwrap_or(L2TP_PORT),
                dport: a.dport.unwrap_or(L2TP_PORT),
            },
            L2tpEncap::Ip if a.sport.is_some() || a.dport.is_some() => {
                return Err(usage(
                    "--sport and --dport are UDP ports: they need --encap udp",
                ));
            }
            L2tpEncap::Ip => Encap::Ip,
        };
        let peer_tunnel_id = a.peer_tunnel_id.unwrap_or(a.tunnel_id);
        Ok(L2tp {
            tunnel: TunnelSpec {
                tunnel_id: a.tunnel_id,
                peer_tunnel_id,
                encap,
                local: a.local,
                remote: a.remote,
            },
            session: SessionSpec {
                name: a.name.to_string(),
                tunnel_id: a.tunnel_id,
                peer_tunnel_id,
                session_id: a.session_id,
                peer_session_id: a.peer_session_id.unwrap_or(a.session_id),
                cookie: a.cookie.as_ref().map(|c| c.0.clone()),
                peer_cookie: a.peer_cookie.as_ref().map(|c| c.0.clone()),
            },
        })
    }
}

/// A generic netlink socket and the l2tp family's message type on it.
struct Genl {
    nl: Netlink,
    family: u16,
}

impl Genl {
    /// Looking the family up loads l2tp_netlink where the kernel can; ENOENT means no L2TP.
    fn open(ctx: &Ctx) -> Result<Genl> {
        let mut nl = Netlink::generic(ctx.verbose)?;
        let request = l2tp::get_family();
        let family = nl
            .get(&request)?
            .and_then(|body| genl::parse_family_id(&body))
            .ok_or_else(|| KernelError::missing(&request.what, l2tp::L2TP))?;
        Ok(Genl { nl, family })
    }

    fn tunnels(&mut self) -> Result<Vec<TunnelSpec>> {
        let replies = self.nl.dump(&l2tp::tunnel_dump(self.family))?;
        Ok(replies
            .iter()
            .filter_map(|b| l2tp::parse_tunnel(b))
            .collect())
    }

    fn sessions(&mut self) -> Result<Vec<SessionSpec>> {
        let replies = self.nl.dump(&l2tp::session_dump(self.family))?;
        Ok(replies
            .iter()
            .filter_map(|b| l2tp::parse_session(b))
            .collect())
    }
}

impl Tunnel for L2tp {
    fn name(&self) -> &str {
        &self.session.name
    }

    fn kind(&self) -> &'static str {
        "l2tp"
    }

    fn create(&self, ctx: &mut Ctx) -> Result<()> {
        let mut g = Genl::open(ctx)?;
        let existing = g
            .tunnels()?
            .into_iter()
            .find(|t| t.tunnel_id == self.tunnel.tunnel_id);
        let made_tunnel = match existing {
            Some(t) => {
                let diffs = tunnel_differences(&t, &self.tunnel);
                diff::none_or_fail(diffs, &format!("l2tp tunnel {} exists", t.tunnel_id))?;
                false
            }
            None => {
                g.nl.ack(&l2tp::tunnel_create(g.family, &self.tunnel))?;
                true
            }
        };
        if let Err(e) = g.nl.ack(&l2tp::session_create(g.family, &self.session)) {
            if made_tunnel {
                g.nl.ack(&l2tp::tunnel_delete(g.family, self.tunnel.tunnel_id))
                    .ok();
            }
            return Err(e.into());
        }
        Ok(())
    }

    fn differences(&self, ctx: &mut Ctx, link: &Link) -> Result<Diffs> {
        if link.kind.is_some() {
            return Err(wrong_kind(link, "l2tp"));
        }
        let mut g = Genl::open(ctx)?;
        let Some(have) = g.sessions()?.into_iter().find(|s| s.name == link.name) else {
            bail!(
                "{} exists and is an interface, not an l2tp session",
                link.name
            );
        };
        let want = &self.session;
        let mut diffs = Diffs::new();
        diff::setting(&mut diffs, "tunnel-id", have.tunnel_id, want.tunnel_id);
        diff::setting(&mut diffs, "session-id", have.session_id, want.session_id);
        diff::setting(
            &mut diffs,
            "peer-session-id",
            have.peer_session_id,
            want.peer_session_id,
        );
        diff::optional(
            &mut diffs,
            "cookie",
            have.cookie.map(hex),
            want.cookie.clone().map(hex),
        );
        let peer_cookie = have.peer_cookie.map(hex);
        diff::optional(
            &mut diffs,
            "peer-cookie",
            peer_cookie,
            want.peer_cookie.clone().map(hex),
        );
        if let Some(t) = g
            .tunnels()?
            .into_iter()
            .find(|t| t.tunnel_id == have.tunnel_id)
        {
            diffs.extend(tunnel_differences(&t, &self.tunnel));
        }
        Ok(diffs)
    }
}

fn tunnel_differences(have: &TunnelSpec, want: &TunnelSpec) -> Diffs {
    let mut diffs = Diffs::new();
    diff::setting(
        &mut diffs,
        "peer-tunnel-id",
        have.peer_tunnel_id,
        want.peer_tunnel_id,
    );
    diff::setting(&mut diffs, "local", have.local, want.local);
    diff::setting(&mut diffs, "remote", have.remote, want.remote);
    diff::setting(
        &mut diffs,
        "encap",
        encap_name(have.encap),
        encap_name(want.encap),
    );
    if let (
        Encap::Udp {
            sport: hs,
            dport: hd,
        },
        Encap::Udp {
            sport: ws,
            dport: wd,
        },
    ) = (have.encap, want.encap)
    {
        diff::setting(&mut diffs, "sport", hs, ws);
        diff::setting(&mut diffs, "dport", hd, wd);
    }
    diffs
}

fn encap_name(e: Encap) -> &'static str {
    match e {
        Encap::Udp { .. } => "udp",
        Encap::Ip => "ip",
    }
}

fn hex(bytes: Vec<u8>) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Deletes the session whose interface is `name`, then its tunnel if no session is left.
pub fn remove_session(ctx: &mut Ctx, name: &str) -> Result<()> {
    // Without L2TP in the kernel no interface can be a session's.
    let Ok(mut g) = Genl::open(ctx) else {
        bail!("{name} is an interface, not a tunnel");
    };
    let sessions = g.sessions()?;
    let Some(s) = sessions.iter().find(|s| s.name == name) else {
        bail!("{name} is an interface, not a tunnel");
    };
    g.nl.ack(&l2tp::session_delete(g.family, s.tunnel_id, s.session_id))?;
    let others = sessions
        .iter()
        .any(|o| o.tunnel_id == s.tunnel_id && o.name != name);
    if !others {
        g.nl.ack(&l2tp::tunnel_delete(g.family, s.tunnel_id))?;
    }
    Ok(())
}

/// Every L2TP session interface with its tunnel, by interface name; empty where the kernel
/// has no L2TP (then no such interface can exist either). l2tp_eth registers no link kind,
/// so this list is the only way to tell a session's interface from any other.
pub fn views(ctx: &mut Ctx) -> Result<Vec<(String, L2tpView)>> {
    let Ok(mut g) = Genl::open(ctx) else {
        return Ok(Vec::new());
    };
    let tunnels = g.tunnels()?;
    let sessions = g.sessions()?;
    Ok(sessions
        .into_iter()
        .filter_map(|s| {
            let t = tunnels.iter().find(|t| t.tunnel_id == s.tunnel_id)?;
            let (sport, dport) = match t.encap {
                Encap::Udp { sport, dport } => (Some(sport), Some(dport)),
                Encap::Ip => (None, None),
            };
            let view = L2tpView {
                tunnel_id: t.tunnel_id,
                peer_tunnel_id: t.peer_tunnel_id,
                session_id: s.session_id,
                peer_session_id: s.peer_session_id,
                encap: encap_name(t.encap),
                sport,
                dport,
                local: t.local.to_string(),
                remote: t.remote.to_string(),
            };
            Some((s.name, view))
        })
        .collect())
}
