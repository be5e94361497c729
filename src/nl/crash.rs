//! A test knob for crash safety: with `L2X_TEST_KILL_AFTER=N` in its environment, l2x kills
//! itself with SIGKILL (as a power cut would: no destructor, no undo runs) right after the
//! kernel acknowledged its Nth request that changes something. A test kills a command after
//! each of its first requests in turn and checks what the next command makes of what is left.
//! Without the variable nothing is counted.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

pub const KNOB: &str = "L2X_TEST_KILL_AFTER";

static LIMIT: OnceLock<Option<usize>> = OnceLock::new();
static DONE: AtomicUsize = AtomicUsize::new(0);

/// Called once the kernel acknowledged a changing request (an nf_tables batch counts once).
pub fn acknowledged() {
    let limit = LIMIT.get_or_init(|| std::env::var(KNOB).ok().and_then(|v| v.parse().ok()));
    if let Some(limit) = *limit
        && DONE.fetch_add(1, Ordering::SeqCst) + 1 >= limit
    {
        // SAFETY: kill(2) on this very process; nothing is read or written.
        unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
    }
}
