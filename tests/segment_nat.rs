//! A segment's router with `forwards` and `maps` in the file: an "internet" namespace on the
//! underlay reaches a web server in a container on another host of the segment through a
//! forwarded port of the router, and a second container through its own public address (1:1
//! NAT), whose outgoing connections leave with that address; the segment's containers reach
//! the forwarded port at the router's public address too (hairpin). Re-applying changes
//! nothing; a file without them removes exactly them and the public address; down leaves no
//! table. Checked with nft -j, ip -j and python's urllib and sockets.

mod common;

use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::Duration;

use common::site::Site;
use common::*;

const WEB: &str = "02:00:00:00:0b:01";
const MAPPED: &str = "02:00:00:00:0b:02";

fn file_text(rules: &str) -> String {
    format!(
        "segment = \"nseg\"\n[router]\nhost = \"a\"\naddress = \"10.0.5.1/24\"\n\
         dhcp = \"10.0.5.100-10.0.5.199\"\nmasquerade = true\nout = \"eth0\"\n\
         reservations = {{ \"{WEB}\" = \"10.0.5.10\", \"{MAPPED}\" = \"10.0.5.20\" }}\n{rules}\n\
         [hosts.a]\nunderlay = \"192.0.2.1\"\n[hosts.b]\nunderlay = \"192.0.2.2\"\n"
    )
}

const RULES: &str = "forwards = [{ port = 8080, to = \"10.0.5.10:80\" }]\n\
                     maps = [{ public = \"192.0.2.100\", to = \"10.0.5.20\", in = \"eth0\" }]";

/// Processes the test started, ended by pid when it ends.
struct Started(Vec<Child>);

impl Drop for Started {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn spawn(ns: &Netns, args: &[&str]) -> Child {
    Command::new("ip")
        .args(["netns", "exec", &ns.name])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn")
}

/// An HTTP GET of `url` from `ns` (python's urllib): whether the web server's directory
/// listing came.
fn fetches(ns: &Netns, url: &str) -> bool {
    let get = format!(
        "import urllib.request; print(urllib.request.urlopen('{url}', timeout=3).read().decode())"
    );
    let out = ns.exec("python3", &["-c", &get]);
    String::from_utf8_lossy(&out.stdout).contains("Directory listing")
}

fn rules_of(ns: &Netns) -> String {
    String::from_utf8_lossy(&ns.exec("nft", &["-j", "list", "ruleset"]).stdout).to_string()
}

#[test]
fn forwards_and_maps_of_the_file_reach_containers_across_the_segment() {
    let mut site = Site::new("sgnat");
    site.add_host("a", "192.0.2.1");
    site.add_host("b", "192.0.2.2");
    site.add_host("net", "192.0.2.254");
    let file = site.file("nseg.toml", &file_text(RULES));
    let applied = site.apply("a", &file, &[]).ok();
    for line in [
        "nat tcp 8080 to 10.0.5.10:80 hairpin 10.0.5.0/24: forward added",
        "nat 192.0.2.100 to 10.0.5.20 in eth0: map added",
        "address 192.0.2.100/32 on eth0: created",
    ] {
        assert!(applied.stdout.contains(line), "{line}: {applied:?}");
    }
    site.apply("b", &file, &[]).ok();
    assert_eq!(
        site.apply("a", &file, &[]).ok().stdout.trim(),
        "segment nseg: unchanged"
    );
    site.add_container("b", "nseg", WEB);
    // On the router host: with br_netfilter loaded (as here), a bridge does not send a
    // frame it turned around back out of the port it came by, so a hairpin reaches only a
    // machine behind another port than the client's.
    site.add_container("a", "nseg", MAPPED);
    assert_eq!(site.lease("b", 0).as_deref(), Some("10.0.5.10"));
    assert_eq!(site.lease("a", 0).as_deref(), Some("10.0.5.20"));
    reach_through_the_router(&site);

    // Without them in the file: exactly they go, and the public address with them.
    let plain = site.file("plain.toml", &file_text(""));
    let removed = site.apply("a", &plain, &[]).ok();
    for line in [
        "nat tcp 8080 to 10.0.5.10:80 hairpin 10.0.5.0/24: forward deleted",
        "nat 192.0.2.100 to 10.0.5.20 in eth0: map deleted",
        "address 192.0.2.100/32 on eth0: deleted",
    ] {
        assert!(removed.stdout.contains(line), "{line}: {removed:?}");
    }
    let a = &site.host("a").ns;
    let left = rules_of(a);
    assert!(
        !left.contains("dnat") && left.contains("masquerade"),
        "{left}"
    );
    assert!(
        !a.ip(&["-j", "addr", "show", "dev", "eth0"])
            .contains("192.0.2.100")
    );
    assert!(
        !fetches(&site.host("net").ns, "http://192.0.2.1:8080/"),
        "the forward is gone"
    );
    let rules = site.file("rules.toml", &file_text(RULES));
    site.apply("a", &rules, &[]).ok();
    site.down("a", &rules, &[]).ok();
    let a = &site.host("a").ns;
    assert!(!rules_of(a).contains("\"l2x\""), "{}", rules_of(a));
    assert!(!a.ip(&["-j", "addr"]).contains("192.0.2.100"));
}

/// The internet reaches the web container through the forward and the mapped one through its
/// public address; the mapped one reaches the forward too (hairpin), and its connections
/// leave with its public address.
fn reach_through_the_router(site: &Site) {
    let (web, mapped) = (
        &site.host("b").containers[0].ns,
        &site.host("a").containers[0].ns,
    );
    let net = &site.host("net").ns;
    let mut started = Started(Vec::new());
    for (ct, ip) in [(web, "10.0.5.10"), (mapped, "10.0.5.20")] {
        started.0.push(spawn(
            ct,
            &["python3", "-m", "http.server", "80", "--bind", ip],
        ));
    }
    sleep(Duration::from_millis(800));
    assert!(
        fetches(net, "http://192.0.2.1:8080/"),
        "the forward from the internet"
    );
    assert!(
        fetches(mapped, "http://192.0.2.1:8080/"),
        "the forward from the segment (hairpin)"
    );
    assert!(
        fetches(net, "http://192.0.2.100/"),
        "the map from the internet"
    );
    // The mapped container's own connection leaves with the public address.
    let listener = spawn(
        net,
        &[
            "python3",
            "-c",
            "import socket; s = socket.socket(); s.bind(('192.0.2.254', 9000)); s.listen(); \
             c, a = s.accept(); print(a[0], flush=True)",
        ],
    );
    sleep(Duration::from_millis(500));
    let dial = mapped.exec(
        "python3",
        &[
            "-c",
            "import socket; socket.create_connection(('192.0.2.254', 9000), 5)",
        ],
    );
    assert!(dial.status.success(), "{dial:?}");
    let seen = listener.wait_with_output().expect("listener");
    assert_eq!(String::from_utf8_lossy(&seen.stdout).trim(), "192.0.2.100");
    drop(started);
}
