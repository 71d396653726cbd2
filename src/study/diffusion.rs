//! `[diffusion]` study (Ambrogioni, Entropy 2024, arXiv:2309.17290): reverse diffusion on finite pattern sets against the REM;
//! simulation points (resumable, shardable), theory curves, figures from the CSV files.

use std::path::{Path, PathBuf};

use crate::diffusion::{reverse_point, s2_collapse, ReverseParams};
use crate::error::Result;
use crate::io::points::{run_points, PointStore, Schedule};
use crate::io::table::Table;
use crate::io::Progress;
use crate::plot::{Curve, Figure, Style};
use crate::stats::fmt_num as fmt;

use super::dam::thin;

use serde::Deserialize;

use super::config::{one_u64, Count, PositiveNumber, PositiveSweep, WholeSweep};

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

/// simulation.csv columns of `[diffusion]`.
pub const DIFFUSION_SIM: [&str; 8] = [
    "n",
    "alpha",
    "patterns",
    "samples",
    "p_memorised",
    "p_memorised_err",
    "s2_condensed_median",
    "s2_symmetry_breaking",
];
/// theory.csv columns of `[diffusion]`.
pub const DIFFUSION_THEORY: [&str; 3] = ["quantity", "alpha", "value"];

/// Run `[diffusion]`.
pub fn run_diffusion(
    cfg: &DiffusionSection,
    dir: &Path,
    schedule: Schedule,
    quick: bool,
    progress: &Progress,
) -> Result<Vec<PathBuf>> {
    let samples = if quick {
        cfg.samples.0.min(4)
    } else {
        cfg.samples.0
    };
    let alphas = if quick {
        thin(cfg.alpha.values(), 3)
    } else {
        cfg.alpha.values().to_vec()
    };
    let nlist: Vec<usize> = if quick {
        cfg.n
            .values()
            .iter()
            .take(1)
            .map(|&n| (n as usize).min(12))
            .collect()
    } else {
        cfg.n.values().iter().map(|&n| n as usize).collect()
    };
    let steps = if quick {
        cfg.steps.0.min(100)
    } else {
        cfg.steps.0
    };
    let mut pts = Vec::new();
    for &n in &nlist {
        for &a in &alphas {
            pts.push(ReverseParams {
                n,
                alpha: a,
                samples,
                t_max: cfg.t_max.0,
                t_min: cfg.t_min.0,
                steps,
                seed: cfg.seed,
            });
        }
    }
    let keys: Vec<String> = pts.iter().map(|p| format!("{p:?}")).collect();
    let store = PointStore::new(dir)?;
    progress.add((pts.len() * samples) as u64);
    let rows = run_points(&store, &keys, schedule, |k| {
        let p = &pts[k];
        let r = reverse_point(p, &|| progress.inc())?;
        Ok(vec![
            p.n.to_string(),
            fmt(p.alpha),
            r.patterns.to_string(),
            samples.to_string(),
            fmt(r.memorised.p),
            fmt(r.memorised.err),
            fmt(r.s2_condensed_median),
            fmt(r.s2_symmetry_breaking),
        ])
    })?;
    let Some(rows) = rows else {
        return Ok(vec![]);
    };
    let sim = dir.join("simulation.csv");
    crate::io::write_atomic(&sim, &Table::new(&DIFFUSION_SIM, rows).to_csv()?)?;
    let lo = alphas.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = alphas.iter().cloned().fold(0.0, f64::max);
    let mut th = Vec::new();
    for k in 0..=100 {
        let a = lo + (hi - lo) * k as f64 / 100.0;
        th.push(vec!["s2_collapse".into(), fmt(a), fmt(s2_collapse(a)?)]);
    }
    let thp = dir.join("theory.csv");
    crate::io::write_atomic(&thp, &Table::new(&DIFFUSION_THEORY, th).to_csv()?)?;
    Ok(vec![sim, thp])
}

/// Figure of `[diffusion]`: the condensation noise s² vs α (measured median per N), the
/// symmetry-breaking s² = λ_max(C) and the collapse noise s_C² = 1/(e^{2α} − 1).
pub fn render_diffusion(_cfg: &DiffusionSection, dir: &Path) -> Result<Vec<PathBuf>> {
    let sim = Table::read(&dir.join("simulation.csv"))?;
    let th = Table::read(&dir.join("theory.csv"))?;
    let (cn, ca, cs, cb) = (
        sim.col("n")?,
        sim.col("alpha")?,
        sim.col("s2_condensed_median")?,
        sim.col("s2_symmetry_breaking")?,
    );
    let mut fig = Figure {
        x_label: "load α (P = exp αN)".into(),
        y_label: "noise variance s^{2} = t".into(),
        y_log: true,
        ..Default::default()
    };
    let mut ns: Vec<String> = sim.rows.iter().map(|r| r[cn].clone()).collect();
    ns.dedup();
    for (ci, n) in ns.iter().enumerate() {
        let rows: Vec<usize> = (0..sim.rows.len())
            .filter(|&i| &sim.rows[i][cn] == n)
            .collect();
        fig.curves.push(Curve {
            label: format!("condensation (median), N = {n}"),
            style: Style::Points,
            color: ci,
            points: rows
                .iter()
                .map(|&i| (sim.num(i, ca), sim.num(i, cs), 0.0))
                .filter(|p| p.1 > 0.0)
                .collect(),
        });
        fig.curves.push(Curve {
            label: if ci == 0 {
                "β λ_{max}(C) = 1".into()
            } else {
                String::new()
            },
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
    fn validate(&self, origin: &str) -> Result<()> {
        if self.t_min.0 >= self.t_max.0 {
            return Err(crate::error::EngramError::Config(format!(
                "{origin}: key 'diffusion.t_min' = {}: expected t_min < t_max = {}",
                self.t_min.0, self.t_max.0
            )));
        }
        Ok(())
    }
    fn run(&self, cx: &super::Context) -> Result<Vec<PathBuf>> {
        run_diffusion(self, cx.dir, cx.schedule, cx.quick, cx.progress)
    }
    fn render(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        render_diffusion(self, dir)
    }
}
