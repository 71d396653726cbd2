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

mod all_patterns;
pub mod analysis;
mod collapse;
mod crossing;

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::dam::batch::{Batch, Precision};
use crate::ensembles::EnsembleKind;
use crate::error::{EngramError, Result};
use crate::io::Progress;

use super::dam::{thin, FromStrValue, TargetsValue};
use super::values::{one_u64, Count, PositiveNumber, PositiveSweep, WholeSweep};
use analysis::{PointRow, Tables};

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
    /// Draws of the finite-N map per (check, N) (default 2000; docs/theory.md#fold).
    #[serde(default = "Count::two_thousand")]
    pub map_samples: Count,
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
    /// Targets per store: "auto" (default: ≥ 30 stores, ≤ 64 targets per store), K, "all" or
    /// "at-most:K".
    #[serde(default)]
    pub targets: TargetsValue,
    /// Planted squared norm per component ρ (channel (a)); absent: as drawn (α₁).
    pub target_norm: Option<PositiveNumber>,
    /// Store format "f32" (default), "f16", "i8" (binary only).
    #[serde(default)]
    pub store: FromStrValue<Precision>,
    /// Whether to run the finite-N map at each N (default true). The hidden manifold's map
    /// draws each overlap in O(ND) and takes minutes per N; the finite-N REM still runs.
    #[serde(default = "yes")]
    pub finite_n_map: bool,
    /// Whether to run the finite-N REM at each N (default true). For nonlinear hidden-manifold
    /// patterns it draws e^{αN} overlaps of O(ND) each per sample: hours at N ≥ 56.
    #[serde(default = "yes")]
    pub finite_n_rem: bool,
}

fn yes() -> bool {
    true
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

/// One measurement of the atlas (its index `check` is into the section's list of that kind).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Job {
    /// p_retrieved at (N, α).
    Retrieval { check: usize, n: usize, alpha: f64 },
    /// Finite-N REM α_{1/2} at weight threshold w.
    Rem { check: usize, n: usize, w: f64 },
    /// α½(N) of the finite-N map (docs/theory.md#fold).
    Map { check: usize, n: usize },
    /// All patterns at (N, α).
    All { check: usize, n: usize, alpha: f64 },
    /// Finite-N REM failure fraction at (N, α) and weight w_θ.
    RemFail { check: usize, n: usize, alpha: f64 },
    /// Forward collapse s²_{1/2}(N).
    Forward { check: usize, n: usize },
    /// Backward collapse (median s² of condensation).
    Backward { check: usize, n: usize },
}

/// A point of the atlas: the job and every setting that changes its result (the resume key).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ValidationPoint {
    /// The measurement.
    pub job: Job,
    /// Its check's label.
    pub check: String,
    /// The batch layout (simulated DAM points).
    pub batch: Option<Batch>,
    /// Targets (crossing), stores (all patterns), draws (forward) or trajectories (backward).
    pub count: usize,
    /// Finite-N REM draws.
    pub rem_samples: usize,
    /// Reverse SDE (t_max, t_min, steps) of a backward point.
    pub reverse: Option<(f64, f64, usize)>,
    /// Seed.
    pub seed: u64,
    /// Retrieval threshold on Δ₀.
    pub threshold: f64,
}

/// What a point's computation gets: the section, the point, the progress tick.
#[derive(Clone, Copy)]
struct JobCx<'a> {
    v: &'a ValidationSection,
    pt: &'a ValidationPoint,
    tick: &'a (dyn Fn() + Sync),
}

/// Name the check, N and α in a point's error.
fn in_check(check: &str, n: usize, alpha: f64, e: EngramError) -> EngramError {
    EngramError::Config(format!(
        "key 'validation.{check}' at N = {n}, alpha = {alpha}: {e}"
    ))
}

/// The matched weight threshold w_θ (docs/theory.md#fss) of an ensemble at λ and target norm ρ,
/// as a config error.
fn w_theta(threshold: f64, kind: EnsembleKind, lambda: f64, rho: f64) -> Result<f64> {
    let b1 = crate::dam::fss::tilted_mean_at_target(kind.ensemble(), lambda, rho);
    crate::dam::fss::w_theta(threshold, rho, b1)
        .map_err(|e| EngramError::Config(format!("key 'validation.threshold': {e}")))
}

/// The sizes N of a sweep, the first `k` of them for `--quick`.
fn sizes(n: Option<&WholeSweep>, quick: bool, k: usize) -> Vec<usize> {
    let v = n
        .map_or(&[][..], |s| s.values())
        .iter()
        .map(|&n| n as usize);
    if quick {
        v.take(k).collect()
    } else {
        v.collect()
    }
}

fn linspace(lo: f64, hi: f64, k: usize) -> Vec<f64> {
    if k <= 1 {
        return vec![lo];
    }
    (0..k)
        .map(|i| lo + (hi - lo) * i as f64 / (k - 1) as f64)
        .collect()
}

impl ValidationSection {
    fn memory(&self) -> f64 {
        self.memory_gib.0 * 1024f64.powi(3)
    }

    fn point(
        &self,
        job: Job,
        check: String,
        batch: Option<Batch>,
        count: usize,
        rem: usize,
    ) -> ValidationPoint {
        ValidationPoint {
            job,
            check,
            batch,
            count,
            rem_samples: rem,
            reverse: None,
            seed: self.seed,
            threshold: self.threshold.0,
        }
    }

    /// Every point of a run (after `--quick` thinning), validated.
    fn plan(&self, quick: bool) -> Result<Vec<ValidationPoint>> {
        let q = |full: usize, small: usize| if quick { full.min(small) } else { full };
        let rem = q(self.rem_samples.0, 64);
        let map = q(self.map_samples.0, 32);
        let mut pts = Vec::new();
        for (c, ch) in self.crossing.iter().enumerate() {
            pts.extend(ch.points(self, c, quick, q(ch.samples.0, 16), rem, map)?);
        }
        for (c, ch) in self.all_patterns.iter().enumerate() {
            pts.extend(ch.points(self, c, quick, q(ch.stores.0, 4), rem)?);
        }
        for (c, ch) in self.collapse.iter().enumerate() {
            pts.extend(ch.points(
                self,
                c,
                quick,
                q(ch.draws.0, 16),
                q(ch.backward_samples.0, 4),
                q(ch.steps.0, 100),
            ));
        }
        Ok(pts)
    }

    /// Crossings, fits and comparisons from the points.
    pub fn analyse(&self, pts: &[PointRow]) -> Result<Tables> {
        let mut out = Tables::default();
        for c in &self.crossing {
            c.analyse(pts, &mut out)?;
        }
        for c in &self.all_patterns {
            c.analyse(pts, &mut out)?;
        }
        for c in &self.collapse {
            c.analyse(pts, &mut out)?;
        }
        Ok(out)
    }

    /// The atlas figures from points.csv.
    pub fn render(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        let pts: Vec<PointRow> = crate::io::rows::read_csv(&dir.join("points.csv"))?;
        let mut out = Vec::new();
        let mut extrapolated = Vec::new();
        for c in &self.crossing {
            let (files, ex) = c.render(dir, &pts)?;
            out.extend(files);
            extrapolated.push(ex);
        }
        out.extend(crossing::render_thresholds(self, dir, &extrapolated, &pts)?);
        out.extend(crossing::render_channel_a(dir, &extrapolated)?);
        for c in &self.all_patterns {
            out.extend(c.render_failure(dir, &pts)?);
        }
        for c in &self.collapse {
            out.extend(c.render(dir, &pts)?);
        }
        Ok(out)
    }
}

impl super::Study for ValidationSection {
    type Point = ValidationPoint;
    type Row = PointRow;
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
            if c.alpha_points.0 < 2 || c.alpha_points.0 > 1000 {
                return Err(EngramError::Config(format!(
                    "{key}.alpha_points' = {}: expected 2 to 1000 loads per window",
                    c.alpha_points.0
                )));
            }
            w_theta(self.threshold.0, c.ensemble, c.lambda.0, c.rho())
                .map_err(|e| EngramError::Config(format!("{origin}: {e}")))?;
        }
        // every point's domain, store size and run time, before anything runs
        self.plan(false).map(|_| ()).map_err(|e| match e {
            EngramError::Config(m) => EngramError::Config(format!("{origin}: {m}")),
            e => EngramError::Config(format!("{origin}: key 'validation': {e}")),
        })?;
        Ok(())
    }
    fn points(&self, quick: bool) -> Result<Vec<ValidationPoint>> {
        self.plan(quick)
    }
    fn units(&self, p: &ValidationPoint) -> u64 {
        match p.job {
            Job::Retrieval { .. } => p.count as u64,
            Job::Rem { .. } | Job::RemFail { .. } => p.rem_samples as u64,
            Job::Map { .. } => p.rem_samples as u64,
            Job::All { n, alpha, .. } => (p.count as f64 * (alpha * n as f64).exp().round()) as u64,
            Job::Forward { .. } | Job::Backward { .. } => p.count as u64,
        }
    }
    fn compute(&self, p: &ValidationPoint, progress: &Progress) -> Result<Vec<PointRow>> {
        let tick = || progress.inc();
        let cx = JobCx {
            v: self,
            pt: p,
            tick: &tick,
        };
        Ok(vec![match p.job {
            Job::Retrieval { check, n, alpha } => self.crossing[check].retrieval(&cx, n, alpha)?,
            Job::Rem { check, n, w } => self.crossing[check].rem(&cx, n, w)?,
            Job::Map { check, n } => self.crossing[check].map(&cx, n)?,
            Job::All { check, n, alpha } => self.all_patterns[check].all(&cx, n, alpha)?,
            Job::RemFail { check, n, alpha } => self.all_patterns[check].rem_fail(&cx, n, alpha)?,
            Job::Forward { check, n } => self.collapse[check].forward(&cx, n)?,
            Job::Backward { check, n } => self.collapse[check].backward(&cx, n)?,
        }])
    }
    fn assemble(&self, rows: Vec<PointRow>, dir: &Path, _quick: bool) -> Result<Vec<PathBuf>> {
        let Tables { fss, summary } = self.analyse(&rows)?;
        super::write_tables(
            dir,
            vec![
                ("points.csv", crate::io::rows::to_csv(&rows)?),
                ("fss.csv", crate::io::rows::to_csv(&fss)?),
                ("summary.csv", crate::io::rows::to_csv(&summary)?),
            ],
        )
    }
    fn render(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        ValidationSection::render(self, dir)
    }
    fn seed(&self) -> Option<u64> {
        Some(self.seed)
    }
}
