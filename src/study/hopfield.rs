//! `[hopfield_classic]` study (Krotov–Hopfield, ICLR 2021, arXiv:2008.06996, model A): binary F-networks, overlap vs load against the RS
//! theory; simulation points (resumable, shardable), theory curves, figures from the CSV files.

use std::path::{Path, PathBuf};

use crate::error::{EngramError, Result};
use crate::hopfield::{
    rs_alpha_c, rs_overlap, simulate_point, AsyncParams, AsyncSummary, Interaction,
};
use crate::io::table::Table;
use crate::io::Progress;
use crate::plot::{Curve, Figure, Legend, Points, Style, VLine};

use serde::Deserialize;

use super::values::{one_u64, Count, PositiveSweep, WholeSweep};

/// `[hopfield_classic]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HopfieldSection {
    /// Spins N (whole numbers ≥ 2); one curve each.
    pub n: WholeSweep,
    /// Loads α: P = round(αN) (powers) or round(e^{αN}) (exp).
    pub alpha: PositiveSweep,
    /// Samples per point.
    pub samples: Count,
    /// Interaction power n ≥ 2 (default 2, Hebbian); ignored when `exponential = true`.
    #[serde(default = "Count::two")]
    pub power: Count,
    /// F = eˣ instead of a power.
    #[serde(default)]
    pub exponential: bool,
    /// Initial Hamming distance fraction (default 0).
    #[serde(default)]
    pub flip: f64,
    /// Maximum sweeps (default 100).
    #[serde(default = "Count::hundred")]
    pub max_sweeps: Count,
    /// Seed (default 1).
    #[serde(default = "one_u64")]
    pub seed: u64,
}

/// One binary F-network simulation row (`engram hopfield-classic simulate` and
/// `[hopfield_classic]` simulation.csv). alpha is the load of the actual P (P/N, or ln P/N for
/// the exponential interaction); m_rs is the RS overlap at that load (F = x² only).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HopfieldRow {
    /// Spins N.
    pub n: usize,
    /// Load of the actual P.
    pub alpha: f64,
    /// Patterns P.
    pub patterns: usize,
    /// Samples.
    pub samples: usize,
    /// Mean final overlap with ξ¹.
    pub overlap: f64,
    /// Its standard error.
    pub overlap_err: f64,
    /// Fraction of runs ending at ξ¹.
    pub p_retrieved: f64,
    /// Mean sweeps.
    pub sweeps: f64,
    /// Interaction F: the power n, `rect<n>` or `exp`.
    pub interaction: String,
    /// Initial flip fraction.
    pub flip: f64,
    /// RS overlap at this load (F = x² only).
    pub m_rs: Option<f64>,
}

/// The row of a finished point.
pub fn hopfield_row(p: &AsyncParams, samples: usize, s: &AsyncSummary) -> Result<HopfieldRow> {
    let alpha = p.interaction.load(p.p, p.n);
    let (name, m_rs) = match p.interaction {
        Interaction::Exp => ("exp".to_string(), None),
        Interaction::Power(2) => ("2".to_string(), rs_overlap(alpha)?),
        Interaction::Power(n) => (n.to_string(), None),
        Interaction::RectifiedPower(n) => (format!("rect{n}"), None),
    };
    Ok(HopfieldRow {
        n: p.n,
        alpha,
        patterns: p.p,
        samples,
        overlap: s.overlap.mean,
        overlap_err: s.overlap.se,
        p_retrieved: s.p_retrieved,
        sweeps: s.sweeps,
        interaction: name,
        flip: p.flip_fraction,
        m_rs,
    })
}

/// One row of `engram hopfield-classic theory`: the replica-symmetric overlap at α and the RS
/// capacity α_c with the overlap there (Amit–Gutfreund–Sompolinsky).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RsRow {
    /// Load α = P/N.
    pub alpha: f64,
    /// RS overlap (empty above α_c).
    pub m_rs: Option<f64>,
    /// RS capacity α_c.
    pub alpha_c: f64,
    /// Overlap at α_c.
    pub m_at_alpha_c: f64,
}

/// A point of `[hopfield_classic]` (its resume key).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct HopfieldPoint {
    /// The run parameters.
    pub params: AsyncParams,
    /// Samples.
    pub samples: usize,
}

fn ns(v: &[f64], quick: bool) -> Vec<usize> {
    if quick {
        v.iter()
            .take(2)
            .enumerate()
            .map(|(i, &n)| (n as usize).min(100 + 100 * i))
            .collect()
    } else {
        v.iter().map(|&n| n as usize).collect()
    }
}

impl HopfieldSection {
    fn interaction(&self) -> Result<Interaction> {
        if self.exponential {
            Ok(Interaction::Exp)
        } else {
            Interaction::power(self.power.0 as u32)
        }
    }
    fn alphas(&self, quick: bool) -> Vec<f64> {
        crate::study::dam::thinned(self.alpha.values(), quick, 4)
    }
}

/// Figure of `[hopfield_classic]`: final overlap vs load per N, the RS curve and α_c.
pub fn render_hopfield(cfg: &HopfieldSection, dir: &Path) -> Result<Vec<PathBuf>> {
    let sim = Table::read(&dir.join("simulation.csv"))?;
    let th = Table::read(&dir.join("theory.csv"))?;
    let (cn, ca, co, ce) = (
        sim.col("n")?,
        sim.col("alpha")?,
        sim.col("overlap")?,
        sim.col("overlap_err")?,
    );
    let mut fig = Figure {
        x_label: if cfg.exponential {
            "load α (P = exp αN)".into()
        } else {
            "load α = P/N".into()
        },
        y_label: "final overlap m".into(),
        legend: Legend::LowerLeft,
        subtitle: format!(
            "{}, start {}, {} samples per point",
            if cfg.exponential {
                "F = e^{x}".to_string()
            } else if cfg.power.0 == 2 {
                "Hebbian (F = x^{2})".to_string()
            } else {
                format!("F = x^{{{}}}", cfg.power.0)
            },
            if cfg.flip == 0.0 {
                "at the pattern".to_string()
            } else {
                format!("at Hamming distance {}·N", cfg.flip)
            },
            cfg.samples.0
        ),
        ..Default::default()
    };
    let mut ns: Vec<String> = sim.rows.iter().map(|r| r[cn].clone()).collect();
    ns.dedup();
    for (ci, n) in ns.iter().enumerate() {
        let pts: Points = (0..sim.rows.len())
            .filter(|&i| &sim.rows[i][cn] == n)
            .map(|i| (sim.num(i, ca), sim.num(i, co), sim.num(i, ce)))
            .collect();
        fig.curves
            .push(Curve::new(format!("N = {n}"), Style::Points, ci, pts));
    }
    let (tq, ta, tv) = (th.col("quantity")?, th.col("alpha")?, th.col("value")?);
    let rs: Points = (0..th.rows.len())
        .filter(|&i| th.rows[i][tq] == "m_rs")
        .map(|i| (th.num(i, ta), th.num(i, tv), 0.0))
        .collect();
    if !rs.is_empty() {
        fig.curves.push(Curve::new(
            "replica-symmetric m(α), T = 0",
            Style::Line,
            6,
            rs,
        ));
    }
    for i in 0..th.rows.len() {
        if th.rows[i][tq] == "alpha_c" {
            fig.vlines.push(VLine {
                x: th.num(i, ta),
                label: format!("α_{{c}} = {:.4}", th.num(i, ta)),
                color: 6,
            });
        }
    }
    fig.render(&dir.join("overlap_vs_alpha"))
}

impl super::Study for HopfieldSection {
    type Point = HopfieldPoint;
    type Row = HopfieldRow;
    fn validate(&self, origin: &str) -> Result<()> {
        if self.power.0 < 2 && !self.exponential {
            return Err(EngramError::Config(format!(
                "{origin}: key 'hopfield_classic.power' = {}: expected n >= 2",
                self.power.0
            )));
        }
        if !(0.0..=0.5).contains(&self.flip) {
            return Err(EngramError::Config(format!(
                "{origin}: key 'hopfield_classic.flip' = {}: expected a fraction in [0, 0.5]",
                self.flip
            )));
        }
        Ok(())
    }
    fn points(&self, quick: bool) -> Result<Vec<HopfieldPoint>> {
        let f = self.interaction()?;
        let samples = if quick {
            self.samples.0.min(4)
        } else {
            self.samples.0
        };
        let mut pts = Vec::new();
        for n in ns(self.n.values(), quick) {
            for &a in &self.alphas(quick) {
                let p = f.patterns(a, n)?;
                let params = AsyncParams {
                    n,
                    p,
                    interaction: f,
                    flip_fraction: self.flip,
                    max_sweeps: self.max_sweeps.0,
                    seed: self.seed,
                };
                pts.push(HopfieldPoint { params, samples });
            }
        }
        Ok(pts)
    }
    fn units(&self, p: &HopfieldPoint) -> u64 {
        p.samples as u64
    }
    fn compute(&self, p: &HopfieldPoint, progress: &Progress) -> Result<Vec<HopfieldRow>> {
        let s = simulate_point(&p.params, p.samples, &|| progress.inc())?;
        Ok(vec![hopfield_row(&p.params, p.samples, &s)?])
    }
    fn assemble(&self, rows: Vec<HopfieldRow>, dir: &Path, quick: bool) -> Result<Vec<PathBuf>> {
        let mut th = Vec::new();
        if self.interaction()? == Interaction::Power(2) {
            let (ac, mc, _) = rs_alpha_c();
            let row = super::CurveRow::new;
            th.push(row("alpha_c", ac, mc));
            let top = self
                .alphas(quick)
                .iter()
                .cloned()
                .fold(0.0, f64::max)
                .max(ac);
            for k in 1..=400 {
                let a = top * k as f64 / 400.0;
                if let Some(m) = rs_overlap(a)? {
                    th.push(row("m_rs", a, m));
                }
            }
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
        render_hopfield(self, dir)
    }
}
