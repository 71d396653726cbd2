//! Known limits (docs/theory.md#rem to #alpha-1), independent second methods, and monotonicity.

use engram::dam::DamTheory;
use engram::ensembles::legendre::{lambda_star, rate};
use engram::ensembles::{Binary, EnsembleKind, Gaussian, PatternEnsemble, Spherical};
use engram::rem::{phi, RemPoint};

/// α₁ → λ − λ²/2 as λ → 0 for every ensemble (all have unit variance per component):
/// the difference is O(λ³).
/// The root of a decreasing f on [lo, hi] by 200 plain bisection steps (an independent
/// reference for the library's bracketing root finders).
fn bisect(f: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64) -> f64 {
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) > 0.0 {
            lo = mid
        } else {
            hi = mid
        }
    }
    0.5 * (lo + hi)
}

#[test]
fn alpha_1_small_lambda_limit() {
    for kind in EnsembleKind::ALL {
        let th = DamTheory::new(kind.ensemble()).unwrap();
        for &l in &[1e-1, 1e-2, 1e-3] {
            let (a1, _) = th.alpha_1(l).unwrap();
            let diff = (a1 - (l - l * l / 2.0)).abs();
            assert!(
                diff <= 0.5 * l * l * l,
                "{kind} lambda={l}: alpha_1={a1}, diff={diff}"
            );
        }
    }
}

/// Derrida's REM: 2^N levels (α = ln 2) with gaussian energies: λ_* = √(2 ln 2).
#[test]
fn derrida_rem() {
    let ls = lambda_star(&Gaussian, std::f64::consts::LN_2, 1.0).unwrap();
    assert!(
        (ls - (2.0 * std::f64::consts::LN_2).sqrt()).abs() < 1e-14,
        "{ls}"
    );
}

/// Binary: I(u) from the generic Legendre transform of ln cosh against the closed-form entropy (docs/theory.md#ensembles).
#[test]
fn binary_rate_is_binary_entropy() {
    for i in 1..200 {
        let u = i as f64 / 200.0 * 0.999;
        let exact = 0.5 * ((1.0 + u) * u.ln_1p() + (1.0 - u) * (-u).ln_1p());
        let got = rate(&Binary, u, 1.0).unwrap();
        assert!(
            (got - exact).abs() <= 1e-12 * exact,
            "u={u}: {got} vs {exact}"
        );
    }
    // more patterns than configurations: never condenses
    assert!(lambda_star(&Binary, 0.7, 1.0).unwrap().is_infinite());
}

/// Spherical Λ_r(λ) against a brute-force maximisation of λ√r q + ½ ln(1 − q²) over q.
#[test]
fn spherical_log_mgf_brute_force() {
    for &(l, r) in &[(0.01, 1.0), (0.7, 1.0), (3.0, 0.2), (50.0, 4.0)] {
        let a: f64 = l * f64::sqrt(r);
        let f = |q: f64| a * q + 0.5 * (1.0 - q * q).ln();
        // golden-section on (0, 1)
        let (mut lo, mut hi) = (0.0f64, 1.0 - 1e-16);
        let gr = (5f64.sqrt() - 1.0) / 2.0;
        for _ in 0..200 {
            let (x1, x2) = (hi - gr * (hi - lo), lo + gr * (hi - lo));
            if f(x1) < f(x2) {
                lo = x1
            } else {
                hi = x2
            }
        }
        let brute = f(0.5 * (lo + hi));
        let got = Spherical.log_mgf(l, r);
        assert!(
            (got - brute).abs() < 1e-12 * brute.abs().max(1.0),
            "{l} {r}: {got} vs {brute}"
        );
        // override of g against the default λΛ' − Λ
        let default_g = l * Spherical.log_mgf_prime(l, r) - got;
        assert!((Spherical.saddle_rate(l, r) - default_g).abs() < 1e-10 * default_g.max(1e-3));
    }
}

/// α₁ from the branch formula against bisection in α on the definition λρ₁ = φ(α, λ, ρ₁).
#[test]
fn alpha_1_against_definition() {
    for kind in EnsembleKind::ALL {
        let e = kind.ensemble();
        let th = DamTheory::new(e).unwrap();
        for &l in &[0.05, 0.3, 0.9, 1.0, 1.7, 5.0, 40.0] {
            let (a1, _) = th.alpha_1(l).unwrap();
            let f =
                |a: f64| l * e.rho1() - phi(e, RemPoint::new(a, l, e.rho1()).unwrap()).unwrap().0;
            assert!(f(1e-12) > 0.0 && f(20.0) < 0.0);
            let reference = bisect(f, 1e-12, 20.0);
            assert!(
                (a1 - reference).abs() < 1e-10 * reference,
                "{kind} lambda={l}: {a1} vs {reference}"
            );
        }
    }
}

#[test]
fn monotonicity() {
    for kind in EnsembleKind::ALL {
        let e = kind.ensemble();
        let th = DamTheory::new(e).unwrap();
        let lambdas: Vec<f64> = (0..400)
            .map(|i| 10f64.powf(-3.0 + 6.0 * i as f64 / 399.0))
            .collect();
        let mut prev = 0.0;
        for &l in &lambdas {
            let t = th.thresholds(l).unwrap();
            // non-decreasing up to round-off: binary α₁ = ln 2 − ln(1 + e^{−2λ}) changes by less
            // than an ulp beyond λ ≈ 18, where λ − ln cosh λ carries an absolute error of order ε·λ
            assert!(
                t.alpha_1 >= prev - 4.0 * f64::EPSILON * l,
                "{kind}: alpha_1 decreases at lambda={l}"
            );
            assert!(
                t.alpha_c.bound <= t.alpha_1,
                "{kind}: alpha_c > alpha_1 at lambda={l}"
            );
            prev = t.alpha_1;
        }
        for &l in &[0.1, 1.0, 10.0] {
            let mut prev = f64::NEG_INFINITY;
            for i in 1..300 {
                let a = 5.0 * i as f64 / 300.0;
                let (p, _) = phi(e, RemPoint::new(a, l, 1.0).unwrap()).unwrap();
                assert!(
                    p > prev,
                    "{kind}: phi not increasing in alpha at alpha={a}, lambda={l}"
                );
                prev = p;
            }
        }
    }
}

/// Extreme parameters converge to finite values: λ = 1e3, α = 1e-6 and α = 5.
#[test]
fn extreme_parameters() {
    for kind in EnsembleKind::ALL {
        let e = kind.ensemble();
        let th = DamTheory::new(e).unwrap();
        for &(a, l) in &[(1e-6, 1e3), (1e-6, 1e-3), (5.0, 1e3), (5.0, 1e-3)] {
            let p = RemPoint::new(a, l, 1.0).unwrap();
            let s = engram::rem::solve(e, p).unwrap();
            assert!(
                s.phi.is_finite() && s.u_star.is_finite(),
                "{kind} {a} {l}: {s:?}"
            );
            let t = th.thresholds(l).unwrap();
            assert!(t.alpha_1.is_finite() && !t.alpha_c.bound.is_nan());
            assert!(!th.lambda_c(a).unwrap().is_nan());
        }
    }
}

/// The scaled regime's finite-N α₁ tends to β ρ₁ (gaussian: β − β²/(2√N)).
#[test]
fn scaled_regime_limit() {
    let th = DamTheory::new(&Gaussian).unwrap();
    let s = th.scaled(1.3, Some(400.0)).unwrap();
    assert!((s.alpha_1_n.unwrap() - (1.3 - 1.69 / 40.0)).abs() < 1e-14);
    let sp = DamTheory::new(&Spherical)
        .unwrap()
        .scaled(1.3, Some(1e12))
        .unwrap();
    assert!((sp.alpha_1_n.unwrap() - 1.3).abs() < 1e-5);
}

/// α_f(λ; ρ) (the theory column of planted targets) against bisection in α on its definition
/// λρ = φ(α, λ, ρ), for norms below and above ρ₁; and the gaussian uncondensed closed form
/// α_f = λρ − λ²ρ/2 (Λ_ρ(λ) = λ²ρ/2) where Λ_ρ'(λ) = λρ < ρ, i.e. λ < 1.
#[test]
fn failure_load_against_definition() {
    let mut checked = 0;
    for kind in EnsembleKind::ALL {
        let e = kind.ensemble();
        let th = DamTheory::new(e).unwrap();
        for &rho in &[0.5, 0.8, 1.25, 2.0] {
            for &l in &[0.1, 0.3, 0.9, 3.0] {
                let Ok((af, _)) = th.failure_load(l, rho) else {
                    continue; // outside the ensemble's domain of norms
                };
                let f = |a: f64| l * rho - phi(e, RemPoint::new(a, l, rho).unwrap()).unwrap().0;
                assert!(
                    f(1e-12) > 0.0 && f(40.0) < 0.0,
                    "{kind} rho={rho} lambda={l}"
                );
                let reference = bisect(f, 1e-12, 40.0);
                assert!(
                    (af - reference).abs() < 1e-9 * reference.max(1e-3),
                    "{kind} rho={rho} lambda={l}: {af} vs {reference}"
                );
                if kind == EnsembleKind::Gaussian && l < 1.0 {
                    assert!(
                        (af - (l * rho - l * l * rho / 2.0)).abs() < 1e-12,
                        "{rho} {l}"
                    );
                }
                checked += 1;
            }
        }
    }
    // gaussian and spherical cover every (ρ, λ); binary those its norms allow
    assert!(checked >= 32, "{checked}");
}
