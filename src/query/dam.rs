//! DAM queries (docs/theory.md#rem to #scaled, #simulator, #fold): `engram dam thresholds |
//! rem | basin | lambda-c | scaled | simulate | finite-size`.

use super::{check_positive, par_rows};
use crate::dam::batch::Batch;
use crate::dam::fss::{finite_size_row, FiniteSizeRow, MapDynamics, MapPoint, MapSample};
use crate::dam::params::{SimParams, Start};
use crate::dam::summary::{simulate_batch, SimSummary};
use crate::dam::table::{
    summary_row, BasinRow, LambdaCRow, RemRow, ScaledRow, SimRow, ThresholdsRow,
};
use crate::dam::DamTheory;
use crate::ensembles::{sample_rng, EnsembleKind};
use crate::error::{EngramError, Result};
use crate::rem::{self, RemPoint};

/// α₁(λ) and the α_c bound with its channels, one row per λ > 0 (docs/theory.md#alpha-1,
/// #alpha-c).
pub fn thresholds(kind: EnsembleKind, lambda: &[f64]) -> Result<Vec<ThresholdsRow>> {
    check_positive("lambda", lambda)?;
    let theory = DamTheory::new(kind.ensemble())?;
    par_rows(lambda, |&l| {
        let t = theory.thresholds(l)?;
        Ok(ThresholdsRow {
            lambda: l,
            alpha_1: t.alpha_1,
            alpha_c: t.alpha_c.bound,
            alpha_c_norm: t.alpha_c.norm,
            alpha_c_pair: t.alpha_c.pair,
            alpha_c_binding: t.alpha_c.binding.as_str().into(),
            phase_at_alpha_1: t.phase_at_alpha_1.as_str().into(),
            rho_f: t.alpha_c.rho_f,
        })
    })
}

/// α₁(λ) alone, one value per λ > 0 (docs/theory.md#alpha-1): the typical-pattern threshold,
/// without the α_c channels (the fast path of a dense λ grid).
pub fn alpha_1(kind: EnsembleKind, lambda: &[f64]) -> Result<Vec<f64>> {
    check_positive("lambda", lambda)?;
    let theory = DamTheory::new(kind.ensemble())?;
    par_rows(lambda, |&l| Ok(theory.alpha_1(l)?.0))
}

/// The REM points (α, λ, r) of the given lists, validated; `r` = None is ρ₁ of the ensemble.
/// The lists have one length (the caller broadcast them) or length 1.
pub fn rem_points(
    kind: EnsembleKind,
    alpha: &[f64],
    lambda: &[f64],
    r: Option<&[f64]>,
) -> Result<Vec<RemPoint>> {
    let rho1 = [kind.ensemble().rho1()];
    let r = r.unwrap_or(&rho1);
    let len = alpha.len().max(lambda.len()).max(r.len());
    let at = |v: &[f64], i: usize| if v.len() == 1 { v[0] } else { v[i] };
    for (name, v) in [("alpha", alpha), ("lambda", lambda), ("r", r)] {
        if v.len() != 1 && v.len() != len {
            return Err(EngramError::Invalid(format!(
                "invalid {name}: {} values where the other parameters have {len}",
                v.len()
            )));
        }
    }
    (0..len)
        .map(|i| RemPoint::new(at(alpha, i), at(lambda, i), at(r, i)))
        .collect()
}

/// The auxiliary REM at each point: φ, phase, u*, λ_*, u_max, entropy (docs/theory.md#rem).
pub fn rem(kind: EnsembleKind, points: &[RemPoint]) -> Result<Vec<RemRow>> {
    let e = kind.theory()?;
    par_rows(points, |p| {
        let s = rem::solve(e, *p)?;
        Ok(RemRow {
            phi: s.phi,
            phase: s.phase.as_str().into(),
            u_star: s.u_star,
            lambda_star: s.lambda_star,
            alpha: p.alpha,
            lambda: p.lambda,
            r: p.r,
            u_max: s.u_max,
            entropy: s.entropy,
        })
    })
}

/// The basin of one attention step at each point: m_c = φ/λ and cos_c (docs/theory.md#basins).
pub fn basin(kind: EnsembleKind, points: &[RemPoint]) -> Result<Vec<BasinRow>> {
    let theory = DamTheory::new(kind.ensemble())?;
    par_rows(points, |p| {
        let b = theory.basin(*p)?;
        Ok(BasinRow {
            m_c: b.m_c,
            alpha: p.alpha,
            lambda: p.lambda,
            r: p.r,
            cos_c: b.cos_c,
            phase: b.phase.as_str().into(),
        })
    })
}

/// λ_c(α), one row per α > 0 (inf: no λ retrieves at that load; docs/theory.md#alpha-1).
pub fn lambda_c(kind: EnsembleKind, alpha: &[f64]) -> Result<Vec<LambdaCRow>> {
    check_positive("alpha", alpha)?;
    let theory = DamTheory::new(kind.ensemble())?;
    par_rows(alpha, |&a| {
        Ok(LambdaCRow {
            alpha: a,
            lambda_c: theory.lambda_c(a)?,
        })
    })
}

/// The scaled regime at each (β, N) (N = None: the limit; docs/theory.md#scaled, TENTATIVE).
pub fn scaled(kind: EnsembleKind, points: &[(f64, Option<f64>)]) -> Result<Vec<ScaledRow>> {
    let theory = DamTheory::new(kind.ensemble())?;
    let mut rows = Vec::with_capacity(points.len());
    for &(b, n) in points {
        crate::error::positive("beta", b)?;
        if let Some(n) = n {
            crate::error::positive("n", n)?;
        }
        let s = theory.scaled(b, n)?;
        rows.push(ScaledRow {
            beta: b,
            alpha_1: s.alpha_1,
            alpha_c: s.alpha_1,
            n,
            alpha_1_n: s.alpha_1_n,
            status: "tentative".into(),
        });
    }
    Ok(rows)
}

/// The start of a simulated descent: x₀ = ξ¹ (no cosine), or cosine C with ξ¹ at squared norm
/// per component r (default ρ₁). `r` without a cosine is an error.
pub fn start(kind: EnsembleKind, cosine: Option<f64>, r: Option<f64>) -> Result<Start> {
    match (cosine, r) {
        (None, Some(_)) => Err(EngramError::Invalid(
            "invalid r: --r sets the norm of a --cosine start; give --cosine too".into(),
        )),
        (None, None) => Ok(Start::Pattern),
        (Some(c), r) => Ok(Start::Cosine {
            cosine: c,
            r: r.unwrap_or(kind.ensemble().rho1()),
        }),
    }
}

/// The dynamics of a simulated descent: step η, most steps, stopping tolerance on ‖Δx‖/√N and
/// the retrieval threshold on Δ₀ (the `dam simulate` defaults: 0.5, 1000, 1e-6, 0.05).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dynamics {
    /// Step size η > 0.
    pub eta: f64,
    /// Most steps (≥ 1).
    pub max_steps: usize,
    /// Stop when ‖Δx‖/√N < xtol.
    pub xtol: f64,
    /// Retrieved iff Δ₀ < threshold.
    pub threshold: f64,
}

impl Default for Dynamics {
    fn default() -> Self {
        Dynamics {
            eta: 0.5,
            max_steps: 1000,
            xtol: 1e-6,
            threshold: 0.05,
        }
    }
}

/// What every point of a simulation grid shares: ensemble, batch layout, samples per point and
/// the memory budget of the stores in flight (bytes).
#[derive(Debug, Clone, Copy)]
pub struct SimGrid {
    /// Pattern ensemble.
    pub kind: EnsembleKind,
    /// Targets per store, planted norm, store format, streams, time limit.
    pub batch: Batch,
    /// Samples (targets) per point.
    pub samples: usize,
    /// Bytes of pattern stores in flight.
    pub memory: f64,
}

impl SimGrid {
    /// A grid layout; `memory_gib` > 0 GiB, `samples` ≥ 1.
    pub fn new(kind: EnsembleKind, batch: Batch, samples: usize, memory_gib: f64) -> Result<Self> {
        // the theory columns' constants, where the theory exists (laplace: simulation only)
        if kind.ensemble().check_theory().is_ok() {
            DamTheory::new(kind.ensemble())?;
        }
        if !(memory_gib > 0.0 && memory_gib.is_finite()) {
            return Err(EngramError::InvalidParameter {
                name: "memory_gib",
                value: memory_gib.to_string(),
                allowed: "a finite number > 0",
            });
        }
        if samples == 0 {
            return Err(EngramError::InvalidParameter {
                name: "samples",
                value: "0".into(),
                allowed: "a whole number >= 1",
            });
        }
        Ok(SimGrid {
            kind,
            batch,
            samples,
            memory: memory_gib * 1024f64.powi(3),
        })
    }

    /// One validated point: N (a whole number ≥ 2), α, λ, start, seed and dynamics, checked
    /// against the batch layout and the memory budget.
    pub fn point(
        &self,
        n: f64,
        alpha: f64,
        lambda: f64,
        start: Start,
        seed: u64,
        d: Dynamics,
    ) -> Result<SimParams> {
        let n = crate::sweep::neurons("n", n)?;
        let p = SimParams::new(n, alpha, lambda, start, seed)?.with_dynamics(
            d.eta,
            d.max_steps,
            d.xtol,
            d.threshold,
        )?;
        self.batch.validate(&p, self.kind.name())?;
        if self.batch.is_single_target() {
            crate::dam::sim::samples_in_flight(&p, self.memory, 1)?;
        } else {
            self.batch
                .check(&p, self.samples, self.memory, rayon::current_num_threads())?;
        }
        Ok(p)
    }

    /// Targets the grid simulates in all (the length of its progress bar).
    pub fn total_targets(&self, points: &[SimParams]) -> f64 {
        points
            .iter()
            .map(|p| self.batch.total_targets(p, self.samples))
            .sum()
    }
}

/// Simulate every point of a grid in order (`tick` once per target): the summaries and the
/// `dam simulate` rows (docs/simulator.md).
pub fn simulate(
    grid: &SimGrid,
    points: &[SimParams],
    tick: &(dyn Fn() + Sync),
) -> Result<(Vec<SimSummary>, Vec<SimRow>)> {
    let sampler = grid.kind.sampler();
    let mut rows = Vec::with_capacity(points.len());
    let mut summaries = Vec::with_capacity(points.len());
    for p in points {
        crate::interrupt::check()?;
        let s = simulate_batch(sampler, p, &grid.batch, grid.samples, grid.memory, tick)?;
        rows.push(summary_row(grid.kind, &s)?);
        summaries.push(s);
    }
    Ok((summaries, rows))
}

/// The finite-size theory of retrieval (`engram dam finite-size`, docs/theory.md#fold): its
/// parameters besides the list of N.
#[derive(Debug, Clone, Copy)]
pub struct FiniteSizeSpec {
    /// Ensemble.
    pub kind: EnsembleKind,
    /// λ > 0.
    pub lambda: f64,
    /// Draws per N (≥ 4).
    pub samples: usize,
    /// Planted target norm ρ (None: drawn).
    pub target_norm: Option<f64>,
    /// The simulator's dynamics.
    pub dynamics: Dynamics,
    /// Seed of the draws.
    pub seed: u64,
    /// Most patterns a draw streams (≥ 2).
    pub max_patterns: usize,
    /// Refuse an N whose estimated run time exceeds this many hours.
    pub max_hours: f64,
}

/// One row per N of the finite-size theory; `tick` once per draw, `on_n(n, draws)` before each
/// N (the caller's progress bar).
pub fn finite_size(
    spec: &FiniteSizeSpec,
    n: &[f64],
    on_n: &dyn Fn(usize, usize),
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<FiniteSizeRow>> {
    if !(spec.max_hours > 0.0 && spec.max_hours.is_finite()) {
        return Err(EngramError::Invalid(format!(
            "invalid --max-hours {}: expected a finite number of hours > 0",
            spec.max_hours
        )));
    }
    if spec.max_patterns < 2 {
        return Err(EngramError::Invalid(format!(
            "invalid --max-patterns {}: expected at least 2",
            spec.max_patterns
        )));
    }
    let ns = n
        .iter()
        .map(|&v| crate::sweep::neurons("n", v))
        .collect::<Result<Vec<_>>>()?;
    let first = *ns
        .first()
        .ok_or_else(|| EngramError::Invalid("invalid n: expected at least one value".into()))?;
    let d = spec.dynamics;
    // the simulator's own validation of the dynamics (names the flag)
    let p = SimParams::new(first, 0.1, spec.lambda, Start::Pattern, spec.seed)?.with_dynamics(
        d.eta,
        d.max_steps,
        d.xtol,
        d.threshold,
    )?;
    let md = MapDynamics::of(&p);
    if spec.samples < 4 {
        return Err(EngramError::Invalid(format!(
            "invalid --samples {}: expected at least 4 draws",
            spec.samples
        )));
    }
    let threads = rayon::current_num_threads().max(1);
    let mut rows = Vec::with_capacity(ns.len());
    for &n in &ns {
        crate::interrupt::check()?;
        // one timed draw for the estimate (its result is recomputed as draw 0)
        let t0 = std::time::Instant::now();
        let mut probe = MapSample::new(
            spec.kind,
            n,
            spec.lambda,
            spec.target_norm,
            sample_rng(spec.seed, 0),
        );
        probe
            .critical_load(spec.kind, &md, spec.max_patterns)
            .map_err(|e| EngramError::Invalid(format!("N = {n}: {e}")))?;
        let hours = t0.elapsed().as_secs_f64() * spec.samples as f64 / threads as f64 / 3600.0;
        if hours > spec.max_hours {
            return Err(EngramError::Refused(format!(
                "N = {n}: the finite-N map would take about {hours:.2} h for {} draws on {threads} threads (one draw timed), over --max-hours {}; lower --samples or raise --max-hours",
                spec.samples, spec.max_hours
            )));
        }
        on_n(n, spec.samples);
        let pt = MapPoint {
            kind: spec.kind,
            n,
            lambda: spec.lambda,
            target_norm: spec.target_norm,
            samples: spec.samples,
            seed: spec.seed,
            dynamics: md,
            max_patterns: spec.max_patterns,
        };
        rows.push(finite_size_row(&pt, tick)?);
    }
    Ok(rows)
}
