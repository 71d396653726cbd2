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
//! Exactly as in the single-target path ([`super::sim`], sharing its step tail
//! [`super::kernel::step_tail`]), a target's own pattern is left out of
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

use half::f16;

use super::kernel::{gemm16, observe, rescale_add, softmax_block, step_tail, LANES};
use super::params::{initial_state, store_too_large, SampleResult, SimParams, ASSUMED_STEPS};
pub use super::params::{Batch, Precision, Streams, TargetResult, Targets};
use crate::ensembles::{sample_rng, PatternSampler};
use crate::error::{try_vec, EngramError, Result};

/// Patterns per block of the tile stream: a multiple of the micro-kernel's 6 rows, small enough
/// that the block (72 × N f32) and the tile's buffers stay in a 32 KiB L1 at N = 60 (measured:
/// 72 beat 48, 96 and 144 by 4–8% at N = 60).
pub const BLOCK_ROWS: usize = 72;

impl Batch {
    /// Bytes of one store with its targets' initial states (the memory a store in flight needs).
    pub fn bytes_per_store(&self, p: &SimParams) -> f64 {
        Store::bytes(p, self)
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
        let resolved = self.resolve(samples);
        let this = &resolved;
        let est = this.estimated_seconds(p, samples, threads);
        if est > self.max_seconds {
            return Err(EngramError::InvalidParameter {
                name: "max_hours",
                value: format!(
                "{:.3} h: the run at N = {}, alpha = {}, targets = {}, needs about {:.3e} \
                 target-steps of 4PN = {:.3e} flops each, estimated {:.3e} s on {threads} threads, \
                 above the limit of {:.3e} s",
                self.max_seconds / 3600.0,
                p.n,
                crate::stats::fmt_short(p.alpha),
                self.targets,
                ASSUMED_STEPS.min(p.max_steps as f64) * self.total_targets(p, samples),
                4.0 * p.patterns_f64() * p.n as f64,
                est,
                self.max_seconds
            ),
                allowed: "a smaller N, alpha or sample count, or a larger limit (--max-hours, or max_hours in a config)",
            });
        }
        let per = this.bytes_per_store(p);
        let fit = (memory_limit / per).floor();
        if fit < 1.0 {
            let unit = format!("per store ({} store)", this.precision.name());
            return Err(store_too_large(p, per, &unit, memory_limit));
        }
        Ok(fit)
    }
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

impl Store {
    /// Entries of the store, P·N (f64: P may exceed usize for absurd α·N).
    fn entries(p: &SimParams) -> f64 {
        p.patterns_f64() * p.n as f64
    }

    /// Bytes a store in flight needs for point `p`: its P·N entries in the batch's format, and
    /// per target its initial state (N f64), its result and its norm. The memory estimate of
    /// [`Batch::check`] is this number (the same layout that [`Store::new`] allocates).
    pub fn bytes(p: &SimParams, batch: &Batch) -> f64 {
        let k = batch.per_store(p) as f64;
        Self::entries(p) * batch.precision.bytes() as f64
            + k * (p.n as f64 * 8.0 + std::mem::size_of::<TargetResult>() as f64 + 8.0)
    }

    /// Allocate (fallibly, `OutOfMemory` if short) a store for point `p` in the batch's format.
    pub fn new(p: &SimParams, batch: &Batch) -> Result<Self> {
        let (n, pc) = (p.n, p.patterns_f64() as usize);
        let len = Self::entries(p) as usize;
        let what = "pattern store";
        let data = match batch.precision {
            Precision::F32 => StoreData::F32(try_vec(len, 0f32, what)?),
            Precision::F16 => StoreData::F16(try_vec(len, f16::ZERO, what)?),
            Precision::I8 => StoreData::I8(try_vec(len, 0i8, what)?),
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
        let (n, count) = (self.n, self.p);
        let (data, row) = (&mut self.data, &mut self.row);
        ens.sample_store(rng, n, count, &mut |mu, pat| {
            row.copy_from_slice(pat);
            if let (Some(rho), true) = (target_norm, mu < k) {
                let norm2: f64 = row.iter().map(|&v| (v as f64).powi(2)).sum();
                let s = (rho * n as f64 / norm2).sqrt();
                for v in row.iter_mut() {
                    *v = (*v as f64 * s) as f32;
                }
            }
            let dst = mu * n..(mu + 1) * n;
            match data {
                StoreData::F32(d) => d[dst].copy_from_slice(row),
                StoreData::F16(d) => {
                    for (o, &v) in d[dst].iter_mut().zip(row.iter()) {
                        *o = f16::from_f32(v);
                    }
                }
                StoreData::I8(d) => {
                    for (o, &v) in d[dst].iter_mut().zip(row.iter()) {
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
            Ok(())
        })
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
            let mr = m[r] as f64;
            if self.steps[r] == 0 {
                self.phi[r] = (mr + s[r].ln()) / nf;
            }
            let (acc64, xt) = (&self.acc64, &mut self.xt);
            let out = step_tail(
                lambda,
                p.eta,
                mr,
                s[r],
                x,
                |i| xi[i],
                |i| acc64[i * LANES + r],
                |i, v| xt[i * LANES + r] = v as f32,
            );
            self.steps[r] += 1;
            let converged = (out.dx2 / nf).sqrt() < p.xtol;
            if converged || self.steps[r] >= p.max_steps {
                let (delta0, overlap) = observe(x, |i| xi[i]);
                done(
                    t,
                    SampleResult {
                        delta0,
                        overlap,
                        steps: self.steps[r],
                        converged,
                        energy: out.energy,
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
) -> Result<Vec<SampleResult>> {
    let next_t = AtomicUsize::new(0);
    // an interruption hands out no more targets; the tiles finish the ones they hold
    let next = || {
        let t = next_t.fetch_add(1, Ordering::Relaxed);
        (t < k && !crate::interrupt::requested()).then_some(t)
    };
    let out = crate::parallel::Slots::new(k);
    let work = |tile: &mut Tile| {
        let mut local: Vec<(usize, SampleResult)> = Vec::new();
        tile.run(store, p, x0, &next, &mut |t, r| {
            local.push((t, r));
            progress();
        });
        out.put_all(local);
    };
    if tiles.len() == 1 {
        work(&mut tiles[0]);
    } else {
        use rayon::prelude::*;
        tiles.par_iter_mut().for_each(work);
    }
    crate::interrupt::check()?;
    Ok(out.into_vec())
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
    let batch = &batch.resolve(samples);
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
    let results: Vec<Vec<TargetResult>> =
        if in_flight >= threads.min(stores) && stores > 1 && in_flight > 1 {
            // rayon over stores: each worker owns one store and one tile
            crate::parallel::ordered_workers(
                stores,
                in_flight,
                || Ok((Store::new(p, batch)?, [Tile::new(p.n)], Vec::new())),
                |(store, tiles, x0), s| {
                    let k = k_of(s);
                    let rhos = prepare_store(ens, p, batch, s, k, store, x0)?;
                    let r = run_store(store, p, x0, k, tiles, progress)?;
                    Ok(finish(s, &rhos, r))
                },
            )?
        } else {
            // rayon over target tiles: all workers share one store at a time
            let mut store = Store::new(p, batch)?;
            let mut tiles: Vec<Tile> = (0..threads).map(|_| Tile::new(p.n)).collect();
            let mut x0 = Vec::new();
            let mut results = vec![Vec::new(); stores];
            for (s, slot) in results.iter_mut().enumerate() {
                let k = k_of(s);
                let rhos = prepare_store(ens, p, batch, s, k, &mut store, &mut x0)?;
                let workers = threads.min(k.div_ceil(LANES)).max(1);
                let r = run_store(&store, p, &x0, k, &mut tiles[..workers], progress)?;
                *slot = finish(s, &rhos, r);
            }
            results
        };
    Ok(results.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The memory estimate of a store is its allocated entries times the entry size, plus
    /// per target an initial state (N f64), a result and a norm, counted on allocated objects.
    #[test]
    fn bytes_is_what_new_allocates() {
        for precision in [Precision::F32, Precision::F16, Precision::I8] {
            let p = SimParams::protocol(20, 0.25, 0.5, 1);
            let batch = Batch::shared(Targets::Count(7), None, precision);
            let store = Store::new(&p, &batch).unwrap();
            let entries = match &store.data {
                StoreData::F32(d) => d.len() * 4,
                StoreData::F16(d) => d.len() * 2,
                StoreData::I8(d) => d.len(),
            };
            let x0 = vec![0f64; 7 * p.n];
            let per_target = std::mem::size_of::<TargetResult>() + std::mem::size_of::<f64>();
            let held = entries + x0.len() * 8 + 7 * per_target;
            assert_eq!(Store::bytes(&p, &batch), held as f64, "{precision:?}");
        }
    }
}
