//! The masquerade rules of table ip l2x, and whether IPv4 forwarding is on.

use serde::Serialize;

use super::{new_table, render};
use crate::msg::nft::nat::Owned;

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct NatView {
    pub forwarding: bool,
    pub rules: Vec<RuleView>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct RuleView {
    pub source: String,
    pub out: Option<String>,
    pub handle: u64,
}

/// Every masquerade rule in chain order, duplicates included: the view shows the kernel's
/// table as it is.
pub fn collect(owned: &Owned, forwarding: bool) -> NatView {
    NatView {
        forwarding,
        rules: owned
            .rules
            .iter()
            .filter_map(|(handle, r)| Some((handle, r.as_masquerade()?)))
            .map(|(handle, m)| RuleView {
                source: m.source.to_string(),
                out: m.out.clone(),
                handle: *handle,
            })
            .collect(),
    }
}

pub fn table(view: &NatView) -> String {
    let mut t = new_table(&["SOURCE", "OUT", "HANDLE"]);
    for r in &view.rules {
        t.add_row(vec![
            r.source.clone(),
            r.out.clone().unwrap_or_else(|| "any".into()),
            r.handle.to_string(),
        ]);
    }
    let on = if view.forwarding { "on" } else { "off" };
    format!(
        "{}IPv4 forwarding: {on}\n",
        render(t, view.rules.len(), "no masquerade rules")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::nft::masquerade::Masquerade;
    use crate::msg::nft::nat::TABLE;
    use crate::msg::nft::rule::Rule;

    #[test]
    fn rules_keep_their_handles_and_any_interface_is_null() {
        let masq = Masquerade {
            source: "10.0.5.0/24".parse().unwrap(),
            out: None,
        };
        let rule = Rule {
            table: TABLE.into(),
            chain: "postrouting".into(),
            handle: 2,
            exprs: masq.exprs(),
        };
        let owned = Owned::read(&[], &[rule]);
        let view = collect(&owned, true);
        assert_eq!(
            serde_json::to_value(&view).unwrap(),
            serde_json::json!({
                "forwarding": true,
                "rules": [{"source": "10.0.5.0/24", "out": null, "handle": 2}]
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
