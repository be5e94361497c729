//! Netlink attributes (struct nlattr / struct rtattr): a writer that builds them in kernel wire
//! order, and a reader that walks them. Both families share the layout: u16 length, u16 type,
//! payload, padding to 4 bytes.

/// The kernel sets this bit on the type of an attribute whose payload is more attributes; some
/// parsers (IFLA_PROTINFO, nf_tables) insist on it.
pub const NLA_F_NESTED: u16 = 0x8000;
const NLA_TYPE_MASK: u16 = 0x3fff;
const NLA_HDRLEN: usize = 4;

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// Appends attributes to a message body.
#[derive(Default, Debug, Clone)]
pub struct AttrWriter {
    buf: Vec<u8>,
}

impl AttrWriter {
    /// Starts after a fixed header (ifinfomsg, ifaddrmsg, genlmsghdr, ...).
    pub fn with_header(header: &[u8]) -> Self {
        AttrWriter {
            buf: header.to_vec(),
        }
    }

    pub fn bytes(&mut self, kind: u16, payload: &[u8]) -> &mut Self {
        let len = NLA_HDRLEN + payload.len();
        self.buf.extend_from_slice(&(len as u16).to_ne_bytes());
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        self.buf.extend_from_slice(payload);
        self.buf.resize(align4(self.buf.len()), 0);
        self
    }

    pub fn u8(&mut self, kind: u16, v: u8) -> &mut Self {
        self.bytes(kind, &[v])
    }

    pub fn u16(&mut self, kind: u16, v: u16) -> &mut Self {
        self.bytes(kind, &v.to_ne_bytes())
    }

    pub fn u32(&mut self, kind: u16, v: u32) -> &mut Self {
        self.bytes(kind, &v.to_ne_bytes())
    }

    /// Network byte order, for ports, keys and flags the kernel keeps as __be16/__be32.
    pub fn be16(&mut self, kind: u16, v: u16) -> &mut Self {
        self.bytes(kind, &v.to_be_bytes())
    }

    pub fn be32(&mut self, kind: u16, v: u32) -> &mut Self {
        self.bytes(kind, &v.to_be_bytes())
    }

    /// A NUL-terminated string, as the kernel's NLA_STRING/NLA_NUL_STRING policies expect.
    pub fn str(&mut self, kind: u16, s: &str) -> &mut Self {
        let mut payload = Vec::with_capacity(s.len() + 1);
        payload.extend_from_slice(s.as_bytes());
        payload.push(0);
        self.bytes(kind, &payload)
    }

    /// Opens an attribute holding further attributes. The type is written as given: callers add
    /// NLA_F_NESTED where the kernel wants it, so bytes match what iproute2 sends.
    pub fn nest(&mut self, kind: u16, fill: impl FnOnce(&mut AttrWriter)) -> &mut Self {
        let start = self.buf.len();
        self.buf.extend_from_slice(&[0, 0]);
        self.buf.extend_from_slice(&kind.to_ne_bytes());
        let mut inner = AttrWriter {
            buf: std::mem::take(&mut self.buf),
        };
        fill(&mut inner);
        self.buf = inner.buf;
        let len = (self.buf.len() - start) as u16;
        self.buf[start..start + 2].copy_from_slice(&len.to_ne_bytes());
        self
    }

    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// One attribute as read from a kernel message.
#[derive(Debug, Clone, Copy)]
pub struct Attr<'a> {
    pub kind: u16,
    pub payload: &'a [u8],
}

impl<'a> Attr<'a> {
    pub fn u8(&self) -> Option<u8> {
        self.payload.first().copied()
    }

    pub fn u16(&self) -> Option<u16> {
        Some(u16::from_ne_bytes(self.payload.get(..2)?.try_into().ok()?))
    }

    pub fn u32(&self) -> Option<u32> {
        Some(u32::from_ne_bytes(self.payload.get(..4)?.try_into().ok()?))
    }

    pub fn be16(&self) -> Option<u16> {
        Some(u16::from_be_bytes(self.payload.get(..2)?.try_into().ok()?))
    }

    pub fn be32(&self) -> Option<u32> {
        Some(u32::from_be_bytes(self.payload.get(..4)?.try_into().ok()?))
    }

    /// nf_tables handles are __be64.
    pub fn be64(&self) -> Option<u64> {
        Some(u64::from_be_bytes(self.payload.get(..8)?.try_into().ok()?))
    }

    /// A string attribute without its terminating NUL.
    pub fn str(&self) -> Option<&'a str> {
        let end = self
            .payload
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.payload.len());
        std::str::from_utf8(&self.payload[..end]).ok()
    }

    pub fn nested(&self) -> Attrs<'a> {
        Attrs(self.payload)
    }
}

/// Walks the attributes in a byte range; stops quietly at a malformed tail, as the kernel's own
/// nla_for_each_attr does.
#[derive(Debug, Clone, Copy)]
pub struct Attrs<'a>(pub &'a [u8]);

impl<'a> Attrs<'a> {
    /// The first attribute of this type, the nested bit ignored.
    pub fn get(&self, kind: u16) -> Option<Attr<'a>> {
        self.into_iter().find(|a| a.kind == kind)
    }
}

impl<'a> IntoIterator for &Attrs<'a> {
    type Item = Attr<'a>;
    type IntoIter = AttrIter<'a>;
    fn into_iter(self) -> AttrIter<'a> {
        AttrIter(self.0)
    }
}

pub struct AttrIter<'a>(&'a [u8]);

impl<'a> Iterator for AttrIter<'a> {
    type Item = Attr<'a>;
    fn next(&mut self) -> Option<Attr<'a>> {
        let rest = self.0;
        let len = u16::from_ne_bytes(rest.get(..2)?.try_into().ok()?) as usize;
        let kind = u16::from_ne_bytes(rest.get(2..4)?.try_into().ok()?);
        if len < NLA_HDRLEN || len > rest.len() {
            return None;
        }
        self.0 = rest.get(align4(len)..).unwrap_or(&[]);
        Some(Attr {
            kind: kind & NLA_TYPE_MASK,
            payload: &rest[NLA_HDRLEN..len],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_attributes_round_trip() {
        let mut w = AttrWriter::default();
        w.str(3, "br0").nest(18 | NLA_F_NESTED, |n| {
            n.str(1, "bridge").u8(5, 1);
        });
        let bytes = w.finish();
        assert_eq!(bytes.len() % 4, 0);
        let attrs = Attrs(&bytes);
        assert_eq!(attrs.get(3).and_then(|a| a.str()), Some("br0"));
        let info = attrs.get(18).expect("nest").nested();
        assert_eq!(info.get(1).and_then(|a| a.str()), Some("bridge"));
        assert_eq!(info.get(5).and_then(|a| a.u8()), Some(1));
    }

    #[test]
    fn truncated_tail_is_ignored() {
        let mut w = AttrWriter::default();
        w.u32(1, 7);
        let mut bytes = w.finish();
        bytes.extend_from_slice(&[40, 0, 2, 0]);
        let kinds: Vec<u16> = Attrs(&bytes).into_iter().map(|a| a.kind).collect();
        assert_eq!(kinds, vec![1]);
    }
}
