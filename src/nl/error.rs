//! A refusal from the kernel, with the request it answered, the errno, the kernel's own text
//! (extended ACK) and, where one helps, a hint saying what to do. Callers look at what kind of
//! refusal it is (`ErrorKind`), never at raw errno numbers.

use std::fmt;
use std::io;

use crate::msg::attr::Attrs;
use crate::msg::{Feature, Request};

// include/uapi/linux/netlink.h
const NLM_F_CAPPED: u16 = 0x100;
const NLM_F_ACK_TLVS: u16 = 0x200;
const NLMSGERR_ATTR_MSG: u16 = 1;

/// What a refusal means for the command that got it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// No such object (ENODEV, ENOENT, ESRCH, EADDRNOTAVAIL).
    NotFound,
    /// The object exists already (EEXIST).
    Exists,
    /// Not allowed: root or CAP_NET_ADMIN is needed (EPERM, EACCES).
    Denied,
    /// The kernel lacks what the request needs: a link kind, a netlink family, a module.
    Unsupported,
    /// The nf_tables ruleset changed since it was read (ERESTART): read it again.
    Restart,
    /// A dump was interrupted by a change to what it lists: read it again.
    Interrupted,
    /// No route to the destination asked about.
    Unreachable,
    /// The bridge has all the ports it can hold (EXFULL).
    Full,
    /// The request is malformed or makes no sense to the kernel (EINVAL, ERANGE, ...).
    Invalid,
    /// No answer in time.
    Timeout,
    Other,
}

#[derive(Debug)]
pub struct KernelError {
    pub what: String,
    pub errno: i32,
    pub message: Option<String>,
    pub needs: Option<Feature>,
}

impl KernelError {
    pub fn io<P>(req: &Request<P>, err: io::Error) -> Self {
        let errno = match err.kind() {
            io::ErrorKind::TimedOut => libc::ETIMEDOUT,
            io::ErrorKind::InvalidData => libc::EBADMSG,
            _ => err.raw_os_error().unwrap_or(libc::EIO),
        };
        let message = (err.raw_os_error().is_none()).then(|| err.to_string());
        KernelError {
            what: req.what.clone(),
            errno,
            message,
            needs: req.needs,
        }
    }

    /// Reads an NLMSG_ERROR body: errno 0 is the acknowledgement, anything else a refusal.
    pub fn from_nlmsgerr<P>(req: &Request<P>, flags: u16, body: &[u8]) -> Option<Self> {
        let error = i32::from_ne_bytes(body.get(..4)?.try_into().ok()?);
        if error == 0 {
            return None;
        }
        // After the errno comes the request's header, or the whole request unless capped, and
        // then the extended ACK attributes.
        let echoed = if flags & NLM_F_CAPPED != 0 {
            16
        } else {
            body.get(4..8)
                .and_then(|b| b.try_into().ok())
                .map_or(16, |b| u32::from_ne_bytes(b) as usize)
        };
        let tlvs = body.get(4 + echoed..);
        Some(Self::refused(req, error, flags, tlvs))
    }

    /// Reads an NLMSG_DONE body: a dump the kernel could not finish says why here, an int
    /// errno followed by extended ACK attributes.
    pub fn from_done<P>(req: &Request<P>, flags: u16, body: &[u8]) -> Option<Self> {
        let error = i32::from_ne_bytes(body.get(..4)?.try_into().ok()?);
        (error < 0).then(|| Self::refused(req, error, flags, body.get(4..)))
    }

    fn refused<P>(req: &Request<P>, error: i32, flags: u16, tlvs: Option<&[u8]>) -> Self {
        let message = (flags & NLM_F_ACK_TLVS != 0)
            .then_some(tlvs)
            .flatten()
            .and_then(|tlvs| Attrs(tlvs).get(NLMSGERR_ATTR_MSG))
            .and_then(|a| a.str())
            .map(str::to_string);
        KernelError {
            what: req.what.clone(),
            errno: -error,
            message,
            needs: req.needs,
        }
    }

    /// A dump whose replies carried NLM_F_DUMP_INTR.
    pub fn interrupted<P>(req: &Request<P>) -> Self {
        KernelError {
            what: req.what.clone(),
            errno: libc::EINTR,
            message: Some("the list changed while it was read".into()),
            needs: req.needs,
        }
    }

    /// The kernel answered that it has no such family or module at all.
    pub fn missing(what: &str, feature: Feature) -> Self {
        KernelError {
            what: what.to_string(),
            errno: libc::ENOENT,
            message: None,
            needs: Some(feature),
        }
    }

    pub fn kind(&self) -> ErrorKind {
        if self.is_missing_feature() {
            return ErrorKind::Unsupported;
        }
        match self.errno {
            libc::ENODEV | libc::ENOENT | libc::ESRCH | libc::EADDRNOTAVAIL => ErrorKind::NotFound,
            libc::EEXIST => ErrorKind::Exists,
            libc::EPERM | libc::EACCES => ErrorKind::Denied,
            libc::EOPNOTSUPP | libc::EPROTONOSUPPORT | libc::EAFNOSUPPORT => ErrorKind::Unsupported,
            libc::ERESTART => ErrorKind::Restart,
            libc::EINTR => ErrorKind::Interrupted,
            libc::ENETUNREACH | libc::EHOSTUNREACH => ErrorKind::Unreachable,
            libc::EXFULL => ErrorKind::Full,
            libc::EINVAL | libc::ERANGE | libc::E2BIG | libc::EMSGSIZE => ErrorKind::Invalid,
            libc::ETIMEDOUT => ErrorKind::Timeout,
            _ => ErrorKind::Other,
        }
    }

    /// The kernel lacks the module behind the request: a link kind it does not know
    /// (EOPNOTSUPP), a generic netlink family or pseudowire it cannot load.
    fn is_missing_feature(&self) -> bool {
        self.needs.is_some()
            && matches!(
                self.errno,
                libc::EOPNOTSUPP | libc::ENOENT | libc::EPROTONOSUPPORT | libc::EAFNOSUPPORT
            )
    }

    /// A line telling the user what to do, where the errno says enough to give one.
    pub fn hint(&self) -> Option<String> {
        if let (true, Some(f)) = (self.is_missing_feature(), self.needs) {
            return Some(format!(
                "load the module with `modprobe {}`; if it is not found, install your \
                 distribution's extra kernel modules (e.g. linux-modules-extra-$(uname -r))",
                f.module
            ));
        }
        match self.kind() {
            ErrorKind::Denied => {
                Some("run as root, or give l2x the CAP_NET_ADMIN capability".into())
            }
            ErrorKind::NotFound if self.errno == libc::ENODEV => {
                Some("`ip link` lists the interfaces that exist".into())
            }
            _ => None,
        }
    }
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if let (true, Some(feature)) = (self.is_missing_feature(), self.needs) {
            return write!(f, "this kernel has no {} support", feature.name);
        }
        let why = match self.errno {
            libc::ETIMEDOUT => "no answer from the kernel".to_string(),
            libc::EBADMSG => "the kernel's answer was cut short".to_string(),
            errno => {
                let text = io::Error::from_raw_os_error(errno).to_string();
                text.split(" (os error").next().unwrap_or(&text).to_string()
            }
        };
        write!(f, "{}: {why}", self.what)?;
        if let Some(m) = &self.message {
            write!(f, " ({m})")?;
        }
        Ok(())
    }
}

impl std::error::Error for KernelError {}

/// The kind of the kernel's refusal behind `e`, when a kernel refusal is what it is.
pub fn kind_of(e: &anyhow::Error) -> Option<ErrorKind> {
    e.downcast_ref::<KernelError>().map(KernelError::kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::Route;

    fn req() -> Request<Route> {
        Request::new(18, 0x300, vec![], "list links")
    }

    #[test]
    fn an_error_in_done_is_an_error() {
        let mut body = (-libc::EMSGSIZE).to_ne_bytes().to_vec();
        body.extend_from_slice(&[0; 4]);
        let err = KernelError::from_done(&req(), 0, &body).expect("an error");
        assert_eq!(err.kind(), ErrorKind::Invalid);
        assert!(err.to_string().starts_with("list links: "), "{err}");
        assert!(KernelError::from_done(&req(), 0, &0i32.to_ne_bytes()).is_none());
    }

    #[test]
    fn the_kernels_own_words_are_kept() {
        let mut body = (-libc::EINVAL).to_ne_bytes().to_vec();
        body.extend_from_slice(&[0; 16]); // the request's header, capped
        let mut w = crate::msg::attr::AttrWriter::default();
        w.str(NLMSGERR_ATTR_MSG, "Unknown device type");
        body.extend(w.finish());
        let err = KernelError::from_nlmsgerr(&req(), NLM_F_CAPPED | NLM_F_ACK_TLVS, &body).unwrap();
        assert_eq!(err.message.as_deref(), Some("Unknown device type"));
    }

    #[test]
    fn a_missing_module_is_unsupported_with_a_hint() {
        let err = KernelError::missing("look up l2tp", crate::msg::l2tp::L2TP);
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        assert!(err.hint().unwrap().contains("modprobe l2tp_eth"));
    }
}
