//! Segment files that are wrong: each is refused with exit status 2 and one line naming the
//! line and the key, before a single netlink request is sent (-v lists none) and with the
//! namespace as it was. Files that ask for what l2x cannot do yet are refused the same way
//! with exit status 1.

mod common;

use std::fs;

use common::*;

/// A valid file to break: two hosts, router a with DHCP.
const GOOD: &str = r#"segment = "seg"
[router]
host = "a"
address = "10.0.5.1/24"
dhcp = "10.0.5.100-10.0.5.199"

[hosts.a]
underlay = "192.0.2.1"

[hosts.b]
underlay = "192.0.2.2"
"#;

/// A namespace that is host a, and a scratch directory for the files.
struct Bench {
    ns: Netns,
    dir: std::path::PathBuf,
}

impl Bench {
    fn new() -> Bench {
        let ns = Netns::new("badseg");
        ns.veth("eth0", "x0");
        ns.ip_line("addr add 192.0.2.1/24 dev eth0");
        let dir = std::env::temp_dir().join(&ns.name);
        fs::create_dir_all(&dir).unwrap();
        Bench { ns, dir }
    }

    /// Applies `text` (as file `name`) and expects it refused: exit `code`, the first line
    /// `l2x: apply FILE: line LINE: KEY: ...` holding `said`, nothing sent, nothing changed.
    fn refuses(&self, name: &str, text: &str, code: i32, line: usize, key: &str, said: &str) {
        let path = self.dir.join(format!("{name}.toml"));
        fs::write(&path, text).unwrap();
        let path = path.to_str().unwrap();
        let before = self.ns.snapshot();
        let run = self.ns.l2x(&["-v", "apply", path]).fails(code, said);
        let first = run.stderr.lines().next().unwrap();
        let at = format!("l2x: apply {path}: line {line}: {key}: ");
        assert!(first.starts_with(&at), "{name}: want {at:?}, got {first:?}");
        assert!(
            !run.stderr.contains("netlink:"),
            "{name}: a request was sent: {run:?}"
        );
        assert_eq!(self.ns.snapshot(), before, "{name}: something changed");
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn wrong_files_are_refused_naming_the_key_and_the_line() {
    let b = Bench::new();
    let r = |name: &str, text: &str, line: usize, key: &str, said: &str| {
        b.refuses(name, text, 2, line, key, said);
    };
    r(
        "unknown-key",
        &GOOD.replace("[router]", "colour = \"red\"\n[router]"),
        2,
        "colour",
        "unknown field `colour`",
    );
    r(
        "unknown-host-key",
        &GOOD.replace(
            "underlay = \"192.0.2.2\"",
            "underlay = \"192.0.2.2\"\nmtu = 1400",
        ),
        12,
        "hosts.b.mtu",
        "unknown field `mtu`",
    );
    r(
        "duplicate-host",
        &format!("{GOOD}\n[hosts.a]\nunderlay = \"192.0.2.9\"\n"),
        13,
        "hosts.a",
        "duplicate key",
    );
    r(
        "router-not-a-host",
        &GOOD.replace("host = \"a\"", "host = \"z\""),
        3,
        "router.host",
        "\"z\" is not a host of this segment (its hosts: a, b)",
    );
    r(
        "range-outside-the-subnet",
        &GOOD.replace("10.0.5.100-10.0.5.199", "10.0.6.100-10.0.6.199"),
        5,
        "router.dhcp",
        "10.0.6.100-10.0.6.199 is not inside the router's subnet 10.0.5.0/24",
    );
    r(
        "range-holds-the-router",
        &GOOD.replace("10.0.5.100-10.0.5.199", "10.0.5.1-10.0.5.50"),
        5,
        "router.dhcp",
        "includes the network, broadcast or router address",
    );
    r(
        "no-underlay",
        &GOOD.replace("underlay = \"192.0.2.2\"", ""),
        10,
        "hosts.b.underlay",
        "no underlay: the other hosts reach this one there",
    );
    r(
        "derived-name-too-long",
        &GOOD
            .replace(
                "segment = \"seg\"",
                "segment = \"superbridge1\"\ntunnel = \"gretap\"",
            )
            .replace("[hosts.b]", "[hosts.frankfurt]"),
        11,
        "hosts.frankfurt",
        "the tunnel to it would be called superbridge1-frankfurt (22 bytes)",
    );
    r(
        "vxlan-device-name-too-long",
        &GOOD.replace("segment = \"seg\"", "segment = \"thirteen-byte\""),
        1,
        "segment",
        "the VXLAN device's name would be thirteen-byte-vx",
    );
    r(
        "shared-underlay",
        &GOOD.replace("192.0.2.2", "192.0.2.1"),
        11,
        "hosts.b.underlay",
        "192.0.2.1 is also hosts.a's address",
    );
    r(
        "no-segment",
        &GOOD.replace("segment = \"seg\"", ""),
        1,
        "segment",
        "missing field `segment`",
    );
    r(
        "segment-name-too-long",
        &GOOD.replace("segment = \"seg\"", "segment = \"sixteen-bytes-xx\""),
        1,
        "segment",
        "cannot be a bridge's name: interface names are at most 15 bytes",
    );
    r(
        "unknown-tunnel",
        &GOOD.replace("[router]", "tunnel = \"ipsec\"\n[router]"),
        2,
        "tunnel",
        "unknown variant `ipsec`",
    );
    r(
        "mtu-out-of-range",
        &GOOD.replace("[router]", "mtu = 100\n[router]"),
        2,
        "mtu",
        "100 is not an MTU a segment can have",
    );
    r(
        "mtu-not-a-number",
        &GOOD.replace("[router]", "mtu = \"big\"\n[router]"),
        2,
        "mtu",
        "invalid type: string \"big\", expected u32",
    );
    r(
        "vni-without-vxlan",
        &GOOD.replace("[router]", "tunnel = \"l2tp\"\nvni = 42\n[router]"),
        3,
        "vni",
        "a VNI is for tunnel = \"vxlan\"",
    );
    r(
        "vni-out-of-range",
        &GOOD.replace("[router]", "vni = 16777216\n[router]"),
        2,
        "vni",
        "a VNI is 1-16777215",
    );
    r(
        "reservation-outside-the-subnet",
        &GOOD.replace(
            "dhcp = ",
            "reservations = { \"02:00:00:00:00:10\" = \"10.0.9.10\" }\ndhcp = ",
        ),
        5,
        "router.reservations.\"02:00:00:00:00:10\"",
        "10.0.9.10 is not a client address of the router's subnet",
    );
    r(
        "reservation-of-a-multicast-mac",
        &GOOD.replace(
            "dhcp = ",
            "reservations = { \"01:00:5e:00:00:10\" = \"10.0.5.10\" }\ndhcp = ",
        ),
        5,
        "router.reservations.\"01:00:5e:00:00:10\"",
        "is a multicast address",
    );
    r(
        "dns-without-dhcp",
        &GOOD.replace("dhcp = \"10.0.5.100-10.0.5.199\"", "dns = true"),
        5,
        "router.dns",
        "DNS runs with the segment's DHCP server: give router.dhcp",
    );
    r(
        "reservations-without-dhcp",
        &GOOD.replace(
            "dhcp = \"10.0.5.100-10.0.5.199\"",
            "reservations = { \"02:00:00:00:00:10\" = \"10.0.5.10\" }",
        ),
        5,
        "router.reservations",
        "this is for the DHCP server: give router.dhcp",
    );
    r(
        "out-without-masquerade",
        &GOOD.replace("dhcp = ", "out = \"eth0\"\ndhcp = "),
        5,
        "router.out",
        "give masquerade = true",
    );
    r(
        "router-address-without-prefix",
        &GOOD.replace("10.0.5.1/24", "10.0.5.1"),
        4,
        "router.address",
        "has no prefix length",
    );
    r(
        "families-mixed",
        &GOOD.replace("192.0.2.2", "2001:db8::2"),
        11,
        "hosts.b.underlay",
        "are of different families",
    );
    r(
        "hub-without-router",
        "segment = \"s\"\nmesh = false\n[hosts.a]\nunderlay = \"192.0.2.1\"\n",
        2,
        "mesh",
        "mesh = false tunnels every host to the router host: give [router]",
    );
    r(
        "port-twice",
        &GOOD.replace(
            "underlay = \"192.0.2.1\"",
            "underlay = \"192.0.2.1\"\nports = [\"eth1\", \"eth1\"]",
        ),
        9,
        "hosts.a.ports",
        "eth1 is named twice",
    );
    r(
        "port-with-the-tunnels-name",
        &GOOD.replace(
            "underlay = \"192.0.2.1\"",
            "underlay = \"192.0.2.1\"\nports = [\"seg-vx\"]",
        ),
        7,
        "hosts.a.ports",
        "seg-vx is a name this segment makes itself",
    );
    r(
        "lease-time",
        &GOOD.replace("dhcp = ", "lease_time = \"1w\"\ndhcp = "),
        5,
        "router.lease_time",
        "'1w' is not a duration",
    );
    r(
        "relative-lease-file",
        &GOOD.replace("dhcp = ", "lease_file = \"leases\"\ndhcp = "),
        5,
        "router.lease_file",
        "give an absolute path",
    );
    r(
        "loopback-underlay",
        &GOOD.replace("192.0.2.2", "127.0.0.1"),
        11,
        "hosts.b.underlay",
        "127.0.0.1 is not a unicast host address",
    );
    r(
        "bad-public-key",
        &GOOD.replace(
            "underlay = \"192.0.2.2\"",
            "underlay = \"192.0.2.2\"\npublic_key = \"abc\"",
        ),
        12,
        "hosts.b.public_key",
        "not a WireGuard public key",
    );
    let rules = |line: &str| GOOD.replace("dhcp = ", &format!("{line}\ndhcp = "));
    r(
        "forward-off-the-segment",
        &rules("forwards = [{ port = 8080, to = \"192.0.2.9:80\" }]"),
        5,
        "router.forwards",
        "192.0.2.9 is not a machine on the segment (10.0.5.1/24",
    );
    r(
        "forward-bad-port",
        &rules("forwards = [{ port = \"80-70\", to = \"10.0.5.9\" }]"),
        5,
        "router.forwards",
        "range 80-70 ends before it starts",
    );
    r(
        "forward-twice",
        &rules(
            "forwards = [{ port = 8080, to = \"10.0.5.9\" }, { port = \"8000-8090\", to = \
             \"10.0.5.8\" }]",
        ),
        5,
        "router.forwards",
        "tcp 8000-8090 is forwarded already (to 10.0.5.9)",
    );
    r(
        "forward-proto",
        &rules("forwards = [{ port = 53, to = \"10.0.5.9\", proto = \"sctp\" }]"),
        5,
        "router.forwards",
        "\"sctp\" is no protocol (tcp or udp)",
    );
    r(
        "map-public-on-the-segment",
        &rules("maps = [{ public = \"10.0.5.7\", to = \"10.0.5.9\" }]"),
        5,
        "router.maps",
        "10.0.5.7 is on the segment (10.0.5.1/24): a public address is not",
    );
    r(
        "map-to-the-router",
        &rules("maps = [{ public = \"198.51.100.7\", to = \"10.0.5.1\" }]"),
        5,
        "router.maps",
        "10.0.5.1 is not a machine on the segment",
    );
    r(
        "move-addresses-without-ports",
        &GOOD.replace(
            "underlay = \"192.0.2.2\"",
            "underlay = \"192.0.2.2\"\nmove_addresses = true",
        ),
        12,
        "hosts.b.move_addresses",
        "move_addresses moves what the host's ports carry: give ports",
    );
    r(
        "no-hosts",
        "segment = \"s\"\n[hosts]\n",
        2,
        "hosts",
        "a segment needs at least one host",
    );
    r(
        "host-name-with-a-slash",
        &GOOD.replace("[hosts.b]", "[hosts.\"b/c\"]"),
        10,
        "hosts.b/c",
        "cannot name a host",
    );
}

#[test]
fn a_file_that_is_no_toml_names_its_line() {
    let b = Bench::new();
    let path = b.dir.join("broken.toml");
    fs::write(&path, "segment = \"seg\"\n[hosts.a\nunderlay = 1\n").unwrap();
    let run =
        b.ns.l2x(&["apply", path.to_str().unwrap()])
            .fails(2, "line 2: ");
    assert!(!run.stderr.contains("netlink"), "{run:?}");
    let missing = b.ns.l2x(&["apply", "/nonexistent/seg.toml"]);
    missing.fails(1, "cannot open /nonexistent/seg.toml");
}

/// `l2x key gen --out DIR/NAME`: the public key it printed.
fn key_gen(dir: &std::path::Path, name: &str) -> String {
    let path = dir.join(name);
    let _ = fs::remove_file(&path);
    let out = run_ok(
        env!("CARGO_BIN_EXE_l2x"),
        &["key", "gen", "--out", path.to_str().unwrap()],
    );
    out.trim().to_string()
}

#[test]
fn wrong_encrypted_files_are_refused_naming_the_key_and_the_line() {
    let b = Bench::new();
    let (ka, kb) = (key_gen(&b.dir, "a.key"), key_gen(&b.dir, "b.key"));
    let encrypted = GOOD
        .replace("[router]", "encrypt = \"wireguard\"\n[router]")
        .replace(
            "underlay = \"192.0.2.1\"",
            &format!("underlay = \"192.0.2.1\"\npublic_key = \"{ka}\""),
        );
    b.refuses(
        "no-public-key",
        &encrypted,
        2,
        12,
        "hosts.b.public_key",
        "no public_key: every host of an encrypted segment needs one",
    );
    let keyed = encrypted.replace(
        "underlay = \"192.0.2.2\"",
        &format!("underlay = \"192.0.2.2\"\npublic_key = \"{kb}\""),
    );
    b.refuses(
        "same-key",
        &keyed.replace(&kb, &ka),
        2,
        14,
        "hosts.b.public_key",
        "hosts.a has the same public key",
    );
    // b behind NAT is fine; a and b both behind NAT cannot reach each other.
    let both = keyed
        .replace("underlay = \"192.0.2.1\"\n", "")
        .replace("underlay = \"192.0.2.2\"\n", "");
    b.refuses(
        "both-behind-nat",
        &both,
        2,
        8,
        "hosts.a",
        "neither a nor b has an underlay",
    );
}

#[test]
fn the_host_key_is_checked_before_anything_changes() {
    let b = Bench::new();
    let (ka, kb) = (key_gen(&b.dir, "a.key"), key_gen(&b.dir, "b.key"));
    let text = GOOD
        .replace("[router]", "encrypt = \"wireguard\"\n[router]")
        .replace(
            "underlay = \"192.0.2.1\"",
            &format!("underlay = \"192.0.2.1\"\npublic_key = \"{ka}\""),
        )
        .replace(
            "underlay = \"192.0.2.2\"",
            &format!("underlay = \"192.0.2.2\"\npublic_key = \"{kb}\""),
        );
    let path = b.dir.join("enc.toml");
    fs::write(&path, &text).unwrap();
    let path = path.to_str().unwrap();
    let key = |name: &str| b.dir.join(name).to_str().unwrap().to_string();
    let before = b.ns.snapshot();
    let missing = b.ns.l2x(&["apply", path, "--key-file", &key("none.key")]);
    let missing = missing.fails(1, "none.key: no such key file");
    assert!(
        missing
            .stderr
            .contains("hint: make one with `l2x key gen --out"),
        "{missing:?}"
    );
    run_ok("chmod", &["644", &key("a.key")]);
    let open = b.ns.l2x(&["apply", path, "--key-file", &key("a.key")]);
    let open = open.fails(1, "has mode 0644: users other than its owner can read");
    assert!(open.stderr.contains("hint: chmod 600 "), "{open:?}");
    run_ok("chmod", &["600", &key("a.key")]);
    let other = b.ns.l2x(&["apply", path, "--key-file", &key("b.key")]);
    let other = other.fails(1, "and hosts.a.public_key is another");
    assert!(other.stderr.contains(&format!("= \"{kb}\"")), "{other:?}");
    assert_eq!(b.ns.snapshot(), before, "a refused key changed something");
}

#[test]
fn what_is_not_supported_yet_is_refused_naming_the_key() {
    let b = Bench::new();
    b.refuses(
        "unknown-encryption",
        &GOOD.replace("[router]", "encrypt = \"ipsec\"\n[router]"),
        2,
        2,
        "encrypt",
        "\"ipsec\" is no encryption l2x knows",
    );
}
