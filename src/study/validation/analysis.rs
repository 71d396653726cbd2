//! The atlas's three tables as typed rows (points.csv, fss.csv, summary.csv) and the builders
//! that turn a [`FitReport`] into fss.csv and summary.csv rows.

use serde::{Deserialize, Serialize};

use crate::dam::fss::{Extrapolation, FitReport, Series};

/// One measurement of points.csv. The meaning of the value columns depends on the series:
///
/// | series | value, err | value2, err2 | value3, err3 | count |
/// |---|---|---|---|---|
/// | p_retrieved | p, error | design effect | | targets (stores: its stores) |
/// | rem_w=W | finite-N REM α_{1/2} at weight W | | | draws |
/// | fail_fraction | failure fraction (cluster-robust) | P(all retrieved) (Wilson) | mean ρ of failing patterns | failing patterns (stores: its stores) |
/// | map | α½(N) of the finite-N map | | | draws |
/// | rem_fail_fraction | finite-N REM failure fraction (Wilson) | | | draws |
/// | forward_s2 | s²_{1/2}(N) | | | draws |
/// | backward_s2 | median s² of condensation | p_memorised | | trajectories |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointRow {
    /// Check label (e.g. `alpha_1:gaussian:l0.1`).
    pub check: String,
    /// Series within the check.
    pub series: String,
    /// Ensemble.
    pub ensemble: String,
    /// λ (empty for the collapse).
    pub lambda: Option<f64>,
    /// ρ of the targets (crossing checks).
    pub rho: Option<f64>,
    /// N.
    pub n: usize,
    /// Load α (empty for a finite-N REM crossing).
    pub alpha: Option<f64>,
    /// See the table above.
    pub value: f64,
    /// See the table above.
    pub err: f64,
    /// See the table above.
    pub value2: Option<f64>,
    /// See the table above.
    pub err2: Option<f64>,
    /// See the table above.
    pub value3: Option<f64>,
    /// See the table above.
    pub err3: Option<f64>,
    /// See the table above.
    pub count: usize,
    /// Pattern stores behind the row (p_retrieved, fail_fraction; the clusters of its error).
    pub stores: Option<usize>,
}

impl PointRow {
    /// A row with the optional columns empty.
    pub fn new(check: &str, series: &str, ensemble: &str, n: usize, value: f64, err: f64) -> Self {
        PointRow {
            check: check.into(),
            series: series.into(),
            ensemble: ensemble.into(),
            lambda: None,
            rho: None,
            n,
            alpha: None,
            value,
            err,
            value2: None,
            err2: None,
            value3: None,
            err3: None,
            count: 0,
            stores: None,
        }
    }
}

impl PointRow {
    /// The same row at inverse temperature λ and load α.
    pub fn at(self, lambda: Option<f64>, alpha: Option<f64>) -> Self {
        PointRow {
            lambda,
            alpha,
            ..self
        }
    }
}

/// The points of one check's series as (N, value, err), in file order.
pub fn series_of(pts: &[PointRow], check: &str, series: &str) -> Series {
    pts.iter()
        .filter(|r| r.check == check && r.series == series)
        .map(|r| (r.n, r.value, r.err))
        .collect()
}

/// The analysis's two tables, filled check by check.
#[derive(Debug, Default)]
pub struct Tables {
    /// fss.csv rows.
    pub fss: Vec<FssRow>,
    /// summary.csv rows.
    pub summary: Vec<SummaryRow>,
}

/// One row of fss.csv: a series point (kind = point) or a fit (kind = fit | loo, n = inf).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FssRow {
    /// Check label.
    pub check: String,
    /// Series name.
    pub series: String,
    /// point, fit or loo.
    pub kind: String,
    /// N of a point; inf for a fit.
    pub n: f64,
    /// α_{1/2}(N), or the extrapolated a.
    pub value: f64,
    /// Its error.
    pub err: f64,
    /// The theory value.
    pub theory: f64,
    /// Fit form (empty for points).
    pub form: String,
    /// χ² of the fit.
    pub chi2: Option<f64>,
    /// Degrees of freedom.
    pub dof: Option<usize>,
    /// P(χ²_dof ≥ χ²) (empty at 0 degrees of freedom).
    pub p_value: Option<f64>,
    /// (a − theory)/σ_a.
    pub z: Option<f64>,
    /// Smallest N fitted.
    pub n_min: Option<usize>,
    /// Largest N fitted.
    pub n_max: Option<usize>,
    /// N left out (loo rows).
    pub left_out: Option<usize>,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// fss.csv rows of a report: its points, then per form the fit and its leave-one-out refits.
pub fn fss_rows(check: &str, r: &FitReport) -> Vec<FssRow> {
    let mut out: Vec<FssRow> = r
        .points
        .iter()
        .map(|&(n, v, e)| FssRow {
            check: check.into(),
            series: r.name.clone(),
            kind: "point".into(),
            n: n as f64,
            value: v,
            err: e,
            theory: r.theory,
            form: String::new(),
            chi2: None,
            dof: None,
            p_value: None,
            z: None,
            n_min: None,
            n_max: None,
            left_out: None,
        })
        .collect();
    let row = |kind: &str, f: &Extrapolation, left: Option<usize>| FssRow {
        check: check.into(),
        series: r.name.clone(),
        kind: kind.into(),
        n: f64::INFINITY,
        value: f.a,
        err: f.a_err,
        theory: r.theory,
        form: f.form.name().into(),
        chi2: Some(f.chi2),
        dof: Some(f.dof),
        p_value: finite(f.p_value),
        z: Some(f.z),
        n_min: Some(f.n_range.0),
        n_max: Some(f.n_range.1),
        left_out: left,
    };
    for f in &r.fits {
        out.push(row("fit", &f.fit, None));
        for (left, g) in &f.loo {
            out.push(row("loo", g, Some(*left)));
        }
    }
    out
}

/// One row of summary.csv: a check's simulated value against its theory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// alpha_1, alpha_f, alpha_c, failure_rate, failing_norm, s2_collapse.
    pub quantity: String,
    /// Ensemble.
    pub ensemble: String,
    /// λ.
    pub lambda: Option<f64>,
    /// ρ (planted norm, or ρ_f for the norm channel).
    pub rho: Option<f64>,
    /// Series.
    pub series: String,
    /// Theory value.
    pub theory: f64,
    /// Simulated (extrapolated) value.
    pub simulation: f64,
    /// Its error (same_n rows: the simulation's and the theory's errors in quadrature).
    pub error: f64,
    /// (simulation − theory)/error, only for an extrapolation or a theory at the same N.
    pub z: Option<f64>,
    /// Fit form; same_n (a theory at the same N); none (no z).
    pub fit_form: String,
    /// χ² of the fit.
    pub chi2: Option<f64>,
    /// Degrees of freedom.
    pub dof: Option<usize>,
    /// Fit p-value.
    pub p_value: Option<f64>,
    /// Smallest N.
    pub n_min: usize,
    /// Largest N.
    pub n_max: usize,
    /// Note.
    pub note: String,
}

/// What a summary row compares: quantity, ensemble, λ, ρ, series.
pub struct SummaryKey<'a> {
    /// Quantity.
    pub quantity: &'a str,
    /// Ensemble.
    pub ensemble: &'a str,
    /// λ.
    pub lambda: Option<f64>,
    /// ρ.
    pub rho: Option<f64>,
    /// Series.
    pub series: &'a str,
}

/// A summary row: `sim ± err` against `theory`, from fit `f` (or none) over `n_range`. z is
/// reported only for an extrapolation (a fit): a finite-N value against an N → ∞ theory has no
/// z (use [`same_n_row`] for a theory at the same N).
pub fn summary_row(
    k: &SummaryKey,
    theory: f64,
    (sim, err): (f64, f64),
    f: Option<&Extrapolation>,
    n_range: (usize, usize),
    note: &str,
) -> SummaryRow {
    SummaryRow {
        quantity: k.quantity.into(),
        ensemble: k.ensemble.into(),
        lambda: k.lambda,
        rho: k.rho,
        series: k.series.into(),
        theory,
        simulation: sim,
        error: err,
        z: f.and_then(|_| finite((sim - theory) / err)),
        fit_form: f.map_or("none".into(), |f| f.form.name().into()),
        chi2: f.map(|f| f.chi2),
        dof: f.map(|f| f.dof),
        p_value: f.and_then(|f| finite(f.p_value)),
        n_min: n_range.0,
        n_max: n_range.1,
        note: note.into(),
    }
}

/// A summary row at one N against a theory at the same N (`theory ± theory_err`): z from the
/// two errors in quadrature; fit_form = same_n.
pub fn same_n_row(
    k: &SummaryKey,
    n: usize,
    (theory, theory_err): (f64, f64),
    (sim, err): (f64, f64),
    note: &str,
) -> SummaryRow {
    let e = err.hypot(theory_err);
    SummaryRow {
        z: finite((sim - theory) / e),
        error: e,
        fit_form: "same_n".into(),
        ..summary_row(k, theory, (sim, err), None, (n, n), note)
    }
}

/// Summary rows of every fit of a report.
pub fn fit_summary_rows(k: &SummaryKey, r: &FitReport, note: &str) -> Vec<SummaryRow> {
    r.fits
        .iter()
        .map(|f| {
            summary_row(
                k,
                r.theory,
                (f.fit.a, f.fit.a_err),
                Some(&f.fit),
                f.fit.n_range,
                note,
            )
        })
        .collect()
}
