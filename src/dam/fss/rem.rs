//! The auxiliary REM sampled exactly at finite N (docs/theory.md#fss).
//!
//! **Finite-N REM criterion.** The theory retrieves a typical pattern ξ¹ from x₀ = ξ¹ iff its
//! own term beats the free energy of the others, λρ₁ > φ(α, λ, ρ₁) with
//! φ = lim (1/N) ln Σ_{μ≥2} e^{λ ξ^μ·x} (α₁ is where they are equal). At finite N we evaluate
//! exactly that inequality on one draw,
//!
//! λ‖ξ¹‖² > L(P) = ln Σ_{μ=2}^{P} e^{λ u_μ},   u_μ = ξ^μ·ξ¹,
//!
//! i.e. ξ¹'s softmax weight at x₀ = ξ¹ exceeds 1/2. Given ξ¹, the overlaps of the other
//! (independent) patterns are i.i.d. with a known law, so a draw costs O(P), not O(PN):
//! gaussian u = ‖ξ¹‖ z with ‖ξ¹‖² ~ χ²_N; spherical u = N c with c = g/√(g² + χ²_{N−1}), i.e. (1 + c)/2 ~ Beta((N−1)/2,
//! (N−1)/2) and ‖ξ¹‖² = N; binary u = N − 2·Bin(N, ½) (the set bits of N fair random bits) and ‖ξ¹‖² = N. Since L(P) grows with P
//! and the patterns are exchangeable, one draw of the sequence u₂, u₃, … serves every P at
//! once: the draw fails first at P* (L(P*) ≥ λ‖ξ¹‖²), and since P = round(e^{αN}) it fails for
//! every α ≥ α* = ln(P* − ½)/N. The median of α* over draws is the finite-N REM crossing
//! α_{1/2}^{REM}(N), the point where the criterion's retrieval probability is ½.
//!
//! The simulator calls a target retrieved when Δ₀ = ‖x* − ξ¹‖²/N < θ, which is stricter than a
//! weight ½: one attention step from x₀ = ξ¹ gives Δ₀ ≈ (1 − w₁)²ρ₁ (the mixture of the other
//! patterns has a small norm), so Δ₀ < θ needs w₁ > w_θ = 1 − √(θ/ρ₁) (0.78 at θ = 0.05). The
//! weight threshold is a parameter: w_c = ½ is the theory's criterion, w_c = w_θ the same
//! inequality matched to the simulator's threshold. Both have the same N → ∞ limit α₁, since
//! ln(w/(1 − w)) is O(1) against λ‖ξ¹‖² = O(N); at finite N they differ by Δα ≈ ln(w/(1−w))/N
//! in the uncondensed phase (where dL/dα = N).
//!

use rand_distr::{Distribution, Gamma, StandardNormal};
use rayon::prelude::*;

use crate::ensembles::{sample_rng, EnsembleKind};
use crate::error::{positive, EngramError, Result};
use crate::stats::median_with_error;

/// The exact finite-N law of the overlaps ξ^μ·ξ¹ of the other (independent) patterns with a
/// target ξ¹ (module docs), given ξ¹'s squared norm `r2` = ‖ξ¹‖², which [`OverlapLaw::new`]
/// draws (gaussian: χ²_N) or plants. Shared by the finite-N REM ([`RemDraw`]) and the reduced
/// overlap map ([`super::map`]).
pub struct OverlapLaw {
    kind: EnsembleKind,
    n: usize,
    /// ‖ξ¹‖² (drawn, or ρN when planted).
    pub r2: f64,
    norm: f64,
    scale: f64,
    /// χ²_{N−1} as Gamma((N−1)/2, 2), for the spherical cosine.
    chi2_rest: Option<Gamma<f64>>,
    /// The target's components (i.i.d. ensembles: each overlap is Σ_i ξ¹_i ξ_i with ξ_i drawn
    /// from the marginal, the exact law, O(N) per overlap).
    target: Vec<f64>,
    /// Hidden manifold: the store's features and scratch for a latent (O(ND) per overlap; one
    /// gaussian for the linear σ, whose overlap is N(0, |F^T ξ¹|²/D) given F and ξ¹).
    hmm: Option<HmmOverlap>,
}

/// The hidden manifold's overlap ξ^μ·ξ¹ = Σ_i ξ¹_i σ̃(F_i·z^μ/√D) given F and ξ¹.
struct HmmOverlap {
    e: &'static crate::ensembles::HiddenManifold,
    /// F/√D, N × D row-major.
    f: Vec<f64>,
    d: usize,
    /// |F^T ξ¹/√D| (linear σ: the overlap is gaussian with this standard deviation).
    ft_norm: f64,
    z: std::cell::RefCell<Vec<f64>>,
}

impl OverlapLaw {
    /// Draw ξ¹'s squared norm from `rng` (gaussian: the sum of N squared standard normals;
    /// spherical, binary: exactly N; i.i.d.: ξ¹ itself is drawn from the marginal). With `target_norm = Some(ρ)`, ξ¹ is planted at
    /// ‖ξ¹‖²/N = ρ (as `--target-norm` does in the simulator): every overlap scales by
    /// √(ρN/‖ξ¹‖²), the other patterns unchanged. Domain: N ≥ 2, ρ > 0.
    pub fn new(
        kind: EnsembleKind,
        n: usize,
        target_norm: Option<f64>,
        rng: &mut rand_chacha::ChaCha8Rng,
    ) -> Self {
        let nf = n as f64;
        let mut target = Vec::new();
        let mut hmm = None;
        let r2 = match kind {
            EnsembleKind::HiddenManifold(e) => {
                let d = e.latent_dim(n);
                let sc = 1.0 / (d as f64).sqrt();
                let f: Vec<f64> = (0..n * d)
                    .map(|_| {
                        let g: f64 = StandardNormal.sample(rng);
                        sc * g
                    })
                    .collect();
                let z1: Vec<f64> = (0..d).map(|_| StandardNormal.sample(rng)).collect();
                target = f
                    .chunks_exact(d)
                    .map(|row| e.sigma(row.iter().zip(&z1).map(|(a, b)| a * b).sum()))
                    .collect();
                let mut ft_target = vec![0.0; d];
                for (row, &t) in f.chunks_exact(d).zip(&target) {
                    for (o, &a) in ft_target.iter_mut().zip(row) {
                        *o += a * t;
                    }
                }
                hmm = Some(HmmOverlap {
                    e,
                    f,
                    d,
                    ft_norm: ft_target.iter().map(|v| v * v).sum::<f64>().sqrt(),
                    z: std::cell::RefCell::new(vec![0.0; d]),
                });
                target.iter().map(|v| v * v).sum::<f64>()
            }
            EnsembleKind::Iid(e) => {
                target = (0..n).map(|_| e.draw(rng)).collect();
                target.iter().map(|v| v * v).sum::<f64>()
            }
            EnsembleKind::Gaussian => (0..n)
                .map(|_| {
                    let z: f64 = StandardNormal.sample(rng);
                    z * z
                })
                .sum::<f64>(),
            _ => nf,
        };
        // planting rescales ξ¹: u → u·√(ρN/R), R → ρN
        let (r2, scale) = match target_norm {
            Some(rho) => (rho * nf, (rho * nf / r2).sqrt()),
            None => (r2, 1.0),
        };
        OverlapLaw {
            kind,
            n,
            r2,
            norm: r2.sqrt(),
            scale,
            chi2_rest: Gamma::new((nf - 1.0) / 2.0, 2.0).ok(),
            target,
            hmm,
        }
    }

    /// One overlap ξ^μ·ξ¹ of an independent pattern ξ^μ with the target.
    #[inline]
    pub fn draw(&self, rng: &mut rand_chacha::ChaCha8Rng) -> f64 {
        let nf = self.n as f64;
        match self.kind {
            EnsembleKind::Gaussian => {
                let z: f64 = StandardNormal.sample(rng);
                self.norm * z
            }
            EnsembleKind::Spherical => {
                // one coordinate of a uniform point on the sphere: c = g/√(g² + χ²_{N−1}),
                // the same law as 2·Beta((N−1)/2, (N−1)/2) − 1, ~4× cheaper to draw
                let g: f64 = StandardNormal.sample(rng);
                let rest: f64 = self.chi2_rest.as_ref().expect("N >= 2").sample(rng);
                self.scale * nf * g / (g * g + rest).sqrt()
            }
            EnsembleKind::Binary => {
                // Bin(N, ½) exactly, as the number of set bits among N fair random bits
                use rand::Rng;
                let (mut k, mut left) = (0u32, self.n);
                while left >= 64 {
                    k += rng.next_u64().count_ones();
                    left -= 64;
                }
                if left > 0 {
                    k += (rng.next_u64() & ((1u64 << left) - 1)).count_ones();
                }
                self.scale * (nf - 2.0 * k as f64)
            }
            EnsembleKind::Iid(e) => {
                self.scale * self.target.iter().map(|&t| t * e.draw(rng)).sum::<f64>()
            }
            EnsembleKind::HiddenManifold(_) => {
                let h = self.hmm.as_ref().expect("drawn in new");
                if h.e.activation == crate::ensembles::hidden_manifold::Activation::Linear {
                    // linear σ: u = (F^T ξ¹/√D)·z is exactly N(0, |F^T ξ¹/√D|²) given F, ξ¹
                    let g: f64 = StandardNormal.sample(rng);
                    return self.scale * h.ft_norm * g;
                }
                let mut z = h.z.borrow_mut();
                for zi in z.iter_mut() {
                    *zi = StandardNormal.sample(rng);
                }
                let u =
                    h.f.chunks_exact(h.d)
                        .zip(&self.target)
                        .map(|(row, &t)| {
                            t * h
                                .e
                                .sigma(row.iter().zip(z.iter()).map(|(a, b)| a * b).sum())
                        })
                        .sum::<f64>();
                self.scale * u
            }
        }
    }
}

/// One draw of the finite-N REM criterion, advanced pattern by pattern (see the module docs).
pub struct RemDraw {
    law: OverlapLaw,
    n: usize,
    lambda: f64,
    rng: rand_chacha::ChaCha8Rng,
    signal: f64,
    m: f64,
    s: f64,
    s_fail: f64,
    p: f64,
    /// The critical load α*, once reached.
    pub alpha_star: Option<f64>,
}

impl RemDraw {
    /// Draw ξ¹'s norm from `rng` ([`OverlapLaw::new`]); weight threshold `w_c` (½: the theory's
    /// criterion); `target_norm`: planted ρ. Domain: N ≥ 2, λ > 0, 0 < w_c < 1, ρ > 0.
    pub fn new(
        kind: EnsembleKind,
        n: usize,
        lambda: f64,
        w_c: f64,
        target_norm: Option<f64>,
        mut rng: rand_chacha::ChaCha8Rng,
    ) -> Self {
        let law = OverlapLaw::new(kind, n, target_norm, &mut rng);
        RemDraw {
            n,
            lambda,
            rng,
            // weight e^{λR}/(e^{λR} + e^{L}) > w_c  ⟺  L < λR − ln(w_c/(1 − w_c))
            signal: lambda * law.r2 - (w_c / (1.0 - w_c)).ln(),
            law,
            m: f64::NEG_INFINITY,
            s: 0.0,
            s_fail: f64::INFINITY,
            p: 1.0,
            alpha_star: None,
        }
    }

    /// Add patterns until the criterion fails or P reaches `cap`; returns α* if it failed.
    pub fn advance(&mut self, cap: f64) -> Option<f64> {
        let nf = self.n as f64;
        while self.alpha_star.is_none() && self.p < cap {
            self.p += 1.0;
            let u = self.law.draw(&mut self.rng);
            let l = self.lambda * u;
            if l > self.m {
                self.s = self.s * (self.m - l).exp() + 1.0;
                self.m = l;
                // L = m + ln s ≥ signal  ⟺  s ≥ e^{signal − m}, recomputed only when m moves
                self.s_fail = (self.signal - self.m).exp();
            } else {
                self.s += (l - self.m).exp();
            }
            if self.s >= self.s_fail {
                self.alpha_star = Some((self.p - 0.5).ln() / nf);
            }
        }
        self.alpha_star
    }
}

/// One draw of the finite-N REM criterion: the critical load α* = ln(P* − ½)/N at which ξ¹ stops
/// being retrieved, i.e. its softmax weight at x₀ = ξ¹ falls to `w_c` or below (w_c = ½: the
/// theory's criterion λ‖ξ¹‖² > L(P)), or `None` if it is still retrieved at P = `p_max`.
/// Domain: N ≥ 2, λ > 0, 0 < w_c < 1.
pub fn rem_critical_load(
    kind: EnsembleKind,
    n: usize,
    lambda: f64,
    w_c: f64,
    p_max: f64,
    rng: rand_chacha::ChaCha8Rng,
) -> Option<f64> {
    RemDraw::new(kind, n, lambda, w_c, None, rng).advance(p_max)
}

/// The finite-N REM crossing: the median of α* over `samples` draws (stream (seed, s) for draw
/// s) with its one-sigma error from the order statistics n/2 ± √n/2. All draws advance
/// together under a P cap raised by ×1.25 per round, and stop once the upper order statistic has
/// failed, so no draw runs far beyond the median. Draws still retrieving at e^{α_max N} patterns
/// count as α* = ∞; an error if the median itself is not reached. `w_c` (weight threshold) and
/// `target_norm` (planted ρ): as in [`RemDraw::new`].
#[allow(clippy::too_many_arguments)]
pub fn rem_alpha_half(
    kind: EnsembleKind,
    n: usize,
    lambda: f64,
    w_c: f64,
    target_norm: Option<f64>,
    samples: usize,
    seed: u64,
    alpha_max: f64,
) -> Result<(f64, f64)> {
    positive("lambda", lambda)?;
    positive("alpha_max", alpha_max)?;
    if let Some(rho) = target_norm {
        positive("target-norm", rho)?;
    }
    if !(w_c > 0.0 && w_c < 1.0) {
        return Err(EngramError::InvalidParameter {
            name: "w_c",
            value: w_c.to_string(),
            allowed: "a weight threshold in (0, 1)",
        });
    }
    if n < 2 || samples < 4 {
        return Err(EngramError::InvalidParameter {
            name: "samples",
            value: format!("{samples} draws at N = {n}"),
            allowed: "N >= 2 and at least 4 draws",
        });
    }
    let p_max = (alpha_max * n as f64).exp();
    let mut draws: Vec<RemDraw> = (0..samples)
        .map(|s| {
            RemDraw::new(
                kind,
                n,
                lambda,
                w_c,
                target_norm,
                sample_rng(seed, s as u64),
            )
        })
        .collect();
    let need =
        ((samples as f64 / 2.0 + (samples as f64).sqrt() / 2.0).ceil() as usize + 1).min(samples);
    let mut cap = 16.0f64;
    loop {
        let c = cap.min(p_max);
        draws.par_iter_mut().for_each(|d| {
            d.advance(c);
        });
        let failed = draws.iter().filter(|d| d.alpha_star.is_some()).count();
        if failed >= need || c >= p_max {
            break;
        }
        cap *= 1.25;
    }
    let mut a: Vec<f64> = draws
        .iter()
        .map(|d| d.alpha_star.unwrap_or(f64::INFINITY))
        .collect();
    a.sort_by(|x, y| x.total_cmp(y));
    let (med, err) = median_with_error(&a);
    // α* lives on the grid ln(P − ½)/N: at small P many draws tie, and the error is at least
    // half the grid spacing at the median
    let pm = (med * n as f64).exp() + 0.5;
    let err = err.max(0.5 * ((pm + 0.5) / (pm - 0.5)).ln() / n as f64);
    if !med.is_finite() {
        return Err(EngramError::InvalidParameter {
            name: "alpha_max",
            value: format!(
                "{alpha_max} at N = {n}, lambda = {lambda} ({})",
                kind.name()
            ),
            allowed: "a load above the median critical load of the finite-N REM",
        });
    }
    Ok((med, err))
}
