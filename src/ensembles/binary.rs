use super::sampling::PatternSampler;
use super::{ln_cosh, PatternEnsemble};
use rand_chacha::ChaCha8Rng;

/// Binary patterns, ξ_i = ±1 uniform (docs/theory.md#dam).
///
/// For a configuration x with all |x_i| = √r (x proportional to a ±1 vector, in particular
/// x = ξ¹ with r = 1): Λ_r(λ) = ln cosh(λ√r), and at r = 1
/// I(u) = ((1+u)/2) ln(1+u) + ((1−u)/2) ln(1−u). For configurations with unequal |x_i|,
/// Λ depends on more than r; this ensemble describes the hypercube directions only.
/// The norm is exactly 1.
#[derive(Debug, Clone, Copy, Default)]
pub struct Binary;

impl PatternEnsemble for Binary {
    fn name(&self) -> &'static str {
        "binary"
    }
    fn rho1(&self) -> f64 {
        1.0
    }
    fn log_mgf(&self, lambda: f64, r: f64) -> f64 {
        ln_cosh(lambda * r.sqrt())
    }
    fn log_mgf_prime(&self, lambda: f64, r: f64) -> f64 {
        r.sqrt() * (lambda * r.sqrt()).tanh()
    }
    fn overlap_edge(&self, r: f64) -> f64 {
        r.sqrt()
    }
    /// Λ_{a,b}(λ) = E_g ln cosh(λ(a + b g)) for the cosine start x = aξ¹ + bg: the components
    /// of x are not ±const, so Λ is not ln cosh(λ√r) (docs/theory.md#basins). Quadrature split
    /// at the kink g = −a/b.
    fn log_mgf_start(&self, lambda: f64, a: f64, b: f64) -> f64 {
        if b == 0.0 {
            return ln_cosh(lambda * a);
        }
        super::gauss_expect(|g| ln_cosh(lambda * (a + b * g)), -a / b)
    }
    fn log_mgf_start_prime(&self, lambda: f64, a: f64, b: f64) -> f64 {
        if b == 0.0 {
            return a * (lambda * a).tanh();
        }
        super::gauss_expect(
            |g| {
                let x = a + b * g;
                x * (lambda * x).tanh()
            },
            -a / b,
        )
    }
    fn start_depends_on_cosine(&self) -> bool {
        true
    }
    /// E|a + b g|.
    fn start_edge(&self, a: f64, b: f64) -> f64 {
        if b == 0.0 {
            return a;
        }
        super::gauss_expect(|g| (a + b * g).abs(), -a / b)
    }
}

impl PatternSampler for Binary {
    fn sample_pattern(&self, rng: &mut ChaCha8Rng, out: &mut [f32]) {
        use rand::Rng;
        let mut bits = 0u64;
        for (i, v) in out.iter_mut().enumerate() {
            if i % 64 == 0 {
                bits = rng.next_u64();
            }
            *v = if bits & 1 == 1 { 1.0 } else { -1.0 };
            bits >>= 1;
        }
    }
}
