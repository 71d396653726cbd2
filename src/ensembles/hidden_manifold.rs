//! Hidden-manifold patterns (docs/theory.md#hidden-manifold): ξ^μ = σ̃(F z^μ/√D), with one
//! feature matrix F ∈ ℝ^{N×D} (i.i.d. N(0, 1) entries) per store, a latent z^μ ~ N(0, I_D) per
//! pattern, D = α_D N, and σ̃ = (σ − μ₀)/s the activation standardised so that a component has
//! mean 0 and variance 1 (μ₀ = E σ(g), s² = Var σ(g), g ~ N(0, 1)).
//!
//! **Overlap law.** Given F and the target ξ¹ = σ̃(F z¹/√D), the other patterns' overlaps with a
//! configuration are i.i.d. (their latents are independent), so the auxiliary REM holds with
//! the quenched log-MGF Λ(λ) = lim (1/N) ln E_z exp(λ Σ_i x_i σ̃(F_i·z/√D)). For the
//! configurations x_i = a σ̃(y_i) + b g_i (y = F z¹/√D the target's preactivations, g an
//! independent gaussian; the target is a = 1, b = 0) the replica-symmetric computation gives
//!
//! Λ = extr_{m,v,Δ} (α_D/2)[1 + ln Δ + v/Δ − v − m² − Δ] + E_{y,g,w} f(m y + √v w; λX, Δ),
//! f(a; c, Δ) = ln E_u exp(c σ̃(a + √Δ u)),   X = a σ̃(y) + b g,
//!
//! with m = z·z¹/D, v + m² = z·z'/D for two tilted latents, Δ = Q − q the tilted latent
//! variance (docs/theory.md#hidden-manifold). The saddle point solves
//! m = E[y f′]/α_D, v = Δ² E[f′²]/α_D, 1/Δ = 1 − E[f″]/α_D, and Λ′(λ) = E[X ∂_c f]. It is exact
//! for the linear σ (Λ = λ²(1 + 1/α_D)/2), reduces to the i.i.d. marginal σ̃(g) as α_D → ∞
//! (binary for sign, gaussian for linear), and otherwise rests on replica symmetry.

use std::num::NonZeroUsize;
use std::sync::{Mutex, OnceLock};

use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::sampling::PatternSampler;
use super::PatternEnsemble;
use crate::error::{EngramError, Result};

/// The activation σ of the hidden-manifold model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activation {
    /// σ(h) = h.
    Linear,
    /// σ(h) = max(h, 0).
    Relu,
    /// σ(h) = tanh h.
    Tanh,
    /// σ(h) = sign h.
    Sign,
}

impl Activation {
    /// Name in configs and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Linear => "linear",
            Self::Relu => "relu",
            Self::Tanh => "tanh",
            Self::Sign => "sign",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "linear" => Ok(Self::Linear),
            "relu" => Ok(Self::Relu),
            "tanh" => Ok(Self::Tanh),
            "sign" => Ok(Self::Sign),
            _ => Err(EngramError::InvalidParameter {
                name: "activation",
                value: s.to_string(),
                allowed: "linear, relu, tanh or sign",
            }),
        }
    }

    /// Odd activations (all but ReLU): the REM integrand is symmetric under (y, g, w) → −(y, g, w).
    fn is_odd(self) -> bool {
        !matches!(self, Self::Relu)
    }

    fn raw(self, h: f64) -> f64 {
        match self {
            Self::Linear => h,
            Self::Relu => h.max(0.0),
            Self::Tanh => h.tanh(),
            Self::Sign => {
                if h >= 0.0 {
                    1.0
                } else {
                    -1.0
                }
            }
        }
    }
}

/// A hidden-manifold ensemble (module docs); build with [`HiddenManifold::new`] or by name
/// (`hmm:ACTIVATION:ALPHA_D`, [`HiddenManifold::parse`]).
#[derive(Debug)]
pub struct HiddenManifold {
    name: &'static str,
    /// α_D = D/N.
    pub alpha_d: f64,
    /// σ.
    pub activation: Activation,
    /// μ₀ = E σ(g).
    mu0: f64,
    /// s = √Var σ(g).
    scale: f64,
    /// μ₁ = E[g σ̃(g)] and E|σ̃(g)|, computed once (the solver's guess and the overlap edge
    /// use them at every λ).
    mu1: f64,
    abs_mean: f64,
}

impl PartialEq for HiddenManifold {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for HiddenManifold {}
impl std::hash::Hash for HiddenManifold {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.name.hash(h)
    }
}

/// Quadrature passes so far (all threads): the cost unit of the saddle-point solves.
static PASSES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The number of quadrature passes run so far in this process (benchmarks, tests).
pub fn passes() -> usize {
    PASSES.load(std::sync::atomic::Ordering::Relaxed)
}

static INTERNED: Mutex<Vec<&'static HiddenManifold>> = Mutex::new(Vec::new());

/// Quadrature rules, computed once: Gauss–Hermite for the gaussian w (and g, u) and
/// Gauss–Legendre panels for the target preactivation y (split at 0, where σ̃(y) has its kink).
struct Rules {
    /// Gauss–Legendre nodes and weights on [−1, 1], for the w panels placed per y.
    legendre: Vec<(f64, f64)>,
    /// Probabilists' Gauss–Hermite for the start law's g: E f(g) ≈ Σ p_j f(g_j).
    hermite_g: Vec<(f64, f64)>,
    /// Probabilists' Gauss–Hermite for w when f is smooth (tanh: f is entire in a).
    hermite_w: Vec<(f64, f64)>,
    /// Inner rule for tanh's u: Gauss–Legendre panels on [−8.6, 8.6], weights φ(u) du.
    line_u: Vec<(f64, f64)>,
    /// y ≥ 0 nodes with weights φ(y) dy.
    half_line: Vec<(f64, f64)>,
}

/// Breakpoints of the y ≥ 0 panels (and, mirrored, of the u and w panels).
const PANELS: [f64; 6] = [0.0, 1.2, 2.6, 4.2, 6.2, 8.6];

fn probabilists(n: usize) -> Vec<(f64, f64)> {
    let rule = gauss_quad::GaussHermite::new(NonZeroUsize::new(n).expect("n > 0"));
    let norm = std::f64::consts::PI.sqrt();
    rule.as_node_weight_pairs()
        .iter()
        .map(|&(x, w)| (std::f64::consts::SQRT_2 * x, w / norm))
        .collect()
}

fn build_rules(fine: bool) -> Rules {
    let k = if fine { 2 } else { 1 };
    let gl = gauss_quad::GaussLegendre::new(NonZeroUsize::new(8 * k).expect("> 0"));
    let pdf = crate::idp::activation::norm_pdf;
    let mut half_line = Vec::new();
    for w in PANELS.windows(2) {
        let (lo, hi) = (w[0], w[1]);
        for &(x, wt) in gl.as_node_weight_pairs() {
            let y = 0.5 * (hi - lo) * x + 0.5 * (hi + lo);
            half_line.push((y, 0.5 * (hi - lo) * wt * pdf(y)));
        }
    }
    let legendre = gauss_quad::GaussLegendre::new(NonZeroUsize::new(6 * k).expect("> 0"))
        .as_node_weight_pairs()
        .to_vec();
    let mut line_u = Vec::new();
    for w in PANELS.windows(2) {
        let (lo, hi) = (w[0], w[1]);
        for &(x, wt) in &legendre {
            let u = 0.5 * (hi - lo) * x + 0.5 * (hi + lo);
            let p = 0.5 * (hi - lo) * wt * pdf(u);
            line_u.extend([(u, p), (-u, p)]);
        }
    }
    // normalise the truncated rules to probability measures (Σ p = 1, ½ on the half line), so
    // that Λ(0) = 0 exactly and no offset ln Σp enters Λ at small λ
    let norm = |v: &mut Vec<(f64, f64)>, total: f64| {
        let s: f64 = v.iter().map(|p| p.1).sum();
        for p in v.iter_mut() {
            p.1 *= total / s;
        }
    };
    norm(&mut half_line, 0.5);
    norm(&mut line_u, 1.0);
    Rules {
        legendre,
        hermite_g: probabilists(16 * k),
        hermite_w: probabilists(16 * k),
        line_u,
        half_line,
    }
}

/// The default rules, or twice as many nodes in every dimension (`fine`, for the
/// quadrature-convergence check).
fn rules(fine: bool) -> &'static Rules {
    static R: OnceLock<Rules> = OnceLock::new();
    static F: OnceLock<Rules> = OnceLock::new();
    if fine {
        F.get_or_init(|| build_rules(true))
    } else {
        R.get_or_init(|| build_rules(false))
    }
}

/// Gauss–Legendre nodes with weights φ(t) dt on the mirrored [`PANELS`] of [−8.6, 8.6], the
/// panels refined around a kink at `kink = (centre, width)` (breakpoints centre and
/// centre ± 3 width) when the width is under 1; renormalised to a probability measure. Writes
/// into `out` and returns the number of nodes.
fn panel_nodes(kink: Option<(f64, f64)>, r: &Rules, out: &mut [(f64, f64); 16 * 12]) -> usize {
    let mut bp = [0.0f64; 16];
    let mut nb = 0;
    for &b in PANELS.iter().rev() {
        bp[nb] = -b;
        nb += 1;
    }
    for &b in &PANELS[1..] {
        bp[nb] = b;
        nb += 1;
    }
    if let Some((centre, width)) = kink.filter(|k| k.1 < 1.0) {
        for d in [-3.0 * width, 0.0, 3.0 * width] {
            bp[nb] = (centre + d).clamp(-PANELS[5], PANELS[5]);
            nb += 1;
        }
    }
    let bp = &mut bp[..nb];
    bp.sort_by(f64::total_cmp);
    let pdf = crate::idp::activation::norm_pdf;
    let mut n = 0;
    for pair in bp.windows(2) {
        let (lo, hi) = (pair[0], pair[1]);
        if hi <= lo {
            continue;
        }
        for &(x, wt) in &r.legendre {
            let t = 0.5 * (hi - lo) * x + 0.5 * (hi + lo);
            out[n] = (t, 0.5 * (hi - lo) * wt * pdf(t));
            n += 1;
        }
    }
    let total: f64 = out[..n].iter().map(|p| p.1).sum();
    for p in out[..n].iter_mut() {
        p.1 /= total;
    }
    n
}

/// ln Φ(t), accurate deep in the lower tail (erfcx) and near 0 in the upper.
fn ln_ncdf(t: f64) -> f64 {
    if t < -1.0 {
        (0.5 * puruspe::erfcx(-t / std::f64::consts::SQRT_2)).ln() - 0.5 * t * t
    } else {
        (-crate::idp::activation::norm_sf(t)).ln_1p()
    }
}

fn ln_npdf(t: f64) -> f64 {
    -0.5 * t * t - 0.5 * (2.0 * std::f64::consts::PI).ln()
}

fn logaddexp(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    if hi == f64::NEG_INFINITY {
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}

/// f(a; c, Δ) = ln E_u exp(c σ̃(a + √Δ u)) and f′ = ∂_a f, f″ = ∂²_a f, f_c = ∂_c f.
#[derive(Debug, Clone, Copy, Default)]
struct Inner {
    f: f64,
    fp: f64,
    fpp: f64,
    fc: f64,
}

/// The saddle point of Λ (module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Saddle {
    /// m = z·z¹/D.
    pub m: f64,
    /// v = q − m².
    pub v: f64,
    /// Δ = Q − q.
    pub delta: f64,
    /// Λ at the saddle.
    pub lambda_log_mgf: f64,
    /// Λ′(λ) = E[X ∂_c f].
    pub lambda_log_mgf_prime: f64,
}

/// Expectations of one pass over the outer quadrature.
#[derive(Debug, Clone, Copy, Default)]
struct Pass {
    f: f64,
    yfp: f64,
    fp2: f64,
    fpp: f64,
    xfc: f64,
}

impl HiddenManifold {
    /// The ensemble with latent ratio α_D = D/N > 0 (finite) and activation σ.
    pub fn new(alpha_d: f64, activation: Activation) -> Result<&'static HiddenManifold> {
        if !(alpha_d.is_finite() && alpha_d > 0.0) {
            return Err(EngramError::InvalidParameter {
                name: "alpha_d",
                value: alpha_d.to_string(),
                allowed: "a latent ratio D/N > 0 (finite)",
            });
        }
        let name = format!("hmm:{}:{}", activation.as_str(), alpha_d);
        let mut all = INTERNED.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = all.iter().find(|e| e.name == name) {
            return Ok(e);
        }
        let (mu0, var) = match activation {
            Activation::Linear | Activation::Sign => (0.0, 1.0),
            Activation::Relu => {
                let m = 1.0 / (2.0 * std::f64::consts::PI).sqrt();
                (m, 0.5 - m * m)
            }
            Activation::Tanh => (0.0, super::gauss_expect(|g| g.tanh().powi(2), 0.0)),
        };
        let scale = var.sqrt();
        let sig = |h: f64| (activation.raw(h) - mu0) / scale;
        let mu1 = match activation {
            Activation::Linear => 1.0,
            Activation::Sign => (2.0 / std::f64::consts::PI).sqrt(),
            Activation::Relu => 0.5 / scale,
            Activation::Tanh => super::gauss_expect(|g| g * g.tanh(), 0.0) / scale,
        };
        let e: &'static HiddenManifold = Box::leak(Box::new(HiddenManifold {
            name: Box::leak(name.into_boxed_str()),
            alpha_d,
            activation,
            mu0,
            scale,
            mu1,
            abs_mean: super::gauss_expect(|g| sig(g).abs(), 0.0),
        }));
        all.push(e);
        Ok(e)
    }

    /// `hmm:ACTIVATION:ALPHA_D` (e.g. `hmm:tanh:0.5`); `None` if `s` is not of this form.
    pub fn parse(s: &str) -> Option<Result<&'static HiddenManifold>> {
        let rest = s.strip_prefix("hmm:")?;
        Some(match rest.split_once(':') {
            Some((act, ad)) => Activation::parse(act.trim()).and_then(|act| {
                ad.trim()
                    .parse::<f64>()
                    .map_err(|_| EngramError::InvalidParameter {
                        name: "alpha_d",
                        value: ad.trim().to_string(),
                        allowed: "a latent ratio D/N > 0",
                    })
                    .and_then(|a| Self::new(a, act))
            }),
            None => Err(EngramError::InvalidParameter {
                name: "ensemble",
                value: s.to_string(),
                allowed: "hmm:ACTIVATION:ALPHA_D, e.g. hmm:tanh:0.5",
            }),
        })
    }

    /// The standardised activation σ̃(h) = (σ(h) − μ₀)/s.
    #[inline]
    pub fn sigma(&self, h: f64) -> f64 {
        (self.activation.raw(h) - self.mu0) / self.scale
    }

    /// μ₁ = E[g σ̃(g)], the linear Hermite coefficient of σ̃ (1 linear, √(2/π) sign).
    pub fn mu1(&self) -> f64 {
        self.mu1
    }

    /// The latent dimension D = max(1, round(α_D N)) of a store of N components.
    pub fn latent_dim(&self, n: usize) -> usize {
        ((self.alpha_d * n as f64).round() as usize).max(1)
    }

    /// f(a; c, Δ) and its derivatives (closed forms for linear, sign, ReLU; Gauss–Hermite in
    /// u for tanh). Domain: Δ > 0, any a, c.
    fn inner(&self, a: f64, c: f64, delta: f64, rules: &Rules) -> Inner {
        let sd = delta.sqrt();
        match self.activation {
            Activation::Linear => Inner {
                f: c * a + 0.5 * c * c * delta,
                fp: c,
                fpp: 0.0,
                fc: a + c * delta,
            },
            Activation::Sign => {
                let t = a / sd;
                let (lp, lm) = (c + ln_ncdf(t), -c + ln_ncdf(-t));
                let f = logaddexp(lp, lm);
                let lphi = ln_npdf(t) - f;
                let fp = ((c + lphi).exp() - (-c + lphi).exp()) / sd;
                Inner {
                    f,
                    fp,
                    fpp: -t * fp / sd - fp * fp,
                    fc: (lp - f).exp() - (lm - f).exp(),
                }
            }
            Activation::Relu => {
                let (k, t) = (c / self.scale, a / sd);
                let le = k * a + 0.5 * k * k * delta + ln_ncdf(t + k * sd);
                let lz = logaddexp(ln_ncdf(-t), le);
                let pe = (le - lz).exp();
                let q = (ln_npdf(t) - lz).exp();
                let fp = k * pe;
                Inner {
                    f: -k * self.mu0 + lz,
                    fp,
                    fpp: k * (k * pe + q / sd) - fp * fp,
                    fc: (-self.mu0 + (a + k * delta) * pe + sd * q) / self.scale,
                }
            }
            Activation::Tanh => {
                let nodes = &rules.line_u;
                let inv_s = 1.0 / self.scale;
                // shift by the bound |c|/s of c σ̃ (no separate max pass); if every node
                // underflows (|c| ≳ 350 far from the tilted edge), redo with the true maximum
                let tilted = |shift: f64| {
                    let (mut z, mut s1, mut d1, mut d2, mut dd) = (0.0, 0.0, 0.0, 0.0, 0.0);
                    for &(u, p) in nodes {
                        let x = a + sd * u;
                        // tanh x = 1 − 2/(e^{2x} + 1), one exp
                        let th = if x.abs() > 19.0 {
                            x.signum()
                        } else {
                            1.0 - 2.0 / ((2.0 * x).exp() + 1.0)
                        };
                        let w = p * (c * th * inv_s - shift).exp();
                        let sp = (1.0 - th * th) * inv_s;
                        z += w;
                        s1 += w * th;
                        d1 += w * sp;
                        d2 += w * th * sp;
                        dd += w * sp * sp;
                    }
                    (z, s1 * inv_s, d1, -2.0 * d2, dd)
                };
                let mut shift = c.abs() * inv_s;
                let mut r = tilted(shift);
                if r.0.is_nan() || r.0 <= 1e-280 {
                    shift = nodes
                        .iter()
                        .map(|&(u, _)| c * (a + sd * u).tanh() * inv_s)
                        .fold(f64::NEG_INFINITY, f64::max);
                    r = tilted(shift);
                }
                let (z, s1, d1, d2, dd) = r;
                let (s1, d1, d2, dd) = (s1 / z, d1 / z, d2 / z, dd / z);
                Inner {
                    f: shift + z.ln(),
                    fp: c * d1,
                    fpp: c * d2 + c * c * (dd - d1 * d1),
                    fc: s1,
                }
            }
        }
    }

    /// One pass of the outer expectation over (y, g, w) at the order parameters.
    #[allow(clippy::too_many_arguments)]
    fn pass(
        &self,
        lambda: f64,
        a_s: f64,
        b_s: f64,
        m: f64,
        v: f64,
        delta: f64,
        fine: bool,
    ) -> Pass {
        PASSES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let r = rules(fine);
        let sv = v.max(0.0).sqrt();
        let gs: &[(f64, f64)] = if b_s == 0.0 {
            &[(0.0, 1.0)]
        } else {
            &r.hermite_g
        };
        let odd = self.activation.is_odd();
        let mut acc = Pass::default();
        let mut w_nodes = [(0.0, 0.0); 16 * 12];
        let mut add = |y: f64, py: f64| {
            // w panels refined around the kink of f at a = 0 (w* = −my/√v, width √Δ/√v in w);
            // tanh's f is entire in a: Gauss–Hermite
            let nw = if matches!(self.activation, Activation::Tanh) {
                let n = r.hermite_w.len();
                w_nodes[..n].copy_from_slice(&r.hermite_w);
                n
            } else {
                let kink = (sv > 0.0).then(|| (-m * y / sv, delta.sqrt() / sv));
                panel_nodes(kink, r, &mut w_nodes)
            };
            let xs = a_s * self.sigma(y);
            for &(g, pg) in gs {
                let x = xs + b_s * g;
                for &(w, pw) in &w_nodes[..nw] {
                    let p = py * pg * pw;
                    let i = self.inner(m * y + sv * w, lambda * x, delta, r);
                    acc.f += p * i.f;
                    acc.yfp += p * y * i.fp;
                    acc.fp2 += p * i.fp * i.fp;
                    acc.fpp += p * i.fpp;
                    acc.xfc += p * x * i.fc;
                }
            }
        };
        // ReLU: for y < 0 the target component is the constant −μ₀/s, so the (y, w) integral
        // of that half reduces to one over a = my + √v w (a skew-normal law) when v > 0
        let relu_half = !odd && v > 1e-12 && b_s == 0.0;
        for &(y, py) in &r.half_line {
            if odd {
                add(y, 2.0 * py);
            } else {
                add(y, py);
                if !relu_half {
                    add(-y, py);
                }
            }
        }
        if relu_half {
            let half = self.relu_negative_half(lambda * a_s, m, v, delta, r);
            acc.f += half.f;
            acc.yfp += half.yfp;
            acc.fp2 += half.fp2;
            acc.fpp += half.fpp;
            acc.xfc += a_s * half.xfc;
        }
        acc
    }

    /// The y < 0 half of [`Self::pass`] for ReLU: x = −μ₀/s fixed, c = λx, and
    /// a = my + √v w has, jointly with y < 0, the density φ_S(a) Φ(−μ_a/σ_a) (S² = v + m²,
    /// μ_a = ma/S², σ_a = √v/S) and E[y; y < 0 | a] φ_S(a) = φ_S(a)[μ_a Φ(−μ_a/σ_a) − σ_a φ(μ_a/σ_a)].
    /// Gauss–Legendre panels in a/S, refined at the kink of f at a = 0.
    fn relu_negative_half(&self, lambda_a: f64, m: f64, v: f64, delta: f64, r: &Rules) -> Pass {
        let x0 = -self.mu0 / self.scale;
        let c = lambda_a * x0;
        let big_s = (v + m * m).sqrt();
        let sig = v.sqrt() / big_s;
        let pdf = crate::idp::activation::norm_pdf;
        let mut nodes = [(0.0, 0.0); 16 * 12];
        let n = panel_nodes(Some((0.0, delta.sqrt() / big_s)), r, &mut nodes);
        let (mut acc, mut mass) = (Pass::default(), 0.0);
        for &(t, base) in &nodes[..n] {
            let a = big_s * t;
            let mu_a = m * t / big_s;
            let tail = crate::idp::activation::norm_sf(mu_a / sig);
            let p = base * tail;
            let py = base * (mu_a * tail - sig * pdf(mu_a / sig));
            let i = self.inner(a, c, delta, r);
            mass += p;
            acc.f += p * i.f;
            acc.yfp += py * i.fp;
            acc.fp2 += p * i.fp * i.fp;
            acc.fpp += p * i.fpp;
            acc.xfc += p * x0 * i.fc;
        }
        // the half line carries probability ½ exactly
        let k = 0.5 / mass;
        Pass {
            f: acc.f * k,
            yfp: acc.yfp * k,
            fp2: acc.fp2 * k,
            fpp: acc.fpp * k,
            xfc: acc.xfc * k,
        }
    }

    /// The saddle point of Λ at λ for the configuration x = a ξ¹ + b g (module docs), by
    /// Newton's method on the fixed-point equations (finite-difference Jacobian, step halving)
    /// from the Gaussian-equivalent guess. Domain: λ ≥ 0, a, b ≥ 0, tilt λ√(a² + b²) ≤ [`Self::max_tilt`]. Errors: no convergence in
    /// 60 steps, or Δ leaving (0, ∞) (the replica-symmetric solution does not exist there).
    pub fn saddle(&self, lambda: f64, a_s: f64, b_s: f64) -> Result<Saddle> {
        let ad = self.alpha_d;
        self.check_tilt(lambda, a_s, b_s)?;
        if lambda == 0.0 {
            return Ok(Saddle {
                m: 0.0,
                v: 0.0,
                delta: 1.0,
                lambda_log_mgf: 0.0,
                lambda_log_mgf_prime: 0.0,
            });
        }
        if self.activation == Activation::Linear {
            return Ok(Self::linear_saddle(ad, lambda, a_s, b_s));
        }
        // warm start from this thread's last solve of the same configuration at a nearby λ
        // (a sweep); the answer is the same root to the solver's tolerance, 1e-13
        // (ensemble, a, b, λ, p, previous λ and p, Jacobian)
        type Last = (
            usize,
            u64,
            u64,
            f64,
            [f64; 3],
            Option<(f64, [f64; 3])>,
            Jacobian,
        );
        thread_local! {
            static LAST: std::cell::Cell<Option<Last>> = const { std::cell::Cell::new(None) };
        }
        let me = self as *const Self as usize;
        let last = LAST.with(|c| c.get()).filter(|&(id, a, b, l, ..)| {
            id == me && a == a_s.to_bits() && b == b_s.to_bits() && (lambda / l).ln().abs() < 0.5
        });
        let guess = last.map(|(_, _, _, l1, p1, prev, j)| {
            // secant extrapolation in λ from the last two solves when both are near
            let p = match prev {
                Some((l0, p0)) if l0 != l1 && ((lambda - l1) / (l1 - l0)).abs() <= 4.0 => {
                    let t = (lambda - l1) / (l1 - l0);
                    [
                        p1[0] + t * (p1[0] - p0[0]),
                        (p1[1] + t * (p1[1] - p0[1])).max(0.0),
                        p1[2] + t * (p1[2] - p0[2]),
                    ]
                }
                _ => p1,
            };
            (p, Some(j))
        });
        let (s, j) = match self.saddle_from(lambda, a_s, b_s, guess, 0, false) {
            Ok(r) => r,
            Err(_) if guess.is_some() => self.saddle_from(lambda, a_s, b_s, None, 0, false)?,
            Err(e) => return Err(e),
        };
        let prev = last.map(|(_, _, _, l1, p1, ..)| (l1, p1));
        LAST.with(|c| {
            c.set(Some((
                me,
                a_s.to_bits(),
                b_s.to_bits(),
                lambda,
                [s.m, s.v, s.delta.ln()],
                prev,
                j,
            )))
        });
        Ok(s)
    }

    /// The largest tilt c = λ·√(a² + b²) at which the quadrature was checked (against twice the
    /// nodes at a = 1, b = 0, α_D = 0.5, 1, 4: Λ to ≤ 3e-6 for tanh, ≤ 5e-8 for ReLU at λ ≤ 3,
    /// a one-off probe, not yet a test): linear σ any,
    /// tanh 10, ReLU 4, sign 1000. Beyond it the tilted measure is narrower than the outer panels
    /// resolve, so the solver refuses rather than return an unverified (or slow, failing) answer.
    pub fn max_tilt(&self) -> f64 {
        match self.activation {
            Activation::Linear => f64::INFINITY,
            Activation::Tanh => 10.0,
            Activation::Relu => 4.0,
            Activation::Sign => 1000.0,
        }
    }

    /// [`Self::max_tilt`] as an error naming λ.
    fn check_tilt(&self, lambda: f64, a_s: f64, b_s: f64) -> Result<()> {
        let tilt = lambda * a_s.hypot(b_s);
        if tilt.is_finite() && tilt <= self.max_tilt() {
            return Ok(());
        }
        Err(EngramError::InvalidParameter {
            name: "lambda",
            value: format!("{lambda} (tilt lambda*|x| = {tilt:.4} for {})", self.name),
            allowed: match self.activation {
                Activation::Tanh => "a tilt lambda*|x| <= 10 for tanh hidden-manifold patterns (where the quadrature is verified)",
                Activation::Relu => "a tilt lambda*|x| <= 4 for relu hidden-manifold patterns (where the quadrature is verified)",
                _ => "a tilt lambda*|x| <= 1000 for sign hidden-manifold patterns (where the quadrature is verified)",
            },
        })
    }

    /// The linear σ's saddle point in closed form.
    fn linear_saddle(ad: f64, lambda: f64, a_s: f64, b_s: f64) -> Saddle {
        {
            // closed form (module docs): Δ = 1, m = λa/α_D, v = λ²(a² + b²)/α_D
            let x2 = a_s * a_s + b_s * b_s;
            Saddle {
                m: lambda * a_s / ad,
                v: lambda * lambda * x2 / ad,
                delta: 1.0,
                lambda_log_mgf: 0.5 * lambda * lambda * (x2 + a_s * a_s / ad),
                lambda_log_mgf_prime: lambda * (x2 + a_s * a_s / ad),
            }
        }
    }

    /// [`Self::saddle`] by quadrature and Newton's method for every σ, the linear one included
    /// (whose closed form then checks the numerics), from the Gaussian-equivalent guess, with
    /// continuation from λ/2 where Newton fails.
    pub fn saddle_by_quadrature(&self, lambda: f64, a_s: f64, b_s: f64) -> Result<Saddle> {
        if self.activation != Activation::Linear {
            self.check_tilt(lambda, a_s, b_s)?;
        }
        self.saddle_from(lambda, a_s, b_s, None, 0, false)
            .map(|r| r.0)
    }

    /// [`Self::saddle_by_quadrature`] with twice the quadrature nodes in every dimension.
    pub fn saddle_fine(&self, lambda: f64, a_s: f64, b_s: f64) -> Result<Saddle> {
        self.saddle_from(lambda, a_s, b_s, None, 0, true)
            .map(|r| r.0)
    }

    /// The solve from a guess (the Gaussian-equivalent one if `None`).
    fn saddle_from(
        &self,
        lambda: f64,
        a_s: f64,
        b_s: f64,
        guess: Option<([f64; 3], Option<Jacobian>)>,
        depth: u32,
        fine: bool,
    ) -> Result<(Saddle, Jacobian)> {
        let mu1 = self.mu1();
        let ad = self.alpha_d;
        let (p0, j0) = guess.unwrap_or((
            [
                lambda * mu1 * mu1 * a_s / ad,
                lambda * lambda * mu1 * mu1 * (a_s * a_s + b_s * b_s) / ad,
                0.0,
            ],
            None,
        ));
        match self.newton(lambda, a_s, b_s, p0, j0, fine) {
            Ok(s) => Ok(s),
            Err(e) if depth >= 8 => Err(e),
            Err(_) => {
                // continuation: solve at λ/2 (from the Gaussian-equivalent guess) and step up
                let (half, _) = self.saddle_from(0.5 * lambda, a_s, b_s, None, depth + 1, fine)?;
                let g = [half.m, half.v, half.delta.ln()];
                // m ∝ λ, v ∝ λ² at small λ
                let g2 = [2.0 * g[0], 4.0 * g[1], 2.0 * g[2]];
                self.newton(lambda, a_s, b_s, g2, None, fine)
                    .or_else(|_| self.newton(lambda, a_s, b_s, g, None, fine))
            }
        }
    }

    /// Newton–Broyden on the fixed-point residual from `p0` = (m, v, ln Δ): a finite-difference
    /// Jacobian first, then rank-one (good Broyden) updates, one quadrature pass per step.
    fn newton(
        &self,
        lambda: f64,
        a_s: f64,
        b_s: f64,
        p0: [f64; 3],
        j0: Option<Jacobian>,
        fine: bool,
    ) -> Result<(Saddle, Jacobian)> {
        let ad = self.alpha_d;
        let map = |p: [f64; 3]| -> ([f64; 3], Pass) {
            let delta = p[2].exp();
            let s = self.pass(lambda, a_s, b_s, p[0], p[1], delta, fine);
            let inv = 1.0 - s.fpp / ad;
            let new_ld = if inv > 0.0 { -inv.ln() } else { f64::NAN };
            (
                [
                    s.yfp / ad - p[0],
                    delta * delta * s.fp2 / ad - p[1],
                    new_ld - p[2],
                ],
                s,
            )
        };
        let norm = |r: &[f64; 3]| r.iter().map(|x| x * x).sum::<f64>().sqrt();
        let fail = |reason: String| EngramError::NoConvergence {
            context: format!(
                "hidden-manifold saddle point of {} at lambda={lambda}, a={a_s}, b={b_s}",
                self.name
            ),
            reason,
        };
        let mut p = p0;
        let (mut res, mut pass) = map(p);
        let mut jac: Option<Jacobian> = j0;
        let mut last_jac = [[0.0; 3]; 3];
        for _ in 0..40 {
            let rn = norm(&res);
            if !rn.is_finite() {
                return Err(fail(format!(
                    "the replica-symmetric equations left their domain (m={}, v={}, Delta={})",
                    p[0],
                    p[1],
                    p[2].exp()
                )));
            }
            if rn < 1e-13 * (1.0 + p[0].abs() + p[1].abs()) {
                let delta = p[2].exp();
                let (m, v) = (p[0], p[1]);
                let lam = 0.5 * ad * (1.0 + delta.ln() + v / delta - v - m * m - delta) + pass.f;
                return Ok((
                    Saddle {
                        m,
                        v,
                        delta,
                        lambda_log_mgf: lam,
                        lambda_log_mgf_prime: pass.xfc,
                    },
                    jac.unwrap_or(last_jac),
                ));
            }
            let j = match jac {
                Some(j) => j,
                None => {
                    let mut j = [[0.0; 3]; 3];
                    for k in 0..3 {
                        let h = 1e-7 * (1.0 + p[k].abs());
                        let mut q = p;
                        q[k] += h;
                        let (rq, _) = map(q);
                        for (i, row) in j.iter_mut().enumerate() {
                            row[k] = (rq[i] - res[i]) / h;
                        }
                    }
                    j
                }
            };
            last_jac = j;
            let step = solve3(j, [-res[0], -res[1], -res[2]])
                .ok_or_else(|| fail("singular Jacobian".into()))?;
            let mut t = 1.0;
            let (q, rq, sq) = loop {
                let q = [
                    p[0] + t * step[0],
                    (p[1] + t * step[1]).max(0.0),
                    p[2] + t * step[2],
                ];
                let (rq, sq) = map(q);
                if norm(&rq) < rn || t < 1e-3 {
                    break (q, rq, sq);
                }
                t *= 0.5;
            };
            if t < 1.0 || norm(&rq) > 0.5 * rn {
                // a poor step: refresh the Jacobian by differences next time
                jac = None;
            } else {
                // good Broyden: J += (Δr − J Δp) Δpᵀ / |Δp|²
                let dp = [q[0] - p[0], q[1] - p[1], q[2] - p[2]];
                let dr = [rq[0] - res[0], rq[1] - res[1], rq[2] - res[2]];
                let dp2: f64 = dp.iter().map(|x| x * x).sum();
                let mut jn = j;
                if dp2 > 0.0 {
                    for (i, row) in jn.iter_mut().enumerate() {
                        let jdp: f64 = (0..3).map(|k| j[i][k] * dp[k]).sum();
                        for k in 0..3 {
                            row[k] += (dr[i] - jdp) * dp[k] / dp2;
                        }
                    }
                }
                jac = Some(jn);
            }
            p = q;
            res = rq;
            pass = sq;
        }
        Err(fail(format!(
            "no convergence in 40 Newton steps (residual {})",
            norm(&res)
        )))
    }

    /// Λ and Λ′ for the configuration (a, b), memoised per thread on the last argument (the
    /// generic path asks for both at the same λ).
    fn log_mgf_pair(&self, lambda: f64, a_s: f64, b_s: f64) -> (f64, f64) {
        type Key = (usize, u64, u64, u64);
        thread_local! {
            static LAST: std::cell::Cell<Option<(Key, (f64, f64))>> = const { std::cell::Cell::new(None) };
        }
        let key = (
            self as *const Self as usize,
            lambda.to_bits(),
            a_s.to_bits(),
            b_s.to_bits(),
        );
        if let Some((k, v)) = LAST.with(|c| c.get()) {
            if k == key {
                return v;
            }
        }
        let v = match self.saddle(lambda, a_s, b_s) {
            Ok(s) => (s.lambda_log_mgf, s.lambda_log_mgf_prime),
            Err(_) => (f64::NAN, f64::NAN),
        };
        LAST.with(|c| c.set(Some((key, v))));
        v
    }

    /// The overlap edge sup_z (1/N) Σ x_i σ̃(h_i) for x = aξ¹ + bg: ∞ for unbounded σ; for sign
    /// a·1 + b·√(2/π)·(not attained jointly, bounded by E|X|); for tanh E|X|·max σ̃.
    fn edge(&self, a_s: f64, b_s: f64) -> f64 {
        let e_abs_x = |smax: f64| {
            if b_s == 0.0 {
                a_s * self.abs_mean * smax
            } else {
                f64::INFINITY
            }
        };
        match self.activation {
            Activation::Linear | Activation::Relu => f64::INFINITY,
            Activation::Sign => e_abs_x(1.0),
            Activation::Tanh => e_abs_x(1.0 / self.scale),
        }
    }
}

/// The Jacobian of the fixed-point residual in (m, v, ln Δ).
type Jacobian = [[f64; 3]; 3];

/// Solve the 3×3 system A x = b (nalgebra's LU with partial pivoting); `None` if singular or
/// not finite.
fn solve3(a: [[f64; 3]; 3], b: [f64; 3]) -> Option<[f64; 3]> {
    let m = nalgebra::Matrix3::from_fn(|i, j| a[i][j]);
    let x = m.lu().solve(&nalgebra::Vector3::from(b))?;
    x.iter().all(|v| v.is_finite()).then(|| [x[0], x[1], x[2]])
}

impl PatternEnsemble for HiddenManifold {
    fn name(&self) -> &'static str {
        self.name
    }
    fn rho1(&self) -> f64 {
        1.0
    }
    /// Λ on the ray x = √r ξ¹ (the target and its rescalings, which is where α₁ and the
    /// finite-N map evaluate it).
    fn log_mgf(&self, lambda: f64, r: f64) -> f64 {
        self.log_mgf_pair(lambda, r.sqrt(), 0.0).0
    }
    fn log_mgf_prime(&self, lambda: f64, r: f64) -> f64 {
        self.log_mgf_pair(lambda, r.sqrt(), 0.0).1
    }
    fn overlap_edge(&self, r: f64) -> f64 {
        self.edge(r.sqrt(), 0.0)
    }
    /// The target fails also through atypical feature matrices and latents (channels engram
    /// does not compute): no α_c bound is reported.
    fn alpha_c_channels_complete(&self) -> bool {
        false
    }
    fn start_depends_on_cosine(&self) -> bool {
        true
    }
    fn start_law_is_expensive(&self) -> bool {
        self.activation != Activation::Linear
    }
    fn log_mgf_start(&self, lambda: f64, a: f64, b: f64) -> f64 {
        self.log_mgf_pair(lambda, a, b).0
    }
    fn log_mgf_start_prime(&self, lambda: f64, a: f64, b: f64) -> f64 {
        self.log_mgf_pair(lambda, a, b).1
    }
    fn start_edge(&self, a: f64, b: f64) -> f64 {
        self.edge(a, b)
    }
}

/// One store's feature matrix and the pattern generator.
pub struct Features {
    n: usize,
    d: usize,
    /// F row-major N × D, pre-scaled by 1/√D.
    f: Vec<f32>,
    z: Vec<f32>,
}

impl Features {
    /// Draw F (N × D, i.i.d. N(0, 1), scaled by 1/√D) from `rng`.
    pub fn draw(e: &HiddenManifold, n: usize, rng: &mut ChaCha8Rng) -> Self {
        let d = e.latent_dim(n);
        let s = 1.0 / (d as f64).sqrt();
        let f = (0..n * d)
            .map(|_| {
                let g: f64 = StandardNormal.sample(rng);
                (g * s) as f32
            })
            .collect();
        Features {
            n,
            d,
            f,
            z: vec![0.0; d],
        }
    }

    /// D.
    pub fn latent_dim(&self) -> usize {
        self.d
    }

    /// Draw a latent z ~ N(0, I_D) and write the preactivations h = F z/√D into `h` (length N).
    pub fn preactivations(&mut self, rng: &mut ChaCha8Rng, h: &mut [f64]) {
        for z in self.z.iter_mut() {
            let g: f64 = StandardNormal.sample(rng);
            *z = g as f32;
        }
        for (i, hi) in h.iter_mut().enumerate().take(self.n) {
            let row = &self.f[i * self.d..(i + 1) * self.d];
            *hi = dot8(row, &self.z) as f64;
        }
    }

    /// One pattern ξ = σ̃(F z/√D) into `out` (f32), with `h` as scratch.
    pub fn pattern(
        &mut self,
        e: &HiddenManifold,
        rng: &mut ChaCha8Rng,
        h: &mut [f64],
        out: &mut [f32],
    ) {
        self.preactivations(rng, h);
        for (o, &v) in out.iter_mut().zip(h.iter()) {
            *o = e.sigma(v) as f32;
        }
    }
}

/// a·b in f32 with eight independent partial sums (so that the compiler vectorises it; the
/// summation order is fixed, so patterns do not depend on the machine).
fn dot8(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for ((s, &xv), &yv) in acc.iter_mut().zip(x).zip(y) {
            *s += xv * yv;
        }
    }
    let mut tail = 0f32;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}

impl PatternSampler for HiddenManifold {
    /// One pattern of a store of its own (a fresh F): marginally correct, but two calls give
    /// patterns of different stores. Stores use [`PatternSampler::sample_store`].
    fn sample_pattern(&self, rng: &mut ChaCha8Rng, out: &mut [f32]) {
        let n = out.len();
        let mut feat = Features::draw(self, n, rng);
        let mut h = vec![0.0; n];
        feat.pattern(self, rng, &mut h, out);
    }

    /// All patterns of one store share one F (drawn first from `rng`), each with its own latent.
    fn sample_store(
        &self,
        rng: &mut ChaCha8Rng,
        n: usize,
        count: usize,
        put: &mut dyn FnMut(usize, &[f32]) -> Result<()>,
    ) -> Result<()> {
        let mut feat = Features::draw(self, n, rng);
        let mut h = vec![0.0; n];
        let mut row = vec![0f32; n];
        for mu in 0..count {
            feat.pattern(self, rng, &mut h, &mut row);
            put(mu, &row)?;
        }
        Ok(())
    }
}
