//! The transport: the only place that opens a netlink socket. Requests come ready-made from
//! `msg`; this layer numbers them, sends them, and turns the kernel's answer into replies or a
//! `KernelError` that says what failed and why.
//!
//! A socket is typed by its protocol family (`Netlink<Route>`, `Netlink<Generic>`,
//! `Netlink<Netfilter>`) and takes only requests built for that family. Every receive has a
//! timeout, so a lost answer is an error naming the request instead of a hang; a reply cut short
//! is an error, never the end of a dump; an error carried in a dump's NLMSG_DONE is an error; a
//! dump the kernel marks as interrupted (the list changed while it was read) is read again.

pub mod crash;
mod error;
pub mod lock;
pub mod netns;
mod sockets;
pub mod uapi;

use std::io;
use std::marker::PhantomData;
use std::os::fd::AsRawFd;
use std::time::Duration;

use anyhow::{Context, Result};
use neli::consts::socket::{Msg, NlFamily};
use neli::socket::NlSocket;
use neli::utils::Groups;

pub use error::{ErrorKind, KernelError, kind_of};
pub use sockets::Sockets;

use crate::msg::{Generic, NLM_F_ACK, NLM_F_DUMP, NLM_F_ECHO, Netfilter, Proto, Request, Route};

// include/uapi/linux/netlink.h
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_MULTI: u16 = 0x02;
const NLM_F_DUMP_INTR: u16 = 0x10;
const NLMSG_HDRLEN: usize = 16;

/// Big enough for the largest datagram a dump sends (the kernel caps them at 32 KiB).
const RECV_BUFFER: usize = 64 * 1024;
/// The kernel answers in microseconds; this long without an answer means it never will.
const RECV_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a dump is read again when the kernel says it was interrupted.
const DUMP_ATTEMPTS: usize = 5;

/// A netlink socket of protocol family `P`.
pub struct Netlink<P> {
    sock: NlSocket,
    seq: u32,
    verbose: bool,
    buf: Vec<u8>,
    proto: PhantomData<P>,
}

/// One message read from the socket: its type and the bytes after the netlink header.
struct Reply {
    kind: u16,
    flags: u16,
    seq: u32,
    body: Vec<u8>,
}

/// What a request waits for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// NLMSG_ERROR: the acknowledgement or the refusal (and any echo before it).
    Ack,
    /// One reply message (a GET without NLM_F_DUMP), or a refusal.
    One,
    /// Reply messages until NLMSG_DONE.
    Dump,
}

impl<P: Proto> Netlink<P> {
    fn open(family: NlFamily, verbose: bool) -> Result<Self> {
        let sock = NlSocket::connect(family, None, Groups::empty())
            .with_context(|| format!("netlink: open {} socket", P::NAME))?;
        // The kernel's own words on why it refused a request (extended ACK) go in our errors.
        sock.enable_ext_ack(true)
            .context("netlink: enable extended ack")?;
        set_receive_timeout(&sock)?;
        Ok(Netlink {
            sock,
            seq: std::process::id().wrapping_shl(12),
            verbose,
            buf: vec![0; RECV_BUFFER],
            proto: PhantomData,
        })
    }

    /// Sends a request and waits for the kernel's acknowledgement.
    pub fn ack(&mut self, req: &Request<P>) -> Result<(), KernelError> {
        self.exchange(std::slice::from_ref(req), Answer::Ack)?;
        crash::acknowledged();
        Ok(())
    }

    /// Sends a request with NLM_F_ECHO and returns what the kernel echoed back (the object as
    /// made), if this kernel echoes this kind of request; then the acknowledgement.
    pub fn ack_echo(&mut self, req: &Request<P>) -> Result<Option<Vec<u8>>, KernelError> {
        let req = req.clone().echoed();
        let mut replies = self.exchange(std::slice::from_ref(&req), Answer::Ack)?;
        crash::acknowledged();
        Ok(replies.pop())
    }

    /// Sends a request that the kernel answers with one message (a GET without NLM_F_DUMP).
    /// "No such object" comes back as `None`.
    pub fn get(&mut self, req: &Request<P>) -> Result<Option<Vec<u8>>, KernelError> {
        match self.exchange(std::slice::from_ref(req), Answer::One) {
            Ok(mut replies) => Ok(replies.pop()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sends a dump request and collects every message of the answer; a dump the kernel marks
    /// as interrupted is read again from the start.
    pub fn dump(&mut self, req: &Request<P>) -> Result<Vec<Vec<u8>>, KernelError> {
        debug_assert!(
            req.flags & NLM_F_DUMP == NLM_F_DUMP,
            "{} is no dump",
            req.what
        );
        for _ in 1..DUMP_ATTEMPTS {
            match self.exchange(std::slice::from_ref(req), Answer::Dump) {
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
        self.exchange(std::slice::from_ref(req), Answer::Dump)
    }

    /// Sends requests in one datagram and collects replies until each is answered.
    fn exchange(
        &mut self,
        reqs: &[Request<P>],
        answer: Answer,
    ) -> Result<Vec<Vec<u8>>, KernelError> {
        let first = self.seq;
        let datagram = self.frame(reqs);
        self.sock
            .send(&datagram, Msg::empty())
            .map_err(|e| KernelError::io(&reqs[0], e))?;
        let waits: Vec<Answer> = reqs
            .iter()
            .map(|r| {
                if r.flags & NLM_F_ACK != 0 {
                    Answer::Ack
                } else {
                    answer
                }
            })
            .collect();
        let mut pending = reqs.len();
        let mut answered = vec![false; reqs.len()];
        let mut interrupted = false;
        let mut replies = Vec::new();
        while pending > 0 {
            let batch = self.recv().map_err(|e| KernelError::io(&reqs[0], e))?;
            for reply in batch {
                let index = reply.seq.wrapping_sub(first) as usize;
                if index >= reqs.len() || answered[index] {
                    continue; // an answer to an earlier request of ours that was given up on
                }
                let req = &reqs[index];
                interrupted |= reply.flags & NLM_F_DUMP_INTR != 0;
                let done = match reply.kind {
                    NLMSG_ERROR => {
                        if let Some(err) = KernelError::from_nlmsgerr(req, reply.flags, &reply.body)
                        {
                            return Err(err);
                        }
                        true
                    }
                    NLMSG_DONE => {
                        if let Some(err) = KernelError::from_done(req, reply.flags, &reply.body) {
                            return Err(err);
                        }
                        true
                    }
                    _ => {
                        replies.push(reply.body);
                        // A reply without NLM_F_MULTI is the whole answer to a plain GET; an
                        // echo comes before the ACK, which is still awaited.
                        waits[index] == Answer::One && reply.flags & NLM_F_MULTI == 0
                    }
                };
                if done {
                    answered[index] = true;
                    pending -= 1;
                }
            }
        }
        if interrupted && answer == Answer::Dump {
            return Err(KernelError::interrupted(&reqs[0]));
        }
        Ok(replies)
    }

    /// Numbers the requests and puts them in one datagram, printing each with -v: a request
    /// that changes something (one that asks for an acknowledgement) says `change`.
    fn frame(&mut self, reqs: &[Request<P>]) -> Vec<u8> {
        let mut datagram = Vec::new();
        for req in reqs {
            if self.verbose {
                let change = if req.flags & NLM_F_ACK != 0 {
                    ", change"
                } else {
                    ""
                };
                let echo = if req.flags & NLM_F_ECHO != 0 {
                    ", echo"
                } else {
                    ""
                };
                eprintln!(
                    "l2x: netlink: {} (type {}, {} bytes{change}{echo})",
                    req.what,
                    req.kind,
                    req.body.len() + NLMSG_HDRLEN
                );
            }
            datagram.extend_from_slice(&req.to_bytes(self.seq, 0));
            self.seq = self.seq.wrapping_add(1);
        }
        datagram
    }

    /// One datagram, split into its messages. A datagram bigger than the buffer, or a message
    /// that claims more bytes than arrived, is an error: reading on would lose part of a reply.
    fn recv(&mut self) -> io::Result<Vec<Reply>> {
        let (len, _) = loop {
            match self.sock.recv(&mut self.buf[..], Msg::TRUNC) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Err(io::Error::new(io::ErrorKind::TimedOut, "no answer"));
                }
                other => break other?,
            }
        };
        if len > self.buf.len() {
            return Err(truncated(format!(
                "a reply of {len} bytes did not fit the {}-byte buffer",
                self.buf.len()
            )));
        }
        split(&self.buf[..len])
    }
}

fn split(mut rest: &[u8]) -> io::Result<Vec<Reply>> {
    let mut replies = Vec::new();
    while !rest.is_empty() {
        let header = rest
            .get(..NLMSG_HDRLEN)
            .ok_or_else(|| truncated(format!("{} stray bytes after a reply", rest.len())))?;
        let word = |at: usize| {
            u32::from_ne_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
        };
        let msg_len = word(0) as usize;
        if msg_len < NLMSG_HDRLEN || msg_len > rest.len() {
            return Err(truncated(format!(
                "a message claims {msg_len} bytes where {} arrived",
                rest.len()
            )));
        }
        replies.push(Reply {
            kind: u16::from_ne_bytes([header[4], header[5]]),
            flags: u16::from_ne_bytes([header[6], header[7]]),
            seq: word(8),
            body: rest[NLMSG_HDRLEN..msg_len].to_vec(),
        });
        rest = rest.get((msg_len + 3) & !3..).unwrap_or(&[]);
    }
    Ok(replies)
}

fn truncated(why: String) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("reply cut short: {why}"),
    )
}

fn set_receive_timeout(sock: &NlSocket) -> Result<()> {
    let tv = libc::timeval {
        tv_sec: RECV_TIMEOUT.as_secs() as libc::time_t,
        tv_usec: 0,
    };
    // SAFETY: setsockopt reads `tv`, a plain struct that outlives the call, on a socket this
    // process owns.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error()).context("netlink: set receive timeout");
    }
    Ok(())
}

impl Netlink<Route> {
    /// rtnetlink, with strict checking so that dumps can be filtered by the kernel (addresses of
    /// one interface) instead of here.
    pub fn route(verbose: bool) -> Result<Self> {
        let nl = Self::open(NlFamily::Route, verbose)?;
        nl.sock
            .enable_strict_checking(true)
            .context("netlink: enable strict checking")?;
        Ok(nl)
    }
}

impl Netlink<Generic> {
    pub fn generic(verbose: bool) -> Result<Self> {
        Self::open(NlFamily::Generic, verbose)
    }
}

impl Netlink<Netfilter> {
    pub fn netfilter(verbose: bool) -> Result<Self> {
        Self::open(NlFamily::Netfilter, verbose)
    }

    /// Sends an nf_tables batch in one datagram and waits for the answer to each message that
    /// asks for an ACK; the first refusal is the error. Inside a batch the kernel answers only
    /// those (and any message it refuses): the batch delimiters ask for none, as kernels before
    /// 6.10 never acknowledge them.
    pub fn batch(&mut self, reqs: &[Request<Netfilter>]) -> Result<(), KernelError> {
        let first = self.seq;
        let datagram = self.frame(reqs);
        self.sock
            .send(&datagram, Msg::empty())
            .map_err(|e| KernelError::io(&reqs[0], e))?;
        let mut pending = reqs.iter().filter(|r| r.flags & NLM_F_ACK != 0).count();
        while pending > 0 {
            for reply in self.recv().map_err(|e| KernelError::io(&reqs[0], e))? {
                let index = reply.seq.wrapping_sub(first) as usize;
                if index >= reqs.len() || reply.kind != NLMSG_ERROR {
                    continue;
                }
                if let Some(err) =
                    KernelError::from_nlmsgerr(&reqs[index], reply.flags, &reply.body)
                {
                    return Err(err);
                }
                pending -= 1;
            }
        }
        crash::acknowledged();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(kind: u16, flags: u16, seq: u32, body: &[u8]) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&((NLMSG_HDRLEN + body.len()) as u32).to_ne_bytes());
        m.extend_from_slice(&kind.to_ne_bytes());
        m.extend_from_slice(&flags.to_ne_bytes());
        m.extend_from_slice(&seq.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes());
        m.extend_from_slice(body);
        m.resize((m.len() + 3) & !3, 0);
        m
    }

    #[test]
    fn a_datagram_splits_into_its_messages() {
        let mut d = message(16, NLM_F_MULTI, 7, &[1, 2, 3, 4, 5]);
        d.extend(message(NLMSG_DONE, NLM_F_MULTI, 7, &[0; 4]));
        let replies = split(&d).unwrap();
        assert_eq!(replies.len(), 2);
        assert_eq!((replies[0].kind, replies[0].seq), (16, 7));
        assert_eq!(replies[0].body, [1, 2, 3, 4, 5]);
        assert_eq!(replies[1].kind, NLMSG_DONE);
    }

    #[test]
    fn a_message_cut_short_is_an_error_not_the_end() {
        let mut d = message(16, NLM_F_MULTI, 7, &[0; 40]);
        d.truncate(30);
        let err = split(&d).err().expect("truncated");
        assert!(err.to_string().contains("cut short"), "{err}");
        let stray = [0u8; 8];
        assert!(split(&stray).is_err());
    }
}
