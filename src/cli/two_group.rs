//! `engram kh ...`: the two-group network of Krotov–Hopfield, ICLR 2021, arXiv:2008.06996.

use clap::Subcommand;

/// `engram kh ...`: the two-group network of Krotov–Hopfield, ICLR 2021, arXiv:2008.06996.
#[derive(Debug, Subcommand)]
pub enum KhCommand {
    /// Relax the full two-group network (RK4) from a noisy memory and, beside it, the effective
    /// model (hidden neurons integrated out). One row per recorded time: the full energy, the
    /// effective energy of the effective trajectory, and the distance between the two feature
    /// states (→ 0 as τ_h/τ_f → 0). Memories: Gaussian, entries N(0, 1/N_f), seeded.
    ///
    /// Columns: t,energy,energy_effective,distance,overlap,model,tau_h
    Relax {
        /// Model: a (Σ|v|, Σ F(h) with F = x^power), a-classic (ln cosh, ½h²), b (½v², log-sum-exp),
        /// c (‖v‖, Σ F(h), F = x^power).
        #[arg(long)]
        model: String,
        /// Feature neurons N_f.
        #[arg(long, default_value_t = 32)]
        nf: usize,
        /// Hidden neurons N_h.
        #[arg(long, default_value_t = 8)]
        nh: usize,
        /// β of the log-sum-exp (b) or ln cosh (a-classic) Lagrangian (> 0).
        #[arg(long, default_value_t = 4.0, allow_hyphen_values = true)]
        beta: f64,
        /// Power n ≥ 2 of F (models a, c).
        #[arg(long, default_value_t = 2)]
        power: u32,
        /// τ_f > 0.
        #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
        tau_f: f64,
        /// τ_h > 0.
        #[arg(long, default_value_t = 0.1, allow_hyphen_values = true)]
        tau_h: f64,
        /// Integration time.
        #[arg(long, default_value_t = 10.0, allow_hyphen_values = true)]
        t_max: f64,
        /// Rows to print.
        #[arg(long, default_value_t = 20)]
        records: usize,
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

pub fn run_kh(cmd: KhCommand, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let KhCommand::Relax {
        model,
        nf,
        nh,
        beta,
        power,
        tau_f,
        tau_h,
        t_max,
        records,
        seed,
    } = cmd;
    let rows = engram::query::models::kh_relax(
        &model,
        beta,
        power,
        (nf, nh),
        (tau_f, tau_h),
        t_max,
        records,
        seed,
    )?;
    super::common::write_rows(out, &rows)
}
