//! Memory fixed points of the IDP network and their thresholds (docs/theory.md#idp, orthogonal memories,
//! N → ∞).
//!
//! * memory amplitude m*: the largest root of m = α Ψ_σ(m) (x* = m* ξ_μ);
//! * existence: α Ψ'_σ(0) > 1, i.e. α > α_exist(σ) = 1/Ψ'_σ(0) (Ψ_σ is odd, increasing and
//!   concave on m > 0 for tanh and hard tanh, so the slope at the origin decides);
//! * stability against a competitor ν: α_ν < α_stab(α_μ) = 1/Ψ'_σ(m*_μ);
//! * origin (confusion state) stable iff max_ν α_ν Ψ'_σ(0) < 1.

use super::activation::Activation;
use crate::error::{positive, EngramError, Result};
use crate::numerics::brent_root;

/// Noise level σ ≥ 0 (finite).
pub fn check_sigma(sigma: f64) -> Result<f64> {
    if sigma.is_finite() && sigma >= 0.0 {
        Ok(sigma)
    } else {
        Err(EngramError::InvalidParameter {
            name: "sigma",
            value: sigma.to_string(),
            allowed: "a finite number >= 0",
        })
    }
}

/// The memory fixed point of one saliency α at noise σ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemoryFixedPoint {
    /// Saliency α_μ.
    pub saliency: f64,
    /// Noise σ.
    pub sigma: f64,
    /// m*, or `None` if only the origin exists (α ≤ α_exist).
    pub m_star: Option<f64>,
    /// α_exist(σ) = 1/Ψ'_σ(0).
    pub alpha_exist: f64,
    /// α_stab(α) = 1/Ψ'_σ(m*): a competitor with saliency above it destabilises the memory
    /// (+∞ when Ψ'_σ(m*) = 0, e.g. a saturated hard tanh without noise; `None` if no memory).
    pub alpha_stab: Option<f64>,
    /// Whether the origin is stable when this is the most salient memory: α Ψ'_σ(0) < 1.
    pub origin_stable: bool,
}

/// α_exist(σ) = 1/Ψ'_σ(0) (docs/theory.md#idp). Domain: σ ≥ 0.
pub fn alpha_exist(act: &Activation, sigma: f64) -> Result<f64> {
    check_sigma(sigma)?;
    let slope = act.smoothed_prime(0.0, sigma);
    if slope > 0.0 {
        Ok(1.0 / slope)
    } else {
        Err(EngramError::NoConvergence {
            context: format!("alpha_exist at sigma={sigma}, {}", act.name()),
            reason: "smoothed slope at the origin underflowed to 0".into(),
        })
    }
}

/// m*: the largest root of m = α Ψ_σ(m) in (0, α] (docs/theory.md#idp), or `None` if α Ψ'_σ(0) ≤ 1.
/// Domain: α > 0, σ ≥ 0.
pub fn m_star(act: &Activation, saliency: f64, sigma: f64) -> Result<Option<f64>> {
    positive("saliency", saliency)?;
    check_sigma(sigma)?;
    // existence by the slope at the origin (Ψ_σ odd, increasing, concave on m > 0); deciding
    // it from g at tiny m would read quadrature round-off as a root
    if saliency * act.smoothed_prime(0.0, sigma) <= 1.0 {
        return Ok(None);
    }
    let g = |m: f64| saliency * act.smoothed(m, sigma) - m;
    // |Ψ_σ| ≤ 1, so every root lies in (0, α]; g(α) ≤ 0.
    let top = saliency;
    let g_top = g(top);
    // scan downwards: a linear grid on (0, α), then geometrically towards 0 down to 1e-12 α
    // (m* ~ √(α − α_exist) near threshold, so smaller amplitudes are below double precision)
    const GRID: usize = 256;
    let linear = (1..GRID).rev().map(|k| top * k as f64 / GRID as f64);
    let geometric = (1..=32).map(|j| top / GRID as f64 * 0.5f64.powi(j));
    let mut hi = top;
    let mut g_hi = g_top;
    let mut lo = None;
    for m in linear.chain(geometric) {
        let gm = g(m);
        if gm > 0.0 {
            lo = Some(m);
            break;
        }
        hi = m;
        g_hi = gm;
    }
    let Some(lo) = lo else {
        // α is above α_exist by less than the resolution: the amplitude is below 1e-12 α
        return Ok(Some(hi));
    };
    if g_hi == 0.0 {
        return Ok(Some(hi));
    }
    brent_root(g, lo, hi, 0.0)
        .map(Some)
        .map_err(|e| EngramError::NoConvergence {
            context: format!(
                "m* at saliency={saliency}, sigma={sigma}, {}(gain={})",
                act.name(),
                act.gain()
            ),
            reason: e.to_string(),
        })
}

/// The fixed point, existence and stability thresholds of one memory (docs/theory.md#idp).
/// Domain: saliency > 0, σ ≥ 0.
pub fn memory_fixed_point(act: &Activation, saliency: f64, sigma: f64) -> Result<MemoryFixedPoint> {
    let alpha_exist = alpha_exist(act, sigma)?;
    let m = m_star(act, saliency, sigma)?;
    let alpha_stab = m.map(|m| {
        let slope = act.smoothed_prime(m, sigma);
        if slope > 0.0 {
            1.0 / slope
        } else {
            f64::INFINITY
        }
    });
    Ok(MemoryFixedPoint {
        saliency,
        sigma,
        m_star: m,
        alpha_exist,
        alpha_stab,
        origin_stable: saliency * act.smoothed_prime(0.0, sigma) < 1.0,
    })
}

/// Noise at which a memory of saliency α stops existing: the σ solving α Ψ'_σ(0) = 1
/// (the classic network, α = 1, β = 10: σ_c ≈ 1.121). `None` if α Ψ'(0) ≤ 1 already at σ = 0.
/// Domain: α > 0. Ψ'_σ(0) decreases in σ, so the root is unique.
pub fn sigma_exist(act: &Activation, saliency: f64) -> Result<Option<f64>> {
    positive("saliency", saliency)?;
    let f = |sigma: f64| saliency * act.smoothed_prime(0.0, sigma) - 1.0;
    if f(0.0) <= 0.0 {
        return Ok(None);
    }
    let mut hi = 1.0;
    while f(hi) > 0.0 {
        hi *= 2.0;
        if hi > 1e12 {
            return Err(EngramError::NoConvergence {
                context: format!("sigma_exist at saliency={saliency}"),
                reason: "no sign change below sigma = 1e12".into(),
            });
        }
    }
    brent_root(f, 0.0, hi, 1e-15)
        .map(Some)
        .map_err(|e| EngramError::NoConvergence {
            context: format!("sigma_exist at saliency={saliency}"),
            reason: e.to_string(),
        })
}

/// Eigenvalues (ascending) of the Jacobian J = −I + W·diag Ψ'(x) of the noise-free flow
/// ẋ = −x + WΨ(x) at a state x, for a symmetric coupling W (row-major N × N). With
/// D = diag Ψ'(x) ≥ 0, J is similar to the symmetric −I + D^{1/2} W D^{1/2}, so the spectrum is
/// real; it is computed by nalgebra's symmetric eigensolver. A fixed point is linearly stable
/// iff the largest eigenvalue is negative — the check behind α_stab = 1/Ψ'(m*) of
/// docs/theory.md#idp-fixed-points, without the orthogonality it assumes.
/// Domain: `w` of length N², `x` of length N ≥ 1.
pub fn jacobian_spectrum(act: &Activation, w: &[f64], x: &[f64]) -> Result<Vec<f64>> {
    let n = x.len();
    if n == 0 || w.len() != n * n {
        return Err(EngramError::InvalidParameter {
            name: "w",
            value: format!("{} entries for N = {n}", w.len()),
            allowed: "a row-major N x N coupling matrix and a state of length N >= 1",
        });
    }
    let s: Vec<f64> = x
        .iter()
        .map(|&v| act.psi_prime(v).max(0.0).sqrt())
        .collect();
    let m = nalgebra::DMatrix::from_fn(n, n, |i, j| {
        let v = 0.5 * (w[i * n + j] + w[j * n + i]) * s[i] * s[j];
        if i == j {
            v - 1.0
        } else {
            v
        }
    });
    let mut ev: Vec<f64> = m.symmetric_eigenvalues().iter().copied().collect();
    ev.sort_by(f64::total_cmp);
    Ok(ev)
}
