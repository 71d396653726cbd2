//! `[idp_noise]` and `[idp_sequence]` studies (docs/theory.md#idp): theory curves, N-neuron simulations
//! (resumable, shardable), and figures rendered from the CSV files.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{EngramError, Result};
use crate::idp::sequence::SequenceMap;
use crate::idp::sim::{run_fixed, run_sequence, MemoryKind, SdeParams, SlowParams};
use crate::idp::{alpha_exist, memory_fixed_point, sigma_exist, Activation};
use crate::plot::{Cell, Curve, Figure, Points, Style, VLine};
use crate::stats::{fmt_num as fmt, mean_se};

use super::dam::thin;
use crate::io::points::{run_points, PointStore, Schedule};
use crate::io::table::Table;
use crate::io::{write_atomic, Progress};

use serde::Deserialize;

use super::config::{one_u64, Count, NonNegSweep, PositiveNumber, PositiveSweep};

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

fn opt(x: Option<f64>) -> String {
    x.map_or(String::new(), fmt)
}

/// Columns of a memory fixed-point row (`engram idp fixed-point` and `[idp_noise]`
/// theory.csv; the `idp map` columns first).
pub const NOISE_THEORY: [&str; 10] = [
    "m_star",
    "alpha_exist",
    "alpha_stab",
    "saliency",
    "gain",
    "activation",
    "sigma",
    "memory_exists",
    "origin_stable",
    "sigma_exist",
];

/// One fixed-point row (columns [`NOISE_THEORY`]); empty fields where a quantity is not
/// defined (no memory state; never destabilised).
pub fn fixed_point_row(act: &Activation, saliency: f64, sigma: f64) -> Result<Vec<String>> {
    let fp = memory_fixed_point(act, saliency, sigma)?;
    Ok(vec![
        fmt(fp.m_star.unwrap_or(0.0)),
        fmt(fp.alpha_exist),
        opt(fp.alpha_stab),
        fmt(saliency),
        fmt(act.gain()),
        act.name().into(),
        fmt(sigma),
        fp.m_star.is_some().to_string(),
        fp.origin_stable.to_string(),
        opt(sigma_exist(act, saliency)?),
    ])
}
/// simulation.csv columns of `[idp_noise]`.
pub const NOISE_SIM: [&str; 12] = [
    "saliency",
    "sigma",
    "n",
    "p",
    "trials",
    "overlap",
    "overlap_err",
    "m",
    "m_err",
    "m_star_theory",
    "competitor",
    "t_burn",
];

/// Run `[idp_noise]`: theory over the σ grid, and the simulation points if configured.
pub fn run_noise(
    cfg: &IdpNoiseSection,
    dir: &Path,
    schedule: Schedule,
    quick: bool,
    progress: &Progress,
) -> Result<Vec<PathBuf>> {
    let act = activation(cfg.activation, cfg.gain.0)?;
    let mut files = Vec::new();
    let mut grid = Vec::new();
    for &a in cfg.saliency.values() {
        for &s in cfg.sigma.values() {
            grid.push((a, s));
        }
    }
    let theory_rows = grid
        .par_iter()
        .map(|&(a, s)| fixed_point_row(&act, a, s))
        .collect::<Result<Vec<_>>>()?;
    if let Some(sim) = &cfg.simulate {
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
        let sigmas = if quick {
            thin(sim.sigma.values(), 3)
        } else {
            sim.sigma.values().to_vec()
        };
        let mut pts = Vec::new();
        for &a in cfg.saliency.values() {
            for &s in &sigmas {
                pts.push((a, s));
            }
        }
        let params = |s: f64| SdeParams {
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
        for &(_, s) in &pts {
            params(s).validate()?;
        }
        let keys: Vec<String> = pts
            .iter()
            .map(|(a, s)| {
                format!(
                    "{:?}|saliency={a}|competitor={}|trials={trials}|t_burn={}",
                    params(*s),
                    sim.competitor.0,
                    sim.t_burn.0
                )
            })
            .collect();
        let store = PointStore::new(dir)?;
        progress.add((pts.len() * trials) as u64);
        let rows = run_points(&store, &keys, schedule, |k| {
            let (a, s) = pts[k];
            let p = params(s);
            let mut sal = vec![sim.competitor.0; p.p];
            sal[0] = a;
            let mut start = vec![0.0; p.p];
            start[0] = a.max(1.0);
            let runs: Vec<(f64, f64)> = (0..trials as u64)
                .into_par_iter()
                .map(|t| -> Result<(f64, f64)> {
                    let series = run_fixed(&p, &sal, &start, 0.0, t)?;
                    let idx: Vec<usize> = (0..series.t.len())
                        .filter(|&i| series.t[i] >= sim.t_burn.0)
                        .collect();
                    let m = idx.len().max(1) as f64;
                    let ov = idx.iter().map(|&i| series.overlap[i][0]).sum::<f64>() / m;
                    let ma = idx.iter().map(|&i| series.m[i][0]).sum::<f64>() / m;
                    progress.inc();
                    Ok((ov, ma))
                })
                .collect::<Result<_>>()?;
            let ov = mean_se(&runs.iter().map(|r| r.0).collect::<Vec<_>>());
            let ma = mean_se(&runs.iter().map(|r| r.1).collect::<Vec<_>>());
            let th = memory_fixed_point(&act, a, s)?.m_star.unwrap_or(0.0);
            Ok(vec![
                fmt(a),
                fmt(s),
                n.to_string(),
                p.p.to_string(),
                trials.to_string(),
                fmt(ov.mean),
                fmt(ov.se),
                fmt(ma.mean),
                fmt(ma.se),
                fmt(th),
                fmt(sim.competitor.0),
                fmt(sim.t_burn.0),
            ])
        })?;
        let Some(rows) = rows else {
            return Ok(vec![]);
        };
        let path = dir.join("simulation.csv");
        write_atomic(&path, &Table::new(&NOISE_SIM, rows).to_csv()?)?;
        files.push(path);
    }
    let path = dir.join("theory.csv");
    write_atomic(&path, &Table::new(&NOISE_THEORY, theory_rows).to_csv()?)?;
    files.push(path);
    Ok(files)
}

/// Figures of `[idp_noise]`: m*(σ) with simulated overlaps, and α_exist(σ).
pub fn render_noise(cfg: &IdpNoiseSection, dir: &Path) -> Result<Vec<PathBuf>> {
    let th = Table::read(&dir.join("theory.csv"))?;
    let (ca, cs, cm) = (th.col("saliency")?, th.col("sigma")?, th.col("m_star")?);
    let mut fig = Figure {
        x_label: "noise σ".into(),
        y_label: "memory amplitude m*".into(),
        ..Default::default()
    };
    for (ci, &a) in cfg.saliency.values().iter().enumerate() {
        let pts: Vec<(f64, f64, f64)> = (0..th.rows.len())
            .filter(|&i| th.num(i, ca) == a)
            .map(|i| (th.num(i, cs), th.num(i, cm), 0.0))
            .collect();
        fig.curves.push(Curve {
            label: format!("theory, α = {a}"),
            style: Style::Line,
            color: ci,
            points: pts,
        });
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
            fig.curves.push(Curve {
                label: format!("simulation, α = {a}, N = {n}"),
                style: Style::Points,
                color: ci,
                points: pts,
            });
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
        curves: vec![Curve {
            label: "α_{exist}(σ) = 1/Ψ'_{σ}(0)".into(),
            style: Style::Line,
            color: 0,
            points: pts.clone(),
        }],
        ..Default::default()
    };
    // steep-limit asymptote (√π/2)σ
    let steep: Vec<(f64, f64, f64)> = pts
        .iter()
        .map(|p| (p.0, std::f64::consts::PI.sqrt() / 2.0 * p.0, 0.0))
        .collect();
    fig.curves.push(Curve {
        label: "(√π/2)σ, steep limit".into(),
        style: Style::Dashed,
        color: 1,
        points: steep,
    });
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

/// Columns of a (κ, Z₀) phase row (`engram idp phase` and `[idp_sequence]` theory.csv).
pub const SEQ_THEORY: [&str; 6] = ["kappa", "z0", "regime", "n_retrieved", "z_minus", "theta"];

/// One phase-diagram row of the map (columns [`SEQ_THEORY`]).
pub fn phase_row(map: &SequenceMap, z0: f64) -> Result<Vec<String>> {
    let (reg, n) = map.regime(z0)?;
    Ok(vec![
        fmt(map.kappa),
        fmt(z0),
        reg.name().into(),
        n.map_or(String::new(), |n| n.to_string()),
        opt(map.fixed_points().map(|f| f.1)),
        fmt(map.theta),
    ])
}
/// simulation.csv columns of `[idp_sequence]`.
pub const SEQ_SIM: [&str; 13] = [
    "kappa",
    "tau",
    "sigma",
    "trial",
    "n",
    "memory",
    "t",
    "z",
    "dwell",
    "dwell_over_tau",
    "z_map",
    "dwell_map_over_tau",
    "collapsed",
];

/// Rows ([`SEQ_SIM`] columns) for the switches of one two-timescale run: measured saliency and
/// dwell beside the map's prediction from the previous measured saliency, z_map =
/// κ(1 − θ/z_prev), and dwell_map_over_tau = ln(z/θ) (0 for a memory that does not exist).
pub fn transition_rows(
    r: &crate::idp::sim::SequenceRun,
    map: &SequenceMap,
    tau: f64,
    sigma: f64,
    trial: usize,
) -> Vec<Vec<String>> {
    r.transitions
        .iter()
        .enumerate()
        .map(|(i, tr)| {
            let z_map = (i > 0).then(|| map.next(r.transitions[i - 1].z));
            vec![
                fmt(map.kappa),
                fmt(tau),
                fmt(sigma),
                trial.to_string(),
                tr.n.to_string(),
                tr.memory.to_string(),
                fmt(tr.t),
                fmt(tr.z),
                opt(tr.dwell),
                opt(tr.dwell.map(|d| d / tau)),
                opt(z_map),
                fmt(map.dwell(tr.z).max(0.0)),
                r.collapsed.to_string(),
            ]
        })
        .collect()
}

/// Run `[idp_sequence]`: the (κ, Z₀) phase diagram of the map and the two-timescale runs.
pub fn run_sequence_study(
    cfg: &IdpSequenceSection,
    dir: &Path,
    schedule: Schedule,
    quick: bool,
    progress: &Progress,
) -> Result<Vec<PathBuf>> {
    let theta = cfg.theta.0;
    let mut grid = Vec::new();
    for &k in cfg.kappa.values() {
        for &z in cfg.z0.values() {
            grid.push((SequenceMap::new(k, theta)?, z));
        }
    }
    let theory_rows = grid
        .par_iter()
        .map(|(map, z)| phase_row(map, *z))
        .collect::<Result<Vec<_>>>()?;
    let mut files = Vec::new();
    if let Some(sim) = &cfg.simulate {
        let n = if quick { sim.n.0.min(256) } else { sim.n.0 };
        let trials = if quick { 1 } else { sim.trials.0 };
        let taus = if quick {
            vec![sim.tau.values()[0].min(20.0)]
        } else {
            sim.tau.values().to_vec()
        };
        let mut pts = Vec::new();
        for &k in sim.kappa.values() {
            for &tau in &taus {
                for t in 0..trials {
                    pts.push((k, tau, t));
                }
            }
        }
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
        let keys: Vec<String> = pts
            .iter()
            .map(|(k, tau, t)| format!("{:?}|kappa={k}|z0={}|trial={t}", params(*tau), sim.z0.0))
            .collect();
        let store = PointStore::new(dir)?;
        progress.add(pts.len() as u64);
        // a point is one run; its "row" packs all transitions (rows joined by ';')
        let packed = run_points(&store, &keys, schedule, |k| {
            let (kappa, tau, trial) = pts[k];
            let slow = SlowParams {
                kappa,
                tau,
                z0: sim.z0.0,
                retrieval_overlap: 0.5,
            };
            let r = run_sequence(&params(tau), &slow, trial as u64)?;
            let map = SequenceMap::new(kappa, theta)?;
            let lines: Vec<String> = transition_rows(&r, &map, tau, sim.sigma.0, trial)
                .into_iter()
                .map(|row| row.join(","))
                .collect();
            progress.inc();
            Ok(vec![lines.join(";")])
        })?;
        let Some(packed) = packed else {
            return Ok(vec![]);
        };
        let rows: Vec<Vec<String>> = packed
            .iter()
            .flat_map(|r| {
                r[0].split(';')
                    .filter(|l| !l.is_empty())
                    .map(|l| l.split(',').map(String::from).collect())
                    .collect::<Vec<_>>()
            })
            .collect();
        let path = dir.join("simulation.csv");
        write_atomic(&path, &Table::new(&SEQ_SIM, rows).to_csv()?)?;
        files.push(path);
    }
    let path = dir.join("theory.csv");
    write_atomic(&path, &Table::new(&SEQ_THEORY, theory_rows).to_csv()?)?;
    files.push(path);
    Ok(files)
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
            // collapse: darker orange for fewer retrieved memories
            let f = (th.num(i, cn) / nmax).clamp(0.0, 1.0).sqrt();
            let c = |a: f64, b: f64| (a + (b - a) * f) as u8;
            (c(200.0, 252.0), c(90.0, 225.0), c(20.0, 190.0))
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
        x_range: Some((half(ks, 0).0, half(ks, ks.len() - 1).1)),
        y_range: Some((half(zs, 0).0, half(zs, zs.len() - 1).1)),
        cells,
        cell_legend: vec![
            ("sustained".into(), (190, 220, 245)),
            ("collapse (darker: sooner)".into(), (200, 90, 20)),
        ],
        curves: vec![
            Curve {
                label: "Z_{−}(κ), unstable".into(),
                style: Style::Line,
                color: 6,
                points: zm,
            },
            Curve {
                label: "Z_{+}(κ), stable".into(),
                style: Style::Dashed,
                color: 0,
                points: zp,
            },
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
        let mut zfig = Figure {
            x_label: "transition n".into(),
            y_label: "saliency at retrieval Z_{n}".into(),
            legend: crate::plot::Legend::LowerRight,
            ..Default::default()
        };
        let mut dfig = Figure {
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
            zfig.curves.push(Curve {
                label: format!("network, κ = {}, τ = {}", key.0, key.1),
                style: Style::Points,
                color: ci,
                points: zpts,
            });
            dfig.curves.push(Curve {
                label: format!("network, κ = {}, τ = {}", key.0, key.1),
                style: Style::Points,
                color: ci,
                points: dpts.into_iter().filter(|p| p.1.is_finite()).collect(),
            });
        }
        out.extend(zfig.render(&dir.join("switch_saliency"))?);
        out.extend(dfig.render(&dir.join("dwell_time"))?);
    }
    Ok(out)
}

/// Orthogonal (Hadamard) memories need N a power of two and P ≤ N − 1.
fn check_orthogonal(origin: &str, key: &str, n: usize, p: usize) -> Result<()> {
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

impl super::Study for IdpNoiseSection {
    fn validate(&self, origin: &str) -> Result<()> {
        match &self.simulate {
            Some(s) => check_orthogonal(origin, "idp_noise.simulate", s.n.0, s.p.0),
            None => Ok(()),
        }
    }
    fn run(&self, cx: &super::Context) -> Result<Vec<PathBuf>> {
        run_noise(self, cx.dir, cx.schedule, cx.quick, cx.progress)
    }
    fn render(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        render_noise(self, dir)
    }
    fn seed(&self) -> Option<u64> {
        self.simulate.as_ref().map(|s| s.seed)
    }
}

impl super::Study for IdpSequenceSection {
    fn validate(&self, origin: &str) -> Result<()> {
        match &self.simulate {
            Some(s) => check_orthogonal(origin, "idp_sequence.simulate", s.n.0, s.p.0),
            None => Ok(()),
        }
    }
    fn run(&self, cx: &super::Context) -> Result<Vec<PathBuf>> {
        run_sequence_study(self, cx.dir, cx.schedule, cx.quick, cx.progress)
    }
    fn render(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        render_sequence(self, dir)
    }
    fn seed(&self) -> Option<u64> {
        self.simulate.as_ref().map(|s| s.seed)
    }
}
