//! The DAM energy, one descent step and the full descent for a state and a pattern matrix the
//! caller gives (docs/theory.md#dam), in f64 throughout (the simulators' f32 kernels are for
//! stores of e^{αN} drawn patterns; this is the exact evaluation for user data):
//!
//! E(x) = −(1/λ) ln Σ_μ e^{λ ξ^μ·x} + ½‖x‖²,  ∇E = x − T(x),  T(x) = Σ_μ p_μ ξ^μ,
//! p = softmax(λ Ξx); a step is x ← x − η∇E (η = 1: the attention update x ← T(x)).
//!
//! Patterns are a row-major P × N matrix (row μ is ξ^μ). Domain: N ≥ 1, P ≥ 1, λ > 0, η > 0,
//! finite entries. E is the total energy (not per component); the log-sum-exp is taken
//! around the largest logit, so it is finite for any finite λ ξ·x.

use crate::error::{positive, EngramError, Result};

/// A pattern matrix with its shape, validated once.
#[derive(Debug, Clone, Copy)]
pub struct Patterns<'a> {
    data: &'a [f64],
    n: usize,
}

impl<'a> Patterns<'a> {
    /// P × N patterns from `data` (length P·N, row-major); every entry finite.
    pub fn new(data: &'a [f64], n: usize) -> Result<Self> {
        if n == 0 || data.is_empty() || data.len() % n != 0 {
            return Err(EngramError::Invalid(format!(
                "invalid patterns: {} entries do not make P >= 1 rows of N = {n} components",
                data.len()
            )));
        }
        if let Some(v) = data.iter().find(|v| !v.is_finite()) {
            return Err(EngramError::Invalid(format!(
                "invalid patterns: entry {v}: expected finite numbers"
            )));
        }
        Ok(Patterns { data, n })
    }
    /// N.
    pub fn n(&self) -> usize {
        self.n
    }
    /// P.
    pub fn p(&self) -> usize {
        self.data.len() / self.n
    }
    fn rows(&self) -> std::slice::ChunksExact<'a, f64> {
        self.data.chunks_exact(self.n)
    }
}

fn check_state(x: &[f64], pat: &Patterns) -> Result<()> {
    if x.len() != pat.n {
        return Err(EngramError::Invalid(format!(
            "invalid x: {} components where the patterns have N = {}",
            x.len(),
            pat.n
        )));
    }
    if let Some(v) = x.iter().find(|v| !v.is_finite()) {
        return Err(EngramError::Invalid(format!(
            "invalid x: component {v}: expected finite numbers"
        )));
    }
    Ok(())
}

/// Logits λ ξ^μ·x into `logits`; returns their log-sum-exp.
fn logits_lse(x: &[f64], pat: &Patterns, lambda: f64, logits: &mut Vec<f64>) -> f64 {
    logits.clear();
    logits.extend(
        pat.rows()
            .map(|r| lambda * r.iter().zip(x).map(|(a, b)| a * b).sum::<f64>()),
    );
    crate::numerics::log_sum_exp(logits)
}

/// E(x) (docs/theory.md#dam).
pub fn energy(x: &[f64], pat: &Patterns, lambda: f64) -> Result<f64> {
    positive("lambda", lambda)?;
    check_state(x, pat)?;
    let lse = logits_lse(x, pat, lambda, &mut Vec::with_capacity(pat.p()));
    Ok(-lse / lambda + 0.5 * x.iter().map(|v| v * v).sum::<f64>())
}

/// Buffers of a step, allocated once per descent: the logits (P) and T(x) (N).
struct Buffers {
    logits: Vec<f64>,
    t: Vec<f64>,
}

impl Buffers {
    fn new(pat: &Patterns) -> Self {
        Buffers {
            logits: Vec::with_capacity(pat.p()),
            t: vec![0.0; pat.n],
        }
    }
}

/// One step x ← x − η(x − T(x)) in place; returns ‖Δx‖².
fn step_in_place(x: &mut [f64], pat: &Patterns, lambda: f64, eta: f64, buf: &mut Buffers) -> f64 {
    let lse = logits_lse(x, pat, lambda, &mut buf.logits);
    buf.t.fill(0.0);
    for (l, row) in buf.logits.iter().zip(pat.rows()) {
        let p = (l - lse).exp();
        if p > 0.0 {
            for (ti, r) in buf.t.iter_mut().zip(row) {
                *ti += p * r;
            }
        }
    }
    let mut dx2 = 0.0;
    for (xi, ti) in x.iter_mut().zip(&buf.t) {
        let dx = -eta * (*xi - ti);
        *xi += dx;
        dx2 += dx * dx;
    }
    dx2
}

/// One descent step x − η∇E(x) (docs/theory.md#dam).
pub fn step(x: &[f64], pat: &Patterns, lambda: f64, eta: f64) -> Result<Vec<f64>> {
    positive("lambda", lambda)?;
    positive("eta", eta)?;
    check_state(x, pat)?;
    let mut y = x.to_vec();
    step_in_place(&mut y, pat, lambda, eta, &mut Buffers::new(pat));
    Ok(y)
}

/// The end of a descent.
#[derive(Debug, Clone, PartialEq)]
pub struct Descent {
    /// The final state.
    pub x: Vec<f64>,
    /// Steps taken.
    pub steps: usize,
    /// Whether ‖Δx‖/√N fell below `xtol` within `max_steps`.
    pub converged: bool,
    /// E at the final state.
    pub energy: f64,
}

/// Descent from x until ‖Δx‖/√N < `xtol` or `max_steps` steps (the simulator's stopping rule).
pub fn descent(
    x: &[f64],
    pat: &Patterns,
    lambda: f64,
    eta: f64,
    max_steps: usize,
    xtol: f64,
) -> Result<Descent> {
    positive("lambda", lambda)?;
    positive("eta", eta)?;
    positive("xtol", xtol)?;
    if max_steps == 0 {
        return Err(EngramError::InvalidParameter {
            name: "max_steps",
            value: "0".into(),
            allowed: "a whole number >= 1",
        });
    }
    check_state(x, pat)?;
    let mut y = x.to_vec();
    let mut buf = Buffers::new(pat);
    let nf = pat.n as f64;
    let (mut steps, mut converged) = (0, false);
    while steps < max_steps {
        let dx2 = step_in_place(&mut y, pat, lambda, eta, &mut buf);
        steps += 1;
        if (dx2 / nf).sqrt() < xtol {
            converged = true;
            break;
        }
    }
    let energy = energy(&y, pat, lambda)?;
    Ok(Descent {
        x: y,
        steps,
        converged,
        energy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One pattern: E = −ξ·x + ½‖x‖² exactly (the log-sum-exp of one term), the attention step
    /// (η = 1) lands on ξ, and the energy decreases along a descent with η ≤ 1.
    #[test]
    fn one_pattern_closed_forms_and_monotone_descent() {
        let xi = [0.5, -1.0, 2.0];
        let pat = Patterns::new(&xi, 3).unwrap();
        let x = [0.1, 0.2, -0.3];
        let e = energy(&x, &pat, 1.7).unwrap();
        let want = -(0.05 - 0.2 - 0.6) + 0.5 * (0.01 + 0.04 + 0.09);
        assert!((e - want).abs() < 1e-15, "{e} {want}");
        let y = step(&x, &pat, 1.7, 1.0).unwrap();
        assert!(
            y.iter().zip(xi).all(|(a, b)| (a - b).abs() < 1e-15),
            "{y:?}"
        );
        let two = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
        let pat = Patterns::new(&two, 3).unwrap();
        let mut y = vec![0.3, 0.2, 0.9];
        let mut last = energy(&y, &pat, 3.0).unwrap();
        for _ in 0..20 {
            y = step(&y, &pat, 3.0, 0.5).unwrap();
            let e = energy(&y, &pat, 3.0).unwrap();
            assert!(e <= last + 1e-14, "{e} > {last}");
            last = e;
        }
        let d = descent(&[0.3, 0.2, 0.9], &pat, 3.0, 0.5, 1000, 1e-10).unwrap();
        assert!(d.converged && (d.energy - last).abs() < 1e-3);
        assert!(energy(&[1.0, 2.0], &pat, 1.0).is_err());
        assert!(Patterns::new(&[1.0, f64::NAN], 2).is_err());
    }
}
