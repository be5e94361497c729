//! Views of kernel state, built once from parsed dumps and rendered both as tables
//! (comfy-table) and as JSON (serde), so the two never disagree.

pub mod bridges;
pub mod doctor;
pub mod lab;
pub mod leases;
pub mod nat;
pub mod segment;
pub mod tunnels;
pub mod wireguard;

use comfy_table::presets::UTF8_BORDERS_ONLY;
use comfy_table::{ContentArrangement, Table};
use serde::Serialize;

/// `l2x show`: every section l2x manages. Each section is what its own show command prints.
#[derive(Debug, Serialize)]
pub struct Overview {
    pub bridges: Vec<bridges::BridgeView>,
    pub tunnels: Vec<crate::state::tunnel::Tunnel>,
    pub wireguard: Vec<wireguard::WireguardView>,
    pub nat: nat::NatView,
    pub dhcp: Vec<leases::ServerView>,
}

impl Overview {
    pub fn table(&self) -> String {
        format!(
            "Bridges\n{}\nTunnels\n{}\nWireGuard\n{}\nNAT\n{}\nDHCP servers\n{}",
            bridges::table(&self.bridges),
            tunnels::table(&self.tunnels),
            wireguard::table(&self.wireguard),
            nat::table(&self.nat),
            leases::servers_table(&self.dhcp)
        )
    }
}

/// A table in l2x's style, with the given column headers.
pub fn new_table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.to_vec());
    t
}

/// A table, or a line saying there is nothing to list.
pub fn render(table: Table, rows: usize, empty: &str) -> String {
    if rows == 0 {
        format!("{empty}\n")
    } else {
        format!("{table}\n")
    }
}
