//! One simulation point through either engine, summarised (docs/theory.md#simulator): the
//! single-target protocol ([`super::sim`]) or the K-target engine ([`super::batch`]), means
//! with standard errors, Wilson intervals, cluster-robust errors over stores.

use super::batch::simulate_targets;
use super::params::{Batch, SampleResult, SimParams, Start, TargetResult};
use super::sim::simulate_samples;
use crate::ensembles::PatternSampler;
use crate::error::Result;
use crate::rem::{phi, RemPoint};
use crate::stats::{cluster_mean_se, mean_se, wilson, wilson_effective, MeanSe, Proportion};

/// Aggregated observables of one simulation point (means ± standard errors; Wilson intervals
/// at one sigma for probabilities).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimSummary {
    /// The parameters.
    pub params: SimParams,
    /// P = round(e^{αN}).
    pub patterns: usize,
    /// Number of samples.
    pub samples: usize,
    /// Δ₀.
    pub delta0: MeanSe,
    /// Probability that Δ₀ < threshold.
    pub retrieved: Proportion,
    /// Steps.
    pub steps: MeanSe,
    /// Fraction of samples that met xtol.
    pub converged: f64,
    /// Energy per neuron at the end.
    pub energy: MeanSe,
    /// Empirical REM free energy at x₀.
    pub phi_emp: MeanSe,
    /// Overlap m with ξ¹ at the end.
    pub overlap: MeanSe,
    /// Targets per store, planted norm, store format, streams.
    pub batch: Batch,
    /// Pattern stores drawn.
    pub stores: usize,
    /// Targets per store (K; the last store may hold fewer when K does not divide `samples`).
    pub targets: usize,
    /// Design effect of p_retrieved: its cluster-robust variance over the variance of as many
    /// independent targets (1 for one target per store).
    pub design_effect: f64,
}

/// Summarise per-sample results (in sample order).
pub fn summarise(p: &SimParams, results: &[SampleResult]) -> SimSummary {
    let col = |f: fn(&SampleResult) -> f64| -> Vec<f64> { results.iter().map(f).collect() };
    let k = results.iter().filter(|r| r.delta0 < p.threshold).count();
    SimSummary {
        params: *p,
        patterns: p.patterns_f64() as usize,
        samples: results.len(),
        delta0: mean_se(&col(|r| r.delta0)),
        retrieved: wilson(k, results.len(), 1.0),
        steps: mean_se(&col(|r| r.steps as f64)),
        converged: results.iter().filter(|r| r.converged).count() as f64 / results.len() as f64,
        energy: mean_se(&col(|r| r.energy)),
        phi_emp: mean_se(&col(|r| r.phi_emp)),
        overlap: mean_se(&col(|r| r.overlap)),
        batch: Batch::default(),
        stores: results.len(),
        targets: 1,
        design_effect: 1.0,
    }
}

/// Summarise the targets of a K-target run (in (store, target) order) with cluster-robust
/// errors: targets sharing a store are not independent, so every standard error comes from
/// per-store sums ([`crate::stats::cluster_mean_se`]) and the retrieval interval is Wilson's
/// at the effective number of targets n / deff.
pub fn summarise_targets(p: &SimParams, batch: &Batch, results: &[TargetResult]) -> SimSummary {
    let store: Vec<usize> = results.iter().map(|r| r.store).collect();
    let col = |f: fn(&SampleResult) -> f64| -> Vec<f64> {
        results.iter().map(|r| f(&r.result)).collect()
    };
    let cr = |f: fn(&SampleResult) -> f64| cluster_mean_se(&col(f), &store);
    let n = results.len();
    let hit = |r: &SampleResult| if r.delta0 < p.threshold { 1.0 } else { 0.0 };
    let hits: Vec<f64> = results.iter().map(|r| hit(&r.result)).collect();
    let (pr, deff) = cluster_mean_se(&hits, &store);
    let stores = store.last().map_or(0, |s| s + 1);
    SimSummary {
        params: *p,
        patterns: p.patterns_f64() as usize,
        samples: n,
        delta0: cr(|r| r.delta0).0,
        retrieved: wilson_effective(pr.mean, n as f64 / deff.max(1e-12), 1.0),
        steps: cr(|r| r.steps as f64).0,
        converged: results.iter().filter(|r| r.result.converged).count() as f64 / n as f64,
        energy: cr(|r| r.energy).0,
        phi_emp: cr(|r| r.phi_emp).0,
        overlap: cr(|r| r.overlap).0,
        batch: *batch,
        stores,
        targets: batch.per_store(p),
        design_effect: deff,
    }
}

/// Simulate one point with a batch layout: the single-target protocol ([`simulate`], bit for
/// bit) when the batch is one f32 target per store as drawn, the K-target engine
/// ([`simulate_targets`]) otherwise. `samples` counts retrieval targets (stores
/// for `targets = all`).
pub fn simulate_batch<E: PatternSampler + ?Sized>(
    ens: &E,
    p: &SimParams,
    batch: &Batch,
    samples: usize,
    memory_limit: f64,
    progress: &(dyn Fn() + Sync),
) -> Result<SimSummary> {
    let batch = &batch.resolve(samples);
    if batch.is_single_target() {
        batch.validate(p, ens.name())?;
        let q = SimParams {
            seed: batch.stream_seed(p),
            ..*p
        };
        let mut s = simulate(ens, &q, samples, memory_limit, progress)?;
        s.params = *p;
        s.batch = *batch;
        return Ok(s);
    }
    let r = simulate_targets(ens, p, batch, samples, memory_limit, progress)?;
    Ok(summarise_targets(p, batch, &r))
}

/// Simulate one point and summarise it.
pub fn simulate<E: PatternSampler + ?Sized>(
    ens: &E,
    p: &SimParams,
    samples: usize,
    memory_limit: f64,
    progress: &(dyn Fn() + Sync),
) -> Result<SimSummary> {
    let r = simulate_samples(ens, p, samples, memory_limit, progress)?;
    Ok(summarise(p, &r))
}

/// Theory values at a simulation point, for side-by-side output: φ(α, λ, ρ₁) and α₁(λ).
pub fn theory_phi<E: PatternSampler + ?Sized>(ens: &E, p: &SimParams) -> Result<f64> {
    let r = match p.start {
        Start::Pattern => ens.rho1(),
        Start::Cosine { r, .. } => r,
    };
    Ok(phi(ens, RemPoint::new(p.alpha, p.lambda, r)?)?.0)
}
