//! docs/theory.md#dam to #scaled: the generic (trait-only) path against the closed forms, over the whole domain
//! λ ∈ [1e-3, 1e3], α ∈ (0, 5], r ∈ [0.05, 20], to 1e-9 relative.

use engram::dam::closed_form::{gaussian as g, spherical as s};
use engram::dam::DamTheory;
use engram::ensembles::legendre::{lambda_star, rate, u_max};
use engram::ensembles::{Gaussian, Spherical};
use engram::rem::{self, Phase, RemPoint};
use proptest::prelude::*;

const TOL: f64 = 1e-9;

fn close(a: f64, b: f64, what: &str) -> Result<(), TestCaseError> {
    if a == b || ((a - b).abs() <= TOL * b.abs().max(1e-300)) {
        Ok(())
    } else {
        Err(TestCaseError::fail(format!(
            "{what}: generic {a} vs closed {b} (rel {:e})",
            ((a - b) / b).abs()
        )))
    }
}

/// log-uniform λ ∈ [1e-3, 1e3]
fn lambda() -> impl Strategy<Value = f64> {
    (-3.0f64..=3.0).prop_map(|x| 10f64.powf(x))
}
/// α ∈ (0, 5], log-uniform from 1e-6
fn alpha() -> impl Strategy<Value = f64> {
    (-6.0f64..=5f64.log10()).prop_map(|x| 10f64.powf(x))
}
fn r() -> impl Strategy<Value = f64> {
    (0.05f64.log10()..=20f64.log10()).prop_map(|x| 10f64.powf(x))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn gaussian_rem(a in alpha(), l in lambda(), r in r()) {
        let sol = rem::solve(&Gaussian, RemPoint::new(a, l, r).unwrap()).unwrap();
        close(sol.lambda_star, g::lambda_star(a, r), "lambda_star")?;
        close(sol.phi, g::phi(a, l, r), "phi")?;
        close(sol.u_max, (2.0 * a * r).sqrt(), "u_max")?;
        let ls = g::lambda_star(a, r);
        if (l - ls).abs() > 1e-12 * ls {
            let expect = if l < ls { Phase::Uncondensed } else { Phase::Condensed };
            prop_assert_eq!(sol.phase, expect);
            let u_star = if l < ls { l * r } else { (2.0 * a * r).sqrt() };
            close(sol.u_star, u_star, "u_star")?;
        }
        let th = DamTheory::new(&Gaussian).unwrap();
        close(th.basin(RemPoint::new(a, l, r).unwrap()).unwrap().m_c, g::m_c(a, l, r), "m_c")?;
    }

    #[test]
    fn spherical_rem(a in alpha(), l in lambda(), r in r()) {
        let sol = rem::solve(&Spherical, RemPoint::new(a, l, r).unwrap()).unwrap();
        close(sol.lambda_star, s::lambda_star(a, r), "lambda_star")?;
        close(sol.phi, s::phi(a, l, r), "phi")?;
        close(sol.u_max, r.sqrt() * s::q_max(a), "u_max")?;
        let th = DamTheory::new(&Spherical).unwrap();
        let b = th.basin(RemPoint::new(a, l, r).unwrap()).unwrap();
        close(b.m_c, s::m_c(a, l, r), "m_c")?;
        if l >= s::lambda_star(a, r) * (1.0 + 1e-12) {
            // condensed basin: cosine > q_max(α)
            close(b.cos_c, s::q_max(a), "cos_c")?;
        }
    }

    #[test]
    fn legendre_rates(frac in 0.0f64..0.999, r in r()) {
        // gaussian support is unbounded: test u up to 10√r
        let ug = 10.0 * r.sqrt() * frac;
        close(rate(&Gaussian, ug, r).unwrap(), g::rate(ug, r), "I gaussian")?;
        let us = r.sqrt() * frac;
        close(rate(&Spherical, us, r).unwrap(), s::rate(us, r), "I spherical")?;
    }

    #[test]
    fn thresholds(l in lambda()) {
        let tg = DamTheory::new(&Gaussian).unwrap();
        let (a1, phase) = tg.alpha_1(l).unwrap();
        close(a1, g::alpha_1(l), "alpha_1 gaussian")?;
        prop_assert_eq!(phase, if l < 1.0 { Phase::Uncondensed } else { Phase::Condensed });
        let ts = DamTheory::new(&Spherical).unwrap();
        let (a1s, phase_s) = ts.alpha_1(l).unwrap();
        close(a1s, s::alpha_1(l), "alpha_1 spherical")?;
        prop_assert_eq!(phase_s, Phase::Uncondensed);
        // spherical: alpha_c = alpha_1, no channel
        let acs = ts.alpha_c(l).unwrap();
        prop_assert_eq!(acs.bound, a1s);
        prop_assert!(acs.norm.is_infinite() && acs.pair.is_infinite());
        // gaussian channel (a) against bisection of the closed-form equation I_chi(rho_f(alpha)) = alpha
        let acg = tg.alpha_c(l).unwrap();
        let (mut lo, mut hi) = (0.0f64, g::alpha_1(l));
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if g::norm_rate(g::rho_f(mid, l)) > mid { lo = mid } else { hi = mid }
        }
        close(acg.norm, 0.5 * (lo + hi), "alpha_c norm channel")?;
        close(acg.rho_f, g::rho_f(acg.norm, l), "rho_f")?;
        close(acg.pair, g::ALPHA_PAIR, "alpha_pair")?;
        close(acg.bound, acg.norm.min(g::ALPHA_PAIR), "alpha_c")?;
    }

    #[test]
    fn lambda_c_inverts_alpha_1(a in 1e-6f64..0.4999) {
        let tg = DamTheory::new(&Gaussian).unwrap();
        close(tg.lambda_c(a).unwrap(), g::lambda_c(a), "lambda_c gaussian")?;
    }

    #[test]
    fn lambda_c_spherical(l in lambda()) {
        let ts = DamTheory::new(&Spherical).unwrap();
        close(ts.lambda_c(s::alpha_1(l)).unwrap(), l, "lambda_c spherical")?;
    }
}

#[test]
fn lambda_star_direct_and_u_max() {
    for &(a, r) in &[(1e-6, 1.0), (0.3, 1.0), (5.0, 0.05), (5.0, 20.0)] {
        let ls = lambda_star(&Spherical, a, r).unwrap();
        assert!(
            (ls / s::lambda_star(a, r) - 1.0).abs() < TOL,
            "{a} {r} {ls}"
        );
        let um = u_max(&Gaussian, a, r).unwrap();
        assert!((um / (2.0 * a * r).sqrt() - 1.0).abs() < TOL);
    }
}

#[test]
fn gaussian_lambda_c_saturates() {
    let tg = DamTheory::new(&Gaussian).unwrap();
    assert_eq!(tg.lambda_c(0.5).unwrap(), 1.0);
    assert!(tg.lambda_c(0.5 + 1e-9).unwrap().is_infinite());
    assert!(tg.lambda_c(3.0).unwrap().is_infinite());
}
