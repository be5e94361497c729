//! L2TPv3: a tunnel (the UDP or IP transport between two hosts) and an Ethernet session in
//! it, whose interface carries the frames, over generic netlink. Several sessions may share a
//! tunnel: an existing tunnel with the same settings is used as it is, and a tunnel goes with
//! its last session.

use std::net::IpAddr;
use std::sync::Arc;

use anyhow::Result;

use super::{Device, Have, Kind, TunnelKind, check_endpoints, other_kind};
use crate::msg::l2tp::{
    self, Encap, L2TP, L2TP_GENL_NAME, L2TP_L2SPECTYPE_DEFAULT, L2TP_PORT, SessionSpec, TunnelSpec,
};
use crate::plan::diff::{self, Diffs};
use crate::plan::{Master, Op, Place, Set, Step};
use crate::state::l2tp::L2tp as L2tpState;
use crate::state::tunnel::l2tp_overhead;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L2tp {
    pub tunnel: TunnelSpec,
    pub session: SessionSpec,
}

impl L2tp {
    pub fn new(tunnel: TunnelSpec, session: SessionSpec) -> Result<L2tp> {
        check_endpoints(tunnel.local, tunnel.remote)?;
        Ok(L2tp { tunnel, session })
    }
}

fn genl(
    what: String,
    build: impl Fn(u16) -> crate::msg::Request<crate::msg::Generic> + Send + Sync + 'static,
) -> Op {
    Op::Genl {
        family: L2TP_GENL_NAME,
        feature: L2TP,
        what,
        build: Arc::new(build),
    }
}

fn tunnel_delete(id: u32) -> Op {
    genl(format!("delete l2tp tunnel {id}"), move |f| {
        l2tp::tunnel_delete(f, id)
    })
}

fn session_delete(tunnel: u32, session: u32) -> Op {
    genl(
        format!("delete l2tp session {session} of tunnel {tunnel}"),
        move |f| l2tp::session_delete(f, tunnel, session),
    )
}

impl Device for L2tp {
    fn name(&self) -> &str {
        &self.session.name
    }

    fn kind(&self) -> TunnelKind {
        TunnelKind::L2tp
    }

    fn local(&self) -> IpAddr {
        self.tunnel.local
    }

    fn remote(&self) -> IpAddr {
        self.tunnel.remote
    }

    fn overhead(&self) -> u32 {
        let cookie = self.session.cookie.as_ref().map_or(0, |c| c.len() as u32);
        let udp = matches!(self.tunnel.encap, Encap::Udp { .. });
        l2tp_overhead(self.tunnel.local.is_ipv6(), udp, cookie, true)
    }

    /// The tunnel unless one with this id exists (then it must have the same settings), the
    /// session, then its interface up at its MTU and a port of its bridge.
    fn create(&self, place: &Place, l2tp: Option<&L2tpState>) -> Result<Vec<Step>> {
        let mut steps = Vec::new();
        let id = self.tunnel.tunnel_id;
        match l2tp.and_then(|l| l.tunnel(id)) {
            Some(existing) => {
                let diffs = tunnel_differences(existing, &self.tunnel);
                diff::none_or_fail(&diffs, &format!("l2tp tunnel {id} exists"))?;
            }
            None => {
                let t = self.tunnel.clone();
                let create = genl(format!("create l2tp tunnel {id}"), move |f| {
                    l2tp::tunnel_create(f, &t)
                });
                steps.push(Step::new(create, tunnel_delete(id)));
            }
        }
        let s = self.session.clone();
        let create = genl(format!("create l2tp session {}", s.name), move |f| {
            l2tp::session_create(f, &s)
        });
        let undo = session_delete(id, self.session.session_id);
        steps.push(Step::new(create, undo));
        // The session's interface, made by l2tp_eth, takes its link group only now.
        let set = Set {
            up: Some(place.up),
            mtu: place.mtu,
            master: place.master.clone().map(Master::Bridge),
            mac: None,
            group: place.group,
        };
        // Deleting the session removes its interface: nothing to undo here.
        steps.push(Step::final_(Op::SetLink {
            dev: self.session.name.clone(),
            set,
        }));
        Ok(steps)
    }

    fn differences(&self, have: &Have) -> Result<Diffs> {
        let Some(s) = &have.l2tp else {
            return Err(other_kind(have, TunnelKind::L2tp));
        };
        let want = &self.session;
        let mut diffs = Diffs::new();
        diff::setting(&mut diffs, "tunnel-id", s.tunnel_id, want.tunnel_id, || {
            None
        });
        diff::setting(
            &mut diffs,
            "session-id",
            s.session_id,
            want.session_id,
            || None,
        );
        diff::setting(
            &mut diffs,
            "peer-session-id",
            s.peer_session_id,
            want.peer_session_id,
            || None,
        );
        let hex = |c: &Option<Vec<u8>>| c.as_deref().map(crate::state::tunnel::hex);
        diff::optional(
            &mut diffs,
            "cookie",
            s.cookie.clone(),
            hex(&want.cookie),
            || None,
        );
        let peer = hex(&want.peer_cookie);
        diff::optional(
            &mut diffs,
            "peer-cookie",
            s.peer_cookie.clone(),
            peer,
            || None,
        );
        let have_tunnel = TunnelSpec {
            tunnel_id: s.tunnel_id,
            peer_tunnel_id: s.peer_tunnel_id,
            encap: match (s.sport, s.dport) {
                (Some(sport), Some(dport)) => Encap::Udp { sport, dport },
                _ => Encap::Ip,
            },
            local: s.local,
            remote: s.remote,
        };
        diffs.extend(tunnel_differences(&have_tunnel, &self.tunnel));
        Ok(diffs)
    }

    fn args(&self) -> Vec<String> {
        let t = &self.tunnel;
        let s = &self.session;
        let mut words: Vec<String> = [
            "--local".to_string(),
            t.local.to_string(),
            "--remote".into(),
            t.remote.to_string(),
            "--tunnel-id".into(),
            t.tunnel_id.to_string(),
            "--peer-tunnel-id".into(),
            t.peer_tunnel_id.to_string(),
            "--session-id".into(),
            s.session_id.to_string(),
            "--peer-session-id".into(),
            s.peer_session_id.to_string(),
        ]
        .into();
        match t.encap {
            Encap::Udp { sport, dport } => {
                words.extend(["--sport".into(), sport.to_string()]);
                words.extend(["--dport".into(), dport.to_string()]);
            }
            Encap::Ip => words.extend(["--encap".into(), "ip".into()]),
        }
        for (flag, c) in [("--cookie", &s.cookie), ("--peer-cookie", &s.peer_cookie)] {
            if let Some(c) = c {
                words.extend([flag.to_string(), crate::state::tunnel::hex(c)]);
            }
        }
        words
    }
}

fn tunnel_differences(have: &TunnelSpec, want: &TunnelSpec) -> Diffs {
    let mut diffs = Diffs::new();
    diff::setting(
        &mut diffs,
        "peer-tunnel-id",
        have.peer_tunnel_id,
        want.peer_tunnel_id,
        || None,
    );
    diff::setting(&mut diffs, "local", have.local, want.local, || None);
    diff::setting(&mut diffs, "remote", have.remote, want.remote, || None);
    diff::setting(
        &mut diffs,
        "encap",
        have.encap.name(),
        want.encap.name(),
        || None,
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
        diff::setting(&mut diffs, "sport", hs, ws, || None);
        diff::setting(&mut diffs, "dport", hd, wd, || None);
    }
    diffs
}

pub struct L2tpKind;
pub static KIND: L2tpKind = L2tpKind;

/// The lab's L2TP ports start here, one per tunnel end: each tunnel has a UDP socket of its
/// own, so each needs its own local port.
const LAB_BASE_PORT: u32 = 17000;

impl Kind for L2tpKind {
    fn name(&self) -> &'static str {
        "l2tp"
    }

    fn shows(&self, kind: &str) -> bool {
        kind == "l2tp"
    }

    /// The session; its tunnel too when no other session uses it. Each is its own step, so a
    /// teardown tries the tunnel even when the session would not go.
    fn remove(&self, have: &Have, l2tp: Option<&L2tpState>) -> Vec<Step> {
        let Some(s) = &have.l2tp else {
            return Vec::new();
        };
        let mut steps = vec![Step::final_(session_delete(s.tunnel_id, s.session_id))];
        let others = l2tp.is_some_and(|l| {
            l.sessions
                .iter()
                .any(|o| o.tunnel_id == s.tunnel_id && o.name != have.name)
        });
        if !others {
            steps.push(Step::final_(tunnel_delete(s.tunnel_id)));
        }
        steps
    }

    fn lab(&self, i: u8, j: u8, name: &str, local: IpAddr, remote: IpAddr) -> Box<dyn Device> {
        let mine = u32::from(i) * 10 + u32::from(j);
        let theirs = u32::from(j) * 10 + u32::from(i);
        let port = |id: u32| u16::try_from(LAB_BASE_PORT + id).unwrap_or(L2TP_PORT);
        Box::new(L2tp {
            tunnel: TunnelSpec {
                tunnel_id: mine,
                peer_tunnel_id: theirs,
                encap: Encap::Udp {
                    sport: port(mine),
                    dport: port(theirs),
                },
                local,
                remote,
            },
            session: SessionSpec {
                name: name.to_string(),
                tunnel_id: mine,
                peer_tunnel_id: theirs,
                session_id: mine,
                peer_session_id: theirs,
                cookie: None,
                peer_cookie: None,
                l2spec: L2TP_L2SPECTYPE_DEFAULT,
            },
        })
    }
}
