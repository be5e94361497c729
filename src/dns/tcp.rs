//! The TCP side (RFC 7766): a thread accepts connections, each served on a thread of its own,
//! one length-prefixed query after another, until the asker closes, stays idle for IDLE, or
//! the server stops. Names outside the zone are asked upstream over TCP too, since an asker
//! comes here mostly after a UDP answer was too large. At most MAX_CONNECTIONS at once.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use hickory_proto::op::ResponseCode;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use super::answer::{self, Answer};
use super::cache;
use super::forward;
use super::request::Request;
use super::shared::{STATUS, Shared, TCP, TICK, TIMEOUT};
use crate::logger::Level;

/// Connections served at once; more are closed as they come.
pub const MAX_CONNECTIONS: usize = 32;
/// A connection with no query for this long is closed.
const IDLE: Duration = Duration::from_secs(10);
/// The largest DNS message over TCP: its length is a 16-bit field.
const MAX_MESSAGE: usize = 65_535;

pub fn accept(listener: TcpListener, shared: Arc<Shared>) {
    if let Err(e) = listener.set_nonblocking(true) {
        return shared.log(Level::Warn, STATUS, || {
            format!("TCP socket: {e}; not answering")
        });
    }
    let mut connections: Vec<JoinHandle<()>> = Vec::new();
    while !shared.stopping() {
        let mut fds = [PollFd::new(listener.as_fd(), PollFlags::POLLIN)];
        let _ = poll(
            &mut fds,
            PollTimeout::try_from(TICK).unwrap_or(PollTimeout::ZERO),
        );
        while let Ok((stream, peer)) = listener.accept() {
            connections.retain(|c| !c.is_finished());
            if connections.len() >= MAX_CONNECTIONS {
                shared.log(Level::Warn, TCP, || {
                    format!("closed a TCP connection from {peer}: {MAX_CONNECTIONS} are open")
                });
                continue;
            }
            let worker = shared.clone();
            match thread::Builder::new()
                .name("dns-tcp-conn".into())
                .spawn(move || serve(stream, peer, &worker))
            {
                Ok(handle) => connections.push(handle),
                Err(e) => shared.log(Level::Warn, TCP, || {
                    format!("closed a TCP connection from {peer}: no thread for it: {e}")
                }),
            }
        }
    }
    for c in connections {
        let _ = c.join();
    }
}

fn serve(stream: TcpStream, peer: SocketAddr, shared: &Shared) {
    let mut conn = Connection {
        stream,
        shared,
        out: Vec::new(),
    };
    if let Err(e) = conn.run() {
        shared.log(Level::Debug, TCP, || {
            format!("TCP connection from {peer}: {e}")
        });
    }
}

struct Connection<'s> {
    stream: TcpStream,
    shared: &'s Shared,
    out: Vec<u8>,
}

impl Connection<'_> {
    fn run(&mut self) -> io::Result<()> {
        self.stream.set_nonblocking(false)?;
        self.stream.set_read_timeout(Some(TICK))?;
        self.stream.set_write_timeout(Some(IDLE))?;
        self.stream.set_nodelay(true)?;
        let mut query = vec![0; MAX_MESSAGE];
        loop {
            let mut len = [0; 2];
            if !self.read_full(&mut len)? {
                return Ok(());
            }
            let len = usize::from(u16::from_be_bytes(len));
            if len == 0 || !self.read_full(&mut query[..len])? {
                return Ok(());
            }
            if !self.answer(&query[..len]) {
                return Ok(());
            }
            let framed_len = (self.out.len() as u16).to_be_bytes();
            self.stream.write_all(&framed_len)?;
            self.stream.write_all(&self.out)?;
        }
    }

    /// Fills `buf`; false when the asker closed, went idle, or the server stops.
    fn read_full(&mut self, buf: &mut [u8]) -> io::Result<bool> {
        let mut filled = 0;
        let mut idle = Duration::ZERO;
        while filled < buf.len() {
            match self.stream.read(&mut buf[filled..]) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    filled += n;
                    idle = Duration::ZERO;
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    idle += TICK;
                    if idle >= IDLE || self.shared.stopping() {
                        return Ok(false);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Puts the answer to `query` in `out`; false when nothing goes back (the connection
    /// then closes).
    fn answer(&mut self, query: &[u8]) -> bool {
        let answer = answer::respond(query, &self.shared.zone(), &mut self.out);
        match answer {
            Answer::Reply => true,
            Answer::Silent => false,
            Answer::Forward(request) => {
                self.forward(&request);
                true
            }
        }
    }

    fn forward(&mut self, request: &Request) {
        let upstreams = &self.shared.upstreams;
        if upstreams.is_empty() {
            answer::error(request, ResponseCode::Refused, &mut self.out);
            return;
        }
        if self
            .shared
            .cached_answer(request, MAX_MESSAGE, &mut self.out)
        {
            return;
        }
        match forward::over_tcp(upstreams, request) {
            Some(reply) => {
                reply.write(request, 0, MAX_MESSAGE, &mut self.out);
                let mut buf = [0; cache::MAX_KEY];
                self.shared.remember(cache::key(request, &mut buf), reply);
            }
            None => {
                self.shared.log(Level::Warn, TIMEOUT, || {
                    format!("no upstream answered {} over TCP", request.query.name())
                });
                answer::error(request, ResponseCode::ServFail, &mut self.out);
            }
        }
    }
}
