//! The running server: UDP and TCP on port 53 of one address (the bridge's), each on a thread
//! of its own, so it runs beside the DHCP server in the same process, which changes the zone
//! through `Server::update`.

use std::io;
use std::net::{SocketAddr, SocketAddrV4, TcpListener, UdpSocket};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use anyhow::{Context, Result, anyhow};
use nix::sys::socket;

use super::holder::{self, Proto};
use super::shared::{STATUS, Shared};
use super::zone::Zone;
use super::{tcp, udp};
use crate::logger::{Kind, Level, Logger};
use crate::report::Hinted;

/// Room for a burst of queries (some 3,000 of 500 bytes) while the UDP thread is busy.
const RECEIVE_BUFFER: usize = 4 << 20;

/// What the server needs to know.
pub struct Config {
    /// Where it answers: the bridge's address, port 53. Port 0 takes any free port (for UDP,
    /// and the same one for TCP).
    pub listen: SocketAddrV4,
    /// Where names outside the zone are resolved, tried in order; none: they are REFUSED.
    pub upstreams: Vec<SocketAddr>,
}

/// A running DNS server. Dropping it stops it and waits for its threads.
pub struct Server {
    shared: Arc<Shared>,
    local: SocketAddrV4,
    threads: Vec<JoinHandle<()>>,
}

/// The server's sockets, bound but not yet answering: made before `dhcp serve --daemon`
/// forks (so a port that is taken is the command's error), answering after (threads do not
/// survive a fork).
pub struct Sockets {
    udp: UdpSocket,
    tcp: TcpListener,
    local: SocketAddrV4,
    forwarder: super::forward::Forwarder,
    upstreams: Vec<SocketAddr>,
}

impl Sockets {
    /// Binds UDP and TCP on `cfg.listen`, in the calling thread's network namespace; a port
    /// that is taken is an error naming the process that holds it.
    pub fn bind(cfg: Config) -> Result<Sockets> {
        let udp = bind(Proto::Udp, cfg.listen, UdpSocket::bind)?;
        let local = match udp.local_addr().context("UDP socket address")? {
            SocketAddr::V4(a) => a,
            SocketAddr::V6(a) => return Err(anyhow!("UDP socket bound to IPv6 {a}")),
        };
        let tcp = bind(Proto::Tcp, local, TcpListener::bind)?;
        // Best effort: without it the default buffer stands, and only a burst suffers.
        let _ = socket::setsockopt(&udp, socket::sockopt::RcvBufForce, &RECEIVE_BUFFER);
        let forwarder = super::forward::Forwarder::new(cfg.upstreams.clone())
            .context("open the socket for upstream queries")?;
        Ok(Sockets {
            udp,
            tcp,
            local,
            forwarder,
            upstreams: cfg.upstreams,
        })
    }

    /// The address and port that will answer.
    pub fn local_addr(&self) -> SocketAddrV4 {
        self.local
    }
}

impl Server {
    /// Starts answering on `sockets`, each on a thread of its own. Lines go to `log`
    /// (`dns br0: ...`).
    pub fn answer(sockets: Sockets, zone: Zone, log: Logger) -> Result<Server> {
        let Sockets {
            udp,
            tcp,
            local,
            forwarder,
            upstreams,
        } = sockets;
        let shared = Arc::new(Shared::new(zone, upstreams, log));
        let mut server = Server {
            shared: shared.clone(),
            local,
            threads: Vec::new(),
        };
        let udp_loop = udp::Loop::new(udp, forwarder, shared.clone());
        server.spawn("dns-udp", move || udp_loop.run())?;
        server.spawn("dns-tcp", move || tcp::accept(tcp, shared))?;
        Ok(server)
    }

    fn spawn(&mut self, name: &str, work: impl FnOnce() + Send + 'static) -> Result<()> {
        let handle = thread::Builder::new()
            .name(name.into())
            .spawn(work)
            .with_context(|| format!("start the {name} thread"))?;
        self.threads.push(handle);
        Ok(())
    }

    /// The address and port answering.
    pub fn local_addr(&self) -> SocketAddrV4 {
        self.local
    }

    /// Changes the zone; the next query sees the change. Returns what `change` returns (the
    /// zone's events, for the log).
    pub fn update<R>(&self, change: impl FnOnce(&mut Zone) -> R) -> R {
        change(&mut self.shared.zone_mut())
    }

    /// Logs a line through the server's log (`dns br0: ...`).
    pub fn log(&self, level: Level, kind: Kind, text: impl FnOnce() -> String) {
        self.shared.log(level, kind, text);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shared.stop();
        for t in self.threads.drain(..) {
            if t.join().is_err() {
                self.shared.log(Level::Warn, STATUS, || {
                    "a DNS thread ended in a panic".into()
                });
            }
        }
    }
}

/// Binds `proto` on `addr`, with errors that say what to do.
fn bind<S>(
    proto: Proto,
    addr: SocketAddrV4,
    open: impl Fn(SocketAddrV4) -> io::Result<S>,
) -> Result<S> {
    let (what, port, ip) = (proto.name(), addr.port(), addr.ip());
    open(addr).map_err(|e| match e.kind() {
        io::ErrorKind::AddrInUse => {
            let holders = holder::holders(proto, addr);
            let who = if holders.is_empty() {
                "a process l2x cannot see (in another PID namespace?)".to_string()
            } else {
                holders
                    .iter()
                    .map(|h| format!("{} (pid {})", h.command, h.pid))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            anyhow!(Hinted::new(
                format!("{what} port {port} on {ip} is taken by {who}"),
                "stop that server, or leave DNS to it and start `l2x dhcp serve` with --no-dns",
            ))
        }
        io::ErrorKind::AddrNotAvailable => anyhow!(Hinted::new(
            format!("{ip} is no address of this host"),
            "DNS answers on the bridge's address: give the bridge its address first \
             (`ip -br addr` lists them)",
        )),
        io::ErrorKind::PermissionDenied => anyhow!(Hinted::new(
            format!("no permission to bind {what} port {port}"),
            "run as root, or give l2x the CAP_NET_BIND_SERVICE capability",
        )),
        _ => anyhow!(e).context(format!("bind {what} {addr}")),
    })
}
