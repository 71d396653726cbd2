//! The generic path: Legendre transforms and edges computed from Λ_r alone (docs/theory.md#dam to #rem).
//!
//! All three quantities reduce to one monotone scalar equation in λ, solved by bracketing
//! (geometric search) and Brent's method to full double precision:
//! - conjugate λ(u): Λ_r'(λ) = u, so that I_r(u) = λu − Λ_r(λ) and I_r'(u) = λ;
//! - λ_*(α, r): g_r(λ) = λΛ_r'(λ) − Λ_r(λ) = α, i.e. I_r(u_max) = α with u_max = Λ_r'(λ_*);
//!   this is docs/theory.md#rem's λ_* = I_r'(u_max(α, r)).

use super::PatternEnsemble;
use crate::error::{EngramError, Result};
use crate::numerics::{bracket_increasing, brent_root, BracketError};

/// Largest λ searched. Beyond it an equation is treated as having no finite root
/// (λ_* = ∞: the REM never condenses; conjugate of an overlap at the support edge).
pub const LAMBDA_LIMIT: f64 = 1e12;
/// Smallest λ searched.
const LAMBDA_FLOOR: f64 = 1e-300;

fn solve_increasing_in_lambda<F: Fn(f64) -> f64>(
    f: F,
    start: f64,
    context: impl Fn() -> String,
) -> Result<f64> {
    let bracket = bracket_increasing(&f, start, LAMBDA_FLOOR, LAMBDA_LIMIT, 4.0);
    let (lo, hi) = match bracket {
        Ok(Some(b)) => b,
        Ok(None) => return Ok(0.0),
        Err(BracketError::BeyondLimit { .. }) => return Ok(f64::INFINITY),
        Err(BracketError::NonFinite { x }) => {
            return Err(EngramError::NoConvergence {
                context: context(),
                reason: format!("non-finite value at lambda = {x}"),
            })
        }
    };
    brent_root(&f, lo, hi, 0.0).map_err(|e| EngramError::NoConvergence {
        context: context(),
        reason: e.to_string(),
    })
}

/// The conjugate variable λ(u) solving Λ_r'(λ) = u.
///
/// Domain: u ≥ 0, r > 0. Returns 0 at u = 0 and ∞ for u at or beyond the support edge.
pub fn conjugate_lambda<E: PatternEnsemble + ?Sized>(e: &E, u: f64, r: f64) -> Result<f64> {
    if u.is_nan() || u < 0.0 {
        return Err(EngramError::InvalidParameter {
            name: "u",
            value: u.to_string(),
            allowed: "an overlap u >= 0",
        });
    }
    if u == 0.0 {
        return Ok(0.0);
    }
    if u >= e.overlap_edge(r) {
        return Ok(f64::INFINITY);
    }
    solve_increasing_in_lambda(
        |l| e.log_mgf_prime(l, r) - u,
        1.0,
        || format!("Legendre transform of {} at u={u}, r={r}", e.name()),
    )
}

/// Rate function I_r(u) = sup_λ [λu − Λ_r(λ)] (numerical Legendre transform).
///
/// Evaluated as g_r(λ) + λ(u − Λ_r'(λ)) at the conjugate λ, which is stationary in λ, so the
/// root's last-bit error enters only at second order. Domain: u ≥ 0, r > 0; ∞ at or beyond the
/// support edge.
pub fn rate<E: PatternEnsemble + ?Sized>(e: &E, u: f64, r: f64) -> Result<f64> {
    let l = conjugate_lambda(e, u, r)?;
    if l == 0.0 {
        return Ok(0.0);
    }
    if l.is_infinite() {
        return Ok(f64::INFINITY);
    }
    Ok(e.saddle_rate(l, r) + l * (u - e.log_mgf_prime(l, r)))
}

/// Condensation point λ_*(α, r): g_r(λ_*) = α (docs/theory.md#rem).
///
/// Domain: α > 0, r > 0. Returns ∞ when α ≥ sup_λ g_r(λ) = I_r(edge) (e.g. binary at
/// α ≥ ln 2: more patterns than configurations, the REM never condenses).
pub fn lambda_star<E: PatternEnsemble + ?Sized>(e: &E, alpha: f64, r: f64) -> Result<f64> {
    solve_increasing_in_lambda(
        |l| e.saddle_rate(l, r) - alpha,
        1.0,
        || format!("lambda_* of {} at alpha={alpha}, r={r}", e.name()),
    )
}

/// Largest overlap among e^{αN} patterns, u_max(α, r) = Λ_r'(λ_*) with I_r(u_max) = α.
/// Equals the support edge when λ_* = ∞.
pub fn u_max<E: PatternEnsemble + ?Sized>(e: &E, alpha: f64, r: f64) -> Result<f64> {
    let ls = lambda_star(e, alpha, r)?;
    Ok(u_max_from_lambda_star(e, ls, r))
}

pub(crate) fn u_max_from_lambda_star<E: PatternEnsemble + ?Sized>(e: &E, ls: f64, r: f64) -> f64 {
    if ls.is_infinite() {
        e.overlap_edge(r)
    } else {
        e.log_mgf_prime(ls, r)
    }
}
