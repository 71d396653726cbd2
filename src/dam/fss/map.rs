//! The reduced overlap map and its fold: the finite-size theory of retrieval from x₀ = ξ¹
//! (docs/theory.md#fold).
//!
//! **Reduction.** Started at x₀ = ξ¹ (squared norm per component ρ = ‖ξ¹‖²/N), the descent
//! stays, to leading order, on the line x = m ξ¹. There the other patterns' logits are
//! λξ^μ·x = Nλm u_μ with u_μ = ξ^μ·ξ¹/N, the target's is Nλmρ, and the softmax-weighted mean of
//! the others, projected on ξ¹, is their tilted mean b(m)·ξ¹ with
//!
//! b(m) = Λ_ρ'(λm)/ρ          (gaussian λm, spherical q(λm), binary tanh λm),
//!
//! while their orthogonal remainder averages over exponentially many patterns. The update
//! x ← x − η(x − Σ_μ p_μ ξ^μ) becomes the one-dimensional map
//!
//! m ← (1 − η)m + η F(m),   F(m) = p₁(m) + (1 − p₁(m)) b(m),
//!
//! p₁(m) = 1/(1 + Z(m)e^{−Nλmρ}), Z(m) = Σ_{μ≥2} e^{Nλm u_μ}. F increases with m, so the
//! trajectory from m = 1 is monotone; it converges to the fixed point near m = 1 (retrieval) or
//! falls through Δ₀ = ρ(1 − m)² = θ and never comes back.
//!
//! **Annealed map** ([`ReducedMap`]): ln Z(m) = ln(P − 1) + NΛ_ρ(λm), the uncondensed law of
//! large numbers; any ensemble through [`PatternEnsemble`].
//!
//! **Fold** ([`fold_expansion`]). Near m = 1, ε = 1 − m solves ε = (1 − b₁)e^{−Ng(1)}e^{kε}
//! with g(m) = λmρ − Λ_ρ(λm) − α, b₁ = b(1) and k = Nλρ(1 − b₁) = Ng'(1); a solution exists
//! iff k(1 − b₁)e^{1 − Ng(1)} ≤ 1, so the retrieval fixed point is lost in a saddle-node at
//!
//! α½(N) = α_f(λ; ρ) − [1 + ln(N c)]/N + o(1/N),  c = λρ(1 − b₁)²,
//!
//! α_f = λρ − Λ_ρ(λ) (= ρα₁ for gaussian). Domain: the uncondensed phase at threshold
//! (b₁ < 1, i.e. Λ_ρ'(λ) < ρ).
//!
//! **Finite-N map** ([`MapSample`], [`map_alpha_half`]): the P − 1 overlaps drawn from their
//! exact laws ([`OverlapLaw`]), ξ¹'s norm drawn (gaussian) or planted, and the map iterated with
//! the simulator's η, max_steps, xtol and Δ₀ < θ: a theory curve p_retrieved(α; N) with no
//! stored pattern, including the discreteness of P = round(e^{αN}) and the fluctuations of Z.
//! Neglected: the orthogonal component of x (the patterns that built it gain overlap with it),
//! which is of the order of the inverse participation Σ_μ p_μ² of the others.

use rayon::prelude::*;

use super::rem::OverlapLaw;
use crate::dam::params::SimParams;
use crate::ensembles::{sample_rng, EnsembleKind, PatternEnsemble};
use crate::error::{positive, EngramError, Result};
use crate::stats::median_with_error;

/// The simulator's dynamics and retrieval test, as the map uses them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapDynamics {
    /// Step size η (0 < η ≤ 1 keeps the map monotone).
    pub eta: f64,
    /// Step limit.
    pub max_steps: usize,
    /// Convergence tolerance on ‖Δx‖/√N = |Δm|√ρ.
    pub xtol: f64,
    /// Retrieval threshold θ on Δ₀ = ρ(1 − m)².
    pub threshold: f64,
}

impl MapDynamics {
    /// The dynamics of a simulator point.
    pub fn of(p: &SimParams) -> Self {
        MapDynamics {
            eta: p.eta,
            max_steps: p.max_steps,
            xtol: p.xtol,
            threshold: p.threshold,
        }
    }

    /// The published protocol (η = 0.5, 1000 steps, xtol 1e-6, θ = 0.05).
    pub fn protocol() -> Self {
        Self::of(&SimParams::protocol(2, 0.1, 0.1, 0))
    }

    fn validate(&self) -> Result<()> {
        if !(self.eta > 0.0 && self.eta <= 1.0) {
            return Err(EngramError::InvalidParameter {
                name: "eta",
                value: self.eta.to_string(),
                allowed: "0 < eta <= 1 for the reduced map (a monotone map)",
            });
        }
        positive("xtol", self.xtol)?;
        positive("threshold", self.threshold)?;
        if self.max_steps == 0 {
            return Err(EngramError::InvalidParameter {
                name: "max-steps",
                value: "0".into(),
                allowed: "at least 1 step",
            });
        }
        Ok(())
    }
}

/// End of one trajectory of the map from m = 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapOutcome {
    /// Final m.
    pub m: f64,
    /// Δ₀ = ρ(1 − m)² (on the line; the orthogonal part is neglected).
    pub delta0: f64,
    /// Steps taken.
    pub steps: usize,
    /// Δ₀ < θ at the end (the simulator's test).
    pub retrieved: bool,
}

/// The others' total softmax weight 1 − p₁ = 1/(1 + e^{−lo}) from their log-odds `lo` against
/// the target, without overflow.
fn logistic(lo: f64) -> f64 {
    if lo > 0.0 {
        1.0 / (1.0 + (-lo).exp())
    } else {
        let e = lo.exp();
        e / (1.0 + e)
    }
}

/// Iterate m ← (1 − η)m + ηF(m) from m = 1 with the simulator's stopping rule; stop early once
/// Δ₀ ≥ θ on the way down (the trajectory is monotone, it cannot come back).
fn descend(rho: f64, d: &MapDynamics, mut f: impl FnMut(f64) -> f64) -> MapOutcome {
    let mut m = 1.0;
    let mut steps = 0;
    let sr = rho.sqrt();
    while steps < d.max_steps {
        let next = (1.0 - d.eta) * m + d.eta * f(m);
        let dm = next - m;
        m = next;
        steps += 1;
        if rho * (1.0 - m).powi(2) >= d.threshold && dm <= 0.0 {
            break;
        }
        if dm.abs() * sr < d.xtol {
            break;
        }
    }
    let delta0 = rho * (1.0 - m).powi(2);
    MapOutcome {
        m,
        delta0,
        steps,
        retrieved: delta0 < d.threshold,
    }
}

/// The annealed reduced map of one target of squared norm ρ at N neurons and inverse
/// temperature λ, for any ensemble (module docs).
pub struct ReducedMap<'a> {
    ens: &'a dyn PatternEnsemble,
    n: usize,
    lambda: f64,
    rho: f64,
}

impl<'a> ReducedMap<'a> {
    /// Domain: N ≥ 2, λ > 0, ρ > 0.
    pub fn new(ens: &'a dyn PatternEnsemble, n: usize, lambda: f64, rho: f64) -> Result<Self> {
        positive("lambda", lambda)?;
        positive("rho", rho)?;
        if n < 2 {
            return Err(EngramError::InvalidParameter {
                name: "n",
                value: n.to_string(),
                allowed: "N >= 2",
            });
        }
        Ok(ReducedMap {
            ens,
            n,
            lambda,
            rho,
        })
    }

    /// b(m) = Λ_ρ'(λm)/ρ, the tilted mean of the other patterns along ξ¹ (in units of ξ¹).
    pub fn tilted_mean(&self, m: f64) -> f64 {
        self.ens.log_mgf_prime(self.lambda * m, self.rho) / self.rho
    }

    /// F(m) with ln Z(m) = ln(P − 1) + NΛ_ρ(λm); `ln_others` = ln(P − 1) (log space: P is
    /// e^{αN}).
    pub fn update(&self, m: f64, ln_others: f64) -> f64 {
        let nf = self.n as f64;
        let t = self.lambda * m;
        // log-odds of the others against the target
        let lo = ln_others + nf * (self.ens.log_mgf(t, self.rho) - t * self.rho);
        let w = logistic(lo);
        (1.0 - w) + w * self.tilted_mean(m)
    }

    /// The trajectory from m = 1 with P = e^{αN} patterns (P continuous).
    pub fn descend(&self, alpha: f64, d: &MapDynamics) -> MapOutcome {
        // ln(e^{αN} − 1) without overflow
        let an = alpha * self.n as f64;
        let ln_others = if an > 0.0 {
            an + (-(-an).exp()).ln_1p()
        } else {
            f64::NEG_INFINITY
        };
        descend(self.rho, d, |m| self.update(m, ln_others))
    }

    /// The critical load of the annealed map: the α (P = e^{αN} continuous) above which the
    /// trajectory from m = 1 no longer ends with Δ₀ < θ, by bisection to 1e-10 in α. An error if
    /// no load up to 4·α_f + 10/N loses retrieval.
    pub fn critical_load(&self, d: &MapDynamics) -> Result<f64> {
        d.validate()?;
        let nf = self.n as f64;
        let limit = self.lambda * self.rho - self.ens.log_mgf(self.lambda, self.rho);
        let hi_max = 4.0 * limit.max(0.0) + 10.0 / nf;
        let (mut lo, mut hi) = (0.0, limit.max(1.0 / nf));
        while self.descend(hi, d).retrieved {
            lo = hi;
            hi *= 1.5;
            if hi > hi_max {
                return Err(EngramError::NoConvergence {
                    context: format!(
                        "critical load of the reduced map at N = {}, lambda = {}, rho = {}",
                        self.n, self.lambda, self.rho
                    ),
                    reason: format!("still retrieved at alpha = {hi_max}"),
                });
            }
        }
        if !self.descend(lo, d).retrieved {
            return Err(EngramError::NoConvergence {
                context: format!(
                    "critical load of the reduced map at N = {}, lambda = {}, rho = {}",
                    self.n, self.lambda, self.rho
                ),
                reason: format!(
                    "not retrieved even with one pattern (threshold {})",
                    d.threshold
                ),
            });
        }
        while hi - lo > 1e-10 {
            let mid = 0.5 * (lo + hi);
            if self.descend(mid, d).retrieved {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Ok(0.5 * (lo + hi))
    }
}

/// The fold expansion of docs/theory.md#fold for one ensemble, λ and target norm ρ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FoldExpansion {
    /// α_f(λ; ρ) = λρ − Λ_ρ(λ), the N → ∞ limit (ρα₁ for gaussian; α₁ at ρ = ρ₁).
    pub limit: f64,
    /// b₁ = Λ_ρ'(λ)/ρ, the others' tilted mean at m = 1.
    pub b1: f64,
    /// c = λρ(1 − b₁)².
    pub c: f64,
}

impl FoldExpansion {
    /// α½(N) ≈ α_f − [1 + ln(N c)]/N.
    pub fn alpha_half(&self, n: f64) -> f64 {
        self.limit - (1.0 + (n * self.c).ln()) / n
    }

    /// The 1/N coefficient c' in α½ = α_f − (ln N + c')/N: c' = 1 + ln c.
    pub fn c_prime(&self) -> f64 {
        1.0 + self.c.ln()
    }
}

/// The fold expansion at (λ, ρ). Domain: λ > 0, ρ > 0, uncondensed at threshold (b₁ < 1);
/// an error names the condition otherwise (the condensed phase has no such fold: the others'
/// sum is dominated by a few top overlaps).
pub fn fold_expansion(ens: &dyn PatternEnsemble, lambda: f64, rho: f64) -> Result<FoldExpansion> {
    positive("lambda", lambda)?;
    positive("rho", rho)?;
    let b1 = ens.log_mgf_prime(lambda, rho) / rho;
    if b1 >= 1.0 || !b1.is_finite() {
        return Err(EngramError::InvalidParameter {
            name: "lambda",
            value: format!("{lambda} (rho = {rho}, tilted mean b1 = {b1})"),
            allowed: "the uncondensed phase at threshold, b1 = Lambda'_rho(lambda)/rho < 1 (gaussian: lambda < 1)",
        });
    }
    Ok(FoldExpansion {
        limit: lambda * rho - ens.log_mgf(lambda, rho),
        b1,
        c: lambda * rho * (1.0 - b1).powi(2),
    })
}

/// a·b + c, fused where the caller is compiled with FMA (`F`).
#[inline(always)]
fn madd<const F: bool>(a: f32, b: f32, c: f32) -> f32 {
    if F {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// f32 e^x for x ≤ 0 (Cephes expf: Cody–Waite reduction, degree-5 polynomial; relative error
/// below 2e-7; inputs below −87 give ~1e-38); written so that the loop around it vectorises.
#[inline(always)]
fn exp_f32<const F: bool>(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const C1: f32 = 0.693_359_4;
    const C2: f32 = -2.121_944_4e-4;
    let x = x.max(-87.0);
    // round to nearest by the 1.5·2²³ shifter; k also sits in the shifter's low mantissa bits
    // (integer ops only, so the loop vectorises: no saturating float-to-int conversion)
    let shifted = madd::<F>(x, LOG2E, 12_582_912.0);
    let k = shifted - 12_582_912.0;
    let ki = shifted.to_bits().wrapping_sub(0x4B40_0000);
    let r = madd::<F>(-k, C2, madd::<F>(-k, C1, x));
    let mut p = 1.987_569_1e-4f32;
    p = madd::<F>(p, r, 1.398_199_9e-3);
    p = madd::<F>(p, r, 8.333_452e-3);
    p = madd::<F>(p, r, 4.166_579_6e-2);
    p = madd::<F>(p, r, 1.666_666_5e-1);
    // Cephes' 5.0000001201e-1 rounds to exactly 0.5 in f32
    p = madd::<F>(p, r, 0.5);
    let y = madd::<F>(p, r * r, r + 1.0);
    y * f32::from_bits(ki.wrapping_add(127) << 23)
}

/// (Σ e^{a u − s}, Σ u e^{a u − s}) over `u` (a u − s ≤ 0): 16 f32 lanes per block of 1024,
/// blocks summed in f64.
#[inline(always)]
fn tilted_sums_body<const F: bool>(u: &[f32], a: f32, s: f32) -> (f64, f64) {
    let (mut z, mut t) = (0f64, 0f64);
    for block in u.chunks(1024) {
        let (mut lz, mut lt) = ([0f32; 16], [0f32; 16]);
        let mut it = block.chunks_exact(16);
        for c in &mut it {
            for j in 0..16 {
                let e = exp_f32::<F>(madd::<F>(a, c[j], -s));
                lz[j] += e;
                lt[j] = madd::<F>(e, c[j], lt[j]);
            }
        }
        for &v in it.remainder() {
            let e = exp_f32::<F>(madd::<F>(a, v, -s));
            lz[0] += e;
            lt[0] += e * v;
        }
        z += lz.iter().map(|&v| v as f64).sum::<f64>();
        t += lt.iter().map(|&v| v as f64).sum::<f64>();
    }
    (z, t)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn tilted_sums_avx2(u: &[f32], a: f32, s: f32) -> (f64, f64) {
    tilted_sums_body::<true>(u, a, s)
}

fn tilted_sums(u: &[f32], a: f32, s: f32) -> (f64, f64) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports the features the function is compiled for
        return unsafe { tilted_sums_avx2(u, a, s) };
    }
    tilted_sums_body::<false>(u, a, s)
}

/// One draw of the finite-N map: ξ¹'s squared norm and the overlaps u_μ = ξ^μ·ξ¹/N of the other
/// patterns in draw order, extended on demand (so one draw serves every P).
pub struct MapSample {
    law: OverlapLaw,
    rng: rand_chacha::ChaCha8Rng,
    /// The stream right after ξ¹'s norm: where every streaming pass starts.
    start: rand_chacha::ChaCha8Rng,
    n: usize,
    lambda: f64,
    /// ρ = ‖ξ¹‖²/N.
    pub rho: f64,
    u: Vec<f32>,
    /// Running maximum and minimum of u over each prefix length, in blocks (for the shift).
    max_prefix: Vec<f32>,
    min_prefix: Vec<f32>,
}

impl MapSample {
    /// A new draw from `rng` (`target_norm`: planted ρ). Domain: N ≥ 2, λ > 0.
    pub fn new(
        kind: EnsembleKind,
        n: usize,
        lambda: f64,
        target_norm: Option<f64>,
        mut rng: rand_chacha::ChaCha8Rng,
    ) -> Self {
        let law = OverlapLaw::new(kind, n, target_norm, &mut rng);
        MapSample {
            rho: law.r2 / n as f64,
            law,
            start: rng.clone(),
            rng,
            n,
            lambda,
            u: Vec::new(),
            max_prefix: Vec::new(),
            min_prefix: Vec::new(),
        }
    }

    /// Make sure the overlaps of P − 1 others are drawn.
    fn extend(&mut self, others: usize) -> Result<()> {
        if others > self.u.len() {
            let more = others - self.u.len();
            self.u
                .try_reserve_exact(more)
                .map_err(|_| EngramError::OutOfMemory {
                    what: "overlaps of the finite-N map",
                    bytes: (others * 12) as f64,
                })?;
            self.max_prefix.reserve_exact(more);
            self.min_prefix.reserve_exact(more);
            let nf = self.n as f64;
            let (mut hi, mut lo) = (
                self.max_prefix.last().copied().unwrap_or(f32::NEG_INFINITY),
                self.min_prefix.last().copied().unwrap_or(f32::INFINITY),
            );
            for _ in 0..more {
                let v = (self.law.draw(&mut self.rng) / nf) as f32;
                hi = hi.max(v);
                lo = lo.min(v);
                self.u.push(v);
                self.max_prefix.push(hi);
                self.min_prefix.push(lo);
            }
        }
        Ok(())
    }

    /// F(m) with the first `others` drawn overlaps.
    fn update(&self, m: f64, others: usize) -> f64 {
        let nf = self.n as f64;
        let a = nf * self.lambda * m;
        let target = a * self.rho;
        if others == 0 {
            return 1.0;
        }
        let u = &self.u[..others];
        let top = if a >= 0.0 {
            self.max_prefix[others - 1]
        } else {
            self.min_prefix[others - 1]
        } as f64;
        let shift = a * top;
        let (z, t) = tilted_sums(u, a as f32, shift as f32);
        // F = (e^{target} + Σ e^{a u} u/ρ)/(e^{target} + Σ e^{a u}), with a common scale
        let mx = target.max(shift);
        let w1 = (target - mx).exp();
        let r = (shift - mx).exp();
        (w1 + r * t / self.rho) / (w1 + r * z)
    }

    /// The map's trajectory with P patterns (P − 1 others).
    pub fn descend(&mut self, patterns: usize, d: &MapDynamics) -> Result<MapOutcome> {
        let others = patterns.saturating_sub(1);
        self.extend(others)?;
        let rho = self.rho;
        Ok(descend(rho, d, |m| self.update(m, others)))
    }

    /// This draw's critical load α_s, by the direct method (every step sums over the stored
    /// overlaps): retrieved for P ≤ P_s, so (P = round(e^{αN})) for every α < α_s =
    /// ln(P_s + ½)/N. The bracket starts at the annealed map's critical load for this ρ, widens
    /// by factors e, and is bisected on P until hi = lo + 1 or ln(hi/lo) < N·1e-5. The
    /// reference for [`MapSample::critical_load`] (which streams); its cost is steps × P per
    /// bisection step, up to max_steps × P near the fold. Patterns beyond `max_patterns`: an
    /// error naming it.
    pub fn critical_load_direct(
        &mut self,
        kind: EnsembleKind,
        d: &MapDynamics,
        max_patterns: usize,
    ) -> Result<f64> {
        let guess = self.annealed_guess(kind, d)?;
        self.direct_from(guess, d, max_patterns)
    }

    /// [`MapSample::critical_load_direct`] around the annealed critical load `guess`.
    fn direct_from(&mut self, guess: f64, d: &MapDynamics, max_patterns: usize) -> Result<f64> {
        let nf = self.n as f64;
        let p_of = |a: f64| ((a * nf).exp().round() as usize).max(1);
        let (mut lo, mut hi) = (p_of(guess - 0.5 / nf), p_of(guess + 0.5 / nf).max(2));
        // lo retrieved, hi not
        while lo > 1 && !self.descend(lo, d)?.retrieved {
            hi = lo;
            lo = ((lo as f64) / std::f64::consts::E).floor().max(1.0) as usize;
        }
        while self.descend(hi, d)?.retrieved {
            lo = hi;
            let next = ((hi as f64) * std::f64::consts::E).ceil() as usize;
            if next > max_patterns {
                return Err(EngramError::InvalidParameter {
                    name: "max_patterns",
                    value: format!(
                        "{max_patterns} (a draw is still retrieved at P = {hi}; N = {}, lambda = {}, rho = {})",
                        self.n, self.lambda, self.rho
                    ),
                    allowed: "enough patterns to reach the draw's critical load",
                });
            }
            hi = next;
        }
        while hi - lo > 1 && ((hi as f64) / (lo as f64)).ln() > nf * 1e-5 {
            let mid = lo + (hi - lo) / 2;
            if self.descend(mid, d)?.retrieved {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let ps = if hi - lo <= 1 {
            lo as f64
        } else {
            0.5 * (lo + hi) as f64
        };
        Ok((ps + 0.5).ln() / nf)
    }
}

/// Below this many patterns at the window's upper end, [`MapSample::critical_load`] uses the
/// direct method (measured: at N = 100, λ = 0.1, P ≈ 1700, direct 2.3 ms per draw, streamed
/// 14 ms, its cost being one checkpoint per integer P).
const DIRECT_BELOW: usize = 1 << 14;

/// Chebyshev nodes per interpolation of ln Z(a) and of the tilted mean ū(a).
const NODES: usize = 12;

/// Chebyshev interpolation on [mid − half, mid + half].
#[derive(Debug, Clone, Copy)]
struct Cheb {
    mid: f64,
    half: f64,
}

impl Cheb {
    fn node(&self, k: usize) -> f64 {
        let x = (std::f64::consts::PI * (k as f64 + 0.5) / NODES as f64).cos();
        self.mid + self.half * x
    }

    /// Coefficients from the values at the nodes.
    fn coeffs(f: &[f64; NODES]) -> [f64; NODES] {
        let mut c = [0.0; NODES];
        for (j, cj) in c.iter_mut().enumerate() {
            let s: f64 = (0..NODES)
                .map(|k| {
                    f[k] * (std::f64::consts::PI * j as f64 * (k as f64 + 0.5) / NODES as f64).cos()
                })
                .sum();
            *cj = 2.0 * s / NODES as f64;
        }
        c
    }

    /// Clenshaw's recurrence at a (clamped to the interval).
    fn eval(&self, c: &[f64; NODES], a: f64) -> f64 {
        let x = ((a - self.mid) / self.half).clamp(-1.0, 1.0);
        let (mut b1, mut b2) = (0.0, 0.0);
        for &cj in c.iter().skip(1).rev() {
            let b0 = 2.0 * x * b1 - b2 + cj;
            b2 = b1;
            b1 = b0;
        }
        x * b1 - b2 + 0.5 * c[0]
    }
}

/// ln Z(a) and ū(a) = Σ u e^{au}/Z of one prefix, as Chebyshev coefficients.
struct PrefixFit {
    lnz: [f64; NODES],
    ubar: [f64; NODES],
}

impl MapSample {
    /// The annealed map's critical load for this draw's ρ (0 where it has none): the centre of
    /// the search window.
    fn annealed_guess(&self, kind: EnsembleKind, d: &MapDynamics) -> Result<f64> {
        Ok(
            ReducedMap::new(kind.ensemble(), self.n, self.lambda, self.rho)?
                .critical_load(d)
                .unwrap_or(0.0),
        )
    }

    /// Chebyshev interval in a = Nλm for m ∈ [1 − √(θ/ρ), m_hi] (the m a trajectory visits).
    fn cheb(&self, m_hi: f64, d: &MapDynamics) -> Cheb {
        let nl = self.n as f64 * self.lambda;
        let m_lo = (1.0 - (d.threshold / self.rho).sqrt()).max(0.0);
        Cheb {
            mid: 0.5 * nl * (m_lo + m_hi),
            half: (0.5 * nl * (m_hi - m_lo)).max(1e-12),
        }
    }

    /// Stream the draws once (regenerated from the draw's stream, never stored) and return, per
    /// checkpoint (a number of others, increasing), ln Z and ū at the Chebyshev nodes in
    /// a = Nλm of `cheb`; also the largest overlap drawn. 16 f32 lanes of e^{a(u − max)} per node,
    /// blocks of ≤ 1024 draws combined in f64 with a running maximum (online log-sum-exp).
    fn stream_nodes(&self, cheb: Cheb, checkpoints: &[usize]) -> (Vec<PrefixFit>, f32) {
        let nf = self.n as f64;
        let mut rng = self.start.clone();
        let a: Vec<f64> = (0..NODES).map(|k| cheb.node(k)).collect();
        let mut mx = [f64::NEG_INFINITY; NODES];
        let (mut z, mut t) = ([0f64; NODES], [0f64; NODES]);
        let mut buf = [0f32; 1024];
        let mut drawn = 0;
        let mut top = f32::NEG_INFINITY;
        let mut out = Vec::with_capacity(checkpoints.len());
        for &cp in checkpoints {
            while drawn < cp {
                let len = (cp - drawn).min(buf.len());
                let mut bmax = f32::NEG_INFINITY;
                for v in buf[..len].iter_mut() {
                    *v = (self.law.draw(&mut rng) / nf) as f32;
                    bmax = bmax.max(*v);
                }
                top = top.max(bmax);
                for k in 0..NODES {
                    let shift = a[k] * bmax as f64;
                    let (zs, ts) = tilted_sums(&buf[..len], a[k] as f32, shift as f32);
                    if shift > mx[k] {
                        let r = (mx[k] - shift).exp();
                        z[k] = z[k] * r + zs;
                        t[k] = t[k] * r + ts;
                        mx[k] = shift;
                    } else {
                        let r = (shift - mx[k]).exp();
                        z[k] += zs * r;
                        t[k] += ts * r;
                    }
                }
                drawn += len;
            }
            let (mut lnz, mut ubar) = ([0f64; NODES], [0f64; NODES]);
            for k in 0..NODES {
                // no other pattern: Z = 0, handled by the caller (F = 1)
                lnz[k] = mx[k] + z[k].ln();
                ubar[k] = if z[k] > 0.0 { t[k] / z[k] } else { 0.0 };
            }
            out.push(PrefixFit {
                lnz: Cheb::coeffs(&lnz),
                ubar: Cheb::coeffs(&ubar),
            });
        }
        (out, top)
    }

    /// The trajectory from m = 1 with P patterns, by one streaming pass to P.
    fn descend_fit_at(&self, patterns: usize, m_hi: f64, d: &MapDynamics) -> MapOutcome {
        let cheb = self.cheb(m_hi, d);
        let others = patterns - 1;
        let (fits, _) = self.stream_nodes(cheb, &[others]);
        self.descend_fit(cheb, &fits[0], others, d)
    }

    /// The trajectory from m = 1 with the interpolated F of one prefix.
    fn descend_fit(
        &self,
        cheb: Cheb,
        fit: &PrefixFit,
        others: usize,
        d: &MapDynamics,
    ) -> MapOutcome {
        let nf = self.n as f64;
        let rho = self.rho;
        descend(rho, d, |m| {
            if others == 0 {
                return 1.0;
            }
            let a = nf * self.lambda * m;
            let w = logistic(cheb.eval(&fit.lnz, a) - a * rho);
            (1.0 - w) + w * cheb.eval(&fit.ubar, a) / rho
        })
    }

    /// This draw's critical load α_s: [`MapSample::critical_load_streamed`], or the direct
    /// method where the window around the annealed critical load ends below 2¹⁴ patterns (few
    /// patterns: summing the stored prefix per step is cheaper than a checkpoint per integer P;
    /// the two agree draw by draw, see the tests).
    pub fn critical_load(
        &mut self,
        kind: EnsembleKind,
        d: &MapDynamics,
        max_patterns: usize,
    ) -> Result<f64> {
        let nf = self.n as f64;
        let guess = self.annealed_guess(kind, d)?;
        if ((guess + 1.0 / nf) * nf).exp() <= DIRECT_BELOW as f64 {
            self.direct_from(guess, d, max_patterns)
        } else {
            self.streamed_from(guess, d, max_patterns)
        }
    }

    /// This draw's critical load α_s (retrieved for P ≤ P_s, α_s = ln(P_s + ½)/N), streaming:
    /// around the annealed map's critical load g for this ρ, the checkpoints P in
    /// [e^{(g−w)N}, e^{(g+w)N}] (every integer if there are at most 4096, else log-spaced by
    /// N·1e-5 in ln P) get ln Z and ū at Chebyshev nodes in one pass over the draws; the map is
    /// then iterated on the interpolants and bisected over the checkpoints. The window
    /// (w = 1/N) doubles until it brackets the critical P. Cost: 20 exponentials per overlap,
    /// once per draw, whatever the number of steps; nothing is stored. Windows ending below
    /// 2¹⁴ patterns use [`MapSample::critical_load_direct`] instead. A draw still retrieved
    /// with `max_patterns` patterns is censored (α_s = ∞: above every load the cap allows);
    /// an error if the cap is reached below its critical load.
    pub fn critical_load_streamed(
        &mut self,
        kind: EnsembleKind,
        d: &MapDynamics,
        max_patterns: usize,
    ) -> Result<f64> {
        let guess = self.annealed_guess(kind, d)?;
        self.streamed_from(guess, d, max_patterns)
    }

    /// [`MapSample::critical_load_streamed`] around the annealed critical load `guess`.
    fn streamed_from(&mut self, guess: f64, d: &MapDynamics, max_patterns: usize) -> Result<f64> {
        let nf = self.n as f64;
        let p_of = |a: f64| ((a * nf).exp().round()).max(1.0);
        let mut m_hi = 1.0;
        let mut w = 1.0 / nf;
        for _ in 0..12 {
            let (lo_p, hi_p) = (p_of(guess - w), p_of(guess + w).max(p_of(guess - w) + 1.0));
            if hi_p > max_patterns as f64 {
                if lo_p > 1.0 && self.descend_fit_at(lo_p as usize, m_hi, d).retrieved {
                    // retrieved at every P the cap allows: censored above
                    return Ok(f64::INFINITY);
                }
                return Err(EngramError::InvalidParameter {
                    name: "max-patterns",
                    value: format!(
                        "{max_patterns} (a draw's window reaches P = {hi_p} below its critical load; N = {}, lambda = {}, rho = {})",
                        self.n, self.lambda, self.rho
                    ),
                    allowed: "enough patterns to bracket the draw's critical load",
                });
            }
            let (lo_p, hi_p) = (lo_p as usize, hi_p as usize);
            let cps: Vec<usize> = if hi_p - lo_p <= 4096 {
                (lo_p..=hi_p).collect()
            } else {
                let span = (hi_p as f64 / lo_p as f64).ln();
                let k = ((span / (nf * 1e-5)).ceil() as usize).clamp(2, 8192);
                let mut v: Vec<usize> = (0..=k)
                    .map(|i| {
                        ((lo_p as f64).ln() + span * i as f64 / k as f64)
                            .exp()
                            .round() as usize
                    })
                    .collect();
                v[0] = lo_p;
                v[k] = hi_p;
                v.dedup();
                v
            };
            let cheb = self.cheb(m_hi, d);
            let others: Vec<usize> = cps.iter().map(|&p| p - 1).collect();
            let (fits, top) = self.stream_nodes(cheb, &others);
            if top as f64 / self.rho > m_hi {
                // a stealing overlap beyond the target's norm: m may exceed 1, widen the nodes
                m_hi = top as f64 / self.rho * 1.001;
                continue;
            }
            let ok = |j: usize| self.descend_fit(cheb, &fits[j], others[j], d).retrieved;
            let last = cps.len() - 1;
            if !ok(0) || ok(last) {
                w *= 2.0;
                continue;
            }
            let (mut lo, mut hi) = (0, last);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if ok(mid) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let ps = if cps[hi] == cps[lo] + 1 {
                cps[lo] as f64
            } else {
                (cps[lo] as f64 * cps[hi] as f64).sqrt()
            };
            return Ok((ps + 0.5).ln() / nf);
        }
        Err(EngramError::NoConvergence {
            context: format!(
                "critical load of a finite-N map draw at N = {}, lambda = {}, rho = {}",
                self.n, self.lambda, self.rho
            ),
            reason: format!("no window around alpha = {guess} up to half-width {w} brackets it"),
        })
    }
}

/// The finite-N map's retrieval curve: the sorted critical loads α_s of its draws.
#[derive(Debug, Clone, PartialEq)]
pub struct MapCurve {
    /// Sorted α_s.
    pub loads: Vec<f64>,
}

impl MapCurve {
    /// p_retrieved(α) = fraction of draws with α_s > α, and its binomial error.
    pub fn p_retrieved(&self, alpha: f64) -> (f64, f64) {
        let n = self.loads.len() as f64;
        let k = self.loads.iter().filter(|&&a| a > alpha).count() as f64;
        let p = k / n;
        (p, (p * (1.0 - p) / n).sqrt())
    }

    /// α½(N) = the median α_s, with its one-sigma error: the order-statistics half-width ⊕ the
    /// resolution q/√12 of the loads at the median (q the gap to the nearest distinct load: α_s
    /// comes from an integer P, or a bisection tolerance, so draws share values and the order
    /// statistics alone can give 0). An error if censored draws (α_s = ∞, beyond the pattern
    /// cap) reach the upper order statistic.
    pub fn alpha_half(&self) -> Result<(f64, f64)> {
        let (m, e) = median_with_error(&self.loads);
        let above = self.loads.iter().find(|&&a| a > m).map(|a| a - m);
        let below = self.loads.iter().rev().find(|&&a| a < m).map(|a| m - a);
        let q = match (above, below) {
            (Some(a), Some(b)) => a.min(b),
            (Some(g), None) | (None, Some(g)) => g,
            (None, None) => 0.0,
        };
        let e = e.hypot(q / 12f64.sqrt());
        if m.is_finite() && e.is_finite() {
            Ok((m, e))
        } else {
            Err(EngramError::InvalidParameter {
                name: "max-patterns",
                value: format!(
                    "a cap that leaves {} of {} draws censored",
                    self.loads.iter().filter(|a| !a.is_finite()).count(),
                    self.loads.len()
                ),
                allowed: "a cap above the median critical load (raise --max-patterns)",
            })
        }
    }
}

/// One evaluation of the finite-N map: ensemble, N, λ, planted norm (None: drawn), draws, seed,
/// the simulator's dynamics, and the most patterns a draw may stream (beyond: censored).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapPoint {
    /// Ensemble (its exact overlap law).
    pub kind: EnsembleKind,
    /// N ≥ 2.
    pub n: usize,
    /// λ > 0.
    pub lambda: f64,
    /// Planted ρ of ξ¹ (None: drawn).
    pub target_norm: Option<f64>,
    /// Draws (≥ 4).
    pub samples: usize,
    /// Seed: draw s uses the stream (seed, s).
    pub seed: u64,
    /// The simulator's η, max_steps, xtol, θ.
    pub dynamics: MapDynamics,
    /// Most patterns a draw streams.
    pub max_patterns: usize,
}

/// The finite-N map over `samples` draws (stream (seed, s) of draw s; `target_norm`: planted ρ),
/// with the simulator's dynamics; `tick` after each draw. Draws run in parallel on the
/// current rayon pool; the result does not depend on the thread count. Domain: N ≥ 2, λ > 0,
/// samples ≥ 4; a draw streams at most `max_patterns` overlaps (beyond: censored).
pub fn map_curve(pt: &MapPoint, tick: &(dyn Fn() + Sync)) -> Result<MapCurve> {
    let MapPoint {
        kind,
        n,
        lambda,
        target_norm,
        samples,
        seed,
        ref dynamics,
        max_patterns,
    } = *pt;
    let d = dynamics;
    positive("lambda", lambda)?;
    d.validate()?;
    if let Some(rho) = target_norm {
        positive("target-norm", rho)?;
    }
    if n < 2 || samples < 4 {
        return Err(EngramError::InvalidParameter {
            name: "samples",
            value: format!("{samples} draws at N = {n}"),
            allowed: "N >= 2 and at least 4 draws",
        });
    }
    let mut loads = (0..samples)
        .into_par_iter()
        .map(|s| {
            crate::interrupt::check()?;
            let mut draw = MapSample::new(kind, n, lambda, target_norm, sample_rng(seed, s as u64));
            let a = draw.critical_load(kind, d, max_patterns);
            tick();
            a
        })
        .collect::<Result<Vec<f64>>>()?;
    loads.sort_by(|a, b| a.total_cmp(b));
    Ok(MapCurve { loads })
}

/// The target norm the annealed map and the expansion use: the planted ρ, else the median of
/// ‖ξ¹‖²/N at N (gaussian: the χ²_N median over N, 1 − 2/(3N) + O(N⁻²); spherical, binary: 1;
/// i.i.d.: the Cornish–Fisher median 1 − κ₃/(6κ₂N) of the cumulants of ξ_i², [`crate::ensembles::Iid::norm_cumulants`]).
pub fn median_target_norm(kind: EnsembleKind, n: usize, target_norm: Option<f64>) -> f64 {
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    match (target_norm, kind) {
        (Some(rho), _) => rho,
        (None, EnsembleKind::Gaussian) => ChiSquared::new(n as f64)
            .map(|c| c.inverse_cdf(0.5) / n as f64)
            .unwrap_or(1.0),
        (None, EnsembleKind::Iid(e)) => {
            let (m, k2, k3) = e.norm_cumulants();
            if k2 > 0.0 {
                m - k3 / (6.0 * k2 * n as f64)
            } else {
                m
            }
        }
        (None, _) => kind.ensemble().rho1(),
    }
}

/// One N of the finite-size theory (`engram dam finite-size`, the `[validation]` study).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FiniteSizeRow {
    /// N.
    pub n: usize,
    /// λ.
    pub lambda: f64,
    /// α½(N) of the finite-N map (median critical load of its draws).
    pub alpha_half: f64,
    /// Its one-sigma error (order statistics of the draws).
    pub alpha_half_err: f64,
    /// The fold expansion α_f − [1 + ln(Nc)]/N at the median target norm (empty in the condensed
    /// phase, where it does not apply).
    pub alpha_half_asymptotic: Option<f64>,
    /// α₁(λ), or α_f(λ; ρ) for planted targets: the N → ∞ limit.
    pub alpha_1_theory: f64,
    /// The annealed map's critical load at the median target norm.
    pub alpha_half_annealed: f64,
    /// The median target norm ρ used by the annealed map and the expansion.
    pub rho: f64,
    /// Planted target norm (empty: drawn).
    pub target_norm: Option<f64>,
    /// Ensemble.
    pub ensemble: String,
    /// Draws of the finite-N map.
    pub samples: usize,
    /// Seed of the draws.
    pub seed: u64,
}

/// The finite-size theory at one N: the finite-N map's α½ over `samples` draws, the annealed
/// map and the expansion at the median norm, and the N → ∞ limit; `max_patterns` bounds a
/// draw's overlaps, `tick` follows the draws.
pub fn finite_size_row(pt: &MapPoint, tick: &(dyn Fn() + Sync)) -> Result<FiniteSizeRow> {
    let curve = map_curve(pt, tick)?;
    let MapPoint {
        kind,
        n,
        lambda,
        target_norm,
        samples,
        seed,
        ..
    } = *pt;
    let d = &pt.dynamics;
    let (alpha_half, alpha_half_err) = curve.alpha_half()?;
    let rho = median_target_norm(kind, n, target_norm);
    let ens = kind.theory()?;
    let th = crate::dam::DamTheory::new(ens)?;
    let limit = match target_norm {
        None => th.alpha_1(lambda)?.0,
        Some(r) => th.failure_load(lambda, r)?.0,
    };
    Ok(FiniteSizeRow {
        n,
        lambda,
        alpha_half,
        alpha_half_err,
        alpha_half_asymptotic: fold_expansion(ens, lambda, rho)
            .ok()
            .map(|f| f.alpha_half(n as f64)),
        alpha_1_theory: limit,
        alpha_half_annealed: ReducedMap::new(ens, n, lambda, rho)?.critical_load(d)?,
        rho,
        target_norm,
        ensemble: kind.name().into(),
        samples,
        seed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dam::DamTheory;

    #[test]
    fn exp_f32_accuracy() {
        let mut worst = 0f64;
        for i in 0..=100_000 {
            let x = -87.0 * i as f64 / 100_000.0;
            let a = exp_f32::<false>(x as f32) as f64;
            let c = exp_f32::<true>(x as f32) as f64;
            worst = worst.max(((c - (x as f32 as f64).exp()) / c).abs());
            let b = (x as f32 as f64).exp();
            worst = worst.max(((a - b) / b).abs());
        }
        assert!(worst < 3e-7, "{worst}");
        assert_eq!(exp_f32::<false>(0.0), 1.0);
    }

    /// The median target norm: the χ²_N median over N against Wilson–Hilferty's
    /// (1 − 2/(9N))³ (error O(N⁻²)), planted ρ as given, fixed norms 1.
    #[test]
    fn median_target_norm_against_wilson_hilferty() {
        for n in [20usize, 50, 200, 1000] {
            let m = median_target_norm(EnsembleKind::Gaussian, n, None);
            let wh = (1.0 - 2.0 / (9.0 * n as f64)).powi(3);
            assert!((m - wh).abs() < 0.5 / (n * n) as f64, "N={n}: {m} vs {wh}");
        }
        assert_eq!(
            median_target_norm(EnsembleKind::Gaussian, 50, Some(0.7)),
            0.7
        );
        assert_eq!(median_target_norm(EnsembleKind::Spherical, 50, None), 1.0);
    }

    /// The limit of the expansion is α_f(λ; ρ) of the closed-form theory (ρα₁ for gaussian;
    /// α₁ for spherical and binary at ρ = 1), and b₁ is the ensemble's tilted mean.
    #[test]
    fn expansion_limit_is_the_threshold() {
        for kind in EnsembleKind::ALL {
            let th = DamTheory::new(kind.ensemble()).unwrap();
            for &l in &[0.1, 0.3, 0.5] {
                let f = fold_expansion(kind.ensemble(), l, 1.0).unwrap();
                let a1 = th.alpha_1(l).unwrap().0;
                assert!(
                    (f.limit - a1).abs() < 1e-12,
                    "{kind} {l}: {} vs {a1}",
                    f.limit
                );
                let b = match kind {
                    EnsembleKind::Gaussian => l,
                    EnsembleKind::Binary => l.tanh(),
                    // q(λ): the maximiser of λq + ½ln(1 − q²), q = (√(1 + 4λ²) − 1)/(2λ)
                    EnsembleKind::Spherical => ((1.0 + 4.0 * l * l).sqrt() - 1.0) / (2.0 * l),
                    EnsembleKind::Iid(_) | EnsembleKind::HiddenManifold(_) => {
                        unreachable!("ALL holds the built-in ensembles")
                    }
                };
                assert!((f.b1 - b).abs() < 1e-9, "{kind} {l}: b1 {} vs {b}", f.b1);
            }
        }
        let g = fold_expansion(EnsembleKind::Gaussian.ensemble(), 0.3, 0.7).unwrap();
        assert!((g.limit - 0.7 * (0.3 - 0.045)).abs() < 1e-12);
        assert!(fold_expansion(EnsembleKind::Gaussian.ensemble(), 1.2, 1.0).is_err());
    }

    /// The streaming critical load (Chebyshev interpolants over one pass) equals the direct one
    /// (every step sums over the stored overlaps) draw by draw: to the P resolution where P is
    /// small, to 2e-5 in α where it is large; gaussian (drawn and planted norm), spherical and
    /// binary, uncondensed and near-condensed λ.
    #[test]
    fn streaming_equals_direct() {
        let d = MapDynamics::protocol();
        for &(kind, n, l, rho) in &[
            (EnsembleKind::Gaussian, 25, 0.1, None),
            (EnsembleKind::Gaussian, 60, 0.1, None),
            (EnsembleKind::Gaussian, 40, 0.3, Some(0.85)),
            (EnsembleKind::Spherical, 50, 0.3, None),
            (EnsembleKind::Binary, 50, 0.3, None),
            (EnsembleKind::Gaussian, 30, 0.6, None),
        ] {
            let mut worst = 0f64;
            for s in 0..12u64 {
                let mk = || MapSample::new(kind, n, l, rho, sample_rng(5, s));
                let a = mk().critical_load_streamed(kind, &d, 1 << 26).unwrap();
                let b = mk().critical_load_direct(kind, &d, 1 << 26).unwrap();
                let nf = n as f64;
                // one unit of P at the critical P, or the bisection tolerance
                let pc = (a * nf).exp();
                let tol = (((pc + 1.0) / pc).ln() / nf).max(2e-5) * 1.01;
                worst = worst.max((a - b).abs() / tol);
                assert!(
                    (a - b).abs() <= tol,
                    "{kind} N={n} l={l} draw {s}: {a} vs {b}"
                );
            }
            eprintln!("{kind} N={n} l={l}: worst |stream - direct|/tol = {worst:.3}");
        }
    }

    /// The annealed map's critical load approaches the expansion at large N (their difference
    /// is o(1/N): times N it shrinks with N) and α_f as N → ∞. The protocol's xtol = 1e-6 would
    /// stop trajectories inside the fold's bottleneck (steps |Δm| ≈ ημ/k with k = Nλρ(1 − b₁),
    /// μ = N·(α − α½)), a shift N·Δα ≈ 2k·xtol/η that matters only at N ≳ 10⁴; the expansion
    /// is about the fixed point, so this test uses xtol = 1e-14.
    #[test]
    fn annealed_fold_matches_the_expansion() {
        let d = MapDynamics {
            xtol: 1e-14,
            max_steps: 1_000_000,
            ..MapDynamics::protocol()
        };
        for kind in EnsembleKind::ALL {
            for &(l, rho) in &[(0.1, 1.0), (0.3, 1.0), (0.3, 0.7)] {
                let f = fold_expansion(kind.ensemble(), l, rho).unwrap();
                let mut prev = f64::INFINITY;
                for &n in &[1e3, 1e4, 1e5, 1e6] {
                    let map = ReducedMap::new(kind.ensemble(), n as usize, l, rho).unwrap();
                    let a = map.critical_load(&d).unwrap();
                    let gap = (a - f.alpha_half(n)).abs() * n;
                    assert!(
                        gap < prev.max(1e-3),
                        "{kind} {l} {rho} N={n}: N·gap {gap} after {prev}"
                    );
                    prev = gap;
                }
                assert!(prev < 0.05, "{kind} {l} {rho}: N·gap {prev} at N = 1e6");
            }
        }
    }
}
