//! The Krotov–Hopfield two-group network (docs/theory.md#two-group): feature neurons v (N_f), hidden neurons h
//! (N_h), memories ξ (rows, N_h × N_f), Lagrangians L_v, L_h with g = ∇L_v, f = ∇L_h:
//!
//! ```text
//! τ_f dv/dt = ξᵀ f(h) − v + I,     τ_h dh/dt = ξ g(v) − h
//! E = [(v − I)·g − L_v] + [h·f − L_h] − fᵀ ξ g
//! ```
//!
//! and the effective model after integrating out the hidden neurons (h = ξg):
//! E_eff(v) = (v − I)·g − L_v − L_h(ξ g(v)), τ_f dv/dt = ξᵀ f(ξ g(v)) − v + I.
//! Integration: classical RK4 at a fixed step (the full model is stiff when τ_h ≪ τ_f: the
//! step must resolve τ_h).

use crate::error::{positive, EngramError, Result};

/// A Lagrangian: value, gradient (the activation) and Hessian-vector product.
pub trait Lagrangian: Send + Sync {
    /// L(x).
    fn value(&self, x: &[f64]) -> f64;
    /// ∇L(x) into `out`.
    fn grad(&self, x: &[f64], out: &mut [f64]);
    /// (∂²L(x)) u into `out`.
    fn hess_vec(&self, x: &[f64], u: &[f64], out: &mut [f64]);
    /// Name.
    fn name(&self) -> String;
}

/// L = Σ|x_i| (g = sign x; Hessian 0 away from 0): model A's feature Lagrangian.
#[derive(Debug, Clone, Copy)]
pub struct SumAbs;
/// L = ½‖x‖² (g = x): model B's feature Lagrangian, the classic hidden one.
#[derive(Debug, Clone, Copy)]
pub struct Quadratic;
/// L = β⁻¹ log Σ_μ e^{βh_μ} (f = softmax(βh)): model B's hidden Lagrangian.
#[derive(Debug, Clone, Copy)]
pub struct LogSumExp {
    /// β > 0.
    pub beta: f64,
}
/// L = Σ ln cosh(βx)/β (g = tanh βx): the classic continuous feature Lagrangian.
#[derive(Debug, Clone, Copy)]
pub struct LnCosh {
    /// Gain β > 0.
    pub beta: f64,
}
/// L = ‖x‖ (g = x/‖x‖): model C's feature Lagrangian.
#[derive(Debug, Clone, Copy)]
pub struct Norm;
/// L = Σ_μ F(h_μ) with F = xⁿ (n ≥ 2), rectified xⁿ, or eˣ (f = F').
#[derive(Debug, Clone, Copy)]
pub enum SumF {
    /// F = xⁿ.
    Power(u32),
    /// F = xⁿ for x > 0 else 0.
    RectifiedPower(u32),
    /// F = eˣ.
    Exp,
}

impl LogSumExp {
    /// Validated β > 0 (the Hessian is PSD for β > 0).
    pub fn new(beta: f64) -> Result<Self> {
        Ok(LogSumExp {
            beta: positive("beta", beta)?,
        })
    }
}
impl LnCosh {
    /// Validated β > 0.
    pub fn new(beta: f64) -> Result<Self> {
        Ok(LnCosh {
            beta: positive("beta", beta)?,
        })
    }
}
impl SumF {
    /// Validated power n ≥ 2 (n odd: the Hessian n(n−1)xⁿ⁻² is not PSD for x < 0, so energy
    /// descent needs the rectified form or even n).
    pub fn power(n: u32) -> Result<Self> {
        if n < 2 {
            return Err(EngramError::InvalidParameter {
                name: "n",
                value: n.to_string(),
                allowed: "a power n >= 2",
            });
        }
        Ok(SumF::Power(n))
    }
}

impl Lagrangian for SumAbs {
    fn value(&self, x: &[f64]) -> f64 {
        x.iter().map(|v| v.abs()).sum()
    }
    fn grad(&self, x: &[f64], out: &mut [f64]) {
        for (o, &v) in out.iter_mut().zip(x) {
            *o = if v > 0.0 {
                1.0
            } else if v < 0.0 {
                -1.0
            } else {
                0.0
            };
        }
    }
    fn hess_vec(&self, _x: &[f64], _u: &[f64], out: &mut [f64]) {
        out.fill(0.0);
    }
    fn name(&self) -> String {
        "sum|v|".into()
    }
}

impl Lagrangian for Quadratic {
    fn value(&self, x: &[f64]) -> f64 {
        0.5 * x.iter().map(|v| v * v).sum::<f64>()
    }
    fn grad(&self, x: &[f64], out: &mut [f64]) {
        out.copy_from_slice(x);
    }
    fn hess_vec(&self, _x: &[f64], u: &[f64], out: &mut [f64]) {
        out.copy_from_slice(u);
    }
    fn name(&self) -> String {
        "quadratic".into()
    }
}

impl Lagrangian for LogSumExp {
    fn value(&self, x: &[f64]) -> f64 {
        let m = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        (self.beta * m
            + x.iter()
                .map(|v| (self.beta * (v - m)).exp())
                .sum::<f64>()
                .ln())
            / self.beta
    }
    fn grad(&self, x: &[f64], out: &mut [f64]) {
        let m = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let mut z = 0.0;
        for (o, &v) in out.iter_mut().zip(x) {
            *o = (self.beta * (v - m)).exp();
            z += *o;
        }
        for o in out.iter_mut() {
            *o /= z;
        }
    }
    fn hess_vec(&self, x: &[f64], u: &[f64], out: &mut [f64]) {
        // β (diag(p) − p pᵀ) u
        self.grad(x, out);
        let pu: f64 = out.iter().zip(u).map(|(p, u)| p * u).sum();
        for (o, &ui) in out.iter_mut().zip(u) {
            *o = self.beta * *o * (ui - pu);
        }
    }
    fn name(&self) -> String {
        format!("logsumexp(beta={})", self.beta)
    }
}

impl Lagrangian for LnCosh {
    fn value(&self, x: &[f64]) -> f64 {
        x.iter()
            .map(|&v| crate::ensembles::ln_cosh(self.beta * v) / self.beta)
            .sum()
    }
    fn grad(&self, x: &[f64], out: &mut [f64]) {
        for (o, &v) in out.iter_mut().zip(x) {
            *o = (self.beta * v).tanh();
        }
    }
    fn hess_vec(&self, x: &[f64], u: &[f64], out: &mut [f64]) {
        for ((o, &v), &ui) in out.iter_mut().zip(x).zip(u) {
            let t = (self.beta * v).tanh();
            *o = self.beta * (1.0 - t * t) * ui;
        }
    }
    fn name(&self) -> String {
        format!("lncosh(beta={})", self.beta)
    }
}

impl Lagrangian for Norm {
    fn value(&self, x: &[f64]) -> f64 {
        x.iter().map(|v| v * v).sum::<f64>().sqrt()
    }
    fn grad(&self, x: &[f64], out: &mut [f64]) {
        let r = self.value(x);
        for (o, &v) in out.iter_mut().zip(x) {
            *o = if r > 0.0 { v / r } else { 0.0 };
        }
    }
    fn hess_vec(&self, x: &[f64], u: &[f64], out: &mut [f64]) {
        // (I − x̂x̂ᵀ)/‖x‖ u
        let r = self.value(x);
        let xu: f64 = x.iter().zip(u).map(|(a, b)| a * b).sum();
        for ((o, &v), &ui) in out.iter_mut().zip(x).zip(u) {
            *o = if r > 0.0 {
                (ui - v * xu / (r * r)) / r
            } else {
                0.0
            };
        }
    }
    fn name(&self) -> String {
        "norm".into()
    }
}

impl SumF {
    fn f(&self, x: f64) -> f64 {
        match *self {
            SumF::Power(n) => x.powi(n as i32),
            SumF::RectifiedPower(n) => {
                if x > 0.0 {
                    x.powi(n as i32)
                } else {
                    0.0
                }
            }
            SumF::Exp => x.exp(),
        }
    }
    fn df(&self, x: f64) -> f64 {
        match *self {
            SumF::Power(n) => n as f64 * x.powi(n as i32 - 1),
            SumF::RectifiedPower(n) => {
                if x > 0.0 {
                    n as f64 * x.powi(n as i32 - 1)
                } else {
                    0.0
                }
            }
            SumF::Exp => x.exp(),
        }
    }
    fn d2f(&self, x: f64) -> f64 {
        match *self {
            SumF::Power(n) => (n * (n - 1)) as f64 * x.powi(n as i32 - 2),
            SumF::RectifiedPower(n) => {
                if x > 0.0 {
                    (n * (n - 1)) as f64 * x.powi(n as i32 - 2)
                } else {
                    0.0
                }
            }
            SumF::Exp => x.exp(),
        }
    }
}

impl Lagrangian for SumF {
    fn value(&self, x: &[f64]) -> f64 {
        x.iter().map(|&v| self.f(v)).sum()
    }
    fn grad(&self, x: &[f64], out: &mut [f64]) {
        for (o, &v) in out.iter_mut().zip(x) {
            *o = self.df(v);
        }
    }
    fn hess_vec(&self, x: &[f64], u: &[f64], out: &mut [f64]) {
        for ((o, &v), &ui) in out.iter_mut().zip(x).zip(u) {
            *o = self.d2f(v) * ui;
        }
    }
    fn name(&self) -> String {
        format!("{self:?}")
    }
}

/// The two-group network.
pub struct TwoGroup<'a> {
    /// Memories, row-major N_h × N_f.
    pub xi: &'a [f64],
    /// Feature neurons N_f.
    pub nf: usize,
    /// Hidden neurons N_h.
    pub nh: usize,
    /// Feature Lagrangian.
    pub lv: &'a dyn Lagrangian,
    /// Hidden Lagrangian.
    pub lh: &'a dyn Lagrangian,
    /// Input current I (length N_f).
    pub input: &'a [f64],
    /// τ_f > 0.
    pub tau_f: f64,
    /// τ_h > 0.
    pub tau_h: f64,
}

impl TwoGroup<'_> {
    /// Check dimensions and time constants.
    pub fn validate(&self) -> Result<()> {
        positive("tau_f", self.tau_f)?;
        positive("tau_h", self.tau_h)?;
        if self.xi.len() != self.nf * self.nh || self.input.len() != self.nf {
            return Err(EngramError::InvalidParameter {
                name: "xi",
                value: format!("{} entries", self.xi.len()),
                allowed: "N_h × N_f memory entries and N_f inputs",
            });
        }
        Ok(())
    }

    /// out_μ = ξ_μ·g.
    fn xi_g_into(&self, g: &[f64], out: &mut [f64]) {
        for (o, row) in out.iter_mut().zip(self.xi.chunks(self.nf)) {
            *o = row.iter().zip(g).map(|(a, b)| a * b).sum();
        }
    }

    fn xi_g(&self, g: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.nh];
        self.xi_g_into(g, &mut out);
        out
    }

    /// out = (ξᵀ f − v + I)/τ_f.
    fn feature_rate(&self, v: &[f64], f: &[f64], out: &mut [f64]) {
        for ((o, &vi), &ii) in out.iter_mut().zip(v).zip(self.input) {
            *o = ii - vi;
        }
        for (&fm, row) in f.iter().zip(self.xi.chunks(self.nf)) {
            for (o, &x) in out.iter_mut().zip(row) {
                *o += fm * x;
            }
        }
        for o in out.iter_mut() {
            *o /= self.tau_f;
        }
    }

    /// Energy E(v, h) of the full network.
    pub fn energy(&self, v: &[f64], h: &[f64]) -> f64 {
        let mut g = vec![0.0; self.nf];
        let mut f = vec![0.0; self.nh];
        self.lv.grad(v, &mut g);
        self.lh.grad(h, &mut f);
        let feat: f64 = v
            .iter()
            .zip(self.input)
            .zip(&g)
            .map(|((vi, ii), gi)| (vi - ii) * gi)
            .sum::<f64>()
            - self.lv.value(v);
        let hid: f64 = h.iter().zip(&f).map(|(a, b)| a * b).sum::<f64>() - self.lh.value(h);
        let inter: f64 = self.xi_g(&g).iter().zip(&f).map(|(a, b)| a * b).sum();
        feat + hid - inter
    }

    /// Time derivatives of the full network for the packed state y = (v, h) into `out`, with
    /// scratch g (N_f) and f (N_h): no allocation.
    fn rhs_into(&self, y: &[f64], out: &mut [f64], g: &mut [f64], f: &mut [f64]) {
        let (v, h) = y.split_at(self.nf);
        let (dv, dh) = out.split_at_mut(self.nf);
        self.lv.grad(v, g);
        self.lh.grad(h, f);
        self.feature_rate(v, f, dv);
        self.xi_g_into(g, dh);
        for (d, &hm) in dh.iter_mut().zip(h) {
            *d = (*d - hm) / self.tau_h;
        }
    }

    /// Effective energy E_eff(v) = (v − I)·g − L_v − L_h(ξ g(v)).
    pub fn effective_energy(&self, v: &[f64]) -> f64 {
        let mut g = vec![0.0; self.nf];
        self.lv.grad(v, &mut g);
        v.iter()
            .zip(self.input)
            .zip(&g)
            .map(|((vi, ii), gi)| (vi - ii) * gi)
            .sum::<f64>()
            - self.lv.value(v)
            - self.lh.value(&self.xi_g(&g))
    }

    /// Effective flow dv/dt = (ξᵀ f(ξ g(v)) − v + I)/τ_f into `out`, with scratch g (N_f),
    /// h and f (N_h).
    fn effective_rhs_into(
        &self,
        v: &[f64],
        out: &mut [f64],
        g: &mut [f64],
        h: &mut [f64],
        f: &mut [f64],
    ) {
        self.lv.grad(v, g);
        self.xi_g_into(g, h);
        self.lh.grad(h, f);
        self.feature_rate(v, f, out);
    }

    /// RK4 for the full network from (v, h) over `steps` steps of `dt`; calls `observe(t, v, h)`
    /// after every step. Buffers are allocated once per call.
    pub fn integrate(
        &self,
        v: &mut [f64],
        h: &mut [f64],
        dt: f64,
        steps: usize,
        mut observe: impl FnMut(f64, &[f64], &[f64]),
    ) -> Result<()> {
        self.validate()?;
        positive("dt", dt)?;
        let (nf, nh) = (self.nf, self.nh);
        let mut y: Vec<f64> = v.iter().chain(h.iter()).copied().collect();
        let mut rk = crate::numerics::Rk4::new(nf + nh);
        let (mut g, mut f) = (vec![0.0; nf], vec![0.0; nh]);
        for s in 0..steps {
            rk.step(&mut y, dt, |y, out| self.rhs_into(y, out, &mut g, &mut f));
            v.copy_from_slice(&y[..nf]);
            h.copy_from_slice(&y[nf..]);
            observe((s + 1) as f64 * dt, v, h);
        }
        Ok(())
    }

    /// RK4 for the effective model. Buffers are allocated once per call.
    pub fn integrate_effective(&self, v: &mut [f64], dt: f64, steps: usize) -> Result<()> {
        self.validate()?;
        positive("dt", dt)?;
        let mut rk = crate::numerics::Rk4::new(self.nf);
        let mut g = vec![0.0; self.nf];
        let (mut h, mut f) = (vec![0.0; self.nh], vec![0.0; self.nh]);
        for _ in 0..steps {
            rk.step(v, dt, |y, out| {
                self.effective_rhs_into(y, out, &mut g, &mut h, &mut f)
            });
        }
        Ok(())
    }
}

/// The models of docs/theory.md#two-group's table, by name.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    /// A: L_v = Σ|v|, L_h = Σ F(h), F = x^power.
    A {
        /// Power n ≥ 2.
        power: u32,
    },
    /// A classic: L_v = Σ ln cosh(βv)/β, L_h = ½‖h‖².
    AClassic {
        /// Gain β > 0.
        beta: f64,
    },
    /// B: L_v = ½‖v‖², L_h = β⁻¹ log Σ e^{βh}.
    B {
        /// β > 0.
        beta: f64,
    },
    /// C: L_v = ‖v‖, L_h = Σ F(h), F = x^power.
    C {
        /// Power n ≥ 2.
        power: u32,
    },
}

impl Model {
    /// Parse "a" | "a-classic" | "b" | "c" with the β / power parameters.
    pub fn parse(name: &str, beta: f64, power: u32) -> Result<Self> {
        match name {
            "a" => Ok(Model::A { power }),
            "a-classic" => Ok(Model::AClassic { beta }),
            "b" => Ok(Model::B { beta }),
            "c" => Ok(Model::C { power }),
            other => Err(EngramError::InvalidParameter {
                name: "model",
                value: other.into(),
                allowed: "a, a-classic, b or c",
            }),
        }
    }

    /// Name as on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Model::A { .. } => "a",
            Model::AClassic { .. } => "a-classic",
            Model::B { .. } => "b",
            Model::C { .. } => "c",
        }
    }

    /// The two Lagrangians (validated).
    pub fn lagrangians(&self) -> Result<(Box<dyn Lagrangian>, Box<dyn Lagrangian>)> {
        Ok(match *self {
            Model::A { power } => (Box::new(SumAbs), Box::new(SumF::power(power)?)),
            Model::AClassic { beta } => (Box::new(LnCosh::new(beta)?), Box::new(Quadratic)),
            Model::B { beta } => (Box::new(Quadratic), Box::new(LogSumExp::new(beta)?)),
            Model::C { power } => (Box::new(Norm), Box::new(SumF::power(power)?)),
        })
    }
}

/// One record of [`relax_compare`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RelaxRecord {
    /// Time.
    pub t: f64,
    /// Energy of the full network.
    pub energy: f64,
    /// Effective energy along the effective trajectory.
    pub energy_effective: f64,
    /// ‖v_full − v_eff‖.
    pub distance: f64,
    /// Cosine of v_full with memory 0.
    pub overlap: f64,
}

/// Relax the full network and the effective model side by side from memory 0 (scaled to
/// unit entries) plus noise 0.3 per neuron, with Gaussian memories N(0, 1/N_f) from
/// (seed, 0); hidden neurons start at h = ξ g(v₀). RK4 with dt = min(τ_h, τ_f)/20 (≤ 0.01);
/// `records` evenly spaced records. Domain: N_f ≥ 2, N_h ≥ 1, τ's > 0, t_max > 0.
#[allow(clippy::too_many_arguments)]
pub fn relax_compare(
    model: Model,
    nf: usize,
    nh: usize,
    tau_f: f64,
    tau_h: f64,
    t_max: f64,
    records: usize,
    seed: u64,
) -> Result<Vec<RelaxRecord>> {
    use rand_distr::{Distribution, StandardNormal};
    positive("t_max", t_max)?;
    for (name, value, min, allowed) in [
        ("nf", nf, 2, "a whole number >= 2 of feature neurons"),
        ("nh", nh, 1, "a whole number >= 1 of hidden neurons"),
        ("records", records, 1, "a whole number >= 1"),
    ] {
        if value < min {
            return Err(EngramError::InvalidParameter {
                name,
                value: value.to_string(),
                allowed,
            });
        }
    }
    let (lv, lh) = model.lagrangians()?;
    let mut rng = crate::ensembles::sample_rng(seed, 0);
    let xi: Vec<f64> = (0..nf * nh)
        .map(|_| {
            let z: f64 = StandardNormal.sample(&mut rng);
            z / (nf as f64).sqrt()
        })
        .collect();
    let input = vec![0.0; nf];
    let net = TwoGroup {
        xi: &xi,
        nf,
        nh,
        lv: lv.as_ref(),
        lh: lh.as_ref(),
        input: &input,
        tau_f,
        tau_h,
    };
    net.validate()?;
    let v0: Vec<f64> = (0..nf)
        .map(|i| {
            let z: f64 = StandardNormal.sample(&mut rng);
            xi[i] * (nf as f64).sqrt() + 0.3 * z
        })
        .collect();
    let mut g = vec![0.0; nf];
    lv.grad(&v0, &mut g);
    let mut h = net.xi_g(&g);
    let mut v = v0.clone();
    let mut ve = v0;
    let dt = (tau_h.min(tau_f) / 20.0).min(0.01);
    let total = (t_max / dt).ceil() as usize;
    let every = (total / records).max(1);
    let x0n = xi[..nf].iter().map(|x| x * x).sum::<f64>().sqrt();
    let mut out = Vec::new();
    let mut done = 0;
    while done < total {
        let k = every.min(total - done);
        net.integrate(&mut v, &mut h, dt, k, |_, _, _| {})?;
        net.integrate_effective(&mut ve, dt, k)?;
        done += k;
        let vn = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        out.push(RelaxRecord {
            t: done as f64 * dt,
            energy: net.energy(&v, &h),
            energy_effective: net.effective_energy(&ve),
            distance: v
                .iter()
                .zip(&ve)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                .sqrt(),
            overlap: if vn > 0.0 {
                v.iter().zip(&xi[..nf]).map(|(a, b)| a * b).sum::<f64>() / (vn * x0n)
            } else {
                0.0
            },
        });
    }
    Ok(out)
}
