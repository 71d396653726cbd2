//! Monte-Carlo simulator of the dense associative memory at finite N (docs/theory.md#dam, #basins, #simulator).
//!
//! A sample draws P = round(e^{αN}) patterns, starts at x₀ = ξ¹ (or at a prescribed cosine
//! with ξ¹ and norm r) and runs gradient descent x ← x − η∇E(x), ∇E = x − Σ_μ p_μ ξ^μ,
//! p = softmax(λ Ξx), until ‖Δx‖/√N < xtol or max_steps.
//!
//! Kernel ([`super::kernel::stream`], with the step tail shared with the K-target engine): one streaming pass over the patterns per step, in blocks of [`BLOCK`] patterns:
//! logits λ ξ^μ·x (f32 products, eight f32 partial sums, then f64), an online (running-max)
//! softmax, and the weighted pattern sum Σ e^{l_μ − M} ξ^μ accumulated in f64. Patterns whose
//! weight is below e^{−(ln P + 37)} of the running maximum are skipped: together they carry less
//! than e^{−37} ≈ 1e-16 of the softmax mass. Patterns are stored in f32, rows padded to a
//! multiple of 8. Nothing is allocated inside the step loop.
//!
//! Parallelism: at most `in_flight` samples run at once (one pattern store each, bounding
//! memory), pulling sample indices from a shared counter; results are reduced in sample order,
//! so they are bit-identical for any number of threads.

use super::kernel::{observe, step_tail, stream, Pass, PassBuffers, BLOCK};
use super::params::store_too_large;
pub use super::params::{initial_state, SampleResult, SimParams, Start, DEFAULT_MEMORY_LIMIT};
use crate::ensembles::{sample_rng, PatternSampler};
use crate::error::{try_vec, EngramError, Result};

/// Per-worker buffers, allocated once (fallibly) and reused for every sample.
pub struct Workspace {
    patterns: Vec<f32>,
    x: Vec<f64>,
    xf: Vec<f32>,
    acc: Vec<f64>,
    block_acc: Vec<f32>,
    logits: [f64; BLOCK],
    energy_trace: Option<Vec<f64>>,
}

impl Workspace {
    /// Entries of the pattern store, P·stride (f64: P may exceed usize for absurd α·N).
    fn store_entries(p: &SimParams) -> f64 {
        p.patterns_f64() * p.stride() as f64
    }

    /// Bytes [`Workspace::new`] allocates for point `p`: the pattern store (P·stride f32) and
    /// four state vectors of `stride` entries (f64, f32, f64, f32) and the block logits. The
    /// memory estimate of a sample is this number (the same layout that allocates).
    pub fn bytes(p: &SimParams) -> f64 {
        let vectors =
            p.stride() * (2 * std::mem::size_of::<f64>() + 2 * std::mem::size_of::<f32>());
        Self::store_entries(p) * std::mem::size_of::<f32>() as f64
            + (vectors + BLOCK * std::mem::size_of::<f64>()) as f64
    }

    /// Allocate the buffers for parameters `p` (fails cleanly, with `OutOfMemory`, if memory
    /// is short).
    pub fn new(p: &SimParams) -> Result<Self> {
        let stride = p.stride();
        Ok(Self {
            patterns: try_vec(Self::store_entries(p) as usize, 0f32, "pattern store")?,
            x: vec![0.0; stride],
            xf: vec![0.0; stride],
            acc: vec![0.0; stride],
            block_acc: vec![0.0; stride],
            logits: [0.0; BLOCK],
            energy_trace: None,
        })
    }

    /// Record E/N at every step of the next samples (for tests of monotone descent).
    pub fn record_energy(&mut self, on: bool) {
        self.energy_trace = on.then(Vec::new);
    }

    /// The energies recorded by the last sample.
    pub fn energy_trace(&self) -> &[f64] {
        self.energy_trace.as_deref().unwrap_or(&[])
    }
}

/// Run one sample with index `sample` (patterns and initial noise from stream (seed, sample)).
pub fn run_sample<E: PatternSampler + ?Sized>(
    ens: &E,
    p: &SimParams,
    sample: u64,
    ws: &mut Workspace,
) -> SampleResult {
    let mut rng = sample_rng(p.seed, sample);
    ws.load_patterns(ens, p, &mut rng);
    ws.reset_state(p, &mut rng);
    ws.descend(p)
}

impl Workspace {
    /// Draw the P patterns of a sample from `rng` into the store (rows padded with zeros).
    pub fn load_patterns<E: PatternSampler + ?Sized>(
        &mut self,
        ens: &E,
        p: &SimParams,
        rng: &mut rand_chacha::ChaCha8Rng,
    ) {
        let (n, stride, pc) = (p.n, p.stride(), p.patterns_f64() as usize);
        let rows = &mut self.patterns;
        // the default sampler and the hidden manifold's cannot fail
        let _ = ens.sample_store(rng, n, pc, &mut |mu, pat| {
            rows[mu * stride..mu * stride + n].copy_from_slice(pat);
            Ok(())
        });
    }

    /// Load the P patterns from `rows` (P × N, row-major, unpadded; row 0 is ξ¹). For replaying a
    /// target of a K-target store alone: put its pattern in row 0.
    pub fn load_rows(&mut self, p: &SimParams, rows: &[f32]) {
        let (n, stride) = (p.n, p.stride());
        for (dst, src) in self
            .patterns
            .chunks_exact_mut(stride)
            .zip(rows.chunks_exact(n))
        {
            dst[..n].copy_from_slice(src);
        }
    }

    /// Set the state x (length N) before [`Workspace::descend`].
    pub fn set_state(&mut self, x: &[f64]) {
        self.x[..x.len()].copy_from_slice(x);
    }

    /// Set the initial state of the loaded patterns' sample (x₀ = ξ¹ or the cosine start).
    pub fn reset_state(&mut self, p: &SimParams, rng: &mut rand_chacha::ChaCha8Rng) {
        let n = p.n;
        initial_state(p.start, &self.patterns[..n], rng, &mut self.x[..n]);
    }

    /// Gradient descent from the state in the workspace with the loaded patterns; ξ¹ is row 0.
    pub fn descend(&mut self, p: &SimParams) -> SampleResult {
        let ws = self;
        let (n, stride, pc) = (p.n, p.stride(), p.patterns_f64() as usize);
        let nf = n as f64;
        let cutoff = (pc as f64).ln() + 37.0;
        let mut phi_emp = f64::NAN;
        let mut energy = f64::NAN;
        let mut steps = 0;
        let mut converged = false;
        if let Some(t) = ws.energy_trace.as_mut() {
            t.clear();
        }
        while steps < p.max_steps {
            for (f, &x) in ws.xf.iter_mut().zip(ws.x.iter()) {
                *f = x as f32;
            }
            // patterns μ ≥ 2 (rows 1..P) stream; ξ¹ (row 0) is added exactly afterwards
            let pass = Pass {
                patterns: &ws.patterns,
                stride,
                rows: 1..pc,
                xf: &ws.xf,
                lambda: p.lambda,
                cutoff,
            };
            let sm = stream(
                &pass,
                PassBuffers {
                    logits: &mut ws.logits,
                    acc: &mut ws.acc,
                    block_acc: &mut ws.block_acc,
                },
            );
            if steps == 0 {
                phi_emp = (sm.max + sm.sum.ln()) / nf;
            }
            let (acc, patterns) = (&ws.acc, &ws.patterns);
            let out = step_tail(
                p.lambda,
                p.eta,
                sm.max,
                sm.sum,
                &mut ws.x[..n],
                |i| patterns[i] as f64,
                |i| acc[i],
                |_, _| {},
            );
            energy = out.energy;
            if let Some(t) = ws.energy_trace.as_mut() {
                t.push(energy);
            }
            let dx2 = out.dx2;
            steps += 1;
            if (dx2 / nf).sqrt() < p.xtol {
                converged = true;
                break;
            }
        }
        let patterns = &ws.patterns;
        let (delta0, overlap) = observe(&ws.x[..n], |i| patterns[i] as f64);
        SampleResult {
            delta0,
            overlap,
            steps,
            converged,
            energy,
            phi_emp,
        }
    }
}

/// How many samples may be in flight for a memory budget (bytes) and thread count; an error
/// with the estimate if not even one fits.
pub fn samples_in_flight(p: &SimParams, memory_limit: f64, threads: usize) -> Result<usize> {
    let per = Workspace::bytes(p);
    let fit = (memory_limit / per).floor();
    if fit < 1.0 {
        return Err(store_too_large(p, per, "per sample", memory_limit));
    }
    Ok((fit as usize).min(threads.max(1)))
}

/// Run `samples` samples of point `p` on the current rayon pool, at most `in_flight` at once;
/// `progress` is called after each finished sample. Results are in sample order.
pub fn simulate_samples<E: PatternSampler + ?Sized>(
    ens: &E,
    p: &SimParams,
    samples: usize,
    memory_limit: f64,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<SampleResult>> {
    p.validate()?;
    if samples == 0 {
        return Err(EngramError::InvalidParameter {
            name: "samples",
            value: "0".into(),
            allowed: "a whole number >= 1",
        });
    }
    let in_flight = samples_in_flight(p, memory_limit, rayon::current_num_threads())?.min(samples);
    crate::parallel::ordered_workers(
        samples,
        in_flight,
        || Workspace::new(p),
        |ws, i| {
            let r = run_sample(ens, p, i as u64, ws);
            progress();
            Ok(r)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The memory estimate of a sample is what `Workspace::new` allocates: the sum of its
    /// buffers' lengths times their element sizes, counted on the allocated object.
    #[test]
    fn bytes_is_what_new_allocates() {
        for (n, alpha) in [(12usize, 0.3), (33, 0.2), (64, 0.1)] {
            let p = SimParams::protocol(n, alpha, 0.5, 1);
            let ws = Workspace::new(&p).unwrap();
            let held = ws.patterns.len() * 4
                + ws.x.len() * 8
                + ws.xf.len() * 4
                + ws.acc.len() * 8
                + ws.block_acc.len() * 4
                + ws.logits.len() * 8;
            assert_eq!(
                Workspace::bytes(&p),
                held as f64,
                "N = {n}, alpha = {alpha}"
            );
        }
    }
}
