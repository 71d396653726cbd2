//! Pattern sampling for the Monte-Carlo simulator (docs/theory.md#dam table, "sampling" column):
//! the random streams and the sampler trait; each ensemble's sampler sits in its own file.
//!
//! RNG: ChaCha8 (rand_chacha), one stream per sample: the generator of sample s is
//! `ChaCha8Rng::seed_from_u64(seed)` with `set_stream(s)`, so every sample's patterns depend
//! only on (seed, sample index), never on the thread that runs it or on the number of threads.
//! ChaCha8 is a counter-based cipher generator with 2^64 independent streams of 2^68 bytes.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::{Binary, EnsembleKind, Gaussian, PatternEnsemble, Spherical};

/// The random stream of one sample (patterns first, then anything else the sample draws).
pub fn sample_rng(seed: u64, sample: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(sample);
    rng
}

/// An ensemble that can draw patterns.
pub trait PatternSampler: PatternEnsemble {
    /// Fill `out` (length N) with one pattern.
    fn sample_pattern(&self, rng: &mut ChaCha8Rng, out: &mut [f32]);

    /// Draw the `count` patterns (length `n`) of one store in order, handing each to
    /// `put(μ, pattern)`. Independent patterns by default; ensembles whose patterns share a
    /// per-store structure (the hidden manifold's features) override it.
    fn sample_store(
        &self,
        rng: &mut ChaCha8Rng,
        n: usize,
        count: usize,
        put: &mut dyn FnMut(usize, &[f32]) -> crate::error::Result<()>,
    ) -> crate::error::Result<()> {
        let mut row = vec![0f32; n];
        for mu in 0..count {
            self.sample_pattern(rng, &mut row);
            put(mu, &row)?;
        }
        Ok(())
    }
}

impl EnsembleKind {
    /// The ensemble as a sampler.
    pub fn sampler(self) -> &'static dyn PatternSampler {
        match self {
            Self::Gaussian => &Gaussian,
            Self::Spherical => &Spherical,
            Self::Binary => &Binary,
            Self::Iid(e) => e,
            Self::HiddenManifold(e) => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Empirical moments against the ensemble's own law: E ξ_i = 0, E ξ_i² = ρ₁ = 1,
    /// and the spherical / binary norms are exactly N.
    #[test]
    fn moments_and_norms() {
        let n = 50;
        for kind in EnsembleKind::ALL {
            let mut rng = sample_rng(7, 3);
            let mut buf = vec![0f32; n];
            let (mut s1, mut s2, mut count) = (0.0, 0.0, 0.0);
            for _ in 0..4000 {
                kind.sampler().sample_pattern(&mut rng, &mut buf);
                let norm2: f64 = buf.iter().map(|&v| (v as f64).powi(2)).sum();
                if kind != EnsembleKind::Gaussian {
                    assert!((norm2 / n as f64 - 1.0).abs() < 1e-6, "{kind}: {norm2}");
                }
                s1 += buf.iter().map(|&v| v as f64).sum::<f64>();
                s2 += norm2;
                count += n as f64;
            }
            // 200k draws: mean within 5σ = 5/√200000 ≈ 0.011; variance of ξ² ≤ 2 ⇒ 5σ ≈ 0.016
            assert!((s1 / count).abs() < 0.011, "{kind} mean {}", s1 / count);
            assert!(
                (s2 / count - 1.0).abs() < 0.016,
                "{kind} second moment {}",
                s2 / count
            );
        }
    }

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let mut a = vec![0f32; 16];
        let mut b = vec![0f32; 16];
        Gaussian.sample_pattern(&mut sample_rng(1, 5), &mut a);
        Gaussian.sample_pattern(&mut sample_rng(1, 5), &mut b);
        assert_eq!(a, b);
        Gaussian.sample_pattern(&mut sample_rng(1, 6), &mut b);
        assert_ne!(a, b);
    }
}
