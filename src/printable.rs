//! Text that came from the network (a DHCP client's hostname, say), made safe to print on a
//! terminal or into a log: every control character is written as an escape, so a newline cannot
//! forge a log line and an ESC sequence cannot reach the operator's terminal.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with C0 and C1 control characters, DEL, the Unicode bidirectional overrides (which
/// reorder what a terminal shows) and the backslash written as `\n`, `\x1b`, `\u{202e}`, `\\`
/// and so on. Text without any of them comes back as it was, unallocated.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x100 && needs_escape(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c == '\\' || c.is_control() || is_bidi_control(c)
}

/// U+202A..U+202E (embeddings and overrides) and U+2066..U+2069 (isolates): a terminal that
/// honours them shows the text in another order than it has.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_left_alone() {
        assert!(matches!(escape("c1.lan ünïcode"), Cow::Borrowed(_)));
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(
            escape("a\nb\r\tc\x1b[2Jd\x7f\u{85}\0"),
            "a\\nb\\r\\tc\\x1b[2Jd\\x7f\\x85\\x00"
        );
        assert_eq!(escape("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        // A backslash is escaped too, so `\x1b` in the output always was an ESC.
        assert_eq!(escape("a\\x1b"), "a\\\\x1b");
    }
}
