//! Activations Ψ of the IDP network and their Gaussian-smoothed forms (docs/theory.md#idp).
//!
//! With additive noise σ each neuron fluctuates with variance s² = σ²/2 around its field, and the
//! mean-field equations use Ψ_σ(h) = E_z Ψ(h + s z) and Ψ'_σ(h) = E_z Ψ'(h + s z), z ~ N(0, 1).
//!
//! * `tanh`: Ψ(x) = tanh(βx). The smoothed forms are computed by tanh-sinh quadrature
//!   (`quadrature` crate) over z ∈ [−Z_MAX, Z_MAX], split at the steep point z₀ = −h/s and at
//!   z₀ ± 8/(βs), so that the narrow sech² peak always sits at a panel end, where the double
//!   exponential nodes cluster. Accuracy ~1e-12 absolute (tested against Gauss–Hermite with many
//!   nodes in the smooth regime and against Stein's identity E[Ψ'(h+sz)] = E[zΨ(h+sz)]/s).
//! * `hardtanh`: Ψ(x) = clip(βx, −1, 1) (β = 1 is the standard hard tanh). Closed forms:
//!   with a = (−1/β − h)/s, b = (1/β − h)/s,
//!   Ψ_σ(h) = Φ(a)·(−1) + (1 − Φ(b)) + β[h (Φ(b) − Φ(a)) + s (φ(a) − φ(b))],
//!   Ψ'_σ(h) = β (Φ(b) − Φ(a)).

use crate::error::{EngramError, Result};

/// Integration half-width in units of the standard normal: the mass beyond ±9 is 2e-19, below
/// the accuracy target since |Ψ| ≤ 1 and |Ψ'| ≤ β.
const Z_MAX: f64 = 9.0;
/// Absolute error target per quadrature panel.
const QUAD_TOL: f64 = 1e-14;

/// The activation function Ψ.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// Ψ(x) = tanh(β x), gain β > 0.
    Tanh {
        /// Gain β.
        gain: f64,
    },
    /// Ψ(x) = clip(β x, −1, 1), gain β > 0 (β = 1: the hard tanh of docs/theory.md#idp).
    HardTanh {
        /// Gain β.
        gain: f64,
    },
}

impl Activation {
    /// Validated tanh(β·).
    pub fn tanh(gain: f64) -> Result<Self> {
        Ok(Activation::Tanh {
            gain: crate::error::positive("gain", gain)?,
        })
    }
    /// Validated clip(β·, −1, 1).
    pub fn hard_tanh(gain: f64) -> Result<Self> {
        Ok(Activation::HardTanh {
            gain: crate::error::positive("gain", gain)?,
        })
    }
    /// The gain β.
    pub fn gain(&self) -> f64 {
        match *self {
            Activation::Tanh { gain } | Activation::HardTanh { gain } => gain,
        }
    }
    /// Name as on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Activation::Tanh { .. } => "tanh",
            Activation::HardTanh { .. } => "hardtanh",
        }
    }

    /// Ψ(x).
    #[inline]
    pub fn psi(&self, x: f64) -> f64 {
        match *self {
            Activation::Tanh { gain } => (gain * x).tanh(),
            Activation::HardTanh { gain } => (gain * x).clamp(-1.0, 1.0),
        }
    }

    /// Ψ'(x) (for the hard tanh the derivative is β inside |βx| < 1 and 0 outside).
    #[inline]
    pub fn psi_prime(&self, x: f64) -> f64 {
        match *self {
            Activation::Tanh { gain } => {
                let c = (gain * x).cosh();
                if c.is_finite() {
                    gain / (c * c)
                } else {
                    0.0
                }
            }
            Activation::HardTanh { gain } => {
                if (gain * x).abs() < 1.0 {
                    gain
                } else {
                    0.0
                }
            }
        }
    }

    /// Ψ'(0), the slope at the origin.
    pub fn slope_at_origin(&self) -> f64 {
        self.gain()
    }

    /// Noise-smoothed Ψ_σ(h) = E_z Ψ(h + s z), s = σ/√2 (docs/theory.md#idp). Domain: σ ≥ 0, h finite.
    pub fn smoothed(&self, h: f64, sigma: f64) -> f64 {
        let s = sigma / std::f64::consts::SQRT_2;
        if s == 0.0 {
            return self.psi(h);
        }
        match *self {
            Activation::HardTanh { gain } => {
                let (a, b) = ((-1.0 / gain - h) / s, (1.0 / gain - h) / s);
                let (pa, pb) = (norm_cdf(a), norm_cdf(b));
                -pa + norm_sf(b) + gain * (h * (pb - pa) + s * (norm_pdf(a) - norm_pdf(b)))
            }
            // |Ψ| ≤ 1 exactly; clamp quadrature round-off so that m = αΨ_σ(m) has no root above α
            Activation::Tanh { .. } => gauss_expect(self, |x| self.psi(x), h, s).clamp(-1.0, 1.0),
        }
    }

    /// Noise-smoothed slope Ψ'_σ(h) = E_z Ψ'(h + s z), s = σ/√2 (docs/theory.md#idp). Domain: σ ≥ 0.
    pub fn smoothed_prime(&self, h: f64, sigma: f64) -> f64 {
        let s = sigma / std::f64::consts::SQRT_2;
        if s == 0.0 {
            return self.psi_prime(h);
        }
        match *self {
            Activation::HardTanh { gain } => {
                let (a, b) = ((-1.0 / gain - h) / s, (1.0 / gain - h) / s);
                gain * (norm_cdf(b) - norm_cdf(a))
            }
            Activation::Tanh { .. } => gauss_expect(self, |x| self.psi_prime(x), h, s),
        }
    }

    /// Stein's identity Ψ'_σ(h) = E_z[z Ψ(h + s z)]/s (for s > 0): an independent route to the
    /// smoothed slope, used to test the quadrature of Ψ'.
    pub fn smoothed_prime_stein(&self, h: f64, sigma: f64) -> f64 {
        let s = sigma / std::f64::consts::SQRT_2;
        if s == 0.0 {
            return self.psi_prime(h);
        }
        // z = (x − h)/s at x = h + s z
        gauss_expect(self, |x| (x - h) / s * self.psi(x), h, s) / s
    }
}

/// Parse "tanh" | "hardtanh" with a gain.
pub fn parse_activation(name: &str, gain: f64) -> Result<Activation> {
    match name {
        "tanh" => Activation::tanh(gain),
        "hardtanh" | "hard_tanh" | "hard-tanh" => Activation::hard_tanh(gain),
        other => Err(EngramError::InvalidParameter {
            name: "activation",
            value: other.to_string(),
            allowed: "tanh or hardtanh",
        }),
    }
}

/// Standard normal density.
#[inline]
pub fn norm_pdf(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Standard normal CDF Φ(z), accurate to ~1 ulp (erfc from `puruspe`).
#[inline]
pub fn norm_cdf(z: f64) -> f64 {
    0.5 * puruspe::erfc(-z / std::f64::consts::SQRT_2)
}

/// Standard normal survival 1 − Φ(z) without cancellation.
#[inline]
pub fn norm_sf(z: f64) -> f64 {
    0.5 * puruspe::erfc(z / std::f64::consts::SQRT_2)
}

/// Panel breakpoints for E_z f(h + s z), sorted and clipped to [−Z_MAX, Z_MAX]: ±Z_MAX and,
/// for tanh, the steep point z₀ = −h/s and z₀ ± 8/(βs); for the hard tanh its kinks
/// (±1/β − h)/s.
fn breakpoints(act: &Activation, h: f64, s: f64) -> [f64; 8] {
    let gain = act.gain();
    let z0 = -h / s;
    let w = match act {
        Activation::Tanh { .. } => 8.0 / (gain * s),
        Activation::HardTanh { .. } => 1.0 / (gain * s),
    };
    // the Gaussian's bulk (−3, 0, 3) and the activation's steep region or kinks
    let mut pts = [-Z_MAX, -3.0, 0.0, 3.0, z0 - w, z0, z0 + w, Z_MAX];
    for p in pts.iter_mut() {
        *p = p.clamp(-Z_MAX, Z_MAX);
    }
    pts.sort_by(f64::total_cmp);
    pts
}

/// E_z f(h + s z) by tanh-sinh quadrature on the panels of [`breakpoints`].
fn gauss_expect<F: Fn(f64) -> f64>(act: &Activation, f: F, h: f64, s: f64) -> f64 {
    let pts = breakpoints(act, h, s);
    let mut total = 0.0;
    for w in pts.windows(2) {
        if w[1] > w[0] {
            total += quadrature::integrate(|z| norm_pdf(z) * f(h + s * z), w[0], w[1], QUAD_TOL)
                .integral;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_noise_is_the_bare_activation() {
        let a = Activation::tanh(10.0).unwrap();
        assert_eq!(a.smoothed(0.03, 0.0), (0.3f64).tanh());
        let h = Activation::hard_tanh(1.0).unwrap();
        assert_eq!(h.smoothed(2.0, 0.0), 1.0);
        assert_eq!(h.smoothed_prime(0.5, 0.0), 1.0);
    }

    #[test]
    fn hard_tanh_closed_form_matches_quadrature() {
        let a = Activation::hard_tanh(1.0).unwrap();
        for &(h, sigma) in &[
            (0.0, 0.5),
            (0.7, 0.3),
            (1.5, 1.0),
            (-2.0, 2.0),
            (0.99, 0.01),
        ] {
            let s = sigma / std::f64::consts::SQRT_2;
            let q = gauss_expect(&a, |x| a.psi(x), h, s);
            assert!((a.smoothed(h, sigma) - q).abs() < 1e-12, "{h} {sigma}");
            let qp = gauss_expect(&a, |x| a.psi_prime(x), h, s);
            assert!(
                (a.smoothed_prime(h, sigma) - qp).abs() < 1e-9,
                "{h} {sigma}"
            );
        }
    }
}
