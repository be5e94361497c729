//! nft itself, the oracle for table ip l2x.

use serde_json::Value;

use super::Netns;

/// `nft ARGS` inside the namespace, which must succeed.
pub fn nft(ns: &Netns, args: &[&str]) -> String {
    let out = ns.exec("nft", args);
    assert!(
        out.status.success(),
        "nft {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs an nft script (one command a line) inside the namespace.
pub fn nft_script(ns: &Netns, script: &str) {
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let args: Vec<&str> = shell_words(line);
        nft(ns, &args);
    }
}

/// Splits a line of nft words; `{ ... }` stays one word, as a shell would keep it quoted.
fn shell_words(line: &str) -> Vec<&str> {
    match line.find('{') {
        Some(i) => {
            let mut words: Vec<&str> = line[..i].split_whitespace().collect();
            words.push(&line[i..]);
            words
        }
        None => line.split_whitespace().collect(),
    }
}

/// The objects of table ip l2x in `nft -j list ruleset`, without handles (which count up
/// differently in different namespaces).
pub fn l2x_table(ns: &Netns) -> Vec<Value> {
    let all: Value = serde_json::from_str(&nft(ns, &["-j", "list", "ruleset"])).expect("nft JSON");
    all["nftables"]
        .as_array()
        .expect("nftables array")
        .iter()
        .filter(|item| {
            let Some((kind, obj)) = item.as_object().and_then(|o| o.iter().next()) else {
                return false;
            };
            let table = if kind == "table" {
                &obj["name"]
            } else {
                &obj["table"]
            };
            obj["family"] == "ip" && table == "l2x"
        })
        .map(|item| {
            let mut item = item.clone();
            strip_handles(&mut item);
            item
        })
        .collect()
}

pub fn strip_handles(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.remove("handle");
            map.values_mut().for_each(strip_handles);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_handles),
        _ => {}
    }
}
