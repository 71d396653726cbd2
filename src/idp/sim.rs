//! N-neuron simulator of the IDP network (docs/theory.md#idp, #simulator): Euler–Maruyama for
//!
//! ```text
//! dx = [−x + W(a) Ψ(x)] dt + σ dB,   W(a) = (1/N) Σ_μ a_μ ξ_μ ξ_μᵀ (diagonal set to 0),
//! ```
//!
//! computed in O(NP) per step through the overlaps m = ΞᵀΨ(x)/N (the N×N matrix is never
//! built): W(a)Ψ(x) = Ξ(a ⊙ m) − (Σ_μ a_μ/N) Ψ(x) (the diagonal correction, ξ_μi² = 1).
//! The classic comparator, dx/dt = −x + (1/N)ΞΞᵀΨ(x) + u, uses all saliencies 1, keeps the
//! diagonal, and takes the input u = Σ_l c_l ξ_l as an external field.
//!
//! Two-timescale network (Betteti, Baggio, Zampieri, arXiv:2603.03201; docs/theory.md#sequence): the same fast layer with hard tanh, and slow
//! saliencies τ da/dt = −a + κ S|m|, S the cyclic shift (S|m|)_μ = |m_{μ−1}|, integrated with
//! the same Euler step.
//!
//! Randomness: trial t uses ChaCha8 seeded with `seed` on stream t (memories, then noise), so a
//! result depends only on (seed, trial), never on the thread count.

use rand::{Rng, RngExt};
use rand_distr::StandardNormal;

use super::activation::Activation;
use crate::ensembles::sample_rng;
use crate::error::{positive, EngramError, Result};

/// How memories are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MemoryKind {
    /// i.i.d. ±1 entries.
    Random,
    /// Rows 1..=P of the Sylvester–Hadamard matrix H_N (row 0, all ones, excluded): exactly
    /// orthogonal. N must be a power of two and P ≤ N − 1.
    Orthogonal,
}

impl MemoryKind {
    /// Name as on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            MemoryKind::Random => "random",
            MemoryKind::Orthogonal => "orthogonal",
        }
    }
    /// Parse "random" | "orthogonal" | "hadamard".
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "random" => Ok(MemoryKind::Random),
            "orthogonal" | "hadamard" => Ok(MemoryKind::Orthogonal),
            _ => Err(EngramError::InvalidParameter {
                name: "memories",
                value: s.into(),
                allowed: "random or orthogonal",
            }),
        }
    }
}

/// P memories of N entries ±1, row-major (memory μ at `[μN, (μ+1)N)`).
/// Domain: N ≥ 2, 1 ≤ P; orthogonal: N a power of two, P ≤ N − 1.
pub fn memories<R: Rng>(kind: MemoryKind, n: usize, p: usize, rng: &mut R) -> Result<Vec<f64>> {
    if n < 2 {
        return Err(EngramError::InvalidParameter {
            name: "n",
            value: n.to_string(),
            allowed: "a whole number >= 2",
        });
    }
    if p == 0 {
        return Err(EngramError::InvalidParameter {
            name: "p",
            value: "0".into(),
            allowed: "a whole number >= 1",
        });
    }
    crate::error::check_store("p", n as f64 * p as f64, 8.0)?;
    match kind {
        MemoryKind::Random => Ok((0..n * p)
            .map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 })
            .collect()),
        MemoryKind::Orthogonal => {
            if !n.is_power_of_two() {
                return Err(EngramError::InvalidParameter {
                    name: "n",
                    value: n.to_string(),
                    allowed: "a power of two for orthogonal (Hadamard) memories",
                });
            }
            if p >= n {
                return Err(EngramError::InvalidParameter {
                    name: "p",
                    value: p.to_string(),
                    allowed: "P <= N - 1 for orthogonal memories",
                });
            }
            let mut xi = Vec::with_capacity(n * p);
            for row in 1..=p {
                for col in 0..n {
                    let parity = (row & col).count_ones() & 1;
                    xi.push(if parity == 0 { 1.0 } else { -1.0 });
                }
            }
            Ok(xi)
        }
    }
}

/// Saliencies from an input u = Σ_l c_l ξ_l (docs/theory.md#idp): α_μ(u) = ξ_μ·u/N. For orthogonal
/// memories α_μ = c_μ exactly; for random memories the crosstalk adds O(√(P/N)).
/// Domain: `c.len() == P`, memories row-major P×N.
pub fn saliencies_from_input(xi: &[f64], n: usize, c: &[f64]) -> Vec<f64> {
    let p = c.len();
    let mut u = vec![0.0; n];
    for (l, &cl) in c.iter().enumerate() {
        for (ui, &x) in u.iter_mut().zip(&xi[l * n..(l + 1) * n]) {
            *ui += cl * x;
        }
    }
    (0..p)
        .map(|mu| dot(&xi[mu * n..(mu + 1) * n], &u) / n as f64)
        .collect()
}

/// Integration settings shared by the simulators.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SdeParams {
    /// Neurons N.
    pub n: usize,
    /// Memories P.
    pub p: usize,
    /// How memories are drawn.
    pub memories: MemoryKind,
    /// Activation Ψ.
    pub activation: Activation,
    /// Noise σ ≥ 0.
    pub sigma: f64,
    /// Euler–Maruyama step (docs/theory.md#simulator: 0.01).
    pub dt: f64,
    /// Integration time.
    pub t_max: f64,
    /// Record the series every this many steps (≥ 1).
    pub record_every: usize,
    /// Seed of the trial streams.
    pub seed: u64,
    /// Classic comparator: keep the diagonal of (1/N)ΞΞᵀ (saliencies are then usually all 1).
    pub classic: bool,
}

impl SdeParams {
    /// Check every field; errors name the parameter.
    pub fn validate(&self) -> Result<()> {
        if self.n < 2 {
            return Err(EngramError::InvalidParameter {
                name: "n",
                value: self.n.to_string(),
                allowed: "a whole number >= 2",
            });
        }
        if self.p == 0 {
            return Err(EngramError::InvalidParameter {
                name: "p",
                value: "0".into(),
                allowed: "a whole number >= 1",
            });
        }
        if self.memories == MemoryKind::Orthogonal {
            if !self.n.is_power_of_two() {
                return Err(EngramError::InvalidParameter {
                    name: "n",
                    value: self.n.to_string(),
                    allowed: "a power of two for orthogonal (Hadamard) memories",
                });
            }
            if self.p >= self.n {
                return Err(EngramError::InvalidParameter {
                    name: "p",
                    value: self.p.to_string(),
                    allowed: "P <= N - 1 for orthogonal memories",
                });
            }
        }
        super::fixed_point::check_sigma(self.sigma)?;
        positive("dt", self.dt)?;
        positive("t_max", self.t_max)?;
        if self.record_every == 0 {
            return Err(EngramError::InvalidParameter {
                name: "record_every",
                value: "0".into(),
                allowed: "a whole number >= 1",
            });
        }
        Ok(())
    }

    /// Number of Euler steps, ceil(t_max/dt).
    pub fn steps(&self) -> usize {
        (self.t_max / self.dt).ceil() as usize
    }
}

/// The fast layer: memories, work buffers, one Euler–Maruyama step. No allocation per step.
#[derive(Debug, Clone)]
pub struct FastLayer {
    n: usize,
    p: usize,
    xi: Vec<f64>,
    act: Activation,
    sigma: f64,
    dt: f64,
    classic: bool,
    psi: Vec<f64>,
    coef: Vec<f64>,
    noise: Vec<f64>,
    /// Overlaps m_μ = ξ_μ·Ψ(x)/N of the last step's input state.
    pub m: Vec<f64>,
    /// External field u (classic comparator), if any.
    field: Option<Vec<f64>>,
}

impl FastLayer {
    /// A layer over the given memories (row-major P×N).
    pub fn new(params: &SdeParams, xi: Vec<f64>) -> Self {
        let (n, p) = (params.n, params.p);
        assert_eq!(xi.len(), n * p);
        FastLayer {
            n,
            p,
            xi,
            act: params.activation,
            sigma: params.sigma,
            dt: params.dt,
            classic: params.classic,
            psi: vec![0.0; n],
            coef: vec![0.0; p],
            noise: vec![0.0; n],
            m: vec![0.0; p],
            field: None,
        }
    }

    /// Add a constant external field u = Σ_l c_l ξ_l to dx/dt (the classic comparator's input).
    pub fn set_input_field(&mut self, c: &[f64]) {
        let mut u = vec![0.0; self.n];
        for (l, &cl) in c.iter().enumerate() {
            for (ui, &x) in u.iter_mut().zip(&self.xi[l * self.n..(l + 1) * self.n]) {
                *ui += cl * x;
            }
        }
        self.field = Some(u);
    }

    /// The memories.
    pub fn memories(&self) -> &[f64] {
        &self.xi
    }

    /// Overlaps of a state's activation with the memories, m_μ = ξ_μ·Ψ(x)/N, into `self.m`.
    pub fn activation_overlaps(&mut self, x: &[f64]) {
        for (o, &v) in self.psi.iter_mut().zip(x) {
            *o = self.act.psi(v);
        }
        let inv_n = 1.0 / self.n as f64;
        for mu in 0..self.p {
            let row = &self.xi[mu * self.n..(mu + 1) * self.n];
            self.m[mu] = dot(row, &self.psi) * inv_n;
        }
    }

    /// Overlaps of the state itself, a_μ = ξ_μ·x/N (the reduced-dynamics variables).
    pub fn state_overlaps(&self, x: &[f64], out: &mut [f64]) {
        let inv_n = 1.0 / self.n as f64;
        for (mu, o) in out.iter_mut().enumerate() {
            *o = dot(&self.xi[mu * self.n..(mu + 1) * self.n], x) * inv_n;
        }
    }

    /// One Euler–Maruyama step with saliencies `a`: x ← x + dt(−x + W(a)Ψ(x)) + σ√dt z.
    /// Leaves m = ΞᵀΨ(x_old)/N in `self.m`.
    pub fn step<R: Rng>(&mut self, x: &mut [f64], a: &[f64], rng: &mut R) {
        self.activation_overlaps(x);
        self.advance(x, a, rng);
    }

    /// The step of [`FastLayer::step`] when `activation_overlaps(x)` has just been called.
    pub fn advance<R: Rng>(&mut self, x: &mut [f64], a: &[f64], rng: &mut R) {
        for ((c, &am), &m) in self.coef.iter_mut().zip(a).zip(&self.m) {
            *c = am * m;
        }
        let diag = if self.classic {
            0.0
        } else {
            a.iter().sum::<f64>() / self.n as f64
        };
        let dt = self.dt;
        // x ← (1 − dt) x − dt·diag·Ψ(x) + dt Σ_μ c_μ ξ_μ
        for (xi_, &ps) in x.iter_mut().zip(&self.psi) {
            *xi_ = (1.0 - dt) * *xi_ - dt * diag * ps;
        }
        for mu in 0..self.p {
            let c = dt * self.coef[mu];
            let row = &self.xi[mu * self.n..(mu + 1) * self.n];
            for (xi_, &r) in x.iter_mut().zip(row) {
                *xi_ += c * r;
            }
        }
        if let Some(u) = &self.field {
            for (xi_, &ui) in x.iter_mut().zip(u) {
                *xi_ += dt * ui;
            }
        }
        if self.sigma > 0.0 {
            let amp = self.sigma * dt.sqrt();
            for z in self.noise.iter_mut() {
                *z = rng.sample::<f64, _>(StandardNormal);
            }
            for (xi_, &z) in x.iter_mut().zip(&self.noise) {
                *xi_ += amp * z;
            }
        }
    }
}

#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    // four accumulators: lets the compiler vectorise without reassociation flags
    let mut s = [0.0f64; 4];
    let chunks = a.len() / 4;
    for k in 0..chunks {
        for l in 0..4 {
            s[l] += a[4 * k + l] * b[4 * k + l];
        }
    }
    let mut t = (s[0] + s[1]) + (s[2] + s[3]);
    for k in 4 * chunks..a.len() {
        t += a[k] * b[k];
    }
    t
}

/// A recorded time series: at each recorded time, the activation overlaps m_μ and saliencies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// Times.
    pub t: Vec<f64>,
    /// m_μ(t) = ξ_μ·Ψ(x)/N, one Vec of length P per time.
    pub m: Vec<Vec<f64>>,
    /// State overlaps a_μ(t) = ξ_μ·x/N.
    pub overlap: Vec<Vec<f64>>,
    /// Saliencies at each time.
    pub saliency: Vec<Vec<f64>>,
}

/// How the fixed saliencies are given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SaliencySource<'a> {
    /// α_μ directly.
    Direct(&'a [f64]),
    /// Input coefficients c_l of u = Σ c_l ξ_l; α_μ = ξ_μ·u/N on the trial's memories.
    /// For the classic comparator (`SdeParams::classic`) u enters as an external field instead
    /// and all saliencies are 1.
    Input(&'a [f64]),
}

/// Fixed saliencies: integrate from x₀ = Σ_μ c_μ ξ_μ (+ `x0_noise`·N(0,1) per neuron) for one
/// trial; returns the series. Domain: `saliency.len() == start.len() == P`.
pub fn run_fixed(
    params: &SdeParams,
    saliency: &[f64],
    start: &[f64],
    x0_noise: f64,
    trial: u64,
) -> Result<Series> {
    run_fixed_from(
        params,
        SaliencySource::Direct(saliency),
        start,
        x0_noise,
        trial,
    )
}

/// [`run_fixed`] with saliencies given directly or through an input u.
pub fn run_fixed_from(
    params: &SdeParams,
    source: SaliencySource<'_>,
    start: &[f64],
    x0_noise: f64,
    trial: u64,
) -> Result<Series> {
    let saliency = match source {
        SaliencySource::Direct(a) | SaliencySource::Input(a) => a,
    };
    params.validate()?;
    if saliency.len() != params.p || start.len() != params.p {
        return Err(EngramError::InvalidParameter {
            name: "saliency",
            value: format!("{} values", saliency.len()),
            allowed: "one saliency (and one start coefficient) per memory",
        });
    }
    let mut rng = sample_rng(params.seed, trial);
    let xi = memories(params.memories, params.n, params.p, &mut rng)?;
    let owned;
    let mut field = None;
    let saliency = match source {
        SaliencySource::Direct(a) => a,
        SaliencySource::Input(c) if params.classic => {
            field = Some(c);
            owned = vec![1.0; params.p];
            &owned[..]
        }
        SaliencySource::Input(c) => {
            owned = saliencies_from_input(&xi, params.n, c);
            &owned[..]
        }
    };
    let mut layer = FastLayer::new(params, xi);
    if let Some(c) = field {
        layer.set_input_field(c);
    }
    let mut x = initial_state(layer.memories(), params.n, start, x0_noise, &mut rng);
    let mut series = Series::default();
    let mut ov = vec![0.0; params.p];
    let steps = params.steps();
    for k in 0..=steps {
        if k % INTERRUPT_EVERY == 0 {
            crate::interrupt::check()?;
        }
        if k % params.record_every == 0 || k == steps {
            layer.activation_overlaps(&x);
            layer.state_overlaps(&x, &mut ov);
            series.t.push(k as f64 * params.dt);
            series.m.push(layer.m.clone());
            series.overlap.push(ov.clone());
            series.saliency.push(saliency.to_vec());
        }
        if k < steps {
            layer.step(&mut x, saliency, &mut rng);
        }
    }
    Ok(series)
}

fn initial_state<R: Rng>(xi: &[f64], n: usize, start: &[f64], noise: f64, rng: &mut R) -> Vec<f64> {
    let mut x = vec![0.0; n];
    for (mu, &c) in start.iter().enumerate() {
        for (v, &r) in x.iter_mut().zip(&xi[mu * n..(mu + 1) * n]) {
            *v += c * r;
        }
    }
    if noise > 0.0 {
        for v in x.iter_mut() {
            *v += noise * rng.sample::<f64, _>(StandardNormal);
        }
    }
    x
}

/// Steps between two checks for an interruption ([`crate::interrupt`]): at N = 4096 a few ms.
const INTERRUPT_EVERY: usize = 256;

/// Slow-layer parameters of the two-timescale network.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SlowParams {
    /// Gain κ.
    pub kappa: f64,
    /// Slow time constant τ (≫ 1).
    pub tau: f64,
    /// Saliency of memory 0 at t = 0 (the others start at 0).
    pub z0: f64,
    /// Overlap |m| above which a memory counts as retrieved.
    pub retrieval_overlap: f64,
}

/// One switch of the two-timescale network: memory `memory` became the retrieved one at time
/// `t` with saliency `z`; `dwell` is the time it stayed (NaN-free: `None` while still retrieved
/// at the end of the run).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transition {
    /// Index n of the transition (n = 0: the starting memory).
    pub n: usize,
    /// The memory retrieved.
    pub memory: usize,
    /// Time it became retrieved.
    pub t: f64,
    /// Its saliency then (the map's Z_n).
    pub z: f64,
    /// Time until the next switch or collapse, if it happened within the run.
    pub dwell: Option<f64>,
}

/// Outcome of a two-timescale run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SequenceRun {
    /// Switches in order.
    pub transitions: Vec<Transition>,
    /// Whether the state ended at the origin (no memory retrieved) — a collapse.
    pub collapsed: bool,
    /// Time series (every `record_every` steps).
    pub series: Series,
}

/// Two-timescale network (Betteti, Baggio, Zampieri, arXiv:2603.03201; docs/theory.md#sequence): fast hard-tanh IDP layer + slow saliencies, from
/// x₀ = ξ_0 (+ seed noise σ), a₀ = Z₀, other saliencies 0. A memory is "retrieved" while its
/// |m| exceeds `retrieval_overlap`; a switch is recorded when a different memory becomes the
/// retrieved one; the run collapses when no memory is retrieved for a time τ.
pub fn run_sequence(params: &SdeParams, slow: &SlowParams, trial: u64) -> Result<SequenceRun> {
    params.validate()?;
    positive("kappa", slow.kappa)?;
    positive("tau", slow.tau)?;
    positive("z0", slow.z0)?;
    let mut rng = sample_rng(params.seed, trial);
    let xi = memories(params.memories, params.n, params.p, &mut rng)?;
    let p = params.p;
    let mut layer = FastLayer::new(params, xi);
    let mut start = vec![0.0; p];
    start[0] = 1.0;
    let mut x = initial_state(layer.memories(), params.n, &start, 0.0, &mut rng);
    let mut a = vec![0.0; p];
    a[0] = slow.z0;
    let mut out = SequenceRun::default();
    out.transitions.push(Transition {
        n: 0,
        memory: 0,
        t: 0.0,
        z: slow.z0,
        dwell: None,
    });
    let mut current: Option<usize> = Some(0);
    let mut lost_at: Option<f64> = None;
    let mut ov = vec![0.0; p];
    let steps = params.steps();
    let dt = params.dt;
    for k in 0..=steps {
        if k % INTERRUPT_EVERY == 0 {
            crate::interrupt::check()?;
        }
        let t = k as f64 * dt;
        layer.activation_overlaps(&x);
        if k % params.record_every == 0 || k == steps {
            layer.state_overlaps(&x, &mut ov);
            out.series.t.push(t);
            out.series.m.push(layer.m.clone());
            out.series.overlap.push(ov.clone());
            out.series.saliency.push(a.clone());
        }
        // which memory is retrieved now
        let (best, best_m) = layer
            .m
            .iter()
            .enumerate()
            .map(|(mu, &m)| (mu, m.abs()))
            .fold((0, 0.0), |acc, v| if v.1 > acc.1 { v } else { acc });
        let now = (best_m > slow.retrieval_overlap).then_some(best);
        if now != current {
            if let Some(nm) = now {
                if let Some(last) = out.transitions.last_mut() {
                    if last.dwell.is_none() {
                        last.dwell = Some(t - last.t);
                    }
                }
                let n = out.transitions.len();
                out.transitions.push(Transition {
                    n,
                    memory: nm,
                    t,
                    z: a[nm],
                    dwell: None,
                });
                lost_at = None;
            } else {
                // retrieved memory lost: the dwell ends here
                if let Some(last) = out.transitions.last_mut() {
                    if last.dwell.is_none() {
                        last.dwell = Some(t - last.t);
                    }
                }
                lost_at = Some(t);
            }
            current = now;
        }
        if let Some(l) = lost_at {
            if current.is_none() && t - l > slow.tau {
                out.collapsed = true;
                break;
            }
        }
        if k == steps {
            break;
        }
        // slow layer (explicit Euler with the fast layer's m at the same state)
        let rate = dt / slow.tau;
        for (mu, am) in a.iter_mut().enumerate() {
            let prev = (mu + p - 1) % p;
            let drive = slow.kappa * layer.m[prev].abs();
            *am += rate * (drive - *am);
        }
        layer.advance(&mut x, &a, &mut rng);
    }
    Ok(out)
}
