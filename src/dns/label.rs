//! Host names as the zone keeps them: one DNS label each, lowercased, made only of letters,
//! digits and hyphens, 1 to 63 of them, with no hyphen at either end (RFC 1123 2.1). A DHCP
//! client's hostname (option 12) is whatever the client chose to send, so every name passes
//! through here before it can answer a query.

use std::borrow::Borrow;
use std::fmt;

/// The longest label DNS allows (RFC 1035 2.3.4).
pub const MAX_LEN: usize = 63;

/// A host label: checked and lowercase.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label(Box<str>);

/// Why a name cannot be a host label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invalid {
    Empty,
    TooLong(usize),
    /// The first byte that is no letter, digit or hyphen.
    Character(u8),
    EdgeHyphen,
    /// A name with dots in a domain other than the zone's.
    OtherDomain,
    /// A name that would stand for something else: `localhost`, or the zone's own domain.
    Reserved,
}

impl Label {
    /// Checks `text` as a host label and lowercases it.
    pub fn parse(text: &str) -> Result<Label, Invalid> {
        let bytes = text.as_bytes();
        if bytes.is_empty() {
            return Err(Invalid::Empty);
        }
        if bytes.len() > MAX_LEN {
            return Err(Invalid::TooLong(bytes.len()));
        }
        if let Some(&b) = bytes
            .iter()
            .find(|b| !(b.is_ascii_alphanumeric() || **b == b'-'))
        {
            return Err(if b == b'.' {
                Invalid::OtherDomain
            } else {
                Invalid::Character(b)
            });
        }
        if bytes[0] == b'-' || bytes[bytes.len() - 1] == b'-' {
            return Err(Invalid::EdgeHyphen);
        }
        if text.eq_ignore_ascii_case("localhost") {
            return Err(Invalid::Reserved);
        }
        Ok(Label(text.to_ascii_lowercase().into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Label {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::Empty => f.write_str("empty"),
            Invalid::TooLong(n) => write!(f, "{n} characters, more than the {MAX_LEN} of a label"),
            Invalid::Character(b) if b.is_ascii_graphic() => {
                write!(f, "'{}' is not a letter, digit or hyphen", *b as char)
            }
            Invalid::Character(b) => write!(f, "byte {b:#04x} is not a letter, digit or hyphen"),
            Invalid::EdgeHyphen => f.write_str("begins or ends with a hyphen"),
            Invalid::OtherDomain => f.write_str("a name in another domain"),
            Invalid::Reserved => f.write_str("a reserved name"),
        }
    }
}

/// A query's label lowercased into `buf`, as the zone's keys are: no allocation on the path
/// of every query. None when it cannot be a host label at all.
pub fn lowercase<'b>(label: &[u8], buf: &'b mut [u8; MAX_LEN]) -> Option<&'b str> {
    let out = buf.get_mut(..label.len())?;
    out.copy_from_slice(label);
    out.make_ascii_lowercase();
    std::str::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hostname_is_lowercased() {
        assert_eq!(Label::parse("Web-01").unwrap().as_str(), "web-01");
        assert_eq!(Label::parse("7").unwrap().as_str(), "7");
        assert!(Label::parse(&"a".repeat(MAX_LEN)).is_ok());
    }

    #[test]
    fn hostile_hostnames_are_refused() {
        let cases: &[(&str, Invalid)] = &[
            ("", Invalid::Empty),
            (&"a".repeat(64), Invalid::TooLong(64)),
            ("a b", Invalid::Character(b' ')),
            ("x\ny", Invalid::Character(b'\n')),
            ("under_score", Invalid::Character(b'_')),
            ("caf\u{e9}", Invalid::Character(0xc3)),
            ("\0", Invalid::Character(0)),
            ("-lead", Invalid::EdgeHyphen),
            ("trail-", Invalid::EdgeHyphen),
            ("www.example.com", Invalid::OtherDomain),
            ("LocalHost", Invalid::Reserved),
        ];
        for (text, why) in cases {
            assert_eq!(Label::parse(text).as_ref(), Err(why), "{text:?}");
        }
    }

    #[test]
    fn refusals_read_as_sentences() {
        assert_eq!(
            Invalid::Character(b'_').to_string(),
            "'_' is not a letter, digit or hyphen"
        );
        assert_eq!(
            Invalid::Character(0x1b).to_string(),
            "byte 0x1b is not a letter, digit or hyphen"
        );
    }

    #[test]
    fn a_query_label_is_lowercased_in_place() {
        let mut buf = [0; MAX_LEN];
        assert_eq!(lowercase(b"C1", &mut buf), Some("c1"));
        assert_eq!(lowercase(&[b'a'; 64], &mut buf), None);
        assert_eq!(lowercase(&[0xff], &mut buf), None);
    }
}
