//! Issue #6 speed: asynchronous zero-temperature spin updates per second with incremental
//! overlaps (O(P) per update), for the Hebbian network (F = x², N = 2000, P = 0.1N) and the
//! exponential DAM (N = 40, P = e^{0.2N} ≈ 3000, log domain), against a naive update that
//! recomputes every overlap (O(NP)) in the same run.
//!
//! Run: cargo bench --bench kh

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::SeedableRng;

use engram::hopfield::{naive_update, random_spins, sweep, Interaction};

fn setup(n: usize, p: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let rows: Vec<f64> = (0..p).flat_map(|_| random_spins(&mut r, n)).collect();
    let mut cm = vec![0.0; n * p];
    for mu in 0..p {
        for i in 0..n {
            cm[i * p + mu] = rows[mu * n + i];
        }
    }
    let sigma = random_spins(&mut r, n);
    let m: Vec<f64> = (0..p)
        .map(|mu| (0..n).map(|i| rows[mu * n + i] * sigma[i]).sum())
        .collect();
    (rows, cm, sigma, m)
}

fn spins(c: &mut Criterion) {
    let mut g = c.benchmark_group("async_updates");
    g.sample_size(20);
    for (name, n, p, f) in [
        (
            "hebbian_N2000_P200",
            2000usize,
            200usize,
            Interaction::Power(2),
        ),
        ("exp_N40_P2981", 40, 2981, Interaction::Exp),
    ] {
        let (_, cm, mut sigma, mut m) = setup(n, p);
        let order: Vec<usize> = (0..n).collect();
        let mut a = vec![0.0; p];
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("incremental_{name}"), |b| {
            b.iter(|| sweep(f, &cm, p, &mut sigma, &mut m, &order, &mut a))
        });
    }
    let (rows, _, mut sigma, _) = setup(2000, 200);
    g.throughput(Throughput::Elements(20));
    g.bench_function("naive_hebbian_N2000_P200_20_updates", |b| {
        b.iter(|| {
            for i in 0..20 {
                naive_update(Interaction::Power(2), &rows, 2000, &mut sigma, i);
            }
        })
    });
    g.finish();
}

criterion_group!(benches, spins);
criterion_main!(benches);
