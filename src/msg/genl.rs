//! Generic netlink framing: struct genlmsghdr, and the controller request that turns a family
//! name ("l2tp") into the message type the kernel assigned it at boot.

use super::attr::{AttrWriter, Attrs};
use super::{Feature, Generic, Request};

// include/uapi/linux/genetlink.h
pub const GENL_ID_CTRL: u16 = 0x10;
pub const CTRL_CMD_GETFAMILY: u8 = 3;
pub const CTRL_ATTR_FAMILY_ID: u16 = 1;
pub const CTRL_ATTR_FAMILY_NAME: u16 = 2;
const GENL_HDRLEN: usize = 4;

/// struct genlmsghdr: command, version, reserved.
pub fn genlmsghdr(cmd: u8, version: u8) -> [u8; 4] {
    [cmd, version, 0, 0]
}

/// CTRL_CMD_GETFAMILY. Asking also makes the kernel load the family's module where it can,
/// so a refusal (ENOENT) means the kernel has no such support.
pub fn get_family(feature: Feature, family: &str) -> Request<Generic> {
    let mut w = AttrWriter::with_header(&genlmsghdr(CTRL_CMD_GETFAMILY, 1));
    w.str(CTRL_ATTR_FAMILY_NAME, family);
    Request::new(
        GENL_ID_CTRL,
        0,
        w.finish(),
        format!("look up {family} netlink family"),
    )
    .needing(feature)
}

pub fn parse_family_id(body: &[u8]) -> Option<u16> {
    attrs(body).get(CTRL_ATTR_FAMILY_ID)?.u16()
}

/// The attributes after a generic netlink reply's header.
pub fn attrs(body: &[u8]) -> Attrs<'_> {
    Attrs(body.get(GENL_HDRLEN..).unwrap_or(&[]))
}
