//! Phase diagram of dense associative memories in the (λ, α) plane (docs/theory.md#phase-diagram).

use rayon::prelude::*;

use crate::dam::DamTheory;
use crate::ensembles::EnsembleKind;
use crate::error::Result;

use serde::Deserialize;

use super::values::{PositiveNumber, PositiveSweep};

/// `[phase_diagram]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseDiagramSection {
    /// Ensembles to compute.
    pub ensembles: Vec<EnsembleKind>,
    /// λ values (each > 0).
    pub lambda: PositiveSweep,
    /// Configuration norm ρ > 0 for the condensation line α_*(λ) = g_ρ(λ) (default 1).
    #[serde(default = "PositiveNumber::one")]
    pub rho: PositiveNumber,
}

/// One row of theory.csv.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PhaseDiagramRow {
    // floats in csv's own format (`1.0`), as this table has always been written
    /// Ensemble name.
    pub ensemble: String,
    /// λ.
    #[serde(serialize_with = "crate::io::rows::csv_float::serialize")]
    pub lambda: f64,
    /// α₁(λ).
    #[serde(serialize_with = "crate::io::rows::csv_float::serialize")]
    pub alpha_1: f64,
    /// REM phase at α₁.
    pub phase_at_alpha_1: String,
    /// α_c bound (min over channels).
    #[serde(serialize_with = "crate::io::rows::csv_float::serialize")]
    pub alpha_c: f64,
    /// Channel (a), small norm.
    #[serde(serialize_with = "crate::io::rows::csv_float::serialize")]
    pub alpha_c_norm: f64,
    /// Channel (b), stealing pair.
    #[serde(serialize_with = "crate::io::rows::csv_float::serialize")]
    pub alpha_c_pair: f64,
    /// Binding channel.
    pub alpha_c_binding: String,
    /// Condensation line α_*(λ; ρ) = g_ρ(λ): the REM at norm ρ is condensed for α ≤ α_*.
    #[serde(serialize_with = "crate::io::rows::csv_float::serialize")]
    pub alpha_star: f64,
    /// ρ used for the condensation line.
    #[serde(serialize_with = "crate::io::rows::csv_float::serialize")]
    pub rho: f64,
}

/// Compute the phase diagram rows (in parallel over λ), ensemble by ensemble.
pub fn phase_diagram_rows(
    ensembles: &[EnsembleKind],
    lambdas: &[f64],
    rho: f64,
) -> Result<Vec<PhaseDiagramRow>> {
    let mut rows = Vec::with_capacity(ensembles.len() * lambdas.len());
    for kind in ensembles {
        let e = kind.ensemble();
        let theory = DamTheory::new(e)?;
        let part: Result<Vec<_>> = lambdas
            .par_iter()
            .map(|&lambda| {
                let t = theory.thresholds(lambda)?;
                Ok(PhaseDiagramRow {
                    ensemble: kind.name().into(),
                    lambda,
                    alpha_1: t.alpha_1,
                    phase_at_alpha_1: t.phase_at_alpha_1.as_str().into(),
                    alpha_c: t.alpha_c.bound,
                    alpha_c_norm: t.alpha_c.norm,
                    alpha_c_pair: t.alpha_c.pair,
                    alpha_c_binding: t.alpha_c.binding.as_str().into(),
                    alpha_star: e.saddle_rate(lambda, rho),
                    rho,
                })
            })
            .collect();
        rows.extend(part?);
    }
    Ok(rows)
}

/// Where to label a region bounded by `band(k) = (lower, upper)` at the grid points `lam`, with
/// a label box `width` (in λ) by `2 half_height` (in α): the centre, among grid points and
/// eight heights per point, whose box lies inside the band at every λ it spans and stays
/// farthest from every curve in `curves`; `None` when no box fits.
fn region_label(
    lam: &[f64],
    band: &dyn Fn(usize) -> (f64, f64),
    curves: &[&dyn Fn(usize) -> f64],
    half_height: f64,
    width: f64,
) -> Option<(f64, f64)> {
    let (lo, hi) = (*lam.first()?, *lam.last()?);
    let half = 0.5 * width;
    let mut best: Option<(f64, f64, f64)> = None;
    for &x in lam {
        if x - half < lo || x + half > hi {
            continue;
        }
        let window: Vec<usize> = (0..lam.len())
            .filter(|&j| (lam[j] - x).abs() <= half)
            .collect();
        let (a, b) = window
            .iter()
            .fold((f64::NEG_INFINITY, f64::INFINITY), |(a, b), &j| {
                let (l, u) = band(j);
                (a.max(l), b.min(u))
            });
        if b - a <= 2.0 * half_height || b.is_nan() || a.is_nan() {
            continue;
        }
        for k in 0..8 {
            let y = a + half_height + (b - a - 2.0 * half_height) * (k as f64 + 0.5) / 8.0;
            let clearance = window
                .iter()
                .flat_map(|&j| curves.iter().map(move |c| (c(j) - y).abs()))
                .fold(f64::INFINITY, f64::min)
                .min(y - a)
                .min(b - y);
            if clearance > half_height && best.is_none_or(|(c, _, _)| clearance > c) {
                best = Some((clearance, x, y));
            }
        }
    }
    best.map(|(_, x, y)| (x, y))
}

/// Figures of the phase diagram, one per ensemble, from theory.csv: α₁ (solid), the α_c bound
/// (dashed; for fixed-norm ensembles it is α₁ itself and one curve says so), the condensation
/// line α_*(λ) = g_ρ(λ) below which the REM is condensed, and the regions labelled.
pub fn render_phase_diagram(
    cfg: &PhaseDiagramSection,
    dir: &std::path::Path,
) -> Result<Vec<std::path::PathBuf>> {
    use crate::plot::{Curve, Figure, Style};
    let t = crate::io::table::Table::read(&dir.join("theory.csv"))?;
    let (ce, cl, c1, cc, cs) = (
        t.col("ensemble")?,
        t.col("lambda")?,
        t.col("alpha_1")?,
        t.col("alpha_c")?,
        t.col("alpha_star")?,
    );
    let mut out = Vec::new();
    for kind in &cfg.ensembles {
        let rows: Vec<usize> = (0..t.rows.len())
            .filter(|&i| t.rows[i][ce] == kind.name())
            .collect();
        let series = |c: usize| -> Vec<(f64, f64, f64)> {
            rows.iter()
                .map(|&i| (t.num(i, cl), t.num(i, c), 0.0))
                .filter(|p| p.1.is_finite())
                .collect()
        };
        let top = rows
            .iter()
            .map(|&i| t.num(i, c1))
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::max);
        let y_top = 1.5 * top;
        // no α_c where the ensemble's failure channels are not computed (i.i.d. continuous,
        // hidden manifold): α₁ alone, and no "all retrieved" region
        let has_ac = rows.iter().any(|&i| t.num(i, cc).is_finite());
        let same = has_ac
            && rows.iter().all(|&i| {
                let (a, c) = (t.num(i, c1), t.num(i, cc));
                !(a.is_finite() && c.is_finite()) || (a - c).abs() <= 1e-9 * a.abs().max(1e-12)
            });
        let star: Vec<(f64, f64, f64)> = series(cs).into_iter().filter(|p| p.1 <= y_top).collect();
        // the regions of docs/theory.md#phase-diagram, each labelled where it is widest
        let lam: Vec<f64> = rows.iter().map(|&i| t.num(i, cl)).collect();
        let val = |c: usize, k: usize, missing: f64| {
            let v = t.num(rows[k], c);
            if v.is_finite() {
                v
            } else {
                missing
            }
        };
        let a1 = |k| val(c1, k, 0.0);
        let ac = |k| val(cc, k, 0.0);
        let ast = |k| val(cs, k, f64::INFINITY).min(y_top);
        type Band<'a> = Box<dyn Fn(usize) -> (f64, f64) + 'a>;
        let regions: [(&str, Band); 4] = [
            ("all retrieved", Box::new(|k| (0.0, ac(k)))),
            ("typical retrieved", Box::new(|k| (ac(k), a1(k)))),
            ("no retrieval", Box::new(|k| (a1(k).max(ast(k)), y_top))),
            ("no retrieval, condensed", Box::new(|k| (a1(k), ast(k)))),
        ];
        // a label's size in data units at the paper size: ~0.02 of the λ range per character,
        // ~0.05 of the α range high
        let span = lam.last().copied().unwrap_or(1.0) - lam.first().copied().unwrap_or(0.0);
        let curves: [&dyn Fn(usize) -> f64; 3] = [&a1, &ac, &ast];
        let labels = regions
            .iter()
            .filter(|(text, _)| has_ac || *text != "all retrieved")
            .filter_map(|(text, band)| {
                let width = span * (0.02 * text.chars().count() as f64 + 0.03);
                region_label(&lam, band, &curves, 0.045 * y_top, width).map(|(x, y)| {
                    crate::plot::TextLabel {
                        x,
                        y,
                        text: (*text).into(),
                    }
                })
            })
            .collect();
        // fixed-norm patterns: the α_c bound is α₁ itself, drawn once
        let mut curves = vec![Curve::new(
            if same {
                "α_{1} = α_{c} bound: every pattern retrieved"
            } else {
                "α_{1}: typical pattern retrieved"
            },
            Style::Line,
            0,
            series(c1),
        )];
        if !same && has_ac {
            curves.push(Curve::new(
                "α_{c}: all patterns (lower bound)",
                Style::Dashed,
                1,
                series(cc),
            ));
        }
        curves.push(Curve::new(
            "condensation α_{*}(λ), ρ = 1",
            Style::Line,
            2,
            star,
        ));
        let fig = Figure {
            x_label: "inverse temperature λ".into(),
            y_label: format!("load α ({} patterns)", kind.name()),
            y_range: Some((0.0, y_top)),
            subtitle: format!("{} patterns, P = e^{{αN}}, N → ∞", kind.name()),
            labels,
            legend: crate::plot::Legend::LowerRight,
            curves,
            ..Default::default()
        };
        out.extend(
            fig.render(&dir.join(format!("phase_diagram_{}", super::file_stem(kind.name()))))?,
        );
    }
    // several ensembles: their α₁(λ) side by side (`alpha_1_curves`)
    if cfg.ensembles.len() > 1 {
        let curves = cfg
            .ensembles
            .iter()
            .enumerate()
            .map(|(k, kind)| {
                let pts: Vec<(f64, f64, f64)> = (0..t.rows.len())
                    .filter(|&i| t.rows[i][ce] == kind.name())
                    .map(|i| (t.num(i, cl), t.num(i, c1), 0.0))
                    .filter(|p| p.1.is_finite())
                    .collect();
                let style = if k % 2 == 0 {
                    Style::Line
                } else {
                    Style::Dashed
                };
                Curve::new(kind.name(), style, k / 2, pts)
            })
            .collect();
        let fig = Figure {
            x_label: "inverse temperature λ".into(),
            y_label: "α_{1}(λ)".into(),
            subtitle: "typical-pattern threshold α_{1}(λ), N → ∞".into(),
            legend: crate::plot::Legend::LowerRight,
            curves,
            ..Default::default()
        };
        out.extend(fig.render(&dir.join("alpha_1_curves"))?);
    }
    Ok(out)
}

impl super::Study for PhaseDiagramSection {
    type Point = crate::io::rows::Never;
    type Row = crate::io::rows::Never;
    fn points(&self, _quick: bool) -> Result<Vec<Self::Point>> {
        Ok(vec![])
    }
    fn compute(&self, p: &Self::Point, _: &crate::io::Progress) -> Result<Vec<Self::Row>> {
        match *p {}
    }
    fn assemble(
        &self,
        _rows: Vec<Self::Row>,
        dir: &std::path::Path,
        _quick: bool,
    ) -> Result<Vec<std::path::PathBuf>> {
        let rows = phase_diagram_rows(&self.ensembles, self.lambda.values(), self.rho.0)?;
        super::write_tables(dir, vec![("theory.csv", crate::io::rows::to_csv(&rows)?)])
    }
    fn render(&self, dir: &std::path::Path) -> Result<Vec<std::path::PathBuf>> {
        render_phase_diagram(self, dir)
    }
}
