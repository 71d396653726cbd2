//! `engram idp ...`: the IDP Hopfield network (docs/theory.md#idp) — theory and simulation.
//! One small function per subcommand: the theory tables in [`theory`], the N-neuron and
//! two-timescale simulators in [`simulate`]; every table is a typed row of
//! `engram::idp::table`.

mod simulate;
mod theory;

use clap::{Args, Subcommand};

use engram::sweep::ParamList;

/// `engram idp ...`: input-driven plasticity Hopfield network (docs/theory.md#idp). Here α is a
/// saliency α_μ = ξ_μ·u/N, not the DAM load.
#[derive(Debug, Subcommand)]
pub enum IdpCommand {
    /// Memory fixed point x* = m* ξ_μ (orthogonal memories, N → ∞): m* = largest root of
    /// m = α Ψ_σ(m); existence threshold α_exist = 1/Ψ'_σ(0); stability threshold
    /// α_stab = 1/Ψ'_σ(m*) (a competitor more salient than α_stab destabilises the memory);
    /// σ_exist: the noise at which this memory stops existing. Empty field: not defined
    /// (no memory state; stays stable at every noise).
    ///
    /// Columns: m_star,alpha_exist,alpha_stab,saliency,gain,activation,sigma,memory_exists,origin_stable,sigma_exist
    FixedPoint {
        /// Saliency α_μ > 0 of the memory (list or range).
        #[arg(long, value_name = "A", allow_hyphen_values = true)]
        saliency: ParamList,
        /// Gain β > 0 of Ψ = tanh(βx) or clip(βx, −1, 1) (list or range).
        #[arg(long, value_name = "B", allow_hyphen_values = true)]
        gain: ParamList,
        /// Activation Ψ: tanh or hardtanh.
        #[arg(long, default_value = "tanh")]
        activation: String,
        /// Noise σ ≥ 0 of dx = … dt + σ dB (list or range).
        #[arg(
            long,
            value_name = "S",
            allow_hyphen_values = true,
            default_value = "0"
        )]
        sigma: ParamList,
    },
    /// The sequential-retrieval map Z_{n+1} = κ(1 − θ/Z_n): gain threshold κ_c = 4θ, fixed
    /// points Z± (κ ≥ κ_c), steady dwell ln(Z₊/θ) in units of τ; below κ_c the rotation period
    /// π/arccos√(κ/4θ) (the rotation period of the map, docs/theory.md#sequence), above it the relaxation time 1/(2 arccosh√(κ/4θ)) in
    /// iterations. Empty field: not defined on that side of κ_c.
    ///
    /// Columns: kappa_c,z_plus,z_minus,dwell_steady,kappa,theta,regime,n_c_asymptotic,relaxation_iterations
    Map {
        /// Gain κ > 0 (list or range).
        #[arg(long, value_name = "K", allow_hyphen_values = true)]
        kappa: ParamList,
        /// Existence threshold θ > 0 (1 for hard tanh).
        #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
        theta: f64,
    },
    /// Iterate the map from Z₀: one row per retrieved memory (n = 0 has z = Z₀) while z > θ,
    /// then the first row with z ≤ θ (retrieved = false, dwell 0), if reached within --steps.
    ///
    /// Columns: n,z,dwell,retrieved,kappa,theta (dwell in units of τ)
    Sequence {
        /// Gain κ > 0.
        #[arg(long, allow_hyphen_values = true)]
        kappa: f64,
        /// Saliency Z₀ > 0 of the first memory.
        #[arg(long, allow_hyphen_values = true)]
        z0: f64,
        /// Existence threshold θ > 0.
        #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
        theta: f64,
        /// Maximum number of rows (≥ 1).
        #[arg(long, default_value_t = 1000)]
        steps: usize,
    },
    /// (κ, Z₀) phase diagram of the map: sustained (κ ≥ 4θ and Z₀ ≥ Z₋) or collapse, with the
    /// exact number of memories retrieved before collapse.
    ///
    /// Columns: kappa,z0,regime,n_retrieved,z_minus,theta
    Phase {
        /// Gain κ > 0 (list or range).
        #[arg(long, value_name = "K", allow_hyphen_values = true)]
        kappa: ParamList,
        /// Initial saliency Z₀ > 0 (list or range).
        #[arg(long, value_name = "Z", allow_hyphen_values = true)]
        z0: ParamList,
        /// Existence threshold θ > 0.
        #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
        theta: f64,
    },
    /// Reduced dynamics (N → ∞, P finite, random memories): da_μ/dt = −a_μ +
    /// α_μ E_{ξ,z}[ξ_μ Ψ(Σ_ν a_ν ξ_ν + s z)], d(s²)/dt = −2s² + σ², exact 2^P average, RK4.
    ///
    /// Columns: t,memory,overlap,s2,saliency,sigma,activation,gain
    Reduced {
        /// Saliencies α_μ, one per memory (comma list, P ≤ 20).
        #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
        saliency: Vec<f64>,
        /// Initial overlaps a_μ(0), one per memory.
        #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
        start: Vec<f64>,
        /// Activation Ψ: tanh or hardtanh.
        #[arg(long, default_value = "tanh")]
        activation: String,
        /// Gain β > 0.
        #[arg(long, default_value_t = 10.0, allow_hyphen_values = true)]
        gain: f64,
        /// Noise σ ≥ 0 (s²(0) = 0).
        #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
        sigma: f64,
        /// RK4 step > 0.
        #[arg(long, default_value_t = 0.01, allow_hyphen_values = true)]
        dt: f64,
        /// Integration time > 0.
        #[arg(long, allow_hyphen_values = true)]
        t_max: f64,
        /// Record every this many steps.
        #[arg(long, default_value_t = 10)]
        record_every: usize,
    },
    /// N-neuron IDP network with fixed saliencies (Euler–Maruyama, docs/theory.md#idp, #simulator): time series
    /// of the overlaps per trial, trials in parallel. m = ξ_μ·Ψ(x)/N, overlap = ξ_μ·x/N.
    ///
    /// Columns: trial,t,memory,m,overlap,saliency,n,p,sigma,activation,gain
    Simulate(SdeArgs),
    /// Two-timescale network (Betteti, Baggio, Zampieri, arXiv:2603.03201; docs/theory.md#sequence): fast hard-tanh IDP layer, slow saliencies
    /// τ da/dt = −a + κ S|m| (cyclic S), from x₀ = ξ_0, a_0 = Z₀. One row per switch:
    /// measured saliency and dwell beside the map's prediction from the previous measured
    /// saliency (z_map = κ(1 − θ/z_prev), dwell_map_over_tau = ln(z/θ)).
    ///
    /// Columns: kappa,tau,sigma,trial,n,memory,t,z,dwell,dwell_over_tau,z_map,dwell_map_over_tau,collapsed
    SequenceSimulate(SeqArgs),
}

/// Options shared by the IDP simulators.
#[derive(Debug, Args)]
pub struct CommonSim {
    /// Neurons N ≥ 2 (a power of two for orthogonal memories).
    #[arg(long)]
    pub n: usize,
    /// Memories P ≥ 1.
    #[arg(long)]
    pub p: usize,
    /// Memories: random (±1 i.i.d.) or orthogonal (Sylvester–Hadamard rows).
    #[arg(long, default_value = "orthogonal")]
    pub memories: String,
    /// Noise σ ≥ 0.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub sigma: f64,
    /// Euler–Maruyama step dt > 0.
    #[arg(long, default_value_t = 0.01, allow_hyphen_values = true)]
    pub dt: f64,
    /// Integration time > 0.
    #[arg(long, allow_hyphen_values = true)]
    pub t_max: f64,
    /// Independent trials (≥ 1).
    #[arg(long, default_value_t = 1)]
    pub trials: usize,
    /// Seed (trial t uses stream t: results do not depend on --threads).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Record every this many steps (≥ 1).
    #[arg(long, default_value_t = 100)]
    pub record_every: usize,
}

/// `engram idp simulate`.
#[derive(Debug, Args)]
pub struct SdeArgs {
    #[command(flatten)]
    pub common: CommonSim,
    /// Saliencies α_μ, one per memory (comma list, each ≥ 0).
    #[arg(
        long,
        value_delimiter = ',',
        allow_hyphen_values = true,
        required_unless_present = "input",
        conflicts_with = "input"
    )]
    pub saliency: Vec<f64>,
    /// Instead of --saliency: input u = Σ_l c_l ξ_l given by its coefficients c_l (one per
    /// memory); saliencies α_μ = ξ_μ·u/N on each trial's memories (= c_μ for orthogonal ones).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub input: Option<Vec<f64>>,
    /// Start x₀ = Σ c_μ ξ_μ: coefficients c_μ, one per memory (default: 1 on memory 0).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub start: Option<Vec<f64>>,
    /// Standard deviation of i.i.d. Gaussian noise added to x₀.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub start_noise: f64,
    /// Activation Ψ: tanh or hardtanh.
    #[arg(long, default_value = "tanh")]
    pub activation: String,
    /// Gain β > 0.
    #[arg(long, default_value_t = 10.0, allow_hyphen_values = true)]
    pub gain: f64,
    /// Classic comparator: W = (1/N)ΞΞᵀ with its diagonal (use saliencies all 1); with --input,
    /// u = Σ c_l ξ_l enters as an external field and all saliencies are 1.
    #[arg(long)]
    pub classic: bool,
}

/// `engram idp sequence-simulate`.
#[derive(Debug, Args)]
pub struct SeqArgs {
    #[command(flatten)]
    pub common: CommonSim,
    /// Gain κ > 0 of the slow layer.
    #[arg(long, allow_hyphen_values = true)]
    pub kappa: f64,
    /// Slow time constant τ > 0.
    #[arg(long, allow_hyphen_values = true)]
    pub tau: f64,
    /// Saliency Z₀ > 0 of memory 0 at t = 0.
    #[arg(long, allow_hyphen_values = true)]
    pub z0: f64,
    /// |m| above which a memory counts as retrieved.
    #[arg(long, default_value_t = 0.5)]
    pub retrieval_overlap: f64,
    /// Write the time series (trial,t,memory,m,overlap,saliency) to this file.
    #[arg(long, value_name = "FILE")]
    pub series_out: Option<std::path::PathBuf>,
}

pub fn run(cmd: IdpCommand, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    match cmd {
        IdpCommand::FixedPoint {
            saliency,
            gain,
            activation,
            sigma,
        } => theory::fixed_point(&saliency, &gain, &activation, &sigma, out),
        IdpCommand::Map { kappa, theta } => theory::map(&kappa, theta, out),
        IdpCommand::Sequence {
            kappa,
            z0,
            theta,
            steps,
        } => theory::sequence(kappa, z0, theta, steps, out),
        IdpCommand::Phase { kappa, z0, theta } => theory::phase(&kappa, &z0, theta, out),
        IdpCommand::Reduced {
            saliency,
            start,
            activation,
            gain,
            sigma,
            dt,
            t_max,
            record_every,
        } => theory::reduced(
            &saliency,
            start,
            &activation,
            gain,
            sigma,
            (dt, t_max, record_every),
            out,
        ),
        IdpCommand::Simulate(a) => simulate::simulate(&a, out),
        IdpCommand::SequenceSimulate(a) => simulate::sequence_simulate(&a, out),
    }
}
