//! Diffusion models on a finite pattern set (Ambrogioni, Entropy 2024; docs/theory.md#diffusion; derived, checked numerically).
//!
//! Data (1/P)Σ_μ δ(x − ξ^μ), variance-exploding forward process with s² = σ²t:
//! p_t(x) = (1/P) Σ_μ N(x; ξ^μ, s²I). With β = 1/s² and w = softmax_μ(β ξ^μ·x − β‖ξ^μ‖²/2):
//! score ∇log p_t = (Σ_μ w_μ ξ^μ − x)/s², denoiser E[ξ | x] = Σ_μ w_μ ξ^μ (one attention update
//! at λ = β for equal norms), and −s² log p_t(x) = E_DAM(x; λ = 1/s²) + const (equal norms).
//! The reverse SDE dx = −σ² ∇log p_t(x) dt + σ dW̄ (integrated backwards in t with the exact
//! score) ends on a training pattern (memorisation) or between them.

pub mod collapse;

pub use collapse::{forward_collapse, s2_collapse, ForwardDraw};

use rand::{Rng, RngExt};
use rand_distr::StandardNormal;

use crate::ensembles::sample_rng;
use crate::error::{positive, EngramError, Result};

/// A finite pattern set (row-major P × N).
#[derive(Debug, Clone)]
pub struct PatternSet {
    /// Patterns.
    pub xi: Vec<f64>,
    /// Dimension N.
    pub n: usize,
    /// Squared norms ‖ξ^μ‖².
    pub norms2: Vec<f64>,
}

impl PatternSet {
    /// Wrap row-major patterns. Domain: N ≥ 1, at least one pattern.
    pub fn new(xi: Vec<f64>, n: usize) -> Result<Self> {
        if n == 0 || xi.is_empty() || xi.len() % n != 0 {
            return Err(EngramError::InvalidParameter {
                name: "patterns",
                value: format!("{} entries for N = {n}", xi.len()),
                allowed: "P × N entries with P >= 1",
            });
        }
        let norms2 = xi
            .chunks(n)
            .map(|r| r.iter().map(|v| v * v).sum())
            .collect();
        Ok(PatternSet { xi, n, norms2 })
    }

    /// Number of patterns.
    pub fn p(&self) -> usize {
        self.xi.len() / self.n
    }

    /// Logits β ξ^μ·x − β‖ξ^μ‖²/2 into `out` (length P); returns their log-sum-exp.
    fn logits_into(&self, x: &[f64], beta: f64, out: &mut [f64]) -> f64 {
        for ((l, r), &q) in out.iter_mut().zip(self.xi.chunks(self.n)).zip(&self.norms2) {
            *l = beta * (r.iter().zip(x).map(|(a, b)| a * b).sum::<f64>() - 0.5 * q);
        }
        crate::numerics::log_sum_exp(out)
    }

    /// Posterior weights w_μ(x) at noise variance s² (β = 1/s²) into `w` (length P), without
    /// allocating.
    pub fn weights_into(&self, x: &[f64], s2: f64, w: &mut [f64]) {
        let lse = self.logits_into(x, 1.0 / s2, w);
        for v in w.iter_mut() {
            *v = (*v - lse).exp();
        }
    }

    /// Posterior weights w_μ(x) at noise variance s² (β = 1/s²).
    pub fn weights(&self, x: &[f64], s2: f64) -> Vec<f64> {
        let mut w = vec![0.0; self.p()];
        self.weights_into(x, s2, &mut w);
        w
    }

    /// Σ_μ w_μ ξ^μ for given weights into `out`.
    pub fn mix(&self, w: &[f64], out: &mut [f64]) {
        out.fill(0.0);
        for (r, &wm) in self.xi.chunks(self.n).zip(w) {
            for (o, &v) in out.iter_mut().zip(r) {
                *o += wm * v;
            }
        }
    }

    /// log p_t(x) = log (1/P) Σ_μ N(x; ξ^μ, s²I) (log-sum-exp).
    pub fn log_density(&self, x: &[f64], s2: f64) -> f64 {
        let beta = 1.0 / s2;
        let lse = self.logits_into(x, beta, &mut vec![0.0; self.p()]);
        let x2: f64 = x.iter().map(|v| v * v).sum();
        lse - 0.5 * beta * x2
            - (self.p() as f64).ln()
            - 0.5 * self.n as f64 * (2.0 * std::f64::consts::PI * s2).ln()
    }

    /// Exact denoiser E[ξ | x] = Σ_μ w_μ ξ^μ.
    pub fn denoise(&self, x: &[f64], s2: f64, out: &mut [f64]) {
        self.mix(&self.weights(x, s2), out);
    }

    /// Exact score ∇log p_t(x) = (E[ξ|x] − x)/s².
    pub fn score(&self, x: &[f64], s2: f64, out: &mut [f64]) {
        self.denoise(x, s2, out);
        for (o, &v) in out.iter_mut().zip(x) {
            *o = (*o - v) / s2;
        }
    }

    /// The §1 energy at inverse temperature λ: −(1/λ) log Σ_μ e^{λ ξ^μ·x} + ½‖x‖².
    pub fn dam_energy(&self, x: &[f64], lambda: f64) -> f64 {
        let l: Vec<f64> = self
            .xi
            .chunks(self.n)
            .map(|r| lambda * r.iter().zip(x).map(|(a, b)| a * b).sum::<f64>())
            .collect();
        -crate::numerics::log_sum_exp(&l) / lambda + 0.5 * x.iter().map(|v| v * v).sum::<f64>()
    }

    /// Largest eigenvalue of the pattern covariance C = (1/P)Σ(ξ − ξ̄)(ξ − ξ̄)ᵀ: C is formed
    /// as a symmetric N × N matrix (O(PN²)) and diagonalised by nalgebra's symmetric eigensolver
    /// (O(N³), exact to round-off; the hand-written power iteration it replaces needed up to
    /// 10⁴ passes over the P × N patterns when the top two eigenvalues are close).
    pub fn cov_lambda_max(&self) -> f64 {
        let (p, n) = (self.p(), self.n);
        let mut mean = vec![0.0; n];
        for r in self.xi.chunks(n) {
            for (m, &v) in mean.iter_mut().zip(r) {
                *m += v / p as f64;
            }
        }
        let mut c = nalgebra::DMatrix::<f64>::zeros(n, n);
        let mut d = vec![0.0; n];
        for r in self.xi.chunks(n) {
            for ((di, &v), &m) in d.iter_mut().zip(r).zip(&mean) {
                *di = v - m;
            }
            // upper triangle of the rank-one update d dᵀ
            for j in 0..n {
                let dj = d[j] / p as f64;
                for i in 0..=j {
                    c[(i, j)] += d[i] * dj;
                }
            }
        }
        for j in 0..n {
            for i in 0..j {
                c[(j, i)] = c[(i, j)];
            }
        }
        c.symmetric_eigenvalues().max().max(0.0)
    }
}

/// Spherical patterns (norm √N) for sample `sample` of `seed`: P × N row-major.
pub fn spherical_patterns(n: usize, p: usize, seed: u64, sample: u64) -> Result<PatternSet> {
    crate::error::check_store("patterns", n as f64 * p as f64, 8.0)?;
    let mut rng = sample_rng(seed, sample);
    let mut xi = Vec::with_capacity(n * p);
    for _ in 0..p {
        let row: Vec<f64> = (0..n)
            .map(|_| rng.sample::<f64, _>(StandardNormal))
            .collect();
        let r = row.iter().map(|v| v * v).sum::<f64>().sqrt();
        xi.extend(row.iter().map(|v| v * (n as f64).sqrt() / r));
    }
    PatternSet::new(xi, n)
}

/// Outcome of one reverse trajectory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReverseOutcome {
    /// Δ = min_μ ‖x − ξ^μ‖²/N at the end.
    pub delta_min: f64,
    /// Largest posterior weight at the end.
    pub w_max: f64,
    /// s² at which the largest weight first exceeds 1/2 on the way down (0 if never).
    pub s2_condensed: f64,
}

/// Reverse VE SDE with the exact score, σ = 1 (so s² = t), from t = t_max down to t_min in
/// `steps` geometric steps (Euler–Maruyama in log-time). x(t_max) = a random training pattern
/// plus √t_max noise (exact forward marginal).
pub fn reverse_sde<R: Rng>(
    set: &PatternSet,
    t_max: f64,
    t_min: f64,
    steps: usize,
    rng: &mut R,
) -> Result<ReverseOutcome> {
    positive("t_max", t_max)?;
    positive("t_min", t_min)?;
    if steps == 0 {
        return Err(EngramError::InvalidParameter {
            name: "steps",
            value: "0".into(),
            allowed: "a whole number >= 1 of integration steps",
        });
    }
    if t_min >= t_max {
        return Err(EngramError::InvalidParameter {
            name: "t_min",
            value: format!("{t_min} (t_max = {t_max})"),
            allowed: "0 < t_min < t_max",
        });
    }
    let n = set.n;
    let start = rng.random_range(0..set.p());
    let mut x: Vec<f64> = set.xi[start * n..(start + 1) * n]
        .iter()
        .map(|&v| v + t_max.sqrt() * rng.sample::<f64, _>(StandardNormal))
        .collect();
    // work buffers: posterior weights (P) and denoiser (N), reused every step
    let mut w = vec![0.0; set.p()];
    let mut d = vec![0.0; n];
    let ratio = (t_min / t_max).powf(1.0 / steps as f64);
    let mut t = t_max;
    let mut s2_condensed = 0.0;
    for _ in 0..steps {
        // one weight computation serves the condensation check and the exact score
        set.weights_into(&x, t, &mut w);
        if s2_condensed == 0.0 && w.iter().cloned().fold(0.0, f64::max) > 0.5 {
            s2_condensed = t;
        }
        set.mix(&w, &mut d);
        let t_next = t * ratio;
        let dt = t - t_next;
        let amp = dt.sqrt();
        // x ← x + dt (E[ξ|x] − x)/t + √dt z
        for (xi, &di) in x.iter_mut().zip(&d) {
            *xi += dt * (di - *xi) / t + amp * rng.sample::<f64, _>(StandardNormal);
        }
        t = t_next;
    }
    set.weights_into(&x, t, &mut w);
    let delta_min = set
        .xi
        .chunks(n)
        .map(|r| r.iter().zip(&x).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / n as f64)
        .fold(f64::INFINITY, f64::min);
    Ok(ReverseOutcome {
        delta_min,
        w_max: w.iter().cloned().fold(0.0, f64::max),
        s2_condensed,
    })
}

/// Summary of reverse-SDE trajectories at one (N, α).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReverseSummary {
    /// Patterns P = round(e^{αN}).
    pub patterns: usize,
    /// Fraction ending within Δ < 0.01 of a training pattern (Wilson, one sigma).
    pub memorised: crate::stats::Proportion,
    /// Median s² at which one pattern first takes half the posterior weight.
    pub s2_condensed_median: f64,
    /// One-sigma error of the median (order statistics n/2 ± √n/2).
    pub s2_condensed_err: f64,
    /// The s² at which β λ_max(C) = 1, i.e. λ_max(C) of the pattern covariance (mean over
    /// the pattern sets).
    pub s2_symmetry_breaking: f64,
}

/// Settings of a reverse-SDE point.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ReverseParams {
    /// Dimension N.
    pub n: usize,
    /// Load α (P = round(e^{αN})).
    pub alpha: f64,
    /// Trajectories.
    pub samples: usize,
    /// Start time (= s², σ = 1).
    pub t_max: f64,
    /// End time.
    pub t_min: f64,
    /// Euler–Maruyama steps (geometric in t).
    pub steps: usize,
    /// Seed.
    pub seed: u64,
}

/// Run the trajectories of `rp`, each on its own spherical pattern set (stream s), in parallel.
/// Domain: N ≥ 2, α > 0, P = round(e^{αN}) ≤ 1e6, samples ≥ 1.
pub fn reverse_point(rp: &ReverseParams, progress: &(dyn Fn() + Sync)) -> Result<ReverseSummary> {
    use rayon::prelude::*;
    let ReverseParams {
        n,
        alpha,
        samples,
        t_max,
        t_min,
        steps,
        seed,
    } = *rp;
    positive("alpha", alpha)?;
    let p = (alpha * n as f64).exp().round().max(1.0);
    if p > 1e6 || n < 2 || samples == 0 {
        return Err(EngramError::InvalidParameter {
            name: "alpha",
            value: format!("{alpha} at N = {n} (P = {p:.3e}), samples = {samples}"),
            allowed: "N >= 2, P = round(e^{alpha N}) <= 1e6 and samples >= 1",
        });
    }
    let res = (0..samples as u64)
        .into_par_iter()
        .map(|s| -> Result<(f64, f64, f64)> {
            crate::interrupt::check()?;
            let set = spherical_patterns(n, p as usize, seed, s)?;
            let mut rng = sample_rng(seed ^ 0x5eed, s);
            let o = reverse_sde(&set, t_max, t_min, steps, &mut rng)?;
            progress();
            Ok((o.delta_min, o.s2_condensed, set.cov_lambda_max()))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut s2c: Vec<f64> = res.iter().map(|r| r.1).collect();
    s2c.sort_by(f64::total_cmp);
    let (median, err) = crate::stats::median_with_error(&s2c);
    Ok(ReverseSummary {
        patterns: p as usize,
        memorised: crate::stats::wilson(res.iter().filter(|r| r.0 < 0.01).count(), samples, 1.0),
        s2_condensed_median: median,
        s2_condensed_err: err,
        s2_symmetry_breaking: res.iter().map(|r| r.2).sum::<f64>() / samples as f64,
    })
}

/// REM basin route to the collapse noise: the largest s² at which a typical noisy start
/// x = ξ + s z (overlap m = 1, norm r = 1 + s²) satisfies the one-step basin condition
/// λ m > φ(α, λ, r) at λ = 1/s², for spherical patterns, by a geometric scan from s² = 100 down
/// to 1e-6 and bisection on the numerical φ. `None` if it never holds. It equals the closed
/// form [`s2_collapse`] = 1/(e^{2α} − 1) of Biroli et al. (2024) (see [`collapse`]); the two
/// are computed independently and tested against each other.
pub fn s2_condensation_rem(alpha: f64) -> Result<Option<f64>> {
    use crate::ensembles::Spherical;
    use crate::rem::{phi, RemPoint};
    positive("alpha", alpha)?;
    let g = |s2: f64| -> Result<f64> {
        let l = 1.0 / s2;
        Ok(l - phi(&Spherical, RemPoint::new(alpha, l, 1.0 + s2)?)?.0)
    };
    let mut hi = 100.0f64;
    if g(hi)? > 0.0 {
        return Ok(Some(hi));
    }
    while hi > 1e-6 {
        let lo = hi / 1.5;
        if g(lo)? > 0.0 {
            let (mut a, mut b) = (lo, hi);
            for _ in 0..60 {
                let m = 0.5 * (a + b);
                if g(m)? > 0.0 {
                    a = m;
                } else {
                    b = m;
                }
            }
            return Ok(Some(0.5 * (a + b)));
        }
        hi = lo;
    }
    Ok(None)
}
