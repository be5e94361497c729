//! The UDP side: one thread waits with poll(2) on the server's socket and the forwarder's,
//! reads every datagram waiting (a batch at a time, so neither side starves the other),
//! answers from the zone or the cache at once, hands the rest to the forwarder, and passes
//! upstream answers on to the askers. The buffers are made once: an answer from the cache
//! allocates nothing, one from the zone only what hickory's encoder takes (5 small blocks for
//! an A record). Measured on a release build, system calls aside: 0.29 us from the cache,
//! 0.45 us for an A record from the zone.

use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsFd;
use std::sync::Arc;
use std::time::Instant;

use hickory_proto::op::ResponseCode;
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use super::answer::{self, Answer};
use super::cache;
use super::forward::{Asked, Forwarder, Received, Waiter};
use super::request::Request;
use super::shared::{BUSY, IGNORED, SEND, STATUS, STRAY, Shared, TICK, TIMEOUT, UPSTREAM};
use crate::logger::Level;

/// Datagrams read from one socket before looking at the other.
const BATCH: usize = 64;
/// Room for the largest query an asker sends over UDP.
const QUERY_BUFFER: usize = 4096;
/// Room for any UDP datagram, so an oversized upstream answer is read whole and rejected.
const ANSWER_BUFFER: usize = 65_535;

pub struct Loop {
    sock: UdpSocket,
    forwarder: Forwarder,
    shared: Arc<Shared>,
    query: Vec<u8>,
    answer: Vec<u8>,
    out: Vec<u8>,
}

impl Loop {
    pub fn new(sock: UdpSocket, forwarder: Forwarder, shared: Arc<Shared>) -> Loop {
        Loop {
            sock,
            forwarder,
            shared,
            query: vec![0; QUERY_BUFFER],
            answer: vec![0; ANSWER_BUFFER],
            out: Vec::with_capacity(usize::from(super::request::MAX_UDP_PAYLOAD)),
        }
    }

    pub fn run(mut self) {
        if let Err(e) = self.sock.set_nonblocking(true) {
            return self.shared.log(Level::Warn, STATUS, || {
                format!("UDP socket: {e}; not answering")
            });
        }
        while !self.shared.stopping() {
            self.wait();
            self.read_queries();
            self.read_answers();
            self.expire();
            self.shared.tick();
        }
    }

    /// Until a socket is readable, the next try runs out, or a tick passes.
    fn wait(&self) {
        let now = Instant::now();
        let until = self
            .forwarder
            .next_deadline()
            .map_or(TICK, |d| d.saturating_duration_since(now).min(TICK));
        let timeout = PollTimeout::try_from(until).unwrap_or(PollTimeout::ZERO);
        let (v4, v6) = self.forwarder.sockets();
        let mut fds = [
            PollFd::new(self.sock.as_fd(), PollFlags::POLLIN),
            PollFd::new(v4.as_fd(), PollFlags::POLLIN),
            PollFd::new(v6.unwrap_or(v4).as_fd(), PollFlags::POLLIN),
        ];
        let n = if v6.is_some() { 3 } else { 2 };
        match poll(&mut fds[..n], timeout) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => self
                .shared
                .log(Level::Warn, STATUS, || format!("poll: {e}")),
        }
    }

    fn read_queries(&mut self) {
        let mut buf = std::mem::take(&mut self.query);
        for _ in 0..BATCH {
            match self.sock.recv_from(&mut buf) {
                Ok((n, from)) => self.answer_query(&buf[..n], from),
                Err(_) => break,
            }
        }
        self.query = buf;
    }

    fn answer_query(&mut self, bytes: &[u8], from: SocketAddr) {
        let answer = answer::respond(bytes, &self.shared.zone(), &mut self.out);
        match answer {
            Answer::Reply => self.send(from),
            Answer::Forward(request) => self.forward(request, from),
            Answer::Silent => self.shared.log(Level::Debug, IGNORED, || {
                format!("ignored {} bytes from {from}: no query", bytes.len())
            }),
        }
    }

    fn forward(&mut self, request: Request, from: SocketAddr) {
        if self.forwarder.upstreams().is_empty() {
            answer::error(&request, ResponseCode::Refused, &mut self.out);
            return self.send(from);
        }
        if self
            .shared
            .cached_answer(&request, request.udp_limit(), &mut self.out)
        {
            return self.send(from);
        }
        let mut buf = [0; cache::MAX_KEY];
        let key = cache::key(&request, &mut buf);
        let waiter = Waiter { to: from, request };
        if self.forwarder.ask(waiter, key, Instant::now()) == Asked::Busy {
            self.shared.log(Level::Warn, BUSY, || {
                format!(
                    "dropped a query from {from}: {} questions wait for upstream answers",
                    self.forwarder.in_flight()
                )
            });
        }
    }

    fn read_answers(&mut self) {
        for _ in 0..BATCH {
            let Some(received) = self.forwarder.receive(&mut self.answer, Instant::now()) else {
                break;
            };
            match received {
                Received::Answer {
                    key,
                    reply,
                    waiters,
                } => {
                    for w in waiters {
                        reply.write(&w.request, 0, w.request.udp_limit(), &mut self.out);
                        self.send(w.to);
                    }
                    self.shared.remember(&key, reply);
                }
                Received::Retried { from, rcode } => self.shared.log(Level::Info, UPSTREAM, || {
                    format!("upstream {from} answered {rcode}; asking the next")
                }),
                Received::Stray { from, why } => self.shared.log(Level::Debug, STRAY, || {
                    format!("ignored a datagram from {from}: {why:?}")
                }),
            }
        }
    }

    /// SERVFAIL to the askers of every question no upstream answered.
    fn expire(&mut self) {
        for failed in self.forwarder.expire(Instant::now()) {
            self.shared.log(Level::Warn, TIMEOUT, || {
                format!(
                    "no upstream answered {} {} ({})",
                    failed.question.name(),
                    failed.question.query_type(),
                    list(self.forwarder.upstreams())
                )
            });
            for w in failed.waiters {
                answer::error(&w.request, ResponseCode::ServFail, &mut self.out);
                self.send(w.to);
            }
        }
    }

    fn send(&self, to: SocketAddr) {
        if let Err(e) = self.sock.send_to(&self.out, to) {
            self.shared
                .log(Level::Warn, SEND, || format!("cannot answer {to}: {e}"));
        }
    }
}

fn list(addrs: &[SocketAddr]) -> String {
    addrs
        .iter()
        .map(|a| a.ip().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
