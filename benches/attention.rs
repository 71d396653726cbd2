//! Issue #11 speed, all in one run, at N = 60, α = 0.2, λ = 0.3 (P = 162755), K = 64 targets
//! per store:
//!
//! 1. the machine's f32 FMA peak (a register-resident FMA loop, 1 and all threads);
//! 2. the tile kernel's useful arithmetic, 4·P·N flops per target-step (10 steps of 64 targets on
//!    one store), as GFLOP/s and as a fraction of that peak;
//! 3. the full protocol (patterns, dynamics to convergence, all threads) per retrieval target,
//!    for K = 64 and for the single-target path;
//! 4. the numpy references, run as subprocesses in the same run: `benches/numpy_baseline.py`
//!    (single target, f64, as in issue #3) and `benches/numpy_ktarget.py` (the same K-target
//!    protocol in float32 as a user writes it). Needs `pip install -r benches/requirements.txt`.
//!
//! Prints a table with the three ratios of the issue, then runs the criterion groups.
//! Run: cargo bench --bench attention

use std::process::Command;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use engram::dam::batch::{prepare_store, run_store, Batch, Store, Targets, Tile};
use engram::dam::params::SimParams;
use engram::dam::summary::simulate_batch;
use engram::ensembles::Gaussian;

const N: usize = 60;
const ALPHA: f64 = 0.2;
const LAMBDA: f64 = 0.3;
const K: usize = 64;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// f32 FMA throughput of one thread: 12 independent 8-lane FMA chains, 2 flops per lane.
fn peak_one_thread(iters: usize) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if engram::dam::kernel::has_avx2_fma() {
        #[target_feature(enable = "avx2,fma")]
        unsafe fn run(iters: usize) -> f32 {
            use std::arch::x86_64::*;
            let mut a = [_mm256_set1_ps(1.0); 12];
            let (b, c) = (_mm256_set1_ps(0.999_999), _mm256_set1_ps(1e-7));
            for _ in 0..iters {
                for v in a.iter_mut() {
                    *v = _mm256_fmadd_ps(*v, b, c);
                }
            }
            let mut s = _mm256_setzero_ps();
            for v in a {
                s = _mm256_add_ps(s, v);
            }
            let mut o = [0f32; 8];
            _mm256_storeu_ps(o.as_mut_ptr(), s);
            o.iter().sum()
        }
        let t = Instant::now();
        // SAFETY: AVX2 and FMA checked above.
        std::hint::black_box(unsafe { run(iters) });
        return (iters * 12 * 16) as f64 / t.elapsed().as_secs_f64() / 1e9;
    }
    f64::NAN
}

fn peak(threads: usize) -> f64 {
    use rayon::prelude::*;
    let iters = 100_000_000;
    median(
        (0..3)
            .map(|_| {
                (0..threads)
                    .into_par_iter()
                    .map(|_| peak_one_thread(iters))
                    .sum::<f64>()
            })
            .collect(),
    )
}

fn kernel_params() -> SimParams {
    SimParams {
        max_steps: 10,
        xtol: 1e-300,
        ..SimParams::protocol(N, ALPHA, LAMBDA, 1)
    }
}

/// Store 0 of the kernel benchmark with its K targets' initial states.
fn prepared_store(p: &SimParams) -> (Store, Vec<f64>) {
    let batch = Batch {
        targets: Targets::Count(K),
        ..Batch::default()
    };
    let mut store = Store::new(p, &batch).unwrap();
    let mut x0 = Vec::new();
    prepare_store(&Gaussian, p, &batch, 0, K, &mut store, &mut x0).unwrap();
    (store, x0)
}

/// Useful GFLOP/s of the tile kernel on `tiles` workers: 64 targets × 10 steps on one store.
fn kernel_gflops(tiles: usize) -> f64 {
    let p = kernel_params();
    let (store, x0) = prepared_store(&p);
    let mut t: Vec<Tile> = (0..tiles).map(|_| Tile::new(N)).collect();
    let flops = (K * 10) as f64 * 4.0 * store.patterns() as f64 * N as f64;
    median(
        (0..5)
            .map(|_| {
                let s = Instant::now();
                run_store(&store, &p, &x0, K, &mut t, &|| {}).unwrap();
                flops / s.elapsed().as_secs_f64() / 1e9
            })
            .collect(),
    )
}

/// Seconds per retrieval target of the full protocol (all threads).
fn protocol_seconds(batch: &Batch, samples: usize) -> (f64, f64) {
    let p = SimParams::protocol(N, ALPHA, LAMBDA, 1);
    let mut steps = 0.0;
    let t = median(
        (0..3)
            .map(|_| {
                let s = Instant::now();
                let r = simulate_batch(&Gaussian, &p, batch, samples, 8e9, &|| {}).unwrap();
                steps = r.steps.mean;
                s.elapsed().as_secs_f64() / samples as f64
            })
            .collect(),
    );
    (t, steps)
}

/// Run a numpy reference and read `key=value` from its output.
fn numpy(script: &str, args: &[&str], key: &str) -> Option<f64> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/");
    let out = Command::new("python3")
        .arg(format!("{path}{script}"))
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let v = text
        .split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}="))?.parse().ok());
    if v.is_none() {
        eprintln!(
            "{script}: no {key} (numpy missing? pip install -r benches/requirements.txt): {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
    }
    v
}

fn ratios(_: &mut Criterion) {
    let threads = rayon::current_num_threads();
    let (peak1, peak_all) = (peak(1), peak(threads));
    let (k1, k_all) = (kernel_gflops(1), kernel_gflops(threads));
    let batch = Batch {
        targets: Targets::Count(K),
        ..Batch::default()
    };
    let (t_k, steps_k) = protocol_seconds(&batch, 2 * K * threads);
    let (t_1, steps_1) = protocol_seconds(&Batch::default(), 4 * threads);
    let np1 = numpy(
        "numpy_baseline.py",
        &["60", "0.2", "0.3", "4"],
        "seconds_per_sample",
    );
    let npk = numpy(
        "numpy_ktarget.py",
        &["60", "0.2", "0.3", "64", "2"],
        "seconds_per_target",
    );
    let f = |x: Option<f64>| x.map_or("n/a".to_string(), |v| format!("{v:.4}"));
    let r = |x: Option<f64>| x.map_or("n/a".to_string(), |v| format!("{:.1}×", v / t_k));
    println!(
        "\n# issue #11 ratios (N = {N}, α = {ALPHA}, λ = {LAMBDA}, K = {K}; {threads} threads)"
    );
    println!("| quantity | value |");
    println!("|---|---|");
    println!("| f32 FMA peak, 1 thread / {threads} threads | {peak1:.1} / {peak_all:.1} GFLOP/s |");
    println!(
        "| tile kernel, useful 4PN flops per target-step, 1 thread | {k1:.1} GFLOP/s = {:.0}% of peak |",
        100.0 * k1 / peak1
    );
    println!(
        "| tile kernel, {threads} threads (tiles share one store) | {k_all:.1} GFLOP/s = {:.0}% of peak |",
        100.0 * k_all / peak_all
    );
    println!("| engram K = {K}, s per target (mean steps {steps_k:.1}) | {t_k:.5} |");
    println!("| engram K = 1, s per target (mean steps {steps_1:.1}) | {t_1:.5} |");
    println!(
        "| numpy single target (numpy_baseline.py), s per target | {} |",
        f(np1)
    );
    println!(
        "| numpy K = {K} float32 (numpy_ktarget.py), s per target | {} |",
        f(npk)
    );
    println!("| **engram K = {K} vs numpy single target** | {} |", r(np1));
    println!("| **engram K = {K} vs numpy K = {K}** | {} |", r(npk));
    println!("| engram K = {K} vs engram K = 1 | {:.1}× |", t_1 / t_k);
    println!();
}

fn kernel(c: &mut Criterion) {
    let p = kernel_params();
    let (store, x0) = prepared_store(&p);
    let mut tiles = [Tile::new(N)];
    let mut g = c.benchmark_group("attention_kernel");
    g.sample_size(10);
    g.throughput(Throughput::Elements(
        ((K * 10) as f64 * 4.0 * store.patterns() as f64 * N as f64) as u64,
    ));
    g.bench_function("64_targets_10_steps_1thread_flops", |b| {
        b.iter(|| run_store(&store, &p, &x0, K, &mut tiles, &|| {}).unwrap())
    });
    g.finish();
}

criterion_group!(benches, ratios, kernel);
criterion_main!(benches);
