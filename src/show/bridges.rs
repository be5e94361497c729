//! Bridges with their addresses and ports.

use serde::Serialize;

use super::{new_table, render};
use crate::msg::addr::Addr;
use crate::msg::bridge;
use crate::msg::bridge_port;
use crate::msg::link::{Link, format_mac};

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct BridgeView {
    pub name: String,
    pub ifindex: u32,
    pub up: bool,
    pub state: String,
    pub mtu: u32,
    pub mac: Option<String>,
    pub stp: bool,
    pub addresses: Vec<String>,
    pub ports: Vec<PortView>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct PortView {
    pub name: String,
    pub ifindex: u32,
    pub kind: Option<String>,
    pub mtu: u32,
    pub state: String,
    pub isolated: bool,
}

/// Builds the view of every bridge in `links`, in ifindex order, with its ports among them.
pub fn collect(links: &[Link], addrs: &[Addr]) -> Vec<BridgeView> {
    links
        .iter()
        .filter(|l| l.is_kind("bridge"))
        .map(|b| BridgeView {
            name: b.name.clone(),
            ifindex: b.index,
            up: b.up,
            state: b.oper_state.to_string(),
            mtu: b.mtu,
            mac: b.mac.as_ref().map(format_mac),
            stp: bridge::stp_enabled(&b.info_data),
            addresses: addrs
                .iter()
                .filter(|a| a.index == b.index)
                .map(|a| a.net.to_string())
                .collect(),
            ports: links
                .iter()
                .filter(|p| p.master == Some(b.index))
                .map(port)
                .collect(),
        })
        .collect()
}

fn port(p: &Link) -> PortView {
    let info = bridge_port::parse(&p.slave_data);
    PortView {
        name: p.name.clone(),
        ifindex: p.index,
        kind: p.kind.clone(),
        mtu: p.mtu,
        state: info.state.to_string(),
        isolated: info.isolated,
    }
}

pub fn table(bridges: &[BridgeView]) -> String {
    let mut t = new_table(&["BRIDGE", "STATE", "MTU", "MAC", "STP", "ADDRESSES", "PORTS"]);
    for b in bridges {
        let ports: Vec<String> = b
            .ports
            .iter()
            .map(|p| {
                let iso = if p.isolated { ", isolated" } else { "" };
                format!("{} ({} mtu {}{iso})", p.name, p.state, p.mtu)
            })
            .collect();
        t.add_row(vec![
            b.name.clone(),
            b.state.clone(),
            b.mtu.to_string(),
            b.mac.clone().unwrap_or_default(),
            if b.stp { "on" } else { "off" }.to_string(),
            b.addresses.join("\n"),
            ports.join("\n"),
        ]);
    }
    render(t, bridges.len(), "no bridges")
}
