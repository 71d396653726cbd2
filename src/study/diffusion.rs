//! `[diffusion]` study (Ambrogioni, Entropy 2024, arXiv:2309.17290): reverse diffusion on finite pattern sets against the REM;
//! simulation points (resumable, shardable), theory curves, figures from the CSV files.

use std::path::{Path, PathBuf};

use crate::diffusion::{reverse_point, s2_collapse, ReverseParams};
use crate::error::Result;
use crate::io::table::Table;
use crate::io::Progress;
use crate::plot::{Curve, Figure, Style};

use serde::Deserialize;

use super::values::{one_u64, Count, PositiveNumber, PositiveSweep, WholeSweep};

/// `[diffusion]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffusionSection {
    /// Dimensions N; one curve each.
    pub n: WholeSweep,
    /// Loads α: P = round(e^{αN}).
    pub alpha: PositiveSweep,
    /// Trajectories per point.
    pub samples: Count,
    /// Start time t_max = s² (default 20).
    #[serde(default = "PositiveNumber::twenty")]
    pub t_max: PositiveNumber,
    /// End time (default 1e-3).
    #[serde(default = "PositiveNumber::milli")]
    pub t_min: PositiveNumber,
    /// Steps (default 400).
    #[serde(default = "Count::four_hundred")]
    pub steps: Count,
    /// Seed (default 1).
    #[serde(default = "one_u64")]
    pub seed: u64,
}

/// One reverse-diffusion row (`engram diffusion reverse` and `[diffusion]` simulation.csv).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DiffusionRow {
    /// Dimension N.
    pub n: usize,
    /// Load α.
    pub alpha: f64,
    /// Patterns P.
    pub patterns: usize,
    /// Trajectories.
    pub samples: usize,
    /// Fraction ending on a training pattern.
    pub p_memorised: f64,
    /// Its binomial error.
    pub p_memorised_err: f64,
    /// Median s² at which one pattern first takes half the posterior weight.
    pub s2_condensed_median: f64,
    /// Its order-statistic error.
    pub s2_condensed_err: f64,
    /// Symmetry-breaking s² = λ_max(C).
    pub s2_symmetry_breaking: f64,
    /// Collapse noise s_C² = 1/(e^{2α} − 1) (docs/theory.md#collapse).
    pub s2_collapse: f64,
}

/// The row of one reverse-SDE point.
pub fn diffusion_row(p: &ReverseParams, progress: &(dyn Fn() + Sync)) -> Result<DiffusionRow> {
    let r = reverse_point(p, progress)?;
    Ok(DiffusionRow {
        n: p.n,
        alpha: p.alpha,
        patterns: r.patterns,
        samples: p.samples,
        p_memorised: r.memorised.p,
        p_memorised_err: r.memorised.err,
        s2_condensed_median: r.s2_condensed_median,
        s2_condensed_err: r.s2_condensed_err,
        s2_symmetry_breaking: r.s2_symmetry_breaking,
        s2_collapse: s2_collapse(p.alpha)?,
    })
}

impl DiffusionSection {
    fn alphas(&self, quick: bool) -> Vec<f64> {
        crate::study::dam::thinned(self.alpha.values(), quick, 3)
    }
}

/// Figure of `[diffusion]`: the condensation noise s² vs α (measured median per N), the
/// symmetry-breaking s² = λ_max(C) and the collapse noise s_C² = 1/(e^{2α} − 1).
pub fn render_diffusion(cfg: &DiffusionSection, dir: &Path) -> Result<Vec<PathBuf>> {
    let sim = Table::read(&dir.join("simulation.csv"))?;
    let th = Table::read(&dir.join("theory.csv"))?;
    let (cn, ca, cs, ce, cb) = (
        sim.col("n")?,
        sim.col("alpha")?,
        sim.col("s2_condensed_median")?,
        sim.col("s2_condensed_err")?,
        sim.col("s2_symmetry_breaking")?,
    );
    let samples = sim.rows.first().map_or(String::new(), |r| {
        r[sim.col("samples").unwrap_or(0)].clone()
    });
    let mut fig = Figure {
        x_label: "load α (P = e^{αN})".into(),
        y_label: "noise variance s^{2} = t".into(),
        y_log: true,
        subtitle: format!(
            "spherical, {samples} trajectories per point, cut-offs at t_{{max}} = {} omitted",
            cfg.t_max.0
        ),
        ..Default::default()
    };
    let mut ns: Vec<String> = sim.rows.iter().map(|r| r[cn].clone()).collect();
    ns.dedup();
    for (ci, n) in ns.iter().enumerate() {
        let rows: Vec<usize> = (0..sim.rows.len())
            .filter(|&i| &sim.rows[i][cn] == n)
            .collect();
        fig.curves.push(Curve {
            bars: Vec::new(),
            label: format!("condensation (median), N = {n}"),
            style: Style::Points,
            color: ci,
            // a median at the start time is a cut-off, not a measurement
            points: rows
                .iter()
                .map(|&i| (sim.num(i, ca), sim.num(i, cs), sim.num(i, ce)))
                .filter(|p| p.1 > 0.0 && p.1 < cfg.t_max.0 * (1.0 - 1e-9))
                .collect(),
        });
        fig.curves.push(Curve {
            bars: Vec::new(),
            label: format!("symmetry breaking β λ_{{max}}(C) = 1, N = {n}"),
            style: Style::Dashed,
            color: ci,
            points: rows
                .iter()
                .map(|&i| (sim.num(i, ca), sim.num(i, cb), 0.0))
                .collect(),
        });
    }
    let (ta, tv) = (th.col("alpha")?, th.col("value")?);
    fig.curves.push(Curve {
        bars: Vec::new(),
        label: "collapse s_{C}^{2} = 1/(e^{2α} − 1)".into(),
        style: Style::Line,
        color: 6,
        points: (0..th.rows.len())
            .map(|i| (th.num(i, ta), th.num(i, tv), 0.0))
            .collect(),
    });
    fig.render(&dir.join("condensation_vs_alpha"))
}

impl super::Study for DiffusionSection {
    type Point = ReverseParams;
    type Row = DiffusionRow;
    fn validate(&self, origin: &str) -> Result<()> {
        if self.t_min.0 >= self.t_max.0 {
            return Err(crate::error::EngramError::Config(format!(
                "{origin}: key 'diffusion.t_min' = {}: expected t_min < t_max = {}",
                self.t_min.0, self.t_max.0
            )));
        }
        Ok(())
    }
    fn points(&self, quick: bool) -> Result<Vec<ReverseParams>> {
        let samples = if quick {
            self.samples.0.min(4)
        } else {
            self.samples.0
        };
        let nlist: Vec<usize> = if quick {
            self.n
                .values()
                .iter()
                .take(1)
                .map(|&n| (n as usize).min(12))
                .collect()
        } else {
            self.n.values().iter().map(|&n| n as usize).collect()
        };
        let steps = if quick {
            self.steps.0.min(100)
        } else {
            self.steps.0
        };
        let mut pts = Vec::new();
        for &n in &nlist {
            for &a in &self.alphas(quick) {
                pts.push(ReverseParams {
                    n,
                    alpha: a,
                    samples,
                    t_max: self.t_max.0,
                    t_min: self.t_min.0,
                    steps,
                    seed: self.seed,
                });
            }
        }
        Ok(pts)
    }
    fn units(&self, p: &ReverseParams) -> u64 {
        p.samples as u64
    }
    fn compute(&self, p: &ReverseParams, progress: &Progress) -> Result<Vec<DiffusionRow>> {
        Ok(vec![diffusion_row(p, &|| progress.inc())?])
    }
    fn assemble(&self, rows: Vec<DiffusionRow>, dir: &Path, quick: bool) -> Result<Vec<PathBuf>> {
        let alphas = self.alphas(quick);
        let lo = alphas.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = alphas.iter().cloned().fold(0.0, f64::max);
        let mut th = Vec::new();
        for k in 0..=100 {
            let a = lo + (hi - lo) * k as f64 / 100.0;
            th.push(super::CurveRow::new("s2_collapse", a, s2_collapse(a)?));
        }
        super::write_tables(
            dir,
            vec![
                ("simulation.csv", crate::io::rows::to_csv(&rows)?),
                ("theory.csv", crate::io::rows::to_csv(&th)?),
            ],
        )
    }
    fn render(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        render_diffusion(self, dir)
    }
}
