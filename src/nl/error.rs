//! A refusal from the kernel, with the request it answered, the errno, the kernel's own text
//! (extended ACK) and, where one helps, a hint saying what to do.

use std::fmt;
use std::io;

use crate::msg::Request;
use crate::msg::attr::Attrs;

// include/uapi/linux/netlink.h
const NLM_F_CAPPED: u16 = 0x100;
const NLM_F_ACK_TLVS: u16 = 0x200;
const NLMSGERR_ATTR_MSG: u16 = 1;

#[derive(Debug)]
pub struct KernelError {
    pub what: String,
    pub errno: i32,
    pub message: Option<String>,
    pub needs: Option<crate::msg::Feature>,
}

impl KernelError {
    pub fn io(req: &Request, err: io::Error) -> Self {
        KernelError {
            what: req.what.clone(),
            errno: err.raw_os_error().unwrap_or(libc::EIO),
            message: None,
            needs: req.needs,
        }
    }

    /// Reads an NLMSG_ERROR body: errno 0 is the acknowledgement, anything else a refusal.
    pub fn from_nlmsgerr(req: &Request, flags: u16, body: &[u8]) -> Option<Self> {
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
        let message = (flags & NLM_F_ACK_TLVS != 0)
            .then(|| body.get(4 + echoed..))
            .flatten()
            .and_then(|tlvs| Attrs(tlvs).get(NLMSGERR_ATTR_MSG))
            .and_then(|a| a.str())
            .map(str::to_string);
        Some(KernelError {
            what: req.what.clone(),
            errno: -error,
            message,
            needs: req.needs,
        })
    }

    /// The kernel answered that it has no such family or module at all.
    pub fn missing(what: &str, feature: crate::msg::Feature) -> Self {
        KernelError {
            what: what.to_string(),
            errno: libc::ENOENT,
            message: None,
            needs: Some(feature),
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.errno == libc::ENODEV || self.errno == libc::ENOENT
    }

    /// The kernel lacks the module behind the request: a link kind it does not know
    /// (EOPNOTSUPP), a generic netlink family or pseudowire it cannot load.
    pub fn is_missing_feature(&self) -> bool {
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
        match self.errno {
            libc::EPERM | libc::EACCES => {
                Some("run as root, or give l2x the CAP_NET_ADMIN capability".into())
            }
            libc::ENODEV => Some("`ip link` lists the interfaces that exist".into()),
            _ => None,
        }
    }
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if let (true, Some(feature)) = (self.is_missing_feature(), self.needs) {
            return write!(f, "this kernel has no {} support", feature.name);
        }
        let why = io::Error::from_raw_os_error(self.errno);
        let why = why.to_string();
        let why = why.split(" (os error").next().unwrap_or(&why);
        write!(f, "{}: {}", self.what, why)?;
        if let Some(m) = &self.message {
            write!(f, " ({m})")?;
        }
        Ok(())
    }
}

impl std::error::Error for KernelError {}
