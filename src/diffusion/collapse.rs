//! Collapse of a diffusion model onto its training set (Biroli, Bonnaire, de Bortoli, Mézard,
//! "Dynamical regimes of diffusion models", Nat. Commun. 15, 9957 (2024), arXiv:2402.18491).
//!
//! **The criterion.** Noise a training pattern, x = ξ¹ + s z (z standard normal in R^N, the
//! variance-exploding forward process at noise variance s²). The posterior weight of ξ¹ is
//! w₁ = 1/(1 + Σ_{μ≥2} e^{ℓ_μ}) with ℓ_μ = (‖x − ξ¹‖² − ‖x − ξ^μ‖²)/(2s²). For P = e^{αN}
//! independent patterns of unit variance per component, the others' sum is self-averaging in
//! the uncondensed regime and its annealed value is, per component, E e^{−‖x−ξ‖²/(2s²)} =
//! (s²/(1+s²))^{N/2} e^{−‖x‖²/(2(1+s²))} with ‖x‖² = N(1 + s²), against e^{−N/2} for ξ¹. So
//! w₁ > ½ as N → ∞ iff α + ½ ln(s²/(1 + s²)) < 0, i.e.
//!
//! s² < s_C² = 1/(e^{2α} − 1).
//!
//! Biroli et al. write the collapse time of the variance-preserving process
//! x_t = ξ e^{−t} + √(1 − e^{−2t}) z as t_C = ½ ln(1 + 1/(e^{2α} − 1)): dividing by e^{−t} maps
//! it to the variance-exploding x = ξ + s z with s² = e^{2t} − 1, and e^{2t_C} − 1 = 1/(e^{2α} − 1).
//! The same value is the REM basin condition of engram's diffusion study for spherical
//! patterns ([`super::s2_condensation_rem`]): with λ = 1/s², r = 1 + s², the spherical
//! free energy of the others is φ = α + 1/s² + ½ ln(s²/(1 + s²)) at that point, so λ > φ is the
//! same inequality (docs/theory.md, "Diffusion collapse").
//!
//! **Forward measurement at finite N.** For spherical patterns (‖ξ^μ‖² = N) only two
//! projections of each other pattern enter: with e₁ = ξ¹/√N and e₂ the direction of z
//! orthogonal to e₁ (z = z₁e₁ + r⊥e₂), ℓ_μ = −(a_μ + 2s b_μ)/(2s²) with
//! a_μ = ‖ξ¹ − ξ^μ‖² = 2N − 2√N y₁, b_μ = z·(ξ¹ − ξ^μ) = √N z₁ − z₁y₁ − r⊥y₂, where
//! (y₁, y₂) = √N (g₁, g₂)/√(g₁² + g₂² + χ²_{N−2}) is the exact joint law of two coordinates of a
//! uniform point on the sphere of radius √N. A draw therefore costs O(P) and is exact at every N.
//! Its collapse noise s²_* is the root of Σ_μ e^{ℓ_μ(s)} = 1 (w₁ = ½), found by bracketing in
//! ln s² and Brent's method; the finite-N collapse s²_{1/2}(N) is the median over draws.

use rand_distr::{ChiSquared, Distribution, StandardNormal};
use rayon::prelude::*;

use crate::ensembles::sample_rng;
use crate::error::{positive, EngramError, Result};
use crate::numerics::{bracket_increasing, brent_root, log_sum_exp};

/// s_C² = 1/(e^{2α} − 1), the noise variance below which a noised training pattern keeps
/// posterior weight > ½ as N → ∞ (module docs). Domain: α > 0.
pub fn s2_collapse(alpha: f64) -> Result<f64> {
    positive("alpha", alpha)?;
    Ok(1.0 / (2.0 * alpha).exp_m1())
}

/// One forward draw at (N, P): ξ¹'s coordinates in the plane (e₁, e₂) of the module docs.
pub struct ForwardDraw {
    n: f64,
    /// a_μ = ‖ξ¹ − ξ^μ‖² for μ ≥ 2.
    a: Vec<f64>,
    /// b_μ = z·(ξ¹ − ξ^μ) for μ ≥ 2.
    b: Vec<f64>,
    buf: Vec<f64>,
}

impl ForwardDraw {
    /// Draw z and the P − 1 other spherical patterns' projections from `rng`.
    /// Domain: N ≥ 3, P ≥ 2 (refused above 5e8 patterns).
    pub fn new(n: usize, patterns: usize, rng: &mut rand_chacha::ChaCha8Rng) -> Result<Self> {
        if n < 3 || patterns < 2 || patterns as f64 > 5e8 {
            return Err(EngramError::InvalidParameter {
                name: "patterns",
                value: format!("P = {patterns} at N = {n}"),
                allowed: "N >= 3 and 2 <= P <= 5e8",
            });
        }
        let nf = n as f64;
        let z1: f64 = StandardNormal.sample(rng);
        let r_perp = ChiSquared::new(nf - 1.0)
            .expect("N >= 3")
            .sample(rng)
            .sqrt();
        let rest = ChiSquared::new(nf - 2.0).expect("N >= 3");
        let sq = nf.sqrt();
        let m = patterns - 1;
        let (mut a, mut b) = (Vec::with_capacity(m), Vec::with_capacity(m));
        for _ in 0..m {
            let g1: f64 = StandardNormal.sample(rng);
            let g2: f64 = StandardNormal.sample(rng);
            let c: f64 = rest.sample(rng);
            let k = sq / (g1 * g1 + g2 * g2 + c).sqrt();
            let (y1, y2) = (k * g1, k * g2);
            a.push(2.0 * nf - 2.0 * sq * y1);
            b.push(sq * z1 - z1 * y1 - r_perp * y2);
        }
        Ok(ForwardDraw {
            n: nf,
            a,
            b,
            buf: vec![0.0; m],
        })
    }

    /// The same draw from explicit vectors: ξ¹ = row 0 of `set`, the others rows 1.., noise
    /// direction `z` (length N). Valid for any patterns (the definitions of a_μ and b_μ, no
    /// projection law); used to test the O(P) sampler. Domain: P ≥ 2, z of length N.
    pub fn from_vectors(set: &super::PatternSet, z: &[f64]) -> Result<Self> {
        let n = set.n;
        if set.p() < 2 || z.len() != n {
            return Err(EngramError::InvalidParameter {
                name: "patterns",
                value: format!("P = {} with a noise vector of length {}", set.p(), z.len()),
                allowed: "P >= 2 and z of length N",
            });
        }
        let xi1 = &set.xi[..n];
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for r in set.xi.chunks(n).skip(1) {
            a.push(xi1.iter().zip(r).map(|(u, v)| (u - v) * (u - v)).sum());
            b.push(
                z.iter()
                    .zip(xi1.iter().zip(r))
                    .map(|(zz, (u, v))| zz * (u - v))
                    .sum(),
            );
        }
        let m = a.len();
        Ok(ForwardDraw {
            n: n as f64,
            a,
            b,
            buf: vec![0.0; m],
        })
    }

    /// ln Σ_{μ≥2} e^{ℓ_μ(s)} = ln((1 − w₁)/w₁) at noise s = √s².
    pub fn log_odds_against(&mut self, s2: f64) -> f64 {
        let s = s2.sqrt();
        for ((l, &a), &b) in self.buf.iter_mut().zip(&self.a).zip(&self.b) {
            *l = -(a + 2.0 * s * b) / (2.0 * s2);
        }
        log_sum_exp(&self.buf)
    }

    /// The draw's collapse noise: the root s²_* of ln((1 − w₁)/w₁) = 0, bracketed
    /// geometrically from s² = 1 within [1e-4, 1e4] and refined by Brent's method.
    pub fn collapse_s2(&mut self) -> Result<f64> {
        let n = self.n;
        let mut f = |s2: f64| self.log_odds_against(s2);
        let fail = |reason: String| EngramError::NoConvergence {
            context: format!("forward collapse noise at N = {n}"),
            reason,
        };
        let (lo, hi) = match bracket_increasing(&mut f, 1.0, 1e-4, 1e4, 1.5) {
            Ok(Some(b)) => b,
            Ok(None) => return Err(fail("w1 < 1/2 already at s^2 = 1e-4".into())),
            Err(e) => return Err(fail(format!("no bracket in [1e-4, 1e4]: {e:?}"))),
        };
        brent_root(&mut f, lo, hi, 1e-12).map_err(|e| fail(e.to_string()))
    }
}

/// Finite-N forward collapse: the median over `draws` draws (stream (seed, d)) of the collapse
/// noise s²_* at P = round(e^{αN}) spherical patterns, with its one-sigma order-statistic
/// error ([`crate::stats::median_with_error`]). Domain: N ≥ 3, α > 0, draws ≥ 4.
pub fn forward_collapse(n: usize, alpha: f64, draws: usize, seed: u64) -> Result<(f64, f64)> {
    positive("alpha", alpha)?;
    if draws < 4 {
        return Err(EngramError::InvalidParameter {
            name: "draws",
            value: draws.to_string(),
            allowed: "at least 4 draws",
        });
    }
    let p = (alpha * n as f64).exp().round().max(2.0) as usize;
    let mut s: Vec<f64> = (0..draws as u64)
        .into_par_iter()
        .map(|d| ForwardDraw::new(n, p, &mut sample_rng(seed, d))?.collapse_s2())
        .collect::<Result<_>>()?;
    s.sort_by(f64::total_cmp);
    Ok(crate::stats::median_with_error(&s))
}
