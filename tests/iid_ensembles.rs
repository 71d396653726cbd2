//! I.i.d. pattern ensembles (docs/theory.md#iid): the generic path on a marginal's MGF against
//! closed forms and independent quadrature, the two-point marginal against binary, the start
//! law of the basins, the samplers against their laws, and the refusals.

mod common;

use common::ks_p;
use engram::dam::closed_form::gaussian as g;
use engram::dam::DamTheory;
use engram::ensembles::{Binary, EnsembleKind, Iid, PatternEnsemble};
use engram::rem::{self, RemPoint};
use gauss_quad::GaussHermite;
use std::num::NonZeroUsize;

fn close(a: f64, b: f64, tol: f64, what: &str) {
    assert!(
        (a - b).abs() <= tol * (1.0 + b.abs()),
        "{what}: {a} vs {b} (diff {})",
        (a - b).abs()
    );
}

/// A 40-node Gauss–Hermite marginal: a discrete law with the moments of N(0, 1) up to order
/// 79, so its M(t) is e^{t²/2} to far below 1e-9 where the thresholds need it.
fn hermite_marginal() -> &'static Iid {
    let gh = GaussHermite::new(NonZeroUsize::new(40).unwrap());
    let (v, w): (Vec<f64>, Vec<f64>) = gh
        .as_node_weight_pairs()
        .iter()
        .map(|&(x, w)| {
            (
                std::f64::consts::SQRT_2 * x,
                w / std::f64::consts::PI.sqrt(),
            )
        })
        .unzip();
    let total: f64 = w.iter().sum();
    let w: Vec<f64> = w.iter().map(|x| x / total).collect();
    Iid::discrete(&v, &w).unwrap()
}

/// The discrete path reproduces gaussian α₁ = λ − λ²/2 (λ ≤ 1), 1/2 (λ ≥ 1) and the REM
/// φ = α + λ²r/2 / λ√(2αr) to 1e-9.
#[test]
fn hermite_marginal_is_gaussian() {
    let e = hermite_marginal();
    let th = DamTheory::new(e).unwrap();
    for k in 1..=30 {
        let l = 0.1 * k as f64;
        close(
            th.alpha_1(l).unwrap().0,
            g::alpha_1(l),
            1e-9,
            &format!("alpha_1({l})"),
        );
    }
    for &(a, l, r) in &[
        (0.1, 0.3, 1.0),
        (0.2, 1.5, 1.0),
        (0.05, 0.7, 0.6),
        (0.3, 2.0, 1.3),
    ] {
        let p = RemPoint::new(a, l, r).unwrap();
        let (phi, _) = rem::phi(e, p).unwrap();
        let (want, _) = rem::phi(&engram::ensembles::Gaussian, p).unwrap();
        close(phi, want, 1e-9, &format!("phi{:?}", (a, l, r)));
    }
}

/// A symmetric two-point marginal (any scale, any spelling) is binary: α₁, φ and the basin
/// of the cosine start, to 1e-9.
#[test]
fn two_point_marginal_is_binary() {
    for name in ["ternary:1", "iid:-1,1:0.5,0.5", "iid:0,3:0.5,0.5"] {
        let kind: EnsembleKind = name.parse().unwrap();
        let e = kind.ensemble();
        let th = DamTheory::new(e).unwrap();
        let tb = DamTheory::new(&Binary).unwrap();
        for &l in &[0.2, 0.7, 1.0, 2.0, 5.0] {
            close(
                th.alpha_1(l).unwrap().0,
                tb.alpha_1(l).unwrap().0,
                1e-9,
                name,
            );
            let t = th.thresholds(l).unwrap();
            assert_eq!(t.alpha_c.binding.as_str(), "typical", "{name}");
        }
        for &(a, l, r) in &[(0.1, 2.0, 1.0), (0.3, 0.8, 1.0), (0.05, 1.2, 0.5)] {
            let p = RemPoint::new(a, l, r).unwrap();
            close(
                rem::phi(e, p).unwrap().0,
                rem::phi(&Binary, p).unwrap().0,
                1e-9,
                name,
            );
            let bb = tb.basin(p).unwrap();
            let be = th.basin(p).unwrap();
            close(be.cos_c, bb.cos_c, 1e-9, name);
        }
    }
}

/// Composite Simpson on [0, √3] with 2·10⁵ intervals: an independent E_{y∼U} f(y) for even f.
fn simpson_uniform(f: impl Fn(f64) -> f64) -> f64 {
    simpson_n(f, 200_000)
}

fn simpson_n(f: impl Fn(f64) -> f64, n: usize) -> f64 {
    let a = 3f64.sqrt();
    let h = a / n as f64;
    let mut s = f(0.0) + f(a);
    for i in 1..n {
        s += if i % 2 == 1 { 4.0 } else { 2.0 } * f(i as f64 * h);
    }
    s * h / 3.0 / a
}

/// ln(sinh s / s) = |s| + ln(1 − e^{−2|s|}) − ln 2 − ln|s| (the series below 1e-4).
fn ln_sinhc(s: f64) -> f64 {
    let a = s.abs();
    if a < 1e-4 {
        a * a / 6.0
    } else {
        a + (-(-2.0 * a).exp()).ln_1p() - std::f64::consts::LN_2 - a.ln()
    }
}

/// Uniform marginal: Λ_r(λ) and Λ_r'(λ) against Simpson's rule on ln(sinh s/s), α₁ in the
/// uncondensed phase against λ − Λ(λ), and the saturation I(1) against a grid maximum of
/// t − Λ(t).
#[test]
fn uniform_marginal_against_independent_quadrature() {
    let e = Iid::uniform();
    let s3 = 3f64.sqrt();
    for &(l, r) in &[(0.05, 1.0), (0.3, 1.0), (1.0, 0.7), (3.0, 1.0), (40.0, 1.0)] {
        let c = l * f64::sqrt(r);
        let lam = simpson_uniform(|y| ln_sinhc(s3 * c * y));
        close(e.log_mgf(l, r), lam, 1e-10, &format!("Lambda({l}, {r})"));
        let h = 1e-5 * l;
        let d = (simpson_uniform(|y| ln_sinhc(s3 * (l + h) * r.sqrt() * y))
            - simpson_uniform(|y| ln_sinhc(s3 * (l - h) * r.sqrt() * y)))
            / (2.0 * h);
        close(
            e.log_mgf_prime(l, r),
            d,
            1e-7,
            &format!("Lambda'({l}, {r})"),
        );
    }
    let th = DamTheory::new(e).unwrap();
    let (a1, phase) = th.alpha_1(0.3).unwrap();
    assert_eq!(phase.as_str(), "uncondensed");
    close(
        a1,
        0.3 - simpson_uniform(|y| ln_sinhc(s3 * 0.3 * y)),
        1e-10,
        "alpha_1(0.3)",
    );
    // I(1) = sup_t [t − Λ(t)] on a grid refined three times around its maximum
    let (mut lo, mut hi, mut best) = (0.0f64, 10.0f64, 0.0f64);
    for _ in 0..4 {
        let step = (hi - lo) / 400.0;
        let (mut tb, mut vb) = (lo, f64::NEG_INFINITY);
        for i in 0..=400 {
            let t = lo + i as f64 * step;
            let v = t - simpson_n(|y| ln_sinhc(s3 * t * y), 4000);
            if v > vb {
                (tb, vb) = (t, v);
            }
        }
        (lo, hi, best) = ((tb - step).max(0.0), tb + step, vb);
    }
    let (sat, phase) = th.alpha_1(50.0).unwrap();
    assert_eq!(phase.as_str(), "condensed");
    close(sat, best, 1e-9, "alpha_1 saturation I(1)");
}

/// Sparse ternary: α₁ saturates at the rate of matching the target on its support,
/// I(1) = f ln(2/f); the REM stays uncondensed.
#[test]
fn ternary_saturation_is_f_ln_2_over_f() {
    for &f in &[0.05, 0.1, 0.5] {
        let e = Iid::ternary(f).unwrap();
        let th = DamTheory::new(e).unwrap();
        close(
            th.alpha_1(60.0).unwrap().0,
            f * (2.0 / f).ln(),
            1e-12,
            &format!("f = {f}"),
        );
    }
}

/// The binary start law Λ_{a,b}(λ) = E_g ln cosh(λ(a + bg)) against a midpoint rule, and the
/// critical cosine of the point (α = 0.1, λ = 2): 0.426 for the gaussian-perturbed
/// start, not the hypercube value 0.4396.
#[test]
fn binary_start_law_and_basin() {
    let mid = |f: &dyn Fn(f64) -> f64| {
        let (n, z) = (400_000, 12.0);
        let h = 2.0 * z / n as f64;
        (0..n)
            .map(|i| {
                let x = -z + (i as f64 + 0.5) * h;
                (-0.5 * x * x).exp() * f(x)
            })
            .sum::<f64>()
            * h
            / (2.0 * std::f64::consts::PI).sqrt()
    };
    let lc = |x: f64| x.abs() + (-2.0 * x.abs()).exp().ln_1p() - std::f64::consts::LN_2;
    for &(l, a, b) in &[(2.0, 0.4, 0.9), (0.5, 0.9, 0.3), (5.0, 0.1, 1.0)] {
        let want = mid(&|z| lc(l * (a + b * z)));
        close(Binary.log_mgf_start(l, a, b), want, 1e-9, "Lambda_start");
        let dw = mid(&|z| (a + b * z) * (l * (a + b * z)).tanh());
        close(
            Binary.log_mgf_start_prime(l, a, b),
            dw,
            1e-9,
            "Lambda_start'",
        );
        close(
            Binary.start_edge(a, b),
            mid(&|z| (a + b * z).abs()),
            1e-9,
            "edge",
        );
    }
    let th = DamTheory::new(&Binary).unwrap();
    let b = th.basin(RemPoint::new(0.1, 2.0, 1.0).unwrap()).unwrap();
    assert!((0.425..0.427).contains(&b.cos_c), "cos_c = {}", b.cos_c);
}

/// The samplers: uniform and Laplace by Kolmogorov–Smirnov, a discrete marginal by χ², all
/// standardised (mean 0, variance 1 within 5σ).
#[test]
fn iid_samplers_follow_their_marginals() {
    use engram::ensembles::sample_rng;
    let draw = |e: &Iid, n: usize| {
        let mut rng = sample_rng(11, 2);
        (0..n).map(|_| e.draw(&mut rng)).collect::<Vec<f64>>()
    };
    let s3 = 3f64.sqrt();
    let u = draw(Iid::uniform(), 100_000);
    let p = ks_p(u.clone(), |v| ((v + s3) / (2.0 * s3)).clamp(0.0, 1.0));
    assert!(p > 1e-3, "uniform KS p = {p}");
    // power: a 5% wider uniform is rejected
    assert!(ks_p(u, |v| ((v + 1.05 * s3) / (2.1 * s3)).clamp(0.0, 1.0)) < 1e-3);
    let b = std::f64::consts::FRAC_1_SQRT_2;
    let lap = |v: f64| {
        if v < 0.0 {
            0.5 * (v / b).exp()
        } else {
            1.0 - 0.5 * (-v / b).exp()
        }
    };
    assert!(
        ks_p(draw(Iid::laplace(), 100_000), lap) > 1e-3,
        "laplace KS"
    );
    // χ² on a three-value marginal (2 degrees of freedom; 13.8 is p = 1e-3)
    let e = Iid::discrete(&[0.0, 1.0, 4.0], &[0.5, 0.3, 0.2]).unwrap();
    let x = draw(e, 60_000);
    let engram::ensembles::iid::Marginal::Discrete { values, weights } = e.marginal() else {
        panic!("discrete")
    };
    let chi2: f64 = values
        .iter()
        .zip(weights)
        .map(|(v, w)| {
            let o = x.iter().filter(|&&y| y == *v).count() as f64;
            let ex = w * x.len() as f64;
            (o - ex).powi(2) / ex
        })
        .sum();
    assert!(chi2 < 13.8, "chi2 = {chi2}");
    for s in [&x, &draw(Iid::uniform(), 60_000)] {
        let n = s.len() as f64;
        let m = s.iter().sum::<f64>() / n;
        let v = s.iter().map(|y| y * y).sum::<f64>() / n - m * m;
        assert!(
            m.abs() < 5.0 / n.sqrt() && (v - 1.0).abs() < 5.0 * 2.0 / n.sqrt(),
            "{m} {v}"
        );
    }
}

/// One-line refusals naming the key, and the config forms.
#[test]
fn refusals_and_config_forms() {
    let err = |s: &str| s.parse::<EnsembleKind>().unwrap_err().to_string();
    assert!(
        err("iid:0,1:0.5,0.6").contains("weights"),
        "{}",
        err("iid:0,1:0.5,0.6")
    );
    assert!(err("iid:2,2:0.5,0.5").contains("variance"));
    assert!(err("iid:0,1:0.5").contains("values"));
    assert!(err("iid:0,1:-0.5,1.5").contains("weights"));
    assert!(err("ternary:0").contains("sparsity"));
    assert!(err("ternary:1.5").contains("sparsity"));
    assert!(err("poisson").contains("ensemble"));
    let laplace: EnsembleKind = "laplace".parse().unwrap();
    let e = engram::query::dam::thresholds(laplace, &[1.0])
        .unwrap_err()
        .to_string();
    assert!(e.contains("laplace") && e.contains("infinite"), "{e}");

    #[derive(serde::Deserialize)]
    struct W {
        ensemble: EnsembleKind,
    }
    let w: W =
        toml::from_str("ensemble = { iid = { values = [-1, 1], weights = [0.5, 0.5] } }").unwrap();
    assert_eq!(w.ensemble.name(), "iid:-1,1:0.5,0.5");
    let w: W =
        toml::from_str("ensemble = { iid = { family = \"ternary\", sparsity = 0.2 } }").unwrap();
    assert_eq!(w.ensemble, "ternary:0.2".parse().unwrap());
    let w: W = toml::from_str("ensemble = \"uniform\"").unwrap();
    assert_eq!(w.ensemble.name(), "uniform");
    for (bad, key) in [
        (
            "ensemble = { iid = { values = [1, 2], weights = [0.2, 0.2] } }",
            "weights",
        ),
        ("ensemble = { iid = { family = \"cauchy\" } }", "family"),
        ("ensemble = { iid = { values = [1, 2] } }", "values"),
        (
            "ensemble = { iid = { family = \"ternary\", sparsity = 0.2, extra = 1 } }",
            "extra",
        ),
        ("ensemble = { mixture = {} }", "mixture"),
    ] {
        let e = toml::from_str::<W>(bad).err().expect(bad).to_string();
        assert!(e.contains(key) && e.contains("line 1"), "{bad}: {e}");
    }
}

/// A target law ν on a marginal's values as an ensemble written here, independently of the
/// library's: Λ_ν(t) = Σ_k ν_k ln Σ_j w_j e^{t v_j v_k}... (the patterns from π).
struct Law {
    v: Vec<f64>,
    w: Vec<f64>,
    nu: Vec<f64>,
}

impl Law {
    fn ln_m(&self, t: f64) -> (f64, f64) {
        let mx = self
            .v
            .iter()
            .map(|v| t * v)
            .fold(f64::NEG_INFINITY, f64::max);
        let (mut z, mut zv) = (0.0, 0.0);
        for (v, w) in self.v.iter().zip(&self.w) {
            let e = w * (t * v - mx).exp();
            z += e;
            zv += e * v;
        }
        (mx + z.ln(), zv / z)
    }
}

impl PatternEnsemble for Law {
    fn name(&self) -> &'static str {
        "law"
    }
    fn rho1(&self) -> f64 {
        self.nu.iter().zip(&self.v).map(|(n, v)| n * v * v).sum()
    }
    fn log_mgf(&self, l: f64, _r: f64) -> f64 {
        self.nu
            .iter()
            .zip(&self.v)
            .map(|(n, &v)| n * self.ln_m(l * v).0)
            .sum()
    }
    fn log_mgf_prime(&self, l: f64, _r: f64) -> f64 {
        self.nu
            .iter()
            .zip(&self.v)
            .map(|(n, &v)| n * v * self.ln_m(l * v).1)
            .sum()
    }
    fn overlap_edge(&self, _r: f64) -> f64 {
        let hi = self.v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lo = self.v.iter().copied().fold(f64::INFINITY, f64::min);
        self.nu
            .iter()
            .zip(&self.v)
            .map(|(n, v)| n * (hi * v).max(lo * v))
            .sum()
    }
}

/// Sparse ternary's stealing pair is a tie: a longer pattern that matches the target on its
/// support. Its rate min_ν [KL(ν‖π) + (1 − ν₀) ln(2/f)] = −ln(1 − f + f²/2) (Gibbs), so
/// α_pair = −½ ln(1 − f + f²/2).
#[test]
fn ternary_pair_channel_is_the_tie() {
    for &f in &[0.1, 0.5] {
        let e = Iid::ternary(f).unwrap();
        let c = e.empirical_channels(2.0).unwrap().unwrap();
        let want = -0.5 * (1.0 - f + 0.5 * f * f).ln();
        close(c.alpha_pair, want, 1e-7, &format!("pair f = {f}"));
    }
}

/// The empirical-law channel of α_c, min_ν max(KL(ν‖π), α_f(λ; ν)), for two three-value
/// marginals against a brute-force grid over the simplex of target laws (α_f from DamTheory on
/// an ensemble written in this test): Nelder–Mead is never worse than the grid and within its
/// resolution of it; it lies below α₁ (ν = π) and the thresholds report it.
#[test]
fn empirical_channel_against_a_simplex_grid() {
    for name in ["ternary:0.5", "iid:0,1,3:0.5,0.3,0.2"] {
        let EnsembleKind::Iid(e) = name.parse::<EnsembleKind>().unwrap() else {
            panic!("iid")
        };
        let engram::ensembles::iid::Marginal::Discrete { values, weights } = e.marginal() else {
            panic!("discrete")
        };
        for &l in &[0.5, 1.5] {
            let c = e.empirical_channels(l).unwrap().unwrap();
            let steps = 80;
            let mut grid_min = f64::INFINITY;
            for i in 1..steps {
                for j in 1..(steps - i) {
                    let nu = vec![
                        i as f64 / steps as f64,
                        j as f64 / steps as f64,
                        (steps - i - j) as f64 / steps as f64,
                    ];
                    let kl: f64 = nu.iter().zip(weights).map(|(n, w)| n * (n / w).ln()).sum();
                    let law = Law {
                        v: values.clone(),
                        w: weights.clone(),
                        nu,
                    };
                    let rho = law.rho1();
                    let af = DamTheory::new(&law)
                        .unwrap()
                        .failure_load(l, rho)
                        .unwrap()
                        .0;
                    grid_min = grid_min.min(kl.max(af));
                }
            }
            let a1 = DamTheory::new(e).unwrap().alpha_1(l).unwrap().0;
            assert!(
                c.alpha_empirical <= grid_min + 1e-9,
                "{name} {l}: {} vs grid {grid_min}",
                c.alpha_empirical
            );
            assert!(
                c.alpha_empirical >= grid_min - 0.01,
                "{name} {l}: {} vs grid {grid_min}",
                c.alpha_empirical
            );
            assert!(c.alpha_empirical <= a1 + 1e-12);
            let t = DamTheory::new(e).unwrap().thresholds(l).unwrap();
            assert!(t.alpha_c.bound <= c.alpha_empirical.min(c.alpha_pair) + 1e-15);
            eprintln!(
                "{name} λ={l}: α₁ = {a1}, empirical {} (grid {grid_min}), ρ_f = {}, pair {}",
                c.alpha_empirical, c.rho_failing, c.alpha_pair
            );
        }
    }
}

/// The median target norm of an i.i.d. marginal, 1 − κ₃/(6κ₂N) (Cornish–Fisher), against the
/// sampled median of ‖ξ‖²/N, 40,001 draws at N = 20: within 0.006 for the uniform marginal
/// (sampling error ≈ 0.0016, neglected O(N⁻²) ≈ 0.001). A discrete marginal's norm lives on a
/// lattice (spacing 0.0155 here) whose median is a lattice point; the smooth value must lie
/// within one lattice step of it.
#[test]
fn median_target_norm_against_sampling() {
    use engram::dam::fss::median_target_norm;
    use engram::ensembles::sample_rng;
    let n = 20;
    for (name, tol) in [("uniform", 0.006), ("iid:0,1,3:0.5,0.3,0.2", 0.0156)] {
        let kind: EnsembleKind = name.parse().unwrap();
        let EnsembleKind::Iid(e) = kind else {
            panic!("iid")
        };
        let mut rng = sample_rng(3, 1);
        let mut norms: Vec<f64> = (0..40_001)
            .map(|_| (0..n).map(|_| e.draw(&mut rng).powi(2)).sum::<f64>() / n as f64)
            .collect();
        norms.sort_by(f64::total_cmp);
        let sampled = norms[norms.len() / 2];
        let formula = median_target_norm(kind, n, None);
        assert!(
            (formula - sampled).abs() < tol,
            "{name}: {formula} vs sampled {sampled}"
        );
    }
}
