//! Who holds a port: the sockets bound where the server wants to bind, found in the kernel's
//! socket tables (/proc/thread-self/net/{udp,tcp}{,6}, those of the calling thread's network
//! namespace), and the processes that have them open, found through /proc/PID/fd. That is
//! how `ss -p` answers the same question.

use std::fs;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4};
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Udp,
    Tcp,
}

impl Proto {
    pub fn name(self) -> &'static str {
        match self {
            Proto::Udp => "UDP",
            Proto::Tcp => "TCP",
        }
    }

    fn tables(self) -> [&'static str; 2] {
        match self {
            Proto::Udp => ["udp", "udp6"],
            Proto::Tcp => ["tcp", "tcp6"],
        }
    }
}

/// A process with a socket open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    pub command: String,
}

/// TCP_LISTEN in the `st` column (include/net/tcp_states.h).
const TCP_LISTEN: &str = "0A";

/// The processes holding a `proto` socket that keeps `addr` from being bound: one on that
/// address and port, or on the wildcard address and that port.
pub fn holders(proto: Proto, addr: SocketAddrV4) -> Vec<Holder> {
    let mut inodes = Vec::new();
    for table in proto.tables() {
        let path = Path::new("/proc/thread-self/net").join(table);
        if let Ok(text) = fs::read_to_string(path) {
            inodes.extend(bound_inodes(&text, proto, addr));
        }
    }
    if inodes.is_empty() {
        return Vec::new();
    }
    owners(Path::new("/proc"), &inodes)
}

/// The inodes of the sockets in one table (`/proc/net/udp` and kin) bound where `addr` is.
fn bound_inodes(table: &str, proto: Proto, addr: SocketAddrV4) -> Vec<u64> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (local, state, inode) = (f.get(1)?, f.get(3)?, f.get(9)?);
            let (ip, port) = local.split_once(':')?;
            let port = u16::from_str_radix(port, 16).ok()?;
            let listening = proto == Proto::Udp || *state == TCP_LISTEN;
            (port == addr.port() && listening && covers(ip, *addr.ip()))
                .then(|| inode.parse().ok())
                .flatten()
        })
        .collect()
}

/// Whether a socket bound to `hex` (the table's spelling of an address) takes `ip`'s port
/// too: the same address, the wildcard, or (in the IPv6 table) either one mapped.
fn covers(hex: &str, ip: Ipv4Addr) -> bool {
    match hex.len() {
        8 => parse_v4(hex).is_some_and(|a| a == ip || a.is_unspecified()),
        32 => parse_v6(hex).is_some_and(|a| {
            a.is_unspecified()
                || a.to_ipv4_mapped()
                    .is_some_and(|m| m == ip || m.is_unspecified())
        }),
        _ => false,
    }
}

/// The kernel prints the address as the 32-bit word it has in memory, in hex: the bytes of
/// the address in host order (`0105000A` is 10.0.5.1 on a little-endian machine).
fn parse_v4(hex: &str) -> Option<Ipv4Addr> {
    u32::from_str_radix(hex, 16)
        .ok()
        .map(|w| Ipv4Addr::from(w.to_ne_bytes()))
}

/// Four such words.
fn parse_v6(hex: &str) -> Option<Ipv6Addr> {
    let mut bytes = [0u8; 16];
    for (i, chunk) in bytes.chunks_exact_mut(4).enumerate() {
        let word = u32::from_str_radix(hex.get(i * 8..i * 8 + 8)?, 16).ok()?;
        chunk.copy_from_slice(&word.to_ne_bytes());
    }
    Some(Ipv6Addr::from(bytes))
}

/// The processes under `proc` with one of `inodes` open, each once, by pid.
fn owners(proc: &Path, inodes: &[u64]) -> Vec<Holder> {
    let wanted: Vec<String> = inodes.iter().map(|i| format!("socket:[{i}]")).collect();
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir(proc) else {
        return found;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        // A process may end while it is looked at; whatever cannot be read is skipped.
        let Ok(fds) = fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        let holds = fds.flatten().any(|fd| {
            fs::read_link(fd.path()).is_ok_and(|target| {
                target
                    .to_str()
                    .is_some_and(|t| wanted.iter().any(|w| w == t))
            })
        });
        if holds {
            let command = fs::read_to_string(entry.path().join("comm"))
                .map(|c| c.trim_end().to_string())
                .unwrap_or_else(|_| "?".into());
            found.push(Holder { pid, command });
        }
    }
    found.sort_by_key(|h| h.pid);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex_v4(ip: [u8; 4]) -> String {
        format!("{:08X}", u32::from_ne_bytes(ip))
    }

    fn table(lines: &[String]) -> String {
        let mut text = String::from(
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n",
        );
        for l in lines {
            text.push_str(l);
            text.push('\n');
        }
        text
    }

    fn row(local: &str, state: &str, inode: u64) -> String {
        format!(
            "  1: {local} 00000000:0000 {state} 00000000:00000000 00:00000000 00000000     0        0 {inode} 2 0000000000000000 0"
        )
    }

    #[test]
    fn sockets_on_the_address_or_the_wildcard_hold_the_port() {
        let want = SocketAddrV4::new(Ipv4Addr::new(10, 0, 5, 1), 53);
        let text = table(&[
            row(&format!("{}:0035", hex_v4([10, 0, 5, 1])), "07", 101),
            row(&format!("{}:0035", hex_v4([0, 0, 0, 0])), "07", 102),
            row(&format!("{}:0035", hex_v4([127, 0, 0, 53])), "07", 103),
            row(&format!("{}:0036", hex_v4([10, 0, 5, 1])), "07", 104),
        ]);
        assert_eq!(bound_inodes(&text, Proto::Udp, want), vec![101, 102]);
    }

    #[test]
    fn only_listening_tcp_sockets_hold_the_port() {
        let want = SocketAddrV4::new(Ipv4Addr::new(10, 0, 5, 1), 53);
        let local = format!("{}:0035", hex_v4([10, 0, 5, 1]));
        let text = table(&[row(&local, "0A", 201), row(&local, "01", 202)]);
        assert_eq!(bound_inodes(&text, Proto::Tcp, want), vec![201]);
    }

    #[test]
    fn ipv6_wildcards_and_mapped_addresses_count() {
        let want = SocketAddrV4::new(Ipv4Addr::new(10, 0, 5, 1), 53);
        let v6 = |ip: Ipv6Addr| {
            let o = ip.octets();
            (0..4)
                .map(|i| hex_v4([o[4 * i], o[4 * i + 1], o[4 * i + 2], o[4 * i + 3]]))
                .collect::<String>()
        };
        let text = table(&[
            row(&format!("{}:0035", v6(Ipv6Addr::UNSPECIFIED)), "07", 301),
            row(
                &format!("{}:0035", v6(Ipv4Addr::new(10, 0, 5, 1).to_ipv6_mapped())),
                "07",
                302,
            ),
            row(&format!("{}:0035", v6(Ipv6Addr::LOCALHOST)), "07", 303),
        ]);
        assert_eq!(bound_inodes(&text, Proto::Udp, want), vec![301, 302]);
    }

    #[test]
    fn garbage_lines_hold_nothing() {
        let want = SocketAddrV4::new(Ipv4Addr::new(10, 0, 5, 1), 53);
        let text = table(&[
            "junk".into(),
            "  1: zz:0035 x 07 a b c d e notanumber".into(),
        ]);
        assert!(bound_inodes(&text, Proto::Udp, want).is_empty());
    }

    #[test]
    fn this_process_is_found_holding_its_own_socket() {
        let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = sock.local_addr().unwrap().port();
        let found = holders(Proto::Udp, SocketAddrV4::new(Ipv4Addr::LOCALHOST, port));
        assert_eq!(
            found.iter().map(|h| h.pid).collect::<Vec<_>>(),
            vec![std::process::id()]
        );
        assert!(!found[0].command.is_empty());
    }
}
