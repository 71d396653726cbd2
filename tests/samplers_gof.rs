//! Goodness of fit of every pattern sampler against its exact law (statrs distribution
//! functions). Each test rejects at p < 1e-3 (fixed seeds, so a pass is reproducible; a
//! negative control shows the tests have the power to reject a 5% error in the variance).

mod common;

use common::ks_p;
use engram::ensembles::{sample_rng, EnsembleKind};
use statrs::distribution::{Beta, Binomial, ChiSquared, ContinuousCDF, Discrete, Normal};

const P_MIN: f64 = 1e-3;

fn patterns(kind: EnsembleKind, n: usize, count: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = sample_rng(seed, 0);
    let mut buf = vec![0f32; n];
    (0..count)
        .map(|_| {
            kind.sampler().sample_pattern(&mut rng, &mut buf);
            buf.iter().map(|&v| v as f64).collect()
        })
        .collect()
}

/// Gaussian components are N(0, 1); a 5% wider normal is rejected (power check).
#[test]
fn gaussian_components_are_standard_normal() {
    let x: Vec<f64> = patterns(EnsembleKind::Gaussian, 50, 400, 1)
        .into_iter()
        .flatten()
        .collect();
    let std = Normal::new(0.0, 1.0).unwrap();
    let p = ks_p(x.clone(), |v| std.cdf(v));
    assert!(p > P_MIN, "KS p = {p}");
    let wide = Normal::new(0.0, 1.05).unwrap();
    let q = ks_p(x, |v| wide.cdf(v));
    assert!(q < P_MIN, "the test cannot tell a 5% wider normal: p = {q}");
}

/// Gaussian squared norms follow χ²_N (the norm law behind channel (a) of α_c).
#[test]
fn gaussian_norms_are_chi_squared() {
    let n = 30;
    let r: Vec<f64> = patterns(EnsembleKind::Gaussian, n, 5000, 2)
        .iter()
        .map(|p| p.iter().map(|v| v * v).sum())
        .collect();
    let chi = ChiSquared::new(n as f64).unwrap();
    let p = ks_p(r, |v| chi.cdf(v));
    assert!(p > P_MIN, "KS p = {p}");
}

/// Spherical patterns: the overlap c = ξ·η/N of two independent patterns has
/// (1 + c)/2 ~ Beta((N−1)/2, (N−1)/2) (the law the finite-N REM draws from).
#[test]
fn spherical_overlaps_follow_the_beta_law() {
    let n = 20;
    let a = patterns(EnsembleKind::Spherical, n, 4000, 3);
    let b = patterns(EnsembleKind::Spherical, n, 4000, 4);
    let c: Vec<f64> = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (1.0 + x.iter().zip(y).map(|(u, v)| u * v).sum::<f64>() / n as f64) / 2.0)
        .collect();
    let h = (n as f64 - 1.0) / 2.0;
    let beta = Beta::new(h, h).unwrap();
    let p = ks_p(c, |v| beta.cdf(v));
    assert!(p > P_MIN, "KS p = {p}");
}

/// Binary patterns are balanced: the number of +1 entries of a pattern of N = 64 is Bin(64, ½)
/// (χ² test over the bins with expected count ≥ 5, tails pooled).
#[test]
fn binary_entries_are_balanced() {
    let n = 64;
    let m = 20000;
    let counts: Vec<usize> = patterns(EnsembleKind::Binary, n, m, 5)
        .iter()
        .map(|p| p.iter().filter(|&&v| v > 0.0).count())
        .collect();
    let bin = Binomial::new(0.5, n as u64).unwrap();
    let mut obs = vec![0f64; n + 1];
    for c in counts {
        obs[c] += 1.0;
    }
    let exp: Vec<f64> = (0..=n).map(|k| m as f64 * bin.pmf(k as u64)).collect();
    // pool tails until the expected count is at least 5
    let lo = (0..=n)
        .find(|&k| exp[..=k].iter().sum::<f64>() >= 5.0)
        .unwrap();
    let hi = (0..=n)
        .rev()
        .find(|&k| exp[k..].iter().sum::<f64>() >= 5.0)
        .unwrap();
    let mut chi2 = 0.0;
    let mut bins = 0;
    let mut add = |o: f64, e: f64| {
        chi2 += (o - e) * (o - e) / e;
        bins += 1;
    };
    add(obs[..=lo].iter().sum(), exp[..=lo].iter().sum());
    for k in lo + 1..hi {
        add(obs[k], exp[k]);
    }
    add(obs[hi..].iter().sum(), exp[hi..].iter().sum());
    let p = ChiSquared::new((bins - 1) as f64).unwrap().sf(chi2);
    assert!(p > P_MIN, "chi2 = {chi2} over {bins} bins, p = {p}");
}

/// Intervals at a stated confidence level: the statrs quantile gives z = 1 at 68.27% and
/// 1.959964 at 95%, and the 95% Wilson interval of 40/100 matches its textbook value
/// [0.3094, 0.4980] (Wilson 1927 form, to 4 decimals).
#[test]
fn intervals_at_a_stated_level() {
    use engram::stats::{wilson_level, z_of_level};
    assert!((z_of_level(0.682_689_492_137_086).unwrap() - 1.0).abs() < 1e-9);
    assert!((z_of_level(0.95).unwrap() - 1.959_963_984_540_054).abs() < 1e-9);
    let w = wilson_level(40, 100, 0.95).unwrap();
    assert!(
        (w.lo - 0.3094).abs() < 1e-4 && (w.hi - 0.4980).abs() < 1e-4,
        "{w:?}"
    );
    assert!(z_of_level(1.0).is_err() && z_of_level(0.0).is_err());
}
