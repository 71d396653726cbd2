//! Issue #2 speed target: a 20,000-point α₁ + α_c sweep through the generic (trait-only) path,
//! parallel with rayon, against two references measured in the same run: the same generic code
//! on one thread, and the gaussian closed forms (α_c's norm channel still needs one root).
//!
//! A second group times α₁ over 2,000 λ for i.i.d. marginals.
//!
//! Run: cargo bench --bench thresholds

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rayon::prelude::*;

use engram::dam::closed_form::gaussian as cf;
use engram::dam::DamTheory;
use engram::ensembles::{EnsembleKind, PatternEnsemble};
use engram::numerics::brent_root;

const POINTS: usize = 20_000;

fn lambdas() -> Vec<f64> {
    // log-spaced over the domain λ ∈ [1e-3, 1e3]
    (0..POINTS)
        .map(|i| 10f64.powf(-3.0 + 6.0 * i as f64 / (POINTS - 1) as f64))
        .collect()
}

fn sweep_generic<E: PatternEnsemble + ?Sized>(
    th: &DamTheory<E>,
    ls: &[f64],
    parallel: bool,
) -> f64 {
    let f = |&l: &f64| {
        let t = th.thresholds(l).unwrap();
        t.alpha_1 + t.alpha_c.bound
    };
    if parallel {
        ls.par_iter().map(f).sum()
    } else {
        ls.iter().map(f).sum()
    }
}

fn sweep_closed_form(ls: &[f64]) -> f64 {
    ls.iter()
        .map(|&l| {
            let a1 = cf::alpha_1(l);
            let h = |a: f64| cf::norm_rate(cf::rho_f(a, l)) - a;
            let norm = brent_root(h, 1e-300, a1, 0.0).unwrap();
            a1 + norm.min(cf::ALPHA_PAIR)
        })
        .sum()
}

fn bench(c: &mut Criterion) {
    let ls = lambdas();
    let mut g = c.benchmark_group("alpha1_alphac_sweep_20k");
    g.throughput(Throughput::Elements(POINTS as u64));
    g.sample_size(20);
    for kind in [
        EnsembleKind::Gaussian,
        EnsembleKind::Spherical,
        EnsembleKind::Binary,
    ] {
        let th = DamTheory::new(kind.ensemble()).unwrap();
        g.bench_with_input(BenchmarkId::new("generic_rayon", kind), &ls, |b, ls| {
            b.iter(|| sweep_generic(&th, ls, true))
        });
        g.bench_with_input(BenchmarkId::new("generic_serial", kind), &ls, |b, ls| {
            b.iter(|| sweep_generic(&th, ls, false))
        });
    }
    g.bench_with_input(
        BenchmarkId::new("closed_form_serial", "gaussian"),
        &ls,
        |b, ls| b.iter(|| sweep_closed_form(ls)),
    );
    g.finish();

    // i.i.d. marginals (docs/theory.md#iid): α₁ over 2,000 log-spaced λ, rayon; the uniform
    // marginal pays a Gauss–Legendre quadrature per Λ evaluation, discrete ones exact sums
    let ls2: Vec<f64> = (0..2000)
        .map(|i| 10f64.powf(-3.0 + 6.0 * i as f64 / 1999.0))
        .collect();
    let mut g = c.benchmark_group("iid_alpha1_sweep_2k");
    g.throughput(Throughput::Elements(ls2.len() as u64));
    g.sample_size(10);
    for name in ["uniform", "ternary:0.1", "iid:0,1,3:0.5,0.3,0.2"] {
        let kind: EnsembleKind = name.parse().unwrap();
        let th = DamTheory::new(kind.ensemble()).unwrap();
        g.bench_with_input(BenchmarkId::new("alpha_1_rayon", name), &ls2, |b, ls| {
            b.iter(|| {
                ls.par_iter()
                    .map(|&l| th.alpha_1(l).unwrap().0)
                    .sum::<f64>()
            })
        });
    }
    g.finish();

    // hidden-manifold patterns (docs/theory.md#hidden-manifold): α₁ over 2,000 λ evenly spaced
    // in [0.05, 3], rayon, as `engram dam thresholds --lambda 0.05:3:2000` sweeps them; each λ
    // is a replica-symmetric saddle point (quadrature passes warm-started along the sweep)
    let ls3: Vec<f64> = (0..2000).map(|i| 0.05 + 2.95 * i as f64 / 1999.0).collect();
    let mut g = c.benchmark_group("hidden_manifold_alpha1_sweep_2k");
    g.throughput(Throughput::Elements(ls3.len() as u64));
    g.sample_size(10);
    g.measurement_time(std::time::Duration::from_secs(30));
    for name in [
        "hmm:linear:0.5",
        "hmm:sign:1",
        "hmm:tanh:0.5",
        "hmm:relu:0.5",
    ] {
        let kind: EnsembleKind = name.parse().unwrap();
        let th = DamTheory::new(kind.ensemble()).unwrap();
        g.bench_with_input(BenchmarkId::new("alpha_1_rayon", name), &ls3, |b, ls| {
            b.iter(|| {
                ls.par_iter()
                    .map(|&l| th.alpha_1(l).unwrap().0)
                    .sum::<f64>()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
