//! The finite-N map (docs/theory.md#fold): one draw's critical load, streamed (one pass over the
//! overlaps with Chebyshev interpolants) against the direct method (every map step sums over
//! the stored overlaps), gaussian λ = 0.1 with ξ¹ planted at ρ = 1 so every draw streams the
//! same number of overlaps. Throughput is in the overlaps of one draw's window for both, so
//! the ratio of the two rates is the speed-up per draw (the direct method sums the prefix once
//! per map step and per bisection step).
//!
//! Run: cargo bench --bench finite_size

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use engram::dam::fss::{MapDynamics, MapSample};
use engram::ensembles::{sample_rng, EnsembleKind};

fn draw(n: usize, s: u64) -> MapSample {
    MapSample::new(EnsembleKind::Gaussian, n, 0.1, Some(1.0), sample_rng(9, s))
}

fn bench(c: &mut Criterion) {
    let d = MapDynamics::protocol();
    let kind = EnsembleKind::Gaussian;
    let mut g = c.benchmark_group("finite_n_map");
    g.sample_size(10);
    for n in [100usize, 175] {
        // overlaps one streamed draw generates: its window's upper end, e^{(g + 1/N)N}
        let guess = engram::dam::fss::ReducedMap::new(kind.ensemble(), n, 0.1, 1.0)
            .unwrap()
            .critical_load(&d)
            .unwrap();
        let streamed = ((guess + 1.0 / n as f64) * n as f64).exp();
        g.throughput(Throughput::Elements(streamed as u64));
        g.bench_function(format!("streamed_n{n}"), |b| {
            let mut s = 0;
            b.iter(|| {
                s += 1;
                draw(n, s)
                    .critical_load_streamed(kind, &d, 1 << 34)
                    .unwrap()
            })
        });
        g.bench_function(format!("direct_n{n}"), |b| {
            let mut s = 0;
            b.iter(|| {
                s += 1;
                draw(n, s).critical_load_direct(kind, &d, 1 << 34).unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
