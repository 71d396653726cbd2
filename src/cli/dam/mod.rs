//! `engram dam ...`: theory of dense associative memories (Lucibello–Mézard, PRL 132, 077301 (2024), arXiv:2304.14964); the simulator commands
//! live in [`simulate`].

mod finite_size;
mod simulate;

use clap::{Args, Subcommand};

use engram::rem::RemPoint;
use engram::sweep::ParamList;

use crate::cli::common::{write_rows, EnsembleArg};
use engram::query::check_positive;

/// `engram dam ...`: theory of dense associative memories (docs/theory.md#rem to #scaled).
#[derive(Debug, Subcommand)]
pub enum DamCommand {
    /// Retrieval thresholds vs λ: α₁ (typical pattern, docs/theory.md#alpha-1) and the α_c lower bound (all
    /// patterns, docs/theory.md#alpha-c) with one column per failure channel (inf = channel absent).
    ///
    /// Columns: lambda,alpha_1,alpha_c,alpha_c_norm,alpha_c_pair,alpha_c_binding,phase_at_alpha_1,rho_f
    Thresholds {
        #[command(flatten)]
        ens: EnsembleArg,
        /// Inverse temperature λ > 0 (list or range).
        #[arg(long, value_name = "L", allow_hyphen_values = true)]
        lambda: ParamList,
    },
    /// Auxiliary REM at (α, λ, r): free energy φ, phase, dominating overlap u*, condensation
    /// point λ_*(α, r) (docs/theory.md#rem).
    ///
    /// Columns: phi,phase,u_star,lambda_star,alpha,lambda,r,u_max,entropy
    Rem {
        #[command(flatten)]
        point: PointArgs,
    },
    /// Basin of attraction of one attention step: critical overlap m_c = φ(α, λ, r)/λ and
    /// cosine m_c/√(r ρ₁) (docs/theory.md#basins; cos_c > 1: no retrieval from norm r).
    ///
    /// Columns: m_c,alpha,lambda,r,cos_c,phase
    Basin {
        #[command(flatten)]
        point: PointArgs,
    },
    /// Inverse threshold λ_c(α): smallest λ retrieving the typical pattern at load α
    /// (inf: no λ does).
    ///
    /// Columns: alpha,lambda_c
    LambdaC {
        #[command(flatten)]
        ens: EnsembleArg,
        /// Load α > 0 (list or range).
        #[arg(long, value_name = "A", allow_hyphen_values = true)]
        alpha: ParamList,
    },
    /// Monte-Carlo simulation (docs/theory.md#dam, #simulator): P = round(e^{αN}) patterns, gradient descent
    /// x ← x − η∇E from x₀ = ξ¹ (or from --cosine C with norm --r R), until ‖Δx‖/√N < xtol.
    /// One row per (n, α, λ, cosine) grid point; errors are standard errors, cluster-robust over
    /// stores when targets share a store. p_retrieved_err is the half-width (hi − lo)/2 of the
    /// one-sigma Wilson interval [p_retrieved_lo, p_retrieved_hi] on the effective count
    /// samples/design_effect (asymmetric near 0 and 1: use lo and hi for bars). Theory columns sit
    /// beside the measurements.
    ///
    /// Columns: n,alpha,lambda,patterns,samples,delta0,delta0_err,p_retrieved,p_retrieved_err,steps,steps_err,
    /// p_retrieved_lo,p_retrieved_hi,converged,energy,energy_err,overlap,overlap_err,phi_emp,phi_emp_err,
    /// phi_theory,alpha_1_theory,cosine,r,m_c_theory,cos_c_theory,ensemble,eta,max_steps,xtol,threshold,seed,
    /// stores,targets,design_effect,target_norm,store,streams
    Simulate(simulate::SimulateArgs),
    /// Finite-size crossing α_{1/2}(N) of the simulated retrieval probability (x₀ = ξ¹) for each
    /// N, and its linear extrapolation in 1/N, beside the theory α₁(λ) (docs/theory.md#alpha-1, #simulator). Takes the
    /// `simulate` options with one λ and an α list or range spanning the crossing.
    ///
    /// Columns: n,alpha_half,alpha_half_err,lambda,alpha_1_theory,kind (crossing | extrapolated_1/N),status (ok | no_crossing: α½ empty, with a warning on stderr)
    Crossing(simulate::CrossingArgs),
    /// Finite-size theory of retrieval from x₀ = ξ¹ (docs/theory.md#fold), no stored pattern:
    /// per N the reduced overlap map m ← (1 − η)m + η[p₁ + (1 − p₁)b(m)] iterated with the
    /// simulator's η, max-steps, xtol and threshold on draws of ξ¹'s norm and of the P − 1
    /// overlaps from their exact laws; α½(N) is the median critical load of the draws. Beside it
    /// the fold expansion α₁ − [1 + ln(N c)]/N (at the median target norm) and the annealed map.
    ///
    /// Columns: n,lambda,alpha_half,alpha_half_err,alpha_half_asymptotic,alpha_1_theory,
    /// alpha_half_annealed,rho,target_norm,ensemble,samples,seed
    FiniteSize(finite_size::FiniteSizeArgs),
    /// Scaled dot-product regime λ = β/√N, P = e^{α√N} (docs/theory.md#scaled, derived, TENTATIVE):
    /// α₁ = α_c = βρ₁, and the finite-N value if --n is given.
    ///
    /// Columns: beta,alpha_1,alpha_c,n,alpha_1_n,status
    Scaled {
        #[command(flatten)]
        ens: EnsembleArg,
        /// β > 0 (list or range).
        #[arg(long, value_name = "B", allow_hyphen_values = true)]
        beta: ParamList,
        /// Number of neurons N for the finite-N value.
        #[arg(long, value_name = "N", allow_hyphen_values = true)]
        n: Option<ParamList>,
    },
}

/// A grid of REM points.
#[derive(Debug, Args)]
pub struct PointArgs {
    #[command(flatten)]
    ens: EnsembleArg,
    /// Load α > 0: P = e^{αN} patterns (list or range).
    #[arg(long, value_name = "A", allow_hyphen_values = true)]
    alpha: ParamList,
    /// Inverse temperature λ > 0 (list or range).
    #[arg(long, value_name = "L", allow_hyphen_values = true)]
    lambda: ParamList,
    /// Squared norm per component r = ‖x‖²/N > 0 of the configuration (default ρ₁, a typical
    /// pattern's).
    #[arg(long, value_name = "R", allow_hyphen_values = true)]
    r: Option<ParamList>,
}

impl PointArgs {
    /// Validated Cartesian product α × λ × r, in that nesting order.
    fn points(&self) -> anyhow::Result<Vec<RemPoint>> {
        let rho1 = self.ens.ensemble.ensemble().rho1();
        let rs = self.r.clone().map_or(vec![rho1], |l| l.0);
        engram::sweep::grid_rows(&[
            ("alpha", self.alpha.values().len()),
            ("lambda", self.lambda.values().len()),
            ("r", rs.len()),
        ])?;
        let mut pts = Vec::new();
        for &a in self.alpha.values() {
            for &l in self.lambda.values() {
                for &r in &rs {
                    pts.push(RemPoint::new(a, l, r)?);
                }
            }
        }
        Ok(pts)
    }
}

pub fn run(cmd: DamCommand, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    use engram::query::dam as q;
    match cmd {
        DamCommand::Thresholds { ens, lambda } => {
            write_rows(out, &q::thresholds(ens.ensemble, lambda.values())?)
        }
        DamCommand::Rem { point } => {
            write_rows(out, &q::rem(point.ens.ensemble, &point.points()?)?)
        }
        DamCommand::Basin { point } => {
            write_rows(out, &q::basin(point.ens.ensemble, &point.points()?)?)
        }
        DamCommand::LambdaC { ens, alpha } => {
            write_rows(out, &q::lambda_c(ens.ensemble, alpha.values())?)
        }
        DamCommand::Simulate(args) => simulate::run(args, out),
        DamCommand::Crossing(args) => simulate::crossing(args, out),
        DamCommand::FiniteSize(args) => finite_size::run(args, out),
        DamCommand::Scaled { ens, beta, n } => {
            check_positive("beta", beta.values())?;
            let ns: Vec<Option<f64>> = match &n {
                Some(l) => {
                    check_positive("n", l.values())?;
                    l.values().iter().map(|&x| Some(x)).collect()
                }
                None => vec![None],
            };
            let mut points = Vec::new();
            for &b in beta.values() {
                for &nn in &ns {
                    points.push((b, nn));
                }
            }
            write_rows(out, &q::scaled(ens.ensemble, &points)?)
        }
    }
}
