//! A stretched segment in namespaces: an underlay "wan" (a bridge in its own namespace) that
//! every host reaches through a veth, a bridge on each host, and one container per host
//! attached to its host's bridge. Tunnels between the hosts are the tests' business.

use super::Netns;

pub struct Host {
    pub ns: Netns,
    /// The host's underlay address, 192.0.2.N.
    pub underlay: String,
    /// The container behind the host's bridge br0, with 10.0.5.N/24 on eth0.
    pub container: Netns,
    pub container_ip: String,
}

pub struct Segment {
    pub wan: Netns,
    pub hosts: Vec<Host>,
}

impl Segment {
    /// `n` hosts on one underlay, each with bridge br0 (made with iproute2, so that tunnel
    /// tests depend only on the tunnel code) and a container at 10.0.5.N.
    pub fn new(tag: &str, n: usize) -> Segment {
        let wan = Netns::new(&format!("{tag}-wan"));
        wan.ip(&["link", "add", "wan0", "type", "bridge"]);
        wan.ip(&["link", "set", "wan0", "up"]);
        let hosts = (1..=n).map(|i| host(&wan, tag, i)).collect();
        Segment { wan, hosts }
    }

    pub fn host(&self, n: usize) -> &Host {
        &self.hosts[n - 1]
    }
}

fn host(wan: &Netns, tag: &str, i: usize) -> Host {
    let ns = Netns::new(&format!("{tag}-h{i}"));
    let underlay = format!("192.0.2.{i}");
    let (up, down) = (format!("up{i}"), format!("wan{i}"));
    wan.ip(&[
        "link", "add", &down, "type", "veth", "peer", "name", &up, "netns", &ns.name,
    ]);
    wan.ip(&["link", "set", &down, "master", "wan0", "up"]);
    ns.ip(&["addr", "add", &format!("{underlay}/24"), "dev", &up]);
    ns.ip(&["link", "set", &up, "up"]);
    ns.ip(&["link", "add", "br0", "type", "bridge"]);
    ns.ip(&["link", "set", "br0", "up"]);

    let container = Netns::new(&format!("{tag}-c{i}"));
    let container_ip = format!("10.0.5.{}", 10 + i);
    let port = format!("c{i}");
    ns.ip(&[
        "link",
        "add",
        &port,
        "type",
        "veth",
        "peer",
        "name",
        "eth0",
        "netns",
        &container.name,
    ]);
    ns.ip(&["link", "set", &port, "master", "br0", "up"]);
    container.ip(&["addr", "add", &format!("{container_ip}/24"), "dev", "eth0"]);
    container.ip(&["link", "set", "eth0", "up"]);
    Host {
        ns,
        underlay,
        container,
        container_ip,
    }
}

impl Host {
    /// Pings `ip` from this host's container; true when a reply came back.
    pub fn container_pings(&self, ip: &str) -> bool {
        let out = self
            .container
            .exec("ping", &["-c", "2", "-i", "0.2", "-W", "2", ip]);
        out.status.success()
    }
}
