//! `engram dam finite-size`: the finite-size theory of retrieval from x₀ = ξ¹
//! (docs/theory.md#fold): per N the finite-N map's α½(N), the fold expansion and α₁.

use clap::Args;

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
    use engram::query::dam::{finite_size, Dynamics, FiniteSizeSpec};
    let spec = FiniteSizeSpec {
        kind: a.ens.ensemble,
        lambda: a.lambda,
        samples: a.samples,
        target_norm: a.target_norm,
        dynamics: Dynamics {
            eta: a.eta,
            max_steps: a.max_steps,
            xtol: a.xtol,
            threshold: a.threshold,
        },
        seed: a.seed,
        max_patterns: a.max_patterns,
        max_hours: a.max_hours,
    };
    if let Some(path) = &a.out {
        engram::io::prepare_output(path)?;
    }
    let pb = progress_bar(0);
    let rows = finite_size(
        &spec,
        a.n.values(),
        &|_, draws| {
            pb.reset();
            pb.set_length(draws as u64);
        },
        &|| pb.inc(1),
    )?;
    pb.finish_and_clear();
    match &a.out {
        None => write_rows(out, &rows),
        Some(path) => {
            engram::io::write_atomic(path, &engram::io::rows::to_csv(&rows)?)?;
            Ok(())
        }
    }
}
