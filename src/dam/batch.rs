//! K-target DAM engine: many retrieval targets per pattern store (attention-shaped simulation).
//!
//! Each pattern store (P = round(e^{αN}) patterns from one random stream) serves K distinct
//! targets ξ^1..ξ^K (rows 0..K of the store), each with its own trajectory
//! x ← x − η(x − T(x)), T(x) = Σ_μ p_μ ξ^μ, p = softmax(λ Ξx), started as in the single-target
//! protocol relative to its own pattern, with its own step count and convergence test. A
//! retrieval step for the targets of a tile is an attention forward pass (queries = states,
//! keys = values = patterns): [`super::kernel`] does it tile by tile, streaming the store in
//! blocks of [`BLOCK_ROWS`] patterns with an online softmax per target.
//!
//! Exactly as in the single-target path ([`super::sim`]), a target's own pattern is left out of
//! the f32 stream (masked to −∞ in the tile) and added exactly in f64 after it, so the dominant
//! term of a retrieved state carries no f32 rounding. Converged targets leave their slot and the
//! next pending target of the store takes it, so tiles stay full.
//!
//! Stores: f32, or f16 (`half`; the rounded f16 values *are* the patterns of that sample, the
//! targets' exact term and the initial states use them too), or i8 for ±1 patterns (binary).
//! Planted targets: with `target_norm = ρ`, every target row is rescaled to ‖ξ^k‖²/N = ρ before
//! the run (the other patterns untouched), so the retrieval of a pattern of given norm is
//! measured directly (channel (a) of α_c, docs: theory of the DAM thresholds).
//!
//! Parallelism: when one store per thread fits the memory budget, threads run whole stores
//! (rayon over stores); otherwise the threads share one store at a time and split its targets
//! over their tiles (rayon over target tiles). Each target's arithmetic is lane-local, so
//! results are identical for any number of threads.
//!
//! Random streams: store s draws from `sample_rng(seed', s)` (patterns first, then the targets'
//! initial states in target order), with seed' = seed for shared streams (common random numbers
//! across the points of a sweep) or a hash of (seed, point parameters) for independent streams.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use half::f16;

use super::kernel::{gemm16, rescale_add, softmax_block, LANES};
use super::sim::{initial_state, SampleResult, SimParams};
use crate::ensembles::{sample_rng, PatternSampler};
use crate::error::{EngramError, Result};

/// Patterns per block of the tile stream: a multiple of the micro-kernel's 6 rows, small enough
/// that the block (72 × N f32) and the tile's buffers stay in a 32 KiB L1 at N = 60 (measured:
/// 72 beat 48, 96 and 144 by 4–8% at N = 60).
pub const BLOCK_ROWS: usize = 72;

/// Assumed sustained throughput per thread of the tile kernel (flop/s) for the run-time
/// estimate behind the `targets = all` refusal; the simulator benchmark measures the real one.
pub const ASSUMED_FLOPS_PER_THREAD: f64 = 2.0e10;
/// Steps per target assumed by the run-time estimate (the protocol converges in ~20–60 steps
/// except near the threshold).
pub const ASSUMED_STEPS: f64 = 50.0;

/// Retrieval targets per store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Targets {
    /// The first K patterns of each store (K ≥ 1, K ≤ P).
    Count(usize),
    /// Every pattern of the store (the all-patterns question of α_c); `samples` counts stores.
    All,
    /// min(K, P) targets per store (`at-most:K`): for sweeps whose small-P corners hold fewer
    /// than K patterns; the CSV column `targets` reports the K used at each point.
    AtMost(usize),
}

/// Number format of the pattern store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// f32 (4 bytes per entry).
    #[default]
    F32,
    /// IEEE half precision (2 bytes per entry); the rounded values are the patterns.
    F16,
    /// i8 (1 byte per entry); only for ±1 patterns (binary ensemble).
    I8,
}

impl Precision {
    /// Bytes per stored pattern entry.
    pub fn bytes(self) -> usize {
        match self {
            Precision::F32 => 4,
            Precision::F16 => 2,
            Precision::I8 => 1,
        }
    }
    /// Name as written on the command line and in CSV.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F16 => "f16",
            Precision::I8 => "i8",
        }
    }
}

/// Random streams across the points of a sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Streams {
    /// Every point uses streams (seed, s): common random numbers, smooth curves, correlated
    /// deviations between neighbouring points.
    #[default]
    Shared,
    /// Each point's streams are seeded by a hash of (seed, its parameters): points are
    /// statistically independent.
    Independent,
}

impl Streams {
    /// Name as written on the command line and in CSV.
    pub fn name(self) -> &'static str {
        match self {
            Streams::Shared => "shared",
            Streams::Independent => "independent",
        }
    }
}

impl std::str::FromStr for Targets {
    type Err = String;
    /// `all`, or a whole number K (its range is checked against P by [`Batch::validate`]).
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim() {
            "all" => Ok(Targets::All),
            t if t.starts_with("at-most:") => t["at-most:".len()..]
                .parse::<usize>()
                .map(Targets::AtMost)
                .map_err(|_| format!("'{t}': expected at-most:K with a whole number K >= 1")),
            t => t
                .parse::<usize>()
                .map(Targets::Count)
                .map_err(|_| format!("'{t}': expected a whole number K >= 1, at-most:K or 'all'")),
        }
    }
}

impl std::fmt::Display for Targets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Targets::All => f.write_str("all"),
            Targets::Count(k) => write!(f, "{k}"),
            Targets::AtMost(k) => write!(f, "at-most:{k}"),
        }
    }
}

impl std::str::FromStr for Precision {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim() {
            "f32" => Ok(Precision::F32),
            "f16" => Ok(Precision::F16),
            "i8" => Ok(Precision::I8),
            t => Err(format!(
                "'{t}': expected f32, f16 or i8 (i8: binary patterns only)"
            )),
        }
    }
}

impl std::str::FromStr for Streams {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim() {
            "shared" => Ok(Streams::Shared),
            "independent" => Ok(Streams::Independent),
            t => Err(format!("'{t}': expected shared or independent")),
        }
    }
}

/// How a point's samples are organised: targets per store, planted norm, store format, streams.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Batch {
    /// Targets per store.
    pub targets: Targets,
    /// Planted squared norm per component ρ of every target (None: as drawn).
    pub target_norm: Option<f64>,
    /// Store format.
    pub precision: Precision,
    /// Random streams across points.
    pub streams: Streams,
    /// Refuse runs whose estimated time exceeds this many seconds (`targets = all`).
    pub max_seconds: f64,
}

impl Default for Batch {
    /// One target per store, as drawn, f32, shared streams: today's single-target protocol.
    fn default() -> Self {
        Batch {
            targets: Targets::Count(1),
            target_norm: None,
            precision: Precision::F32,
            streams: Streams::Shared,
            max_seconds: 3600.0,
        }
    }
}

impl Batch {
    /// Targets per store K for point `p`.
    pub fn per_store(&self, p: &SimParams) -> usize {
        match self.targets {
            Targets::Count(k) => k,
            Targets::All => p.patterns_f64() as usize,
            Targets::AtMost(k) => k.min(p.patterns_f64() as usize),
        }
    }

    /// Whether this batch is exactly the single-target protocol of [`super::sim`] (which then
    /// runs unchanged, bit for bit).
    pub fn is_single_target(&self) -> bool {
        self.targets == Targets::Count(1)
            && self.target_norm.is_none()
            && self.precision == Precision::F32
    }

    /// Check the batch against point `p` and the ensemble (by name).
    pub fn validate(&self, p: &SimParams, ensemble: &str) -> Result<()> {
        let pc = p.patterns_f64();
        if let Targets::AtMost(0) = self.targets {
            return Err(EngramError::InvalidParameter {
                name: "targets",
                value: "at-most:0".into(),
                allowed: "at-most:K with K >= 1",
            });
        }
        if let Targets::Count(k) = self.targets {
            if k == 0 || k as f64 > pc {
                return Err(EngramError::InvalidParameter {
                    name: "targets",
                    value: format!(
                        "{k} (P = {pc} patterns at N = {}, alpha = {})",
                        p.n, p.alpha
                    ),
                    allowed: "a whole number K with 1 <= K <= P, or 'all'",
                });
            }
        }
        if let Some(r) = self.target_norm {
            if !(r.is_finite() && r > 0.0) {
                return Err(EngramError::InvalidParameter {
                    name: "target-norm",
                    value: r.to_string(),
                    allowed: "a finite squared norm per component rho > 0",
                });
            }
        }
        if self.precision == Precision::I8 && ensemble != "binary" {
            return Err(EngramError::InvalidParameter {
                name: "store",
                value: format!("i8 with the {ensemble} ensemble"),
                allowed: "f32 or f16 (i8 stores hold +-1 patterns only: ensemble binary)",
            });
        }
        if self.precision == Precision::I8 && self.target_norm.is_some_and(|r| r != 1.0) {
            return Err(EngramError::InvalidParameter {
                name: "target-norm",
                value: format!("{} with an i8 store", self.target_norm.unwrap_or(1.0)),
                allowed:
                    "rho = 1 for +-1 patterns in an i8 store; use f32 or f16 to plant other norms",
            });
        }
        if self.max_seconds.is_nan() || self.max_seconds <= 0.0 {
            return Err(EngramError::InvalidParameter {
                name: "max-seconds",
                value: self.max_seconds.to_string(),
                allowed: "a positive time limit",
            });
        }
        Ok(())
    }

    /// Bytes of one store with its targets' initial states (the memory a store in flight needs).
    pub fn bytes_per_store(&self, p: &SimParams) -> f64 {
        let pc = p.patterns_f64();
        let k = self.per_store(p) as f64;
        pc * p.n as f64 * self.precision.bytes() as f64
            + k * (p.n as f64 * 8.0 + std::mem::size_of::<TargetResult>() as f64 + 8.0)
    }

    /// Stores needed for `samples` retrieval targets (`samples` stores for `targets = all`).
    pub fn stores(&self, p: &SimParams, samples: usize) -> usize {
        match self.targets {
            Targets::All => samples,
            _ => samples.div_ceil(self.per_store(p)),
        }
    }

    /// Retrieval targets in a run of `samples` (targets, or stores for `targets = all`).
    pub fn total_targets(&self, p: &SimParams, samples: usize) -> f64 {
        match self.targets {
            Targets::All => samples as f64 * p.patterns_f64(),
            _ => samples as f64,
        }
    }

    /// Estimated seconds of a run: targets × [`ASSUMED_STEPS`] steps × 4·P·N flops at
    /// [`ASSUMED_FLOPS_PER_THREAD`] per thread.
    pub fn estimated_seconds(&self, p: &SimParams, samples: usize, threads: usize) -> f64 {
        let targets = match self.targets {
            Targets::All => samples as f64 * p.patterns_f64(),
            _ => samples as f64,
        };
        let flops =
            targets * ASSUMED_STEPS.min(p.max_steps as f64) * 4.0 * p.patterns_f64() * p.n as f64;
        flops / (ASSUMED_FLOPS_PER_THREAD * threads.max(1) as f64)
    }

    /// Check that `samples` targets of point `p` can run: the estimated time (see
    /// [`Batch::estimated_seconds`]) within [`Batch::max_seconds`] and one store within
    /// `memory_limit` bytes. Returns how many stores fit the memory limit.
    pub fn check(
        &self,
        p: &SimParams,
        samples: usize,
        memory_limit: f64,
        threads: usize,
    ) -> Result<f64> {
        let est = self.estimated_seconds(p, samples, threads);
        if est > self.max_seconds {
            return Err(EngramError::InvalidParameter {
                name: "targets",
                value: format!(
                "{} at N = {}, alpha = {}: about {:.3e} target-steps of 4PN = {:.3e} flops each, \
                 estimated {:.3e} s on {threads} threads, above the limit of {:.3e} s",
                self.targets,
                p.n,
                p.alpha,
                ASSUMED_STEPS.min(p.max_steps as f64) * self.total_targets(p, samples),
                4.0 * p.patterns_f64() * p.n as f64,
                est,
                self.max_seconds
            ),
                allowed: "a smaller N, alpha or sample count, or a larger time limit (--max-hours)",
            });
        }
        let per = self.bytes_per_store(p);
        let fit = (memory_limit / per).floor();
        if fit < 1.0 {
            let unit = format!("per store ({} store)", self.precision.name());
            return Err(super::sim::store_too_large(p, per, &unit, memory_limit));
        }
        Ok(fit)
    }

    /// The seed of this point's streams.
    pub fn stream_seed(&self, p: &SimParams) -> u64 {
        match self.streams {
            Streams::Shared => p.seed,
            Streams::Independent => {
                let start = match p.start {
                    super::sim::Start::Pattern => [2.0, 0.0],
                    super::sim::Start::Cosine { cosine, r } => [cosine, r],
                };
                let mut h = splitmix(p.seed ^ 0x656e_6772_616d);
                for v in [
                    p.n as u64,
                    p.alpha.to_bits(),
                    p.lambda.to_bits(),
                    p.eta.to_bits(),
                    p.max_steps as u64,
                    p.xtol.to_bits(),
                    start[0].to_bits(),
                    start[1].to_bits(),
                    self.target_norm.map_or(0, f64::to_bits),
                ] {
                    h = splitmix(h ^ v);
                }
                h
            }
        }
    }
}

/// SplitMix64 finaliser (a bijective 64-bit mixer).
fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One retrieval target's outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetResult {
    /// Store index s.
    pub store: usize,
    /// Target index k within the store (row k).
    pub target: usize,
    /// ‖ξ^k‖²/N of the target as stored.
    pub rho: f64,
    /// The trajectory's observables (Δ₀ and m relative to ξ^k).
    pub result: SampleResult,
}

enum StoreData {
    F32(Vec<f32>),
    F16(Vec<f16>),
    I8(Vec<i8>),
}

/// A pattern store: P rows of N entries, row-major, unpadded.
pub struct Store {
    data: StoreData,
    n: usize,
    p: usize,
    row: Vec<f32>,
}

fn try_vec<T: Clone>(len: usize, fill: T) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| {
        EngramError::Io(format!(
            "cannot allocate a pattern store of {len} entries ({:.2} GiB)",
            len as f64 * std::mem::size_of::<T>() as f64 / 1024f64.powi(3)
        ))
    })?;
    v.resize(len, fill);
    Ok(v)
}

impl Store {
    /// Allocate (fallibly) a store for point `p` in the batch's format.
    pub fn new(p: &SimParams, batch: &Batch) -> Result<Self> {
        let (n, pc) = (p.n, p.patterns_f64() as usize);
        let len = n * pc;
        let data = match batch.precision {
            Precision::F32 => StoreData::F32(try_vec(len, 0f32)?),
            Precision::F16 => StoreData::F16(try_vec(len, f16::ZERO)?),
            Precision::I8 => StoreData::I8(try_vec(len, 0i8)?),
        };
        Ok(Store {
            data,
            n,
            p: pc,
            row: vec![0.0; n],
        })
    }

    /// Number of patterns P.
    pub fn patterns(&self) -> usize {
        self.p
    }

    /// Draw the P patterns from `rng` in row order; rows 0..k get the planted norm if any.
    /// Returns an error if an i8 store receives a value other than ±1.
    pub fn fill<E: PatternSampler + ?Sized>(
        &mut self,
        ens: &E,
        k: usize,
        target_norm: Option<f64>,
        rng: &mut rand_chacha::ChaCha8Rng,
    ) -> Result<()> {
        let n = self.n;
        for mu in 0..self.p {
            ens.sample_pattern(rng, &mut self.row);
            if let (Some(rho), true) = (target_norm, mu < k) {
                let norm2: f64 = self.row.iter().map(|&v| (v as f64).powi(2)).sum();
                let s = (rho * n as f64 / norm2).sqrt();
                for v in self.row.iter_mut() {
                    *v = (*v as f64 * s) as f32;
                }
            }
            let dst = mu * n..(mu + 1) * n;
            match &mut self.data {
                StoreData::F32(d) => d[dst].copy_from_slice(&self.row),
                StoreData::F16(d) => {
                    for (o, &v) in d[dst].iter_mut().zip(&self.row) {
                        *o = f16::from_f32(v);
                    }
                }
                StoreData::I8(d) => {
                    for (o, &v) in d[dst].iter_mut().zip(&self.row) {
                        if v != 1.0 && v != -1.0 {
                            return Err(EngramError::InvalidParameter {
                                name: "store",
                                value: format!("i8 with pattern entry {v}"),
                                allowed: "i8 stores hold +-1 patterns only (ensemble binary)",
                            });
                        }
                        *o = v as i8;
                    }
                }
            }
        }
        Ok(())
    }

    /// Row `mu` as f32 into `out` (length N).
    pub fn row_into(&self, mu: usize, out: &mut [f32]) {
        let src = mu * self.n..(mu + 1) * self.n;
        match &self.data {
            StoreData::F32(d) => out.copy_from_slice(&d[src]),
            StoreData::F16(d) => {
                for (o, v) in out.iter_mut().zip(&d[src]) {
                    *o = v.to_f32();
                }
            }
            StoreData::I8(d) => {
                for (o, &v) in out.iter_mut().zip(&d[src]) {
                    *o = v as f32;
                }
            }
        }
    }

    /// Rows start..end as f32: the store itself for f32, else converted into `scratch`.
    fn block<'a>(&'a self, start: usize, end: usize, scratch: &'a mut [f32]) -> &'a [f32] {
        let src = start * self.n..end * self.n;
        match &self.data {
            StoreData::F32(d) => &d[src],
            StoreData::F16(d) => {
                let out = &mut scratch[..src.len()];
                half::slice::HalfFloatSliceExt::convert_to_f32_slice(&d[src], out);
                out
            }
            StoreData::I8(d) => {
                let out = &mut scratch[..src.len()];
                for (o, &v) in out.iter_mut().zip(&d[src]) {
                    *o = v as f32;
                }
                out
            }
        }
    }
}

/// One tile: 16 target slots and their buffers, allocated once and reused for every step.
pub struct Tile {
    n: usize,
    slot: [usize; LANES],
    steps: [usize; LANES],
    phi: [f64; LANES],
    x: Vec<f64>,
    xi: Vec<f64>,
    xt: Vec<f32>,
    l: Vec<f32>,
    acc32: Vec<f32>,
    acc64: Vec<f64>,
    scratch: Vec<f32>,
    row: Vec<f32>,
}

const EMPTY: usize = usize::MAX;

impl Tile {
    /// Buffers for N neurons.
    pub fn new(n: usize) -> Self {
        Tile {
            n,
            slot: [EMPTY; LANES],
            steps: [0; LANES],
            phi: [f64::NAN; LANES],
            x: vec![0.0; LANES * n],
            xi: vec![0.0; LANES * n],
            xt: vec![0.0; n * LANES],
            l: vec![0.0; BLOCK_ROWS * LANES],
            acc32: vec![0.0; n * LANES],
            acc64: vec![0.0; n * LANES],
            scratch: vec![0.0; BLOCK_ROWS * n],
            row: vec![0.0; n],
        }
    }

    fn load(&mut self, r: usize, t: usize, store: &Store, x0: &[f64]) {
        let n = self.n;
        self.slot[r] = t;
        self.steps[r] = 0;
        self.phi[r] = f64::NAN;
        store.row_into(t, &mut self.row);
        for (i, (&v, &x)) in self.row.iter().zip(x0).enumerate() {
            self.xi[r * n + i] = v as f64;
            self.x[r * n + i] = x;
            self.xt[i * LANES + r] = x as f32;
        }
    }

    fn clear(&mut self, r: usize) {
        self.slot[r] = EMPTY;
        for i in 0..self.n {
            self.xt[i * LANES + r] = 0.0;
        }
    }

    /// Run targets from `next` until it is exhausted and every slot has finished; each
    /// finished target goes to `done(t, result)`.
    fn run(
        &mut self,
        store: &Store,
        p: &SimParams,
        x0: &[f64],
        next: &dyn Fn() -> Option<usize>,
        done: &mut dyn FnMut(usize, SampleResult),
    ) {
        let n = self.n;
        for r in 0..LANES {
            self.clear(r);
        }
        loop {
            for r in 0..LANES {
                if self.slot[r] == EMPTY {
                    if let Some(t) = next() {
                        self.load(r, t, store, &x0[t * n..(t + 1) * n]);
                    }
                }
            }
            if self.slot.iter().all(|&s| s == EMPTY) {
                return;
            }
            self.step(store, p, done);
        }
    }

    /// One gradient step of every occupied slot.
    fn step(&mut self, store: &Store, p: &SimParams, done: &mut dyn FnMut(usize, SampleResult)) {
        let (n, pc) = (self.n, store.patterns());
        let lambda = p.lambda;
        let mut m = [f32::NEG_INFINITY; LANES];
        let mut s = [0f64; LANES];
        self.acc64.iter_mut().for_each(|a| *a = 0.0);
        let mut start = 0;
        while start < pc {
            let end = (start + BLOCK_ROWS).min(pc);
            let rows = end - start;
            let blk = store.block(start, end, &mut self.scratch);
            // logits L[j][r] = λ ξ^j·x^r
            gemm16(blk, n, 1, rows, n, &self.xt, lambda as f32, &mut self.l);
            // each target's own pattern is added exactly afterwards
            for r in 0..LANES {
                let t = self.slot[r];
                if t != EMPTY && (start..end).contains(&t) {
                    self.l[(t - start) * LANES + r] = f32::NEG_INFINITY;
                }
            }
            let mut scale = [1f64; LANES];
            softmax_block(&mut self.l[..rows * LANES], &mut m, &mut s, &mut scale);
            // Acc[c][r] = Σ_j ξ^j_c w^r_j
            gemm16(blk, 1, n, n, rows, &self.l, 1.0, &mut self.acc32);
            rescale_add(&mut self.acc64, &self.acc32, &scale);
            start = end;
        }
        let nf = n as f64;
        for r in 0..LANES {
            let t = self.slot[r];
            if t == EMPTY {
                continue;
            }
            let (x, xi) = (
                &mut self.x[r * n..(r + 1) * n],
                &self.xi[r * n..(r + 1) * n],
            );
            let l1 = lambda * xi.iter().zip(x.iter()).map(|(&a, &b)| a * b).sum::<f64>();
            let mr = m[r] as f64;
            if self.steps[r] == 0 {
                self.phi[r] = (mr + s[r].ln()) / nf;
            }
            let mm = mr.max(l1);
            let scale_rest = if mr > f64::NEG_INFINITY {
                (mr - mm).exp()
            } else {
                0.0
            };
            let w1 = (l1 - mm).exp();
            let total = s[r] * scale_rest + w1;
            let lse = mm + total.ln();
            let x2: f64 = x.iter().map(|v| v * v).sum();
            let energy = (-lse / lambda + 0.5 * x2) / nf;
            let mut dx2 = 0.0;
            for i in 0..n {
                let tv = (self.acc64[i * LANES + r] * scale_rest + w1 * xi[i]) / total;
                let dx = -p.eta * (x[i] - tv);
                x[i] += dx;
                dx2 += dx * dx;
                self.xt[i * LANES + r] = x[i] as f32;
            }
            self.steps[r] += 1;
            let converged = (dx2 / nf).sqrt() < p.xtol;
            if converged || self.steps[r] >= p.max_steps {
                let (mut d2, mut ov) = (0.0, 0.0);
                for (&a, &b) in x.iter().zip(xi) {
                    d2 += (a - b).powi(2);
                    ov += a * b;
                }
                done(
                    t,
                    SampleResult {
                        delta0: d2 / nf,
                        overlap: ov / nf,
                        steps: self.steps[r],
                        converged,
                        energy,
                        phi_emp: self.phi[r],
                    },
                );
                self.clear(r);
            }
        }
    }
}

/// Draw store `s` of point `p` into `store` and the K targets' initial states into `x0`
/// (K × N); returns the targets' ‖ξ^k‖²/N.
pub fn prepare_store<E: PatternSampler + ?Sized>(
    ens: &E,
    p: &SimParams,
    batch: &Batch,
    s: usize,
    k: usize,
    store: &mut Store,
    x0: &mut Vec<f64>,
) -> Result<Vec<f64>> {
    let n = p.n;
    let mut rng = sample_rng(batch.stream_seed(p), s as u64);
    store.fill(ens, k, batch.target_norm, &mut rng)?;
    x0.clear();
    x0.resize(k * n, 0.0);
    let mut row = vec![0f32; n];
    let mut rhos = Vec::with_capacity(k);
    for t in 0..k {
        store.row_into(t, &mut row);
        rhos.push(row.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / n as f64);
        initial_state(p.start, &row, &mut rng, &mut x0[t * n..(t + 1) * n]);
    }
    Ok(rhos)
}

/// Run the targets 0..k of a prepared store on `tiles` (one per worker, in parallel when there
/// are several); results in target order.
pub fn run_store(
    store: &Store,
    p: &SimParams,
    x0: &[f64],
    k: usize,
    tiles: &mut [Tile],
    progress: &(dyn Fn() + Sync),
) -> Vec<SampleResult> {
    let next_t = AtomicUsize::new(0);
    let next = || {
        let t = next_t.fetch_add(1, Ordering::Relaxed);
        (t < k).then_some(t)
    };
    let out: Mutex<Vec<Option<SampleResult>>> = Mutex::new(vec![None; k]);
    let work = |tile: &mut Tile| {
        let mut local: Vec<(usize, SampleResult)> = Vec::new();
        tile.run(store, p, x0, &next, &mut |t, r| {
            local.push((t, r));
            progress();
        });
        let mut o = out.lock().expect("results lock");
        for (t, r) in local {
            o[t] = Some(r);
        }
    };
    if tiles.len() == 1 {
        work(&mut tiles[0]);
    } else {
        use rayon::prelude::*;
        tiles.par_iter_mut().for_each(work);
    }
    out.into_inner()
        .expect("results lock")
        .into_iter()
        .map(|r| r.expect("every target ran"))
        .collect()
}

/// Run `samples` retrieval targets of point `p` (for `targets = all`: `samples` stores of P
/// targets each) on the current rayon pool within `memory_limit` bytes of stores in flight.
/// Results are in (store, target) order and do not depend on the number of threads.
pub fn simulate_targets<E: PatternSampler + ?Sized>(
    ens: &E,
    p: &SimParams,
    batch: &Batch,
    samples: usize,
    memory_limit: f64,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<TargetResult>> {
    p.validate()?;
    batch.validate(p, ens.name())?;
    if samples == 0 {
        return Err(EngramError::InvalidParameter {
            name: "samples",
            value: "0".into(),
            allowed: "a whole number >= 1",
        });
    }
    let threads = rayon::current_num_threads().max(1);
    let fit = batch.check(p, samples, memory_limit, threads)?;
    let k_full = batch.per_store(p);
    let stores = batch.stores(p, samples);
    let k_of = |s: usize| match batch.targets {
        Targets::All => k_full,
        _ if s + 1 == stores => samples - (stores - 1) * k_full,
        _ => k_full,
    };
    let mut results: Vec<Vec<TargetResult>> = vec![Vec::new(); stores];
    let finish = |s: usize, rhos: &[f64], r: Vec<SampleResult>| -> Vec<TargetResult> {
        r.into_iter()
            .enumerate()
            .map(|(t, result)| TargetResult {
                store: s,
                target: t,
                rho: rhos[t],
                result,
            })
            .collect()
    };
    let in_flight = (fit as usize).min(threads).min(stores);
    if in_flight >= threads.min(stores) && stores > 1 && in_flight > 1 {
        // rayon over stores: each worker owns one store and one tile
        let next_s = AtomicUsize::new(0);
        let slots: Mutex<&mut Vec<Vec<TargetResult>>> = Mutex::new(&mut results);
        let error: Mutex<Option<EngramError>> = Mutex::new(None);
        rayon::scope(|sc| {
            for _ in 0..in_flight {
                sc.spawn(|_| {
                    let mut store = match Store::new(p, batch) {
                        Ok(s) => s,
                        Err(e) => {
                            error.lock().expect("lock").get_or_insert(e);
                            return;
                        }
                    };
                    let mut tiles = [Tile::new(p.n)];
                    let mut x0 = Vec::new();
                    loop {
                        let s = next_s.fetch_add(1, Ordering::Relaxed);
                        if s >= stores {
                            break;
                        }
                        let k = k_of(s);
                        let rhos = match prepare_store(ens, p, batch, s, k, &mut store, &mut x0) {
                            Ok(r) => r,
                            Err(e) => {
                                error.lock().expect("lock").get_or_insert(e);
                                return;
                            }
                        };
                        let r = run_store(&store, p, &x0, k, &mut tiles, progress);
                        slots.lock().expect("lock")[s] = finish(s, &rhos, r);
                    }
                });
            }
        });
        if let Some(e) = error.into_inner().expect("lock") {
            return Err(e);
        }
    } else {
        // rayon over target tiles: all workers share one store at a time
        let mut store = Store::new(p, batch)?;
        let mut tiles: Vec<Tile> = (0..threads).map(|_| Tile::new(p.n)).collect();
        let mut x0 = Vec::new();
        for (s, slot) in results.iter_mut().enumerate() {
            let k = k_of(s);
            let rhos = prepare_store(ens, p, batch, s, k, &mut store, &mut x0)?;
            let workers = threads.min(k.div_ceil(LANES)).max(1);
            let r = run_store(&store, p, &x0, k, &mut tiles[..workers], progress);
            *slot = finish(s, &rhos, r);
        }
    }
    Ok(results.into_iter().flatten().collect())
}
