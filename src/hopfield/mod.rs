//! Binary associative memories with F-interactions (docs/theory.md#hopfield, model A with L_v = Σ|v|):
//! the classic Hopfield network (F = x²), polynomial DAMs (F = xⁿ) and the exponential DAM
//! (F = eˣ), their zero-temperature replica-symmetric theory (F = x²), and the exact
//! asynchronous energy-descent dynamics with incremental overlaps.
//!
//! Energy E(σ) = −Σ_μ F(ξ_μ·σ); the asynchronous step sets
//! σ_i ← sign Σ_μ [F(ξ_μi + Σ_{j≠i} ξ_μj σ_j) − F(−ξ_μi + Σ_{j≠i} ξ_μj σ_j)] (ties keep σ_i),
//! which never increases E. The overlaps M_μ = ξ_μ·σ are kept up to date, so a spin update
//! costs O(P) (for F = x², P = αN: O(N), like a row of the Hebbian matrix).

use rand::seq::SliceRandom;
use rand::{Rng, RngExt};

use crate::ensembles::sample_rng;
use crate::error::{positive, EngramError, Result};
use crate::numerics::brent_root;

/// The interaction function F of model A.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Interaction {
    /// F(x) = xⁿ (n = 2: the classic Hopfield network).
    Power(u32),
    /// F(x) = x^n for x > 0, 0 otherwise.
    RectifiedPower(u32),
    /// F(x) = eˣ (exponential DAM); handled in the log domain.
    Exp,
}

impl Interaction {
    /// Validated power interaction. Domain: n ≥ 2.
    pub fn power(n: u32) -> Result<Self> {
        if n < 2 {
            return Err(EngramError::InvalidParameter {
                name: "interaction",
                value: n.to_string(),
                allowed: "an interaction power n >= 2 (or exp)",
            });
        }
        Ok(Interaction::Power(n))
    }

    /// Number of patterns at load α: P = round(αN) for powers (α = P/N), round(e^{αN}) for the
    /// exponential interaction. Domain: α > 0, 1 ≤ P ≤ 1e7 (else an error naming alpha).
    pub fn patterns(&self, alpha: f64, n: usize) -> Result<usize> {
        positive("alpha", alpha)?;
        let p = match self {
            Interaction::Exp => (alpha * n as f64).exp().round(),
            _ => (alpha * n as f64).round(),
        };
        if !(1.0..=1e7).contains(&p) {
            return Err(EngramError::InvalidParameter {
                name: "alpha",
                value: format!("{alpha} at N = {n} (P = {p:.3e})"),
                allowed: "a load giving 1 <= P <= 1e7 patterns",
            });
        }
        Ok(p as usize)
    }

    /// The load of P patterns at N: P/N for powers, ln(P)/N for the exponential interaction
    /// (the inverse of [`Interaction::patterns`] up to rounding).
    pub fn load(&self, p: usize, n: usize) -> f64 {
        match self {
            Interaction::Exp => (p as f64).ln() / n as f64,
            _ => p as f64 / n as f64,
        }
    }

    fn f(&self, x: f64) -> f64 {
        match *self {
            Interaction::Power(n) => x.powi(n as i32),
            Interaction::RectifiedPower(n) => {
                if x > 0.0 {
                    x.powi(n as i32)
                } else {
                    0.0
                }
            }
            Interaction::Exp => x.exp(),
        }
    }

    /// Sign of Σ_μ [F(a_μ + ξ_μi) − F(a_μ − ξ_μi)] where a_μ = Σ_{j≠i} ξ_μj σ_j.
    /// For F = exp: compares log Σ e^{a+ξ} with log Σ e^{a−ξ} (log-sum-exp, no overflow).
    fn field_sign(&self, a: &[f64], xi_col: &[f64]) -> f64 {
        match self {
            Interaction::Exp => {
                let mut mp = f64::NEG_INFINITY;
                let mut mm = f64::NEG_INFINITY;
                for (&am, &x) in a.iter().zip(xi_col) {
                    mp = mp.max(am + x);
                    mm = mm.max(am - x);
                }
                let m = mp.max(mm);
                let (mut sp, mut sm) = (0.0, 0.0);
                for (&am, &x) in a.iter().zip(xi_col) {
                    sp += (am + x - m).exp();
                    sm += (am - x - m).exp();
                }
                // ties (to round-off) keep the spin
                if (sp - sm).abs() <= 1e-12 * (sp + sm) {
                    0.0
                } else {
                    (sp - sm).signum()
                }
            }
            // F(a+ξ) − F(a−ξ) = 4aξ: the Hebbian local field
            Interaction::Power(2) => sign3(a.iter().zip(xi_col).map(|(&am, &x)| am * x).sum()),
            _ => sign3(
                a.iter()
                    .zip(xi_col)
                    .map(|(&am, &x)| self.f(am + x) - self.f(am - x))
                    .sum(),
            ),
        }
    }
}

/// Sign with 0 for 0 (a tie keeps the spin).
fn sign3(s: f64) -> f64 {
    if s > 0.0 {
        1.0
    } else if s < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// Zero-temperature replica-symmetric theory of the Hopfield network (Amit, Gutfreund,
/// Sompolinsky): with y = m/√(2αr), the retrieval state satisfies
/// √(2α) = erf(y)/y − (2/√π) e^{−y²}, m = erf(y). The right side has one maximum in y; its
/// value gives α_c = max_y ½[erf(y)/y − (2/√π)e^{−y²}]² ≈ 0.138 and m(α_c) = erf(y*) ≈ 0.967.
pub fn rs_rhs(y: f64) -> f64 {
    puruspe::erf(y) / y - 2.0 / std::f64::consts::PI.sqrt() * (-y * y).exp()
}

/// (α_c, m at α_c, y*) of the zero-temperature RS equations (golden-section on the smooth,
/// unimodal rs_rhs over y ∈ [0.5, 3]).
pub fn rs_alpha_c() -> (f64, f64, f64) {
    let (mut a, mut b) = (0.5f64, 3.0f64);
    let g = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..200 {
        let c = b - g * (b - a);
        let d = a + g * (b - a);
        if rs_rhs(c) > rs_rhs(d) {
            b = d;
        } else {
            a = c;
        }
    }
    let y = 0.5 * (a + b);
    let r = rs_rhs(y);
    (0.5 * r * r, puruspe::erf(y), y)
}

/// Retrieval overlap m(α) of the RS zero-temperature theory (the stable, large-y branch), or
/// `None` above α_c. Domain: α > 0.
pub fn rs_overlap(alpha: f64) -> Result<Option<f64>> {
    positive("alpha", alpha)?;
    let (ac, _, ystar) = rs_alpha_c();
    if alpha > ac {
        return Ok(None);
    }
    let target = (2.0 * alpha).sqrt();
    // rs_rhs decreases from its maximum at y* to 0 as y → ∞; bracket upwards
    let mut hi = ystar * 2.0;
    while rs_rhs(hi) > target {
        hi *= 2.0;
        if hi > 1e6 {
            return Ok(Some(1.0));
        }
    }
    let y = brent_root(|y| rs_rhs(y) - target, ystar, hi, 0.0).map_err(|e| {
        EngramError::NoConvergence {
            context: format!("RS overlap at alpha={alpha}"),
            reason: e.to_string(),
        }
    })?;
    Ok(Some(puruspe::erf(y)))
}

/// Parameters of an asynchronous zero-temperature run.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct AsyncParams {
    /// Spins N.
    pub n: usize,
    /// Patterns P.
    pub p: usize,
    /// Interaction F.
    pub interaction: Interaction,
    /// Initial Hamming distance fraction ρ from ξ¹ (0: start at ξ¹).
    pub flip_fraction: f64,
    /// Maximum number of sweeps (each visits all spins once, in random order).
    pub max_sweeps: usize,
    /// Seed (sample s uses ChaCha8 stream s).
    pub seed: u64,
}

/// Result of one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AsyncResult {
    /// Final overlap m = ξ¹·σ/N.
    pub overlap: f64,
    /// Sweeps done.
    pub sweeps: usize,
    /// Spin updates performed (visits).
    pub updates: u64,
    /// Whether a full sweep changed nothing (a fixed point).
    pub converged: bool,
}

/// Run sample `sample`: random ±1 patterns (row-major P×N), σ₀ = ξ¹ with ⌊ρN⌋ random flips,
/// asynchronous sweeps until a sweep flips nothing or `max_sweeps`.
pub fn run_async(p: &AsyncParams, sample: u64) -> Result<AsyncResult> {
    if p.n < 2 || p.p == 0 {
        return Err(EngramError::InvalidParameter {
            name: "n",
            value: format!("N = {}, P = {}", p.n, p.p),
            allowed: "N >= 2 and P >= 1",
        });
    }
    if !(0.0..=0.5).contains(&p.flip_fraction) {
        return Err(EngramError::InvalidParameter {
            name: "flip_fraction",
            value: p.flip_fraction.to_string(),
            allowed: "a Hamming distance fraction in [0, 0.5]",
        });
    }
    let (n, np) = (p.n, p.p);
    crate::error::check_store("p", n as f64 * np as f64, 8.0)?;
    let mut rng = sample_rng(p.seed, sample);
    // column-major patterns: xi[i*P + μ], so the P entries of spin i are contiguous
    let mut xi = vec![0.0f64; n * np];
    for mu in 0..np {
        for i in 0..n {
            xi[i * np + mu] = if rng.random::<bool>() { 1.0 } else { -1.0 };
        }
    }
    let mut sigma: Vec<f64> = (0..n).map(|i| xi[i * np]).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rng);
    let flips = (p.flip_fraction * n as f64).floor() as usize;
    for &i in &order[..flips] {
        sigma[i] = -sigma[i];
    }
    let mut m = vec![0.0f64; np];
    for i in 0..n {
        for mu in 0..np {
            m[mu] += xi[i * np + mu] * sigma[i];
        }
    }
    let mut a = vec![0.0f64; np];
    let mut updates = 0u64;
    let mut sweeps = 0;
    let mut converged = false;
    while sweeps < p.max_sweeps {
        order.shuffle(&mut rng);
        let changed = sweep(p.interaction, &xi, np, &mut sigma, &mut m, &order, &mut a);
        updates += n as u64;
        sweeps += 1;
        if !changed {
            converged = true;
            break;
        }
    }
    Ok(AsyncResult {
        overlap: m[0] / n as f64,
        sweeps,
        updates,
        converged,
    })
}

/// One asynchronous sweep in the given order with incremental overlaps: `xi_cm` column-major
/// (the P entries of spin i contiguous), `m` the overlaps ξ_μ·σ (kept up to date), `a` a
/// work buffer of length P. Returns whether any spin flipped. O(P) per spin.
pub fn sweep(
    interaction: Interaction,
    xi_cm: &[f64],
    np: usize,
    sigma: &mut [f64],
    m: &mut [f64],
    order: &[usize],
    a: &mut [f64],
) -> bool {
    let mut changed = false;
    for &i in order {
        let col = &xi_cm[i * np..(i + 1) * np];
        for ((am, &mm), &x) in a.iter_mut().zip(m.iter()).zip(col) {
            *am = mm - x * sigma[i];
        }
        let s = interaction.field_sign(a, col);
        if s != 0.0 && s != sigma[i] {
            let d = s - sigma[i];
            for (mm, &x) in m.iter_mut().zip(col) {
                *mm += x * d;
            }
            sigma[i] = s;
            changed = true;
        }
    }
    changed
}

/// Energy E(σ) = −Σ_μ F(ξ_μ·σ) for row-major patterns (testing helper; F = exp in log form:
/// returns −log Σ e^{ξ_μ·σ}).
pub fn energy(interaction: Interaction, xi_rows: &[f64], n: usize, sigma: &[f64]) -> f64 {
    let overlaps: Vec<f64> = xi_rows
        .chunks(n)
        .map(|r| r.iter().zip(sigma).map(|(a, b)| a * b).sum())
        .collect();
    match interaction {
        Interaction::Exp => -crate::numerics::log_sum_exp(&overlaps),
        f => -overlaps.iter().map(|&o| f.f(o)).sum::<f64>(),
    }
}

/// One asynchronous update of spin i given row-major patterns (no incremental state): the
/// reference implementation used by the tests.
pub fn naive_update(
    interaction: Interaction,
    xi_rows: &[f64],
    n: usize,
    sigma: &mut [f64],
    i: usize,
) {
    let p = xi_rows.len() / n;
    let a: Vec<f64> = (0..p)
        .map(|mu| {
            (0..n)
                .filter(|&j| j != i)
                .map(|j| xi_rows[mu * n + j] * sigma[j])
                .sum()
        })
        .collect();
    let col: Vec<f64> = (0..p).map(|mu| xi_rows[mu * n + i]).collect();
    let s = interaction.field_sign(&a, &col);
    if s != 0.0 {
        sigma[i] = s;
    }
}

/// Draw a random ±1 vector.
pub fn random_spins<R: Rng>(rng: &mut R, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 })
        .collect()
}

/// Summary of `samples` runs at one point (rayon across samples; sample s uses stream s).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AsyncSummary {
    /// Mean final overlap and its standard error.
    pub overlap: crate::stats::MeanSe,
    /// Fraction of samples with final overlap > 0.9.
    pub p_retrieved: f64,
    /// Mean number of sweeps.
    pub sweeps: f64,
}

/// Run `samples` samples of `params` in parallel and summarise.
pub fn simulate_point(
    params: &AsyncParams,
    samples: usize,
    progress: &(dyn Fn() + Sync),
) -> Result<AsyncSummary> {
    use rayon::prelude::*;
    if samples == 0 {
        return Err(EngramError::InvalidParameter {
            name: "samples",
            value: "0".into(),
            allowed: "a whole number >= 1",
        });
    }
    let res = (0..samples as u64)
        .into_par_iter()
        .map(|s| {
            crate::interrupt::check()?;
            let r = run_async(params, s);
            progress();
            r
        })
        .collect::<Result<Vec<_>>>()?;
    let ov: Vec<f64> = res.iter().map(|r| r.overlap).collect();
    Ok(AsyncSummary {
        overlap: crate::stats::mean_se(&ov),
        p_retrieved: ov.iter().filter(|&&o| o > 0.9).count() as f64 / samples as f64,
        sweeps: res.iter().map(|r| r.sweeps as f64).sum::<f64>() / samples as f64,
    })
}
