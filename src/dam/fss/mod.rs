//! Finite-size analysis of the retrieval threshold (docs/theory.md#fss): one room for every
//! piece that turns finite-N measurements into a statement about α₁ (or α_f, α_c):
//!
//! - [`rem`]: the auxiliary REM sampled exactly at finite N (the finite-N REM criterion and its
//!   crossing α_{1/2}^{REM}(N));
//! - crossings per N of a measured retrieval curve p(α) ([`crossing_at`], [`crossings_per_n`]);
//! - the weight threshold w_θ matched to the simulator's Δ₀ < θ ([`w_theta`]);
//! - [`map`]: the reduced overlap map, its fold and the finite-N map (the finite-size theory
//!   of retrieval, docs/theory.md#fold);
//! - [`fit`]: the extrapolations a + b·x(N) with χ², p-value, z and leave-one-N-out;
//! - the report of one series and its fits ([`FitReport`]), from which the CLI's
//!   `dam crossing` table and the `[validation]` study's fss.csv are both written.

pub mod fit;
pub mod map;
pub mod rem;

pub use fit::{extrapolate, leave_one_out, Extrapolation, FssForm};
pub use map::{
    finite_size_row, fold_expansion, map_curve, median_target_norm, FiniteSizeRow, FoldExpansion,
    MapCurve, MapDynamics, MapPoint, MapSample, ReducedMap,
};
pub use rem::{rem_alpha_half, rem_critical_load, OverlapLaw, RemDraw};

use crate::error::{EngramError, Result};

/// A crossing series: (N, α_{1/2}, one-sigma error) per N.
pub type Series = Vec<(usize, f64, f64)>;

/// The crossing of one retrieval curve through ½ from a probit fit of the whole curve near ½
/// ([`probit_crossing`]); `curve` holds (α, p, effective count) in any order. `None` if the
/// curve never falls through ½ or the fit fails.
pub fn crossing_at(curve: &mut [(f64, f64, f64)]) -> Option<(f64, f64)> {
    curve.sort_by(|a, b| a.0.total_cmp(&b.0));
    probit_crossing(curve)
}

/// The effective number of independent trials behind a proportion: `count` targets with design
/// effect `deff` (clustered targets; 1 for independent ones).
pub fn effective_count(count: f64, deff: f64) -> f64 {
    if deff.is_finite() && deff > 0.0 {
        count / deff
    } else {
        count
    }
}

/// Maximum-likelihood probit fit p(α) = Φ(β₀ + β₁α) of a binomial retrieval curve, sorted by
/// α, with (α, p, effective count n) per point, over the points with 0.03 ≤ p ≤ 0.97 and the
/// nearest point outside that band on each side (so the fit brackets ½); iteratively
/// reweighted least squares. Returns the crossing α½ = −β₀/β₁ and its one-sigma error from the
/// inverse Fisher information (delta method), in quadrature with the bracket's resolution
/// (Δp·Δα/√12 of the two loads around ½: the whole bracket/√12 when the curve falls there
/// as a step, negligible when it is resolved). The curve must fall through ½ (some p ≥ ½ before
/// some p < ½) and the fitted slope must be negative, else `None`. Unlike the two-point
/// interpolation it replaces, every point near ½ informs the crossing and its error, and the
/// error does not depend on where the grid happens to fall.
pub fn probit_crossing(curve: &[(f64, f64, f64)]) -> Option<(f64, f64)> {
    use statrs::distribution::{Continuous, ContinuousCDF, Normal};
    let std = Normal::standard();
    let k =
        (0..curve.len().saturating_sub(1)).find(|&i| curve[i].1 >= 0.5 && curve[i + 1].1 < 0.5)?;
    let inside = |p: f64| (0.03..=0.97).contains(&p);
    let mut lo = k;
    while lo > 0 && inside(curve[lo - 1].1) {
        lo -= 1;
    }
    lo = lo.saturating_sub(1);
    let mut hi = k + 1;
    while hi + 1 < curve.len() && inside(curve[hi + 1].1) {
        hi += 1;
    }
    hi = (hi + 1).min(curve.len() - 1);
    let pts: Vec<(f64, f64, f64)> = curve[lo..=hi]
        .iter()
        .copied()
        .filter(|c| c.0.is_finite() && c.1.is_finite() && c.2 > 0.0)
        .collect();
    if pts.len() < 2 {
        return None;
    }
    // centre and scale α for conditioning
    let a0 = curve[k].0;
    let sc = (pts[pts.len() - 1].0 - pts[0].0).abs().max(1e-12);
    let x_of = |a: f64| (a - a0) / sc;
    // log-likelihood of (β₀, β₁)
    let loglik = |b0: f64, b1: f64| -> f64 {
        pts.iter()
            .map(|&(a, p, n)| {
                let mu = std.cdf(b0 + b1 * x_of(a)).clamp(1e-300, 1.0 - 1e-16);
                n * (p * mu.ln() + (1.0 - p) * (1.0 - mu).ln())
            })
            .sum()
    };
    // start: weighted least squares on the probit scale (p clamped to [0.02, 0.98])
    let z = |p: f64| std.inverse_cdf(p.clamp(0.02, 0.98));
    let (mut sw, mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(a, p, n) in &pts {
        let (x, y) = (x_of(a), z(p));
        sw += n;
        sx += n * x;
        sy += n * y;
        sxx += n * x * x;
        sxy += n * x * y;
    }
    let dd = sw * sxx - sx * sx;
    let mut b1 = if dd > 0.0 {
        (sw * sxy - sx * sy) / dd
    } else {
        -1.0
    };
    if b1.is_nan() || b1 >= 0.0 {
        b1 = -1.0;
    }
    let mut b0 = (sy - b1 * sx) / sw;
    let mut ll = loglik(b0, b1);
    let mut cov = [[0.0; 2]; 2];
    for it in 0..200 {
        // X'WX and X'Wz at the current estimate
        let (mut s00, mut s01, mut s11, mut r0, mut r1) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for &(a, p, n) in &pts {
            let x = x_of(a);
            let eta = b0 + b1 * x;
            let mu = std.cdf(eta).clamp(1e-12, 1.0 - 1e-12);
            let d = std.pdf(eta).max(1e-300);
            let w = n * d * d / (mu * (1.0 - mu));
            let zz = eta + (p - mu) / d;
            s00 += w;
            s01 += w * x;
            s11 += w * x * x;
            r0 += w * zz;
            r1 += w * zz * x;
        }
        let det = s00 * s11 - s01 * s01;
        if det.is_nan() || det <= 0.0 || !det.is_finite() {
            return None;
        }
        cov = [[s11 / det, -s01 / det], [-s01 / det, s00 / det]];
        let (n0, n1) = ((s11 * r0 - s01 * r1) / det, (s00 * r1 - s01 * r0) / det);
        // step halving keeps the likelihood from falling (IRLS can overshoot on a probit)
        let (mut t, mut accepted) = (1.0, None);
        for _ in 0..40 {
            let (c0, c1) = (b0 + t * (n0 - b0), b1 + t * (n1 - b1));
            let l = loglik(c0, c1);
            if l.is_finite() && l >= ll - 1e-12 * ll.abs() {
                accepted = Some((c0, c1, l));
                break;
            }
            t *= 0.5;
        }
        let Some((c0, c1, l)) = accepted else {
            break;
        };
        let step = (c0 - b0).abs() + (c1 - b1).abs();
        (b0, b1, ll) = (c0, c1, l);
        if step < 1e-10 * (1.0 + b0.abs() + b1.abs()) {
            break;
        }
        if it == 199 {
            return None;
        }
    }
    if b1.is_nan() || b1 >= 0.0 {
        return None;
    }
    let xc = -b0 / b1;
    // delta method: ∂xc/∂b0 = −1/b1, ∂xc/∂b1 = b0/b1²
    let (g0, g1) = (-1.0 / b1, b0 / (b1 * b1));
    let var = g0 * g0 * cov[0][0] + 2.0 * g0 * g1 * cov[0][1] + g1 * g1 * cov[1][1];
    // a transition narrower than the grid is only located within its bracket: the share of
    // the fall that happens inside the bracket, times its width/√12 (negligible on a curve
    // resolved over many loads, the whole bracket/√12 for a step)
    let (l, r) = (curve[k], curve[k + 1]);
    let resolution = (l.1 - r.1) * (r.0 - l.0) / 12f64.sqrt();
    Some((a0 + sc * xc, (sc * var.max(0.0).sqrt()).hypot(resolution)))
}

/// Crossings per N of measurements (N, α, p, effective count), in increasing N; N whose curve
/// has no crossing are left out.
pub fn crossings_per_n(points: impl IntoIterator<Item = (usize, f64, f64, f64)>) -> Series {
    let points: Vec<_> = points.into_iter().collect();
    let mut ns: Vec<usize> = points.iter().map(|p| p.0).collect();
    ns.sort();
    ns.dedup();
    ns.into_iter()
        .filter_map(|n| {
            let mut curve: Vec<(f64, f64, f64)> = points
                .iter()
                .filter(|p| p.0 == n)
                .map(|p| (p.1, p.2, p.3))
                .collect();
            crossing_at(&mut curve).map(|(x, err)| (n, x, err))
        })
        .collect()
}

/// The weight threshold matched to the simulator's retrieval test Δ₀ < θ. At the fixed point
/// near ξ¹ with target weight w₁, the others contribute their tilted mean b₁ξ¹
/// (docs/theory.md#fold), so 1 − m = (1 − w₁)(1 − b₁) and Δ₀ ≈ (1 − w₁)²(1 − b₁)²ρ; Δ₀ < θ
/// needs w₁ > w_θ = 1 − √(θ/ρ)/(1 − b₁). `b1` = Λ_ρ'(λ)/ρ ([`tilted_mean_at_target`]; 0
/// gives the bare 1 − √(θ/ρ)). Domain: 0 < θ, ρ > 0, 0 ≤ b₁ < 1, and w_θ in (0, 1).
pub fn w_theta(threshold: f64, rho: f64, b1: f64) -> Result<f64> {
    let w = 1.0 - (threshold / rho).sqrt() / (1.0 - b1);
    if w > 0.0 && w < 1.0 && (0.0..1.0).contains(&b1) {
        Ok(w)
    } else {
        Err(EngramError::InvalidParameter {
            name: "threshold",
            value: format!(
                "{threshold} (matched weight 1 - sqrt(threshold/rho)/(1 - b1) = {w}, rho = {rho}, b1 = {b1})"
            ),
            allowed: "a threshold small enough that the matched weight lies in (0, 1)",
        })
    }
}

/// b₁ = Λ_ρ'(λ)/ρ, the other patterns' tilted mean along a target of norm ρ at x = ξ¹
/// (gaussian λ, spherical q(λ), binary tanh λ); 0 where it reaches 1 (the condensed phase at
/// threshold, where the tilted mean no longer describes the others).
pub fn tilted_mean_at_target(
    ens: &dyn crate::ensembles::PatternEnsemble,
    lambda: f64,
    rho: f64,
) -> f64 {
    let b = ens.log_mgf_prime(lambda, rho) / rho;
    if b.is_finite() && (0.0..1.0).contains(&b) {
        b
    } else {
        0.0
    }
}

/// One fit of a series and its leave-one-N-out refits (N left out, refit).
#[derive(Debug, Clone, PartialEq)]
pub struct FitWithLoo {
    /// The fit to every point.
    pub fit: Extrapolation,
    /// (N left out, refit), where a refit exists.
    pub loo: Vec<(usize, Extrapolation)>,
}

/// A named crossing series with its fits in every [`FssForm`] (none with fewer than two points).
#[derive(Debug, Clone, PartialEq)]
pub struct FitReport {
    /// Series name (e.g. "crossing", "simulation", "rem_w=0.5").
    pub name: String,
    /// Its points.
    pub points: Series,
    /// The theory value the fits are compared with (z).
    pub theory: f64,
    /// One entry per form that could be fitted, in [`FssForm::ALL`] order.
    pub fits: Vec<FitWithLoo>,
}

impl FitReport {
    /// Fit `points` with every form and compare with `theory`.
    pub fn new(name: &str, points: Series, theory: f64) -> Self {
        let mut fits = Vec::new();
        if points.len() >= 2 {
            for form in FssForm::ALL {
                if let Some(fit) = extrapolate(&points, form, theory) {
                    let loo = leave_one_out(&points, form, theory)
                        .into_iter()
                        .filter_map(|(left, g)| g.map(|g| (left, g)))
                        .collect();
                    fits.push(FitWithLoo { fit, loo });
                }
            }
        }
        FitReport {
            name: name.into(),
            points,
            theory,
            fits,
        }
    }

    /// The fits alone.
    pub fn extrapolations(&self) -> Vec<Extrapolation> {
        self.fits.iter().map(|f| f.fit).collect()
    }

    /// The fit in `form`, if there is one.
    pub fn fit(&self, form: FssForm) -> Option<&Extrapolation> {
        self.fits.iter().map(|f| &f.fit).find(|f| f.form == form)
    }
}

/// One row of the `engram dam crossing` table: a crossing α_{1/2}(N) (kind = crossing or
/// rem_w=W), an extrapolation (n = inf, kind = extrapolated_1/N), or with `--fss` a fit
/// (kind = `fit_<series>` or `loo_<series>`, with the fit columns; empty on the other rows).
/// Without `--fss` the table is this row's first seven columns ([`CROSSING_COLUMNS`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CrossingRow {
    /// N (inf for an extrapolation or a fit).
    pub n: f64,
    /// α_{1/2}(N) (empty: the curve does not cross ½ in the window, `status` = no_crossing),
    /// or the extrapolated a.
    #[serde(with = "crate::io::rows::nan_num")]
    pub alpha_half: Option<f64>,
    /// Its error.
    #[serde(with = "crate::io::rows::nan_num")]
    pub alpha_half_err: Option<f64>,
    /// λ.
    pub lambda: f64,
    /// α₁(λ), or α_f(λ; ρ) for planted targets.
    pub alpha_1_theory: f64,
    /// crossing, rem_w=W, extrapolated_1/N, `fit_<series>`, `loo_<series>`.
    pub kind: String,
    /// `ok`, or `no_crossing` where α½ is absent (the curve does not cross ½ in the window,
    /// or fewer than two N crossed for an extrapolation).
    pub status: String,
    /// Fit form.
    pub form: Option<String>,
    /// χ².
    pub chi2: Option<f64>,
    /// Degrees of freedom.
    pub dof: Option<usize>,
    /// p-value.
    pub p_value: Option<f64>,
    /// z against the theory.
    pub z: Option<f64>,
    /// Smallest N fitted.
    pub n_min: Option<usize>,
    /// Largest N fitted.
    pub n_max: Option<usize>,
    /// N left out (loo rows).
    pub left_out: Option<usize>,
}

/// Columns of the `dam crossing` table without `--fss`.
pub const CROSSING_COLUMNS: usize = 7;

impl CrossingRow {
    /// A crossing or extrapolation row (no fit columns).
    pub fn new(n: f64, c: Option<(f64, f64)>, lambda: f64, theory: f64, kind: String) -> Self {
        CrossingRow {
            n,
            alpha_half: c.map(|c| c.0),
            alpha_half_err: c.map(|c| c.1),
            lambda,
            alpha_1_theory: theory,
            kind,
            status: if c.is_some() { "ok" } else { "no_crossing" }.into(),
            form: None,
            chi2: None,
            dof: None,
            p_value: None,
            z: None,
            n_min: None,
            n_max: None,
            left_out: None,
        }
    }
}

impl FitReport {
    /// The `dam crossing --fss` rows of this report's fits: per form, the fit (kind
    /// `fit_<name>`) and its leave-one-out refits (kind `loo_<name>`).
    pub fn crossing_rows(&self, lambda: f64) -> Vec<CrossingRow> {
        let row = |kind: String, f: &Extrapolation, left: Option<usize>| CrossingRow {
            form: Some(f.form.name().into()),
            chi2: Some(f.chi2),
            dof: Some(f.dof),
            p_value: Some(f.p_value),
            z: Some(f.z),
            n_min: Some(f.n_range.0),
            n_max: Some(f.n_range.1),
            left_out: left,
            ..CrossingRow::new(
                f64::INFINITY,
                Some((f.a, f.a_err)),
                lambda,
                self.theory,
                kind,
            )
        };
        let mut out = Vec::new();
        for f in &self.fits {
            out.push(row(format!("fit_{}", self.name), &f.fit, None));
            for (left, g) in &f.loo {
                out.push(row(format!("loo_{}", self.name), g, Some(*left)));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The probit crossing of a noisy, shallow curve (a seed of the atlas's gaussian N = 30)
    /// exists and lies inside the loads; on a noiseless probit curve it returns the generating
    /// crossing.
    #[test]
    fn probit_crossing_fits() {
        let mut c = vec![
            (0.14, 0.70703125, 295.96),
            (0.1475, 0.63671875, 238.69),
            (0.155, 0.65234375, 202.73),
            (0.1625, 0.48046875, 191.23),
            (0.17, 0.5078125, 256.35),
            (0.1775, 0.453125, 222.24),
            (0.185, 0.40625, 292.14),
            (0.1925, 0.38671875, 263.50),
            (0.2, 0.33203125, 369.67),
        ];
        let (a, e) = crossing_at(&mut c).expect("a crossing");
        assert!(a > 0.14 && a < 0.2 && e > 0.0 && e < 0.02, "{a} {e}");
        use statrs::distribution::{ContinuousCDF, Normal};
        let std = Normal::standard();
        let mut exact: Vec<(f64, f64, f64)> = (0..15)
            .map(|i| {
                let x = 0.1 + 0.01 * i as f64;
                (x, std.cdf((0.163 - x) / 0.02), 500.0)
            })
            .collect();
        let (a, _) = crossing_at(&mut exact).unwrap();
        assert!((a - 0.163).abs() < 1e-9, "{a}");
    }
}
