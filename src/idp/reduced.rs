//! Reduced dynamics of the IDP network (docs/theory.md#idp; N → ∞, P finite, random ±1 memories):
//!
//! ```text
//! da_μ/dt = −a_μ + α_μ E_{ξ,z}[ξ_μ Ψ(Σ_ν a_ν ξ_ν + s z)],   d(s²)/dt = −2s² + σ²,
//! ```
//!
//! with the exact average over the 2^P sign vectors ξ (by oddness of Ψ, half of them suffice)
//! and the Gaussian average through the smoothed activation Ψ_σ of [`super::activation`].
//! Integrated with classical RK4 at a fixed step. Cost per right-hand side:
//! 2^{P−1} evaluations of Ψ_s (closed form for hard tanh, quadrature for tanh with noise), so
//! P ≲ 10.

use super::activation::Activation;
use crate::error::{positive, EngramError, Result};

/// State of the reduced dynamics: overlaps a_μ = ξ_μ·x/N and the noise variance s².
#[derive(Debug, Clone, PartialEq)]
pub struct ReducedState {
    /// Overlaps a_μ.
    pub a: Vec<f64>,
    /// s², the variance of each neuron's fluctuation around its field.
    pub s2: f64,
}

/// Right-hand side of the reduced equations for the packed state y = (a_1..a_P, s²) into
/// `out` (same layout), without allocating.
pub fn rhs(act: &Activation, saliency: &[f64], sigma: f64, y: &[f64], out: &mut [f64]) {
    let p = y.len() - 1;
    let (a, s2) = (&y[..p], y[p]);
    let sig_eff = (2.0 * s2.max(0.0)).sqrt(); // s = σ_eff/√2
    let (e, ds2) = out.split_at_mut(p);
    e.fill(0.0);
    let half = 1usize << (p - 1);
    for bits in 0..half {
        // ξ_0 = +1, ξ_ν = ± from the bits
        let sign = |nu: usize| -> f64 {
            if nu == 0 || (bits >> (nu - 1)) & 1 == 0 {
                1.0
            } else {
                -1.0
            }
        };
        let h: f64 = (0..p).map(|nu| a[nu] * sign(nu)).sum();
        let psi = act.smoothed(h, sig_eff);
        for (mu, em) in e.iter_mut().enumerate() {
            *em += sign(mu) * psi;
        }
    }
    let inv = 1.0 / half as f64;
    for ((em, &am), &sal) in e.iter_mut().zip(a).zip(saliency) {
        *em = -am + sal * *em * inv;
    }
    ds2[0] = -2.0 * s2 + sigma * sigma;
}

/// Integrate from `start` to time `t_max` with RK4 step `dt`; returns (t, state) every
/// `record_every` steps and at the end. Domain: 1 ≤ P ≤ 20, dt > 0, t_max > 0.
pub fn integrate(
    act: &Activation,
    saliency: &[f64],
    sigma: f64,
    start: ReducedState,
    dt: f64,
    t_max: f64,
    record_every: usize,
) -> Result<Vec<(f64, ReducedState)>> {
    let p = start.a.len();
    if p == 0 || p > 20 || saliency.len() != p {
        return Err(EngramError::InvalidParameter {
            name: "p",
            value: p.to_string(),
            allowed: "1..=20 overlaps, one saliency each",
        });
    }
    positive("dt", dt)?;
    positive("t_max", t_max)?;
    super::fixed_point::check_sigma(sigma)?;
    let steps = (t_max / dt).ceil() as usize;
    let every = record_every.max(1);
    let mut y: Vec<f64> = start.a.iter().copied().chain([start.s2]).collect();
    let mut out = vec![(0.0, start)];
    let mut rk = crate::numerics::Rk4::new(p + 1);
    for k in 1..=steps {
        rk.step(&mut y, dt, |y, o| rhs(act, saliency, sigma, y, o));
        if k % every == 0 || k == steps {
            let state = ReducedState {
                a: y[..p].to_vec(),
                s2: y[p],
            };
            out.push((k as f64 * dt, state));
        }
    }
    Ok(out)
}
