//! Patterns with i.i.d. components from a marginal π (docs/theory.md#iid): a discrete law given
//! by its values and weights, sparse ternary, uniform, or Laplace. Every marginal is
//! standardised to zero mean and unit variance (ρ₁ = 1), so the loads compare with gaussian.
//!
//! The overlap of an independent pattern ξ with a configuration x has the quenched scaled
//! cumulant generating function Λ_x(λ) = (1/N) Σ_i ln M(λ x_i), M(t) = E_π e^{tξ}: it depends on
//! x through its empirical component law, not through its norm alone. The trait's Λ_r is
//! evaluated for x = √r·(a typical pattern), Λ_r(λ) = E_{y∼π} ln M(λ√r y) (exact for the
//! retrieval target x = ξ¹ at r = 1, the configuration of α₁), and the simulator's cosine starts
//! x = aξ¹ + bg (g standard gaussian) have Λ_{a,b}(λ) = E_{y,g} ln M(λ(a y + b g))
//! ([`PatternEnsemble::log_mgf_start`]).
//!
//! Accuracy: discrete marginals are exact sums (log-sum-exp); the uniform marginal is
//! integrated by Gauss–Legendre panels to ~1e-15 relative (the start law's inner gaussian
//! expectation by tanh-sinh to 1e-12). Laplace components have
//! M(t) = 1/(1 − t²/2) only for |t| < √2, so E ln M(λy) = ∞ for every λ > 0 (a finite fraction
//! of the target's components exceed √2/λ): the REM theory does not exist for it and engram
//! refuses it there; the simulator samples it.

use std::sync::Mutex;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::legendre::rate;
use super::sampling::PatternSampler;
use super::PatternEnsemble;
use crate::error::{EngramError, Result};

const SQRT3: f64 = 1.732_050_807_568_877_2;

/// A standardised marginal.
#[derive(Debug, Clone, PartialEq)]
pub enum Marginal {
    /// Values v_k (standardised) with weights w_k > 0 summing to one.
    Discrete {
        /// Standardised values.
        values: Vec<f64>,
        /// Probabilities.
        weights: Vec<f64>,
    },
    /// Uniform on [−√3, √3].
    Uniform,
    /// Laplace with scale 1/√2 (density e^{−√2|y|}/√2).
    Laplace,
}

/// An i.i.d. pattern ensemble (docs/theory.md#iid); build with [`Iid::discrete`],
/// [`Iid::ternary`], [`Iid::uniform`], [`Iid::laplace`] or by name ([`Iid::parse`]).
#[derive(Debug)]
pub struct Iid {
    name: &'static str,
    marginal: Marginal,
    /// Cumulative weights of a discrete marginal (the sampler's table).
    cumulative: Vec<f64>,
}

impl PartialEq for Iid {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for Iid {}
impl std::hash::Hash for Iid {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.name.hash(h)
    }
}

fn invalid(key: &'static str, value: String, allowed: &'static str) -> EngramError {
    EngramError::InvalidParameter {
        name: key,
        value,
        allowed,
    }
}

fn list(v: &[f64]) -> String {
    v.iter().map(f64::to_string).collect::<Vec<_>>().join(",")
}

/// The interned ensembles: one `'static` instance per distinct name, so that
/// [`super::EnsembleKind`] stays `Copy` (a process reads a handful of marginals).
static INTERNED: Mutex<Vec<&'static Iid>> = Mutex::new(Vec::new());

fn intern(name: String, marginal: Marginal) -> &'static Iid {
    let mut all = INTERNED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(e) = all.iter().find(|e| e.name == name) {
        return e;
    }
    let cumulative = match &marginal {
        Marginal::Discrete { weights, .. } => weights
            .iter()
            .scan(0.0, |s, &w| {
                *s += w;
                Some(*s)
            })
            .collect(),
        _ => Vec::new(),
    };
    let e: &'static Iid = Box::leak(Box::new(Iid {
        name: Box::leak(name.into_boxed_str()),
        marginal,
        cumulative,
    }));
    all.push(e);
    e
}

impl Iid {
    /// A discrete marginal: values with weights (each ≥ 0, summing to one within 1e-9),
    /// standardised to zero mean and unit variance. Refused: empty or unequal lists, non-finite
    /// entries, negative weights, a sum ≠ 1, zero variance.
    pub fn discrete(values: &[f64], weights: &[f64]) -> Result<&'static Iid> {
        let name = format!("iid:{}:{}", list(values), list(weights));
        if values.is_empty() || values.len() != weights.len() {
            return Err(invalid(
                "values",
                format!("{} values, {} weights", values.len(), weights.len()),
                "as many values as weights, at least one",
            ));
        }
        if let Some(v) = values.iter().find(|v| !v.is_finite()) {
            return Err(invalid("values", v.to_string(), "finite numbers"));
        }
        if let Some(w) = weights.iter().find(|w| !(w.is_finite() && **w >= 0.0)) {
            return Err(invalid(
                "weights",
                w.to_string(),
                "finite probabilities >= 0",
            ));
        }
        let total: f64 = weights.iter().sum();
        if (total - 1.0).abs() > 1e-9 {
            return Err(invalid(
                "weights",
                format!("{} (sum {total})", list(weights)),
                "probabilities summing to 1",
            ));
        }
        let mean: f64 = values.iter().zip(weights).map(|(v, w)| v * w).sum();
        let var: f64 = values
            .iter()
            .zip(weights)
            .map(|(v, w)| w * (v - mean).powi(2))
            .sum();
        let spread = values.iter().fold(0.0f64, |m, v| m.max((v - mean).abs()));
        if var <= 1e-24 * spread.max(1e-300).powi(2) {
            return Err(invalid(
                "values",
                list(values),
                "a marginal with nonzero variance (values with positive weight that differ)",
            ));
        }
        let sd = var.sqrt();
        // drop zero-weight values: they never occur and would only slow the sums
        let (values, weights): (Vec<f64>, Vec<f64>) = values
            .iter()
            .zip(weights)
            .filter(|(_, &w)| w > 0.0)
            .map(|(v, &w)| ((v - mean) / sd, w / total))
            .unzip();
        Ok(intern(name, Marginal::Discrete { values, weights }))
    }

    /// Sparse ternary patterns: ξ_i = ±1/√f with probability f/2 each, 0 otherwise
    /// (0 < f ≤ 1; f = 1 is binary).
    pub fn ternary(f: f64) -> Result<&'static Iid> {
        if !(f > 0.0 && f <= 1.0) {
            return Err(invalid("sparsity", f.to_string(), "a fraction 0 < f <= 1"));
        }
        let a = 1.0 / f.sqrt();
        let (values, weights) = if f == 1.0 {
            (vec![-1.0, 1.0], vec![0.5, 0.5])
        } else {
            (vec![-a, 0.0, a], vec![0.5 * f, 1.0 - f, 0.5 * f])
        };
        Ok(intern(
            format!("ternary:{f}"),
            Marginal::Discrete { values, weights },
        ))
    }

    /// Uniform components on [−√3, √3].
    pub fn uniform() -> &'static Iid {
        intern("uniform".into(), Marginal::Uniform)
    }

    /// Laplace components of unit variance (simulation only; module docs).
    pub fn laplace() -> &'static Iid {
        intern("laplace".into(), Marginal::Laplace)
    }

    /// By name: `uniform`, `laplace`, `ternary:F`, `iid:V1,V2,…:W1,W2,…`; `None` if the name
    /// is none of these forms.
    pub fn parse(s: &str) -> Option<Result<&'static Iid>> {
        if s == "uniform" {
            return Some(Ok(Self::uniform()));
        }
        if s == "laplace" {
            return Some(Ok(Self::laplace()));
        }
        if let Some(f) = s.strip_prefix("ternary:") {
            return Some(match f.trim().parse::<f64>() {
                Ok(f) => Self::ternary(f),
                Err(_) => Err(invalid("sparsity", f.into(), "a fraction 0 < f <= 1")),
            });
        }
        let rest = s.strip_prefix("iid:")?;
        let nums = |t: &str, key: &'static str| -> Result<Vec<f64>> {
            t.split(',')
                .map(|x| {
                    x.trim()
                        .parse::<f64>()
                        .map_err(|_| invalid(key, x.trim().into(), "comma-separated numbers"))
                })
                .collect()
        };
        Some(match rest.split_once(':') {
            Some((v, w)) => nums(v, "values")
                .and_then(|v| nums(w, "weights").and_then(|w| Self::discrete(&v, &w))),
            None => Err(invalid(
                "ensemble",
                s.into(),
                "iid:V1,V2,...:W1,W2,... (values, then their weights)",
            )),
        })
    }

    /// The standardised marginal.
    pub fn marginal(&self) -> &Marginal {
        &self.marginal
    }

    /// ln M(t) = ln E_π e^{tξ} and its derivative E_{π_t} ξ (the tilted mean).
    /// Domain: all t for bounded marginals; |t| < √2 for Laplace (∞ beyond).
    pub fn ln_mgf(&self, t: f64) -> (f64, f64) {
        match &self.marginal {
            Marginal::Discrete { values, weights } => {
                let mx = values
                    .iter()
                    .zip(weights)
                    .map(|(v, w)| w.ln() + t * v)
                    .fold(f64::NEG_INFINITY, f64::max);
                let (mut z, mut zv) = (0.0, 0.0);
                for (v, w) in values.iter().zip(weights) {
                    let e = (w.ln() + t * v - mx).exp();
                    z += e;
                    zv += e * v;
                }
                (mx + z.ln(), zv / z)
            }
            Marginal::Uniform => {
                let s = SQRT3 * t;
                (ln_sinhc(s), SQRT3 * langevin(s))
            }
            Marginal::Laplace => {
                let q = 0.5 * t * t;
                if q < 1.0 {
                    (-(-q).ln_1p(), t / (1.0 - q))
                } else {
                    (f64::INFINITY, f64::INFINITY)
                }
            }
        }
    }

    /// E_π f(y) for an even or odd-symmetrised f (exact sum or quadrature).
    fn expect<F: Fn(f64) -> f64>(&self, f: F, kink: f64) -> f64 {
        match &self.marginal {
            Marginal::Discrete { values, weights } => {
                values.iter().zip(weights).map(|(&v, &w)| w * f(v)).sum()
            }
            Marginal::Uniform => {
                // f is even in y for the symmetric uniform law: (1/√3)∫_0^√3 f, by 20-point
                // Gauss–Legendre on panels [0, k], [k, 2k], [2k, 4k], … (k = `kink`, where the
                // integrand turns from quadratic to linear). ln M(c y) is singular only on the
                // imaginary y axis, at distance ≥ the panel's left end, so each panel converges
                // geometrically (1e-15 relative).
                let rule = gauss_legendre();
                let mut lo = 0.0;
                let mut hi = if kink > 0.0 && kink < SQRT3 {
                    kink
                } else {
                    SQRT3
                };
                let mut total = 0.0;
                loop {
                    total += rule.integrate(lo, hi, &f);
                    if hi >= SQRT3 {
                        break;
                    }
                    lo = hi;
                    hi = (2.0 * hi).min(SQRT3);
                }
                total / SQRT3
            }
            Marginal::Laplace => f64::INFINITY,
        }
    }

    /// The largest and smallest values (∞ for unbounded marginals).
    fn support(&self) -> (f64, f64) {
        match &self.marginal {
            Marginal::Discrete { values, .. } => (
                values.iter().copied().fold(f64::INFINITY, f64::min),
                values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            ),
            Marginal::Uniform => (-SQRT3, SQRT3),
            Marginal::Laplace => (f64::NEG_INFINITY, f64::INFINITY),
        }
    }

    /// One component drawn from π.
    #[inline]
    pub fn draw(&self, rng: &mut ChaCha8Rng) -> f64 {
        match &self.marginal {
            Marginal::Discrete { values, .. } => {
                let u: f64 = rng.random();
                let k = self
                    .cumulative
                    .iter()
                    .position(|&c| u < c)
                    .unwrap_or(values.len() - 1);
                values[k]
            }
            Marginal::Uniform => SQRT3 * (2.0 * rng.random::<f64>() - 1.0),
            Marginal::Laplace => {
                let u: f64 = rng.random::<f64>() - 0.5;
                -u.signum() * std::f64::consts::FRAC_1_SQRT_2 * (-2.0 * u.abs()).ln_1p()
            }
        }
    }

    /// Mean, variance and third central moment of y² under π: the leading Cornish–Fisher
    /// correction of the median of ‖ξ‖²/N, 1 − κ₃/(6κ₂N) (gaussian: κ₃/κ₂ = 4, the χ²_N
    /// median 1 − 2/(3N)).
    pub fn norm_cumulants(&self) -> (f64, f64, f64) {
        match &self.marginal {
            Marginal::Discrete { values, weights } => {
                let m: f64 = values.iter().zip(weights).map(|(v, w)| w * v * v).sum();
                let k2 = values
                    .iter()
                    .zip(weights)
                    .map(|(v, w)| w * (v * v - m).powi(2))
                    .sum();
                let k3 = values
                    .iter()
                    .zip(weights)
                    .map(|(v, w)| w * (v * v - m).powi(3))
                    .sum();
                (m, k2, k3)
            }
            // y = √3 U, U uniform(−1, 1): E y⁴ = 9/5, E y⁶ = 27/7
            Marginal::Uniform => (1.0, 9.0 / 5.0 - 1.0, 27.0 / 7.0 - 3.0 * 9.0 / 5.0 + 2.0),
            // E y⁴ = 6, E y⁶ = 90 for unit-variance Laplace
            Marginal::Laplace => (1.0, 5.0, 90.0 - 18.0 + 2.0),
        }
    }

    /// Whether every component has the same modulus (two-point symmetric: binary up to scale),
    /// so that the target's empirical law cannot fluctuate in a way the overlaps see.
    pub fn is_binary_like(&self) -> bool {
        match &self.marginal {
            Marginal::Discrete { values, .. } => {
                let a = values[0].abs();
                values.iter().all(|v| (v.abs() - a).abs() <= 1e-12 * a)
            }
            _ => false,
        }
    }
}

/// Largest number of values for which the empirical-law channels of α_c are computed (a
/// (K − 1)-dimensional minimisation).
pub const EMPIRICAL_MAX_VALUES: usize = 8;

/// The overlap law seen by a target whose components follow the law ν on π's values, the other
/// patterns drawn from π (docs/theory.md#iid): Λ_ν(t) = Σ_k ν_k ln M(t v_k), ρ_ν = Σ_k ν_k v_k².
struct TargetLaw<'a> {
    iid: &'a Iid,
    values: &'a [f64],
    nu: Vec<f64>,
    lo: f64,
    hi: f64,
}

impl PatternEnsemble for TargetLaw<'_> {
    fn name(&self) -> &'static str {
        self.iid.name
    }
    fn rho1(&self) -> f64 {
        self.nu
            .iter()
            .zip(self.values)
            .map(|(n, v)| n * v * v)
            .sum()
    }
    fn log_mgf(&self, t: f64, _r: f64) -> f64 {
        self.nu
            .iter()
            .zip(self.values)
            .map(|(n, &v)| n * self.iid.ln_mgf(t * v).0)
            .sum()
    }
    fn log_mgf_prime(&self, t: f64, _r: f64) -> f64 {
        self.nu
            .iter()
            .zip(self.values)
            .map(|(n, &v)| n * v * self.iid.ln_mgf(t * v).1)
            .sum()
    }
    fn overlap_edge(&self, _r: f64) -> f64 {
        self.nu
            .iter()
            .zip(self.values)
            .map(|(n, &v)| n * (self.hi * v).max(self.lo * v))
            .sum()
    }
}

/// The empirical-law channels of α_c for a discrete marginal (docs/theory.md#iid).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EmpiricalChannels {
    /// min_ν max(KL(ν‖π), α_f(λ; ν)): no target law that costs less than the load fails.
    pub alpha_empirical: f64,
    /// ρ_ν of the minimising law (the failing targets' squared norm per component).
    pub rho_failing: f64,
    /// ½ min_ν [KL(ν‖π) + I_ν(ρ_ν)]: a target of law ν and a pattern with ξ·x ≥ ‖x‖² (at
    /// the overlap edge, a longer pattern that ties: [`tie_rate`]).
    pub alpha_pair: f64,
}

/// The rate of a pattern that ties with the target, ξ·x = ‖x‖², when ‖x‖² is the overlap
/// edge (the law ν sits on {lo, 0, hi}): each nonzero component must take its aligned extreme
/// value, Σ_{v_k ≠ 0} ν_k (−ln w_{extreme}). The tie steals the attractor only if the pattern is
/// longer than the target, i.e. if ν has mass on 0 (where the pattern is free); otherwise the
/// tying pattern is the target itself (binary) and the rate is ∞.
fn tie_rate(l: &TargetLaw<'_>, weights: &[f64]) -> f64 {
    let idx = |x: f64| l.values.iter().position(|&v| v == x);
    let (Some(ilo), Some(ihi)) = (idx(l.lo), idx(l.hi)) else {
        return f64::INFINITY;
    };
    let zero_mass: f64 =
        l.nu.iter()
            .zip(l.values)
            .filter(|(_, &v)| v.abs() <= 1e-12 * l.hi.abs().max(l.lo.abs()))
            .map(|(n, _)| n)
            .sum();
    if zero_mass <= 0.0 {
        return f64::INFINITY;
    }
    l.nu.iter()
        .zip(l.values)
        .filter(|(_, &v)| v.abs() > 1e-12 * l.hi.abs().max(l.lo.abs()))
        .map(|(n, &v)| n * -(if v > 0.0 { weights[ihi] } else { weights[ilo] }).ln())
        .sum()
}

/// ν = softmax(ln w + θ) on the values, θ ∈ R^{K−1} (θ_K = 0); θ = 0 is π.
fn law_from(theta: &[f64], weights: &[f64]) -> Vec<f64> {
    let logits: Vec<f64> = weights
        .iter()
        .enumerate()
        .map(|(k, w)| w.ln() + theta.get(k).copied().unwrap_or(0.0))
        .collect();
    let mx = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let z: f64 = logits.iter().map(|l| (l - mx).exp()).sum();
    logits.iter().map(|l| (l - mx).exp() / z).collect()
}

fn kl(nu: &[f64], w: &[f64]) -> f64 {
    nu.iter()
        .zip(w)
        .filter(|(n, _)| **n > 0.0)
        .map(|(n, w)| n * (n / w).ln())
        .sum()
}

/// Minimise `f` over θ ∈ R^d by Nelder–Mead (argmin) from the origin and from ±2 along each
/// axis; the best of the restarts.
fn nelder_mead_min(
    d: usize,
    f: &dyn Fn(&[f64]) -> f64,
    context: impl Fn() -> String,
) -> Result<(Vec<f64>, f64)> {
    use argmin::core::{CostFunction, Error as ArgminError, Executor, State};
    use argmin::solver::neldermead::NelderMead;
    struct Cost<'a>(&'a dyn Fn(&[f64]) -> f64);
    impl CostFunction for Cost<'_> {
        type Param = Vec<f64>;
        type Output = f64;
        fn cost(&self, p: &Vec<f64>) -> std::result::Result<f64, ArgminError> {
            Ok((self.0)(p))
        }
    }
    let mut best: Option<(Vec<f64>, f64)> = None;
    for start in [0.0, 2.0, -2.0] {
        let x0: Vec<f64> = vec![start; d];
        let mut simplex = vec![x0.clone()];
        for j in 0..d {
            let mut x = x0.clone();
            x[j] += 1.0;
            simplex.push(x);
        }
        let solver = NelderMead::new(simplex)
            .with_sd_tolerance(1e-14)
            .map_err(|e| EngramError::NoConvergence {
                context: context(),
                reason: e.to_string(),
            })?;
        let res = Executor::new(Cost(f), solver)
            .configure(|s| s.max_iters(4000))
            .run()
            .map_err(|e| EngramError::NoConvergence {
                context: context(),
                reason: e.to_string(),
            })?;
        let st = res.state();
        if let (Some(p), c) = (st.get_best_param(), st.get_best_cost()) {
            if best.as_ref().is_none_or(|b| c < b.1) {
                best = Some((p.clone(), c));
            }
        }
    }
    best.ok_or_else(|| EngramError::NoConvergence {
        context: context(),
        reason: "no finite cost".into(),
    })
}

impl Iid {
    /// The empirical-law channels of α_c at λ (docs/theory.md#iid), for discrete marginals of
    /// at most [`EMPIRICAL_MAX_VALUES`] values; `None` otherwise (continuous marginals need a
    /// minimisation over functions). Minimised by Nelder–Mead over the simplex of target
    /// laws. Domain: λ > 0.
    pub fn empirical_channels(&self, lambda: f64) -> Option<Result<EmpiricalChannels>> {
        let Marginal::Discrete { values, weights } = &self.marginal else {
            return None;
        };
        if values.len() > EMPIRICAL_MAX_VALUES {
            return None;
        }
        let (lo, hi) = self.support();
        let law = |theta: &[f64]| TargetLaw {
            iid: self,
            values,
            nu: law_from(theta, weights),
            lo,
            hi,
        };
        let err = std::cell::RefCell::new(None);
        let keep = |r: Result<f64>| match r {
            Ok(v) => v,
            Err(e) => {
                err.borrow_mut().get_or_insert(e);
                f64::INFINITY
            }
        };
        let d = values.len() - 1;
        let ctx = |what: &str| {
            let what = what.to_string();
            move || format!("{what} of {} at lambda={lambda}", self.name)
        };
        let run = || -> Result<EmpiricalChannels> {
            let emp = |t: &[f64]| {
                let l = law(t);
                kl(&l.nu, weights).max(keep(
                    crate::dam::theory::failure_load(&l, lambda, l.rho1(), None).map(|f| f.0),
                ))
            };
            let (t_emp, alpha_empirical) = nelder_mead_min(d, &emp, ctx("empirical-law channel"))?;
            let pair = |t: &[f64]| {
                let l = law(t);
                let rho = l.rho1();
                let i = if rho >= l.overlap_edge(rho) * (1.0 - 1e-12) {
                    tie_rate(&l, weights)
                } else {
                    keep(rate(&l, rho, rho))
                };
                (kl(&l.nu, weights) + i).min(1e300)
            };
            let (_, j) = nelder_mead_min(d, &pair, ctx("stealing-pair channel"))?;
            if let Some(e) = err.borrow_mut().take() {
                return Err(e);
            }
            Ok(EmpiricalChannels {
                alpha_empirical,
                rho_failing: law(&t_emp).rho1(),
                alpha_pair: if j >= 1e300 { f64::INFINITY } else { 0.5 * j },
            })
        };
        Some(run())
    }
}

/// The 20-point Gauss–Legendre rule, computed once.
fn gauss_legendre() -> &'static gauss_quad::GaussLegendre {
    static RULE: std::sync::OnceLock<gauss_quad::GaussLegendre> = std::sync::OnceLock::new();
    RULE.get_or_init(|| gauss_quad::GaussLegendre::new(std::num::NonZeroUsize::new(20).unwrap()))
}

/// ln(sinh s / s), stable for all s.
fn ln_sinhc(s: f64) -> f64 {
    let a = s.abs();
    if a < 1e-3 {
        let a2 = a * a;
        a2 / 6.0 - a2 * a2 / 180.0 + a2 * a2 * a2 / 2835.0
    } else if a < 20.0 {
        (a.sinh() / a).ln()
    } else {
        a - std::f64::consts::LN_2 - a.ln() + (-(-2.0 * a).exp()).ln_1p()
    }
}

/// The Langevin function coth s − 1/s, stable at small s.
fn langevin(s: f64) -> f64 {
    let a = s.abs();
    let v = if a < 1e-3 {
        a / 3.0 - a * a * a / 45.0 + 2.0 * a.powi(5) / 945.0
    } else if a < 20.0 {
        1.0 / a.tanh() - 1.0 / a
    } else {
        1.0 - 1.0 / a
    };
    v.copysign(s)
}

impl PatternEnsemble for Iid {
    fn name(&self) -> &'static str {
        self.name
    }
    fn rho1(&self) -> f64 {
        1.0
    }
    /// Λ_r(λ) = E_{y∼π} ln M(λ√r y).
    fn log_mgf(&self, lambda: f64, r: f64) -> f64 {
        let c = lambda * r.sqrt();
        self.expect(|y| self.ln_mgf(c * y).0, 1.0 / c.max(1e-300))
    }
    /// Λ_r'(λ) = E_{y∼π} √r y (ln M)'(λ√r y).
    fn log_mgf_prime(&self, lambda: f64, r: f64) -> f64 {
        let s = r.sqrt();
        let c = lambda * s;
        self.expect(|y| s * y * self.ln_mgf(c * y).1, 1.0 / c.max(1e-300))
    }
    /// lim_{λ→∞} Λ_r'(λ) = √r E_π[max(v_max y, v_min y)].
    fn overlap_edge(&self, r: f64) -> f64 {
        let (lo, hi) = self.support();
        if !hi.is_finite() {
            return f64::INFINITY;
        }
        r.sqrt() * self.expect(|y| (hi * y).max(lo * y), 0.0)
    }
    fn check_theory(&self) -> Result<()> {
        if matches!(self.marginal, Marginal::Laplace) {
            return Err(EngramError::Invalid(
                "ensemble laplace: E ln M(λξ) is infinite for every λ > 0 (M(t) = 1/(1 − t²/2) \
                 diverges at |t| = √2 and the target's components are unbounded), so the REM \
                 theory does not exist; laplace patterns can only be simulated"
                    .into(),
            ));
        }
        Ok(())
    }
    fn alpha_c_channels_complete(&self) -> bool {
        self.is_binary_like()
    }
    fn alpha_c_empirical(&self, lambda: f64) -> Option<Result<(f64, f64, f64)>> {
        self.empirical_channels(lambda)
            .map(|r| r.map(|c| (c.alpha_empirical, c.rho_failing, c.alpha_pair)))
    }
    /// Λ_{a,b}(λ) = E_{y∼π} E_g ln M(λ(a y + b g)): the exact sum or quadrature over π, then
    /// a gaussian expectation over g on panels split where λ(a y + b g) changes sign.
    fn log_mgf_start(&self, lambda: f64, a: f64, b: f64) -> f64 {
        if b == 0.0 {
            return self.log_mgf(lambda, a * a);
        }
        self.expect(
            |y| super::gauss_expect(|g| self.ln_mgf(lambda * (a * y + b * g)).0, -a * y / b),
            1.0 / (lambda * a).max(1e-300),
        )
    }
    fn log_mgf_start_prime(&self, lambda: f64, a: f64, b: f64) -> f64 {
        if b == 0.0 {
            return self.log_mgf_prime(lambda, a * a);
        }
        self.expect(
            |y| {
                super::gauss_expect(
                    |g| {
                        let x = a * y + b * g;
                        x * self.ln_mgf(lambda * x).1
                    },
                    -a * y / b,
                )
            },
            1.0 / (lambda * a).max(1e-300),
        )
    }
    fn start_depends_on_cosine(&self) -> bool {
        true
    }
    fn start_edge(&self, a: f64, b: f64) -> f64 {
        let (lo, hi) = self.support();
        if !hi.is_finite() {
            return f64::INFINITY;
        }
        if b == 0.0 {
            return self.overlap_edge(a * a);
        }
        self.expect(
            |y| {
                super::gauss_expect(
                    |g| (hi * (a * y + b * g)).max(lo * (a * y + b * g)),
                    -a * y / b,
                )
            },
            0.0,
        )
    }
}

impl PatternSampler for Iid {
    fn sample_pattern(&self, rng: &mut ChaCha8Rng, out: &mut [f32]) {
        for v in out.iter_mut() {
            *v = self.draw(rng) as f32;
        }
    }
}
