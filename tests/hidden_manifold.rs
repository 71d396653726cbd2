//! The hidden-manifold ensemble (docs/theory.md#hidden-manifold): the replica-symmetric Λ
//! against closed forms, known limits, a quadrature twice as fine, and sampled patterns.

use engram::ensembles::hidden_manifold::Activation;
use engram::ensembles::{HiddenManifold, PatternEnsemble};

const ALL: [Activation; 4] = [
    Activation::Linear,
    Activation::Relu,
    Activation::Tanh,
    Activation::Sign,
];

/// E_g f(g) by adaptive tanh-sinh on [−12 − w, 12 + w] split at 0, ±3, ±12 (independent of
/// engram's rules; `w` widens the range for a tilted integrand).
fn gauss_wide(f: impl Fn(f64) -> f64, w: f64) -> f64 {
    let pdf = |z: f64| (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
    [
        (-12.0 - w, -12.0),
        (-12.0, -3.0),
        (-3.0, 0.0),
        (0.0, 3.0),
        (3.0, 12.0),
        (12.0, 12.0 + w),
    ]
    .iter()
    .filter(|&&(a, b)| b > a)
    .map(|&(a, b)| quadrature::integrate(|z| pdf(z) * f(z), a, b, 1e-13).integral)
    .sum()
}

/// The α_D → ∞ limit: the i.i.d. marginal σ̃(g), Λ = E_y ln E_u exp(λ σ̃(y) σ̃(u)), with the
/// u range widened to the tilted centre (|c| max σ̃′ ≤ 3|c| for the standardised σ̃).
fn iid_limit(e: &HiddenManifold, lambda: f64) -> f64 {
    gauss_wide(
        |y| {
            let c = lambda * e.sigma(y);
            // the log of the tilted integral, shifted by its value at the tilted centre
            let w = 3.0 * c.abs();
            let shift = (0..=400)
                .map(|k| {
                    let u = -12.0 - w + (24.0 + 2.0 * w) * k as f64 / 400.0;
                    c * e.sigma(u) - 0.5 * u * u
                })
                .fold(f64::NEG_INFINITY, f64::max);
            let z = gauss_wide(|u| (c * e.sigma(u) - shift).exp(), w);
            z.ln() + shift
        },
        0.0,
    )
}

#[test]
fn linear_by_quadrature_equals_its_closed_form() {
    // Λ = λ²(1 + 1/α_D)/2 exactly (docs/theory.md#hidden-manifold)
    for ad in [0.1, 0.5, 2.0] {
        let e = HiddenManifold::new(ad, Activation::Linear).unwrap();
        for l in [0.05, 0.7, 3.0] {
            let s = e.saddle_by_quadrature(l, 1.0, 0.0).unwrap();
            let exact = 0.5 * l * l * (1.0 + 1.0 / ad);
            assert!(
                (s.lambda_log_mgf / exact - 1.0).abs() < 1e-9,
                "{ad} {l}: {s:?}"
            );
            assert!((s.lambda_log_mgf_prime / (l * (1.0 + 1.0 / ad)) - 1.0).abs() < 1e-9);
            assert!((e.log_mgf(l, 1.0) - exact).abs() < 1e-14 * exact.max(1.0));
        }
    }
}

#[test]
fn large_latent_dimension_is_the_iid_marginal() {
    // Λ(α_D) − Λ(∞) = O(1/α_D): at α_D = 1e4 within 1e-3 λ²; sign → ln cosh λ (binary),
    // linear → λ²/2 (gaussian)
    for act in ALL {
        let e = HiddenManifold::new(1e4, act).unwrap();
        for l in [0.3f64, 1.0, 2.0] {
            let lim = match act {
                Activation::Sign => l.cosh().ln(),
                Activation::Linear => 0.5 * l * l,
                _ => iid_limit(e, l),
            };
            let got = e.log_mgf(l, 1.0);
            println!("{act:?} {l}: {got} vs {lim}: {:.2e}", got - lim);
            assert!(
                (got - lim).abs() < 1e-3 * l * l,
                "{act:?} {l}: {got} vs {lim}"
            );
        }
    }
}

#[test]
fn limit_by_richardson_extrapolation() {
    // Λ(α_D) = Λ(∞) + c/α_D + O(α_D⁻²): 2Λ(2A) − Λ(A) removes the 1/α_D term
    for act in [Activation::Relu, Activation::Tanh, Activation::Sign] {
        let (e1, e2) = (
            HiddenManifold::new(1e3, act).unwrap(),
            HiddenManifold::new(2e3, act).unwrap(),
        );
        for l in [0.3f64, 1.0, 2.0] {
            let lim = if act == Activation::Sign {
                l.cosh().ln()
            } else {
                iid_limit(e1, l)
            };
            let rich = 2.0 * e2.log_mgf(l, 1.0) - e1.log_mgf(l, 1.0);
            println!("{act:?} {l}: {rich} vs {lim}: {:.2e}", rich - lim);
            assert!(
                (rich - lim).abs() < 2e-6 * l * l,
                "{act:?} {l}: {rich} vs {lim}"
            );
        }
    }
}

#[test]
fn small_lambda_is_the_exact_overlap_variance() {
    // Λ = v₂λ²/2 + O(λ³) with v₂ = Var(ξ·ξ¹)/N = 1 + μ₁⁴/α_D (Hermite expansion of the
    // covariance given F, docs/theory.md#hidden-manifold; no replica assumption)
    for act in ALL {
        for ad in [0.2, 1.0, 5.0] {
            let e = HiddenManifold::new(ad, act).unwrap();
            let v2 = 1.0 + e.mu1().powi(4) / ad;
            // the λ⁴ coefficient reaches ~25 at α_D = 0.2 (m = 3.7λ): λ = 1e-4 keeps it below 1e-6
            let (l1, l2) = (1e-4, 2e-4);
            // (8Λ(λ) − Λ(2λ))/(4λ²) = v₂/2 + O(λ²): the λ³ term cancels
            let (a, b) = (e.log_mgf(l1, 1.0), e.log_mgf(l2, 1.0));
            let quad = 2.0 * (8.0 * a - b) / (4.0 * l1 * l1);
            println!("{act:?} {ad}: {} vs {v2}", quad);
            assert!(
                (quad - v2).abs() < 1e-5 * v2,
                "{act:?} {ad}: {quad} vs {v2}"
            );
        }
    }
}

#[test]
fn quadrature_converged() {
    // the default rules against twice the nodes in every dimension: relative 1e-8 in Λ and
    // 1e-6 in Λ′ up to λ = 1; at λ = 2 1e-6 and 1e-4 (ReLU's tilted latents move far out)
    for act in [Activation::Relu, Activation::Tanh, Activation::Sign] {
        for ad in [0.25, 1.0] {
            let e = HiddenManifold::new(ad, act).unwrap();
            for l in [0.1, 0.7, 2.0] {
                let (s, f) = (
                    e.saddle_by_quadrature(l, 1.0, 0.0).unwrap(),
                    e.saddle_fine(l, 1.0, 0.0).unwrap(),
                );
                let d = (s.lambda_log_mgf / f.lambda_log_mgf - 1.0).abs();
                let dp = (s.lambda_log_mgf_prime / f.lambda_log_mgf_prime - 1.0).abs();
                println!("{act:?} {ad} {l}: {d:.1e} {dp:.1e}");
                let (td, tp) = if l <= 1.0 { (1e-8, 1e-6) } else { (1e-6, 1e-4) };
                assert!(d < td && dp < tp, "{act:?} {ad} {l}: {d:.1e} {dp:.1e}");
            }
        }
    }
}

#[test]
fn sampled_overlap_variance() {
    // the store sampler (one F per store): Var(ξ^μ·ξ¹)/N over stores and patterns against
    // v₂ = 1 + μ₁⁴/α_D (+ O(1/N)); 200 stores × 300 patterns at N = 200
    use engram::ensembles::{sample_rng, PatternSampler};
    let n = 200;
    for (act, ad) in [
        (Activation::Linear, 0.25),
        (Activation::Tanh, 0.5),
        (Activation::Relu, 0.5),
        (Activation::Sign, 1.0),
    ] {
        let e = HiddenManifold::new(ad, act).unwrap();
        let v2 = 1.0 + e.mu1().powi(4) / ad;
        let per_store: Vec<f64> = (0..200u64)
            .map(|s| {
                let mut rng = sample_rng(11, s);
                let mut target = vec![0f32; n];
                let (mut sum2, mut count) = (0.0, 0.0);
                e.sample_store(&mut rng, n, 301, &mut |mu, pat| {
                    if mu == 0 {
                        target.copy_from_slice(pat);
                    } else {
                        let u: f64 = pat
                            .iter()
                            .zip(&target)
                            .map(|(&a, &b)| a as f64 * b as f64)
                            .sum();
                        sum2 += u * u / n as f64;
                        count += 1.0;
                    }
                    Ok(())
                })
                .unwrap();
                sum2 / count
            })
            .collect();
        let mean = per_store.iter().sum::<f64>() / 200.0;
        let sd = (per_store.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 199.0).sqrt();
        let err = sd / 200f64.sqrt();
        println!("{act:?} {ad}: {mean} ± {err} vs {v2}");
        // 5σ of the store-to-store spread plus the O(1/N) bias allowance 5/N
        assert!(
            (mean - v2).abs() < 5.0 * err + 5.0 / n as f64,
            "{act:?}: {mean} ± {err} vs {v2}"
        );
    }
}

#[test]
fn start_law_large_latent_dimension_is_binary() {
    // the cosine start x = aξ¹ + bg (the basin's law, b > 0 adds the g integral): sign σ at
    // α_D = 2000 against the binary Λ_{a,b} = E_g ln cosh(λ(a + bg)), within the O(1/α_D) shift
    use engram::ensembles::Binary;
    let e = HiddenManifold::new(2e3, Activation::Sign).unwrap();
    for (l, a, b) in [(0.5, 0.6, 0.8), (2.0, 0.43, 0.9)] {
        let (got, want) = (e.log_mgf_start(l, a, b), Binary.log_mgf_start(l, a, b));
        println!("{l} {a} {b}: {got} vs {want}");
        assert!((got - want).abs() < 2.0 * l * l / 2e3, "{got} vs {want}");
    }
}

#[test]
fn names_config_forms_and_refusals() {
    use engram::ensembles::EnsembleKind;
    let k: EnsembleKind = "hmm:tanh:0.5".parse().unwrap();
    assert_eq!(k.name(), "hmm:tanh:0.5");
    #[derive(serde::Deserialize)]
    struct W {
        #[allow(dead_code)]
        ensemble: EnsembleKind,
    }
    let w: W =
        toml::from_str("ensemble = { hidden_manifold = { alpha_d = 0.5, activation = \"tanh\" } }")
            .unwrap();
    assert_eq!(
        w.ensemble, k,
        "the table and the name intern to the same ensemble"
    );
    for (bad, says) in [
        ("hmm:tanh:0", "alpha_d"),
        ("hmm:tanh:-1", "alpha_d"),
        ("hmm:tanh:x", "alpha_d"),
        ("hmm:cubic:1", "activation"),
        ("hmm:tanh", "hmm:ACTIVATION:ALPHA_D"),
    ] {
        let e = bad.parse::<EnsembleKind>().unwrap_err().to_string();
        assert!(e.contains(says), "{bad}: {e}");
    }
    for (bad, says) in [
        (
            "ensemble = { hidden_manifold = { alpha_d = 0.5 } }",
            "activation",
        ),
        (
            "ensemble = { hidden_manifold = { alpha_d = 0.5, activation = \"tanh\", x = 1 } }",
            "x",
        ),
        (
            "ensemble = { hidden_manifold = { alpha_d = 0, activation = \"relu\" } }",
            "alpha_d",
        ),
        (
            "ensemble = { manifold = { alpha_d = 1, activation = \"relu\" } }",
            "hidden_manifold",
        ),
    ] {
        let e = toml::from_str::<W>(bad).err().expect(bad).to_string();
        assert!(e.contains(says), "{bad}: {e}");
        assert!(e.contains("line 1"), "{bad}: {e}");
    }
}

/// Quadrature passes per λ along a 2,000-point sweep (the cost unit quoted in
/// docs/performance.md); run with `--ignored --nocapture`.
#[test]
#[ignore]
fn passes_per_lambda_along_a_sweep() {
    use engram::dam::DamTheory;
    use engram::ensembles::hidden_manifold::passes;
    for (act, ad) in [
        (Activation::Sign, 1.0),
        (Activation::Tanh, 0.5),
        (Activation::Relu, 0.5),
    ] {
        let e = HiddenManifold::new(ad, act).unwrap();
        let th = DamTheory::new(e).unwrap();
        let p0 = passes();
        for i in 0..2000 {
            th.alpha_1(0.05 + 2.95 * i as f64 / 1999.0).unwrap();
        }
        println!(
            "{act:?} {ad}: {:.2} passes per λ",
            (passes() - p0) as f64 / 2000.0
        );
        assert!(passes() > p0);
    }
}

#[test]
fn tilted_overlap_approaches_the_edge() {
    // Λ′(λ) increases towards the overlap edge sup_z (1/N) Σ ξ¹_i σ̃(h_i): 1 for sign (the
    // target's own sign pattern), E|tanh g|/E tanh² g for tanh (z = t z¹, t → ∞); the edges
    // are evaluated here by independent quadrature
    let tanh2 = gauss_wide(|g| g.tanh().powi(2), 0.0);
    let tanh_edge = gauss_wide(|g| g.tanh().abs(), 0.0) / tanh2;
    for (act, edge) in [(Activation::Sign, 1.0), (Activation::Tanh, tanh_edge)] {
        let e = HiddenManifold::new(0.5, act).unwrap();
        assert!(
            (e.overlap_edge(1.0) - edge).abs() < 1e-9,
            "{act:?}: {}",
            e.overlap_edge(1.0)
        );
        let mut last = 0.0;
        for l in [0.5, 1.0, 2.0, 4.0, 8.0] {
            let d = e.log_mgf_prime(l, 1.0);
            assert!(d > last && d < edge, "{act:?} {l}: {d} (edge {edge})");
            last = d;
        }
        if act == Activation::Sign {
            assert!(edge - last < 1e-4, "sign at λ = 8: {last}");
        }
    }
}

#[test]
fn finite_n_overlap_law_variance() {
    // the finite-N REM's exact overlap draws given F and ξ¹ (one gaussian for linear σ, a
    // fresh latent through F for tanh): Var(u)/N over 100 targets × 400 draws at N = 200
    // against v₂ = 1 + μ₁⁴/α_D, within 5σ of the target-to-target spread plus 5/N
    use engram::dam::fss::OverlapLaw;
    use engram::ensembles::{sample_rng, EnsembleKind};
    let n = 200;
    for name in ["hmm:linear:0.5", "hmm:tanh:1"] {
        let kind: EnsembleKind = name.parse().unwrap();
        let EnsembleKind::HiddenManifold(e) = kind else {
            unreachable!()
        };
        let v2 = 1.0 + e.mu1().powi(4) / e.alpha_d;
        let per: Vec<f64> = (0..100u64)
            .map(|s| {
                let mut rng = sample_rng(5, s);
                let law = OverlapLaw::new(kind, n, None, &mut rng);
                (0..400).map(|_| law.draw(&mut rng).powi(2)).sum::<f64>() / (400.0 * n as f64)
            })
            .collect();
        let mean = per.iter().sum::<f64>() / 100.0;
        let sd = (per.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 99.0).sqrt();
        println!("{name}: {mean} ± {} vs {v2}", sd / 10.0);
        assert!(
            (mean - v2).abs() < 5.0 * sd / 10.0 + 5.0 / n as f64,
            "{name}: {mean} vs {v2}"
        );
    }
}
