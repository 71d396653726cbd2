//! Finite-size analysis of the retrieval threshold (docs/theory.md#fss): one room for every
//! piece that turns finite-N measurements into a statement about α₁ (or α_f, α_c):
//!
//! - [`rem`]: the auxiliary REM sampled exactly at finite N (the finite-N REM criterion and its
//!   crossing α_{1/2}^{REM}(N));
//! - crossings per N of a measured retrieval curve p(α) ([`crossing_at`], [`crossings_per_n`]);
//! - the weight threshold w_θ matched to the simulator's Δ₀ < θ ([`w_theta`]);
//! - [`fit`]: the extrapolations a + b·x(N) with χ², p-value, z and leave-one-N-out;
//! - the report of one series and its fits ([`FitReport`]), from which the CLI's
//!   `dam crossing` table and the `[validation]` study's fss.csv are both written.

pub mod fit;
pub mod rem;

pub use fit::{extrapolate, leave_one_out, Extrapolation, FssForm};
pub use rem::{rem_alpha_half, rem_critical_load, RemDraw};

use crate::error::{EngramError, Result};

/// A crossing series: (N, α_{1/2}, one-sigma error) per N.
pub type Series = Vec<(usize, f64, f64)>;

/// The crossing of one retrieval curve through ½: `curve` holds (α, p, error of p) in any
/// order; linear interpolation between the bracketing points ([`crate::stats::crossing`]:
/// error from their errors and the grid resolution). `None` if the curve never falls through ½.
pub fn crossing_at(curve: &mut [(f64, f64, f64)]) -> Option<(f64, f64)> {
    curve.sort_by(|a, b| a.0.total_cmp(&b.0));
    let a: Vec<f64> = curve.iter().map(|c| c.0).collect();
    let p: Vec<f64> = curve.iter().map(|c| c.1).collect();
    let e: Vec<f64> = curve.iter().map(|c| c.2).collect();
    crate::stats::crossing(&a, &p, &e, 0.5)
}

/// Crossings per N of measurements (N, α, p, error of p), in increasing N; N whose curve has
/// no crossing are left out.
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

/// The weight threshold matched to the simulator's retrieval test Δ₀ < θ: one attention step
/// from x₀ = ξ¹ gives Δ₀ ≈ (1 − w₁)²ρ, so Δ₀ < θ needs w₁ > w_θ = 1 − √(θ/ρ)
/// (docs/theory.md#fss). Domain: 0 < θ < ρ.
pub fn w_theta(threshold: f64, rho: f64) -> Result<f64> {
    let w = 1.0 - (threshold / rho).sqrt();
    if w > 0.0 && w < 1.0 {
        Ok(w)
    } else {
        Err(EngramError::InvalidParameter {
            name: "threshold",
            value: format!("{threshold} (matched weight 1 - sqrt(threshold/rho) = {w})"),
            allowed: "a threshold 0 < threshold < rho, so that the matched weight lies in (0, 1)",
        })
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
/// Without `--fss` the table is this row's first six columns ([`CROSSING_COLUMNS`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CrossingRow {
    /// N (inf for an extrapolation or a fit).
    pub n: f64,
    /// α_{1/2}(N) (nan: the curve does not cross ½ in the window), or the extrapolated a.
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
pub const CROSSING_COLUMNS: usize = 6;

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
