//! Issue #3 speed: the DAM simulator at N = 60, α = 0.2, λ = 0.30 (P = 162755), measured in one
//! run against (a) the machine's memory bandwidth (STREAM-like copy and read of 512 MiB) and
//! (b) an in-process baseline with the straightforward algorithm a numpy user writes
//! (f64 patterns, two passes per step: logits = Ξx, softmax, Ξᵀw). numpy itself:
//! `python3 benches/numpy_baseline.py 60 0.2 0.3 20`.
//!
//! Run: cargo bench --bench simulator

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rayon::prelude::*;

use engram::dam::sim::{simulate_samples, SimParams, Workspace, DEFAULT_MEMORY_LIMIT};
use engram::ensembles::{sample_rng, Gaussian, PatternSampler};

const N: usize = 60;
const ALPHA: f64 = 0.2;
const LAMBDA: f64 = 0.3;
const STEPS: usize = 10;

fn params() -> SimParams {
    SimParams::protocol(N, ALPHA, LAMBDA, 1)
}

fn bandwidth(c: &mut Criterion) {
    let len = 128 << 20; // 128 Mi f32 = 512 MiB
    let src = vec![1.0f32; len];
    let mut dst = vec![0.0f32; len];
    let mut g = c.benchmark_group("memory");
    g.sample_size(10);
    g.throughput(Throughput::Bytes((2 * 4 * len) as u64));
    g.bench_function("stream_copy_1thread", |b| {
        b.iter(|| dst.copy_from_slice(&src))
    });
    g.bench_function("stream_copy_2threads", |b| {
        b.iter(|| {
            dst.par_chunks_mut(len / 2)
                .zip(src.par_chunks(len / 2))
                .for_each(|(d, s)| d.copy_from_slice(s))
        })
    });
    g.throughput(Throughput::Bytes((4 * len) as u64));
    g.bench_function("read_sum_1thread", |b| {
        b.iter(|| {
            let mut acc = [0f32; 16];
            for ch in src.chunks_exact(16) {
                for k in 0..16 {
                    acc[k] += ch[k];
                }
            }
            acc.iter().sum::<f32>()
        })
    });
    g.finish();
}

fn kernel(c: &mut Criterion) {
    let p = SimParams {
        max_steps: STEPS,
        xtol: 1e-300,
        ..params()
    };
    let pc = p.patterns_f64() as usize;
    let mut ws = Workspace::new(&p).unwrap();
    let mut rng = sample_rng(1, 0);
    ws.load_patterns(&Gaussian, &p, &mut rng);
    let mut g = c.benchmark_group("dam_kernel");
    g.sample_size(10);
    g.throughput(Throughput::Bytes((pc * p.stride() * 4 * STEPS) as u64));
    g.bench_function("engram_10_steps_1thread", |b| {
        b.iter(|| {
            let mut r = sample_rng(1, 0);
            ws.reset_state(&p, &mut r);
            ws.descend(&p)
        })
    });
    // baseline: f64 store, two passes per step
    let mut x64 = vec![0f64; pc * N];
    let mut r = sample_rng(1, 0);
    for row in x64.chunks_exact_mut(N) {
        let mut buf = [0f32; N];
        Gaussian.sample_pattern(&mut r, &mut buf);
        for (a, b) in row.iter_mut().zip(buf) {
            *a = b as f64;
        }
    }
    let mut logits = vec![0f64; pc];
    g.throughput(Throughput::Bytes((pc * N * 8 * STEPS) as u64));
    g.bench_function("two_pass_f64_10_steps_1thread", |b| {
        b.iter(|| {
            let mut x: Vec<f64> = x64[..N].to_vec();
            for _ in 0..STEPS {
                for (l, row) in logits.iter_mut().zip(x64.chunks_exact(N)) {
                    *l = LAMBDA * row.iter().zip(&x).map(|(a, b)| a * b).sum::<f64>();
                }
                let m = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let mut s = 0.0;
                for l in logits.iter_mut() {
                    *l = (*l - m).exp();
                    s += *l;
                }
                let mut t = vec![0f64; N];
                for (w, row) in logits.iter().zip(x64.chunks_exact(N)) {
                    for (ti, xi) in t.iter_mut().zip(row) {
                        *ti += w * xi;
                    }
                }
                for i in 0..N {
                    x[i] -= 0.5 * (x[i] - t[i] / s);
                }
            }
            x
        })
    });
    g.finish();

    let mut g = c.benchmark_group("dam_patterns");
    g.sample_size(10);
    g.throughput(Throughput::Elements((pc * N) as u64));
    g.bench_function("generate_gaussian_1thread", |b| {
        b.iter(|| {
            let mut r = sample_rng(1, 0);
            ws.load_patterns(&Gaussian, &p, &mut r)
        })
    });
    g.finish();
}

fn samples(c: &mut Criterion) {
    let p = params();
    let mut g = c.benchmark_group("dam_sample");
    g.sample_size(10);
    g.throughput(Throughput::Elements(8));
    g.bench_function("protocol_8_samples_all_threads", |b| {
        b.iter(|| simulate_samples(&Gaussian, &p, 8, DEFAULT_MEMORY_LIMIT, &|| {}).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bandwidth, kernel, samples);
criterion_main!(benches);
