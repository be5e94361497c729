//! `l2x dhcp request`: a small one-shot client for containers that have none. It runs
//! DISCOVER, OFFER, REQUEST, ACK with the broadcast flag set (it cannot take unicast before it
//! has an address), retransmitting every few seconds, and starts over on a NAK after a pause
//! that doubles each time.
//!
//! Anyone on the segment can answer, so a reply is taken apart from its raw bytes first (ours
//! only if it is a BOOTREPLY with our xid, an Ethernet hlen and our chaddr) and what it
//! offers is checked before anything is configured: a contiguous mask, an address a host can
//! have in that subnet, a router inside it, an MTU the interface takes. A reply that fails is
//! refused and the client waits for another; the error on timeout says why it refused.

use std::net::{Ipv4Addr, UdpSocket};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow};
use dhcproto::v4::{DhcpOption, Flags, Message, MessageType, Opcode, OptionCode};
use dhcproto::{Decodable, Decoder, Encodable, Encoder};
use ipnetwork::Ipv4Network;

use super::addressing::{CLIENT_PORT, SERVER_PORT, is_host};
use super::pool::Mac;
use super::udp_socket;
use crate::dns::label::Label;
use crate::printable;

/// RFC 2131 4.1 asks for about 4 s between the first retransmissions; a one-shot client on a
/// bridge can be a little more eager.
const RESEND: Duration = Duration::from_secs(2);
/// The pause after the first NAK; each further NAK doubles it, up to NAK_PAUSE_MAX.
const NAK_PAUSE: Duration = Duration::from_secs(1);
const NAK_PAUSE_MAX: Duration = Duration::from_secs(8);
/// RFC 791: every IPv4 host must take datagrams of 68 bytes unfragmented.
const MIN_MTU: u16 = 68;
/// BOOTP's fixed part before the options: op, htype, hlen, ..., chaddr at 28.
const FIXED: usize = 240;

/// What the server gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acquired {
    pub ip: Ipv4Addr,
    pub prefix: u8,
    pub router: Option<Ipv4Addr>,
    pub mtu: Option<u16>,
    pub server: Ipv4Addr,
    pub lease_secs: u32,
    /// When to renew (T1, option 58) and rebind (T2, option 59), in seconds from the ACK.
    pub renew_secs: Option<u32>,
    pub rebind_secs: Option<u32>,
    /// The DNS servers (option 6) a host can send queries to.
    pub dns: Vec<Ipv4Addr>,
    /// The search domain (option 15), when it is a domain name.
    pub domain: Option<String>,
}

impl Acquired {
    pub fn network(&self) -> Ipv4Network {
        Ipv4Network::new(self.ip, self.prefix).expect("a prefix checked to be at most 32")
    }

    /// When to renew (T1), rebind (T2) and give the address up, counted from the ACK: the
    /// server's T1 and T2 when they are in order (T1 <= T2 <= the lease), else RFC 2131's
    /// defaults, half and seven eighths of the lease.
    pub fn timers(&self) -> (Duration, Duration, Duration) {
        let lease = u64::from(self.lease_secs);
        let (t1, t2) = match (self.renew_secs, self.rebind_secs) {
            (Some(t1), Some(t2)) if t1 <= t2 && u64::from(t2) <= lease => {
                (u64::from(t1), u64::from(t2))
            }
            _ => (lease / 2, lease * 7 / 8),
        };
        let secs = Duration::from_secs;
        (secs(t1), secs(t2), secs(lease))
    }
}

/// How keeping a lease ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept {
    /// An ACK: the lease goes on from now, with what the server says now.
    Renewed(Acquired),
    /// A NAK, or the lease ran out with no server answering: the address must go.
    Lost(String),
    /// SIGTERM or SIGINT came.
    Stopped,
}

/// Keeps the lease `got`, ACKed at `since` (RFC 2131 4.4.5): at T1 it asks the server that
/// granted it (unicast, from the address itself), from T2 any server (broadcast), again every
/// few seconds, until an ACK, a NAK or the end of the lease.
pub fn keep(
    iface: &str,
    me: &Asker,
    limits: Limits,
    got: &Acquired,
    since: Instant,
) -> Result<Kept> {
    if got.lease_secs == 0 || got.lease_secs == u32::MAX {
        // No lease time, or an infinite lease (RFC 2131 3.3): there is nothing to renew.
        while pause_until(Instant::now() + Duration::from_secs(3600)) {}
        return Ok(Kept::Stopped);
    }
    let (t1, t2, end) = got.timers();
    if !pause_until(since + t1) {
        return Ok(Kept::Stopped);
    }
    let mut t = Transaction {
        sock: udp_socket(iface, CLIENT_PORT)?,
        xid: new_xid(),
        mac: me.mac,
        limits,
        deadline: since + t2,
        refused: None,
    };
    let msg = renewal(t.xid, me, got.ip);
    let phases = [(got.server, since + t2), (Ipv4Addr::BROADCAST, since + end)];
    for (to, until) in phases {
        t.deadline = until;
        match t.ask(&msg, MessageType::Ack, to)? {
            Some(Reply::Ack(new)) if new.ip == got.ip => return Ok(Kept::Renewed(new)),
            Some(Reply::Ack(new)) => {
                let why = format!("{} answered with another address, {}", new.server, new.ip);
                return Ok(Kept::Lost(why));
            }
            Some(Reply::Nak(why)) => {
                return Ok(Kept::Lost(format!(
                    "the server refused the renewal (NAK): {why}"
                )));
            }
            _ if super::daemon::stop_requested() => return Ok(Kept::Stopped),
            _ => {}
        }
    }
    Ok(Kept::Lost(format!(
        "the lease of {} ran out with no server answering",
        got.ip
    )))
}

/// Sleeps until `when`, a second at most at a time; false when a stop signal came first.
fn pause_until(when: Instant) -> bool {
    while let Some(left) = when.checked_duration_since(Instant::now()) {
        if super::daemon::stop_requested() {
            return false;
        }
        std::thread::sleep(left.min(Duration::from_secs(1)));
    }
    !super::daemon::stop_requested()
}

fn new_xid() -> u32 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos())
        ^ std::process::id()
}

/// Who asks: the interface's hardware address, and the hostname to send (option 12), which
/// the server's DNS gives the lease as its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asker {
    pub mac: Mac,
    pub hostname: Option<Label>,
}

/// What the interface can take, for checking what a server offers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    pub max_mtu: Option<u32>,
}

/// A server's reply to our transaction, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Offer(Acquired),
    Ack(Acquired),
    /// With the server's message (option 56), escaped for printing.
    Nak(String),
}

/// What `bytes` read on port 68 are to a client with transaction `xid` and hardware address
/// `mac`: None when not a reply to it, else the reply or why it is refused.
pub fn judge(bytes: &[u8], xid: u32, mac: &Mac, limits: &Limits) -> Option<Result<Reply, String>> {
    let ours = bytes.len() >= FIXED
        && bytes[0] == 2 // BOOTREPLY
        && bytes[1] == 1 // Ethernet
        && bytes[2] == 6
        && bytes[4..8] == xid.to_be_bytes()
        && bytes[28..34] == mac[..];
    if !ours {
        return None;
    }
    let m = Message::decode(&mut Decoder::new(bytes)).ok()?;
    Some(match m.opts().msg_type()? {
        MessageType::Offer => acquired(&m, limits).map(Reply::Offer),
        MessageType::Ack => acquired(&m, limits).map(Reply::Ack),
        MessageType::Nak => Ok(Reply::Nak(match m.opts().get(OptionCode::Message) {
            Some(DhcpOption::Message(text)) => printable::escape(text).into_owned(),
            _ => String::new(),
        })),
        _ => return None,
    })
}

/// Obtains a lease on `iface` (which must be up), or fails after `timeout`.
pub fn obtain(iface: &str, me: &Asker, limits: Limits, timeout: Duration) -> Result<Acquired> {
    let sock = udp_socket(iface, CLIENT_PORT)?;
    let deadline = Instant::now() + timeout;
    let xid = new_xid();
    let mut t = Transaction {
        sock,
        xid,
        mac: me.mac,
        limits,
        deadline,
        refused: None,
    };
    let mut pause = NAK_PAUSE;
    loop {
        let Reply::Offer(offer) = t.exchange(&discover(xid, me), MessageType::Offer)? else {
            unreachable!("exchange returns the kind asked for")
        };
        match t.exchange(&request(xid, me, offer.ip, offer.server), MessageType::Ack)? {
            Reply::Ack(got) => return Ok(got),
            Reply::Nak(why) => {
                // The offer was taken meanwhile, or the server changed its mind: start over,
                // after a pause, so a server that NAKs everything is not asked in a loop.
                t.refused = Some(format!("{} refused the request (NAK): {why}", offer.server));
                let left = deadline.saturating_duration_since(Instant::now());
                std::thread::sleep(pause.min(left));
                pause = (pause * 2).min(NAK_PAUSE_MAX);
            }
            Reply::Offer(_) => unreachable!("exchange returns the kind asked for"),
        }
    }
}

struct Transaction {
    sock: UdpSocket,
    xid: u32,
    mac: Mac,
    limits: Limits,
    deadline: Instant,
    /// The last reply refused, and why: the error when no usable one comes.
    refused: Option<String>,
}

impl Transaction {
    /// Broadcasts `msg` and waits for a usable reply of kind `want` (a NAK counts as an
    /// answer to a REQUEST), sending again every RESEND.
    fn exchange(&mut self, msg: &Message, want: MessageType) -> Result<Reply> {
        if let Some(reply) = self.ask(msg, want, Ipv4Addr::BROADCAST)? {
            return Ok(reply);
        }
        let err = match self.refused.take() {
            Some(why) => anyhow!("no usable answer from a DHCP server; {why}"),
            None => anyhow!("no answer from a DHCP server"),
        };
        Err(err).context("timed out")
    }

    /// Sends `msg` to `to` and waits for a usable reply of kind `want`, sending again every
    /// RESEND, until the deadline (None) or a stop signal (None too).
    fn ask(&mut self, msg: &Message, want: MessageType, to: Ipv4Addr) -> Result<Option<Reply>> {
        let mut bytes = Vec::new();
        msg.encode(&mut Encoder::new(&mut bytes))
            .context("encode request")?;
        let mut buf = vec![0u8; 1500];
        loop {
            // A unicast that cannot go (no route yet) is a lost datagram: send again later.
            if let Err(e) = self.sock.send_to(&bytes, (to, SERVER_PORT))
                && to == Ipv4Addr::BROADCAST
            {
                return Err(e).context("send");
            }
            let resend = Instant::now() + RESEND;
            while let Some(wait) = resend
                .min(self.deadline)
                .checked_duration_since(Instant::now())
            {
                if wait.is_zero() {
                    break;
                }
                self.sock
                    .set_read_timeout(Some(wait))
                    .context("set timeout")?;
                let Ok(n) = self.sock.recv(&mut buf) else {
                    continue;
                };
                match judge(&buf[..n], self.xid, &self.mac, &self.limits) {
                    Some(Ok(reply)) if kind_of(&reply, want) => return Ok(Some(reply)),
                    Some(Err(why)) => self.refused = Some(why),
                    _ => {}
                }
            }
            if Instant::now() >= self.deadline || super::daemon::stop_requested() {
                return Ok(None);
            }
        }
    }
}

fn kind_of(reply: &Reply, want: MessageType) -> bool {
    match reply {
        Reply::Offer(_) => want == MessageType::Offer,
        Reply::Ack(_) | Reply::Nak(_) => want == MessageType::Ack,
    }
}

fn base(xid: u32, me: &Asker, kind: MessageType) -> Message {
    let mut m = Message::default();
    m.set_opcode(Opcode::BootRequest)
        .set_xid(xid)
        .set_flags(Flags::default().set_broadcast())
        .set_chaddr(&me.mac);
    m.opts_mut().insert(DhcpOption::MessageType(kind));
    if let Some(name) = &me.hostname {
        m.opts_mut()
            .insert(DhcpOption::Hostname(name.as_str().to_string()));
    }
    m.opts_mut().insert(DhcpOption::ParameterRequestList(vec![
        OptionCode::SubnetMask,
        OptionCode::Router,
        OptionCode::InterfaceMtu,
        OptionCode::AddressLeaseTime,
        OptionCode::DomainNameServer,
        OptionCode::DomainName,
    ]));
    m
}

/// A REQUEST renewing or rebinding the lease on `ip`: the address in ciaddr, no server
/// identifier, no requested address (RFC 2131 4.3.2), and no broadcast flag: the client can
/// take the unicast answer.
fn renewal(xid: u32, me: &Asker, ip: Ipv4Addr) -> Message {
    let mut m = base(xid, me, MessageType::Request);
    m.set_flags(Flags::default()).set_ciaddr(ip);
    m
}

fn discover(xid: u32, me: &Asker) -> Message {
    base(xid, me, MessageType::Discover)
}

fn request(xid: u32, me: &Asker, ip: Ipv4Addr, server: Ipv4Addr) -> Message {
    let mut m = base(xid, me, MessageType::Request);
    m.opts_mut().insert(DhcpOption::RequestedIpAddress(ip));
    m.opts_mut().insert(DhcpOption::ServerIdentifier(server));
    m
}

/// The configuration an OFFER or ACK carries, or why it cannot be used.
fn acquired(m: &Message, limits: &Limits) -> Result<Acquired, String> {
    let o = m.opts();
    let server = match o.get(OptionCode::ServerIdentifier) {
        Some(DhcpOption::ServerIdentifier(ip)) => *ip,
        _ => return Err("a reply without a server identifier".into()),
    };
    let from = format!("the reply from {server}");
    let mask = match o.get(OptionCode::SubnetMask) {
        Some(DhcpOption::SubnetMask(m)) => *m,
        _ => Ipv4Addr::new(255, 255, 255, 0),
    };
    let bits = u32::from(mask);
    let prefix = bits.leading_ones();
    if prefix == 0 || bits.count_ones() != prefix {
        return Err(format!(
            "{from} has subnet mask {mask}, which is no usable mask"
        ));
    }
    let ip = m.yiaddr();
    let net = Ipv4Network::new(ip, prefix as u8).map_err(|e| e.to_string())?;
    let special = ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.octets()[0] >= 240;
    if special || !is_host(net, ip) {
        return Err(format!(
            "{from} offers {ip}/{prefix}, which no host can have"
        ));
    }
    let router = match o.get(OptionCode::Router) {
        Some(DhcpOption::Router(r)) => r.first().copied(),
        _ => None,
    };
    if let Some(r) = router.filter(|&r| r == ip || !is_host(net, r)) {
        return Err(format!(
            "{from} names router {r}, not another host of {net}"
        ));
    }
    let mtu = match o.get(OptionCode::InterfaceMtu) {
        Some(DhcpOption::InterfaceMtu(m)) => Some(*m),
        _ => None,
    };
    if let Some(mtu) = mtu {
        if mtu < MIN_MTU {
            return Err(format!("{from} sets MTU {mtu}, below IPv4's {MIN_MTU}"));
        }
        if let Some(max) = limits.max_mtu.filter(|&max| u32::from(mtu) > max) {
            return Err(format!(
                "{from} sets MTU {mtu}, above the interface's {max}"
            ));
        }
    }
    Ok(Acquired {
        ip,
        prefix: prefix as u8,
        router,
        mtu,
        server,
        lease_secs: match o.get(OptionCode::AddressLeaseTime) {
            Some(DhcpOption::AddressLeaseTime(t)) => *t,
            _ => 0,
        },
        renew_secs: match o.get(OptionCode::Renewal) {
            Some(DhcpOption::Renewal(t)) => Some(*t),
            _ => None,
        },
        rebind_secs: match o.get(OptionCode::Rebinding) {
            Some(DhcpOption::Rebinding(t)) => Some(*t),
            _ => None,
        },
        dns: match o.get(OptionCode::DomainNameServer) {
            Some(DhcpOption::DomainNameServer(servers)) => {
                servers.iter().copied().filter(|ip| unicast(*ip)).collect()
            }
            _ => Vec::new(),
        },
        domain: match o.get(OptionCode::DomainName) {
            Some(DhcpOption::DomainName(d)) => domain_name(d),
            _ => None,
        },
    })
}

/// An address a host can send queries to.
fn unicast(ip: Ipv4Addr) -> bool {
    !(ip.is_unspecified() || ip.is_multicast() || ip.is_broadcast() || ip.octets()[0] >= 240)
}

/// A search domain as resolv.conf may carry it: host labels joined by dots, lowercase, at most
/// 253 bytes (anything else, a line break above all, could write other lines).
fn domain_name(d: &str) -> Option<String> {
    let d = d.strip_suffix('.').unwrap_or(d);
    if d.len() > 253 {
        return None;
    }
    let labels: Result<Vec<Label>, _> = d.split('.').map(Label::parse).collect();
    Some(
        labels
            .ok()?
            .iter()
            .map(Label::as_str)
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// resolv.conf for a lease with DNS servers: its search domain and its servers, at most three
/// (the most glibc reads).
pub fn resolv_conf(got: &Acquired, iface: &str) -> Option<String> {
    if got.dns.is_empty() {
        return None;
    }
    let mut text = format!("# from the DHCP lease of {iface} (l2x dhcp request)\n");
    if let Some(domain) = &got.domain {
        text.push_str(&format!("search {domain}\n"));
    }
    for ip in got.dns.iter().take(3) {
        text.push_str(&format!("nameserver {ip}\n"));
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dhcp::wire::{self, NetParams, Reply as Sent};

    const MAC: Mac = [2, 0, 0, 0, 0, 3];

    fn asker() -> Asker {
        Asker {
            mac: MAC,
            hostname: Some(Label::parse("web").unwrap()),
        }
    }
    const LIMITS: Limits = Limits {
        max_mtu: Some(9000),
    };

    fn params() -> NetParams {
        NetParams {
            server_id: Ipv4Addr::new(10, 0, 5, 1),
            netmask: Ipv4Addr::new(255, 255, 252, 0),
            router: Ipv4Addr::new(10, 0, 5, 1),
            dns: vec![],
            domain: None,
            mtu: 1400,
        }
    }

    /// The server's ACK of `yiaddr` with `params`, as bytes.
    fn ack(yiaddr: Ipv4Addr, params: &NetParams) -> Vec<u8> {
        let req = request(7, &asker(), yiaddr, params.server_id);
        let sent = Sent::Ack {
            yiaddr,
            lease_secs: 60,
        };
        wire::encode(&wire::reply(&req, sent, params))
    }

    fn judged(bytes: &[u8]) -> Option<Result<Reply, String>> {
        judge(bytes, 7, &MAC, &LIMITS)
    }

    #[test]
    fn an_ack_becomes_the_configuration() {
        let yiaddr = Ipv4Addr::new(10, 0, 5, 100);
        let bytes = ack(yiaddr, &params());
        assert_eq!(judge(&bytes, 8, &MAC, &LIMITS), None, "another xid");
        assert_eq!(
            judge(&bytes, 7, &[2, 0, 0, 0, 0, 4], &LIMITS),
            None,
            "another MAC"
        );
        let Some(Ok(Reply::Ack(got))) = judged(&bytes) else {
            panic!("not our ack");
        };
        assert_eq!(
            got,
            Acquired {
                ip: yiaddr,
                prefix: 22,
                router: Some(params().router),
                mtu: Some(1400),
                server: params().server_id,
                lease_secs: 60,
                renew_secs: Some(30),
                rebind_secs: Some(52),
                dns: vec![],
                domain: None,
            }
        );
    }

    #[test]
    fn dns_servers_and_domain_become_resolv_conf_once_checked() {
        let yiaddr = Ipv4Addr::new(10, 0, 5, 100);
        let mut p = params();
        p.dns = vec![Ipv4Addr::new(10, 0, 5, 1), Ipv4Addr::BROADCAST];
        p.domain = Some("Lan.".into());
        let Some(Ok(Reply::Ack(got))) = judged(&ack(yiaddr, &p)) else {
            panic!("not our ack");
        };
        assert_eq!(
            (got.dns.clone(), got.domain.as_deref()),
            (vec![Ipv4Addr::new(10, 0, 5, 1)], Some("lan"))
        );
        assert_eq!(
            resolv_conf(&got, "eth0").unwrap(),
            "# from the DHCP lease of eth0 (l2x dhcp request)\nsearch lan\nnameserver 10.0.5.1\n"
        );
        // A domain that would write a line of its own is no domain.
        p.domain = Some("lan\nnameserver 203.0.113.66".into());
        let Some(Ok(Reply::Ack(got))) = judged(&ack(yiaddr, &p)) else {
            panic!("not our ack");
        };
        assert_eq!(got.domain, None);
        p.dns.clear();
        let Some(Ok(Reply::Ack(got))) = judged(&ack(yiaddr, &p)) else {
            panic!("not our ack");
        };
        assert_eq!(resolv_conf(&got, "eth0"), None);
    }

    #[test]
    fn a_long_hlen_with_our_xid_is_not_ours_and_does_not_panic() {
        let mut bytes = ack(Ipv4Addr::new(10, 0, 5, 100), &params());
        for hlen in [7, 16, 17, 200, 255] {
            bytes[2] = hlen;
            assert_eq!(judged(&bytes), None, "hlen {hlen}");
        }
        assert_eq!(judged(&bytes[..100]), None);
    }

    #[test]
    fn bogus_configurations_are_refused() {
        let p = params();
        let refused = |yiaddr: [u8; 4], p: &NetParams| match judged(&ack(Ipv4Addr::from(yiaddr), p))
        {
            Some(Err(why)) => why,
            other => panic!("{yiaddr:?} {p:?} taken: {other:?}"),
        };
        let with = |f: &dyn Fn(&mut NetParams)| {
            let mut q = params();
            f(&mut q);
            q
        };
        let y = [10, 0, 5, 100];
        for mask in [[0, 0, 0, 0], [255, 0, 255, 0], [255, 255, 255, 1]] {
            let why = refused(y, &with(&|q| q.netmask = Ipv4Addr::from(mask)));
            assert!(why.contains("no usable mask"), "{why}");
        }
        for bad in [
            [127, 0, 0, 1],
            [224, 0, 0, 5],
            [0, 0, 0, 0],
            [255, 255, 255, 255],
            [10, 0, 7, 255],
            [10, 0, 4, 0],
            [240, 0, 0, 1],
        ] {
            assert!(
                refused(bad, &p).contains("which no host can have"),
                "{bad:?}"
            );
        }
        let why = refused(y, &with(&|q| q.router = Ipv4Addr::new(192, 168, 1, 1)));
        assert!(
            why.contains("router 192.168.1.1, not another host of 10.0.5.100/22"),
            "{why}"
        );
        assert!(refused(y, &with(&|q| q.router = Ipv4Addr::from(y))).contains("router"));
        assert!(refused(y, &with(&|q| q.mtu = 67)).contains("below IPv4's 68"));
        assert!(refused(y, &with(&|q| q.mtu = 65535)).contains("above the interface's 9000"));
        // Point-to-point: a /31's two addresses are both hosts.
        let p2p = with(&|q| {
            q.netmask = Ipv4Addr::new(255, 255, 255, 254);
            q.router = Ipv4Addr::new(10, 0, 5, 1);
        });
        assert!(matches!(
            judged(&ack(Ipv4Addr::new(10, 0, 5, 0), &p2p)),
            Some(Ok(_))
        ));
    }

    #[test]
    fn a_naks_message_is_escaped() {
        let req = request(
            7,
            &asker(),
            Ipv4Addr::new(10, 0, 5, 100),
            params().server_id,
        );
        let bytes = wire::encode(&wire::reply(&req, Sent::Nak("gone\n"), &params()));
        assert_eq!(judged(&bytes), Some(Ok(Reply::Nak("gone\\n".into()))));
    }
}
