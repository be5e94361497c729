//! The DNS server's log: one line each on stderr, `PREFIX: ...`. Problems caused from outside
//! (malformed queries, a silent upstream, a flood) are rate-limited per kind, so a flood of
//! them cannot fill a disk or a terminal: a few lines per window, then one line that counts
//! what was left out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Lines of one kind at most per window...
const BURST: u32 = 5;
/// ...of this length.
const WINDOW: Duration = Duration::from_secs(10);

pub struct Log {
    prefix: String,
    windows: Mutex<HashMap<&'static str, Window>>,
}

impl Log {
    pub fn new(prefix: impl Into<String>) -> Log {
        Log {
            prefix: prefix.into(),
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// A line that always goes out: what the server did.
    pub fn info(&self, line: &str) {
        eprintln!("{}: {line}", self.prefix);
    }

    /// A problem of `kind`; `line` is only made when it goes out.
    pub fn problem(&self, kind: &'static str, line: impl FnOnce() -> String) {
        let admit = {
            let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
            windows.entry(kind).or_default().admit(Instant::now())
        };
        match admit {
            Admit::Print { left_out: 0 } => self.info(&line()),
            Admit::Print { left_out } => self.info(&format!(
                "{} ({left_out} more like it in the last {}s left out)",
                line(),
                WINDOW.as_secs()
            )),
            Admit::Suppress => {}
        }
    }
}

#[derive(Default)]
struct Window {
    start: Option<Instant>,
    printed: u32,
    suppressed: u32,
}

#[derive(Debug, PartialEq, Eq)]
enum Admit {
    /// Print, with how many lines of the window before were left out.
    Print {
        left_out: u32,
    },
    Suppress,
}

impl Window {
    fn admit(&mut self, now: Instant) -> Admit {
        let fresh = self.start.is_none_or(|s| now.duration_since(s) >= WINDOW);
        if fresh {
            let left_out = std::mem::take(&mut self.suppressed);
            self.start = Some(now);
            self.printed = 1;
            return Admit::Print { left_out };
        }
        if self.printed < BURST {
            self.printed += 1;
            Admit::Print { left_out: 0 }
        } else {
            self.suppressed += 1;
            Admit::Suppress
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_prints_a_burst_then_a_count() {
        let mut w = Window::default();
        let t0 = Instant::now();
        for _ in 0..BURST {
            assert_eq!(w.admit(t0), Admit::Print { left_out: 0 });
        }
        for n in 0..1000 {
            assert_eq!(w.admit(t0 + Duration::from_millis(n)), Admit::Suppress);
        }
        assert_eq!(w.admit(t0 + WINDOW), Admit::Print { left_out: 1000 });
        assert_eq!(w.admit(t0 + WINDOW), Admit::Print { left_out: 0 });
    }
}
