//! `engram dam finite-size`: the finite-size theory of retrieval from x₀ = ξ¹
//! (docs/theory.md#fold): per N the finite-N map's α½(N), the fold expansion and α₁.

use clap::Args;

use engram::dam::fss::{finite_size_row, MapDynamics, MapPoint, MapSample};
use engram::dam::params::SimParams;
use engram::ensembles::sample_rng;
use engram::sweep::ParamList;

use crate::cli::common::{progress_bar, write_rows, EnsembleArg};

/// Arguments of `engram dam finite-size`.
#[derive(Debug, Args)]
pub struct FiniteSizeArgs {
    #[command(flatten)]
    pub ens: EnsembleArg,
    /// Inverse temperature λ > 0 (one value).
    #[arg(long, value_name = "L", allow_hyphen_values = true)]
    pub lambda: f64,
    /// Numbers of neurons N >= 2 (list or range).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub n: ParamList,
    /// Draws of the finite-N map per N (>= 4): each draws ξ¹'s norm and the P − 1 overlaps.
    #[arg(long, value_name = "S", default_value_t = 400)]
    pub samples: usize,
    /// Plant the target at squared norm per component ρ > 0 (the limit is then α_f(λ; ρ)).
    #[arg(long, value_name = "RHO", allow_hyphen_values = true)]
    pub target_norm: Option<f64>,
    /// Step size η of the simulated dynamics (0 < η <= 1 for the map).
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
    /// Seed of the draws (draw s uses the stream (seed, s)).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Largest number of patterns a draw streams (its overlaps are regenerated, not stored); a
    /// draw still retrieved there counts as retrieved at every load below ln(cap)/N.
    #[arg(long, value_name = "P", default_value_t = 1 << 30)]
    pub max_patterns: usize,
    /// Refuse an N whose estimated run time (from one timed draw) exceeds this many hours.
    #[arg(
        long,
        value_name = "H",
        default_value_t = 1.0,
        allow_hyphen_values = true
    )]
    pub max_hours: f64,
    /// Write the CSV atomically to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
}

pub fn run(a: FiniteSizeArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let kind = a.ens.ensemble;
    if !(a.max_hours > 0.0 && a.max_hours.is_finite()) {
        anyhow::bail!(
            "invalid --max-hours {}: expected a finite number of hours > 0",
            a.max_hours
        );
    }
    if a.max_patterns < 2 {
        anyhow::bail!(
            "invalid --max-patterns {}: expected at least 2",
            a.max_patterns
        );
    }
    let mut ns = Vec::new();
    for &n in a.n.values() {
        ns.push(engram::sweep::neurons("n", n)?);
    }
    // the simulator's own validation of the dynamics (names the flag)
    let p = SimParams::new(
        ns[0],
        0.1,
        a.lambda,
        engram::dam::params::Start::Pattern,
        a.seed,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?
    .with_dynamics(a.eta, a.max_steps, a.xtol, a.threshold)?;
    let d = MapDynamics::of(&p);
    if a.samples < 4 {
        anyhow::bail!("invalid --samples {}: expected at least 4 draws", a.samples);
    }
    if let Some(path) = &a.out {
        engram::io::prepare_output(path)?;
    }
    let threads = rayon::current_num_threads().max(1);
    let max_patterns = a.max_patterns;
    let mut rows = Vec::new();
    for &n in &ns {
        // one timed draw for the estimate (its result is recomputed as draw 0)
        let t0 = std::time::Instant::now();
        let mut probe = MapSample::new(kind, n, a.lambda, a.target_norm, sample_rng(a.seed, 0));
        probe
            .critical_load(kind, &d, max_patterns)
            .map_err(|e| anyhow::anyhow!("N = {n}: {e}"))?;
        let hours = t0.elapsed().as_secs_f64() * a.samples as f64 / threads as f64 / 3600.0;
        if hours > a.max_hours {
            anyhow::bail!(
                "N = {n}: the finite-N map would take about {hours:.2} h for {} draws on {threads} threads (one draw timed), over --max-hours {}; lower --samples or raise --max-hours",
                a.samples,
                a.max_hours
            );
        }
        let pb = progress_bar(a.samples as u64);
        let pt = MapPoint {
            kind,
            n,
            lambda: a.lambda,
            target_norm: a.target_norm,
            samples: a.samples,
            seed: a.seed,
            dynamics: d,
            max_patterns,
        };
        let row = finite_size_row(&pt, &|| pb.inc(1))?;
        pb.finish_and_clear();
        rows.push(row);
    }
    match &a.out {
        None => write_rows(out, &rows),
        Some(path) => {
            engram::io::write_atomic(path, &engram::io::rows::to_csv(&rows)?)?;
            Ok(())
        }
    }
}
