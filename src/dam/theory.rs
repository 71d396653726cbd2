//! Retrieval thresholds of dense associative memories from the auxiliary REM (docs/theory.md#alpha-1 to #scaled).

use std::cell::RefCell;

use crate::ensembles::legendre::rate;
use crate::ensembles::PatternEnsemble;
use crate::error::{positive, EngramError, Result};
use crate::numerics::{bracket_increasing, brent_root, minimise_scalar, BracketError};
use crate::rem::{phi, Phase, RemPoint};

/// Outcome of the root search in the norm ρ ([`DamTheory::norm_root`]).
enum NormRoot {
    /// The root.
    Root(f64),
    /// h > 0 already at the smallest norm.
    AboveAtZero,
    /// h < 0 up to ρ₁.
    BelowAtRho1,
}

/// A failure channel of the first-moment bound on α_c (docs/theory.md#alpha-c).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The typical pattern fails: α > α₁.
    Typical,
    /// (a) patterns of atypically small norm fail.
    Norm,
    /// (b) a pair with ξ^ν·ξ^μ > ‖ξ^μ‖² (another pattern steals the attractor).
    Pair,
    /// A target whose whole empirical component law deviates (Sanov; i.i.d. discrete
    /// marginals, docs/theory.md#iid): min_ν max(KL(ν‖π), α_f(λ; ν)).
    Empirical,
    /// The ensemble has failure channels engram does not compute (an i.i.d. marginal whose
    /// target fails through its empirical component law): no bound is reported.
    NotComputed,
}

impl Channel {
    /// Name used in CSV output.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Typical => "typical",
            Channel::Norm => "norm",
            Channel::Pair => "pair",
            Channel::Empirical => "empirical",
            Channel::NotComputed => "not_computed",
        }
    }
}

/// α₁ and the REM phase at the threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Inverse temperature λ.
    pub lambda: f64,
    /// α₁(λ), typical-pattern threshold (docs/theory.md#alpha-1).
    pub alpha_1: f64,
    /// REM phase at (α₁, λ, ρ₁).
    pub phase_at_alpha_1: Phase,
    /// The α_c bound and its channels (docs/theory.md#alpha-c).
    pub alpha_c: AlphaC,
}

/// The α_c lower bound, channel by channel (∞ marks a channel the ensemble does not have).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlphaC {
    /// min over the channels below and α₁.
    pub bound: f64,
    /// Channel (a): sup{α : I_norm(ρ_f(α)) > α}.
    pub norm: f64,
    /// Channel (b): J_pair/2, J_pair = inf_ρ [I_norm(ρ) + I_ρ(ρ)] (λ-independent).
    pub pair: f64,
    /// Norm ρ_f at which channel (a) binds (NaN-free: ∞ if the channel is absent).
    pub rho_f: f64,
    /// The channel attaining the minimum.
    pub binding: Channel,
}

/// Basin of attraction of one attention step (docs/theory.md#basins).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Basin {
    /// Critical overlap m_c = φ(α, λ, r)/λ.
    pub m_c: f64,
    /// Critical cosine m_c/√(r ρ₁); above 1 no start of norm r is retrieved in one step.
    pub cos_c: f64,
    /// REM phase at (α, λ, r).
    pub phase: Phase,
}

/// Scaled dot-product regime (docs/theory.md#scaled, derived, tentative).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScaledThresholds {
    /// β, with λ = β/√N and P = e^{α√N}.
    pub beta: f64,
    /// N → ∞ threshold α₁ = α_c = β ρ₁.
    pub alpha_1: f64,
    /// Finite-N value β ρ₁ − √N Λ_{ρ₁}(β/√N) (if N was given).
    pub alpha_1_n: Option<f64>,
}

/// Theory of a dense associative memory for one pattern ensemble. Construction computes the
/// λ-independent constants once (the condensed-branch α₁ and the stealing-pair rate), so that
/// sweeps over λ cost one or two root solves per point.
#[derive(Debug, Clone, Copy)]
pub struct DamTheory<'a, E: PatternEnsemble + ?Sized> {
    ensemble: &'a E,
    rho1: f64,
    alpha_1_condensed: f64,
    alpha_pair: f64,
}

/// α_f(λ; ρ) of [`DamTheory::failure_load`] for any ensemble (or ensemble view, e.g. a target
/// law of docs/theory.md#iid), without precomputed constants; `condensed` is I_ρ(ρ) when the
/// caller has it. Domain: λ > 0, ρ > 0.
pub(crate) fn failure_load<E: PatternEnsemble + ?Sized>(
    e: &E,
    lambda: f64,
    rho: f64,
    condensed: Option<f64>,
) -> Result<(f64, Phase)> {
    if e.log_mgf_prime(lambda, rho) < rho || rho >= e.overlap_edge(rho) {
        Ok((lambda * rho - e.log_mgf(lambda, rho), Phase::Uncondensed))
    } else {
        Ok((
            condensed.map_or_else(|| rate(e, rho, rho), Ok)?,
            Phase::Condensed,
        ))
    }
}

/// Run a fallible scalar function inside a root finder: the first error is kept and returned
/// instead of the root finder's own failure.
struct Fallible {
    err: RefCell<Option<EngramError>>,
}

impl Fallible {
    fn new() -> Self {
        Self {
            err: RefCell::new(None),
        }
    }
    fn eval(&self, r: Result<f64>) -> f64 {
        match r {
            Ok(v) => v,
            Err(e) => {
                self.err.borrow_mut().get_or_insert(e);
                f64::NAN
            }
        }
    }
    fn take_or(&self, fallback: EngramError) -> EngramError {
        self.err.borrow_mut().take().unwrap_or(fallback)
    }
}

impl<'a, E: PatternEnsemble + ?Sized> DamTheory<'a, E> {
    /// Precompute the λ-independent constants of ensemble `e`.
    pub fn new(e: &'a E) -> Result<Self> {
        e.check_theory()?;
        let rho1 = e.rho1();
        let alpha_1_condensed = rate(e, rho1, rho1)?;
        let alpha_pair = Self::pair_channel(e, rho1)?;
        Ok(Self {
            ensemble: e,
            rho1,
            alpha_1_condensed,
            alpha_pair,
        })
    }

    /// The ensemble.
    pub fn ensemble(&self) -> &'a E {
        self.ensemble
    }

    /// Stealing-pair bound α_pair = J/2, J = inf_ρ [I_norm(ρ) + I_ρ(ρ)]: pattern μ of norm ρ,
    /// an independent pattern ν with overlap ξ^ν·ξ^μ/N = u > ρ (rate I_ρ(u)); e^{2αN} pairs.
    /// The infimum over ρ is taken in ln ρ ∈ [ln ρ₁ − 25, ln ρ₁ + 5] (assumed unimodal there).
    fn pair_channel(e: &E, rho1: f64) -> Result<f64> {
        if e.norm_rate(rho1).is_none() {
            return Ok(0.5 * rate(e, rho1, rho1)?);
        }
        let fail = Fallible::new();
        let cost = |t: f64| {
            let rho = rho1 * t.exp();
            let i_norm = e.norm_rate(rho).unwrap_or(f64::INFINITY);
            let i_pair = fail.eval(rate(e, rho, rho));
            // BrentOpt needs finite costs; infinite rates become a large finite wall
            (i_norm + i_pair).min(1e300)
        };
        let (_, j) = minimise_scalar(cost, -25.0, 5.0).map_err(|reason| {
            fail.take_or(EngramError::NoConvergence {
                context: format!("stealing-pair rate of {}", e.name()),
                reason,
            })
        })?;
        if let Some(err) = fail.err.borrow_mut().take() {
            return Err(err);
        }
        Ok(if j >= 1e300 { f64::INFINITY } else { 0.5 * j })
    }

    /// Load α_f(λ; ρ) above which a pattern of squared norm ρ is not retrieved, i.e. the root
    /// in α of λρ = φ(α, λ, ρ) (docs/theory.md#alpha-1 with r = m = ρ):
    /// uncondensed at threshold (Λ_ρ'(λ) < ρ): α_f = λρ − Λ_ρ(λ); otherwise α_f = I_ρ(ρ).
    /// When ρ is at or beyond the overlap edge (spherical, binary at ρ = ρ₁) the threshold is
    /// always uncondensed, even where Λ_ρ'(λ) rounds to the edge.
    ///
    /// Domain: λ > 0, ρ > 0.
    pub fn failure_load(&self, lambda: f64, rho: f64) -> Result<(f64, Phase)> {
        let cached = (rho == self.rho1).then_some(self.alpha_1_condensed);
        failure_load(self.ensemble, lambda, rho, cached)
    }

    /// α₁(λ) = sup{α : λρ₁ > φ(α, λ, ρ₁)} and the REM phase at the threshold (docs/theory.md#alpha-1).
    pub fn alpha_1(&self, lambda: f64) -> Result<(f64, Phase)> {
        positive("lambda", lambda)?;
        self.failure_load(lambda, self.rho1)
    }

    /// λ_c(α), the inverse of α₁: the smallest λ at which the typical pattern is retrieved at
    /// load α. ∞ if α ≥ sup_λ α₁(λ) (e.g. α ≥ 1/2 for gaussian patterns).
    pub fn lambda_c(&self, alpha: f64) -> Result<f64> {
        positive("alpha", alpha)?;
        let fail = Fallible::new();
        let f = |l: f64| fail.eval(self.failure_load(l, self.rho1).map(|(a, _)| a)) - alpha;
        let context = || format!("lambda_c of {} at alpha={alpha}", self.ensemble.name());
        // α₁ ≤ λρ₁ (Λ ≥ 0), so λ_c ≥ α/ρ₁
        let start = alpha / self.rho1;
        let (lo, hi) = match bracket_increasing(&f, start, start, 1e12, 2.0) {
            Ok(Some(b)) => b,
            Ok(None) => return Ok(start),
            Err(BracketError::BeyondLimit { .. }) => return Ok(f64::INFINITY),
            Err(BracketError::NonFinite { x }) => {
                return Err(fail.take_or(EngramError::NoConvergence {
                    context: context(),
                    reason: format!("non-finite alpha_1 at lambda = {x}"),
                }))
            }
        };
        brent_root(&f, lo, hi, 0.0).map_err(|e| {
            fail.take_or(EngramError::NoConvergence {
                context: context(),
                reason: e.to_string(),
            })
        })
    }

    /// Channel (a): solve I_norm(ρ) = α_f(λ; ρ) for ρ_f ∈ (0, ρ₁) (I_norm decreases, α_f
    /// increases) and return (α_norm, ρ_f) = (α_f(λ; ρ_f), ρ_f). (∞, ∞) for a fixed norm.
    pub fn norm_channel(&self, lambda: f64) -> Result<(f64, f64)> {
        positive("lambda", lambda)?;
        let e = self.ensemble;
        if e.norm_rate(self.rho1).is_none() {
            return Ok((f64::INFINITY, f64::INFINITY));
        }
        let h = |rho: f64| {
            Ok(self.failure_load(lambda, rho)?.0 - e.norm_rate(rho).unwrap_or(f64::INFINITY))
        };
        let context = || format!("alpha_c norm channel of {} at lambda={lambda}", e.name());
        let rho_f = match self.norm_root(h, context)? {
            NormRoot::Root(r) => r,
            NormRoot::AboveAtZero => {
                return Err(EngramError::NoConvergence {
                    context: context(),
                    reason: "no root above rho = 1e-300".into(),
                })
            }
            // even the typical pattern fails first: the channel does not bind
            NormRoot::BelowAtRho1 => return Ok((f64::INFINITY, f64::INFINITY)),
        };
        Ok((self.failure_load(lambda, rho_f)?.0, rho_f))
    }

    /// The failing norm ρ_f(α) at load α: the root in ρ of α_f(λ; ρ) = α (α_f increases with ρ),
    /// so that patterns of squared norm ρ < ρ_f fail. `None` when the typical pattern fails
    /// too (α ≥ α₁). The fraction of failing patterns is then ≈ e^{−N I_norm(ρ_f)}
    /// (docs/theory.md#alpha-c). Domain: λ > 0, α > 0.
    pub fn failure_norm(&self, lambda: f64, alpha: f64) -> Result<Option<f64>> {
        positive("lambda", lambda)?;
        positive("alpha", alpha)?;
        let h = |rho: f64| Ok(self.failure_load(lambda, rho)?.0 - alpha);
        let context = || {
            format!(
                "failing norm of {} at lambda={lambda}, alpha={alpha}",
                self.ensemble.name()
            )
        };
        Ok(match self.norm_root(h, context)? {
            NormRoot::Root(r) => Some(r),
            NormRoot::AboveAtZero => Some(0.0),
            NormRoot::BelowAtRho1 => None,
        })
    }

    /// Root in ρ ∈ (1e-300 ρ₁, ρ₁] of an increasing h(ρ) (geometric bracket from ρ₁/2, then
    /// Brent), shared by the norm channel and the failing norm; the first error of h is kept.
    fn norm_root(
        &self,
        h: impl Fn(f64) -> Result<f64>,
        context: impl Fn() -> String,
    ) -> Result<NormRoot> {
        let fail = Fallible::new();
        let f = |rho: f64| fail.eval(h(rho));
        let no_conv = |reason: String| EngramError::NoConvergence {
            context: context(),
            reason,
        };
        let rho1 = self.rho1;
        let (lo, hi) = match bracket_increasing(&f, 0.5 * rho1, 1e-300 * rho1, rho1, 2.0) {
            Ok(Some(b)) => b,
            Ok(None) => return Ok(NormRoot::AboveAtZero),
            Err(BracketError::BeyondLimit { .. }) => return Ok(NormRoot::BelowAtRho1),
            Err(BracketError::NonFinite { x }) => {
                return Err(fail.take_or(no_conv(format!("non-finite at rho = {x}"))))
            }
        };
        let r = brent_root(&f, lo, hi, 0.0).map_err(|e| fail.take_or(no_conv(e.to_string())))?;
        Ok(NormRoot::Root(r))
    }

    /// Channel (b), α_pair (λ-independent; ∞ if the ensemble has no stealing pairs).
    pub fn pair_channel_bound(&self) -> f64 {
        self.alpha_pair
    }

    /// The α_c lower bound at λ with its channels (docs/theory.md#alpha-c).
    pub fn alpha_c(&self, lambda: f64) -> Result<AlphaC> {
        let (alpha_1, _) = self.alpha_1(lambda)?;
        self.alpha_c_given_alpha_1(lambda, alpha_1)
    }

    fn alpha_c_given_alpha_1(&self, lambda: f64, alpha_1: f64) -> Result<AlphaC> {
        if !self.ensemble.alpha_c_channels_complete() {
            let Some(channels) = self.ensemble.alpha_c_empirical(lambda) else {
                return Ok(AlphaC {
                    bound: f64::NAN,
                    norm: f64::NAN,
                    pair: f64::NAN,
                    rho_f: f64::NAN,
                    binding: Channel::NotComputed,
                });
            };
            // the empirical-law channel contains the norm channel (and, at ν = π, α₁ itself)
            let (empirical, rho_f, pair) = channels?;
            let (mut bound, mut binding) = (alpha_1, Channel::Typical);
            if empirical < alpha_1 * (1.0 - 1e-10) {
                (bound, binding) = (empirical, Channel::Empirical);
            }
            if pair < bound {
                (bound, binding) = (pair, Channel::Pair);
            }
            return Ok(AlphaC {
                bound,
                norm: empirical,
                pair,
                rho_f,
                binding,
            });
        }
        let (norm, rho_f) = self.norm_channel(lambda)?;
        let pair = self.alpha_pair;
        let (mut bound, mut binding) = (alpha_1, Channel::Typical);
        if norm < bound {
            (bound, binding) = (norm, Channel::Norm);
        }
        if pair < bound {
            (bound, binding) = (pair, Channel::Pair);
        }
        Ok(AlphaC {
            bound,
            norm,
            pair,
            rho_f,
            binding,
        })
    }

    /// α₁, its phase and the α_c bound at λ.
    pub fn thresholds(&self, lambda: f64) -> Result<Thresholds> {
        let (alpha_1, phase_at_alpha_1) = self.alpha_1(lambda)?;
        let alpha_c = self.alpha_c_given_alpha_1(lambda, alpha_1)?;
        Ok(Thresholds {
            lambda,
            alpha_1,
            phase_at_alpha_1,
            alpha_c,
        })
    }

    /// Basin of one attention step (docs/theory.md#basins): from the simulator's start
    /// x = √r(c ξ̂¹ + √(1 − c²) ẑ) with overlap m = c√(rρ₁), retrieval iff λm > φ_c(α, λ),
    /// where φ_c is the REM of the start's own overlap law Λ_{a,b} (a = c√(r/ρ₁),
    /// b = √(r(1 − c²))). Rotation-invariant ensembles have φ_c = φ(α, λ, r), so
    /// m_c = φ/λ; otherwise the critical cosine is the first root of λc√(rρ₁) = φ_c in (0, 1]
    /// (grid of 64 cosines, then Brent). Without a root (no start of norm r is retrieved in
    /// one step) cos_c = φ_1/(λ√(rρ₁)) > 1 with the law of c = 1.
    pub fn basin(&self, p: RemPoint) -> Result<Basin> {
        let e = self.ensemble;
        if !e.start_depends_on_cosine() {
            let (phi, phase) = phi(e, p)?;
            let m_c = phi / p.lambda;
            return Ok(Basin {
                m_c,
                cos_c: m_c / (p.r * self.rho1).sqrt(),
                phase,
            });
        }
        let scale = (p.r * self.rho1).sqrt();
        let phi_at = |c: f64| -> Result<(f64, Phase)> {
            let law = crate::ensembles::StartLaw::at_cosine(e, c, p.r);
            phi(&law, p)
        };
        let gap = |c: f64| -> Result<f64> { Ok(p.lambda * c * scale - phi_at(c)?.0) };
        const GRID: usize = 64;
        let mut lo = 0.0;
        let mut root = None;
        for k in 1..=GRID {
            let c = k as f64 / GRID as f64;
            if gap(c)? >= 0.0 {
                root = Some((lo, c));
                break;
            }
            lo = c;
        }
        let Some((lo, hi)) = root else {
            let (phi1, phase) = phi_at(1.0)?;
            let m_c = phi1 / p.lambda;
            return Ok(Basin {
                m_c,
                cos_c: m_c / scale,
                phase,
            });
        };
        let fail = Fallible::new();
        let c = brent_root(|c| fail.eval(gap(c)), lo, hi, 0.0).map_err(|r| {
            fail.take_or(EngramError::NoConvergence {
                context: format!(
                    "critical cosine of {} at alpha={}, lambda={}, r={}",
                    e.name(),
                    p.alpha,
                    p.lambda,
                    p.r
                ),
                reason: r.to_string(),
            })
        })?;
        let (_, phase) = phi_at(c)?;
        Ok(Basin {
            m_c: c * scale,
            cos_c: c,
            phase,
        })
    }

    /// Scaled dot-product regime (docs/theory.md#scaled, derived, tentative): λ = β/√N, P = e^{α√N}.
    /// Signal β√N ρ₁ against noise α√N + N Λ_{ρ₁}(β/√N) ⇒ α₁ = α_c = βρ₁ as N → ∞.
    pub fn scaled(&self, beta: f64, n: Option<f64>) -> Result<ScaledThresholds> {
        positive("beta", beta)?;
        let alpha_1_n = match n {
            Some(n) => {
                let n = positive("n", n)?;
                let s = n.sqrt();
                Some(beta * self.rho1 - s * self.ensemble.log_mgf(beta / s, self.rho1))
            }
            None => None,
        };
        Ok(ScaledThresholds {
            beta,
            alpha_1: beta * self.rho1,
            alpha_1_n,
        })
    }
}
