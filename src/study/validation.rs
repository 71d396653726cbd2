//! `[validation]`: the validation atlas. Every headline threshold against simulation after a
//! finite-size analysis (docs/theory.md, "Finite-size analysis"):
//!
//! - `[[validation.crossing]]`: α_{1/2}(N) of the simulated retrieval probability from
//!   x₀ = ξ¹ with the finite-N REM criterion beside it (weights ½ and w_θ), extrapolated with
//!   a + b/N, a + b ln N/N and a + b/√N, against α₁(λ) (Lucibello–Mézard, PRL 132, 077301
//!   (2024)), or against α_f(λ; ρ) with planted targets (`target_norm`, channel (a) of α_c).
//! - `[[validation.all_patterns]]`: every pattern of a store is a target: the failure
//!   fraction, P(all retrieved), the failing norms and α_c(N), against the large-deviation rate
//!   I_norm(ρ_f(α)) of the norm channel, ρ_f(α) and the α_c lower bound, with the finite-N REM
//!   failure fraction beside them.
//! - `[[validation.collapse]]`: the diffusion collapse noise, forward (a noised training
//!   pattern keeps weight > ½, exact O(P) draws) and backward (reverse SDE with the exact score),
//!   against s_C² = 1/(e^{2α} − 1) (Biroli, Bonnaire, de Bortoli, Mézard, Nat. Commun. 2024).
//!
//! Every measurement is one resumable, shardable point; the analysis (crossings, fits, z) and
//! the figures are recomputed from the points, so `--resume`, shards and `engram merge` work
//! as for every study. Outputs: points.csv (raw measurements), fss.csv (series and fits with
//! leave-one-N-out), summary.csv (one row per check) and the figures.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::dam::batch::{Batch, Precision, Streams};
use crate::dam::fss::{extrapolate, leave_one_out, rem_alpha_half, Extrapolation, FssForm};
use crate::dam::sim::{simulate_batch, SimParams};
use crate::dam::DamTheory;
use crate::ensembles::{sample_rng, EnsembleKind};
use crate::error::{EngramError, Result};
use crate::io::points::{run_points, PointStore, Schedule};
use crate::io::table::Table;
use crate::io::{write_atomic, Progress};
use crate::plot::{Curve, Figure, Legend, Style};
use crate::stats::{fmt_num as fmt, wilson};

use super::config::{one_u64, Count, PositiveNumber, PositiveSweep, WholeSweep};
use super::dam::{thin, FromStrValue, TargetsValue};

/// `[validation]`: shared settings and the lists of checks.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidationSection {
    /// Seed of every random stream (default 1).
    #[serde(default = "one_u64")]
    pub seed: u64,
    /// Memory budget for pattern stores in flight, GiB (default 4).
    #[serde(default = "PositiveNumber::four")]
    pub memory_gib: PositiveNumber,
    /// Draws of the finite-N REM per point (default 2000).
    #[serde(default = "Count::two_thousand")]
    pub rem_samples: Count,
    /// Retrieval threshold on Δ₀ (default 0.05).
    #[serde(default = "PositiveNumber::threshold")]
    pub threshold: PositiveNumber,
    /// α_{1/2}(N) checks.
    #[serde(default)]
    pub crossing: Vec<CrossingCheck>,
    /// All-pattern checks.
    #[serde(default)]
    pub all_patterns: Vec<AllPatternsCheck>,
    /// Diffusion collapse checks.
    #[serde(default)]
    pub collapse: Vec<CollapseCheck>,
}

/// `[[validation.crossing]]`: α_{1/2}(N) against α₁(λ) (or α_f(λ; ρ) with `target_norm`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossingCheck {
    /// Pattern ensemble.
    pub ensemble: EnsembleKind,
    /// Inverse temperature λ.
    pub lambda: PositiveNumber,
    /// Sizes N.
    pub n: WholeSweep,
    /// Load grid for every N (give this or `windows`).
    pub alpha: Option<PositiveSweep>,
    /// One [lo, hi] load window per N, each sampled at `alpha_points` evenly spaced loads.
    pub windows: Option<Vec<[f64; 2]>>,
    /// Loads per window (default 9).
    #[serde(default = "Count::nine")]
    pub alpha_points: Count,
    /// Retrieval targets per point.
    pub samples: Count,
    /// Targets per store: K, "all" or "at-most:K" (default 1).
    #[serde(default)]
    pub targets: TargetsValue,
    /// Planted squared norm per component ρ (channel (a)); absent: as drawn (α₁).
    pub target_norm: Option<PositiveNumber>,
    /// Store format "f32" (default), "f16", "i8" (binary only).
    #[serde(default)]
    pub store: FromStrValue<Precision>,
}

/// `[[validation.all_patterns]]`: every pattern of each store is a target.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllPatternsCheck {
    /// Pattern ensemble.
    pub ensemble: EnsembleKind,
    /// Inverse temperature λ.
    pub lambda: PositiveNumber,
    /// Sizes N.
    pub n: WholeSweep,
    /// Loads α.
    pub alpha: PositiveSweep,
    /// Pattern stores per point.
    pub stores: Count,
    /// Store format (default f32).
    #[serde(default)]
    pub store: FromStrValue<Precision>,
}

/// `[[validation.collapse]]`: the diffusion collapse noise at load α.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollapseCheck {
    /// Load α (P = round(e^{αN}) spherical patterns).
    pub alpha: PositiveNumber,
    /// Sizes N of the forward measurement.
    pub n: WholeSweep,
    /// Forward draws per N.
    pub draws: Count,
    /// Sizes N of the backward (reverse SDE) measurement.
    pub backward_n: Option<WholeSweep>,
    /// Reverse trajectories per N (default 64).
    #[serde(default = "Count::sixty_four")]
    pub backward_samples: Count,
    /// Reverse SDE start time (default 20).
    #[serde(default = "PositiveNumber::twenty")]
    pub t_max: PositiveNumber,
    /// Reverse SDE end time (default 1e-3).
    #[serde(default = "PositiveNumber::milli")]
    pub t_min: PositiveNumber,
    /// Reverse SDE steps (default 400).
    #[serde(default = "Count::four_hundred")]
    pub steps: Count,
}

/// points.csv columns (one row per measurement; see [`Job`] for each series' fields).
pub const POINTS_HEADER: [&str; 14] = [
    "check", "series", "ensemble", "lambda", "rho", "n", "alpha", "value", "err", "value2", "err2",
    "value3", "err3", "count",
];
/// fss.csv columns: series points (kind = point) and fits (kind = fit | loo).
pub const FSS_HEADER: [&str; 15] = [
    "check", "series", "kind", "n", "value", "err", "theory", "form", "chi2", "dof", "p_value",
    "z", "n_min", "n_max", "left_out",
];
/// summary.csv columns: one row per check.
pub const SUMMARY_HEADER: [&str; 16] = [
    "quantity",
    "ensemble",
    "lambda",
    "rho",
    "series",
    "theory",
    "simulation",
    "error",
    "z",
    "fit_form",
    "chi2",
    "dof",
    "p_value",
    "n_min",
    "n_max",
    "note",
];

/// One measurement of the atlas.
#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    /// p_retrieved at (N, α): value = p, err; value2 = design effect; count = targets.
    Retrieval { check: usize, n: usize, alpha: f64 },
    /// Finite-N REM α_{1/2} at weight threshold w: value, err.
    Rem { check: usize, n: usize, w: f64 },
    /// All patterns at (N, α): value = failure fraction, err (cluster-robust); value2 =
    /// P(all retrieved), err2 (Wilson over stores); value3 = mean ρ of the failing patterns,
    /// err3; count = failing patterns.
    All { check: usize, n: usize, alpha: f64 },
    /// Finite-N REM failure fraction at (N, α) and weight w_θ: value, err (Wilson); count =
    /// draws.
    RemFail { check: usize, n: usize, alpha: f64 },
    /// Forward collapse s²_{1/2}(N): value, err.
    Forward { check: usize, n: usize },
    /// Backward collapse (median s² of condensation): value, err; value2 = p_memorised, err2.
    Backward { check: usize, n: usize },
}

/// The resolved settings of a run (after `--quick` thinning).
struct Plan {
    jobs: Vec<Job>,
    keys: Vec<String>,
    rem_samples: usize,
    samples: Vec<usize>,
    stores: Vec<usize>,
    draws: Vec<usize>,
    backward_samples: Vec<usize>,
    steps: Vec<usize>,
}

impl Count {
    pub(crate) fn two_thousand() -> Self {
        Self(2000)
    }
    pub(crate) fn nine() -> Self {
        Self(9)
    }
    pub(crate) fn sixty_four() -> Self {
        Self(64)
    }
}

/// The matched weight threshold w_θ = 1 − √(θ/ρ) of the finite-N REM (docs/theory.md).
fn w_theta(threshold: f64, rho: f64) -> Result<f64> {
    let w = 1.0 - (threshold / rho).sqrt();
    if w > 0.0 && w < 1.0 {
        Ok(w)
    } else {
        Err(EngramError::Config(format!(
            "key 'validation.threshold': {threshold} gives the matched weight 1 - sqrt(threshold/rho) = {w}, expected in (0, 1)"
        )))
    }
}

/// A number, or empty where it is undefined (the χ² probability at 0 degrees of freedom).
fn fmt_finite(x: f64) -> String {
    if x.is_finite() {
        fmt(x)
    } else {
        String::new()
    }
}

/// Name the check, N and α in a point's error.
fn in_check(check: &str, n: usize, alpha: f64, e: EngramError) -> EngramError {
    EngramError::Config(format!(
        "key 'validation.{check}' at N = {n}, alpha = {alpha}: {e}"
    ))
}

fn linspace(lo: f64, hi: f64, k: usize) -> Vec<f64> {
    if k <= 1 {
        return vec![lo];
    }
    (0..k)
        .map(|i| lo + (hi - lo) * i as f64 / (k - 1) as f64)
        .collect()
}

impl CrossingCheck {
    /// Check label: `alpha_1:<ensemble>:l<λ>` or `alpha_f:<ensemble>:l<λ>:rho<ρ>`.
    pub fn label(&self) -> String {
        match self.target_norm {
            None => format!("alpha_1:{}:l{}", self.ensemble.name(), fmt(self.lambda.0)),
            Some(r) => format!(
                "alpha_f:{}:l{}:rho{}",
                self.ensemble.name(),
                fmt(self.lambda.0),
                fmt(r.0)
            ),
        }
    }

    /// (N, loads) pairs, thinned for `--quick` to the first two N and four loads each.
    fn grid(&self, quick: bool) -> Vec<(usize, Vec<f64>)> {
        let ns = self.n.values();
        let mut out: Vec<(usize, Vec<f64>)> = ns
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                let a = match (&self.windows, &self.alpha) {
                    (Some(w), _) => linspace(w[i][0], w[i][1], self.alpha_points.0),
                    (None, Some(a)) => a.values().to_vec(),
                    (None, None) => vec![],
                };
                (n as usize, a)
            })
            .collect();
        if quick {
            out.truncate(2);
            for (_, a) in out.iter_mut() {
                *a = thin(a, 4);
            }
        }
        out
    }

    fn rho(&self) -> f64 {
        self.target_norm
            .map_or(self.ensemble.ensemble().rho1(), |r| r.0)
    }

    /// The theory value: α₁(λ) or α_f(λ; ρ).
    pub fn theory(&self) -> Result<f64> {
        let th = DamTheory::new(self.ensemble.ensemble())?;
        Ok(match self.target_norm {
            None => th.alpha_1(self.lambda.0)?.0,
            Some(r) => th.failure_load(self.lambda.0, r.0)?.0,
        })
    }
}

impl AllPatternsCheck {
    /// Check label `all:<ensemble>:l<λ>`.
    pub fn label(&self) -> String {
        format!("all:{}:l{}", self.ensemble.name(), fmt(self.lambda.0))
    }
    fn ns(&self, quick: bool) -> Vec<usize> {
        let v: Vec<usize> = self.n.values().iter().map(|&n| n as usize).collect();
        if quick {
            v.into_iter().take(2).collect()
        } else {
            v
        }
    }
    fn alphas(&self, quick: bool) -> Vec<f64> {
        if quick {
            thin(self.alpha.values(), 3)
        } else {
            self.alpha.values().to_vec()
        }
    }
}

impl CollapseCheck {
    /// Check label `collapse:a<α>`.
    pub fn label(&self) -> String {
        format!("collapse:a{}", fmt(self.alpha.0))
    }
    fn forward_ns(&self, quick: bool) -> Vec<usize> {
        let v: Vec<usize> = self.n.values().iter().map(|&n| n as usize).collect();
        if quick {
            v.into_iter().take(2).collect()
        } else {
            v
        }
    }
    fn backward_ns(&self, quick: bool) -> Vec<usize> {
        let v: Vec<usize> = self
            .backward_n
            .as_ref()
            .map_or(vec![], |b| b.values().iter().map(|&n| n as usize).collect());
        if quick {
            v.into_iter().take(1).collect()
        } else {
            v
        }
    }
}

impl ValidationSection {
    fn plan(&self, quick: bool) -> Result<Plan> {
        let q = |full: usize, small: usize| if quick { full.min(small) } else { full };
        let rem_samples = q(self.rem_samples.0, 64);
        let mut jobs = Vec::new();
        let memory = self.memory_gib.0 * 1024f64.powi(3);
        let threads = rayon::current_num_threads();
        for (c, ch) in self.crossing.iter().enumerate() {
            let theta = w_theta(self.threshold.0, ch.rho())?;
            for (n, alphas) in ch.grid(quick) {
                for alpha in alphas {
                    let p = self.sim_params(n, alpha, ch.lambda.0);
                    let batch = self.crossing_batch(ch);
                    p.validate()
                        .and_then(|_| batch.validate(&p, ch.ensemble.name()))
                        .and_then(|_| batch.check(&p, q(ch.samples.0, 16), memory, threads))
                        .map_err(|e| in_check(&format!("crossing[{c}]"), n, alpha, e))?;
                    jobs.push(Job::Retrieval { check: c, n, alpha });
                }
                for w in [0.5, theta] {
                    jobs.push(Job::Rem { check: c, n, w });
                }
            }
        }
        for (c, ch) in self.all_patterns.iter().enumerate() {
            for n in ch.ns(quick) {
                for alpha in ch.alphas(quick) {
                    let p = self.sim_params(n, alpha, ch.lambda.0);
                    let batch = self.all_batch(ch);
                    p.validate()
                        .and_then(|_| batch.validate(&p, ch.ensemble.name()))
                        .and_then(|_| batch.check(&p, q(ch.stores.0, 4), memory, threads))
                        .map_err(|e| in_check(&format!("all_patterns[{c}]"), n, alpha, e))?;
                    jobs.push(Job::All { check: c, n, alpha });
                    jobs.push(Job::RemFail { check: c, n, alpha });
                }
            }
        }
        for (c, ch) in self.collapse.iter().enumerate() {
            for n in ch.forward_ns(quick) {
                jobs.push(Job::Forward { check: c, n });
            }
            for n in ch.backward_ns(quick) {
                jobs.push(Job::Backward { check: c, n });
            }
        }
        let samples = self.crossing.iter().map(|c| q(c.samples.0, 16)).collect();
        let stores = self.all_patterns.iter().map(|c| q(c.stores.0, 4)).collect();
        let draws = self.collapse.iter().map(|c| q(c.draws.0, 16)).collect();
        let backward_samples = self
            .collapse
            .iter()
            .map(|c| q(c.backward_samples.0, 4))
            .collect();
        let steps = self.collapse.iter().map(|c| q(c.steps.0, 100)).collect();
        let mut plan = Plan {
            keys: vec![],
            jobs,
            rem_samples,
            samples,
            stores,
            draws,
            backward_samples,
            steps,
        };
        plan.keys = plan.jobs.iter().map(|j| self.key(j, &plan)).collect();
        Ok(plan)
    }

    /// The resume key of a job: every setting that changes its result.
    fn key(&self, j: &Job, plan: &Plan) -> String {
        let (s, t) = (self.seed, self.threshold.0);
        match *j {
            Job::Retrieval { check, .. } | Job::Rem { check, .. } => {
                let c = &self.crossing[check];
                format!(
                    "{j:?}|{}|{:?}|samples={}|rem={}|seed={s}|theta={t}",
                    c.label(),
                    self.crossing_batch(c),
                    plan.samples[check],
                    plan.rem_samples
                )
            }
            Job::All { check, .. } | Job::RemFail { check, .. } => {
                let c = &self.all_patterns[check];
                format!(
                    "{j:?}|{}|{:?}|stores={}|rem={}|seed={s}|theta={t}",
                    c.label(),
                    self.all_batch(c),
                    plan.stores[check],
                    plan.rem_samples
                )
            }
            Job::Forward { check, .. } | Job::Backward { check, .. } => {
                let c = &self.collapse[check];
                format!(
                    "{j:?}|{}|draws={}|bs={}|t={},{},{}|seed={s}",
                    c.label(),
                    plan.draws[check],
                    plan.backward_samples[check],
                    c.t_max.0,
                    c.t_min.0,
                    plan.steps[check]
                )
            }
        }
    }

    fn sim_params(&self, n: usize, alpha: f64, lambda: f64) -> SimParams {
        SimParams {
            threshold: self.threshold.0,
            ..SimParams::protocol(n, alpha, lambda, self.seed)
        }
    }

    fn crossing_batch(&self, c: &CrossingCheck) -> Batch {
        Batch {
            targets: c.targets.0,
            target_norm: c.target_norm.map(|r| r.0),
            precision: c.store.0,
            streams: Streams::Shared,
            max_seconds: 3600.0,
        }
    }

    fn all_batch(&self, c: &AllPatternsCheck) -> Batch {
        Batch {
            targets: crate::dam::batch::Targets::All,
            target_norm: None,
            precision: c.store.0,
            streams: Streams::Shared,
            max_seconds: 3600.0,
        }
    }

    /// Run one job; returns its points.csv row.
    fn compute(&self, j: &Job, plan: &Plan, progress: &Progress) -> Result<Vec<String>> {
        let memory = self.memory_gib.0 * 1024f64.powi(3);
        let tick = || progress.inc();
        let e = String::new;
        Ok(match *j {
            Job::Retrieval { check, n, alpha } => {
                let c = &self.crossing[check];
                let p = self.sim_params(n, alpha, c.lambda.0);
                let s = simulate_batch(
                    c.ensemble.sampler(),
                    &p,
                    &self.crossing_batch(c),
                    plan.samples[check],
                    memory,
                    &tick,
                )?;
                vec![
                    c.label(),
                    "p_retrieved".into(),
                    c.ensemble.name().into(),
                    fmt(c.lambda.0),
                    fmt(c.rho()),
                    n.to_string(),
                    fmt(alpha),
                    fmt(s.retrieved.p),
                    fmt(s.retrieved.err),
                    fmt(s.design_effect),
                    e(),
                    e(),
                    e(),
                    s.samples.to_string(),
                ]
            }
            Job::Rem { check, n, w } => {
                let c = &self.crossing[check];
                let amax = c
                    .grid(false)
                    .iter()
                    .flat_map(|g| g.1.iter().cloned())
                    .fold(0.0, f64::max)
                    .max(c.theory()?)
                    * 2.0;
                let (m, err) = rem_alpha_half(
                    c.ensemble,
                    n,
                    c.lambda.0,
                    w,
                    c.target_norm.map(|r| r.0),
                    plan.rem_samples,
                    self.seed,
                    amax,
                )?;
                for _ in 0..plan.rem_samples {
                    tick();
                }
                vec![
                    c.label(),
                    format!("rem_w={}", fmt((w * 1000.0).round() / 1000.0)),
                    c.ensemble.name().into(),
                    fmt(c.lambda.0),
                    fmt(c.rho()),
                    n.to_string(),
                    e(),
                    fmt(m),
                    fmt(err),
                    e(),
                    e(),
                    e(),
                    e(),
                    plan.rem_samples.to_string(),
                ]
            }
            Job::All { check, n, alpha } => {
                let c = &self.all_patterns[check];
                let p = self.sim_params(n, alpha, c.lambda.0);
                let batch = self.all_batch(c);
                let r = crate::dam::batch::simulate_targets(
                    c.ensemble.sampler(),
                    &p,
                    &batch,
                    plan.stores[check],
                    memory,
                    &tick,
                )?;
                let fail: Vec<f64> = r
                    .iter()
                    .map(|t| f64::from(t.result.delta0 >= p.threshold))
                    .collect();
                let store: Vec<usize> = r.iter().map(|t| t.store).collect();
                let (f, _) = crate::stats::cluster_mean_se(&fail, &store);
                let stores = plan.stores[check];
                let all_ok = (0..stores)
                    .filter(|&s| {
                        r.iter()
                            .all(|t| t.store != s || t.result.delta0 < p.threshold)
                    })
                    .count();
                let pa = wilson(all_ok, stores, 1.0);
                let norms: Vec<f64> = r
                    .iter()
                    .filter(|t| t.result.delta0 >= p.threshold)
                    .map(|t| t.rho)
                    .collect();
                let (rm, re) = if norms.is_empty() {
                    (e(), e())
                } else {
                    let m = crate::stats::mean_se(&norms);
                    (fmt(m.mean), fmt(m.se))
                };
                vec![
                    c.label(),
                    "fail_fraction".into(),
                    c.ensemble.name().into(),
                    fmt(c.lambda.0),
                    e(),
                    n.to_string(),
                    fmt(alpha),
                    fmt(f.mean),
                    fmt(f.se),
                    fmt(pa.p),
                    fmt(pa.err),
                    rm,
                    re,
                    norms.len().to_string(),
                ]
            }
            Job::RemFail { check, n, alpha } => {
                let c = &self.all_patterns[check];
                let w = w_theta(self.threshold.0, c.ensemble.ensemble().rho1())?;
                let p_max = (alpha * n as f64).exp().round();
                let draws = plan.rem_samples;
                use rayon::prelude::*;
                let failed = (0..draws as u64)
                    .into_par_iter()
                    .filter(|&d| {
                        crate::dam::fss::rem_critical_load(
                            c.ensemble,
                            n,
                            c.lambda.0,
                            w,
                            p_max,
                            sample_rng(self.seed ^ 0xfa11, d),
                        )
                        .is_some()
                    })
                    .count();
                for _ in 0..draws {
                    tick();
                }
                let pf = wilson(failed, draws, 1.0);
                vec![
                    c.label(),
                    "rem_fail_fraction".into(),
                    c.ensemble.name().into(),
                    fmt(c.lambda.0),
                    e(),
                    n.to_string(),
                    fmt(alpha),
                    fmt(pf.p),
                    fmt(pf.err),
                    e(),
                    e(),
                    e(),
                    e(),
                    draws.to_string(),
                ]
            }
            Job::Forward { check, n } => {
                let c = &self.collapse[check];
                let (m, err) =
                    crate::diffusion::forward_collapse(n, c.alpha.0, plan.draws[check], self.seed)?;
                for _ in 0..plan.draws[check] {
                    tick();
                }
                vec![
                    c.label(),
                    "forward_s2".into(),
                    "spherical".into(),
                    e(),
                    e(),
                    n.to_string(),
                    fmt(c.alpha.0),
                    fmt(m),
                    fmt(err),
                    e(),
                    e(),
                    e(),
                    e(),
                    plan.draws[check].to_string(),
                ]
            }
            Job::Backward { check, n } => {
                let c = &self.collapse[check];
                let rp = crate::diffusion::ReverseParams {
                    n,
                    alpha: c.alpha.0,
                    samples: plan.backward_samples[check],
                    t_max: c.t_max.0,
                    t_min: c.t_min.0,
                    steps: plan.steps[check],
                    seed: self.seed,
                };
                let r = crate::diffusion::reverse_point(&rp, &tick)?;
                vec![
                    c.label(),
                    "backward_s2".into(),
                    "spherical".into(),
                    e(),
                    e(),
                    n.to_string(),
                    fmt(c.alpha.0),
                    fmt(r.s2_condensed_median),
                    fmt(r.s2_condensed_err),
                    fmt(r.memorised.p),
                    fmt(r.memorised.err),
                    e(),
                    e(),
                    rp.samples.to_string(),
                ]
            }
        })
    }

    /// Rough work units of a job for the progress bar.
    fn units(&self, j: &Job, plan: &Plan) -> u64 {
        match *j {
            Job::Retrieval { check, .. } => plan.samples[check] as u64,
            Job::Rem { .. } | Job::RemFail { .. } => plan.rem_samples as u64,
            Job::All { check, n, alpha } => {
                (plan.stores[check] as f64 * (alpha * n as f64).exp().round()) as u64
            }
            Job::Forward { check, .. } => plan.draws[check] as u64,
            Job::Backward { check, .. } => plan.backward_samples[check] as u64,
        }
    }
}

/// A crossing check, its fits and its largest-N crossing (for the summary figures).
type Extrapolated<'a> = (
    &'a CrossingCheck,
    Vec<Extrapolation>,
    Option<(usize, f64, f64)>,
);

/// A crossing series (N, value, error) of one check.
type Series = Vec<(usize, f64, f64)>;

/// Analysis of the points: fss.csv and summary.csv rows, and the series for the figures.
pub struct Analysis {
    /// fss.csv rows.
    pub fss: Vec<Vec<String>>,
    /// summary.csv rows.
    pub summary: Vec<Vec<String>>,
}

fn fit_rows(
    check: &str,
    series: &str,
    pts: &Series,
    theory: f64,
    fss: &mut Vec<Vec<String>>,
) -> Vec<Extrapolation> {
    for &(n, v, e) in pts {
        fss.push(vec![
            check.into(),
            series.into(),
            "point".into(),
            n.to_string(),
            fmt(v),
            fmt(e),
            fmt(theory),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]);
    }
    let row = |kind: &str, f: &Extrapolation, left: String| {
        vec![
            check.into(),
            series.into(),
            kind.into(),
            "inf".into(),
            fmt(f.a),
            fmt(f.a_err),
            fmt(theory),
            f.form.name().into(),
            fmt(f.chi2),
            f.dof.to_string(),
            fmt_finite(f.p_value),
            fmt(f.z),
            f.n_range.0.to_string(),
            f.n_range.1.to_string(),
            left,
        ]
    };
    let mut fits = Vec::new();
    if pts.len() < 2 {
        return fits;
    }
    for form in FssForm::ALL {
        if let Some(f) = extrapolate(pts, form, theory) {
            fss.push(row("fit", &f, String::new()));
            for (left, g) in leave_one_out(pts, form, theory) {
                if let Some(g) = g {
                    fss.push(row("loo", &g, left.to_string()));
                }
            }
            fits.push(f);
        }
    }
    fits
}

#[allow(clippy::too_many_arguments)]
fn summary_row(
    quantity: &str,
    ensemble: &str,
    lambda: String,
    rho: String,
    series: &str,
    theory: f64,
    sim: f64,
    err: f64,
    f: Option<&Extrapolation>,
    n_range: (usize, usize),
    note: &str,
) -> Vec<String> {
    let z = (sim - theory) / err;
    vec![
        quantity.into(),
        ensemble.into(),
        lambda,
        rho,
        series.into(),
        fmt(theory),
        fmt(sim),
        fmt(err),
        if z.is_finite() { fmt(z) } else { String::new() },
        f.map_or("none".into(), |f| f.form.name().into()),
        f.map_or(String::new(), |f| fmt(f.chi2)),
        f.map_or(String::new(), |f| f.dof.to_string()),
        f.map_or(String::new(), |f| fmt_finite(f.p_value)),
        n_range.0.to_string(),
        n_range.1.to_string(),
        note.into(),
    ]
}

/// Crossings at ½ per N of one check's series in points.csv: for each N, the (α, value, err)
/// curve of `series` (value and error from columns `value_col`, `err_col`) and its crossing
/// ([`crate::stats::crossing`]); N without a crossing are left out.
fn crossings_per_n(
    pts: &Table,
    label: &str,
    series: &str,
    value_col: &str,
    err_col: &str,
) -> Result<Series> {
    let (cc, cs, cn, ca, cv, ce) = (
        pts.col("check")?,
        pts.col("series")?,
        pts.col("n")?,
        pts.col("alpha")?,
        pts.col(value_col)?,
        pts.col(err_col)?,
    );
    let rows: Vec<usize> = (0..pts.rows.len())
        .filter(|&i| pts.rows[i][cc] == label && pts.rows[i][cs] == series)
        .collect();
    let mut ns: Vec<usize> = rows.iter().map(|&i| pts.num(i, cn) as usize).collect();
    ns.sort();
    ns.dedup();
    let mut out = Vec::new();
    for n in ns {
        let mut curve: Vec<(f64, f64, f64)> = rows
            .iter()
            .filter(|&&i| pts.num(i, cn) as usize == n)
            .map(|&i| (pts.num(i, ca), pts.num(i, cv), pts.num(i, ce)))
            .collect();
        curve.sort_by(|a, b| a.0.total_cmp(&b.0));
        let a: Vec<f64> = curve.iter().map(|c| c.0).collect();
        let p: Vec<f64> = curve.iter().map(|c| c.1).collect();
        let e: Vec<f64> = curve.iter().map(|c| c.2).collect();
        if let Some((x, err)) = crate::stats::crossing(&a, &p, &e, 0.5) {
            out.push((n, x, err));
        }
    }
    Ok(out)
}

/// Crossing series of a check from points.csv: (series name, points).
fn crossing_series(pts: &Table, label: &str) -> Result<Vec<(String, Series)>> {
    let (cc, cs, cn, cv, ce) = (
        pts.col("check")?,
        pts.col("series")?,
        pts.col("n")?,
        pts.col("value")?,
        pts.col("err")?,
    );
    let rows: Vec<usize> = (0..pts.rows.len())
        .filter(|&i| pts.rows[i][cc] == label)
        .collect();
    let sim = crossings_per_n(pts, label, "p_retrieved", "value", "err")?;
    let mut out = vec![("simulation".to_string(), sim)];
    let mut names: Vec<String> = rows
        .iter()
        .map(|&i| pts.rows[i][cs].clone())
        .filter(|s| s.starts_with("rem_w="))
        .collect();
    names.dedup();
    names.sort();
    names.dedup();
    for name in names {
        let s: Series = rows
            .iter()
            .filter(|&&i| pts.rows[i][cs] == name)
            .map(|&i| (pts.num(i, cn) as usize, pts.num(i, cv), pts.num(i, ce)))
            .collect();
        out.push((name, s));
    }
    Ok(out)
}

impl ValidationSection {
    /// Crossings, fits and comparisons from points.csv.
    pub fn analyse(&self, pts: &Table) -> Result<Analysis> {
        let mut fss = Vec::new();
        let mut summary = Vec::new();
        for c in &self.crossing {
            let label = c.label();
            let theory = c.theory()?;
            let quantity = if c.target_norm.is_some() {
                "alpha_f"
            } else {
                "alpha_1"
            };
            for (name, s) in crossing_series(pts, &label)? {
                let fits = fit_rows(&label, &name, &s, theory, &mut fss);
                for f in &fits {
                    summary.push(summary_row(
                        quantity,
                        c.ensemble.name(),
                        fmt(c.lambda.0),
                        fmt(c.rho()),
                        &name,
                        theory,
                        f.a,
                        f.a_err,
                        Some(f),
                        f.n_range,
                        "",
                    ));
                }
            }
        }
        for c in &self.all_patterns {
            self.analyse_all(c, pts, &mut fss, &mut summary)?;
        }
        for c in &self.collapse {
            let label = c.label();
            let theory = crate::diffusion::s2_collapse(c.alpha.0)?;
            let (cc, cs, cn, cv, ce) = (
                pts.col("check")?,
                pts.col("series")?,
                pts.col("n")?,
                pts.col("value")?,
                pts.col("err")?,
            );
            for name in ["forward_s2", "backward_s2"] {
                let s: Series = (0..pts.rows.len())
                    .filter(|&i| pts.rows[i][cc] == label && pts.rows[i][cs] == name)
                    .map(|i| (pts.num(i, cn) as usize, pts.num(i, cv), pts.num(i, ce)))
                    .collect();
                let fits = fit_rows(&label, name, &s, theory, &mut fss);
                for f in &fits {
                    summary.push(summary_row(
                        "s2_collapse",
                        "spherical",
                        String::new(),
                        String::new(),
                        name,
                        theory,
                        f.a,
                        f.a_err,
                        Some(f),
                        f.n_range,
                        &format!("alpha = {}", fmt(c.alpha.0)),
                    ));
                }
                if fits.is_empty() {
                    if let Some(&(n, v, e)) = s.last() {
                        summary.push(summary_row(
                            "s2_collapse",
                            "spherical",
                            String::new(),
                            String::new(),
                            name,
                            theory,
                            v,
                            e,
                            None,
                            (n, n),
                            &format!(
                                "alpha = {}; largest N without extrapolation",
                                fmt(c.alpha.0)
                            ),
                        ));
                    }
                }
            }
        }
        Ok(Analysis { fss, summary })
    }

    fn analyse_all(
        &self,
        c: &AllPatternsCheck,
        pts: &Table,
        fss: &mut Vec<Vec<String>>,
        summary: &mut Vec<Vec<String>>,
    ) -> Result<()> {
        let label = c.label();
        let ens = c.ensemble.ensemble();
        let th = DamTheory::new(ens)?;
        let lambda = c.lambda.0;
        let bound = th.alpha_c(lambda)?.bound;
        let (cc, cs, cn, ca) = (
            pts.col("check")?,
            pts.col("series")?,
            pts.col("n")?,
            pts.col("alpha")?,
        );
        let (cv, ce, cv3, ce3) = (
            pts.col("value")?,
            pts.col("err")?,
            pts.col("value3")?,
            pts.col("err3")?,
        );
        let rows: Vec<usize> = (0..pts.rows.len())
            .filter(|&i| pts.rows[i][cc] == label && pts.rows[i][cs] == "fail_fraction")
            .collect();
        let mut ns: Vec<usize> = rows.iter().map(|&i| pts.num(i, cn) as usize).collect();
        ns.sort();
        ns.dedup();
        // α_c(N): where P(all retrieved) crosses ½
        let ac = all_alpha_c(pts, c)?;
        for &(n, x, err) in &ac {
            summary.push(summary_row(
                "alpha_c",
                c.ensemble.name(),
                fmt(lambda),
                String::new(),
                "simulation",
                bound,
                x,
                err,
                None,
                (n, n),
                "P(all retrieved) = 1/2; theory is a lower bound",
            ));
        }
        let fits = fit_rows(&label, "alpha_c", &ac, bound, fss);
        for f in &fits {
            summary.push(summary_row(
                "alpha_c",
                c.ensemble.name(),
                fmt(lambda),
                String::new(),
                "simulation",
                bound,
                f.a,
                f.a_err,
                Some(f),
                f.n_range,
                "theory is a lower bound",
            ));
        }
        // failure rate and failing norms at the largest N, against the norm channel
        let Some(&n_max) = ns.last() else {
            return Ok(());
        };
        for &i in rows.iter().filter(|&&i| pts.num(i, cn) as usize == n_max) {
            let alpha = pts.num(i, ca);
            let (f, fe) = (pts.num(i, cv), pts.num(i, ce));
            let Some(rho_f) = th.failure_norm(lambda, alpha)? else {
                continue;
            };
            let Some(rate) = ens.norm_rate(rho_f) else {
                continue;
            };
            if f > 0.0 && fe > 0.0 {
                summary.push(summary_row(
                    "failure_rate",
                    c.ensemble.name(),
                    fmt(lambda),
                    fmt(rho_f),
                    "simulation",
                    rate,
                    -f.ln() / n_max as f64,
                    fe / (f * n_max as f64),
                    None,
                    (n_max, n_max),
                    &format!("-(1/N) ln(failure fraction) at alpha = {}", fmt(alpha)),
                ));
            }
            let (rm, re) = (pts.num(i, cv3), pts.num(i, ce3));
            if rm.is_finite() && re > 0.0 {
                summary.push(summary_row(
                    "failing_norm",
                    c.ensemble.name(),
                    fmt(lambda),
                    fmt(rho_f),
                    "simulation",
                    rho_f,
                    rm,
                    re,
                    None,
                    (n_max, n_max),
                    &format!("mean norm of failing patterns at alpha = {}", fmt(alpha)),
                ));
            }
        }
        Ok(())
    }

    /// Run every job (resumable, shardable), then write points.csv, fss.csv and summary.csv.
    pub fn run(
        &self,
        dir: &Path,
        schedule: Schedule,
        quick: bool,
        progress: &Progress,
    ) -> Result<Vec<PathBuf>> {
        let plan = self.plan(quick)?;
        let store = PointStore::new(dir)?;
        progress.add(plan.jobs.iter().map(|j| self.units(j, &plan)).sum());
        let rows = run_points(&store, &plan.keys, schedule, |k| {
            self.compute(&plan.jobs[k], &plan, progress)
        })?;
        let Some(rows) = rows else {
            return Ok(vec![]);
        };
        let pts = Table::new(&POINTS_HEADER, rows);
        let a = self.analyse(&pts)?;
        let mut out = Vec::new();
        for (name, table) in [
            ("points.csv", pts),
            ("fss.csv", Table::new(&FSS_HEADER, a.fss)),
            ("summary.csv", Table::new(&SUMMARY_HEADER, a.summary)),
        ] {
            let path = dir.join(name);
            write_atomic(&path, &table.to_csv()?)?;
            out.push(path);
        }
        Ok(out)
    }

    /// The atlas figures from points.csv and fss.csv.
    pub fn render(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        let pts = Table::read(&dir.join("points.csv"))?;
        let mut out = Vec::new();
        let mut extrapolated: Vec<Extrapolated> = Vec::new();
        for c in &self.crossing {
            let label = c.label();
            let theory = c.theory()?;
            let series = crossing_series(&pts, &label)?;
            let fits: Vec<Extrapolation> = if series[0].1.len() >= 2 {
                FssForm::ALL
                    .iter()
                    .filter_map(|&f| extrapolate(&series[0].1, f, theory))
                    .collect()
            } else {
                vec![]
            };
            extrapolated.push((c, fits.clone(), series[0].1.last().copied()));
            let labelled: Vec<super::dam::CrossingSeries> = series
                .iter()
                .filter(|s| !s.1.is_empty())
                .map(|(name, s)| {
                    let l = match name.as_str() {
                        "simulation" => "simulated".to_string(),
                        n => format!("finite-N REM, w = {}", n.trim_start_matches("rem_w=")),
                    };
                    (l, s.clone())
                })
                .collect();
            if labelled.is_empty() {
                continue;
            }
            let stem = label.replace(':', "_");
            let mut fig = super::dam::fss_figure(&labelled, &fits, theory);
            if c.target_norm.is_some() {
                if let Some(first) = fig.curves.first_mut() {
                    first.label = format!("α_{{f}}(λ; ρ) = {theory:.4}");
                }
            }
            out.extend(fig.render(&dir.join(stem))?);
        }
        out.extend(self.render_thresholds(dir, &extrapolated)?);
        out.extend(self.render_channel_a(dir, &extrapolated)?);
        for c in &self.all_patterns {
            out.extend(self.render_failure(dir, c, &pts)?);
        }
        for c in &self.collapse {
            out.extend(render_collapse(dir, c, &pts)?);
        }
        Ok(out)
    }

    fn render_thresholds(&self, dir: &Path, ex: &[Extrapolated]) -> Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        let mut kinds: Vec<EnsembleKind> = ex
            .iter()
            .filter(|e| e.0.target_norm.is_none())
            .map(|e| e.0.ensemble)
            .collect();
        kinds.dedup();
        kinds.sort_by_key(|k| k.name());
        kinds.dedup();
        for kind in kinds {
            let th = DamTheory::new(kind.ensemble())?;
            let mine: Vec<_> = ex
                .iter()
                .filter(|e| e.0.target_norm.is_none() && e.0.ensemble == kind)
                .collect();
            let lmax = mine.iter().map(|e| e.0.lambda.0).fold(0.0, f64::max) * 1.4;
            let grid: Vec<f64> = (1..=80).map(|i| lmax * i as f64 / 80.0).collect();
            let mut a1 = Vec::new();
            let mut acb = Vec::new();
            for &l in &grid {
                a1.push((l, th.alpha_1(l)?.0, 0.0));
                acb.push((l, th.alpha_c(l)?.bound, 0.0));
            }
            let mut fig = Figure {
                x_label: "inverse temperature λ".into(),
                y_label: "load α".into(),
                legend: Legend::UpperLeft,
                ..Default::default()
            };
            fig.curves.push(Curve {
                label: "α_{1}(λ), theory".into(),
                style: Style::Line,
                color: 6,
                points: a1,
            });
            fig.curves.push(Curve {
                label: "α_{c}(λ) lower bound".into(),
                style: Style::Dashed,
                color: 6,
                points: acb,
            });
            let pick = |form: FssForm| -> Vec<(f64, f64, f64)> {
                mine.iter()
                    .filter_map(|e| {
                        e.1.iter()
                            .find(|f| f.form == form)
                            .map(|f| (e.0.lambda.0, f.a, f.a_err))
                    })
                    .collect()
            };
            for (k, (form, name)) in [
                (FssForm::LogNOverN, "extrapolated, a + b lnN/N"),
                (FssForm::InvSqrtN, "extrapolated, a + b/√N"),
            ]
            .into_iter()
            .enumerate()
            {
                let p = pick(form);
                if !p.is_empty() {
                    fig.curves.push(Curve {
                        label: name.into(),
                        style: Style::Points,
                        color: 1 + k,
                        points: p
                            .iter()
                            .map(|&(l, a, e)| (l * (1.0 + 0.02 * k as f64), a, e))
                            .collect(),
                    });
                }
            }
            let raw: Vec<(f64, f64, f64)> = mine
                .iter()
                .filter_map(|e| e.2.map(|(_, a, err)| (e.0.lambda.0 * 0.98, a, err)))
                .collect();
            fig.curves.push(Curve {
                label: "α_{1/2} at the largest N".into(),
                style: Style::Points,
                color: 4,
                points: raw,
            });
            let acs: Vec<(f64, f64, f64)> = self
                .all_patterns
                .iter()
                .filter(|c| c.ensemble == kind)
                .filter_map(|c| {
                    let pts = Table::read(&dir.join("points.csv")).ok()?;
                    let s = all_alpha_c(&pts, c).ok()?;
                    s.last().map(|&(_, a, e)| (c.lambda.0, a, e))
                })
                .collect();
            if !acs.is_empty() {
                fig.curves.push(Curve {
                    label: "α_{c}(N), all patterns, largest N".into(),
                    style: Style::Points,
                    color: 5,
                    points: acs,
                });
            }
            out.extend(fig.render(&dir.join(format!("thresholds_{}", kind.name())))?);
        }
        Ok(out)
    }

    fn render_channel_a(&self, dir: &Path, ex: &[Extrapolated]) -> Result<Vec<PathBuf>> {
        let planted: Vec<_> = ex.iter().filter(|e| e.0.target_norm.is_some()).collect();
        let Some(first) = planted.first() else {
            return Ok(vec![]);
        };
        let (kind, lambda) = (first.0.ensemble, first.0.lambda.0);
        let mine: Vec<_> = ex
            .iter()
            .filter(|e| e.0.ensemble == kind && e.0.lambda.0 == lambda)
            .collect();
        let th = DamTheory::new(kind.ensemble())?;
        let rhos: Vec<f64> = mine.iter().map(|e| e.0.rho()).collect();
        let (lo, hi) = (
            rhos.iter().cloned().fold(f64::INFINITY, f64::min) * 0.8,
            rhos.iter().cloned().fold(0.0, f64::max) * 1.2,
        );
        let mut curve = Vec::new();
        for i in 0..=80 {
            let r = lo + (hi - lo) * i as f64 / 80.0;
            curve.push((r, th.failure_load(lambda, r)?.0, 0.0));
        }
        let mut fig = Figure {
            x_label: "planted squared norm ρ = ‖ξ‖^{2}/N".into(),
            y_label: "load α".into(),
            legend: Legend::UpperLeft,
            ..Default::default()
        };
        fig.curves.push(Curve {
            label: format!("α_{{f}}(λ; ρ), theory, λ = {}", fmt(lambda)),
            style: Style::Line,
            color: 6,
            points: curve,
        });
        for (k, (form, name)) in [
            (FssForm::LogNOverN, "extrapolated, a + b lnN/N"),
            (FssForm::InvSqrtN, "extrapolated, a + b/√N"),
        ]
        .into_iter()
        .enumerate()
        {
            let p: Vec<(f64, f64, f64)> = mine
                .iter()
                .filter_map(|e| {
                    e.1.iter()
                        .find(|f| f.form == form)
                        .map(|f| (e.0.rho() * (1.0 + 0.01 * k as f64), f.a, f.a_err))
                })
                .collect();
            fig.curves.push(Curve {
                label: name.into(),
                style: Style::Points,
                color: 1 + k,
                points: p,
            });
        }
        fig.curves.push(Curve {
            label: "α_{1/2} at the largest N".into(),
            style: Style::Points,
            color: 4,
            points: mine
                .iter()
                .filter_map(|e| e.2.map(|(_, a, err)| (e.0.rho() * 0.99, a, err)))
                .collect(),
        });
        fig.render(&dir.join("alpha_f_vs_rho"))
    }

    fn render_failure(
        &self,
        dir: &Path,
        c: &AllPatternsCheck,
        pts: &Table,
    ) -> Result<Vec<PathBuf>> {
        let label = c.label();
        let ens = c.ensemble.ensemble();
        let th = DamTheory::new(ens)?;
        let (cc, cs, cn, ca, cv, ce) = (
            pts.col("check")?,
            pts.col("series")?,
            pts.col("n")?,
            pts.col("alpha")?,
            pts.col("value")?,
            pts.col("err")?,
        );
        let mut fig = Figure {
            x_label: "load α".into(),
            y_label: "(1/N) ln(failure fraction)".into(),
            legend: Legend::LowerRight,
            ..Default::default()
        };
        let ns: Vec<usize> = {
            let mut v: Vec<usize> = (0..pts.rows.len())
                .filter(|&i| pts.rows[i][cc] == label)
                .map(|i| pts.num(i, cn) as usize)
                .collect();
            v.sort();
            v.dedup();
            v
        };
        for (k, &n) in ns.iter().enumerate() {
            for (series, style, name) in [
                ("fail_fraction", Style::Points, "simulated"),
                ("rem_fail_fraction", Style::Dashed, "finite-N REM"),
            ] {
                let mut p: Vec<(f64, f64, f64)> = (0..pts.rows.len())
                    .filter(|&i| {
                        pts.rows[i][cc] == label
                            && pts.rows[i][cs] == series
                            && pts.num(i, cn) as usize == n
                    })
                    .filter(|&i| pts.num(i, cv) > 0.0)
                    .map(|i| {
                        let (f, e) = (pts.num(i, cv), pts.num(i, ce));
                        (pts.num(i, ca), f.ln() / n as f64, e / (f * n as f64))
                    })
                    .collect();
                p.sort_by(|a, b| a.0.total_cmp(&b.0));
                if style == Style::Dashed {
                    for q in p.iter_mut() {
                        q.2 = 0.0;
                    }
                }
                fig.curves.push(Curve {
                    label: format!("{name}, N = {n}"),
                    style,
                    color: k,
                    points: p,
                });
            }
        }
        if ens.norm_rate(ens.rho1()).is_some() {
            let (a1, _) = th.alpha_1(c.lambda.0)?;
            let lo = c
                .alpha
                .values()
                .iter()
                .cloned()
                .fold(f64::INFINITY, f64::min);
            let mut curve = Vec::new();
            for i in 0..=60 {
                let a = lo + (a1 - lo) * i as f64 / 60.0;
                if let Some(r) = th.failure_norm(c.lambda.0, a)? {
                    if let Some(rate) = ens.norm_rate(r) {
                        // the rate vanishes at α₁ (ρ_f = ρ₁); keep its rounding off the axis
                        curve.push((a, if rate.abs() < 1e-12 { 0.0 } else { -rate }, 0.0));
                    }
                }
            }
            fig.curves.push(Curve {
                label: "−I_{norm}(ρ_{f}(α)), N → ∞".into(),
                style: Style::Line,
                color: 6,
                points: curve,
            });
        }
        fig.render(&dir.join(format!("failure_{}", label.replace(':', "_"))))
    }
}

/// α_c(N) series of an all-patterns check (P(all retrieved) = ½).
fn all_alpha_c(pts: &Table, c: &AllPatternsCheck) -> Result<Series> {
    crossings_per_n(pts, &c.label(), "fail_fraction", "value2", "err2")
}

fn render_collapse(dir: &Path, c: &CollapseCheck, pts: &Table) -> Result<Vec<PathBuf>> {
    let label = c.label();
    let theory = crate::diffusion::s2_collapse(c.alpha.0)?;
    let (cc, cs, cn, cv, ce) = (
        pts.col("check")?,
        pts.col("series")?,
        pts.col("n")?,
        pts.col("value")?,
        pts.col("err")?,
    );
    let get = |name: &str| -> Series {
        (0..pts.rows.len())
            .filter(|&i| pts.rows[i][cc] == label && pts.rows[i][cs] == name)
            .map(|i| (pts.num(i, cn) as usize, pts.num(i, cv), pts.num(i, ce)))
            .collect()
    };
    let (fwd, bwd) = (get("forward_s2"), get("backward_s2"));
    let fits: Vec<Extrapolation> = if fwd.len() >= 2 {
        FssForm::ALL
            .iter()
            .filter_map(|&f| extrapolate(&fwd, f, theory))
            .collect()
    } else {
        vec![]
    };
    let series: Vec<super::dam::CrossingSeries> = [
        ("forward: w_{1} = 1/2 (exact draws)".to_string(), fwd),
        ("backward: reverse SDE, median".to_string(), bwd),
    ]
    .into_iter()
    .filter(|s| !s.1.is_empty())
    .collect();
    let mut fig = super::dam::fss_figure(&series, &fits, theory);
    fig.y_label = format!("collapse noise s^{{2}}, α = {}", fmt(c.alpha.0));
    fig.legend = Legend::UpperLeft;
    if let Some(first) = fig.curves.first_mut() {
        first.label = format!("s_{{C}}^{{2}} = 1/(e^{{2α}} − 1) = {theory:.4}");
    }
    fig.render(&dir.join(format!("collapse_a{}", fmt(c.alpha.0))))
}

impl super::Study for ValidationSection {
    fn validate(&self, origin: &str) -> Result<()> {
        for (i, c) in self.crossing.iter().enumerate() {
            let key = format!("{origin}: key 'validation.crossing[{i}]");
            match (&c.alpha, &c.windows) {
                (Some(_), Some(_)) | (None, None) => {
                    return Err(EngramError::Config(format!(
                        "{key}': give exactly one of 'alpha' (one grid for every N) and 'windows' (one [lo, hi] per N)"
                    )))
                }
                (None, Some(w)) => {
                    if w.len() != c.n.values().len() {
                        return Err(EngramError::Config(format!(
                            "{key}.windows': {} windows for {} sizes N; expected one [lo, hi] per N",
                            w.len(),
                            c.n.values().len()
                        )));
                    }
                    if let Some(bad) = w.iter().find(|w| !(w[0] > 0.0 && w[1] > w[0])) {
                        return Err(EngramError::Config(format!(
                            "{key}.windows': [{}, {}] is not a window 0 < lo < hi",
                            bad[0], bad[1]
                        )));
                    }
                }
                _ => {}
            }
            if c.alpha_points.0 < 2 {
                return Err(EngramError::Config(format!(
                    "{key}.alpha_points': expected at least 2 loads per window"
                )));
            }
            w_theta(self.threshold.0, c.rho())
                .map_err(|e| EngramError::Config(format!("{origin}: {e}")))?;
        }
        // every point's domain, store size and run time, before anything runs
        self.plan(false).map_err(|e| match e {
            EngramError::Config(m) => EngramError::Config(format!("{origin}: {m}")),
            e => EngramError::Config(format!("{origin}: key 'validation': {e}")),
        })?;
        Ok(())
    }
    fn run(&self, cx: &super::Context) -> Result<Vec<PathBuf>> {
        ValidationSection::run(self, cx.dir, cx.schedule, cx.quick, cx.progress)
    }
    fn render(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        ValidationSection::render(self, dir)
    }
    fn seed(&self) -> Option<u64> {
        Some(self.seed)
    }
}
