//! The DAM tables as typed CSV rows: thresholds, REM solutions, basins, λ_c, the scaled
//! regime (the theory commands), and the simulation table: one row per point, the measurements of
//! [`super::summary::SimSummary`] with the theory beside them (the `dam simulate` columns of docs/simulator.md),
//! then the batch layout: stores, targets per store, design effect of p_retrieved, planted
//! norm (empty: as drawn), store format and stream mode.

use super::params::Start;
use super::summary::SimSummary;
use super::DamTheory;
use crate::ensembles::EnsembleKind;
use crate::error::Result;
use crate::rem::RemPoint;

/// One row of `engram dam thresholds` (docs/theory.md#alpha-1, #alpha-c).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ThresholdsRow {
    /// λ.
    pub lambda: f64,
    /// α₁(λ).
    pub alpha_1: f64,
    /// α_c bound (min over channels).
    pub alpha_c: f64,
    /// Channel (a), small norm.
    pub alpha_c_norm: f64,
    /// Channel (b), stealing pair.
    pub alpha_c_pair: f64,
    /// Binding channel.
    pub alpha_c_binding: String,
    /// REM phase at α₁.
    pub phase_at_alpha_1: String,
    /// Failing norm ρ_f at α_c.
    pub rho_f: f64,
}

/// One row of `engram dam rem` (docs/theory.md#rem).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RemRow {
    /// φ(α, λ, r).
    pub phi: f64,
    /// REM phase.
    pub phase: String,
    /// Saddle overlap u*.
    pub u_star: f64,
    /// Condensation λ_*(α, r).
    pub lambda_star: f64,
    /// Load α.
    pub alpha: f64,
    /// λ.
    pub lambda: f64,
    /// Squared norm per component r.
    pub r: f64,
    /// Largest typical overlap u_max(α, r).
    pub u_max: f64,
    /// Entropy s(u*).
    pub entropy: f64,
}

/// One row of `engram dam basin` (docs/theory.md#basins).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BasinRow {
    /// Basin edge m_c.
    pub m_c: f64,
    /// Load α.
    pub alpha: f64,
    /// λ.
    pub lambda: f64,
    /// r.
    pub r: f64,
    /// Critical cosine.
    pub cos_c: f64,
    /// REM phase at the edge.
    pub phase: String,
}

/// One row of `engram dam lambda-c` (docs/theory.md#alpha-1).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LambdaCRow {
    /// Load α.
    pub alpha: f64,
    /// λ_c(α).
    pub lambda_c: f64,
}

/// One row of `engram dam scaled` (docs/theory.md#scaled).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScaledRow {
    /// β.
    pub beta: f64,
    /// α₁ of the scaled regime.
    pub alpha_1: f64,
    /// α_c of the scaled regime.
    pub alpha_c: f64,
    /// N (empty: N → ∞).
    pub n: Option<f64>,
    /// α₁ at finite N.
    pub alpha_1_n: Option<f64>,
    /// Status of the result.
    pub status: String,
}

/// One row of the `dam simulate` table and of `[dam_simulation]` simulation.csv.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SimRow {
    /// N.
    pub n: usize,
    /// Load α.
    pub alpha: f64,
    /// Inverse temperature λ.
    pub lambda: f64,
    /// Patterns per store P = round(e^{αN}).
    pub patterns: usize,
    /// Targets simulated.
    pub samples: usize,
    /// Mean Δ₀ = ‖x* − ξ¹‖²/N.
    pub delta0: f64,
    /// Its standard error.
    pub delta0_err: f64,
    /// P(Δ₀ < threshold).
    pub p_retrieved: f64,
    /// Its error (binomial, or cluster-robust over stores).
    pub p_retrieved_err: f64,
    /// Mean steps.
    pub steps: f64,
    /// Its standard error.
    pub steps_err: f64,
    /// Lower end of the one-sigma Wilson interval.
    pub p_retrieved_lo: f64,
    /// Upper end of the one-sigma Wilson interval.
    pub p_retrieved_hi: f64,
    /// Fraction of runs that met xtol.
    pub converged: f64,
    /// Mean final energy per neuron.
    pub energy: f64,
    /// Its standard error.
    pub energy_err: f64,
    /// Mean final overlap with ξ¹.
    pub overlap: f64,
    /// Its standard error.
    pub overlap_err: f64,
    /// Empirical REM free energy at the start.
    pub phi_emp: f64,
    /// Its standard error.
    pub phi_emp_err: f64,
    /// REM φ(α, λ, r) (docs/theory.md#rem).
    pub phi_theory: f64,
    /// α₁(λ), or α_f(λ; ρ) for planted targets (docs/theory.md#alpha-1).
    pub alpha_1_theory: f64,
    /// Initial cosine with ξ¹ (1 for x₀ = ξ¹).
    pub cosine: f64,
    /// Squared norm per component of the start.
    pub r: f64,
    /// One-step basin edge m_c (docs/theory.md#basins); empty for x₀ = ξ¹ runs of nonlinear
    /// hidden-manifold patterns, whose basin costs seconds per point.
    pub m_c_theory: f64,
    /// Critical cosine (docs/theory.md#basins).
    pub cos_c_theory: f64,
    /// Ensemble name.
    pub ensemble: String,
    /// Step size η.
    pub eta: f64,
    /// Step limit.
    pub max_steps: usize,
    /// Stopping tolerance.
    pub xtol: f64,
    /// Retrieval threshold on Δ₀.
    pub threshold: f64,
    /// Seed.
    pub seed: u64,
    /// Pattern stores.
    pub stores: usize,
    /// Targets per store.
    pub targets: usize,
    /// Design effect of p_retrieved (cluster-robust / binomial variance).
    pub design_effect: f64,
    /// Planted squared norm per component ρ (empty: as drawn).
    pub target_norm: Option<f64>,
    /// Store format.
    pub store: String,
    /// Stream mode.
    pub streams: String,
}

/// The row of a finished point.
pub fn summary_row(kind: EnsembleKind, s: &SimSummary) -> Result<SimRow> {
    let p = &s.params;
    // planted targets: the theory of a pattern of norm ρ, α_f(λ; ρ) (α₁ is α_f at ρ₁)
    let rho = s.batch.target_norm.unwrap_or(kind.ensemble().rho1());
    let (cosine, r) = match p.start {
        Start::Pattern => (1.0, rho),
        Start::Cosine { cosine, r } => (cosine, r),
    };
    // the theory columns are empty where the theory does not exist (laplace patterns)
    let (alpha_1, phi_theory, m_c, cos_c) = if kind.ensemble().check_theory().is_err() {
        (f64::NAN, f64::NAN, f64::NAN, f64::NAN)
    } else {
        let e = kind.ensemble();
        let theory = DamTheory::new(e)?;
        let (alpha_1, _) = match s.batch.target_norm {
            None => theory.alpha_1(p.lambda)?,
            Some(rho) => theory.failure_load(p.lambda, rho)?,
        };
        let point = RemPoint::new(p.alpha, p.lambda, r)?;
        // φ of the start's own overlap law (docs/theory.md#basins) where it depends on the
        // cosine (binary, i.i.d.); rotation-invariant ensembles: φ(α, λ, r)
        let phi_theory = match p.start {
            Start::Cosine { cosine, r } if e.start_depends_on_cosine() => {
                let law = crate::ensembles::StartLaw::at_cosine(e, cosine, r);
                crate::rem::phi(&law, point)?.0
            }
            _ => crate::rem::phi(e, point)?.0,
        };
        // the basin of an x₀ = ξ¹ run is context only; skipped where it costs seconds
        let (m_c, cos_c) = if e.start_law_is_expensive() && matches!(p.start, Start::Pattern) {
            (f64::NAN, f64::NAN)
        } else {
            let basin = theory.basin(point)?;
            (basin.m_c, basin.cos_c)
        };
        (alpha_1, phi_theory, m_c, cos_c)
    };
    Ok(SimRow {
        n: p.n,
        alpha: p.alpha,
        lambda: p.lambda,
        patterns: s.patterns,
        samples: s.samples,
        delta0: s.delta0.mean,
        delta0_err: s.delta0.se,
        p_retrieved: s.retrieved.p,
        p_retrieved_err: s.retrieved.err,
        steps: s.steps.mean,
        steps_err: s.steps.se,
        p_retrieved_lo: s.retrieved.lo,
        p_retrieved_hi: s.retrieved.hi,
        converged: s.converged,
        energy: s.energy.mean,
        energy_err: s.energy.se,
        overlap: s.overlap.mean,
        overlap_err: s.overlap.se,
        phi_emp: s.phi_emp.mean,
        phi_emp_err: s.phi_emp.se,
        phi_theory,
        alpha_1_theory: alpha_1,
        cosine,
        r,
        m_c_theory: m_c,
        cos_c_theory: cos_c,
        ensemble: kind.name().to_string(),
        eta: p.eta,
        max_steps: p.max_steps,
        xtol: p.xtol,
        threshold: p.threshold,
        seed: p.seed,
        stores: s.stores,
        targets: s.targets,
        design_effect: s.design_effect,
        target_norm: s.batch.target_norm,
        store: s.batch.precision.name().to_string(),
        streams: s.batch.streams.name().to_string(),
    })
}
