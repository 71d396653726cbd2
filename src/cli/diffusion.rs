//! `engram diffusion ...`: diffusion models on a finite pattern set (Ambrogioni, Entropy 2024, arXiv:2309.17290).

use clap::Subcommand;

use engram::diffusion::ReverseParams;
use engram::sweep::ParamList;

/// `engram diffusion ...`: diffusion models on a finite pattern set (Ambrogioni, Entropy 2024, arXiv:2309.17290).
#[derive(Debug, Subcommand)]
pub enum DiffusionCommand {
    /// Reverse VE SDE with the exact score (σ = 1, s² = t) on spherical pattern sets of
    /// P = round(e^{αN}) patterns: fraction of trajectories ending on a training pattern
    /// (Δ < 0.01) and the median s² at which one pattern first takes half the posterior weight,
    /// with its order-statistic error, beside λ_max(C) (symmetry breaking, β λ_max = 1) and the
    /// collapse noise s_C² = 1/(e^{2α} − 1) (Biroli, Bonnaire, de Bortoli, Mézard, Nat. Commun.
    /// 2024, arXiv:2402.18491; the same value as the REM basin condition λ > φ(α, λ, 1 + s²)).
    ///
    /// Columns: n,alpha,patterns,samples,p_memorised,p_memorised_err,s2_condensed_median,s2_condensed_err,s2_symmetry_breaking,s2_collapse
    Reverse {
        /// Dimension N (list or range).
        #[arg(long, value_name = "N", allow_hyphen_values = true)]
        n: ParamList,
        /// Load α > 0 (list or range).
        #[arg(long, value_name = "A", allow_hyphen_values = true)]
        alpha: ParamList,
        /// Trajectories (each on its own pattern set).
        #[arg(long)]
        samples: usize,
        /// Start time t_max (= s²).
        #[arg(long, default_value_t = 20.0, allow_hyphen_values = true)]
        t_max: f64,
        /// End time t_min.
        #[arg(long, default_value_t = 1e-3, allow_hyphen_values = true)]
        t_min: f64,
        /// Euler–Maruyama steps (geometric in t).
        #[arg(long, default_value_t = 400)]
        steps: usize,
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

pub fn run_diffusion(cmd: DiffusionCommand, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    match cmd {
        DiffusionCommand::Reverse {
            n,
            alpha,
            samples,
            t_max,
            t_min,
            steps,
            seed,
        } => {
            let mut points = Vec::new();
            for &nv in n.values() {
                for &a in alpha.values() {
                    points.push((nv, a));
                }
            }
            let base = ReverseParams {
                n: 2,
                alpha: 1.0,
                samples,
                t_max,
                t_min,
                steps,
                seed,
            };
            let rows = engram::query::models::diffusion_reverse(&points, &base, &|| {})?;
            super::common::write_rows(out, &rows)
        }
    }
}
