//! `[dam_simulation]` studies: the simulation grid with the theory beside it (docs/theory.md#alpha-1, #basins,
//! §10), crossings α_{1/2}(N) with their a + b ln N/N extrapolation, and the figure.

use std::path::{Path, PathBuf};

use crate::dam::batch::{Batch, Precision, Streams, Targets};
use crate::dam::sim::{samples_in_flight, simulate_batch, SimParams, Start};
use crate::dam::sim_table::{summary_row, HEADER};
use crate::dam::DamTheory;
use crate::error::{EngramError, Result};
use crate::plot::{Curve, Figure, Points, Style, VLine};
use crate::rem::RemPoint;
use crate::stats::fmt_num as fmt;

use crate::io::points::{run_points, PointStore, Schedule};
use crate::io::table::Table;
use crate::io::{write_atomic, Progress};

use serde::Deserialize;

use super::config::{one_u64, CosineSweep, Count, PositiveNumber, PositiveSweep, WholeSweep};
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
        TargetsValue(Targets::Count(1))
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
        let bad = || D::Error::custom("expected a whole number K >= 1 or \"all\"");
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

/// Columns of theory.csv of a DAM simulation study.
pub const THEORY_HEADER: [&str; 7] = ["quantity", "n", "alpha", "lambda", "r", "value", "err"];

/// Reduce a sweep for `--quick`: at most `k` values, first and last kept.
pub fn thin(v: &[f64], k: usize) -> Vec<f64> {
    if v.len() <= k {
        return v.to_vec();
    }
    (0..k).map(|i| v[(i * (v.len() - 1)) / (k - 1)]).collect()
}

/// The grid of simulation points, in a fixed order (n outer, then α, λ, cosine).
pub fn points(cfg: &DamSimulationSection, quick: bool) -> Result<(Vec<SimParams>, usize)> {
    let kind = cfg.ensemble;
    let r0 = cfg.r.map_or(kind.ensemble().rho1(), |r| r.0);
    let starts: Vec<Start> = match &cfg.cosine {
        None => vec![Start::Pattern],
        Some(c) => {
            let v = if quick {
                thin(c.values(), 4)
            } else {
                c.values().to_vec()
            };
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
    let alphas = if quick {
        thin(cfg.alpha.values(), 4)
    } else {
        cfg.alpha.values().to_vec()
    };
    let lambdas = if quick {
        thin(cfg.lambda.values(), 4)
    } else {
        cfg.lambda.values().to_vec()
    };
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
                    let p = SimParams {
                        n: n as usize,
                        alpha,
                        lambda,
                        eta: cfg.eta.0,
                        max_steps: cfg.max_steps.0,
                        xtol: cfg.xtol.0,
                        threshold: cfg.threshold.0,
                        start,
                        seed: cfg.seed,
                    };
                    p.validate()?;
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

/// Run the simulation points (resumable, shardable) and write simulation.csv and theory.csv.
/// Returns the files written (none for a shard).
pub fn run(
    cfg: &DamSimulationSection,
    dir: &Path,
    schedule: Schedule,
    quick: bool,
    progress: &Progress,
) -> Result<Vec<PathBuf>> {
    let (pts, samples) = points(cfg, quick)?;
    let kind = cfg.ensemble;
    let batch = cfg.batch();
    let keys: Vec<String> = pts
        .iter()
        .map(|p| format!("{}|{p:?}|{batch:?}|samples={samples}", kind.name()))
        .collect();
    let store = PointStore::new(dir)?;
    let total: f64 = pts.iter().map(|p| batch.total_targets(p, samples)).sum();
    progress.add(total as u64);
    let memory = cfg.memory_gib.0 * 1024f64.powi(3);
    let rows = run_points(&store, &keys, schedule, |k| {
        let s = simulate_batch(kind.sampler(), &pts[k], &batch, samples, memory, &|| {
            progress.inc()
        })?;
        summary_row(kind, &s)
    })?;
    let Some(rows) = rows else {
        return Ok(vec![]);
    };
    let sim = Table::new(&HEADER, rows);
    let sim_path = dir.join("simulation.csv");
    write_atomic(&sim_path, &sim.to_csv()?)?;
    let theory = theory_table(cfg, &sim)?;
    let th_path = dir.join("theory.csv");
    write_atomic(&th_path, &theory.to_csv()?)?;
    Ok(vec![sim_path, th_path])
}

/// theory.csv: α₁(λ) (x = alpha) with the simulated crossings and their extrapolation,
/// λ_c(α) (x = lambda), or the basin edge cos_c(α, λ, r) (x = cosine).
pub fn theory_table(cfg: &DamSimulationSection, sim: &Table) -> Result<Table> {
    let kind = cfg.ensemble;
    let theory = DamTheory::new(kind.ensemble())?;
    let col = |name: &str| sim.col(name);
    let (c_n, c_a, c_l, c_r) = (col("n")?, col("alpha")?, col("lambda")?, col("r")?);
    let uniq = |c: usize| {
        let mut v: Vec<f64> = (0..sim.rows.len()).map(|i| sim.num(i, c)).collect();
        v.sort_by(f64::total_cmp);
        v.dedup();
        v
    };
    let mut rows = Vec::new();
    match cfg.x_axis {
        XAxis::Alpha => {
            for &l in &uniq(c_l) {
                let (a1, _) = theory.alpha_1(l)?;
                rows.push(vec![
                    "alpha_1".into(),
                    String::new(),
                    fmt(a1),
                    fmt(l),
                    String::new(),
                    fmt(a1),
                    "0".into(),
                ]);
                if cfg.crossing {
                    let (c_p, c_e) = (col("p_retrieved")?, col("p_retrieved_err")?);
                    let mut crossings = Vec::new();
                    for &n in &uniq(c_n) {
                        let mut curve: Vec<(f64, f64, f64)> = (0..sim.rows.len())
                            .filter(|&i| sim.num(i, c_n) == n && sim.num(i, c_l) == l)
                            .map(|i| (sim.num(i, c_a), sim.num(i, c_p), sim.num(i, c_e)))
                            .collect();
                        curve.sort_by(|x, y| x.0.total_cmp(&y.0));
                        let a: Vec<f64> = curve.iter().map(|c| c.0).collect();
                        let p: Vec<f64> = curve.iter().map(|c| c.1).collect();
                        let e: Vec<f64> = curve.iter().map(|c| c.2).collect();
                        if let Some((ac, err)) = crate::stats::crossing(&a, &p, &e, 0.5) {
                            crossings.push((n as usize, ac, err));
                            rows.push(vec![
                                "alpha_half".into(),
                                fmt(n),
                                fmt(ac),
                                fmt(l),
                                String::new(),
                                fmt(ac),
                                fmt(err),
                            ]);
                        }
                    }
                    // the theory-motivated extreme-value form (docs/theory.md#fss); 1/N is
                    // rejected by χ² on the atlas's data
                    let fit = crate::dam::fss::extrapolate(
                        &crossings,
                        crate::dam::fss::FssForm::LogNOverN,
                        a1,
                    );
                    if let Some((ai, err)) = fit.map(|f| (f.a, f.a_err)) {
                        rows.push(vec![
                            "alpha_half_extrapolated".into(),
                            "inf".into(),
                            fmt(ai),
                            fmt(l),
                            String::new(),
                            fmt(ai),
                            fmt(err),
                        ]);
                    }
                }
            }
        }
        XAxis::Lambda => {
            for &a in &uniq(c_a) {
                let lc = theory.lambda_c(a)?;
                rows.push(vec![
                    "lambda_c".into(),
                    String::new(),
                    fmt(a),
                    fmt(lc),
                    String::new(),
                    fmt(lc),
                    "0".into(),
                ]);
            }
        }
        XAxis::Cosine => {
            for &a in &uniq(c_a) {
                for &l in &uniq(c_l) {
                    for &r in &uniq(c_r) {
                        let b = theory.basin(RemPoint::new(a, l, r)?)?;
                        rows.push(vec![
                            "cos_c".into(),
                            String::new(),
                            fmt(a),
                            fmt(l),
                            fmt(r),
                            fmt(b.cos_c),
                            "0".into(),
                        ]);
                    }
                }
            }
        }
    }
    Ok(Table::new(&THEORY_HEADER, rows))
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
    let mut groups: Vec<(Vec<String>, Points)> = Vec::new();
    for i in 0..sim.rows.len() {
        let key: Vec<String> = others.iter().map(|&c| sim.rows[i][c].clone()).collect();
        let pt = (sim.num(i, cx), sim.num(i, cy), sim.num(i, ce));
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => g.1.push(pt),
            None => groups.push((key, vec![pt])),
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
        y_log: cfg.y == YAxis::Delta0 && groups.iter().flat_map(|g| &g.1).all(|p| p.1 > 0.0),
        y_range: (cfg.y == YAxis::PRetrieved).then_some((-0.03, 1.03)),
        legend: if cfg.x_axis == XAxis::Cosine {
            crate::plot::Legend::LowerRight
        } else {
            crate::plot::Legend::UpperRight
        },
        ..Default::default()
    };
    for (gi, (key, mut pts)) in groups.into_iter().enumerate() {
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        let label: Vec<String> = key
            .iter()
            .enumerate()
            .filter(|(j, _)| varying[*j] || (others[*j] == cn))
            .map(|(j, v)| format!("{} = {v}", other_names[j]))
            .collect();
        fig.curves.push(Curve {
            label: label.join(", "),
            style: Style::Points,
            color: gi,
            points: pts,
        });
    }
    let (tq, tv) = (theory.col("quantity")?, theory.col("value")?);
    let mut color = 6; // black for theory lines
    for i in 0..theory.rows.len() {
        let q = theory.rows[i][tq].as_str();
        let label = match q {
            "alpha_1" => "α_{1}(λ), theory",
            "alpha_half_extrapolated" => "α_{1/2}(N → ∞), fit a + b lnN/N",
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
    fn validate(&self, origin: &str) -> Result<()> {
        if self.crossing && self.x_axis != XAxis::Alpha {
            return Err(EngramError::Config(format!(
                "{origin}: key 'dam_simulation.crossing': needs x_axis = \"alpha\""
            )));
        }
        if (self.x_axis == XAxis::Cosine) != self.cosine.is_some() {
            return Err(EngramError::Config(format!(
                "{origin}: key 'dam_simulation.cosine': give cosine exactly when x_axis = \"cosine\""
            )));
        }
        Ok(())
    }
    fn run(&self, cx: &super::Context) -> Result<Vec<PathBuf>> {
        run(self, cx.dir, cx.schedule, cx.quick, cx.progress)
    }
    fn render(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        render(self, dir)
    }
    fn seed(&self) -> Option<u64> {
        Some(self.seed)
    }
}

/// A labelled crossing series: (label, [(N, α½, error)]).
pub type CrossingSeries = (String, Vec<(usize, f64, f64)>);

/// Figure of a finite-size analysis: crossing series α_{1/2}(N) against N^{−1/2} (where the
/// empirical form a + b/√N is a straight line), each fit of the first series drawn as a curve
/// from the largest N to N → ∞ (x = 0), and α₁ as a horizontal line. `series`: (label,
/// [(N, α½, error)]); `fits`: fits of the first series.
pub fn fss_figure(
    series: &[CrossingSeries],
    fits: &[crate::dam::fss::Extrapolation],
    alpha_1: f64,
) -> Figure {
    use crate::dam::fss::FssForm;
    let x = |n: f64| 1.0 / n.sqrt();
    let mut fig = Figure {
        x_label: "N^{−1/2}".into(),
        y_label: "α_{1/2}(N)".into(),
        legend: crate::plot::Legend::LowerLeft,
        ..Default::default()
    };
    let n_min = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.0))
        .min()
        .unwrap_or(2) as f64;
    fig.curves.push(Curve {
        label: format!("α_{{1}} = {alpha_1:.4}"),
        style: Style::Line,
        color: 6,
        points: vec![(0.0, alpha_1, 0.0), (x(n_min) * 1.05, alpha_1, 0.0)],
    });
    for (k, f) in fits.iter().enumerate() {
        // the fit a + b·g(N) drawn on the N^{−1/2} axis, from N = ∞ to the smallest N
        let pts: Vec<(f64, f64, f64)> = (0..=60)
            .map(|i| {
                let t = x(n_min) * i as f64 / 60.0;
                let y = if t == 0.0 {
                    f.a
                } else {
                    f.a + f.b * f.form.x(1.0 / (t * t))
                };
                (t, y, 0.0)
            })
            .collect();
        let name = match f.form {
            FssForm::InvN => "fit a + b/N",
            FssForm::LogNOverN => "fit a + b ln N/N",
            FssForm::InvSqrtN => "fit a + b/√N",
        };
        fig.curves.push(Curve {
            label: if !f.p_value.is_finite() {
                format!("{name} (through both points)")
            } else if f.p_value < 1e-3 {
                format!("{name} (p = {:.1e})", f.p_value)
            } else {
                format!("{name} (p = {:.3})", f.p_value)
            },
            style: Style::Dashed,
            color: 1 + k,
            points: pts,
        });
    }
    const SERIES_COLORS: [usize; 3] = [4, 0, 5];
    for (k, (label, pts)) in series.iter().enumerate() {
        fig.curves.push(Curve {
            label: label.clone(),
            style: Style::Points,
            color: SERIES_COLORS[k % 3],
            points: pts.iter().map(|p| (x(p.0 as f64), p.1, p.2)).collect(),
        });
    }
    fig
}
