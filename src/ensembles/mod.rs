//! Pattern ensembles (docs/theory.md#dam): the large-deviation law of the overlap u = ξ·x/N between an
//! independent pattern ξ and a configuration x of squared norm per component r = ‖x‖²/N, and the
//! law of the pattern norm ‖ξ‖²/N.
//!
//! An ensemble supplies only its log-moment generating function Λ_r(λ) and derivative, the norm
//! law, and the edge of the overlap support. Everything downstream (the rate I_r, u*, u_max, λ_*,
//! φ, α₁, α_c, basins) is computed from this trait alone by [`legendre`] and [`crate::rem`]: to
//! add an ensemble, implement [`PatternEnsemble`].

mod binary;
mod gaussian;
pub mod legendre;
pub mod sampling;
mod spherical;

pub use binary::Binary;
pub use gaussian::Gaussian;
pub use sampling::{sample_rng, PatternSampler};
pub use spherical::Spherical;

use crate::error::{EngramError, Result};

/// A pattern ensemble, described by the overlap statistics of docs/theory.md#dam.
///
/// Conventions: the ensemble is centred (Λ_r(0) = Λ_r'(0) = 0) and Λ_r is strictly convex in λ
/// for λ > 0. All methods take λ ≥ 0 and r > 0.
pub trait PatternEnsemble: Send + Sync {
    /// Name used on the command line and in output.
    fn name(&self) -> &'static str;

    /// ρ₁ = E‖ξ‖²/N, the squared norm per component of a typical pattern.
    fn rho1(&self) -> f64;

    /// Λ_r(λ) = lim (1/N) log E exp(λ ξ·x) for ‖x‖²/N = r (docs/theory.md#dam table).
    fn log_mgf(&self, lambda: f64, r: f64) -> f64;

    /// dΛ_r/dλ: the overlap u*(λ) that dominates the tilted law, increasing in λ.
    fn log_mgf_prime(&self, lambda: f64, r: f64) -> f64;

    /// g_r(λ) = λΛ_r'(λ) − Λ_r(λ) = I_r(Λ_r'(λ)), the rate (entropy cost) of the tilted
    /// overlap; increasing in λ. Override when the difference cancels catastrophically.
    fn saddle_rate(&self, lambda: f64, r: f64) -> f64 {
        lambda * self.log_mgf_prime(lambda, r) - self.log_mgf(lambda, r)
    }

    /// Upper edge of the overlap support, lim_{λ→∞} Λ_r'(λ) (∞ if unbounded).
    fn overlap_edge(&self, _r: f64) -> f64 {
        f64::INFINITY
    }

    /// Rate function of the pattern norm ρ = ‖ξ‖²/N, Prob(ρ) ≍ e^{−N I(ρ)}; `None` when the
    /// norm is fixed at ρ₁ (spherical, binary).
    fn norm_rate(&self, _rho: f64) -> Option<f64> {
        None
    }
}

/// The built-in ensembles, selectable by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnsembleKind {
    /// ξ_i ~ N(0, 1) i.i.d.
    Gaussian,
    /// uniform on the sphere of radius √N.
    Spherical,
    /// ξ_i = ±1 uniform.
    Binary,
}

impl EnsembleKind {
    /// All built-in ensembles.
    pub const ALL: [EnsembleKind; 3] = [Self::Gaussian, Self::Spherical, Self::Binary];

    /// The ensemble as a trait object.
    pub fn ensemble(self) -> &'static dyn PatternEnsemble {
        match self {
            Self::Gaussian => &Gaussian,
            Self::Spherical => &Spherical,
            Self::Binary => &Binary,
        }
    }

    /// Name as on the command line.
    pub fn name(self) -> &'static str {
        self.ensemble().name()
    }
}

impl std::str::FromStr for EnsembleKind {
    type Err = EngramError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "gaussian" => Ok(Self::Gaussian),
            "spherical" => Ok(Self::Spherical),
            "binary" => Ok(Self::Binary),
            _ => Err(EngramError::InvalidParameter {
                name: "ensemble",
                value: s.to_string(),
                allowed: "one of gaussian, spherical, binary",
            }),
        }
    }
}

impl std::fmt::Display for EnsembleKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// ln cosh x, accurate to a few ulp for all x: ln(1 + 2 sinh²(x/2)) for |x| ≤ 20 (no
/// cancellation at small x), |x| + ln(1 + e^{−2|x|}) − ln 2 beyond (no overflow).
pub(crate) fn ln_cosh(x: f64) -> f64 {
    let a = x.abs();
    if a <= 20.0 {
        let s = (0.5 * a).sinh();
        (2.0 * s * s).ln_1p()
    } else {
        a + (-2.0 * a).exp().ln_1p() - std::f64::consts::LN_2
    }
}

#[cfg(test)]
mod tests {
    /// ln cosh against the direct formula where that is exact enough, and its asymptote.
    #[test]
    fn ln_cosh_accuracy() {
        for &x in &[1e-8f64, 1e-3, 0.3, 2.0, 19.9, 20.1, 300.0, 1e5] {
            let got = super::ln_cosh(x);
            let reference = if x < 0.1 {
                // Taylor series: x²/2 − x⁴/12 + x⁶/45 − 17x⁸/2520 (next term < 1e-18 relative)
                x * x / 2.0 - x.powi(4) / 12.0 + x.powi(6) / 45.0 - 17.0 * x.powi(8) / 2520.0
            } else if x < 300.0 {
                x.cosh().ln()
            } else {
                x - std::f64::consts::LN_2
            };
            assert!(
                (got - reference).abs() <= 4.0 * f64::EPSILON * reference,
                "{x}: {got} vs {reference}"
            );
            assert_eq!(super::ln_cosh(-x), got);
        }
    }
}
