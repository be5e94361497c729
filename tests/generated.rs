//! completions/ and man/ are generated from the clap definitions and committed; this test
//! fails when they are stale. Refresh them with `cargo run -- generate .`.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

fn read_tree(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("dir entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        files.insert(name, fs::read_to_string(&path).expect("text file"));
    }
    files
}

#[test]
fn committed_completions_and_man_pages_are_fresh() {
    let out = std::env::temp_dir().join(format!("l2x-generated-{}", std::process::id()));
    let status = Command::new(env!("CARGO_BIN_EXE_l2x"))
        .arg("generate")
        .arg(&out)
        .status()
        .expect("run l2x generate");
    assert!(status.success());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["completions", "man"] {
        let fresh = read_tree(&out.join(dir));
        let committed = read_tree(&root.join(dir));
        let names = |m: &BTreeMap<String, String>| m.keys().cloned().collect::<Vec<_>>();
        assert_eq!(
            names(&committed),
            names(&fresh),
            "{dir}/ files differ: run `cargo run -- generate .`"
        );
        for (name, text) in &fresh {
            assert!(
                committed[name] == *text,
                "{dir}/{name} is stale: run `cargo run -- generate .`"
            );
        }
    }
    fs::remove_dir_all(&out).ok();
}
