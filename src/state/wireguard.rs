//! WireGuard as this host has it: which implementation would run a new interface (the kernel
//! module, else wireguard-go), and an existing interface's configuration, read from whichever
//! runs it.

use anyhow::{Context, Result, anyhow};

use crate::msg::link::Link;
use crate::msg::wireguard::{Backend, Device, WG_GENL_NAME, WIREGUARD, netlink, uapi};
use crate::nl::{ErrorKind, Sockets, kind_of, uapi as socket};
use crate::report::Hinted;

/// What would run a new interface; None when neither is there.
pub fn backend(s: &mut Sockets) -> Result<Option<Backend>> {
    let module = match s.family(WG_GENL_NAME, WIREGUARD) {
        Ok(id) => id.is_some(),
        Err(e) if kind_of(&e) == Some(ErrorKind::Unsupported) => false,
        Err(e) => return Err(e),
    };
    if module {
        return Ok(Some(Backend::Kernel));
    }
    Ok(socket::installed().then_some(Backend::WireguardGo))
}

/// The same, or the error that says how to get one.
pub fn require_backend(s: &mut Sockets) -> Result<Backend> {
    backend(s)?.ok_or_else(|| {
        anyhow!(Hinted::new(
            "this kernel has no WireGuard module and wireguard-go is not installed",
            "`modprobe wireguard`, or `apt install wireguard-go`",
        ))
    })
}

/// Which implementation runs `link`, if it is a WireGuard interface at all: the module's
/// links are of kind "wireguard"; wireguard-go's are TUN devices with its socket in this
/// namespace's directory.
pub fn runs(link: &Link) -> Result<Option<Backend>> {
    if link.is_kind("wireguard") {
        return Ok(Some(Backend::Kernel));
    }
    if link.is_kind("tun") && socket::socket(&link.name)?.exists() {
        return Ok(Some(Backend::WireguardGo));
    }
    Ok(None)
}

/// Interface `name`'s configuration and counters, from the implementation that runs it.
pub fn read(s: &mut Sockets, name: &str, backend: Backend) -> Result<Device> {
    match backend {
        Backend::Kernel => {
            let family = s.require_family(WG_GENL_NAME, WIREGUARD)?;
            let bodies = s.generic()?.dump(&netlink::get_device(family, name))?;
            netlink::parse_device(&bodies)
                .ok_or_else(|| anyhow!("the kernel's answer for wireguard {name} is malformed"))
        }
        Backend::WireguardGo => {
            let answer = socket::exchange(name, uapi::GET)?;
            uapi::parse_get(name, &answer).with_context(|| format!("read wireguard {name}"))
        }
    }
}

/// Sends a set (`Device` with only what changes) to the implementation that runs it.
pub fn configure(s: &mut Sockets, dev: &Device, backend: Backend) -> Result<()> {
    match backend {
        Backend::Kernel => {
            let family = s.require_family(WG_GENL_NAME, WIREGUARD)?;
            s.generic()?.ack(&netlink::set_device(family, dev))?;
        }
        Backend::WireguardGo => {
            let answer = socket::exchange(&dev.name, &uapi::set(dev))?;
            uapi::parse_set_answer(&answer)
                .with_context(|| format!("configure wireguard {}", dev.name))?;
        }
    }
    Ok(())
}
