//! Scalar minimisation on a bracket with argmin's Brent optimiser.

use argmin::core::{CostFunction, Error as ArgminError, Executor, State};
use argmin::solver::brent::BrentOpt;

struct Problem<F: Fn(f64) -> f64>(F);

impl<F: Fn(f64) -> f64> CostFunction for Problem<F> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, x: &f64) -> Result<f64, ArgminError> {
        let y = (self.0)(*x);
        if y.is_nan() {
            Err(argmin::core::ArgminError::InvalidParameter {
                text: format!("cost is NaN at x = {x}"),
            }
            .into())
        } else {
            Ok(y)
        }
    }
}

/// Minimise a unimodal f on [a, b] (Brent's parabolic/golden-section method, argmin).
/// Returns (x_min, f(x_min)) or a message saying why it failed.
///
/// Domain: a < b finite; f unimodal on [a, b] (otherwise a local minimum is returned).
pub fn minimise_scalar<F: Fn(f64) -> f64>(f: F, a: f64, b: f64) -> Result<(f64, f64), String> {
    let solver = BrentOpt::new(a, b).set_tolerance(1e-12, 1e-14);
    let res = Executor::new(Problem(f), solver)
        .configure(|s| s.max_iters(500))
        .run()
        .map_err(|e| e.to_string())?;
    let state = res.state();
    let x = *state.get_best_param().ok_or("no best parameter")?;
    Ok((x, state.get_best_cost()))
}
