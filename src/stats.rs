//! Estimators with error bars and finite-size extrapolation (docs/theory.md#simulator).

/// Sample mean with its standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanSe {
    /// Sample mean.
    pub mean: f64,
    /// Standard error of the mean, s/√n (0 for n = 1).
    pub se: f64,
    /// Number of values.
    pub n: usize,
}

/// Mean and standard error, summed in the order given (results do not depend on threads).
/// Domain: non-empty slice of finite values.
pub fn mean_se(xs: &[f64]) -> MeanSe {
    let n = xs.len();
    let mean = xs.iter().sum::<f64>() / n as f64;
    let var = if n > 1 {
        xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64
    } else {
        0.0
    };
    MeanSe {
        mean,
        se: (var / n as f64).sqrt(),
        n,
    }
}

/// Cluster-robust mean of values grouped in clusters (targets sharing a pattern store): the
/// mean over all values, its standard error from the sandwich (CR1) estimator
///
/// Var(ȳ) = G/(G−1) · Σ_g (Σ_{i∈g} (y_i − ȳ))² / n²,
///
/// and the design effect deff = Var(ȳ) / (s²/n), the factor by which clustering inflates the
/// variance over n independent values (deff = 1 + (m−1)·ICC for clusters of size m). With
/// clusters of one value each, Var(ȳ) = s²/n exactly and deff = 1. `cluster[i]` labels value i;
/// labels must be contiguous runs (values of one cluster next to each other).
/// Domain: non-empty, equal lengths, finite values. With one cluster the error is infinite
/// (there is no between-cluster spread to estimate it from).
pub fn cluster_mean_se(ys: &[f64], cluster: &[usize]) -> (MeanSe, f64) {
    let iid = mean_se(ys);
    let n = ys.len() as f64;
    let mut g = 0usize;
    let mut ss = 0.0;
    let mut run = 0.0;
    for (i, &y) in ys.iter().enumerate() {
        if i > 0 && cluster[i] != cluster[i - 1] {
            ss += run * run;
            run = 0.0;
            g += 1;
        }
        run += y - iid.mean;
    }
    ss += run * run;
    g += 1;
    let var = if g > 1 {
        g as f64 / (g as f64 - 1.0) * ss / (n * n)
    } else {
        f64::INFINITY
    };
    let var_iid = iid.se * iid.se;
    let deff = if var_iid > 0.0 { var / var_iid } else { 1.0 };
    (
        MeanSe {
            mean: iid.mean,
            se: var.sqrt(),
            n: ys.len(),
        },
        deff,
    )
}

/// Wilson score interval for a proportion p measured on an effective number of independent
/// trials n_eff = n / deff (Kish), at z standard deviations: the interval of [`wilson`] with n
/// replaced by n_eff. Domain: 0 ≤ p ≤ 1, n_eff > 0, z > 0.
pub fn wilson_effective(p: f64, n_eff: f64, z: f64) -> Proportion {
    let z2 = z * z;
    let denom = 1.0 + z2 / n_eff;
    let center = (p + z2 / (2.0 * n_eff)) / denom;
    let half = z * (p * (1.0 - p) / n_eff + z2 / (4.0 * n_eff * n_eff)).sqrt() / denom;
    let (lo, hi) = ((center - half).max(0.0), (center + half).min(1.0));
    Proportion {
        p,
        lo,
        hi,
        err: 0.5 * (hi - lo),
    }
}

/// A proportion k/n with its Wilson score interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Proportion {
    /// k/n.
    pub p: f64,
    /// Lower end of the Wilson interval.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
    /// Half-width (hi − lo)/2, the error bar reported with p.
    pub err: f64,
}

/// Wilson score interval for k successes in n trials at z standard deviations (z = 1: the
/// one-sigma interval, comparable with standard errors).
/// Domain: n ≥ 1, k ≤ n, z > 0.
pub fn wilson(k: usize, n: usize, z: f64) -> Proportion {
    wilson_effective(k as f64 / n as f64, n as f64, z)
}

/// The two-sided normal quantile z of a confidence level (0.6827 → 1, 0.95 → 1.95996), from
/// statrs' inverse normal CDF. Domain: 0 < level < 1.
pub fn z_of_level(level: f64) -> crate::error::Result<f64> {
    use statrs::distribution::{ContinuousCDF, Normal};
    if !(level > 0.0 && level < 1.0) {
        return Err(crate::error::EngramError::InvalidParameter {
            name: "level",
            value: level.to_string(),
            allowed: "a confidence level in (0, 1)",
        });
    }
    let std = Normal::new(0.0, 1.0).expect("standard normal");
    Ok(std.inverse_cdf(0.5 + level / 2.0))
}

/// Wilson score interval for k successes in n trials at a stated confidence level
/// ([`wilson`] at z = [`z_of_level`]). Domain: n ≥ 1, k ≤ n, 0 < level < 1.
pub fn wilson_level(k: usize, n: usize, level: f64) -> crate::error::Result<Proportion> {
    Ok(wilson(k, n, z_of_level(level)?))
}

/// Weighted least-squares line y = a + b x with standard errors of a and b.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineFit {
    /// Intercept a (the extrapolation to x = 0, e.g. 1/N → 0).
    pub a: f64,
    /// Standard error of a.
    pub a_err: f64,
    /// Slope b.
    pub b: f64,
    /// Standard error of b.
    pub b_err: f64,
}

/// Fit y = a + b x with weights 1/σ². Domain: ≥ 2 points with distinct x, σ > 0.
pub fn linear_fit(x: &[f64], y: &[f64], sigma: &[f64]) -> Option<LineFit> {
    if x.len() < 2 || x.len() != y.len() || y.len() != sigma.len() {
        return None;
    }
    let (mut s, mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for i in 0..x.len() {
        let w = 1.0 / (sigma[i] * sigma[i]);
        s += w;
        sx += w * x[i];
        sy += w * y[i];
        sxx += w * x[i] * x[i];
        sxy += w * x[i] * y[i];
    }
    let det = s * sxx - sx * sx;
    if det.is_nan() || det <= 0.0 || det.is_infinite() {
        return None;
    }
    Some(LineFit {
        a: (sxx * sy - sx * sxy) / det,
        a_err: (sxx / det).sqrt(),
        b: (s * sxy - sx * sy) / det,
        b_err: (s / det).sqrt(),
    })
}

/// Where a decreasing curve p(x) crosses `level`, by linear interpolation between the first
/// bracketing pair. Error: the two points' error bars propagated through the local slope, plus
/// in quadrature the bracket's resolution (Δp·Δx)²/12 with Δp = p_i − p_{i+1}: when p falls by
/// most of its range inside one grid step, the crossing is only known to lie somewhere in the
/// bracket (uniform: Δx/√12), whatever the points' own errors; on a curve resolved over many
/// grid steps (small Δp) the term is negligible. Returns None if the curve does not cross.
pub fn crossing(x: &[f64], p: &[f64], p_err: &[f64], level: f64) -> Option<(f64, f64)> {
    for i in 0..x.len().saturating_sub(1) {
        if p[i] >= level && p[i + 1] < level {
            let slope = (p[i + 1] - p[i]) / (x[i + 1] - x[i]);
            let t = (level - p[i]) / (p[i + 1] - p[i]);
            let xc = x[i] + t * (x[i + 1] - x[i]);
            let dp = ((1.0 - t) * (1.0 - t) * p_err[i] * p_err[i]
                + t * t * p_err[i + 1] * p_err[i + 1])
                .sqrt();
            let stat = dp / slope.abs();
            let resolution = (p[i] - p[i + 1]) * (x[i + 1] - x[i]).abs() / 12f64.sqrt();
            return Some((xc, stat.hypot(resolution)));
        }
    }
    None
}

/// Median of sorted values with a one-sigma error from the order statistics at n/2 ± √n/2
/// (half their distance; infinite if the upper one is infinite).
pub fn median_with_error(sorted: &[f64]) -> (f64, f64) {
    let n = sorted.len();
    let med = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
    };
    let h = (n as f64).sqrt() / 2.0;
    let lo = ((n as f64 / 2.0 - h).floor().max(0.0)) as usize;
    let hi = ((n as f64 / 2.0 + h).ceil() as usize).min(n - 1);
    (med, 0.5 * (sorted[hi] - sorted[lo]))
}

/// Shortest round-trip decimal; scientific notation outside [1e-5, 1e15) so that tiny values
/// (Δ₀ ~ 1e-30 after retrieval) stay readable. Parses back to the same f64 either way.
pub fn fmt_num(x: f64) -> String {
    let a = x.abs();
    if a != 0.0 && a.is_finite() && !(1e-5..1e15).contains(&a) {
        format!("{x:e}")
    } else {
        x.to_string()
    }
}

/// A number for a message: at most 10 significant digits (a range's 1.7000000000000002 reads
/// 1.7), scientific outside [1e-5, 1e15). Not for data files: those use [`fmt_num`].
pub fn fmt_short(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return x.to_string();
    }
    let r: f64 = format!("{x:.9e}").parse().unwrap_or(x);
    fmt_num(r)
}

#[cfg(test)]
mod tests {
    use super::{fmt_num, fmt_short};

    /// Messages show a range's values as typed; tiny and huge values stay scientific.
    #[test]
    fn fmt_short_rounds_to_ten_digits() {
        assert_eq!(fmt_short(0.05 + 1.65), "1.7");
        assert_eq!(fmt_short(1e308), "1e308");
        assert_eq!(fmt_short(1.234e-7), "1.234e-7");
        assert_eq!(fmt_short(-0.1), "-0.1");
    }

    /// Every printed number parses back to the same f64 (plain and scientific branches).
    #[test]
    fn fmt_num_round_trips() {
        for &x in &[
            0.0,
            1.0,
            -0.255,
            1e-30,
            3.9e-9,
            0.4104021790771554,
            12345.678,
            1e300,
            -2e-7,
        ] {
            let s = fmt_num(x);
            assert_eq!(s.parse::<f64>().unwrap(), x, "{s}");
        }
        assert_eq!(fmt_num(1e-30), "1e-30");
        assert_eq!(fmt_num(0.5), "0.5");
    }

    use super::*;

    #[test]
    fn mean_and_se() {
        let m = mean_se(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m.mean, 2.5);
        // s² = 5/3, se = √(5/12)
        assert!((m.se - (5.0f64 / 12.0).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn wilson_known_values() {
        // 95% Wilson interval for 8/10 (z = 1.96): [0.4902, 0.9433] (Wilson 1927; textbook value)
        let w = wilson(8, 10, 1.96);
        assert!(
            (w.lo - 0.4902).abs() < 1e-4 && (w.hi - 0.9433).abs() < 1e-4,
            "{w:?}"
        );
        let z = wilson(0, 50, 1.0);
        assert_eq!(z.lo, 0.0);
        assert!(z.hi > 0.0 && z.hi < 0.05);
    }

    #[test]
    fn fit_recovers_line() {
        let x = [0.0, 1.0, 2.0, 3.0];
        let y: Vec<f64> = x.iter().map(|x| 0.5 - 2.0 * x).collect();
        let f = linear_fit(&x, &y, &[0.1; 4]).unwrap();
        assert!((f.a - 0.5).abs() < 1e-14 && (f.b + 2.0).abs() < 1e-14);
        // two points, unit errors: var(a) = Σx²/det = 1/(2·1−1)=1
        let f2 = linear_fit(&[0.0, 1.0], &[0.0, 1.0], &[1.0, 1.0]).unwrap();
        assert!((f2.a_err - 1.0).abs() < 1e-14);
    }

    #[test]
    fn crossing_interpolates() {
        let (xc, err) =
            crossing(&[0.0, 1.0, 2.0], &[1.0, 0.8, 0.2], &[0.0, 0.1, 0.1], 0.5).unwrap();
        assert!((xc - 1.5).abs() < 1e-15);
        let stat = (0.25f64 * 0.01 * 2.0).sqrt() / 0.6;
        let resolution = 0.6 / 12f64.sqrt();
        assert!((err - stat.hypot(resolution)).abs() < 1e-12);
        assert!(crossing(&[0.0, 1.0], &[0.9, 0.8], &[0.1, 0.1], 0.5).is_none());
        // a step inside one grid interval with exact points: uniform in the bracket, Δx/√12
        let (xc, err) =
            crossing(&[0.0, 0.02, 0.04], &[1.0, 1.0, 0.0], &[0.0, 0.0, 0.0], 0.5).unwrap();
        assert!((xc - 0.03).abs() < 1e-15 && (err - 0.02 / 12f64.sqrt()).abs() < 1e-15);
    }
}
