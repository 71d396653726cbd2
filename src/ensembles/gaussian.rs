use super::sampling::PatternSampler;
use super::PatternEnsemble;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// Gaussian patterns, ξ_i ~ N(0, 1) i.i.d. (docs/theory.md#dam).
///
/// Λ_r(λ) = λ²r/2, I_r(u) = u²/(2r); ‖ξ‖²/N ~ χ²_N/N with rate I_χ(ρ) = ½(ρ − 1 − ln ρ).
#[derive(Debug, Clone, Copy, Default)]
pub struct Gaussian;

impl PatternEnsemble for Gaussian {
    fn name(&self) -> &'static str {
        "gaussian"
    }
    fn rho1(&self) -> f64 {
        1.0
    }
    fn log_mgf(&self, lambda: f64, r: f64) -> f64 {
        0.5 * lambda * lambda * r
    }
    fn log_mgf_prime(&self, lambda: f64, r: f64) -> f64 {
        lambda * r
    }
    /// Domain ρ > 0; ∞ at ρ ≤ 0.
    fn norm_rate(&self, rho: f64) -> Option<f64> {
        Some(if rho > 0.0 {
            // ρ − 1 − ln ρ, accurate near ρ = 1
            let d = rho - 1.0;
            0.5 * (d - d.ln_1p())
        } else {
            f64::INFINITY
        })
    }
}

impl PatternSampler for Gaussian {
    fn sample_pattern(&self, rng: &mut ChaCha8Rng, out: &mut [f32]) {
        for v in out.iter_mut() {
            let z: f64 = StandardNormal.sample(rng);
            *v = z as f32;
        }
    }
}
