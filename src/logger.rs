//! The log of a long-running server (`dhcp serve`): one line per event, `PREFIX: text`, on
//! stderr or the file it was sent to. Anyone on the segment can make the server log, so the log
//! is bounded and can never stop the server:
//! - each kind of line has a burst per 10 s window; lines past it are counted, and when the
//!   window ends one line says `N more like this in the last 10 s (KIND)`;
//! - a line that cannot be written (a full disk, a closed pipe) is dropped and counted, and
//!   the next line that can be written says how many were lost; nothing panics;
//! - control characters are escaped (see `printable`), and a line is cut at `MAX_LINE` bytes;
//! - `-q` leaves only warnings, `-v` adds debug lines.
//!
//! No crate is used: `log`/`env_logger` and `tracing` write every line they are given (a
//! flood reaches the disk) and stop at nothing like a per-kind burst.

use std::collections::HashMap;
use std::io::{self, Write};
use std::time::{Duration, Instant};

use crate::printable;

/// How long a burst lasts before its count is reported and a new one begins.
pub const WINDOW: Duration = Duration::from_secs(10);
/// A longer line is cut here: a client can make no line longer.
const MAX_LINE: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug,
    Info,
    Warn,
}

/// A kind of line: its name (in the count line) and how many of it a window shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    pub name: &'static str,
    pub burst: u32,
}

impl Kind {
    pub const fn new(name: &'static str, burst: u32) -> Kind {
        Kind { name, burst }
    }
}

struct Window {
    level: Level,
    start: Instant,
    shown: u32,
    more: u64,
}

pub struct Logger {
    prefix: String,
    threshold: Level,
    sink: Box<dyn Write + Send>,
    windows: HashMap<&'static str, Window>,
    /// Lines that could not be written since the last one that could, and why.
    dropped: u64,
    why: Option<io::Error>,
}

impl Logger {
    /// A log on stderr: `-q` (quiet) shows warnings only, `-v` (verbose) debug lines too.
    pub fn stderr(prefix: impl Into<String>, quiet: bool, verbose: bool) -> Logger {
        let threshold = match (quiet, verbose) {
            (true, _) => Level::Warn,
            (false, true) => Level::Debug,
            (false, false) => Level::Info,
        };
        Logger::to(prefix, threshold, Box::new(io::stderr()))
    }

    pub fn to(prefix: impl Into<String>, threshold: Level, sink: Box<dyn Write + Send>) -> Logger {
        Logger {
            prefix: prefix.into(),
            threshold,
            sink,
            windows: HashMap::new(),
            dropped: 0,
            why: None,
        }
    }

    /// Whether lines of `level` are shown at all, so a caller can skip making one that is not.
    pub fn shows(&self, level: Level) -> bool {
        level >= self.threshold
    }

    pub fn warn(&mut self, kind: Kind, text: &str) {
        self.log_at(Instant::now(), Level::Warn, kind, text);
    }

    pub fn info(&mut self, kind: Kind, text: &str) {
        self.log_at(Instant::now(), Level::Info, kind, text);
    }

    pub fn debug(&mut self, kind: Kind, text: &str) {
        self.log_at(Instant::now(), Level::Debug, kind, text);
    }

    /// Reports the counts of windows that have ended; the server calls it at least once a
    /// second, so a count is never late by more than that.
    pub fn tick(&mut self) {
        self.tick_at(Instant::now());
    }

    fn log_at(&mut self, now: Instant, level: Level, kind: Kind, text: &str) {
        if level < self.threshold {
            return;
        }
        let window = self.windows.entry(kind.name).or_insert(Window {
            level,
            start: now,
            shown: 0,
            more: 0,
        });
        if now.duration_since(window.start) >= WINDOW {
            let ended = std::mem::replace(
                window,
                Window {
                    level,
                    start: now,
                    shown: 0,
                    more: 0,
                },
            );
            self.report_more(kind.name, ended.more);
        }
        let window = self.windows.get_mut(kind.name).expect("inserted above");
        if window.shown < kind.burst {
            window.shown += 1;
            window.level = window.level.max(level);
            self.write_line(text);
        } else {
            window.more += 1;
        }
    }

    fn tick_at(&mut self, now: Instant) {
        let ended: Vec<(&'static str, u64)> = self
            .windows
            .iter()
            .filter(|(_, w)| now.duration_since(w.start) >= WINDOW)
            .map(|(&name, w)| (name, w.more))
            .collect();
        for (name, more) in ended {
            self.windows.remove(name);
            self.report_more(name, more);
        }
    }

    fn report_more(&mut self, name: &str, more: u64) {
        if more > 0 {
            let secs = WINDOW.as_secs();
            self.write_line(&format!(
                "{more} more like this in the last {secs} s ({name})"
            ));
        }
    }

    /// One write per line, so lines from several writers to one file stay whole.
    fn write_line(&mut self, text: &str) {
        if self.dropped > 0 {
            let why = self.why.take().map_or(String::new(), |e| format!(": {e}"));
            let note = format!(
                "{} log lines lost (could not write the log{why})",
                self.dropped
            );
            if !self.try_write(&note) {
                self.dropped += 1;
                return;
            }
            self.dropped = 0;
        }
        if !self.try_write(text) {
            self.dropped += 1;
        }
    }

    fn try_write(&mut self, text: &str) -> bool {
        let mut line = format!("{}: {}", self.prefix, printable::escape(text));
        if line.len() > MAX_LINE {
            let mut cut = MAX_LINE - 3;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
            line.push_str("...");
        }
        line.push('\n');
        match self
            .sink
            .write_all(line.as_bytes())
            .and_then(|()| self.sink.flush())
        {
            Ok(()) => true,
            Err(e) => {
                self.why = Some(e);
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A sink the test reads back, which fails while `full` is set.
    #[derive(Clone, Default)]
    struct Sink {
        text: Arc<Mutex<String>>,
        full: Arc<Mutex<bool>>,
    }

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if *self.full.lock().unwrap() {
                return Err(io::Error::from_raw_os_error(libc::ENOSPC));
            }
            self.text
                .lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(buf));
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Sink {
        fn lines(&self) -> Vec<String> {
            self.text
                .lock()
                .unwrap()
                .lines()
                .map(String::from)
                .collect()
        }
    }

    const FLOOD: Kind = Kind::new("no free address", 3);
    const OTHER: Kind = Kind::new("ACK", 3);

    fn logger(threshold: Level) -> (Logger, Sink) {
        let sink = Sink::default();
        (
            Logger::to("dhcp br0", threshold, Box::new(sink.clone())),
            sink,
        )
    }

    #[test]
    fn a_flood_collapses_into_one_count_per_window() {
        let (mut log, sink) = logger(Level::Info);
        let t0 = Instant::now();
        for i in 0..1000 {
            log.log_at(
                t0 + Duration::from_millis(i),
                Level::Warn,
                FLOOD,
                &format!("no free address for client {i}"),
            );
        }
        log.log_at(
            t0,
            Level::Info,
            OTHER,
            "ACK 10.0.5.100 to 02:00:00:00:00:01",
        );
        log.tick_at(t0 + Duration::from_secs(5));
        assert_eq!(sink.lines().len(), 4, "{:?}", sink.lines());
        log.tick_at(t0 + WINDOW);
        let lines = sink.lines();
        assert_eq!(lines[0], "dhcp br0: no free address for client 0");
        assert_eq!(lines[3], "dhcp br0: ACK 10.0.5.100 to 02:00:00:00:00:01");
        assert_eq!(
            lines[4],
            "dhcp br0: 997 more like this in the last 10 s (no free address)"
        );
        assert_eq!(lines.len(), 5);
        // The next window starts afresh.
        log.log_at(t0 + WINDOW * 2, Level::Warn, FLOOD, "again");
        assert_eq!(sink.lines()[5], "dhcp br0: again");
    }

    #[test]
    fn a_new_window_reports_the_old_ones_count_first() {
        let (mut log, sink) = logger(Level::Info);
        let t0 = Instant::now();
        for _ in 0..5 {
            log.log_at(t0, Level::Warn, FLOOD, "x");
        }
        log.log_at(t0 + WINDOW, Level::Warn, FLOOD, "y");
        let lines = sink.lines();
        assert_eq!(
            &lines[3..],
            [
                "dhcp br0: 2 more like this in the last 10 s (no free address)",
                "dhcp br0: y"
            ]
        );
    }

    #[test]
    fn quiet_and_verbose_set_what_is_shown() {
        let (mut quiet, sink) = logger(Level::Warn);
        quiet.info(OTHER, "ACK");
        quiet.debug(OTHER, "OFFER");
        quiet.warn(FLOOD, "no free address");
        assert_eq!(sink.lines(), ["dhcp br0: no free address"]);
        let (mut verbose, sink) = logger(Level::Debug);
        verbose.debug(OTHER, "OFFER");
        assert_eq!(sink.lines(), ["dhcp br0: OFFER"]);
    }

    #[test]
    fn lines_that_cannot_be_written_are_counted_not_fatal() {
        let (mut log, sink) = logger(Level::Info);
        *sink.full.lock().unwrap() = true;
        for n in 0..3 {
            log.warn(Kind::new("disk", 10), &format!("lost {n}"));
        }
        *sink.full.lock().unwrap() = false;
        log.warn(Kind::new("disk", 10), "back");
        assert_eq!(
            sink.lines(),
            [
                "dhcp br0: 3 log lines lost (could not write the log: No space left on device \
                 (os error 28))",
                "dhcp br0: back"
            ]
        );
    }

    #[test]
    fn client_text_cannot_forge_lines_or_run_on() {
        let (mut log, sink) = logger(Level::Info);
        log.info(OTHER, "ACK 10.0.5.100 (evil\ndhcp br0: forged\x1b[2J)");
        log.info(OTHER, &"é".repeat(2000));
        let lines = sink.lines();
        assert_eq!(
            lines[0],
            "dhcp br0: ACK 10.0.5.100 (evil\\ndhcp br0: forged\\x1b[2J)"
        );
        assert!(lines[1].len() <= MAX_LINE && lines[1].ends_with("..."));
    }

    #[test]
    fn a_closed_stderr_is_survived() {
        // A pipe whose reader is gone: writing fails with EPIPE (SIGPIPE is ignored by Rust
        // programs), where eprintln! would panic.
        let (reader, writer) = nix::unistd::pipe().unwrap();
        drop(reader);
        let mut log = Logger::to(
            "dhcp br0",
            Level::Info,
            Box::new(std::fs::File::from(writer)),
        );
        log.warn(FLOOD, "nobody reads this");
        assert_eq!(log.dropped, 1);
    }
}
