//! The query layer: one function per query command of the `engram` binary, from typed inputs
//! to the typed rows of its table. The command line (clap flags → these functions → CSV) and
//! the Python package (numpy arrays → these functions → numpy columns) are both thin layers
//! over it, so the two give the same numbers, bit for bit.
//!
//! Inputs are lists of points (the command line builds them as Cartesian products of its
//! lists, Python by numpy broadcasting); outputs are `Vec` of the row types of
//! [`crate::dam::table`], [`crate::idp::table`] and the studies. Long calls take a `tick`
//! called once per sample (draw, trial) and stop at an interruption
//! ([`crate::interrupt`]).

pub mod dam;
pub mod idp;
pub mod models;

use rayon::prelude::*;

use crate::error::Result;

/// Rows of `items` computed in parallel, in order; the first error is returned.
pub fn par_rows<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&T) -> Result<R> + Sync + Send,
) -> Result<Vec<R>> {
    items.par_iter().map(f).collect()
}

/// Check that a list of values is positive (names the parameter).
pub fn check_positive(name: &'static str, values: &[f64]) -> Result<()> {
    for &v in values {
        crate::error::positive(name, v)?;
    }
    Ok(())
}
