//! K-target engine: every target's trajectory equals the single-target run on the same store
//! (to f32 rounding), results do not depend on threads or store format where the values agree,
//! planted norms, refusals with estimates, and cluster-robust errors against repetitions.

use engram::dam::batch::{
    prepare_store, run_store, simulate_targets, Batch, Precision, Store, Streams, Targets, Tile,
};
use engram::dam::params::{SimParams, Start};
use engram::dam::sim::Workspace;
use engram::dam::summary::simulate_batch;
use engram::ensembles::EnsembleKind;
use engram::stats::cluster_mean_se;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

fn quiet() {}

/// Tolerance of the exactness test: the K-target tile and the single-target stream sum the same
/// f32 products in different orders (and with FMA); observed differences are ~1e-7 relative,
/// so 1e-4 on Δ₀ and m, and at most 2 steps on the count, leave room for the accumulation over a
/// trajectory without hiding a real difference (a wrong mask or a missing pattern shifts Δ₀ by
/// far more).
const TOL: f64 = 1e-4;

fn replay_alone(
    kind: EnsembleKind,
    p: &SimParams,
    batch: &Batch,
    k: usize,
) -> (
    Vec<engram::dam::sim::SampleResult>,
    Vec<engram::dam::sim::SampleResult>,
) {
    let ens = kind.sampler();
    let n = p.n;
    let mut store = Store::new(p, batch).unwrap();
    let mut x0 = Vec::new();
    prepare_store(ens, p, batch, 3, k, &mut store, &mut x0).unwrap();
    let mut tiles = [Tile::new(n), Tile::new(n)];
    let multi = run_store(&store, p, &x0, k, &mut tiles, &quiet).unwrap();
    let pc = store.patterns();
    let mut rows = vec![0f32; pc * n];
    let mut ws = Workspace::new(p).unwrap();
    let mut alone = Vec::new();
    for t in 0..k {
        // row 0 = ξ^t, then every other pattern
        let mut r = 1;
        for mu in 0..pc {
            let dst = if mu == t { 0 } else { r };
            store.row_into(mu, &mut rows[dst * n..(dst + 1) * n]);
            if mu != t {
                r += 1;
            }
        }
        ws.load_rows(p, &rows);
        ws.set_state(&x0[t * n..(t + 1) * n]);
        alone.push(ws.descend(p));
    }
    (multi, alone)
}

fn assert_close(
    multi: &[engram::dam::sim::SampleResult],
    alone: &[engram::dam::sim::SampleResult],
) {
    let mut worst: f64 = 0.0;
    for (t, (a, b)) in multi.iter().zip(alone).enumerate() {
        worst = worst.max((a.delta0 - b.delta0).abs());
        assert!(
            (a.delta0 - b.delta0).abs() < TOL,
            "target {t}: {a:?} vs {b:?}"
        );
        assert!(
            (a.overlap - b.overlap).abs() < TOL,
            "target {t}: {a:?} vs {b:?}"
        );
        assert!(
            (a.energy - b.energy).abs() < TOL,
            "target {t}: {a:?} vs {b:?}"
        );
        assert!(
            (a.phi_emp - b.phi_emp).abs() < TOL,
            "target {t}: {a:?} vs {b:?}"
        );
        assert!(a.steps.abs_diff(b.steps) <= 2, "target {t}: {a:?} vs {b:?}");
        assert_eq!(a.converged, b.converged, "target {t}");
    }
    eprintln!("largest |Δ₀ difference| = {worst:.2e}");
}

/// Every target of a store (more targets than two tiles hold, so slots are refilled) equals its
/// trajectory computed alone by the single-target kernel, for pattern and cosine starts, in the
/// retrieval and the non-retrieval regime, and for an f16 store (its rounded values are the
/// patterns).
#[test]
fn each_target_equals_its_single_target_run() {
    for &(kind, n, alpha, lambda, start, precision) in &[
        (
            EnsembleKind::Gaussian,
            24,
            0.15,
            1.0,
            Start::Pattern,
            Precision::F32,
        ),
        (
            EnsembleKind::Gaussian,
            20,
            0.3,
            0.3,
            Start::Pattern,
            Precision::F32,
        ),
        (
            EnsembleKind::Spherical,
            30,
            0.12,
            0.8,
            Start::Cosine {
                cosine: 0.6,
                r: 1.0,
            },
            Precision::F32,
        ),
        (
            EnsembleKind::Gaussian,
            24,
            0.15,
            1.0,
            Start::Pattern,
            Precision::F16,
        ),
        (
            EnsembleKind::Binary,
            25,
            0.15,
            0.6,
            Start::Pattern,
            Precision::I8,
        ),
    ] {
        let p = SimParams {
            start,
            ..SimParams::protocol(n, alpha, lambda, 11)
        };
        let batch = Batch {
            targets: Targets::Count(37),
            precision,
            ..Batch::default()
        };
        let (multi, alone) = replay_alone(kind, &p, &batch, 37);
        assert_close(&multi, &alone);
    }
}

/// Planted targets: every target has the requested norm, the other patterns are untouched.
#[test]
fn planted_targets_have_the_requested_norm() {
    let p = SimParams::protocol(40, 0.1, 0.5, 2);
    for rho in [0.6, 1.4] {
        let batch = Batch {
            targets: Targets::Count(8),
            target_norm: Some(rho),
            ..Batch::default()
        };
        let r = simulate_targets(
            EnsembleKind::Gaussian.sampler(),
            &p,
            &batch,
            16,
            1e9,
            &quiet,
        )
        .unwrap();
        assert_eq!(r.len(), 16);
        for t in &r {
            assert!((t.rho - rho).abs() < 1e-5, "{t:?}");
        }
    }
    // untouched rows: the same stream without planting has the same non-target rows
    let mut a = Store::new(&p, &Batch::default()).unwrap();
    let mut b = Store::new(&p, &Batch::default()).unwrap();
    let (mut x0, mut x1) = (Vec::new(), Vec::new());
    let ens = EnsembleKind::Gaussian.sampler();
    let planted = Batch {
        target_norm: Some(2.0),
        targets: Targets::Count(3),
        ..Batch::default()
    };
    prepare_store(ens, &p, &Batch::default(), 0, 3, &mut a, &mut x0).unwrap();
    prepare_store(ens, &p, &planted, 0, 3, &mut b, &mut x1).unwrap();
    let (mut ra, mut rb) = (vec![0f32; 40], vec![0f32; 40]);
    for mu in 3..a.patterns() {
        a.row_into(mu, &mut ra);
        b.row_into(mu, &mut rb);
        assert_eq!(ra, rb);
    }
}

/// A planted large norm is retrieved where a planted small norm fails (gaussian, α well above
/// α₁(λ) of a typical pattern for the small norm, below it for the large one).
#[test]
fn planted_norm_decides_retrieval() {
    let p = SimParams::protocol(40, 0.3, 0.5, 5);
    let run = |rho: f64| {
        let batch = Batch {
            targets: Targets::Count(32),
            target_norm: Some(rho),
            ..Batch::default()
        };
        simulate_batch(
            EnsembleKind::Gaussian.sampler(),
            &p,
            &batch,
            64,
            4e9,
            &quiet,
        )
        .unwrap()
        .retrieved
        .p
    };
    let (small, large) = (run(0.5), run(2.0));
    assert!(small < 0.2 && large > 0.8, "{small} {large}");
}

/// Results do not depend on the number of threads (rayon over stores and over tiles).
#[test]
fn results_do_not_depend_on_threads() {
    let p = SimParams::protocol(30, 0.2, 0.4, 9);
    let batch = Batch {
        targets: Targets::Count(20),
        ..Batch::default()
    };
    let run = |threads: usize, memory: f64| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                simulate_targets(
                    EnsembleKind::Gaussian.sampler(),
                    &p,
                    &batch,
                    50,
                    memory,
                    &quiet,
                )
                .unwrap()
            })
    };
    let one = run(1, 1e9);
    let per = batch.bytes_per_store(&p);
    // two threads owning a store each, and two threads sharing one store (tight memory)
    assert_eq!(one, run(2, 1e9));
    assert_eq!(one, run(2, 1.5 * per));
}

/// ±1 patterns are exact in f32 and i8: both stores give the same results bit for bit.
#[test]
fn i8_store_equals_f32_store_for_binary_patterns() {
    let p = SimParams::protocol(32, 0.2, 0.5, 4);
    let run = |precision| {
        let batch = Batch {
            targets: Targets::Count(16),
            precision,
            ..Batch::default()
        };
        simulate_targets(EnsembleKind::Binary.sampler(), &p, &batch, 32, 1e9, &quiet).unwrap()
    };
    assert_eq!(run(Precision::F32), run(Precision::I8));
}

/// Independent streams differ from shared ones and between points; shared streams reuse the
/// same patterns at every point.
#[test]
fn stream_modes() {
    let a = SimParams::protocol(20, 0.2, 0.5, 1);
    let b = SimParams::protocol(20, 0.2, 0.6, 1);
    let shared = Batch::default();
    let indep = Batch {
        streams: Streams::Independent,
        ..Batch::default()
    };
    assert_eq!(shared.stream_seed(&a), shared.stream_seed(&b));
    assert_ne!(indep.stream_seed(&a), indep.stream_seed(&b));
    assert_ne!(indep.stream_seed(&a), shared.stream_seed(&a));
}

/// Bad input: K = 0, K > P, ρ ≤ 0, i8 for a non-binary ensemble, `all` beyond the time
/// estimate, a store beyond the memory limit — one error each, naming the flag.
#[test]
fn bad_batches_are_errors() {
    let p = SimParams::protocol(20, 0.2, 0.5, 1);
    let g = EnsembleKind::Gaussian.sampler();
    let err = |b: Batch, mem: f64| {
        simulate_batch(g, &p, &b, 10, mem, &quiet)
            .unwrap_err()
            .to_string()
    };
    let d = Batch::default();
    assert!(err(
        Batch {
            targets: Targets::Count(0),
            ..d
        },
        1e9
    )
    .contains("targets"));
    assert!(err(
        Batch {
            targets: Targets::Count(1000),
            ..d
        },
        1e9
    )
    .contains("targets"));
    assert!(err(
        Batch {
            target_norm: Some(-1.0),
            ..d
        },
        1e9
    )
    .contains("target-norm"));
    assert!(err(
        Batch {
            precision: Precision::I8,
            ..d
        },
        1e9
    )
    .contains("i8"));
    let e = err(
        Batch {
            targets: Targets::All,
            max_seconds: 1e-6,
            ..d
        },
        1e9,
    );
    assert!(e.contains("max_hours") && e.contains("estimated"), "{e}");
    let e = err(
        Batch {
            targets: Targets::Count(4),
            ..d
        },
        100.0,
    );
    assert!(e.contains("GiB") && e.contains("memory"), "{e}");
}

/// Cluster-robust errors on a toy with known within-cluster correlation: y = u_g + e_gi with
/// Var u = ICC, Var e = 1 − ICC. Over independent repetitions, the spread of the mean matches
/// the reported error (within 10%, the precision of 400 repetitions is ~3.5%), and the design
/// effect matches 1 + (m − 1)·ICC. The naive iid error would be √deff ≈ 2.6× too small.
#[test]
fn cluster_robust_error_matches_repetitions() {
    let (g, m, icc) = (40usize, 20usize, 0.3f64);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let reps = 400;
    let (mut means, mut ses, mut deffs) = (Vec::new(), Vec::new(), Vec::new());
    let labels: Vec<usize> = (0..g * m).map(|i| i / m).collect();
    for _ in 0..reps {
        let mut ys = Vec::with_capacity(g * m);
        for _ in 0..g {
            let u: f64 = StandardNormal.sample(&mut rng);
            for _ in 0..m {
                let e: f64 = StandardNormal.sample(&mut rng);
                ys.push(icc.sqrt() * u + (1.0 - icc).sqrt() * e);
            }
        }
        let (ms, deff) = cluster_mean_se(&ys, &labels);
        means.push(ms.mean);
        ses.push(ms.se);
        deffs.push(deff);
    }
    let mu = means.iter().sum::<f64>() / reps as f64;
    let spread = (means.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / (reps - 1) as f64).sqrt();
    let rms_se = (ses.iter().map(|s| s * s).sum::<f64>() / reps as f64).sqrt();
    let deff = deffs.iter().sum::<f64>() / reps as f64;
    let want = 1.0 + (m as f64 - 1.0) * icc;
    assert!((rms_se / spread - 1.0).abs() < 0.1, "{rms_se} vs {spread}");
    assert!((deff / want - 1.0).abs() < 0.1, "{deff} vs {want}");
    // clusters of one: exactly the iid error
    let ys: Vec<f64> = (0..50).map(|i| (i as f64).sin()).collect();
    let ids: Vec<usize> = (0..50).collect();
    let (ms, deff) = cluster_mean_se(&ys, &ids);
    let iid = engram::stats::mean_se(&ys);
    assert!((ms.se / iid.se - 1.0).abs() < 1e-12 && (deff - 1.0).abs() < 1e-12);
}

/// On the simulator itself: the cluster-robust error of p_retrieved near the transition (where
/// targets of one store succeed or fail together) matches the spread over independent seeds.
#[test]
fn simulator_cluster_error_matches_seeds() {
    let kind = EnsembleKind::Gaussian;
    let reps = 24;
    let (mut ps, mut errs) = (Vec::new(), Vec::new());
    for seed in 0..reps {
        let p = SimParams::protocol(24, 0.25, 0.4, 100 + seed);
        let batch = Batch {
            targets: Targets::Count(16),
            ..Batch::default()
        };
        let s = simulate_batch(kind.sampler(), &p, &batch, 256, 4e9, &quiet).unwrap();
        ps.push(s.retrieved.p);
        errs.push(s.retrieved.err);
    }
    let mu = ps.iter().sum::<f64>() / reps as f64;
    let spread = (ps.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / (reps - 1) as f64).sqrt();
    let err = errs.iter().sum::<f64>() / reps as f64;
    // 24 repetitions estimate the spread to ~15%: accept a factor 1.5 either way
    assert!(
        err / spread > 0.67 && err / spread < 1.5,
        "{err} vs {spread} (p = {mu})"
    );
}

/// The default batch (one f32 target per store as drawn, shared streams) is the single-target
/// protocol bit for bit, so every earlier result stands.
#[test]
fn default_batch_is_the_single_target_protocol() {
    let p = SimParams::protocol(24, 0.2, 0.4, 3);
    let g = EnsembleKind::Gaussian.sampler();
    let a = engram::dam::summary::simulate(g, &p, 12, 1e9, &quiet).unwrap();
    let b = simulate_batch(g, &p, &Batch::default(), 12, 1e9, &quiet).unwrap();
    assert_eq!(a.delta0.mean.to_bits(), b.delta0.mean.to_bits());
    assert_eq!(a.steps.mean.to_bits(), b.steps.mean.to_bits());
    assert_eq!(a.retrieved, b.retrieved);
    assert_eq!((b.stores, b.targets, b.design_effect), (12, 1, 1.0));
}
