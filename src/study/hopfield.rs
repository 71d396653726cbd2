//! `[hopfield_classic]` study (Krotov–Hopfield, ICLR 2021, arXiv:2008.06996, model A): binary F-networks, overlap vs load against the RS
//! theory; simulation points (resumable, shardable), theory curves, figures from the CSV files.

use std::path::{Path, PathBuf};

use crate::error::{EngramError, Result};
use crate::hopfield::{
    rs_alpha_c, rs_overlap, simulate_point, AsyncParams, AsyncSummary, Interaction,
};
use crate::io::points::{run_points, PointStore, Schedule};
use crate::io::table::Table;
use crate::io::Progress;
use crate::plot::{Curve, Figure, Legend, Points, Style, VLine};
use crate::stats::fmt_num as fmt;

use super::dam::thin;

use serde::Deserialize;

use super::config::{one_u64, Count, PositiveSweep, WholeSweep};

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

/// Columns of a binary F-network simulation row (`engram hopfield-classic simulate` and
/// `[hopfield_classic]` simulation.csv). alpha is the load of the actual P (P/N, or ln P/N for
/// the exponential interaction); m_rs is the RS overlap at that load (F = x² only).
pub const HOPFIELD_SIM: [&str; 11] = [
    "n",
    "alpha",
    "patterns",
    "samples",
    "overlap",
    "overlap_err",
    "p_retrieved",
    "sweeps",
    "interaction",
    "flip",
    "m_rs",
];

/// One row ([`HOPFIELD_SIM`]) for a finished point.
pub fn hopfield_row(p: &AsyncParams, samples: usize, s: &AsyncSummary) -> Result<Vec<String>> {
    let alpha = p.interaction.load(p.p, p.n);
    let (name, m_rs) = match p.interaction {
        Interaction::Exp => ("exp".to_string(), None),
        Interaction::Power(2) => ("2".to_string(), rs_overlap(alpha)?),
        Interaction::Power(n) => (n.to_string(), None),
        Interaction::RectifiedPower(n) => (format!("rect{n}"), None),
    };
    Ok(vec![
        p.n.to_string(),
        fmt(alpha),
        p.p.to_string(),
        samples.to_string(),
        fmt(s.overlap.mean),
        fmt(s.overlap.se),
        fmt(s.p_retrieved),
        fmt(s.sweeps),
        name,
        fmt(p.flip_fraction),
        m_rs.map_or(String::new(), fmt),
    ])
}

/// theory.csv columns of `[hopfield_classic]`.
pub const HOPFIELD_THEORY: [&str; 3] = ["quantity", "alpha", "value"];

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

/// Run `[hopfield_classic]`.
pub fn run_hopfield(
    cfg: &HopfieldSection,
    dir: &Path,
    schedule: Schedule,
    quick: bool,
    progress: &Progress,
) -> Result<Vec<PathBuf>> {
    let f = if cfg.exponential {
        Interaction::Exp
    } else {
        Interaction::power(cfg.power.0 as u32)?
    };
    let samples = if quick {
        cfg.samples.0.min(4)
    } else {
        cfg.samples.0
    };
    let alphas = if quick {
        thin(cfg.alpha.values(), 4)
    } else {
        cfg.alpha.values().to_vec()
    };
    let mut pts = Vec::new();
    for n in ns(cfg.n.values(), quick) {
        for &a in &alphas {
            let p = f.patterns(a, n)?;
            pts.push(AsyncParams {
                n,
                p,
                interaction: f,
                flip_fraction: cfg.flip,
                max_sweeps: cfg.max_sweeps.0,
                seed: cfg.seed,
            });
        }
    }
    let keys: Vec<String> = pts
        .iter()
        .map(|p| format!("{p:?}|samples={samples}"))
        .collect();
    let store = PointStore::new(dir)?;
    progress.add((pts.len() * samples) as u64);
    let rows = run_points(&store, &keys, schedule, |k| {
        let p = &pts[k];
        let s = simulate_point(p, samples, &|| progress.inc())?;
        hopfield_row(p, samples, &s)
    })?;
    let Some(rows) = rows else {
        return Ok(vec![]);
    };
    let sim = dir.join("simulation.csv");
    crate::io::write_atomic(&sim, &Table::new(&HOPFIELD_SIM, rows).to_csv()?)?;
    let mut th = Vec::new();
    if f == Interaction::Power(2) {
        let (ac, mc, _) = rs_alpha_c();
        th.push(vec!["alpha_c".into(), fmt(ac), fmt(mc)]);
        let top = alphas.iter().cloned().fold(0.0, f64::max).max(ac);
        for k in 1..=400 {
            let a = top * k as f64 / 400.0;
            if let Some(m) = rs_overlap(a)? {
                th.push(vec!["m_rs".into(), fmt(a), fmt(m)]);
            }
        }
    }
    let thp = dir.join("theory.csv");
    crate::io::write_atomic(&thp, &Table::new(&HOPFIELD_THEORY, th).to_csv()?)?;
    Ok(vec![sim, thp])
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
        ..Default::default()
    };
    let mut ns: Vec<String> = sim.rows.iter().map(|r| r[cn].clone()).collect();
    ns.dedup();
    for (ci, n) in ns.iter().enumerate() {
        let pts: Points = (0..sim.rows.len())
            .filter(|&i| &sim.rows[i][cn] == n)
            .map(|i| (sim.num(i, ca), sim.num(i, co), sim.num(i, ce)))
            .collect();
        fig.curves.push(Curve {
            label: format!("N = {n}"),
            style: Style::Points,
            color: ci,
            points: pts,
        });
    }
    let (tq, ta, tv) = (th.col("quantity")?, th.col("alpha")?, th.col("value")?);
    let rs: Points = (0..th.rows.len())
        .filter(|&i| th.rows[i][tq] == "m_rs")
        .map(|i| (th.num(i, ta), th.num(i, tv), 0.0))
        .collect();
    if !rs.is_empty() {
        fig.curves.push(Curve {
            label: "replica-symmetric m(α), T = 0".into(),
            style: Style::Line,
            color: 6,
            points: rs,
        });
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
    fn run(&self, cx: &super::Context) -> Result<Vec<PathBuf>> {
        run_hopfield(self, cx.dir, cx.schedule, cx.quick, cx.progress)
    }
    fn render(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        render_hopfield(self, dir)
    }
}
