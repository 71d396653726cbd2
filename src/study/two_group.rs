//! `[two_group]` study (Krotov–Hopfield, ICLR 2021, arXiv:2008.06996): the two-group network against its effective
//! model as τ_h → 0; points (resumable, shardable), figures from the CSV files.

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::io::table::Table;
use crate::io::Progress;
use crate::plot::{Curve, Figure, Legend, Points, Style};

use super::dam::thinned;

use serde::Deserialize;

use super::values::{one_u64, Count, PositiveNumber, PositiveSweep};

/// `[two_group]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwoGroupSection {
    /// Models: any of "a", "a-classic", "b", "c".
    pub models: Vec<String>,
    /// Hidden time constants τ_h (τ_f = 1).
    pub tau_h: PositiveSweep,
    /// Feature neurons (default 32).
    #[serde(default = "Count::thirty_two")]
    pub nf: Count,
    /// Hidden neurons (default 8).
    #[serde(default = "Count::eight")]
    pub nh: Count,
    /// β of models a-classic and b (default 4).
    #[serde(default = "PositiveNumber::four")]
    pub beta: PositiveNumber,
    /// Power of F in models a and c (default 2; use an even power for c).
    #[serde(default = "Count::two")]
    pub power: Count,
    /// Integration time (default 10).
    #[serde(default = "PositiveNumber::ten")]
    pub t_max: PositiveNumber,
    /// Seed (default 1).
    #[serde(default = "one_u64")]
    pub seed: u64,
}

/// One row of `[two_group]` simulation.csv: the full network beside the effective model
/// (τ_f = 1): the largest distance between their feature states over the run, final energies,
/// and the largest energy increase between records (≤ 0 up to round-off).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TwoGroupRow {
    /// Model name.
    pub model: String,
    /// Hidden time constant τ_h.
    pub tau_h: f64,
    /// Largest distance to the effective trajectory.
    pub max_distance: f64,
    /// Final energy of the full network.
    pub energy_final: f64,
    /// Final energy of the effective model.
    pub energy_effective_final: f64,
    /// Final overlap.
    pub overlap_final: f64,
    /// Largest energy increase between records.
    pub energy_rise_max: f64,
    /// Feature neurons.
    pub nf: usize,
}

/// One record of `engram kh relax`: the full network beside its effective model at time t.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RelaxRow {
    /// Time.
    pub t: f64,
    /// Energy of the full network.
    pub energy: f64,
    /// Energy of the effective model.
    pub energy_effective: f64,
    /// Distance between their feature states.
    pub distance: f64,
    /// Overlap.
    pub overlap: f64,
    /// Model name.
    pub model: String,
    /// τ_h.
    pub tau_h: f64,
}

/// A point of `[two_group]` (its resume key).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct TwoGroupPoint {
    /// The model.
    pub model: crate::two_group::Model,
    /// τ_h.
    pub tau_h: f64,
    /// Feature neurons.
    pub nf: usize,
    /// Hidden neurons.
    pub nh: usize,
    /// Integration time.
    pub t_max: f64,
    /// Seed.
    pub seed: u64,
}

/// Figure of `[two_group]`: largest distance to the effective trajectory vs τ_h (log-log),
/// one curve per model, with a slope-1 guide (distance ∝ τ_h).
pub fn render_two_group(cfg: &TwoGroupSection, dir: &Path) -> Result<Vec<PathBuf>> {
    let sim = Table::read(&dir.join("simulation.csv"))?;
    let (cm, ct, cd) = (
        sim.col("model")?,
        sim.col("tau_h")?,
        sim.col("max_distance")?,
    );
    let mut models: Vec<String> = sim.rows.iter().map(|r| r[cm].clone()).collect();
    models.dedup();
    let mut fig = Figure {
        x_label: "hidden time constant τ_{h} / τ_{f}".into(),
        y_label: "max distance to effective model".into(),
        subtitle: format!(
            "N_{{f}} = {}, N_{{h}} = {}, β = {}, F = x^{{{}}}, t_{{max}} = {}",
            cfg.nf.0, cfg.nh.0, cfg.beta.0, cfg.power.0, cfg.t_max.0
        ),
        x_log: true,
        y_log: true,
        legend: Legend::LowerRight,
        ..Default::default()
    };
    let mut anchor = None;
    for (ci, m) in models.iter().enumerate() {
        let pts: Points = (0..sim.rows.len())
            .filter(|&i| &sim.rows[i][cm] == m)
            .map(|i| (sim.num(i, ct), sim.num(i, cd), 0.0))
            .filter(|p| p.1 > 0.0)
            .collect();
        if anchor.is_none() {
            anchor = pts.last().copied();
        }
        fig.curves
            .push(Curve::new(format!("model {m}"), Style::Points, ci, pts));
    }
    if let Some((t0, d0, _)) = anchor {
        let taus: Vec<f64> = (0..sim.rows.len()).map(|i| sim.num(i, ct)).collect();
        let lo = taus.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = taus.iter().cloned().fold(0.0, f64::max);
        fig.curves.push(Curve::new(
            "∝ τ_{h}",
            Style::Dashed,
            6,
            vec![(lo, d0 * lo / t0, 0.0), (hi, d0 * hi / t0, 0.0)],
        ));
    }
    fig.render(&dir.join("distance_vs_tau_h"))
}

impl super::Study for TwoGroupSection {
    type Point = TwoGroupPoint;
    type Row = TwoGroupRow;
    fn validate(&self, origin: &str) -> Result<()> {
        for m in &self.models {
            if let Err(e) = crate::two_group::Model::parse(m, self.beta.0, self.power.0 as u32)
                .and_then(|m| m.lagrangians().map(|_| ()))
            {
                return Err(crate::error::EngramError::Config(format!(
                    "{origin}: key 'two_group.models': {e}"
                )));
            }
        }
        if self.models.is_empty() || self.nf.0 < 2 {
            return Err(crate::error::EngramError::Config(format!(
                "{origin}: key 'two_group': expected at least one model and nf >= 2"
            )));
        }
        Ok(())
    }
    fn points(&self, quick: bool) -> Result<Vec<TwoGroupPoint>> {
        use crate::two_group::Model;
        let taus = thinned(self.tau_h.values(), quick, 2);
        let t_max = if quick {
            self.t_max.0.min(2.0)
        } else {
            self.t_max.0
        };
        let mut pts = Vec::new();
        for m in &self.models {
            let model = Model::parse(m, self.beta.0, self.power.0 as u32)?;
            for &tau_h in &taus {
                pts.push(TwoGroupPoint {
                    model,
                    tau_h,
                    nf: self.nf.0,
                    nh: self.nh.0,
                    t_max,
                    seed: self.seed,
                });
            }
        }
        Ok(pts)
    }
    fn compute(&self, p: &TwoGroupPoint, progress: &Progress) -> Result<Vec<TwoGroupRow>> {
        let rec = crate::two_group::relax_compare(
            p.model, p.nf, p.nh, 1.0, p.tau_h, p.t_max, 200, p.seed,
        )?;
        progress.inc();
        let last = rec.last().copied().expect("at least one record");
        let rise = rec
            .windows(2)
            .map(|w| w[1].energy - w[0].energy)
            .fold(f64::NEG_INFINITY, f64::max);
        Ok(vec![TwoGroupRow {
            model: p.model.name().into(),
            tau_h: p.tau_h,
            max_distance: rec.iter().map(|r| r.distance).fold(0.0, f64::max),
            energy_final: last.energy,
            energy_effective_final: last.energy_effective,
            overlap_final: last.overlap,
            energy_rise_max: rise,
            nf: p.nf,
        }])
    }
    fn assemble(&self, rows: Vec<TwoGroupRow>, dir: &Path, _quick: bool) -> Result<Vec<PathBuf>> {
        super::write_tables(
            dir,
            vec![("simulation.csv", crate::io::rows::to_csv(&rows)?)],
        )
    }
    fn render(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        render_two_group(self, dir)
    }
}
