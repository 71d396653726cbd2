//! Issue #4 speed target: the IDP SDE at N = 4096, P = 10 (Euler–Maruyama, tanh β = 10,
//! σ = 0.5, orthogonal memories) in neuron-steps per second on one core, beside the noise-free
//! step (the cost of the Gaussian stream) and a naive step that builds W Ψ(x) from the dense
//! N×N matrix (the O(N²) reference the low-rank field avoids), all in one run.
//!
//! Run: cargo bench --bench idp

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::SeedableRng;

use engram::idp::sim::{memories, FastLayer, MemoryKind, SdeParams};
use engram::idp::Activation;

const N: usize = 4096;
const P: usize = 10;
const STEPS: usize = 100;

fn params(sigma: f64) -> SdeParams {
    SdeParams {
        n: N,
        p: P,
        memories: MemoryKind::Orthogonal,
        activation: Activation::tanh(10.0).unwrap(),
        sigma,
        dt: 0.01,
        t_max: 1.0,
        record_every: 1,
        seed: 1,
        classic: false,
    }
}

fn sde(c: &mut Criterion) {
    let mut g = c.benchmark_group("idp_sde");
    g.throughput(Throughput::Elements((N * STEPS) as u64));
    g.sample_size(20);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let xi = memories(MemoryKind::Orthogonal, N, P, &mut rng).unwrap();
    let sal: Vec<f64> = (0..P).map(|m| if m == 0 { 1.0 } else { 0.3 }).collect();
    for (name, sigma) in [("low_rank_sigma_0.5", 0.5), ("low_rank_sigma_0", 0.0)] {
        let p = params(sigma);
        let mut layer = FastLayer::new(&p, xi.clone());
        let mut x: Vec<f64> = xi[..N].to_vec();
        g.bench_function(name, |b| {
            b.iter(|| {
                for _ in 0..STEPS {
                    layer.step(&mut x, &sal, &mut rng);
                }
                x[0]
            })
        });
    }
    // dense reference: W built once (N² f64 = 128 MiB), W Ψ(x) per step
    let mut w = vec![0.0f64; N * N];
    for mu in 0..P {
        for i in 0..N {
            let a = sal[mu] * xi[mu * N + i] / N as f64;
            for j in 0..N {
                w[i * N + j] += a * xi[mu * N + j];
            }
        }
    }
    for i in 0..N {
        w[i * N + i] = 0.0;
    }
    let act = Activation::tanh(10.0).unwrap();
    let mut x: Vec<f64> = xi[..N].to_vec();
    let mut psi = vec![0.0; N];
    g.throughput(Throughput::Elements((N * 10) as u64));
    g.bench_function("dense_matrix_10_steps", |b| {
        b.iter(|| {
            for _ in 0..10 {
                for (o, &v) in psi.iter_mut().zip(&x) {
                    *o = act.psi(v);
                }
                for i in 0..N {
                    let h: f64 = w[i * N..(i + 1) * N]
                        .iter()
                        .zip(&psi)
                        .map(|(a, b)| a * b)
                        .sum();
                    x[i] += 0.01 * (-x[i] + h);
                }
            }
            x[0]
        })
    });
    g.finish();
}

criterion_group!(benches, sde);
criterion_main!(benches);
