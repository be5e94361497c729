//! The router's `forwards` and `maps` as the file gives them, checked: what `nat forward` and
//! `nat map` take on the command line, each value with its key and line when it is wrong. Their
//! targets are machines on the segment; a forward is reflected back to the segment (hairpin),
//! so its machines reach it at the router's public address too.

use std::net::Ipv4Addr;

use ipnetwork::Ipv4Network;
use toml::Spanned;

use super::checker::{Checker, Refusal};
use super::file;
use crate::cli::values::{self, IfName};
use crate::msg::nft::forward::{Forward, Proto};
use crate::msg::nft::map::Map;

pub(super) fn forwards(
    c: &Checker,
    given: &[Spanned<file::Forward>],
    segment: Ipv4Network,
) -> Result<Vec<Forward>, Refusal> {
    let key = "router.forwards";
    let mut out: Vec<Forward> = Vec::new();
    for f in given {
        let w = f.get_ref();
        let ports = match w.port.get_ref() {
            file::Port::Number(n) => values::port_range(&n.to_string()),
            file::Port::Text(t) => values::port_range(t),
        }
        .map_err(|e| c.at(key, &w.port, e))?;
        let to = values::target(w.to.get_ref()).map_err(|e| c.at(key, &w.to, e))?;
        on_segment(c, key, &w.to, to.ip, segment)?;
        let proto = match w.proto.as_ref().map(|p| (p, p.get_ref().as_str())) {
            None | Some((_, "tcp")) => Proto::Tcp,
            Some((_, "udp")) => Proto::Udp,
            Some((p, other)) => {
                return Err(c.at(key, p, format!("\"{other}\" is no protocol (tcp or udp)")));
            }
        };
        let forward = Forward {
            proto,
            ports,
            to: to.ip,
            to_port: to.port,
            iface: iface(c, key, w.iface.as_ref())?,
            addr: match &w.addr {
                Some(a) => Some(ipv4(c, key, a)?),
                None => None,
            },
            hairpin: Some(Ipv4Network::new(segment.network(), segment.prefix()).expect("a prefix")),
        };
        let overlaps = |o: &Forward| {
            o.proto == forward.proto
                && o.addr == forward.addr
                && o.ports.first <= forward.ports.last
                && forward.ports.first <= o.ports.last
        };
        if let Some(other) = out.iter().find(|o| overlaps(o)) {
            return Err(c.at(
                key,
                f,
                format!(
                    "{} {} is forwarded already (to {})",
                    proto.name(),
                    ports,
                    other.to
                ),
            ));
        }
        out.push(forward);
    }
    Ok(out)
}

pub(super) fn maps(
    c: &Checker,
    given: &[Spanned<file::Map>],
    segment: Ipv4Network,
) -> Result<Vec<Map>, Refusal> {
    let key = "router.maps";
    let mut out: Vec<Map> = Vec::new();
    for m in given {
        let w = m.get_ref();
        let public = ipv4(c, key, &w.public)?;
        if segment.contains(public) {
            return Err(c.at(
                key,
                &w.public,
                format!("{public} is on the segment ({segment}): a public address is not"),
            ));
        }
        let to = ipv4(c, key, &w.to)?;
        on_segment(c, key, &w.to, to, segment)?;
        if let Some(other) = out.iter().find(|o| o.public == public || o.to == to) {
            return Err(c.at(
                key,
                m,
                format!("{} to {} is mapped already", other.public, other.to),
            ));
        }
        out.push(Map {
            public,
            to,
            iface: iface(c, key, w.iface.as_ref())?,
        });
    }
    Ok(out)
}

/// A target must be a machine on the segment: neither its network's address, its broadcast,
/// nor the router's own.
fn on_segment(
    c: &Checker,
    key: &str,
    value: &Spanned<String>,
    ip: Ipv4Addr,
    segment: Ipv4Network,
) -> Result<(), Refusal> {
    let host = segment.contains(ip)
        && ip != segment.ip()
        && (segment.prefix() >= 31 || (ip != segment.network() && ip != segment.broadcast()));
    if host {
        return Ok(());
    }
    Err(c.at(
        key,
        value,
        format!(
            "{ip} is not a machine on the segment ({segment}, the router at {})",
            segment.ip()
        ),
    ))
}

fn ipv4(c: &Checker, key: &str, value: &Spanned<String>) -> Result<Ipv4Addr, Refusal> {
    value.get_ref().parse().map_err(|_| {
        c.at(
            key,
            value,
            format!("\"{}\" is not an IPv4 address", value.get_ref()),
        )
    })
}

fn iface(
    c: &Checker,
    key: &str,
    value: Option<&Spanned<String>>,
) -> Result<Option<String>, Refusal> {
    let Some(v) = value else {
        return Ok(None);
    };
    let name: IfName = v.get_ref().parse().map_err(|e: String| c.at(key, v, e))?;
    Ok(Some(name.to_string()))
}
