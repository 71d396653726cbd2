//! Cooperative interruption of long calls. A caller that cannot kill a thread (the Python
//! package on Ctrl-C) calls [`request`]; the simulators' and the studies' loops call [`check`]
//! between samples (draws, trials, stores, points) and return [`EngramError::Interrupted`]. A
//! call that was interrupted leaves no half-written file: results are written atomically at the
//! end, and a study keeps the points it finished (resumable with `--resume`).
//!
//! The flag is process-wide: one request interrupts every call in flight. [`clear`] resets it
//! (the Python layer clears it when an interrupted call has returned). The command-line tool
//! never sets it (there Ctrl-C ends the process).

use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{EngramError, Result};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Ask every long call in flight to stop at its next check.
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Forget a request (after the interrupted calls have returned).
pub fn clear() {
    REQUESTED.store(false, Ordering::SeqCst);
}

/// Whether an interruption is pending.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// `Err(Interrupted)` if an interruption is pending.
#[inline]
pub fn check() -> Result<()> {
    if requested() {
        Err(EngramError::Interrupted)
    } else {
        Ok(())
    }
}
