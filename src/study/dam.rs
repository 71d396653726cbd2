//! `[dam_simulation]` studies: the simulation grid with the theory beside it (docs/theory.md#alpha-1, #basins,
//! §10), crossings α_{1/2}(N) with their a + b ln N/N extrapolation, and the figure.

use std::path::{Path, PathBuf};

use crate::dam::batch::{Batch, Precision, Streams, Targets};
use crate::dam::params::{SimParams, Start};
use crate::dam::sim::samples_in_flight;
use crate::dam::summary::simulate_batch;
use crate::dam::table::{summary_row, SimRow};
use crate::dam::DamTheory;
use crate::error::{EngramError, Result};
use crate::plot::{Curve, Figure, Points, Style, VLine};
use crate::rem::RemPoint;

use crate::io::table::Table;
use crate::io::Progress;

use serde::Deserialize;

use super::values::{one_u64, CosineSweep, Count, PositiveNumber, PositiveSweep, WholeSweep};
use crate::ensembles::EnsembleKind;

/// `[dam_simulation]`: the grid n × alpha × lambda (× cosine) of `engram dam simulate`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DamSimulationSection {
    /// Pattern ensemble.
    pub ensemble: EnsembleKind,
    /// Numbers of neurons (whole numbers ≥ 2); one curve per N.
    pub n: WholeSweep,
    /// Loads α > 0.
    pub alpha: PositiveSweep,
    /// Inverse temperatures λ > 0.
    pub lambda: PositiveSweep,
    /// Initial cosines with ξ¹ in [−1, 1] (basins); absent: x₀ = ξ¹.
    pub cosine: Option<CosineSweep>,
    /// Squared norm per component of a cosine start (default ρ₁).
    pub r: Option<PositiveNumber>,
    /// Samples per point (≥ 1).
    pub samples: Count,
    /// Step size η (default 0.5).
    #[serde(default = "PositiveNumber::half")]
    pub eta: PositiveNumber,
    /// Maximum steps (default 1000).
    #[serde(default = "Count::thousand")]
    pub max_steps: Count,
    /// Stopping tolerance (default 1e-6).
    #[serde(default = "PositiveNumber::xtol")]
    pub xtol: PositiveNumber,
    /// Retrieval threshold on Δ₀ (default 0.05).
    #[serde(default = "PositiveNumber::threshold")]
    pub threshold: PositiveNumber,
    /// Seed (default 1).
    #[serde(default = "one_u64")]
    pub seed: u64,
    /// Memory budget for pattern stores in flight, GiB (default 4).
    #[serde(default = "PositiveNumber::four")]
    pub memory_gib: PositiveNumber,
    /// Horizontal axis of the figure: alpha, lambda or cosine.
    pub x_axis: XAxis,
    /// Plotted observable: p_retrieved (default) or delta0.
    #[serde(default)]
    pub y: YAxis,
    /// Compute the crossings α_{1/2}(N) and their 1/N extrapolation (x_axis = alpha).
    #[serde(default)]
    pub crossing: bool,
    /// Retrieval targets per pattern store: a whole number K (default 1) or "all" (then
    /// `samples` counts stores). Errors are cluster-robust over stores.
    #[serde(default)]
    pub targets: TargetsValue,
    /// Planted squared norm per component ρ of every target (default: as drawn).
    pub target_norm: Option<PositiveNumber>,
    /// Pattern store format: "f32" (default), "f16" or "i8" (binary only).
    #[serde(default)]
    pub store: FromStrValue<Precision>,
    /// Random streams across the grid: "shared" (default, common random numbers) or
    /// "independent" (seeded per point).
    #[serde(default)]
    pub streams: FromStrValue<Streams>,
    /// Refuse points whose estimated run time exceeds this many hours (default 1).
    #[serde(default = "PositiveNumber::one")]
    pub max_hours: PositiveNumber,
}

impl DamSimulationSection {
    /// The batch layout of every point.
    pub fn batch(&self) -> Batch {
        Batch {
            targets: self.targets.0,
            target_norm: self.target_norm.map(|r| r.0),
            precision: self.store.0,
            streams: self.streams.0,
            max_seconds: self.max_hours.0 * 3600.0,
        }
    }
}

/// `targets`: a whole number or "all".
#[derive(Debug, Clone, Copy)]
pub struct TargetsValue(pub Targets);

impl Default for TargetsValue {
    fn default() -> Self {
        TargetsValue(Targets::Auto)
    }
}

impl<'de> Deserialize<'de> for TargetsValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error;
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum V {
            Int(i64),
            Text(String),
        }
        let bad = || {
            D::Error::custom("expected \"auto\", a whole number K >= 1, \"at-most:K\" or \"all\"")
        };
        match V::deserialize(d).map_err(|_| bad())? {
            V::Int(k) if k >= 1 => Ok(TargetsValue(Targets::Count(k as usize))),
            V::Int(_) => Err(bad()),
            V::Text(t) => t.parse().map(TargetsValue).map_err(D::Error::custom),
        }
    }
}

/// A config string parsed by the type's `FromStr` (its error names the allowed values).
#[derive(Debug, Clone, Copy, Default)]
pub struct FromStrValue<T>(pub T);

impl<'de, T: std::str::FromStr<Err = String>> Deserialize<'de> for FromStrValue<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error;
        let s = String::deserialize(d)?;
        s.parse().map(FromStrValue).map_err(D::Error::custom)
    }
}

/// Figure x axis of a DAM simulation study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum XAxis {
    /// Load α (theory: α₁(λ)).
    Alpha,
    /// Inverse temperature λ (theory: λ_c(α)).
    Lambda,
    /// Initial cosine (theory: cos_c).
    Cosine,
}

/// Figure y axis of a DAM simulation study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum YAxis {
    /// Retrieval probability.
    #[default]
    PRetrieved,
    /// Mean Δ₀.
    Delta0,
}

/// One row of theory.csv of a DAM simulation study: a theory value (α₁, λ_c, cos_c) or a
/// crossing α_{1/2}(N) and its extrapolation (n = inf).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DamTheoryRow {
    /// alpha_1, alpha_half, alpha_half_extrapolated, lambda_c or cos_c.
    pub quantity: String,
    /// N of a crossing (inf: extrapolated; empty: N → ∞ theory).
    pub n: Option<f64>,
    /// Load α (empty where a crossing is absent).
    pub alpha: Option<f64>,
    /// Inverse temperature λ.
    pub lambda: f64,
    /// Squared norm per component of the start (cos_c rows).
    pub r: Option<f64>,
    /// The value (empty where a crossing is absent).
    pub value: Option<f64>,
    /// Its error (0 for a closed-form theory value; empty where the value is).
    pub err: Option<f64>,
    /// `ok`, or `no_crossing`: the simulated p_retrieved does not cross ½ in the α window at
    /// this N (or fewer than two N crossed, for the extrapolation).
    pub status: String,
}

/// A sweep's values, reduced to at most `k` for `--quick` ([`thin`]).
pub fn thinned(v: &[f64], quick: bool, k: usize) -> Vec<f64> {
    if quick {
        thin(v, k)
    } else {
        v.to_vec()
    }
}

/// Reduce a sweep for `--quick`: at most `k` values, first and last kept.
pub fn thin(v: &[f64], k: usize) -> Vec<f64> {
    if v.len() <= k {
        return v.to_vec();
    }
    (0..k).map(|i| v[(i * (v.len() - 1)) / (k - 1)]).collect()
}

/// One point of a DAM simulation study: everything that changes its result (the resume key).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct DamPoint {
    /// Pattern ensemble.
    pub ensemble: EnsembleKind,
    /// The simulation parameters.
    pub params: SimParams,
    /// The batch layout.
    pub batch: Batch,
    /// Samples (targets, or stores for `targets = all`).
    pub samples: usize,
}

/// The grid of simulation points, in a fixed order (n outer, then α, λ, cosine).
pub fn points(cfg: &DamSimulationSection, quick: bool) -> Result<(Vec<SimParams>, usize)> {
    let kind = cfg.ensemble;
    let r0 = cfg.r.map_or(kind.ensemble().rho1(), |r| r.0);
    let starts: Vec<Start> = match &cfg.cosine {
        None => vec![Start::Pattern],
        Some(c) => {
            let v = thinned(c.values(), quick, 4);
            v.into_iter()
                .map(|cosine| Start::Cosine { cosine, r: r0 })
                .collect()
        }
    };
    let ns: Vec<f64> = if quick {
        // the two first N, capped (16, 24) and kept distinct
        cfg.n
            .values()
            .iter()
            .take(2)
            .enumerate()
            .map(|(i, &n)| n.min(16.0 + 8.0 * i as f64))
            .collect()
    } else {
        cfg.n.values().to_vec()
    };
    let alphas = thinned(cfg.alpha.values(), quick, 4);
    let lambdas = thinned(cfg.lambda.values(), quick, 4);
    let samples = if quick {
        cfg.samples.0.min(8)
    } else {
        cfg.samples.0
    };
    let mut pts = Vec::new();
    for &n in &ns {
        for &alpha in &alphas {
            for &lambda in &lambdas {
                for &start in &starts {
                    let p = SimParams::new(n as usize, alpha, lambda, start, cfg.seed)?
                        .with_dynamics(cfg.eta.0, cfg.max_steps.0, cfg.xtol.0, cfg.threshold.0)?;
                    let memory = cfg.memory_gib.0 * 1024f64.powi(3);
                    let batch = cfg.batch();
                    batch.validate(&p, cfg.ensemble.name())?;
                    if batch.is_single_target() {
                        samples_in_flight(&p, memory, 1)?;
                    } else {
                        batch.check(&p, samples, memory, rayon::current_num_threads())?;
                    }
                    pts.push(p);
                }
            }
        }
    }
    Ok((pts, samples))
}

/// Write simulation.csv and theory.csv from the rows of every point.
pub fn assemble(cfg: &DamSimulationSection, rows: Vec<SimRow>, dir: &Path) -> Result<Vec<PathBuf>> {
    let theory = theory_table(cfg, &rows)?;
    super::write_tables(
        dir,
        vec![
            ("simulation.csv", crate::io::rows::to_csv(&rows)?),
            ("theory.csv", crate::io::rows::to_csv(&theory)?),
        ],
    )
}

/// theory.csv: α₁(λ) (x = alpha) with the simulated crossings and their extrapolation,
/// λ_c(α) (x = lambda), or the basin edge cos_c(α, λ, r) (x = cosine).
pub fn theory_table(cfg: &DamSimulationSection, sim: &[SimRow]) -> Result<Vec<DamTheoryRow>> {
    let kind = cfg.ensemble;
    let theory = DamTheory::new(kind.ensemble())?;
    let uniq = |f: fn(&SimRow) -> f64| {
        let mut v: Vec<f64> = sim.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v.dedup();
        v
    };
    let row = |quantity: &str,
               n: Option<f64>,
               alpha: f64,
               lambda: f64,
               r: Option<f64>,
               value: f64,
               err: f64| DamTheoryRow {
        quantity: quantity.into(),
        n,
        alpha: Some(alpha),
        lambda,
        r,
        value: Some(value),
        err: Some(err),
        status: "ok".into(),
    };
    let absent = |quantity: &str, n: f64, lambda: f64| DamTheoryRow {
        quantity: quantity.into(),
        n: Some(n),
        alpha: None,
        lambda,
        r: None,
        value: None,
        err: None,
        status: "no_crossing".into(),
    };
    let mut rows = Vec::new();
    match cfg.x_axis {
        XAxis::Alpha => {
            for &l in &uniq(|s| s.lambda) {
                let (a1, _) = theory.alpha_1(l)?;
                rows.push(row("alpha_1", None, a1, l, None, a1, 0.0));
                if cfg.crossing {
                    let mut crossings = Vec::new();
                    for &n in &uniq(|s| s.n as f64) {
                        let mut curve: Vec<(f64, f64, f64)> = sim
                            .iter()
                            .filter(|s| s.n as f64 == n && s.lambda == l)
                            .map(|s| {
                                let n_eff = crate::dam::fss::effective_count(
                                    s.samples as f64,
                                    s.design_effect,
                                );
                                (s.alpha, s.p_retrieved, n_eff)
                            })
                            .collect();
                        // probit fit of the curve near ½ (docs/theory.md#simulator)
                        match crate::dam::fss::crossing_at(&mut curve) {
                            Some((ac, err)) => {
                                crossings.push((n as usize, ac, err));
                                rows.push(row("alpha_half", Some(n), ac, l, None, ac, err));
                            }
                            None => rows.push(absent("alpha_half", n, l)),
                        }
                    }
                    // the fold's form a − ln N/N + b/N (docs/theory.md#fold)
                    let fit = crate::dam::fss::extrapolate(
                        &crossings,
                        crate::dam::fss::FssForm::Fold,
                        a1,
                    );
                    match fit.map(|f| (f.a, f.a_err)) {
                        Some((ai, err)) => rows.push(row(
                            "alpha_half_extrapolated",
                            Some(f64::INFINITY),
                            ai,
                            l,
                            None,
                            ai,
                            err,
                        )),
                        None => rows.push(absent("alpha_half_extrapolated", f64::INFINITY, l)),
                    }
                }
            }
        }
        XAxis::Lambda => {
            for &a in &uniq(|s| s.alpha) {
                let lc = theory.lambda_c(a)?;
                rows.push(row("lambda_c", None, a, lc, None, lc, 0.0));
            }
        }
        XAxis::Cosine => {
            for &a in &uniq(|s| s.alpha) {
                for &l in &uniq(|s| s.lambda) {
                    for &r in &uniq(|s| s.r) {
                        let b = theory.basin(RemPoint::new(a, l, r)?)?;
                        rows.push(row("cos_c", None, a, l, Some(r), b.cos_c, 0.0));
                    }
                }
            }
        }
    }
    Ok(rows)
}

/// Render the study's figure from its CSV files: `<y>_vs_<x>.{png,svg}` and the talk size.
pub fn render(cfg: &DamSimulationSection, dir: &Path) -> Result<Vec<PathBuf>> {
    let sim = Table::read(&dir.join("simulation.csv"))?;
    let theory = Table::read(&dir.join("theory.csv"))?;
    let (xcol, xlabel, xname) = match cfg.x_axis {
        XAxis::Alpha => ("alpha", "load α", "alpha"),
        XAxis::Lambda => ("lambda", "inverse temperature λ", "lambda"),
        XAxis::Cosine => ("cosine", "initial cosine with ξ¹", "cosine"),
    };
    let (ycol, ecol, ylabel, yname) = match cfg.y {
        YAxis::PRetrieved => (
            "p_retrieved",
            "p_retrieved_err",
            "retrieval probability",
            "p_retrieved",
        ),
        YAxis::Delta0 => ("delta0", "delta0_err", "mean Δ₀ = ‖x* − ξ¹‖²/N", "delta0"),
    };
    let (cx, cy, ce, cn) = (
        sim.col(xcol)?,
        sim.col(ycol)?,
        sim.col(ecol)?,
        sim.col("n")?,
    );
    // one curve per distinct combination of the non-axis parameters
    let others: Vec<usize> = ["n", "alpha", "lambda", "cosine"]
        .iter()
        .filter(|c| **c != xcol)
        .map(|c| sim.col(c))
        .collect::<Result<_>>()?;
    // probabilities carry their asymmetric (Wilson) interval, inside [0, 1]
    let wilson = match cfg.y {
        YAxis::PRetrieved => Some((sim.col("p_retrieved_lo")?, sim.col("p_retrieved_hi")?)),
        YAxis::Delta0 => None,
    };
    type Group = (Vec<String>, Vec<((f64, f64, f64), (f64, f64))>);
    let mut groups: Vec<Group> = Vec::new();
    for i in 0..sim.rows.len() {
        let key: Vec<String> = others.iter().map(|&c| sim.rows[i][c].clone()).collect();
        let (y, e) = (sim.num(i, cy), sim.num(i, ce));
        let pt = (sim.num(i, cx), y, e);
        let bar = match wilson {
            Some((lo, hi)) => (sim.num(i, lo), sim.num(i, hi)),
            None => (y - e, y + e),
        };
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => g.1.push((pt, bar)),
            None => groups.push((key, vec![(pt, bar)])),
        }
    }
    let varying: Vec<bool> = (0..others.len())
        .map(|j| groups.iter().any(|g| g.0[j] != groups[0].0[j]))
        .collect();
    let names = ["N", "α", "λ", "cos"];
    let other_names: Vec<&str> = ["n", "alpha", "lambda", "cosine"]
        .iter()
        .zip(names)
        .filter(|(c, _)| **c != xcol)
        .map(|(_, n)| n)
        .collect();
    let mut fig = Figure {
        x_label: xlabel.into(),
        y_label: ylabel.into(),
        // Δ₀ is heavy-tailed (most samples near 0, a few near 2): mean ± SE on a linear axis,
        // where the lower bars do not run off a log scale
        y_log: false,
        y_range: (cfg.y == YAxis::PRetrieved).then_some((-0.03, 1.03)),
        legend: if cfg.x_axis == XAxis::Cosine {
            crate::plot::Legend::LowerRight
        } else {
            crate::plot::Legend::UpperRight
        },
        ..Default::default()
    };
    // the fixed parameters: everything that is the same in every curve
    let fixed: Vec<String> = (0..others.len())
        .filter(|&j| !varying[j] && others[j] != cn && !groups.is_empty())
        .map(|j| match (other_names[j], groups[0].0[j].as_str()) {
            ("cos", "1") => "x_{0} = ξ^{1}".to_string(),
            (name, v) => format!("{name} = {v}"),
        })
        .collect();
    let mut parts = vec![format!("{} patterns", cfg.ensemble)];
    parts.extend(fixed);
    if let (Ok(c), Some(r)) = (sim.col("samples"), sim.rows.first()) {
        parts.push(format!("{} samples per point", r[c]));
    }
    fig.subtitle = parts.join(", ");
    for (gi, (key, mut pb)) in groups.into_iter().enumerate() {
        pb.sort_by(|a, b| a.0 .0.total_cmp(&b.0 .0));
        let (pts, bars): (Points, Vec<(f64, f64)>) = pb.into_iter().unzip();
        let label: Vec<String> = key
            .iter()
            .enumerate()
            .filter(|(j, _)| varying[*j] || (others[*j] == cn))
            .map(|(j, v)| format!("{} = {v}", other_names[j]))
            .collect();
        fig.curves
            .push(Curve::new(label.join(", "), Style::Points, gi, pts).with_bars(bars));
    }
    // the published point this protocol reproduces: Lucibello & Mézard (2024), gaussian
    // patterns, N = 60, α = 0.2, λ = 0.3, mean Δ₀ = 0.43 ± 0.014
    if cfg.y == YAxis::Delta0
        && cfg.x_axis == XAxis::Lambda
        && cfg.ensemble == EnsembleKind::Gaussian
    {
        let has =
            |col: usize, v: f64| (0..sim.rows.len()).any(|i| (sim.num(i, col) - v).abs() < 1e-12);
        if has(cn, 60.0) && has(sim.col("alpha")?, 0.2) {
            // drawn 0.01 to the right of λ = 0.3 so that it does not hide engram's points
            fig.curves.push(Curve::new(
                "published N = 60 (LM 2024), at λ = 0.3 + 0.01",
                Style::Points,
                3,
                vec![(0.31, 0.43, 0.014)],
            ));
        }
    }
    let (tq, tv) = (theory.col("quantity")?, theory.col("value")?);
    let mut color = 6; // black for theory lines
    for i in 0..theory.rows.len() {
        let q = theory.rows[i][tq].as_str();
        let label = match q {
            "alpha_1" => "α_{1}(λ), theory",
            "alpha_half_extrapolated" => "α_{1/2}(N → ∞), fit a − lnN/N + b/N",
            "lambda_c" => "λ_{c}(α), theory",
            "cos_c" => "one-step edge, theory",
            _ => continue,
        };
        fig.vlines.push(VLine {
            x: theory.num(i, tv),
            label: label.into(),
            color,
        });
        color = if color == 6 { 4 } else { color + 1 };
    }
    fig.render(&dir.join(format!("{yname}_vs_{xname}")))
        .map_err(|e| EngramError::Io(e.to_string()))
}

impl super::Study for DamSimulationSection {
    type Point = DamPoint;
    type Row = SimRow;
    fn validate(&self, origin: &str) -> Result<()> {
        if self.crossing && self.x_axis != XAxis::Alpha {
            return Err(EngramError::Config(format!(
                "{origin}: key 'dam_simulation.crossing': needs x_axis = \"alpha\""
            )));
        }
        if self.crossing && self.alpha.values().len() < 2 {
            return Err(EngramError::Config(format!(
                "{origin}: key 'dam_simulation.alpha' = {:?}: a crossing needs at least two loads, \
                 on both sides of p_retrieved = 1/2",
                self.alpha.values()
            )));
        }
        if (self.x_axis == XAxis::Cosine) != self.cosine.is_some() {
            return Err(EngramError::Config(format!(
                "{origin}: key 'dam_simulation.cosine': give cosine exactly when x_axis = \"cosine\""
            )));
        }
        Ok(())
    }
    fn points(&self, quick: bool) -> Result<Vec<DamPoint>> {
        let (pts, samples) = points(self, quick)?;
        Ok(pts
            .into_iter()
            .map(|params| DamPoint {
                ensemble: self.ensemble,
                params,
                batch: self.batch(),
                samples,
            })
            .collect())
    }
    fn units(&self, p: &DamPoint) -> u64 {
        p.batch.total_targets(&p.params, p.samples) as u64
    }
    fn compute(&self, p: &DamPoint, progress: &Progress) -> Result<Vec<SimRow>> {
        let memory = self.memory_gib.0 * 1024f64.powi(3);
        let s = simulate_batch(
            p.ensemble.sampler(),
            &p.params,
            &p.batch,
            p.samples,
            memory,
            &|| progress.inc(),
        )?;
        Ok(vec![summary_row(p.ensemble, &s)?])
    }
    fn assemble(&self, rows: Vec<SimRow>, dir: &Path, _quick: bool) -> Result<Vec<PathBuf>> {
        assemble(self, rows, dir)
    }
    fn render(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        render(self, dir)
    }
    fn seed(&self) -> Option<u64> {
        Some(self.seed)
    }
}
