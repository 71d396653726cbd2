//! Parameters shared by both DAM engines (docs/theory.md#simulator): one simulation point
//! ([`SimParams`], its start [`Start`]), the batch layout of its samples ([`Batch`]: targets per
//! store, planted norm, store format, streams), the initial state, what one trajectory measures
//! ([`SampleResult`], [`TargetResult`]) and the refusal of a store that does not fit. The
//! single-target engine ([`super::sim`]) and the K-target engine ([`super::batch`]) both use
//! this file; neither imports the other.

use crate::error::{positive, EngramError, Result};

/// Default memory budget for pattern stores in flight (bytes): 4 GiB.
pub const DEFAULT_MEMORY_LIMIT: f64 = 4.0 * 1024.0 * 1024.0 * 1024.0;

/// Initial condition.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Start {
    /// x₀ = ξ¹.
    Pattern,
    /// x₀ with cosine `cosine` with ξ¹ and squared norm per component `r`
    /// (x₀ = √(rN)(c ξ̂¹ + √(1−c²) ẑ), ẑ a uniformly random unit vector orthogonal to ξ¹).
    Cosine {
        /// Cosine with ξ¹, in [−1, 1].
        cosine: f64,
        /// ‖x₀‖²/N > 0.
        r: f64,
    },
}

/// Parameters of one simulation point.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SimParams {
    /// Number of neurons N ≥ 2.
    pub n: usize,
    /// Load α > 0: P = round(e^{αN}) ≥ 2.
    pub alpha: f64,
    /// Inverse temperature λ > 0.
    pub lambda: f64,
    /// Step size η > 0 (η = 1: attention update; the energy decreases for η < 2).
    pub eta: f64,
    /// Step limit ≥ 1.
    pub max_steps: usize,
    /// Convergence tolerance on ‖Δx‖/√N, > 0.
    pub xtol: f64,
    /// Retrieval threshold on Δ₀ = ‖x* − ξ¹‖²/N, > 0.
    pub threshold: f64,
    /// Initial condition.
    pub start: Start,
    /// Seed of the random streams.
    pub seed: u64,
}

impl SimParams {
    /// The published protocol of docs/theory.md#simulator (η = 0.5, 1000 steps, xtol 1e-6, x₀ = ξ¹).
    pub fn protocol(n: usize, alpha: f64, lambda: f64, seed: u64) -> Self {
        Self {
            n,
            alpha,
            lambda,
            eta: 0.5,
            max_steps: 1000,
            xtol: 1e-6,
            threshold: 0.05,
            start: Start::Pattern,
            seed,
        }
    }

    /// A validated point: N neurons, load α, inverse temperature λ, start and seed, with the
    /// published protocol's dynamics (η = 0.5, 1000 steps, xtol 1e-6, θ = 0.05; change them
    /// with [`SimParams::with_dynamics`]). Every domain is checked ([`SimParams::validate`]):
    /// the CLI and the config build their points through here.
    pub fn new(n: usize, alpha: f64, lambda: f64, start: Start, seed: u64) -> Result<Self> {
        let p = SimParams {
            start,
            ..Self::protocol(n, alpha, lambda, seed)
        };
        p.validate()?;
        Ok(p)
    }

    /// The same point with step size η, step limit, stopping tolerance and retrieval threshold
    /// θ, validated.
    pub fn with_dynamics(
        self,
        eta: f64,
        max_steps: usize,
        xtol: f64,
        threshold: f64,
    ) -> Result<Self> {
        let p = SimParams {
            eta,
            max_steps,
            xtol,
            threshold,
            ..self
        };
        p.validate()?;
        Ok(p)
    }

    /// Check every parameter's domain: N ≥ 2; α, λ, η, xtol, θ > 0; λ·N·max(r, 1) ≤ 10³⁰
    /// (finite f32 logits); max_steps ≥ 1; a cosine in [−1, 1] with r > 0; P ≥ 2.
    pub fn validate(&self) -> Result<()> {
        if self.n < 2 {
            return Err(EngramError::InvalidParameter {
                name: "n",
                value: self.n.to_string(),
                allowed: crate::sweep::NEURONS,
            });
        }
        positive("alpha", self.alpha)?;
        positive("lambda", self.lambda)?;
        // the logits λ ξ·x reach λ·N·r (and a few times that in the norms' tails); far below
        // f32::MAX = 3.4e38 they stay finite, their softmax is an argmax and nothing is NaN
        let r = match self.start {
            Start::Cosine { r, .. } => r.max(1.0),
            Start::Pattern => 1.0,
        };
        if self.lambda * self.n as f64 * r > LOGIT_LIMIT {
            return Err(EngramError::InvalidParameter {
                name: "lambda",
                value: format!(
                    "{} at N = {} (logits up to lambda*N*r = {:.3e})",
                    crate::stats::fmt_short(self.lambda),
                    self.n,
                    self.lambda * self.n as f64 * r
                ),
                allowed: "lambda*N*max(r, 1) <= 1e30, so that the f32 logits stay finite",
            });
        }
        positive("eta", self.eta)?;
        positive("xtol", self.xtol)?;
        positive("threshold", self.threshold)?;
        if self.max_steps == 0 {
            return Err(EngramError::InvalidParameter {
                name: "max_steps",
                value: "0".into(),
                allowed: "a whole number >= 1",
            });
        }
        if let Start::Cosine { cosine, r } = self.start {
            if !(-1.0..=1.0).contains(&cosine) {
                return Err(EngramError::InvalidParameter {
                    name: "cosine",
                    value: cosine.to_string(),
                    allowed: "a number in [-1, 1]",
                });
            }
            positive("r", r)?;
        }
        let p = (self.alpha * self.n as f64).exp().round();
        if p < 2.0 {
            return Err(EngramError::InvalidParameter {
                name: "alpha",
                value: self.alpha.to_string(),
                allowed: "alpha*N >= ln 1.5 so that P = round(e^{alpha N}) >= 2",
            });
        }
        Ok(())
    }

    /// P = round(e^{αN}) as a float (may exceed usize for absurd α·N).
    pub fn patterns_f64(&self) -> f64 {
        (self.alpha * self.n as f64).exp().round()
    }

    /// Row stride: N rounded up to a multiple of 8.
    pub fn stride(&self) -> usize {
        self.n.div_ceil(8) * 8
    }
}

/// Largest λ·N·max(r, 1) the simulator accepts: its f32 logits λ ξ·x stay finite with a wide
/// margin (f32::MAX ≈ 3.4·10³⁸).
pub const LOGIT_LIMIT: f64 = 1e30;

/// What one sample measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleResult {
    /// Δ₀ = ‖x* − ξ¹‖²/N.
    pub delta0: f64,
    /// Overlap m = x*·ξ¹/N.
    pub overlap: f64,
    /// Gradient steps taken.
    pub steps: usize,
    /// Whether ‖Δx‖/√N < xtol was reached.
    pub converged: bool,
    /// Energy per neuron E/N at the last evaluated state.
    pub energy: f64,
    /// Empirical REM free energy (1/N) log Σ_{μ≥2} e^{λ ξ^μ·x₀} at the initial state.
    pub phi_emp: f64,
}

/// Write the initial state into `x` (length N) for pattern ξ¹ = `xi1` (docs/theory.md#basins): x₀ = ξ¹, or
/// x₀ = √(rN)(c ξ̂¹ + √(1−c²) ẑ) with ẑ a random unit vector orthogonal to ξ¹ drawn from `rng`.
pub fn initial_state(start: Start, xi1: &[f32], rng: &mut rand_chacha::ChaCha8Rng, x: &mut [f64]) {
    use rand_distr::{Distribution, StandardNormal};
    match start {
        Start::Pattern => {
            for (x, &v) in x.iter_mut().zip(xi1) {
                *x = v as f64;
            }
        }
        Start::Cosine { cosine, r } => {
            let n = x.len() as f64;
            let norm1_2: f64 = xi1.iter().map(|&v| (v as f64).powi(2)).sum();
            for x in x.iter_mut() {
                *x = StandardNormal.sample(rng);
            }
            let proj: f64 = x.iter().zip(xi1).map(|(&a, &b)| a * b as f64).sum::<f64>() / norm1_2;
            for (x, &v) in x.iter_mut().zip(xi1) {
                *x -= proj * v as f64;
            }
            let zn = x.iter().map(|v| v * v).sum::<f64>().sqrt();
            let (c, s) = (cosine, (1.0 - cosine * cosine).max(0.0).sqrt());
            let (scale, n1) = ((r * n).sqrt(), norm1_2.sqrt());
            for (x, &v) in x.iter_mut().zip(xi1) {
                *x = scale * (c * v as f64 / n1 + s * *x / zn);
            }
        }
    }
}

/// Assumed sustained throughput per thread of the tile kernel (flop/s) for the run-time
/// estimate behind the `targets = all` refusal; the simulator benchmark measures the real one.
pub const ASSUMED_FLOPS_PER_THREAD: f64 = 2.0e10;
/// Steps per target assumed by the run-time estimate (the protocol converges in ~20–60 steps
/// except near the threshold).
pub const ASSUMED_STEPS: f64 = 50.0;

/// Retrieval targets per store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Targets {
    /// The first K patterns of each store (K ≥ 1, K ≤ P).
    Count(usize),
    /// Every pattern of the store (the all-patterns question of α_c); `samples` counts stores.
    All,
    /// min(K, P) targets per store (`at-most:K`): for sweeps whose small-P corners hold fewer
    /// than K patterns; the CSV column `targets` reports the K used at each point.
    AtMost(usize),
    /// `auto` (the default): at least [`AUTO_MIN_STORES`] stores per point and at most
    /// [`AUTO_MAX_TARGETS`] targets per store, K = min(max(⌊S/30⌋, 1), 64, P) for S samples, so
    /// that the cluster-robust error over stores has ≥ 29 degrees of freedom while S ≤ 1920
    /// ([`Batch::resolve`]).
    Auto,
}

/// Fewest stores per point under `--targets auto`.
pub const AUTO_MIN_STORES: usize = 30;
/// Most targets per store under `--targets auto`.
pub const AUTO_MAX_TARGETS: usize = 64;

/// Number format of the pattern store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// f32 (4 bytes per entry).
    #[default]
    F32,
    /// IEEE half precision (2 bytes per entry); the rounded values are the patterns.
    F16,
    /// i8 (1 byte per entry); only for ±1 patterns (binary ensemble).
    I8,
}

impl Precision {
    /// Bytes per stored pattern entry.
    pub fn bytes(self) -> usize {
        match self {
            Precision::F32 => 4,
            Precision::F16 => 2,
            Precision::I8 => 1,
        }
    }
    /// Name as written on the command line and in CSV.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F16 => "f16",
            Precision::I8 => "i8",
        }
    }
}

/// Random streams across the points of a sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Streams {
    /// Every point uses streams (seed, s): common random numbers, smooth curves, correlated
    /// deviations between neighbouring points.
    #[default]
    Shared,
    /// Each point's streams are seeded by a hash of (seed, its parameters): points are
    /// statistically independent.
    Independent,
}

impl Streams {
    /// Name as written on the command line and in CSV.
    pub fn name(self) -> &'static str {
        match self {
            Streams::Shared => "shared",
            Streams::Independent => "independent",
        }
    }
}

impl std::str::FromStr for Targets {
    type Err = String;
    /// `all`, or a whole number K (its range is checked against P by [`Batch::validate`]).
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim() {
            "all" => Ok(Targets::All),
            "auto" => Ok(Targets::Auto),
            t if t.starts_with("at-most:") => t["at-most:".len()..]
                .parse::<usize>()
                .map(Targets::AtMost)
                .map_err(|_| format!("'{t}': expected at-most:K with a whole number K >= 1")),
            t => t.parse::<usize>().map(Targets::Count).map_err(|_| {
                format!("'{t}': expected auto, a whole number K >= 1, at-most:K or 'all'")
            }),
        }
    }
}

impl std::fmt::Display for Targets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Targets::All => f.write_str("all"),
            Targets::Auto => f.write_str("auto"),
            Targets::Count(k) => write!(f, "{k}"),
            Targets::AtMost(k) => write!(f, "at-most:{k}"),
        }
    }
}

impl std::str::FromStr for Precision {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim() {
            "f32" => Ok(Precision::F32),
            "f16" => Ok(Precision::F16),
            "i8" => Ok(Precision::I8),
            t => Err(format!(
                "'{t}': expected f32, f16 or i8 (i8: binary patterns only)"
            )),
        }
    }
}

impl std::str::FromStr for Streams {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim() {
            "shared" => Ok(Streams::Shared),
            "independent" => Ok(Streams::Independent),
            t => Err(format!("'{t}': expected shared or independent")),
        }
    }
}

/// How a point's samples are organised: targets per store, planted norm, store format, streams.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Batch {
    /// Targets per store.
    pub targets: Targets,
    /// Planted squared norm per component ρ of every target (None: as drawn).
    pub target_norm: Option<f64>,
    /// Store format.
    pub precision: Precision,
    /// Random streams across points.
    pub streams: Streams,
    /// Refuse runs whose estimated time exceeds this many seconds (`targets = all`).
    pub max_seconds: f64,
}

impl Default for Batch {
    /// One target per store, as drawn, f32, shared streams: today's single-target protocol.
    fn default() -> Self {
        Batch {
            targets: Targets::Count(1),
            target_norm: None,
            precision: Precision::F32,
            streams: Streams::Shared,
            max_seconds: 3600.0,
        }
    }
}

impl Batch {
    /// A batch with shared streams and the default time limit (one hour).
    pub fn shared(targets: Targets, target_norm: Option<f64>, precision: Precision) -> Self {
        Batch {
            targets,
            target_norm,
            precision,
            ..Batch::default()
        }
    }

    /// Targets per store K for point `p` (`auto` unresolved: its largest K, min(64, P)).
    pub fn per_store(&self, p: &SimParams) -> usize {
        match self.targets {
            Targets::Count(k) => k,
            Targets::All => p.patterns_f64() as usize,
            Targets::AtMost(k) => k.min(p.patterns_f64() as usize),
            Targets::Auto => AUTO_MAX_TARGETS.min(p.patterns_f64() as usize),
        }
    }

    /// The batch for a run of `samples` targets: `auto` becomes at-most:K with
    /// K = min(max(⌊S/30⌋, 1), 64), so ⌈S/K⌉ ≥ 30 stores while S ≤ 1920 (S < 30: one target
    /// per store); any other layout as it is.
    pub fn resolve(&self, samples: usize) -> Batch {
        match self.targets {
            Targets::Auto => Batch {
                targets: Targets::AtMost((samples / AUTO_MIN_STORES).clamp(1, AUTO_MAX_TARGETS)),
                ..*self
            },
            _ => *self,
        }
    }

    /// Whether this batch is exactly the single-target protocol of [`super::sim`] (which then
    /// runs unchanged, bit for bit).
    pub fn is_single_target(&self) -> bool {
        self.targets == Targets::Count(1)
            && self.target_norm.is_none()
            && self.precision == Precision::F32
    }

    /// Check the batch against point `p` and the ensemble (by name).
    pub fn validate(&self, p: &SimParams, ensemble: &str) -> Result<()> {
        let pc = p.patterns_f64();
        if let Targets::AtMost(0) = self.targets {
            return Err(EngramError::InvalidParameter {
                name: "targets",
                value: "at-most:0".into(),
                allowed: "at-most:K with K >= 1",
            });
        }
        if let Targets::Count(k) = self.targets {
            if k == 0 || k as f64 > pc {
                return Err(EngramError::InvalidParameter {
                    name: "targets",
                    value: format!(
                        "{k} (P = {pc} patterns at N = {}, alpha = {})",
                        p.n, p.alpha
                    ),
                    allowed: "a whole number K with 1 <= K <= P, or 'all'",
                });
            }
        }
        if let Some(r) = self.target_norm {
            if !(r.is_finite() && r > 0.0) {
                return Err(EngramError::InvalidParameter {
                    name: "target-norm",
                    value: r.to_string(),
                    allowed: "a finite squared norm per component rho > 0",
                });
            }
        }
        if self.precision == Precision::I8 && ensemble != "binary" {
            return Err(EngramError::InvalidParameter {
                name: "store",
                value: format!("i8 with the {ensemble} ensemble"),
                allowed: "f32 or f16 (i8 stores hold +-1 patterns only: ensemble binary)",
            });
        }
        if self.precision == Precision::I8 && self.target_norm.is_some_and(|r| r != 1.0) {
            return Err(EngramError::InvalidParameter {
                name: "target-norm",
                value: format!("{} with an i8 store", self.target_norm.unwrap_or(1.0)),
                allowed:
                    "rho = 1 for +-1 patterns in an i8 store; use f32 or f16 to plant other norms",
            });
        }
        if self.max_seconds.is_nan() || self.max_seconds <= 0.0 {
            return Err(EngramError::InvalidParameter {
                name: "max-seconds",
                value: self.max_seconds.to_string(),
                allowed: "a positive time limit",
            });
        }
        Ok(())
    }

    /// Stores needed for `samples` retrieval targets (`samples` stores for `targets = all`).
    pub fn stores(&self, p: &SimParams, samples: usize) -> usize {
        match self.targets {
            Targets::All => samples,
            _ => samples.div_ceil(self.per_store(p)),
        }
    }

    /// Retrieval targets in a run of `samples` (targets, or stores for `targets = all`).
    pub fn total_targets(&self, p: &SimParams, samples: usize) -> f64 {
        match self.targets {
            Targets::All => samples as f64 * p.patterns_f64(),
            _ => samples as f64,
        }
    }

    /// Estimated seconds of a run: targets × [`ASSUMED_STEPS`] steps × 4·P·N flops at
    /// [`ASSUMED_FLOPS_PER_THREAD`] per thread.
    pub fn estimated_seconds(&self, p: &SimParams, samples: usize, threads: usize) -> f64 {
        let targets = match self.targets {
            Targets::All => samples as f64 * p.patterns_f64(),
            _ => samples as f64,
        };
        let flops =
            targets * ASSUMED_STEPS.min(p.max_steps as f64) * 4.0 * p.patterns_f64() * p.n as f64;
        flops / (ASSUMED_FLOPS_PER_THREAD * threads.max(1) as f64)
    }

    /// The seed of this point's streams.
    pub fn stream_seed(&self, p: &SimParams) -> u64 {
        match self.streams {
            Streams::Shared => p.seed,
            Streams::Independent => {
                let start = match p.start {
                    Start::Pattern => [2.0, 0.0],
                    Start::Cosine { cosine, r } => [cosine, r],
                };
                let mut h = splitmix(p.seed ^ 0x656e_6772_616d);
                for v in [
                    p.n as u64,
                    p.alpha.to_bits(),
                    p.lambda.to_bits(),
                    p.eta.to_bits(),
                    p.max_steps as u64,
                    p.xtol.to_bits(),
                    start[0].to_bits(),
                    start[1].to_bits(),
                    self.target_norm.map_or(0, f64::to_bits),
                ] {
                    h = splitmix(h ^ v);
                }
                h
            }
        }
    }
}

/// SplitMix64 finaliser (a bijective 64-bit mixer).
fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One retrieval target's outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetResult {
    /// Store index s.
    pub store: usize,
    /// Target index k within the store (row k).
    pub target: usize,
    /// ‖ξ^k‖²/N of the target as stored.
    pub rho: f64,
    /// The trajectory's observables (Δ₀ and m relative to ξ^k).
    pub result: SampleResult,
}

/// The refusal of a point whose single pattern store (`per` bytes; `unit` says per what)
/// exceeds `memory_limit` bytes, with the estimate.
pub fn store_too_large(p: &SimParams, per: f64, unit: &str, memory_limit: f64) -> EngramError {
    EngramError::InvalidParameter {
        name: "alpha",
        value: format!(
            "{} at N = {}: P = {:.3e} patterns need {:.2} GiB {unit}, above the memory limit of {:.2} GiB (--memory-gib)",
            p.alpha,
            p.n,
            p.patterns_f64(),
            per / 1024f64.powi(3),
            memory_limit / 1024f64.powi(3)
        ),
        allowed: "alpha*N small enough for one pattern store to fit the memory limit",
    }
}
