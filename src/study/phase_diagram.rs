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

/// Figures of the phase diagram, one per ensemble, from theory.csv: α₁ (solid), the α_c bound
/// (dashed) and the condensation line α_*(λ) = g_ρ(λ) below which the REM is condensed.
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
        let star: Vec<(f64, f64, f64)> = series(cs)
            .into_iter()
            .filter(|p| p.1 <= 1.2 * top)
            .collect();
        let fig = Figure {
            x_label: "inverse temperature λ".into(),
            y_label: format!("load α ({} patterns)", kind.name()),
            y_range: Some((0.0, 1.1 * top)),
            legend: crate::plot::Legend::LowerRight,
            curves: vec![
                Curve::new(
                    "α_{1}: typical pattern retrieved",
                    Style::Line,
                    0,
                    series(c1),
                ),
                Curve::new(
                    "α_{c}: all patterns (lower bound)",
                    Style::Dashed,
                    1,
                    series(cc),
                ),
                Curve::new("condensation α_{*}(λ), ρ = 1", Style::Line, 2, star),
            ],
            ..Default::default()
        };
        out.extend(fig.render(&dir.join(format!("phase_diagram_{}", kind.name())))?);
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
