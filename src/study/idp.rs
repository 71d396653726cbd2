//! `[idp_noise]` and `[idp_sequence]` studies (docs/theory.md#idp): theory curves, N-neuron simulations
//! (resumable, shardable), and figures rendered from the CSV files.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{EngramError, Result};
use crate::idp::sequence::SequenceMap;
use crate::idp::sim::{run_fixed, run_sequence, MemoryKind, SdeParams, SlowParams};
use crate::idp::table::{
    fixed_point_row, phase_row, transition_rows, FixedPointRow, PhaseRow, TransitionRow,
};
use crate::idp::{alpha_exist, memory_fixed_point, sigma_exist, Activation};
use crate::plot::{Cell, Curve, Figure, Points, Style, VLine};
use crate::stats::mean_se;

use super::dam::thinned;
use crate::io::table::Table;
use crate::io::Progress;

use serde::Deserialize;

use super::values::{one_u64, Count, NonNegSweep, PositiveNumber, PositiveSweep};

/// `[idp_noise]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdpNoiseSection {
    /// tanh or hardtanh.
    pub activation: ActivationName,
    /// Gain β > 0.
    pub gain: PositiveNumber,
    /// Saliencies of the memory; one curve each.
    pub saliency: PositiveSweep,
    /// Noise levels σ ≥ 0 for the theory curves.
    pub sigma: NonNegSweep,
    /// Optional N-neuron simulation at a few noise levels.
    pub simulate: Option<IdpNoiseSim>,
}

/// `[idp_noise.simulate]`: orthogonal memories, memory 0 salient, the others `competitor`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdpNoiseSim {
    /// Neurons (a power of two).
    pub n: Count,
    /// Memories.
    pub p: Count,
    /// Saliency of the other memories (default 0.1).
    #[serde(default = "PositiveNumber::tenth")]
    pub competitor: PositiveNumber,
    /// Noise levels.
    pub sigma: NonNegSweep,
    /// Integration time.
    pub t_max: PositiveNumber,
    /// Time after which overlaps are averaged.
    pub t_burn: PositiveNumber,
    /// Trials per point.
    pub trials: Count,
    /// Euler step (default 0.01).
    #[serde(default = "PositiveNumber::dt")]
    pub dt: PositiveNumber,
    /// Seed (default 1).
    #[serde(default = "one_u64")]
    pub seed: u64,
}

/// `[idp_sequence]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdpSequenceSection {
    /// Gains κ of the phase diagram.
    pub kappa: PositiveSweep,
    /// Initial saliencies Z₀ of the phase diagram.
    pub z0: PositiveSweep,
    /// Existence threshold θ (default 1, hard tanh).
    #[serde(default = "PositiveNumber::one")]
    pub theta: PositiveNumber,
    /// Optional two-timescale network runs.
    pub simulate: Option<IdpSequenceSim>,
}

/// `[idp_sequence.simulate]`: one run per κ.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdpSequenceSim {
    /// Gains κ.
    pub kappa: PositiveSweep,
    /// Slow time constants τ.
    pub tau: PositiveSweep,
    /// Seed noise σ.
    pub sigma: PositiveNumber,
    /// Saliency of memory 0 at t = 0.
    pub z0: PositiveNumber,
    /// Neurons (a power of two).
    pub n: Count,
    /// Memories in the cycle.
    pub p: Count,
    /// Integration time in units of τ.
    pub t_max_over_tau: PositiveNumber,
    /// Trials per (κ, τ).
    pub trials: Count,
    /// Euler step (default 0.01).
    #[serde(default = "PositiveNumber::dt")]
    pub dt: PositiveNumber,
    /// Seed (default 1).
    #[serde(default = "one_u64")]
    pub seed: u64,
}

/// Activation name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivationName {
    /// tanh(βx).
    Tanh,
    /// clip(βx, −1, 1).
    Hardtanh,
}

fn activation(name: ActivationName, gain: f64) -> Result<Activation> {
    match name {
        ActivationName::Tanh => Activation::tanh(gain),
        ActivationName::Hardtanh => Activation::hard_tanh(gain),
    }
}

/// One row of `[idp_noise]` simulation.csv: time-averaged overlap and amplitude of memory 0.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NoiseSimRow {
    /// Saliency of memory 0.
    pub saliency: f64,
    /// Noise σ.
    pub sigma: f64,
    /// Neurons.
    pub n: usize,
    /// Memories.
    pub p: usize,
    /// Trials.
    pub trials: usize,
    /// Mean overlap after t_burn.
    pub overlap: f64,
    /// Its standard error over trials.
    pub overlap_err: f64,
    /// Mean amplitude m after t_burn.
    pub m: f64,
    /// Its standard error over trials.
    pub m_err: f64,
    /// Theory m*.
    pub m_star_theory: f64,
    /// Saliency of the other memories.
    pub competitor: f64,
    /// Averaging starts here.
    pub t_burn: f64,
}

/// A simulation point of `[idp_noise]` (its resume key).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct NoisePoint {
    /// Integration settings.
    pub params: SdeParams,
    /// Saliency of memory 0.
    pub saliency: f64,
    /// Saliency of the others.
    pub competitor: f64,
    /// Trials.
    pub trials: usize,
    /// Averaging start.
    pub t_burn: f64,
}

impl IdpNoiseSection {
    /// The theory rows over the (saliency, σ) grid.
    fn theory_rows(&self) -> Result<Vec<FixedPointRow>> {
        let act = activation(self.activation, self.gain.0)?;
        let mut grid = Vec::new();
        for &a in self.saliency.values() {
            for &s in self.sigma.values() {
                grid.push((a, s));
            }
        }
        grid.par_iter()
            .map(|&(a, s)| fixed_point_row(&act, a, s))
            .collect()
    }

    fn sim_points(&self, quick: bool) -> Result<Vec<NoisePoint>> {
        let Some(sim) = &self.simulate else {
            return Ok(vec![]);
        };
        let act = activation(self.activation, self.gain.0)?;
        let n = if quick { sim.n.0.min(256) } else { sim.n.0 };
        let trials = if quick {
            sim.trials.0.min(2)
        } else {
            sim.trials.0
        };
        let t_max = if quick {
            sim.t_max.0.min(2.0 * sim.t_burn.0 + 5.0)
        } else {
            sim.t_max.0
        };
        let sigmas = thinned(sim.sigma.values(), quick, 3);
        let mut pts = Vec::new();
        for &a in self.saliency.values() {
            for &s in &sigmas {
                let params = SdeParams {
                    n,
                    p: sim.p.0,
                    memories: MemoryKind::Orthogonal,
                    activation: act,
                    sigma: s,
                    dt: sim.dt.0,
                    t_max,
                    record_every: 10,
                    seed: sim.seed,
                    classic: false,
                };
                params.validate()?;
                pts.push(NoisePoint {
                    params,
                    saliency: a,
                    competitor: sim.competitor.0,
                    trials,
                    t_burn: sim.t_burn.0,
                });
            }
        }
        Ok(pts)
    }

    fn sim_point(&self, pt: &NoisePoint, progress: &Progress) -> Result<NoiseSimRow> {
        let p = &pt.params;
        let a = pt.saliency;
        let mut sal = vec![pt.competitor; p.p];
        sal[0] = a;
        let mut start = vec![0.0; p.p];
        start[0] = a.max(1.0);
        let runs: Vec<(f64, f64)> = (0..pt.trials as u64)
            .into_par_iter()
            .map(|t| -> Result<(f64, f64)> {
                let series = run_fixed(p, &sal, &start, 0.0, t)?;
                let idx: Vec<usize> = (0..series.t.len())
                    .filter(|&i| series.t[i] >= pt.t_burn)
                    .collect();
                if idx.is_empty() {
                    return Err(EngramError::InvalidParameter {
                        name: "t_burn",
                        value: format!("{} (t_max = {})", pt.t_burn, p.t_max),
                        allowed:
                            "t_burn below the last recorded time, so that the average has samples",
                    });
                }
                let m = idx.len() as f64;
                let ov = idx.iter().map(|&i| series.overlap[i][0]).sum::<f64>() / m;
                let ma = idx.iter().map(|&i| series.m[i][0]).sum::<f64>() / m;
                progress.inc();
                Ok((ov, ma))
            })
            .collect::<Result<_>>()?;
        let ov = mean_se(&runs.iter().map(|r| r.0).collect::<Vec<_>>());
        let ma = mean_se(&runs.iter().map(|r| r.1).collect::<Vec<_>>());
        let th = memory_fixed_point(&p.activation, a, p.sigma)?
            .m_star
            .unwrap_or(0.0);
        Ok(NoiseSimRow {
            saliency: a,
            sigma: p.sigma,
            n: p.n,
            p: p.p,
            trials: pt.trials,
            overlap: ov.mean,
            overlap_err: ov.se,
            m: ma.mean,
            m_err: ma.se,
            m_star_theory: th,
            competitor: pt.competitor,
            t_burn: pt.t_burn,
        })
    }
}

/// The colour of a collapsing cell of the (κ, Z₀) diagram: darker orange for fewer memories
/// retrieved before the collapse (`n` of at most `nmax`).
fn collapse_colour(n: f64, nmax: f64) -> (u8, u8, u8) {
    let f = (n / nmax).clamp(0.0, 1.0).sqrt();
    let c = |a: f64, b: f64| (a + (b - a) * f) as u8;
    (c(200.0, 252.0), c(90.0, 225.0), c(20.0, 190.0))
}

/// Figures of `[idp_noise]`: m*(σ) with simulated overlaps, and α_exist(σ).
pub fn render_noise(cfg: &IdpNoiseSection, dir: &Path) -> Result<Vec<PathBuf>> {
    let th = Table::read(&dir.join("theory.csv"))?;
    let (ca, cs, cm) = (th.col("saliency")?, th.col("sigma")?, th.col("m_star")?);
    let mut fig = Figure {
        x_label: "noise σ".into(),
        y_label: "memory amplitude m*".into(),
        subtitle: format!("{:?} activation, gain β = {}", cfg.activation, cfg.gain.0)
            .to_lowercase(),
        ..Default::default()
    };
    for (ci, &a) in cfg.saliency.values().iter().enumerate() {
        let pts: Vec<(f64, f64, f64)> = (0..th.rows.len())
            .filter(|&i| th.num(i, ca) == a)
            .map(|i| (th.num(i, cs), th.num(i, cm), 0.0))
            .collect();
        fig.curves
            .push(Curve::new(format!("theory, α = {a}"), Style::Line, ci, pts));
    }
    let sim_path = dir.join("simulation.csv");
    if sim_path.exists() {
        let sim = Table::read(&sim_path)?;
        let (sa, ss, so, se, sn) = (
            sim.col("saliency")?,
            sim.col("sigma")?,
            sim.col("overlap")?,
            sim.col("overlap_err")?,
            sim.col("n")?,
        );
        for (ci, &a) in cfg.saliency.values().iter().enumerate() {
            let pts: Vec<(f64, f64, f64)> = (0..sim.rows.len())
                .filter(|&i| sim.num(i, sa) == a)
                .map(|i| (sim.num(i, ss), sim.num(i, so), sim.num(i, se)))
                .collect();
            if pts.is_empty() {
                continue;
            }
            let n = sim.rows[0][sn].clone();
            fig.curves.push(Curve::new(
                format!("simulation, α = {a}, N = {n}"),
                Style::Points,
                ci,
                pts,
            ));
        }
    }
    let mut out = fig.render(&dir.join("m_star_vs_sigma"))?;
    // thresholds: α_exist(σ) (the same for every saliency)
    let ce = th.col("alpha_exist")?;
    let a0 = cfg.saliency.values()[0];
    let pts: Vec<(f64, f64, f64)> = (0..th.rows.len())
        .filter(|&i| th.num(i, ca) == a0)
        .map(|i| (th.num(i, cs), th.num(i, ce), 0.0))
        .collect();
    let act = activation(cfg.activation, cfg.gain.0)?;
    let mut fig = Figure {
        x_label: "noise σ".into(),
        y_label: "existence threshold α_{exist}".into(),
        curves: vec![Curve::new(
            "α_{exist}(σ) = 1/Ψ'_{σ}(0)",
            Style::Line,
            0,
            pts.clone(),
        )],
        ..Default::default()
    };
    // steep-limit asymptote (√π/2)σ
    let steep: Vec<(f64, f64, f64)> = pts
        .iter()
        .map(|p| (p.0, std::f64::consts::PI.sqrt() / 2.0 * p.0, 0.0))
        .collect();
    fig.curves
        .push(Curve::new("(√π/2)σ, steep limit", Style::Dashed, 1, steep));
    if let Some(sc) = sigma_exist(&act, 1.0)? {
        fig.vlines.push(VLine {
            x: sc,
            label: format!("classic network fails, σ = {sc:.3}"),
            color: 6,
        });
    }
    let _ = alpha_exist(&act, 0.0)?;
    out.extend(fig.render(&dir.join("alpha_exist_vs_sigma"))?);
    Ok(out)
}

/// A two-timescale run of `[idp_sequence]` (its resume key).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct SequencePoint {
    /// Integration settings.
    pub params: SdeParams,
    /// Slow-layer settings.
    pub slow: SlowParams,
    /// Existence threshold θ of the map.
    pub theta: f64,
    /// Trial.
    pub trial: usize,
}

impl IdpSequenceSection {
    fn theory_rows(&self) -> Result<Vec<PhaseRow>> {
        let mut grid = Vec::new();
        for &k in self.kappa.values() {
            for &z in self.z0.values() {
                grid.push((SequenceMap::new(k, self.theta.0)?, z));
            }
        }
        grid.par_iter().map(|(map, z)| phase_row(map, *z)).collect()
    }

    fn sim_points(&self, quick: bool) -> Result<Vec<SequencePoint>> {
        let Some(sim) = &self.simulate else {
            return Ok(vec![]);
        };
        let n = if quick { sim.n.0.min(256) } else { sim.n.0 };
        let trials = if quick { 1 } else { sim.trials.0 };
        let taus = if quick {
            vec![sim.tau.values()[0].min(20.0)]
        } else {
            sim.tau.values().to_vec()
        };
        let params = |tau: f64| SdeParams {
            n,
            p: sim.p.0,
            memories: MemoryKind::Orthogonal,
            activation: Activation::HardTanh { gain: 1.0 },
            sigma: sim.sigma.0,
            dt: sim.dt.0,
            t_max: sim.t_max_over_tau.0 * tau,
            record_every: 1_000_000,
            seed: sim.seed,
            classic: false,
        };
        params(taus[0]).validate()?;
        let mut pts = Vec::new();
        for &kappa in sim.kappa.values() {
            for &tau in &taus {
                for trial in 0..trials {
                    pts.push(SequencePoint {
                        params: params(tau),
                        slow: SlowParams {
                            kappa,
                            tau,
                            z0: sim.z0.0,
                            retrieval_overlap: 0.5,
                        },
                        theta: self.theta.0,
                        trial,
                    });
                }
            }
        }
        Ok(pts)
    }

    fn sim_point(&self, pt: &SequencePoint) -> Result<Vec<TransitionRow>> {
        let r = run_sequence(&pt.params, &pt.slow, pt.trial as u64)?;
        let map = SequenceMap::new(pt.slow.kappa, pt.theta)?;
        Ok(transition_rows(
            &r,
            &map,
            pt.slow.tau,
            pt.params.sigma,
            pt.trial,
        ))
    }
}

/// Figures of `[idp_sequence]`: the (κ, Z₀) phase diagram with Z₋(κ) and κ_c, and the
/// switch saliencies of the simulated network against the map.
pub fn render_sequence(cfg: &IdpSequenceSection, dir: &Path) -> Result<Vec<PathBuf>> {
    let th = Table::read(&dir.join("theory.csv"))?;
    let theta = cfg.theta.0;
    let (ck, cz, cr, cn) = (
        th.col("kappa")?,
        th.col("z0")?,
        th.col("regime")?,
        th.col("n_retrieved")?,
    );
    let ks = cfg.kappa.values();
    let zs = cfg.z0.values();
    let half = |v: &[f64], i: usize| -> (f64, f64) {
        let lo = if i == 0 {
            v[0] - (v.get(1).unwrap_or(&(v[0] + 1.0)) - v[0]) / 2.0
        } else {
            (v[i - 1] + v[i]) / 2.0
        };
        let hi = if i + 1 == v.len() {
            v[i] + (v[i] - v[i.saturating_sub(1)].min(v[i])).max(v[i] - lo)
        } else {
            (v[i] + v[i + 1]) / 2.0
        };
        (lo, hi)
    };
    let nmax = (0..th.rows.len())
        .filter_map(|i| th.rows[i][cn].parse::<f64>().ok())
        .fold(1.0f64, f64::max);
    let mut cells = Vec::new();
    for i in 0..th.rows.len() {
        let (k, z) = (th.num(i, ck), th.num(i, cz));
        let (Some(ki), Some(zi)) = (
            ks.iter().position(|&x| x == k),
            zs.iter().position(|&x| x == z),
        ) else {
            continue;
        };
        let (x0, x1) = half(ks, ki);
        let (y0, y1) = half(zs, zi);
        let rgb = if th.rows[i][cr] == "sustained" {
            (190, 220, 245)
        } else {
            collapse_colour(th.num(i, cn), nmax)
        };
        cells.push(Cell {
            x0,
            x1,
            y0,
            y1,
            rgb,
        });
    }
    let zm: Vec<(f64, f64, f64)> = ks
        .iter()
        .filter_map(|&k| {
            SequenceMap::new(k, theta)
                .ok()?
                .fixed_points()
                .map(|f| (k, f.1, 0.0))
        })
        .collect();
    let zp: Vec<(f64, f64, f64)> = ks
        .iter()
        .filter_map(|&k| {
            SequenceMap::new(k, theta)
                .ok()?
                .fixed_points()
                .map(|f| (k, f.0, 0.0))
        })
        .filter(|p| p.1 <= *zs.last().unwrap())
        .collect();
    let fig = Figure {
        x_label: "gain κ".into(),
        y_label: "initial saliency Z_{0}".into(),
        subtitle: format!("the map Z_{{n+1}} = κ(1 − θ/Z_{{n}}), θ = {theta}"),
        x_range: Some((half(ks, 0).0, half(ks, ks.len() - 1).1)),
        y_range: Some((half(zs, 0).0, half(zs, zs.len() - 1).1)),
        cells,
        cell_legend: vec![("sustained".into(), (190, 220, 245))],
        colour_bar: Some(crate::plot::ColourBar {
            label: "collapse: memories retrieved".into(),
            stops: (0..=16)
                .map(|k| {
                    let n = nmax * k as f64 / 16.0;
                    (n, collapse_colour(n, nmax))
                })
                .collect(),
        }),
        curves: vec![
            Curve::new("Z_{−}(κ), unstable", Style::Line, 6, zm),
            Curve::new("Z_{+}(κ), stable", Style::Dashed, 0, zp),
        ],
        vlines: vec![VLine {
            x: 4.0 * theta,
            label: "κ_{c} = 4θ".into(),
            color: 2,
        }],
        ..Default::default()
    };
    let mut out = fig.render(&dir.join("phase_kappa_z0"))?;
    let sim_path = dir.join("simulation.csv");
    if sim_path.exists() {
        let sim = Table::read(&sim_path)?;
        let (sk, st, sn, sz, sd) = (
            sim.col("kappa")?,
            sim.col("tau")?,
            sim.col("n")?,
            sim.col("z")?,
            sim.col("dwell_over_tau")?,
        );
        let mut groups: Vec<((f64, f64), Points, Points)> = Vec::new();
        for i in 0..sim.rows.len() {
            let key = (sim.num(i, sk), sim.num(i, st));
            let zpt = (sim.num(i, sn), sim.num(i, sz), 0.0);
            let dpt = (sim.num(i, sn), sim.num(i, sd), 0.0);
            match groups.iter_mut().find(|g| g.0 == key) {
                Some(g) => {
                    g.1.push(zpt);
                    g.2.push(dpt);
                }
                None => groups.push((key, vec![zpt], vec![dpt])),
            }
        }
        let z0 = cfg.simulate.as_ref().map_or(1.0, |s| s.z0.0);
        let sub = match cfg.simulate.as_ref() {
            Some(s) => format!(
                "N = {}, P = {}, Z_{{0}} = {}, σ = {}, θ = {theta}",
                s.n.0, s.p.0, s.z0.0, s.sigma.0
            ),
            None => format!("Z_{{0}} = {z0}, θ = {theta}"),
        };
        let mut zfig = Figure {
            subtitle: sub.clone(),
            x_label: "transition n".into(),
            y_label: "saliency at retrieval Z_{n}".into(),
            legend: crate::plot::Legend::LowerRight,
            ..Default::default()
        };
        let mut dfig = Figure {
            subtitle: sub,
            x_label: "transition n".into(),
            y_label: "dwell time T_{n}/τ".into(),
            legend: crate::plot::Legend::LowerRight,
            ..Default::default()
        };
        let mut kappas: Vec<f64> = groups.iter().map(|g| g.0 .0).collect();
        kappas.dedup();
        for (ci, &k) in kappas.iter().enumerate() {
            let map = SequenceMap::new(k, theta)?;
            let nmax = groups
                .iter()
                .filter(|g| g.0 .0 == k)
                .flat_map(|g| g.1.iter().map(|p| p.0))
                .fold(0.0, f64::max) as usize;
            let steps = map.iterate(z0, nmax + 1)?;
            zfig.curves.push(Curve {
                bars: Vec::new(),
                label: if ci == 0 {
                    "map Zₙ₊₁ = κ(1 − θ/Zₙ)".into()
                } else {
                    String::new()
                },
                style: Style::Line,
                color: 6,
                points: steps.iter().map(|s| (s.n as f64, s.z, 0.0)).collect(),
            });
            dfig.curves.push(Curve {
                bars: Vec::new(),
                label: if ci == 0 {
                    "map: ln(Zₙ/θ)".into()
                } else {
                    String::new()
                },
                style: Style::Line,
                color: 6,
                points: steps
                    .iter()
                    .filter(|s| s.retrieved)
                    .map(|s| (s.n as f64, s.dwell, 0.0))
                    .collect(),
            });
        }
        for (gi, (key, zpts, dpts)) in groups.into_iter().enumerate() {
            let ci = gi;
            zfig.curves.push(Curve::new(
                format!("network, κ = {}, τ = {}", key.0, key.1),
                Style::Points,
                ci,
                zpts,
            ));
            dfig.curves.push(Curve::new(
                format!("network, κ = {}, τ = {}", key.0, key.1),
                Style::Points,
                ci,
                dpts.into_iter().filter(|p| p.1.is_finite()).collect(),
            ));
        }
        out.extend(zfig.render(&dir.join("switch_saliency"))?);
        out.extend(dfig.render(&dir.join("dwell_time"))?);
    }
    Ok(out)
}

/// Orthogonal (Hadamard) memories need N a power of two and P ≤ N − 1.
/// Most trials of an N-neuron IDP simulation in a study (each is a full SDE run).
const MAX_TRIALS: usize = 100_000;

fn check_orthogonal(origin: &str, key: &str, sim: Option<(usize, usize)>) -> Result<()> {
    let Some((n, p)) = sim else {
        return Ok(());
    };
    if !n.is_power_of_two() {
        return Err(EngramError::Config(format!(
            "{origin}: key '{key}.n' = {n}: expected a power of two (orthogonal Hadamard memories)"
        )));
    }
    if p >= n {
        return Err(EngramError::Config(format!(
            "{origin}: key '{key}.p' = {p}: expected P <= N - 1 for orthogonal memories"
        )));
    }
    Ok(())
}

/// simulation.csv (when the study simulates) and theory.csv.
fn sim_and_theory<S, T>(
    dir: &Path,
    simulates: bool,
    sim: &[S],
    theory: &[T],
) -> Result<Vec<PathBuf>>
where
    S: serde::Serialize + serde::de::DeserializeOwned,
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let mut tables = Vec::new();
    if simulates {
        tables.push(("simulation.csv", crate::io::rows::to_csv(sim)?));
    }
    tables.push(("theory.csv", crate::io::rows::to_csv(theory)?));
    super::write_tables(dir, tables)
}

impl super::Study for IdpNoiseSection {
    type Point = NoisePoint;
    type Row = NoiseSimRow;
    fn validate(&self, origin: &str) -> Result<()> {
        if let Some(s) = &self.simulate {
            if s.trials.0 > MAX_TRIALS {
                return Err(EngramError::Config(format!(
                    "{origin}: key 'idp_noise.simulate.trials' = {}: expected at most {MAX_TRIALS}",
                    s.trials.0
                )));
            }
            if s.t_burn.0 >= s.t_max.0 {
                return Err(EngramError::Config(format!(
                    "{origin}: key 'idp_noise.simulate.t_burn' = {}: expected t_burn < t_max = {} \
                     (the averages are taken over t_burn <= t <= t_max)",
                    s.t_burn.0, s.t_max.0
                )));
            }
        }
        let sim = self.simulate.as_ref().map(|s| (s.n.0, s.p.0));
        check_orthogonal(origin, "idp_noise.simulate", sim)
    }
    fn points(&self, quick: bool) -> Result<Vec<NoisePoint>> {
        self.sim_points(quick)
    }
    fn units(&self, p: &NoisePoint) -> u64 {
        p.trials as u64
    }
    fn compute(&self, p: &NoisePoint, progress: &Progress) -> Result<Vec<NoiseSimRow>> {
        Ok(vec![self.sim_point(p, progress)?])
    }
    fn assemble(&self, rows: Vec<NoiseSimRow>, dir: &Path, _quick: bool) -> Result<Vec<PathBuf>> {
        sim_and_theory(dir, self.simulate.is_some(), &rows, &self.theory_rows()?)
    }
    fn render(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        render_noise(self, dir)
    }
    fn seed(&self) -> Option<u64> {
        self.simulate.as_ref().map(|s| s.seed)
    }
}

impl super::Study for IdpSequenceSection {
    type Point = SequencePoint;
    type Row = TransitionRow;
    fn validate(&self, origin: &str) -> Result<()> {
        if let Some(s) = &self.simulate {
            // one point per trial: a count past this is a typo, not a study
            if s.trials.0 > MAX_TRIALS {
                return Err(EngramError::Config(format!(
                    "{origin}: key 'idp_sequence.simulate.trials' = {}: expected at most \
                     {MAX_TRIALS}",
                    s.trials.0
                )));
            }
        }
        let sim = self.simulate.as_ref().map(|s| (s.n.0, s.p.0));
        check_orthogonal(origin, "idp_sequence.simulate", sim)
    }
    fn points(&self, quick: bool) -> Result<Vec<SequencePoint>> {
        self.sim_points(quick)
    }
    fn compute(&self, p: &SequencePoint, progress: &Progress) -> Result<Vec<TransitionRow>> {
        let rows = self.sim_point(p)?;
        progress.inc();
        Ok(rows)
    }
    fn assemble(&self, rows: Vec<TransitionRow>, dir: &Path, _quick: bool) -> Result<Vec<PathBuf>> {
        sim_and_theory(dir, self.simulate.is_some(), &rows, &self.theory_rows()?)
    }
    fn render(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        render_sequence(self, dir)
    }
    fn seed(&self) -> Option<u64> {
        self.simulate.as_ref().map(|s| s.seed)
    }
}
