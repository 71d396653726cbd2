//! `engram hopfield-classic ...`, `engram diffusion ...`: SPEC §9.

use clap::Subcommand;

use engram::kh::diffusion::{reverse_point, s2_condensation_rem, ReverseParams};
use engram::kh::hopfield::{rs_alpha_c, rs_overlap, simulate_point, AsyncParams, Interaction};
use engram::study::kh_study::{hopfield_row, HOPFIELD_SIM};
use engram::sweep::ParamList;

use super::dam::{fmt, write_csv};

/// `engram hopfield-classic ...`: binary networks with F-interactions (SPEC §9, model A).
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

/// `engram kh ...`: the Krotov–Hopfield two-group network (SPEC §9).
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

/// `engram diffusion ...`: diffusion models on a finite pattern set (SPEC §9 [AMB]).
#[derive(Debug, Subcommand)]
pub enum DiffusionCommand {
    /// Reverse VE SDE with the exact score (σ = 1, s² = t) on spherical pattern sets of
    /// P = round(e^{αN}) patterns: fraction of trajectories ending on a training pattern
    /// (Δ < 0.01) and the median s² at which one pattern first takes half the posterior weight,
    /// beside 1/λ_max(C) (symmetry breaking, β λ_max = 1) and the REM basin prediction of the
    /// condensation s² (TENTATIVE, SPEC §9: largest s² with λ > φ(α, λ, 1 + s²), λ = 1/s²).
    ///
    /// Columns: n,alpha,patterns,samples,p_memorised,p_memorised_err,s2_condensed_median,s2_symmetry_breaking,s2_rem_tentative
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

fn interaction(s: &str) -> anyhow::Result<Interaction> {
    if s == "exp" {
        return Ok(Interaction::Exp);
    }
    let n: u32 = s.parse().map_err(|_| {
        anyhow::anyhow!("invalid interaction = {s}: expected a power n >= 2 or exp")
    })?;
    Ok(Interaction::power(n)?)
}

pub fn run_hopfield(cmd: HopfieldCommand, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    match cmd {
        HopfieldCommand::Theory { alpha } => {
            let (ac, mc, _) = rs_alpha_c();
            let mut rows = Vec::new();
            for &a in alpha.values() {
                let m = rs_overlap(a)?;
                rows.push(vec![fmt(a), m.map_or(String::new(), fmt), fmt(ac), fmt(mc)]);
            }
            write_csv(out, &["alpha", "m_rs", "alpha_c", "m_at_alpha_c"], rows)
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
            let f = interaction(&inter)?;
            if samples == 0 {
                anyhow::bail!("invalid samples = 0: expected a whole number >= 1");
            }
            if max_sweeps == 0 {
                anyhow::bail!("invalid max_sweeps = 0: expected a whole number >= 1");
            }
            let mut rows = Vec::new();
            let pb = super::simulate::progress_bar(
                (n.values().len() * alpha.values().len() * samples) as u64,
            );
            for &nv in n.values() {
                if nv.fract() != 0.0 || nv < 2.0 {
                    anyhow::bail!("invalid n = {nv}: expected a whole number >= 2");
                }
                let nn = nv as usize;
                for &a in alpha.values() {
                    let p = f.patterns(a, nn)?;
                    let params = AsyncParams {
                        n: nn,
                        p,
                        interaction: f,
                        flip_fraction: flip,
                        max_sweeps,
                        seed,
                    };
                    let sum = simulate_point(&params, samples, &|| pb.inc(1))?;
                    rows.push(hopfield_row(&params, samples, &sum)?);
                }
            }
            pb.finish_and_clear();
            write_csv(out, &HOPFIELD_SIM, rows)
        }
    }
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
            if samples == 0 {
                anyhow::bail!("invalid samples = 0: expected a whole number >= 1");
            }
            let mut rows = Vec::new();
            for &nv in n.values() {
                if nv.fract() != 0.0 || nv < 2.0 {
                    anyhow::bail!("invalid n = {nv}: expected a whole number >= 2");
                }
                let nn = nv as usize;
                for &a in alpha.values() {
                    engram::error::positive("alpha", a)?;
                    let r = reverse_point(
                        &ReverseParams {
                            n: nn,
                            alpha: a,
                            samples,
                            t_max,
                            t_min,
                            steps,
                            seed,
                        },
                        &|| {},
                    )?;
                    rows.push(vec![
                        nn.to_string(),
                        fmt(a),
                        r.patterns.to_string(),
                        samples.to_string(),
                        fmt(r.memorised.p),
                        fmt(r.memorised.err),
                        fmt(r.s2_condensed_median),
                        fmt(r.s2_symmetry_breaking),
                        s2_condensation_rem(a)?.map_or(String::new(), fmt),
                    ]);
                }
            }
            write_csv(
                out,
                &[
                    "n",
                    "alpha",
                    "patterns",
                    "samples",
                    "p_memorised",
                    "p_memorised_err",
                    "s2_condensed_median",
                    "s2_symmetry_breaking",
                    "s2_rem_tentative",
                ],
                rows,
            )
        }
    }
}

pub fn run_kh(cmd: KhCommand, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    use engram::kh::two_group::{relax_compare, Model};
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
    let m = Model::parse(&model, beta, power)?;
    let rows = relax_compare(m, nf, nh, tau_f, tau_h, t_max, records, seed)?
        .into_iter()
        .map(|r| {
            vec![
                fmt(r.t),
                fmt(r.energy),
                fmt(r.energy_effective),
                fmt(r.distance),
                fmt(r.overlap),
                model.clone(),
                fmt(tau_h),
            ]
        })
        .collect();
    write_csv(
        out,
        &[
            "t",
            "energy",
            "energy_effective",
            "distance",
            "overlap",
            "model",
            "tau_h",
        ],
        rows,
    )
}
