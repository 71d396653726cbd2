//! Finite-size tools: the finite-N REM sampler against a direct construction with full
//! patterns, its N → ∞ limit, extrapolation fits against closed forms.

use engram::dam::fss::{extrapolate, leave_one_out, rem_critical_load, FssForm};
use engram::dam::DamTheory;
use engram::ensembles::{sample_rng, EnsembleKind};
use engram::stats::median_with_error;

/// The same criterion evaluated with full patterns: ξ¹ (rescaled to ‖ξ¹‖²/N = ρ if planted) and
/// then ξ², ξ³, … drawn by the simulator's samplers, overlaps by dot products.
#[allow(clippy::too_many_arguments)]
fn direct_critical_load(
    kind: EnsembleKind,
    n: usize,
    lambda: f64,
    w_c: f64,
    planted: Option<f64>,
    p_max: f64,
    seed: u64,
) -> f64 {
    let ens = kind.sampler();
    let mut rng = sample_rng(seed, 1_000_000);
    let mut xi1 = vec![0f32; n];
    let mut xi = vec![0f32; n];
    ens.sample_pattern(&mut rng, &mut xi1);
    let r2: f64 = xi1.iter().map(|&v| (v as f64).powi(2)).sum();
    let (r2, sc) = match planted {
        Some(rho) => (rho * n as f64, (rho * n as f64 / r2).sqrt()),
        None => (r2, 1.0),
    };
    let x1: Vec<f64> = xi1.iter().map(|&v| v as f64 * sc).collect();
    let signal = lambda * r2 - (w_c / (1.0 - w_c)).ln();
    let (mut m, mut s) = (f64::NEG_INFINITY, 0.0f64);
    let mut p = 1.0;
    while p < p_max {
        p += 1.0;
        ens.sample_pattern(&mut rng, &mut xi);
        let l = lambda * xi.iter().zip(&x1).map(|(&a, &b)| a as f64 * b).sum::<f64>();
        if l > m {
            s = s * (m - l).exp() + 1.0;
            m = l;
        } else {
            s += (l - m).exp();
        }
        if m + s.ln() >= signal {
            return ((p - 0.5f64).ln()) / n as f64;
        }
    }
    f64::INFINITY
}

/// Sorted medians with errors of two samples agree within 3 combined sigma plus one grid step of
/// α* = ln(P − ½)/N.
fn assert_same_median(mut a: Vec<f64>, mut b: Vec<f64>, n: usize, what: &str) {
    a.sort_by(|x, y| x.total_cmp(y));
    b.sort_by(|x, y| x.total_cmp(y));
    let (ma, ea) = median_with_error(&a);
    let (mb, eb) = median_with_error(&b);
    let step = 1.0 / ((ma * n as f64).exp() * n as f64);
    let tol = 3.0 * (ea * ea + eb * eb).sqrt() + step;
    assert!((ma - mb).abs() <= tol, "{what}: {ma} vs {mb} (tol {tol})");
}

/// The overlap laws (χ² norm and scaled normal; Beta cosine; shifted binomial) give the same
/// distribution of α* as full patterns: medians agree within 3 combined sigma, every ensemble.
#[test]
fn overlap_laws_match_full_patterns() {
    let (n, lambda, draws) = (12, 0.6, 1500);
    for kind in [
        EnsembleKind::Gaussian,
        EnsembleKind::Spherical,
        EnsembleKind::Binary,
    ] {
        for w_c in [0.5, 0.78] {
            let p_max = (2.0 * n as f64).exp();
            let a: Vec<f64> = (0..draws)
                .map(|s| {
                    rem_critical_load(kind, n, lambda, w_c, p_max, sample_rng(5, s))
                        .unwrap_or(f64::INFINITY)
                })
                .collect();
            let b: Vec<f64> = (0..draws)
                .map(|s| direct_critical_load(kind, n, lambda, w_c, None, p_max, 77 + s))
                .collect();
            // another moment of the same law: the mean of the finite part
            let mean = |v: &[f64]| v.iter().filter(|x| x.is_finite()).sum::<f64>() / v.len() as f64;
            assert!((mean(&a) - mean(&b)).abs() < 0.05 * mean(&a), "{kind:?}");
            assert_same_median(a, b, n, &format!("{kind:?} w_c {w_c}"));
        }
    }
}

/// N → ∞: the weight-½ criterion's crossing approaches α₁(λ) (gaussian α₁ = λ − λ²/2 at small
/// λ, binary from the generic path), closer at large N than at small.
#[test]
fn rem_crossing_approaches_alpha_1() {
    use engram::dam::fss::rem_alpha_half;
    for kind in [EnsembleKind::Gaussian, EnsembleKind::Binary] {
        let lambda = 0.05;
        let a1 = DamTheory::new(kind.ensemble())
            .unwrap()
            .alpha_1(lambda)
            .unwrap()
            .0;
        let (small, _) = rem_alpha_half(kind, 30, lambda, 0.5, None, 400, 3, 1.0).unwrap();
        let (large, err) = rem_alpha_half(kind, 200, lambda, 0.5, None, 400, 3, 1.0).unwrap();
        assert!(
            (large - a1).abs() < (small - a1).abs(),
            "{kind:?}: {small} {large} vs {a1}"
        );
        assert!(
            (large - a1).abs() < 0.003 + 3.0 * err,
            "{kind:?}: {large} ± {err} vs {a1}"
        );
    }
}

/// Fits: exact data a + b/N is recovered with χ² = 0; the χ² p-value at 2 degrees of freedom is
/// e^{−χ²/2} exactly; z is (a − theory)/error; leave-one-out drops one N each.
#[test]
fn extrapolation_against_closed_forms() {
    let pts: Vec<(usize, f64, f64)> = [20usize, 40, 80, 160]
        .iter()
        .map(|&n| (n, 0.25 - 1.5 / n as f64, 0.01))
        .collect();
    let f = extrapolate(&pts, FssForm::InvN, 0.25).unwrap();
    assert!((f.a - 0.25).abs() < 1e-12 && (f.b + 1.5).abs() < 1e-10 && f.chi2 < 1e-20);
    assert_eq!((f.dof, f.n_range), (2, (20, 160)));
    // perturb: χ² known, p = e^{−χ²/2} for 2 dof
    let mut q = pts.clone();
    q[1].1 += 0.02;
    let g = extrapolate(&q, FssForm::InvN, 0.25).unwrap();
    assert!(g.chi2 > 1.0);
    assert!((g.p_value - (-g.chi2 / 2.0).exp()).abs() < 1e-12, "{g:?}");
    assert!((g.z - (g.a - 0.25) / g.a_err).abs() < 1e-12);
    let loo = leave_one_out(&pts, FssForm::LogNOverN, 0.25);
    assert_eq!(
        loo.iter().map(|l| l.0).collect::<Vec<_>>(),
        vec![20, 40, 80, 160]
    );
    assert!(loo.iter().all(|l| l.1.is_some_and(|e| e.dof == 1)));
}

/// Median and its order-statistic error on a known sample.
#[test]
fn median_error() {
    let v: Vec<f64> = (0..101).map(|i| i as f64).collect();
    let (m, e) = median_with_error(&v);
    assert_eq!(m, 50.0);
    // n/2 ± √n/2 = 50.5 ± 5.02: order statistics 45 and 56
    assert!((e - 5.5).abs() < 1e-12, "{e}");
}

/// Planted ξ¹ (‖ξ¹‖²/N = ρ): the law-based draw matches full patterns with ξ¹ rescaled to norm ρ
/// (the simulator's `--target-norm`), medians within 3 combined sigma plus one grid step.
#[test]
fn planted_overlap_laws_match_full_patterns() {
    use engram::dam::fss::RemDraw;
    let (n, lambda, draws, rho) = (12, 0.6, 1500u64, 1.4);
    for kind in [
        EnsembleKind::Gaussian,
        EnsembleKind::Spherical,
        EnsembleKind::Binary,
    ] {
        let p_max = (2.5 * n as f64).exp();
        let a: Vec<f64> = (0..draws)
            .map(|s| {
                RemDraw::new(kind, n, lambda, 0.5, Some(rho), sample_rng(9, s))
                    .advance(p_max)
                    .unwrap_or(f64::INFINITY)
            })
            .collect();
        let b: Vec<f64> = (0..draws)
            .map(|s| direct_critical_load(kind, n, lambda, 0.5, Some(rho), p_max, 31 + s))
            .collect();
        assert_same_median(a, b, n, &format!("{kind:?} planted"));
    }
}

/// The failing norm ρ_f(α) solves α_f(λ; ρ_f) = α, equals the gaussian closed form
/// ρ_f = α/(λ − λ²/2) (uncondensed, λ < 1), and is absent at α ≥ α₁ (the typical pattern fails).
#[test]
fn failure_norm_against_closed_form() {
    use engram::ensembles::Gaussian;
    let th = DamTheory::new(&Gaussian).unwrap();
    for (lambda, alpha) in [(0.1, 0.05), (0.3, 0.15), (0.3, 0.2), (0.5, 0.3)] {
        let rho = th.failure_norm(lambda, alpha).unwrap().unwrap();
        let closed = alpha / (lambda - lambda * lambda / 2.0);
        assert!(
            (rho - closed).abs() < 1e-9 * closed,
            "{lambda} {alpha}: {rho} vs {closed}"
        );
        let (af, _) = th.failure_load(lambda, rho).unwrap();
        assert!((af - alpha).abs() < 1e-10);
    }
    assert_eq!(th.failure_norm(0.3, 0.26).unwrap(), None);
    assert!(th.failure_norm(0.3, -1.0).is_err());
}

// ---------------------------------------------------------------------------------------------
// The finite-size theory (docs/theory.md#fold) against the full simulator, and the crossing's
// error against the spread over seeds.

/// A simulated crossing α½(N): `samples` targets per load (`--targets auto`: ≥ 30 stores),
/// independent streams per load, probit fit of the whole curve.
fn simulated_crossing(
    kind: engram::ensembles::EnsembleKind,
    n: usize,
    lambda: f64,
    loads: &[f64],
    samples: usize,
    seed: u64,
) -> (f64, f64) {
    use engram::dam::batch::{Batch, Streams, Targets};
    use engram::dam::params::{SimParams, Start};
    let batch = Batch {
        targets: Targets::Auto,
        streams: Streams::Independent,
        ..Batch::default()
    };
    let mut curve: Vec<(f64, f64, f64)> = loads
        .iter()
        .map(|&a| {
            let p = SimParams::new(n, a, lambda, Start::Pattern, seed).unwrap();
            let s = engram::dam::summary::simulate_batch(
                kind.sampler(),
                &p,
                &batch,
                samples,
                4e9,
                &|| {},
            )
            .unwrap();
            let n_eff = engram::dam::fss::effective_count(s.samples as f64, s.design_effect);
            (a, s.retrieved.p, n_eff)
        })
        .collect();
    engram::dam::fss::crossing_at(&mut curve)
        .unwrap_or_else(|| panic!("no crossing of 1/2: {curve:?}"))
}

/// The finite-N map (no stored pattern) predicts the simulated crossing within 3 combined
/// sigmas where the reduction's neglected term is small: λ = 0.3, N = 50 for the three
/// ensembles (P ≈ 1.7e4 at the crossing; the others' inverse participation
/// e^{N[Λ(2λ) − 2Λ(λ)]}/P ≈ 0.005). At N = 30 (P ≈ 200, inverse participation ≈ 0.07) the
/// spherical crossing lies 0.0014 below the map (z ≈ −12 with a fine load grid): the orthogonal
/// component that the reduction drops (docs/theory.md#fold) is then no longer negligible.
#[test]
fn finite_n_map_predicts_the_simulated_crossing() {
    use engram::dam::fss::{map_curve, MapDynamics, MapPoint};
    use engram::ensembles::EnsembleKind as E;
    let d = MapDynamics::protocol();
    for &(kind, n) in &[(E::Gaussian, 50), (E::Spherical, 50), (E::Binary, 50)] {
        let pt = MapPoint {
            kind,
            n,
            lambda: 0.3,
            target_norm: None,
            samples: 2000,
            seed: 11,
            dynamics: d,
            max_patterns: 1 << 30,
        };
        let map = map_curve(&pt, &|| {}).unwrap();
        let (m, me) = map.alpha_half().unwrap();
        // drawn gaussian norms spread the curve over ~0.03 in α; fixed norms make it nearly
        // a step, resolved by a finer grid
        let step = if kind == E::Gaussian { 0.0075 } else { 0.001 };
        let loads: Vec<f64> = (0..9).map(|i| m + step * (i as f64 - 4.0)).collect();
        let (a, ae) = simulated_crossing(kind, n, 0.3, &loads, 256, 3);
        let z = (a - m) / ae.hypot(me);
        eprintln!("{kind} N={n}: simulated {a:.5} ± {ae:.5}, map {m:.5} ± {me:.5}, z = {z:.2}");
        assert!(
            z.abs() < 3.0,
            "{kind} N={n}: simulated {a} ± {ae}, map {m} ± {me}"
        );
    }
}

/// The crossing's reported error is the spread over independent seeds: 24 seeds of a gaussian
/// crossing (N = 30, λ = 0.3, 256 targets per load in ≥ 30 stores, 9 loads); the ratio of the
/// seeds' standard deviation to the root-mean-square reported error lies within the 3σ band of a
/// 24-sample standard deviation, [0.55, 1.45].
#[test]
fn crossing_error_matches_the_spread_over_seeds() {
    use engram::ensembles::EnsembleKind as E;
    let loads: Vec<f64> = (0..9).map(|i| 0.14 + 0.0075 * i as f64).collect();
    let runs: Vec<(f64, f64)> = (0..24)
        .map(|s| simulated_crossing(E::Gaussian, 30, 0.3, &loads, 256, 100 + s))
        .collect();
    let k = runs.len() as f64;
    let mean = runs.iter().map(|r| r.0).sum::<f64>() / k;
    let sd = (runs.iter().map(|r| (r.0 - mean).powi(2)).sum::<f64>() / (k - 1.0)).sqrt();
    let rms = (runs.iter().map(|r| r.1 * r.1).sum::<f64>() / k).sqrt();
    eprintln!("crossing over 24 seeds: mean {mean:.5}, sd {sd:.5}, rms reported error {rms:.5}");
    let ratio = sd / rms;
    assert!(
        (0.55..=1.45).contains(&ratio),
        "sd {sd} vs reported {rms}: ratio {ratio}"
    );
}

/// The finite-N map's reported α½ error (order statistics ⊕ the load resolution q/√12) against
/// the spread of α½ over independent seeds: binary λ = 0.3, N = 30 (fixed norm: draws share
/// integer critical P, where the order statistics alone gave 0) and gaussian (drawn norms).
#[test]
fn map_error_matches_the_spread_over_seeds() {
    use engram::dam::fss::{map_curve, MapDynamics, MapPoint};
    let d = MapDynamics::protocol();
    for kind in [EnsembleKind::Binary, EnsembleKind::Gaussian] {
        let (mut vals, mut errs) = (Vec::new(), Vec::new());
        for seed in 0..12u64 {
            let pt = MapPoint {
                kind,
                n: 30,
                lambda: 0.3,
                target_norm: None,
                samples: 300,
                seed: 100 + seed,
                dynamics: d,
                max_patterns: 1 << 30,
            };
            let (m, e) = map_curve(&pt, &|| {}).unwrap().alpha_half().unwrap();
            assert!(e > 0.0, "{kind:?}: zero error");
            vals.push(m);
            errs.push(e);
        }
        let k = vals.len() as f64;
        let mean = vals.iter().sum::<f64>() / k;
        let sd = (vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (k - 1.0)).sqrt();
        let rms = (errs.iter().map(|e| e * e).sum::<f64>() / k).sqrt();
        let ratio = sd / rms;
        eprintln!("{kind:?}: sd over seeds {sd:.3e}, rms reported {rms:.3e}, ratio {ratio:.2}");
        // 12 seeds: the sample sd has a relative spread of about 1/sqrt(22) = 0.21
        assert!((0.45..=1.8).contains(&ratio), "{kind:?}: ratio {ratio}");
    }
}
