//! Reference values (published in Lucibello–Mézard, PRL 132, 077301 (2024), or closed forms of
//! docs/theory.md#alpha-1 and #alpha-c; 6 decimals).

use engram::dam::DamTheory;
use engram::ensembles::{Gaussian, Spherical};
use engram::rem::{solve, RemPoint};

fn within(a: f64, b: f64, tol: f64, what: &str) {
    assert!((a - b).abs() <= tol, "{what}: {a} vs {b}");
}

#[test]
fn table_of_thresholds() {
    let g = DamTheory::new(&Gaussian).unwrap();
    let s = DamTheory::new(&Spherical).unwrap();
    let table = [
        (0.1, 0.095000, 0.056650, 0.095025),
        (0.5, 0.375000, 0.152743, 0.387006),
        (1.0, 0.500000, 0.173287, 0.622572),
        (2.0, 0.5, 0.173287, 0.908754),
    ];
    for (l, a1g, acg, a1s) in table {
        within(g.alpha_1(l).unwrap().0, a1g, 5e-7, "alpha_1 gaussian");
        within(g.alpha_c(l).unwrap().bound, acg, 5e-7, "alpha_c gaussian");
        within(s.alpha_1(l).unwrap().0, a1s, 5e-7, "alpha_1 spherical");
        within(s.alpha_c(l).unwrap().bound, a1s, 5e-7, "alpha_c spherical");
    }
}

#[test]
fn special_constants() {
    let g = DamTheory::new(&Gaussian).unwrap();
    // α₁ saturates at 1/2 for λ ≥ 1
    within(g.alpha_1(7.0).unwrap().0, 0.5, 1e-15, "alpha_1 saturation");
    // small-norm channel for λ ≥ 1: 1/(2e)
    within(
        g.norm_channel(3.0).unwrap().0,
        1.0 / (2.0 * std::f64::consts::E),
        1e-13,
        "1/(2e)",
    );
    // stealing pair: ln 2 / 4
    within(
        g.pair_channel_bound(),
        std::f64::consts::LN_2 / 4.0,
        1e-12,
        "ln2/4",
    );
    // λ_*(α = 0.3, r = 1) gaussian
    let sol = solve(&Gaussian, RemPoint::new(0.3, 1.0, 1.0).unwrap()).unwrap();
    within(sol.lambda_star, 0.774597, 5e-7, "lambda_*");
    // channels cross at λ ≈ 0.7009 (docs/theory.md#alpha-c)
    let (mut lo, mut hi) = (0.5, 1.0);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if g.norm_channel(mid).unwrap().0 < g.pair_channel_bound() {
            lo = mid
        } else {
            hi = mid
        }
    }
    within(0.5 * (lo + hi), 0.7009, 5e-5, "channel crossing");
}
