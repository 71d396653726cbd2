//! The auxiliary Random Energy Model (docs/theory.md#rem).
//!
//! At a configuration x of norm r, Z(x) = Σ_{μ≥2} e^{Nλu_μ} is a REM with e^{αN} levels whose
//! overlaps follow the ensemble's law. With s(u) = α − I_r(u),
//!
//! φ(α, λ, r) = lim (1/N) log Z = max_{u : s(u) ≥ 0} [s(u) + λu].
//!
//! Uncondensed (λ < λ_*): φ = α + Λ_r(λ), maximiser u* = Λ_r'(λ), entropy s(u*) = α − g_r(λ) > 0.
//! Condensed (λ ≥ λ_*): φ = λ u_max(α, r), O(1) patterns dominate, entropy 0.
//! The phase test is g_r(λ) < α, which needs no root solve; λ_* is solved only when asked.

use crate::ensembles::legendre::{lambda_star, u_max_from_lambda_star};
use crate::ensembles::PatternEnsemble;
use crate::error::{positive, Result};

/// Phase of the auxiliary REM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The softmax spreads over e^{N s(u*)} patterns.
    Uncondensed,
    /// Frozen: O(1) patterns dominate.
    Condensed,
}

impl Phase {
    /// Lower-case name used in CSV output.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Uncondensed => "uncondensed",
            Phase::Condensed => "condensed",
        }
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A point of the REM: load α, inverse temperature λ, configuration norm r = ‖x‖²/N.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RemPoint {
    /// Load α > 0 (P = e^{αN} levels).
    pub alpha: f64,
    /// Inverse temperature λ > 0.
    pub lambda: f64,
    /// Squared norm per component r > 0.
    pub r: f64,
}

impl RemPoint {
    /// Validated point: each of α, λ, r finite and > 0.
    pub fn new(alpha: f64, lambda: f64, r: f64) -> Result<Self> {
        Ok(Self {
            alpha: positive("alpha", alpha)?,
            lambda: positive("lambda", lambda)?,
            r: positive("r", r)?,
        })
    }
}

/// The REM solution at a point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RemSolution {
    /// φ(α, λ, r).
    pub phi: f64,
    /// Phase at (α, λ, r).
    pub phase: Phase,
    /// Dominating overlap: Λ_r'(λ) (uncondensed) or u_max (condensed).
    pub u_star: f64,
    /// Condensation point λ_*(α, r) (∞ if the REM never condenses at this α).
    pub lambda_star: f64,
    /// Largest overlap among e^{αN} patterns, u_max(α, r).
    pub u_max: f64,
    /// Entropy of the dominating level, s(u*) = α − I_r(u*) (0 when condensed).
    pub entropy: f64,
}

/// φ(α, λ, r) and its phase, without solving for λ_* in the uncondensed phase.
pub fn phi<E: PatternEnsemble + ?Sized>(e: &E, p: RemPoint) -> Result<(f64, Phase)> {
    let g = e.saddle_rate(p.lambda, p.r);
    if g < p.alpha {
        Ok((p.alpha + e.log_mgf(p.lambda, p.r), Phase::Uncondensed))
    } else {
        let ls = lambda_star(e, p.alpha, p.r)?;
        Ok((
            p.lambda * u_max_from_lambda_star(e, ls, p.r),
            Phase::Condensed,
        ))
    }
}

/// Full REM solution at a point (docs/theory.md#rem).
pub fn solve<E: PatternEnsemble + ?Sized>(e: &E, p: RemPoint) -> Result<RemSolution> {
    let ls = lambda_star(e, p.alpha, p.r)?;
    let umax = u_max_from_lambda_star(e, ls, p.r);
    let g = e.saddle_rate(p.lambda, p.r);
    Ok(if g < p.alpha {
        RemSolution {
            phi: p.alpha + e.log_mgf(p.lambda, p.r),
            phase: Phase::Uncondensed,
            u_star: e.log_mgf_prime(p.lambda, p.r),
            lambda_star: ls,
            u_max: umax,
            entropy: p.alpha - g,
        }
    } else {
        RemSolution {
            phi: p.lambda * umax,
            phase: Phase::Condensed,
            u_star: umax,
            lambda_star: ls,
            u_max: umax,
            entropy: 0.0,
        }
    })
}
