//! The transport: the only place that opens a netlink socket. Requests come ready-made from
//! `msg`; this layer numbers them, sends them, and turns the kernel's answer into replies or a
//! `KernelError` that says what failed and why.

mod error;
pub mod netns;

use std::io;

use anyhow::{Context, Result};
use neli::consts::socket::{Msg, NlFamily};
use neli::socket::NlSocket;
use neli::utils::Groups;

pub use error::KernelError;

use crate::msg::{NLM_F_ACK, Request};

// include/uapi/linux/netlink.h
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_MULTI: u16 = 0x02;
const NLMSG_HDRLEN: usize = 16;

/// Big enough for the largest datagram a dump sends (the kernel caps them at 32 KiB).
const RECV_BUFFER: usize = 64 * 1024;

/// A netlink socket of one protocol family.
pub struct Netlink {
    sock: NlSocket,
    seq: u32,
    verbose: bool,
    buf: Vec<u8>,
}

/// One message read from the socket: its type and the bytes after the netlink header.
struct Reply {
    kind: u16,
    flags: u16,
    seq: u32,
    body: Vec<u8>,
}

impl Netlink {
    /// rtnetlink, with strict checking so that dumps can be filtered by the kernel (addresses of
    /// one interface) instead of here.
    pub fn route(verbose: bool) -> Result<Self> {
        let nl = Self::open(NlFamily::Route, verbose)?;
        nl.sock
            .enable_strict_checking(true)
            .context("netlink: enable strict checking")?;
        Ok(nl)
    }

    pub fn generic(verbose: bool) -> Result<Self> {
        Self::open(NlFamily::Generic, verbose)
    }

    pub fn netfilter(verbose: bool) -> Result<Self> {
        Self::open(NlFamily::Netfilter, verbose)
    }

    fn open(family: NlFamily, verbose: bool) -> Result<Self> {
        let sock =
            NlSocket::connect(family, None, Groups::empty()).context("netlink: open socket")?;
        // The kernel's own words on why it refused a request (extended ACK) go in our errors.
        sock.enable_ext_ack(true)
            .context("netlink: enable extended ack")?;
        Ok(Netlink {
            sock,
            seq: std::process::id().wrapping_shl(12),
            verbose,
            buf: vec![0; RECV_BUFFER],
        })
    }

    /// Sends a request and waits for the kernel's acknowledgement.
    pub fn ack(&mut self, req: &Request) -> Result<(), KernelError> {
        self.exchange(std::slice::from_ref(req), 1).map(drop)
    }

    /// Sends a request that the kernel answers with one message (a GET without NLM_F_DUMP).
    /// ENODEV/ENOENT, "no such object", comes back as `None`.
    pub fn get(&mut self, req: &Request) -> Result<Option<Vec<u8>>, KernelError> {
        match self.exchange(std::slice::from_ref(req), 1) {
            Ok(mut replies) => Ok(replies.pop()),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sends a dump request and collects every message of the answer.
    pub fn dump(&mut self, req: &Request) -> Result<Vec<Vec<u8>>, KernelError> {
        self.exchange(std::slice::from_ref(req), 1)
    }

    /// Sends an nf_tables batch in one datagram and waits for the answer to each message that
    /// asks for an ACK; the first refusal is the error. Inside a batch the kernel answers only
    /// those (and any message it refuses): the batch delimiters ask for none, as kernels before
    /// 6.10 never acknowledge them.
    pub fn batch(&mut self, reqs: &[Request]) -> Result<(), KernelError> {
        let answers = reqs.iter().filter(|r| r.flags & NLM_F_ACK != 0).count();
        self.exchange(reqs, answers).map(drop)
    }

    /// Sends requests in one datagram and collects replies until `answers` of them are
    /// answered (an ACK or error, a dump's NLMSG_DONE, or a GET's single reply).
    fn exchange(&mut self, reqs: &[Request], answers: usize) -> Result<Vec<Vec<u8>>, KernelError> {
        let first = self.seq;
        let mut datagram = Vec::new();
        for req in reqs {
            if self.verbose {
                eprintln!(
                    "l2x: netlink: {} (type {}, {} bytes)",
                    req.what,
                    req.kind,
                    req.body.len() + 16
                );
            }
            datagram.extend_from_slice(&req.to_bytes(self.seq, 0));
            self.seq = self.seq.wrapping_add(1);
        }
        let what = |i: usize| &reqs[i.min(reqs.len() - 1)];
        self.sock
            .send(&datagram, Msg::empty())
            .map_err(|e| KernelError::io(&reqs[0], e))?;
        let mut pending = answers;
        let mut replies = Vec::new();
        while pending > 0 {
            for reply in self.recv().map_err(|e| KernelError::io(&reqs[0], e))? {
                let index = reply.seq.wrapping_sub(first) as usize;
                if index >= reqs.len() {
                    continue; // an answer to an earlier request of ours that was given up on
                }
                match reply.kind {
                    NLMSG_ERROR => {
                        pending -= 1;
                        if let Some(err) =
                            KernelError::from_nlmsgerr(what(index), reply.flags, &reply.body)
                        {
                            return Err(err);
                        }
                    }
                    NLMSG_DONE => pending -= 1,
                    _ => {
                        // A reply without NLM_F_MULTI is the whole answer to a plain GET.
                        if reply.flags & NLM_F_MULTI == 0 {
                            pending -= 1;
                        }
                        replies.push(reply.body);
                    }
                }
            }
        }
        Ok(replies)
    }

    fn recv(&mut self) -> io::Result<Vec<Reply>> {
        let (len, _) = loop {
            match self.sock.recv(&mut self.buf[..], Msg::empty()) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        let mut replies = Vec::new();
        let mut rest = &self.buf[..len];
        while rest.len() >= NLMSG_HDRLEN {
            let msg_len = u32::from_ne_bytes(rest[0..4].try_into().unwrap_or_default()) as usize;
            if msg_len < NLMSG_HDRLEN || msg_len > rest.len() {
                break;
            }
            replies.push(Reply {
                kind: u16::from_ne_bytes([rest[4], rest[5]]),
                flags: u16::from_ne_bytes([rest[6], rest[7]]),
                seq: u32::from_ne_bytes(rest[8..12].try_into().unwrap_or_default()),
                body: rest[NLMSG_HDRLEN..msg_len].to_vec(),
            });
            rest = rest.get((msg_len + 3) & !3..).unwrap_or(&[]);
        }
        Ok(replies)
    }
}
