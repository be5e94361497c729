//! Pings from inside a namespace with the system's ping (iputils), as `ip netns exec NS ping`
//! runs it: the child enters the namespace between fork and exec.

use std::io;
use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::Command;

use anyhow::{Context, Result};

use crate::nl::netns;

/// What came back: whether any reply did, and the average round-trip time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Echo {
    pub ok: bool,
    pub rtt_ms: Option<f64>,
}

/// Three echo requests to `dst` from namespace `ns`. With `size`, each is that many bytes of
/// payload with DF set: a full-size frame that must cross the tunnels whole.
pub fn ping(ns: &str, dst: Ipv4Addr, size: Option<u32>) -> Result<Echo> {
    let file = netns::open(ns)?;
    let fd = file.as_raw_fd();
    let mut cmd = Command::new("ping");
    cmd.args(["-n", "-q", "-c", "3", "-i", "0.2", "-W", "2", "-w", "6"]);
    if let Some(size) = size {
        cmd.args(["-M", "do", "-s", &size.to_string()]);
    }
    cmd.arg(dst.to_string());
    // SAFETY: between fork and exec the child only makes the setns system call.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setns(fd, libc::CLONE_NEWNET) == 0 {
                Ok(())
            } else {
                Err(io::Error::last_os_error())
            }
        });
    }
    let out = cmd
        .output()
        .with_context(|| format!("run ping in {ns} (install iputils-ping)"))?;
    Ok(parse(&String::from_utf8_lossy(&out.stdout)))
}

/// Reads `3 packets transmitted, 3 received, ...` and `rtt min/avg/max/mdev = a/b/c/d ms`.
fn parse(text: &str) -> Echo {
    let received = text
        .lines()
        .find(|l| l.contains("transmitted"))
        .and_then(|l| l.split(", ").nth(1))
        .and_then(|part| part.split_whitespace().next())
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(0);
    let rtt_ms = text
        .lines()
        .find_map(|l| l.split_once("min/avg/max"))
        .and_then(|(_, rest)| rest.split('=').nth(1))
        .and_then(|values| values.trim().split('/').nth(1))
        .and_then(|avg| avg.parse().ok());
    Echo {
        ok: received > 0,
        rtt_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_iputils_summary() {
        let text = "--- 10.0.5.101 ping statistics ---\n\
                    3 packets transmitted, 3 received, 0% packet loss, time 402ms\n\
                    rtt min/avg/max/mdev = 0.041/0.052/0.067/0.010 ms\n";
        assert_eq!(
            parse(text),
            Echo {
                ok: true,
                rtt_ms: Some(0.052)
            }
        );
    }

    #[test]
    fn no_reply_is_not_ok() {
        let text = "3 packets transmitted, 0 received, 100% packet loss, time 2040ms\n";
        assert_eq!(
            parse(text),
            Echo {
                ok: false,
                rtt_ms: None
            }
        );
    }
}
