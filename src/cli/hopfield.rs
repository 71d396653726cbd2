//! `engram hopfield-classic ...`: binary F-networks (Krotov–Hopfield, ICLR 2021, arXiv:2008.06996, model A).

use clap::Subcommand;

use engram::sweep::ParamList;

/// `engram hopfield-classic ...`: binary networks with F-interactions (Krotov–Hopfield, ICLR 2021, arXiv:2008.06996, model A).
#[derive(Debug, Subcommand)]
pub enum HopfieldCommand {
    /// Zero-temperature replica-symmetric theory of the Hopfield network (F = x²): retrieval
    /// overlap m(α) (empty above α_c) and α_c ≈ 0.138.
    ///
    /// Columns: alpha,m_rs,alpha_c,m_at_alpha_c
    Theory {
        /// Load α = P/N > 0 (list or range).
        #[arg(long, value_name = "A", allow_hyphen_values = true)]
        alpha: ParamList,
    },
    /// Asynchronous zero-temperature dynamics (exact energy-descent step, incremental overlaps)
    /// from ξ¹ with a fraction ρ of flipped spins. P = round(αN) for powers, round(e^{αN})
    /// for --interaction exp.
    ///
    /// Columns: n,alpha,patterns,samples,overlap,overlap_err,p_retrieved,sweeps,interaction,flip,m_rs
    /// (alpha: the load of the actual P)
    Simulate {
        /// Spins N (list or range).
        #[arg(long, value_name = "N", allow_hyphen_values = true)]
        n: ParamList,
        /// Load α (list or range).
        #[arg(long, value_name = "A", allow_hyphen_values = true)]
        alpha: ParamList,
        /// Samples per point.
        #[arg(long)]
        samples: usize,
        /// Interaction F: 2 (Hebbian), 3, 4, ... (xⁿ) or exp.
        #[arg(long, default_value = "2")]
        interaction: String,
        /// Initial Hamming distance fraction ρ ∈ [0, 0.5].
        #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
        flip: f64,
        /// Maximum sweeps (1: one-step retrieval).
        #[arg(long, default_value_t = 100)]
        max_sweeps: usize,
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

pub fn run_hopfield(cmd: HopfieldCommand, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    use engram::query::models as q;
    match cmd {
        HopfieldCommand::Theory { alpha } => {
            super::common::write_rows(out, &q::hopfield_theory(alpha.values())?)
        }
        HopfieldCommand::Simulate {
            n,
            alpha,
            samples,
            interaction: inter,
            flip,
            max_sweeps,
            seed,
        } => {
            let f = q::interaction(&inter)?;
            let mut points = Vec::new();
            for &nv in n.values() {
                for &a in alpha.values() {
                    points.push((nv, a));
                }
            }
            let pb = super::common::progress_bar((points.len() * samples) as u64);
            let rows =
                q::hopfield_simulate(&points, samples, f, flip, max_sweeps, seed, &|| pb.inc(1))?;
            pb.finish_and_clear();
            super::common::write_rows(out, &rows)
        }
    }
}
