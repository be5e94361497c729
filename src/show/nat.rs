//! The rules of table ip l2x (masquerades, port forwards, 1:1 maps), and whether IPv4
//! forwarding is on.

use serde::Serialize;

use super::{new_table, render};
use crate::msg::nft::nat::{NatRule, Owned};

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct NatView {
    pub forwarding: bool,
    /// The masquerades.
    pub rules: Vec<RuleView>,
    pub forwards: Vec<ForwardView>,
    pub maps: Vec<MapView>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct RuleView {
    pub source: String,
    pub out: Option<String>,
    pub handle: u64,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ForwardView {
    pub proto: &'static str,
    pub ports: String,
    pub to: String,
    pub to_port: Option<u16>,
    #[serde(rename = "in")]
    pub iface: Option<String>,
    pub addr: Option<String>,
    pub hairpin: Option<String>,
    pub handle: u64,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct MapView {
    pub public: String,
    pub to: String,
    #[serde(rename = "in")]
    pub iface: Option<String>,
    pub handle: u64,
}

/// Every rule in table order, duplicates included: the view shows the kernel's table as it is.
pub fn collect(owned: &Owned, forwarding: bool) -> NatView {
    let mut view = NatView {
        forwarding,
        rules: Vec::new(),
        forwards: Vec::new(),
        maps: Vec::new(),
    };
    for (handle, rule) in &owned.rules {
        let handle = *handle;
        match rule {
            NatRule::Masquerade(m) => view.rules.push(RuleView {
                source: m.source.to_string(),
                out: m.out.clone(),
                handle,
            }),
            NatRule::Forward(f) => view.forwards.push(ForwardView {
                proto: f.proto.name(),
                ports: f.ports.to_string(),
                to: f.to.to_string(),
                to_port: f.to_port,
                iface: f.iface.clone(),
                addr: f.addr.map(|a| a.to_string()),
                hairpin: f.hairpin.map(|n| n.to_string()),
                handle,
            }),
            NatRule::Map(m) => view.maps.push(MapView {
                public: m.public.to_string(),
                to: m.to.to_string(),
                iface: m.iface.clone(),
                handle,
            }),
        }
    }
    view
}

pub fn table(view: &NatView) -> String {
    let mut t = new_table(&["RULE", "FROM", "TO", "IN/OUT", "HANDLE"]);
    let any = |i: &Option<String>| i.clone().unwrap_or_else(|| "any".into());
    for f in &view.forwards {
        let to = match f.to_port {
            Some(p) => format!("{}:{p}", f.to),
            None => f.to.clone(),
        };
        let from = match &f.addr {
            Some(a) => format!("{a} {} {}", f.proto, f.ports),
            None => format!("{} {}", f.proto, f.ports),
        };
        t.add_row(vec![
            "forward".into(),
            from,
            to,
            any(&f.iface),
            f.handle.to_string(),
        ]);
    }
    for m in &view.maps {
        t.add_row(vec![
            "map".into(),
            m.public.clone(),
            m.to.clone(),
            any(&m.iface),
            m.handle.to_string(),
        ]);
    }
    for r in &view.rules {
        t.add_row(vec![
            "masquerade".into(),
            r.source.clone(),
            String::new(),
            any(&r.out),
            r.handle.to_string(),
        ]);
    }
    let rows = view.rules.len() + view.forwards.len() + view.maps.len();
    let on = if view.forwarding { "on" } else { "off" };
    format!(
        "{}IPv4 forwarding: {on}\n",
        render(t, rows, "no rules in table ip l2x")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::nft::masquerade::Masquerade;
    use crate::msg::nft::nat::tests::owned_holding;

    #[test]
    fn rules_keep_their_handles_and_any_interface_is_null() {
        let masq = Masquerade {
            source: "10.0.5.0/24".parse().unwrap(),
            out: None,
        };
        let view = collect(&owned_holding(&[masq.into()]), true);
        assert_eq!(
            serde_json::to_value(&view).unwrap(),
            serde_json::json!({
                "forwarding": true,
                "rules": [{"source": "10.0.5.0/24", "out": null, "handle": 2}],
                "forwards": [],
                "maps": [],
            })
        );
        let text = table(&view);
        assert!(
            text.contains("10.0.5.0/24") && text.contains("any"),
            "{text}"
        );
        assert!(text.ends_with("IPv4 forwarding: on\n"), "{text}");
    }
}
