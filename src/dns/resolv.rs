//! The host's own resolvers, the default upstreams: the `nameserver` lines of resolv.conf.
//! A loopback address there is a stub on this host (systemd-resolved's 127.0.0.53, a local
//! dnsmasq); when systemd-resolved keeps the list of servers it forwards to, those are taken
//! instead, so answers do not make a detour through the stub.

use std::fs;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

/// Where /etc/resolv.conf points clients of the host.
pub const RESOLV_CONF: &str = "/etc/resolv.conf";
/// Where systemd-resolved lists the servers it forwards to.
pub const RESOLVED_UPSTREAMS: &str = "/run/systemd/resolve/resolv.conf";

const DNS_PORT: u16 = 53;

/// The upstreams named by `resolv_conf`, with loopback stubs replaced by the servers in
/// `resolved` when that file exists. A missing resolv.conf lists none.
pub fn host_resolvers(resolv_conf: &Path, resolved: &Path) -> io::Result<Vec<SocketAddr>> {
    let listed = match fs::read_to_string(resolv_conf) {
        Ok(text) => nameservers(&text),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    let (stubs, remote): (Vec<IpAddr>, Vec<IpAddr>) =
        listed.into_iter().partition(IpAddr::is_loopback);
    let chosen = if stubs.is_empty() {
        remote
    } else {
        match fs::read_to_string(resolved) {
            Ok(text) => {
                let behind: Vec<IpAddr> = nameservers(&text)
                    .into_iter()
                    .filter(|ip| !ip.is_loopback())
                    .collect();
                merge(behind, remote)
            }
            // No list behind the stub: the stub itself is the host's resolver.
            Err(e) if e.kind() == io::ErrorKind::NotFound => merge(stubs, remote),
            Err(e) => return Err(e),
        }
    };
    Ok(chosen
        .into_iter()
        .map(|ip| SocketAddr::new(ip, DNS_PORT))
        .collect())
}

/// `first`, then what `more` has that `first` has not.
fn merge(mut first: Vec<IpAddr>, more: Vec<IpAddr>) -> Vec<IpAddr> {
    for ip in more {
        if !first.contains(&ip) {
            first.push(ip);
        }
    }
    first
}

/// The addresses of the `nameserver` lines, in order, each once. Lines that do not parse
/// are skipped, as the libc resolver skips them; so are link-local IPv6 addresses, which
/// need a `%interface` scope that only the host that wrote the file can read.
fn nameservers(text: &str) -> Vec<IpAddr> {
    let mut found: Vec<IpAddr> = Vec::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        if words.next() != Some("nameserver") {
            continue;
        }
        let Some(Ok(ip)) = words.next().map(str::parse::<IpAddr>) else {
            continue;
        };
        let link_local = matches!(ip, IpAddr::V6(v6) if v6.is_unicast_link_local());
        if !link_local && !found.contains(&ip) {
            found.push(ip);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    struct Files {
        dir: PathBuf,
    }

    impl Files {
        fn new(name: &str) -> Files {
            let dir =
                std::env::temp_dir().join(format!("l2x-resolv-{}-{name}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            Files { dir }
        }

        fn write(&self, name: &str, text: &str) -> PathBuf {
            let path = self.dir.join(name);
            fs::write(&path, text).unwrap();
            path
        }

        fn missing(&self) -> PathBuf {
            self.dir.join("missing")
        }
    }

    impl Drop for Files {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }

    fn addrs(list: &[&str]) -> Vec<SocketAddr> {
        list.iter().map(|a| a.parse().unwrap()).collect()
    }

    #[test]
    fn nameserver_lines_are_read_in_order() {
        let f = Files::new("plain");
        let conf = f.write(
            "resolv.conf",
            "# from DHCP\nsearch example.net\nnameserver 192.0.2.53\n\
             nameserver   2001:db8::53\nnameserver fe80::1%eth0\nnameserver bogus\n\
             nameserver 192.0.2.53\n;nameserver 192.0.2.99\noptions edns0\n",
        );
        assert_eq!(
            host_resolvers(&conf, &f.missing()).unwrap(),
            addrs(&["192.0.2.53:53", "[2001:db8::53]:53"])
        );
    }

    #[test]
    fn the_systemd_resolved_stub_gives_way_to_its_upstreams() {
        let f = Files::new("resolved");
        let conf = f.write(
            "resolv.conf",
            "nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n",
        );
        let resolved = f.write(
            "resolved.conf",
            "nameserver 198.51.100.1\nnameserver 198.51.100.2\n",
        );
        assert_eq!(
            host_resolvers(&conf, &resolved).unwrap(),
            addrs(&["198.51.100.1:53", "198.51.100.2:53"])
        );
    }

    #[test]
    fn a_local_stub_without_a_list_behind_it_is_the_resolver() {
        let f = Files::new("stub");
        let conf = f.write(
            "resolv.conf",
            "nameserver 127.0.0.1\nnameserver 192.0.2.53\n",
        );
        assert_eq!(
            host_resolvers(&conf, &f.missing()).unwrap(),
            addrs(&["127.0.0.1:53", "192.0.2.53:53"])
        );
    }

    #[test]
    fn no_resolv_conf_lists_no_resolvers() {
        let f = Files::new("none");
        assert_eq!(host_resolvers(&f.missing(), &f.missing()).unwrap(), vec![]);
    }
}
