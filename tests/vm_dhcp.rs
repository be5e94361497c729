//! Other DHCP servers on a served bridge, on a kernel with nft_meta_bridge (`meta ibrname`,
//! which the development kernel lacks): run inside the VM by tests/vm/run. A dnsmasq in one
//! container answers DISCOVERs; a client in another container gets only l2x's offers while
//! `dhcp serve` runs, and table bridge l2x comes and goes with the server.

mod common;

use std::fs;

use common::dhcp_lab::*;
use common::*;
use serde_json::Value;

/// The bridge-family tables and their rules, as `nft -j list ruleset` shows them.
fn bridge_rules(ns: &Netns) -> Vec<Value> {
    let out = ns.exec("nft", &["-j", "list", "ruleset"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["nftables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["rule"]["family"] == "bridge" || o["table"]["family"] == "bridge")
        .cloned()
        .collect()
}

#[test]
fn only_l2x_answers_clients_while_it_serves_the_bridge() {
    let mut lab = Lab::new("rogue");
    let (rogue, client) = (lab.container(), lab.container());
    let Container { ns, iface } = &lab.containers[rogue];
    ns.ip(&["addr", "add", "10.0.5.250/24", "dev", iface]);
    let conf = lab.path("dnsmasq.conf");
    fs::write(&conf, "").unwrap();
    let (leases, log) = (lab.path("rogue.leases"), lab.path("rogue.log"));
    let args = [
        "--no-daemon".to_string(),
        format!("--conf-file={conf}"),
        "--port=0".into(),
        format!("--interface={iface}"),
        "--bind-interfaces".into(),
        "--dhcp-range=10.0.5.200,10.0.5.210,255.255.255.0,1h".into(),
        "--dhcp-authoritative".into(),
        // Else it pings each address before offering it, and the first clients time out.
        "--no-ping".into(),
        format!("--dhcp-leasefile={leases}"),
        format!("--log-facility={log}"),
        "--pid-file=".into(),
        "--user=root".into(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let _dnsmasq = lab.spawn(rogue, "dnsmasq", &args);
    let offers = || {
        fs::read_to_string(&log)
            .unwrap_or_default()
            .matches("DHCPOFFER")
            .count()
    };

    // Nobody keeps it off yet: the client takes its offer (once dnsmasq has started).
    let got = (0..5)
        .find_map(|_| lab.udhcpc_once(client))
        .expect("the other server's lease");
    let last: u8 = got.rsplit('.').next().unwrap().parse().unwrap();
    assert!(
        (200..=210).contains(&last),
        "{got} is not the other server's"
    );

    lab.serve(&[]).ok();
    let table = bridge_rules(&lab.host);
    assert!(
        table.iter().any(|o| o["table"]["name"] == "l2x"),
        "{table:?}"
    );
    let rule = table.iter().find(|o| o["rule"]["chain"] == "dhcp-guard");
    assert!(rule.is_some(), "{table:?}");
    let before = offers();
    for _ in 0..5 {
        let got = lab.udhcpc_once(client).expect("l2x's lease");
        assert!(in_range(&got), "{got} is not l2x's");
    }
    assert!(
        offers() > before,
        "the other server went on answering, unheard"
    );

    lab.stop().ok();
    assert_eq!(
        bridge_rules(&lab.host),
        Vec::<Value>::new(),
        "the table goes with the server"
    );

    // --allow-other-servers leaves the bridge open.
    lab.serve(&["--allow-other-servers"]).ok();
    assert_eq!(bridge_rules(&lab.host), Vec::<Value>::new());
}
