//! Scalar numerics: bracketing root finding, bracket search, scalar minimisation.
//!
//! The root finder is Brent's method (zeroin) written here rather than taken from a crate:
//! `roots` 0.0.8 re-evaluates both bracket ends every iteration (three calls of f per step) and
//! only has an absolute x-tolerance, which is wrong for parameters spanning ten decades;
//! argmin's `Executor` allocates its state (a `HashMap` of counters) on every solve, which costs
//! more than the whole theory point we want in about a microsecond. The test suite checks this
//! implementation against argmin's `BrentRoot`. Minimisation, which runs once per ensemble,
//! uses argmin's `BrentOpt` directly.

mod lse;
mod minimise;
mod ode;
mod roots;

pub use lse::log_sum_exp;
pub use minimise::minimise_scalar;
pub use ode::Rk4;
pub use roots::{bracket_increasing, brent_root, BracketError, RootError};
