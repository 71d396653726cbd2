//! `engram dam simulate`: grid of simulation points, CSV with theory beside measurement.

use engram::dam::batch::{Batch, Precision, Streams, Targets};
use engram::dam::params::{SimParams, Start};
use engram::dam::DamTheory;

use clap::Args;

use engram::sweep::ParamList;

use crate::cli::common::{fmt, progress_bar, write_rows, EnsembleArg};

/// Arguments of `engram dam simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    #[command(flatten)]
    pub ens: EnsembleArg,
    /// Number of neurons N >= 2 (list or range).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub n: ParamList,
    /// Load α > 0: P = round(e^{αN}) patterns (list or range).
    #[arg(long, value_name = "A", allow_hyphen_values = true)]
    pub alpha: ParamList,
    /// Inverse temperature λ > 0 (list or range).
    #[arg(long, value_name = "L", allow_hyphen_values = true)]
    pub lambda: ParamList,
    /// Independent samples per point (>= 1).
    #[arg(long, value_name = "S")]
    pub samples: usize,
    /// Step size η > 0 (η = 1 is the attention update).
    #[arg(long, default_value_t = 0.5, allow_hyphen_values = true)]
    pub eta: f64,
    /// Maximum number of steps (>= 1).
    #[arg(long, default_value_t = 1000)]
    pub max_steps: usize,
    /// Stop when ‖Δx‖/√N < xtol (> 0).
    #[arg(long, default_value_t = 1e-6, allow_hyphen_values = true)]
    pub xtol: f64,
    /// Retrieved iff Δ₀ = ‖x* − ξ¹‖²/N < threshold.
    #[arg(long, default_value_t = 0.05, allow_hyphen_values = true)]
    pub threshold: f64,
    /// Start at cosine C with ξ¹ (basins) instead of x₀ = ξ¹ (list or range, in [-1, 1]).
    #[arg(long, value_name = "C", allow_hyphen_values = true)]
    pub cosine: Option<ParamList>,
    /// Squared norm per component of the cosine start, r = ‖x₀‖²/N (default ρ₁).
    #[arg(long, value_name = "R", allow_hyphen_values = true)]
    pub r: Option<f64>,
    /// Seed of the random streams (results depend only on seed and sample index).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Memory budget for the pattern stores in flight, GiB.
    #[arg(long, default_value_t = 4.0, allow_hyphen_values = true)]
    pub memory_gib: f64,
    /// Write the CSV atomically to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub batch: BatchArgs,
}

/// How samples share pattern stores (the K-target engine), store format, random streams.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// Retrieval targets per pattern store: `auto` (the K-target engine with at least 30 stores
    /// per point and at most 64 targets per store, K = min(⌈S/30⌉, 64, P)), the first K patterns
    /// of each store, each with its own trajectory (1 <= K <= P; --samples still counts targets,
    /// so S/K stores; K = 1 is the single-target protocol), `all` (every pattern of the store;
    /// --samples then counts stores), or at-most:K (min(K, P) per store, for sweeps whose small-P
    /// points hold fewer than K patterns). Errors are cluster-robust over stores.
    #[arg(long, value_name = "auto|K|all", default_value = "auto")]
    pub targets: Targets,
    /// Plant every target at squared norm per component ρ = ‖ξ^k‖²/N > 0 (other patterns as drawn).
    #[arg(long, value_name = "RHO", allow_hyphen_values = true)]
    pub target_norm: Option<f64>,
    /// Pattern store format: f32, f16 (the rounded values are the patterns) or i8 (binary only).
    #[arg(long, value_name = "FMT", default_value = "f32")]
    pub store: Precision,
    /// Random streams across the grid: shared (every point reuses streams (seed, s): common random
    /// numbers, smooth curves, correlated neighbours) or independent (seeded per point).
    #[arg(long, value_name = "MODE", default_value = "shared")]
    pub streams: Streams,
    /// Refuse points whose estimated run time exceeds this many hours (matters for --targets all).
    #[arg(
        long,
        value_name = "H",
        default_value_t = 1.0,
        allow_hyphen_values = true
    )]
    pub max_hours: f64,
}

impl BatchArgs {
    /// The library's batch layout.
    pub fn batch(&self) -> anyhow::Result<Batch> {
        if !(self.max_hours > 0.0 && self.max_hours.is_finite()) {
            anyhow::bail!(
                "invalid --max-hours {}: expected a finite number of hours > 0",
                self.max_hours
            );
        }
        Ok(Batch {
            targets: self.targets,
            target_norm: self.target_norm,
            precision: self.store,
            streams: self.streams,
            max_seconds: self.max_hours * 3600.0,
        })
    }
}

/// Arguments of `engram dam crossing`.
#[derive(Debug, Args)]
pub struct CrossingArgs {
    #[command(flatten)]
    pub sim: SimulateArgs,
    /// Also write the retrieval curves (the `dam simulate` table) to this file.
    #[arg(long, value_name = "FILE")]
    pub curve_out: Option<std::path::PathBuf>,
    /// Finite-size analysis: add the finite-N REM crossings per N (weight thresholds ½ and
    /// w_θ = 1 − √(threshold/ρ), ρ = ρ₁ or the planted --target-norm), and fits a + b/N and a + b·lnN/N of every crossing series with
    /// χ², p-value, z against α₁ and leave-one-N-out refits.
    #[arg(long)]
    pub fss: bool,
    /// Draws of the finite-N REM per N (with --fss).
    #[arg(long, value_name = "R", default_value_t = 400)]
    pub rem_samples: usize,
    /// With --fss: also draw α½(N) against N^(−1/2) with the fits and α₁ to STEM.png,
    /// STEM_talk.png and STEM.svg.
    #[arg(long, value_name = "STEM")]
    pub fss_figure: Option<std::path::PathBuf>,
}

/// `engram dam crossing`: α_{1/2}(N) per N, and the 1/N → 0 extrapolation beside α₁(λ).
pub fn crossing(a: CrossingArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    use engram::dam::fss::{
        crossing_at, extrapolate, rem_alpha_half, w_theta, CrossingRow, FitReport, FssForm,
        CROSSING_COLUMNS,
    };
    if a.sim.lambda.values().len() != 1 || a.sim.cosine.is_some() {
        anyhow::bail!(
            "invalid lambda: dam crossing takes one λ and starts at x0 = xi^1 (no --cosine)"
        );
    }
    if a.fss_figure.is_some() && !a.fss {
        anyhow::bail!("invalid --fss-figure: it draws the --fss analysis; give --fss too");
    }
    let kind = a.sim.ens.ensemble;
    let lambda = a.sim.lambda.values()[0];
    if let Some(path) = &a.curve_out {
        engram::io::prepare_output(path)?;
    }
    if let Some(stem) = &a.fss_figure {
        engram::io::prepare_output(&stem.with_extension("svg"))?;
    }
    let (points, summaries, rows) = simulate_grid(&a.sim)?;
    if let Some(path) = &a.curve_out {
        engram::io::write_atomic(path, &engram::io::rows::to_csv(&rows)?)?;
    }
    // planted targets (channel (a) of α_c): the theory is α_f(λ; ρ), α₁ evaluated at norm ρ
    let planted = a.sim.batch.target_norm;
    let rho = planted.unwrap_or(kind.ensemble().rho1());
    let theory = DamTheory::new(kind.ensemble())?;
    let (alpha_1, _) = match planted {
        None => theory.alpha_1(lambda)?,
        Some(r) => theory.failure_load(lambda, r)?,
    };
    let row =
        |n: f64, c: Option<(f64, f64)>, kind: String| CrossingRow::new(n, c, lambda, alpha_1, kind);
    let mut crossings = Vec::new();
    let mut table = Vec::new();
    for &n in a.sim.n.values() {
        let n = n as usize;
        let mut curve: Vec<(f64, f64, f64)> = points
            .iter()
            .zip(&summaries)
            .filter(|(p, _)| p.n == n)
            .map(|(p, s)| {
                let n_eff = engram::dam::fss::effective_count(s.samples as f64, s.design_effect);
                (p.alpha, s.retrieved.p, n_eff)
            })
            .collect();
        let c = crossing_at(&mut curve);
        match c {
            Some((ac, err)) => crossings.push((n, ac, err)),
            None => {
                let (lo, hi) = curve
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| {
                        (l.min(p.0), h.max(p.0))
                    });
                let ps: Vec<String> = curve.iter().map(|p| format!("{:.3}", p.1)).collect();
                eprintln!(
                    "warning: N = {n}: p_retrieved does not cross 1/2 between alpha = {lo} and {hi} \
                     (p = {}); status = no_crossing: give --alpha values on both sides of the \
                     crossing",
                    ps.join(", ")
                );
            }
        }
        table.push(row(n as f64, c, "crossing".into()));
    }
    match extrapolate(&crossings, FssForm::InvN, alpha_1) {
        Some(f) => table.push(row(
            f64::INFINITY,
            Some((f.a, f.a_err)),
            "extrapolated_1/N".into(),
        )),
        None if a.sim.n.values().len() > 1 => {
            eprintln!(
                "warning: {} of {} N crossed 1/2: no 1/N extrapolation (status = no_crossing)",
                crossings.len(),
                a.sim.n.values().len()
            );
            table.push(row(f64::INFINITY, None, "extrapolated_1/N".into()));
        }
        None => {}
    }
    if !a.fss {
        out.write_all(&engram::io::rows::to_csv_columns(&table, CROSSING_COLUMNS)?)?;
        return Ok(());
    }
    let b1 = engram::dam::fss::tilted_mean_at_target(kind.ensemble(), lambda, rho);
    let w_theta = w_theta(a.sim.threshold, rho, b1)?;
    let alpha_max = 2.0 * a.sim.alpha.values().iter().cloned().fold(0.0, f64::max);
    let mut series = vec![("crossing".to_string(), crossings.clone())];
    for (name, w) in [
        ("rem_w=0.5".to_string(), 0.5),
        (format!("rem_w={}", fmt(w_theta)), w_theta),
    ] {
        let mut pts = Vec::new();
        for &n in a.sim.n.values() {
            let n = n as usize;
            let (m, e) = rem_alpha_half(
                kind,
                n,
                lambda,
                w,
                planted,
                a.rem_samples,
                a.sim.seed,
                alpha_max,
            )?;
            pts.push((n, m, e));
            table.push(row(n as f64, Some((m, e)), name.clone()));
        }
        series.push((name, pts));
    }
    let reports: Vec<FitReport> = series
        .into_iter()
        .map(|(name, pts)| FitReport::new(&name, pts, alpha_1))
        .collect();
    if let Some(stem) = &a.fss_figure {
        let labelled: Vec<engram::study::fss_figure::CrossingSeries> = reports
            .iter()
            .map(|r| {
                let label = match r.name.as_str() {
                    "crossing" => "simulated".to_string(),
                    "rem_w=0.5" => "finite-N REM, w = 1/2".to_string(),
                    _ => format!("finite-N REM, w = {:.3}", w_theta),
                };
                (label, r.points.clone())
            })
            .collect();
        engram::study::fss_figure::fss_figure(&labelled, &reports[0].extrapolations(), alpha_1)
            .render(stem)?;
    }
    for r in &reports {
        table.extend(r.crossing_rows(lambda));
    }
    write_rows(out, &table)
}

type Grid = (
    Vec<SimParams>,
    Vec<engram::dam::summary::SimSummary>,
    Vec<engram::dam::table::SimRow>,
);

pub fn run(a: SimulateArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    if let Some(path) = &a.out {
        engram::io::prepare_output(path)?;
    }
    let (_, _, rows) = simulate_grid(&a)?;
    match &a.out {
        None => write_rows(out, &rows),
        Some(path) => {
            engram::io::write_atomic(path, &engram::io::rows::to_csv(&rows)?)?;
            Ok(())
        }
    }
}

/// Validate and run every grid point (the Cartesian product N × α × λ × cosine); returns
/// points, summaries and rows.
fn simulate_grid(a: &SimulateArgs) -> anyhow::Result<Grid> {
    use engram::query::dam::{self as q, Dynamics, SimGrid};
    let kind = a.ens.ensemble;
    let grid = SimGrid::new(kind, a.batch.batch()?, a.samples, a.memory_gib)?;
    let starts: Vec<Start> = match &a.cosine {
        None => vec![q::start(kind, None, a.r)?],
        Some(cs) => cs
            .values()
            .iter()
            .map(|&c| q::start(kind, Some(c), a.r))
            .collect::<engram::Result<_>>()?,
    };
    engram::sweep::grid_rows(&[
        ("n", a.n.values().len()),
        ("alpha", a.alpha.values().len()),
        ("lambda", a.lambda.values().len()),
        ("cosine", starts.len()),
    ])?;
    let d = Dynamics {
        eta: a.eta,
        max_steps: a.max_steps,
        xtol: a.xtol,
        threshold: a.threshold,
    };
    let mut points = Vec::new();
    for &n in a.n.values() {
        for &alpha in a.alpha.values() {
            for &lambda in a.lambda.values() {
                for &start in &starts {
                    points.push(grid.point(n, alpha, lambda, start, a.seed, d)?);
                }
            }
        }
    }
    let pb = progress_bar(grid.total_targets(&points) as u64);
    let (summaries, rows) = q::simulate(&grid, &points, &|| pb.inc(1))?;
    pb.finish_and_clear();
    Ok((points, summaries, rows))
}
