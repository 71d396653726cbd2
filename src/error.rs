//! Library error type. Every failure names the parameters that caused it; no function of the
//! library returns NaN in place of an error.

use thiserror::Error;

/// Errors of the engram library.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum EngramError {
    /// A parameter lies outside its domain.
    #[error("invalid {name} = {value}: expected {allowed}")]
    InvalidParameter {
        /// Parameter name as the papers write it (alpha, lambda, r, ...).
        name: &'static str,
        /// Offending value, as typed or computed.
        value: String,
        /// The allowed range, in words.
        allowed: &'static str,
    },
    /// A root finder or extremiser failed; `context` names the quantity and its parameters.
    #[error("{context}: {reason}")]
    NoConvergence {
        /// What was being solved, with the parameters (e.g. "lambda_* at alpha=0.3, r=1").
        context: String,
        /// Why it failed (no bracket, iteration limit, non-finite value).
        reason: String,
    },
    /// An input that is wrong as a whole (lists of unequal length, a flag without the flag it
    /// needs); the message says what was expected.
    #[error("{0}")]
    Invalid(String),
    /// A list or range of parameter values could not be parsed.
    #[error("invalid value list '{input}': {reason}")]
    BadList {
        /// The text that was given.
        input: String,
        /// What was wrong.
        reason: String,
    },
    /// A config file is malformed; the message names file, line and key.
    #[error("{0}")]
    Config(String),
    /// An I/O failure while writing results.
    #[error("{0}")]
    Io(String),
    /// A run that would destroy or exceed something it was not asked to; the message names the
    /// flag that allows it.
    #[error("{0}")]
    Refused(String),
    /// The call was interrupted ([`crate::interrupt::request`], the Python package's Ctrl-C).
    #[error("interrupted")]
    Interrupted,
    /// A buffer could not be allocated.
    #[error("cannot allocate {what}: {bytes:.0} bytes ({:.2} GiB)", bytes / 1024f64.powi(3))]
    OutOfMemory {
        /// What was being allocated.
        what: &'static str,
        /// Its size in bytes.
        bytes: f64,
    },
}

/// A vector of `len` copies of `fill`, allocated fallibly: `OutOfMemory` (naming `what` and the
/// bytes) instead of an allocation abort. The one fallible allocator of the simulators.
pub fn try_vec<T: Clone>(len: usize, fill: T, what: &'static str) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(len)
        .map_err(|_| EngramError::OutOfMemory {
            what,
            bytes: len as f64 * std::mem::size_of::<T>() as f64,
        })?;
    v.resize(len, fill);
    Ok(v)
}

/// Shorthand result type.
pub type Result<T> = std::result::Result<T, EngramError>;

/// Check `value > 0` and finite.
pub fn positive(name: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(EngramError::InvalidParameter {
            name,
            value: value.to_string(),
            allowed: "a finite number > 0",
        })
    }
}

/// Largest pattern store the non-DAM simulators allocate (the DAM simulator has its own
/// `--memory-gib` budget): 4 GiB.
pub const STORE_LIMIT_BYTES: f64 = 4.0 * 1024.0 * 1024.0 * 1024.0;

/// Refuse a store of `entries` values of `bytes_each` bytes above [`STORE_LIMIT_BYTES`], with
/// the estimate in the message, instead of aborting on allocation failure.
pub fn check_store(name: &'static str, entries: f64, bytes_each: f64) -> Result<()> {
    let bytes = entries * bytes_each;
    if bytes > STORE_LIMIT_BYTES || !bytes.is_finite() {
        return Err(EngramError::InvalidParameter {
            name,
            value: format!(
                "{entries:.3e} stored values ({:.2} GiB)",
                bytes / 1024f64.powi(3)
            ),
            allowed: "a pattern store of at most 4 GiB",
        });
    }
    Ok(())
}
