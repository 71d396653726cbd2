use super::sampling::PatternSampler;
use super::PatternEnsemble;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// Patterns uniform on the sphere of radius √N (docs/theory.md#dam).
///
/// With a = λ√r and cosine q: Λ_r(λ) = sup_q [a q + ½ ln(1 − q²)], attained at
/// q(a) = 2a/(1 + √(1 + 4a²)); I_r(u) = −½ ln(1 − u²/r) for |u| < √r; the norm is exactly 1.
#[derive(Debug, Clone, Copy, Default)]
pub struct Spherical;

impl Spherical {
    /// Maximising cosine q(a) = 2a/(1 + √(1 + 4a²)) (cancellation-free form).
    fn q(a: f64) -> f64 {
        2.0 * a / (1.0 + (1.0 + 4.0 * a * a).sqrt())
    }
    /// ½ ln[(1 + √(1 + 4a²))/2] = −½ ln(1 − q²), written without cancellation.
    fn half_log_term(a: f64) -> f64 {
        // (1 + √(1+4a²))/2 = 1 + 2a²/(1 + √(1+4a²))
        let s = (1.0 + 4.0 * a * a).sqrt();
        0.5 * (2.0 * a * a / (1.0 + s)).ln_1p()
    }
}

impl PatternEnsemble for Spherical {
    fn name(&self) -> &'static str {
        "spherical"
    }
    fn rho1(&self) -> f64 {
        1.0
    }
    fn log_mgf(&self, lambda: f64, r: f64) -> f64 {
        let a = lambda * r.sqrt();
        a * Self::q(a) - Self::half_log_term(a)
    }
    fn log_mgf_prime(&self, lambda: f64, r: f64) -> f64 {
        r.sqrt() * Self::q(lambda * r.sqrt())
    }
    /// g = −½ ln(1 − q²) exactly (no cancellation between λΛ' and Λ at large λ).
    fn saddle_rate(&self, lambda: f64, r: f64) -> f64 {
        Self::half_log_term(lambda * r.sqrt())
    }
    fn overlap_edge(&self, r: f64) -> f64 {
        r.sqrt()
    }
}

impl PatternSampler for Spherical {
    /// A gaussian vector rescaled to norm √N (uniform on the sphere by rotation invariance).
    fn sample_pattern(&self, rng: &mut ChaCha8Rng, out: &mut [f32]) {
        let mut z = [0f64; 64];
        let n = out.len();
        let mut norm2 = 0.0;
        // two passes over out: draw in f64 blocks, keep f64 norm
        for chunk in out.chunks_mut(64) {
            for (zi, o) in z.iter_mut().zip(chunk.iter_mut()) {
                *zi = StandardNormal.sample(rng);
                norm2 += *zi * *zi;
                *o = *zi as f32;
            }
        }
        // rescale (the f32 copies carry the f64 draws to 1 ulp)
        let scale = ((n as f64) / norm2).sqrt();
        for o in out.iter_mut() {
            *o = (*o as f64 * scale) as f32;
        }
    }
}
