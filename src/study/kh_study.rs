//! `[hopfield_classic]` and `[diffusion]` studies (SPEC §9): simulation points (resumable,
//! shardable), theory curves, figures from the CSV files.

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::kh::diffusion::{reverse_point, s2_condensation_rem, ReverseParams};
use crate::kh::hopfield::{
    rs_alpha_c, rs_overlap, simulate_point, AsyncParams, AsyncSummary, Interaction,
};
use crate::plot::{Curve, Figure, Legend, Points, Style, VLine};
use crate::stats::fmt_num as fmt;

use super::config::{DiffusionSection, HopfieldSection, TwoGroupSection};
use super::dam_study::thin;
use super::points::{run_points, PointStore, Schedule};
use super::table::Table;
use super::Progress;

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
    super::write_atomic(&sim, &Table::new(&HOPFIELD_SIM, rows).to_csv()?)?;
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
    super::write_atomic(&thp, &Table::new(&HOPFIELD_THEORY, th).to_csv()?)?;
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
                label: format!("αc = {:.4}", th.num(i, ta)),
                color: 6,
            });
        }
    }
    fig.render(&dir.join("overlap_vs_alpha"))
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
    super::write_atomic(&sim, &Table::new(&DIFFUSION_SIM, rows).to_csv()?)?;
    let lo = alphas.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = alphas.iter().cloned().fold(0.0, f64::max);
    let mut th = Vec::new();
    for k in 0..=100 {
        let a = lo + (hi - lo) * k as f64 / 100.0;
        if let Some(s2) = s2_condensation_rem(a)? {
            th.push(vec!["s2_rem_tentative".into(), fmt(a), fmt(s2)]);
        }
    }
    let thp = dir.join("theory.csv");
    super::write_atomic(&thp, &Table::new(&DIFFUSION_THEORY, th).to_csv()?)?;
    Ok(vec![sim, thp])
}

/// Figure of `[diffusion]`: the condensation noise s² vs α (measured median per N), the
/// symmetry-breaking s² = λ_max(C) and the REM basin prediction (tentative).
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
        y_label: "noise variance s² = t".into(),
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
                "β λmax(C) = 1".into()
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
        label: "REM basin, tentative".into(),
        style: Style::Line,
        color: 6,
        points: (0..th.rows.len())
            .map(|i| (th.num(i, ta), th.num(i, tv), 0.0))
            .collect(),
    });
    fig.render(&dir.join("condensation_vs_alpha"))
}

/// simulation.csv columns of `[two_group]`.
pub const TWO_GROUP_SIM: [&str; 8] = [
    "model",
    "tau_h",
    "max_distance",
    "energy_final",
    "energy_effective_final",
    "overlap_final",
    "energy_rise_max",
    "nf",
];

/// Run `[two_group]`: for every (model, τ_h) the full network beside the effective model
/// (τ_f = 1): the largest distance between their feature states over the run, final energies,
/// and the largest energy increase between records (≤ 0 up to round-off).
pub fn run_two_group(
    cfg: &TwoGroupSection,
    dir: &Path,
    schedule: Schedule,
    quick: bool,
    progress: &Progress,
) -> Result<Vec<PathBuf>> {
    use crate::kh::two_group::{relax_compare, Model};
    let taus = if quick {
        thin(cfg.tau_h.values(), 2)
    } else {
        cfg.tau_h.values().to_vec()
    };
    let t_max = if quick {
        cfg.t_max.0.min(2.0)
    } else {
        cfg.t_max.0
    };
    let mut pts = Vec::new();
    for m in &cfg.models {
        let model = Model::parse(m, cfg.beta.0, cfg.power.0 as u32)?;
        for &tau in &taus {
            pts.push((model, tau));
        }
    }
    let keys: Vec<String> = pts
        .iter()
        .map(|(m, t)| {
            format!(
                "{m:?}|tau_h={t}|nf={}|nh={}|t_max={t_max}|seed={}",
                cfg.nf.0, cfg.nh.0, cfg.seed
            )
        })
        .collect();
    let store = PointStore::new(dir)?;
    progress.add(pts.len() as u64);
    let rows = run_points(&store, &keys, schedule, |k| {
        let (model, tau_h) = pts[k];
        let rec = relax_compare(model, cfg.nf.0, cfg.nh.0, 1.0, tau_h, t_max, 200, cfg.seed)?;
        progress.inc();
        let last = rec.last().copied().expect("at least one record");
        let rise = rec
            .windows(2)
            .map(|w| w[1].energy - w[0].energy)
            .fold(f64::NEG_INFINITY, f64::max);
        Ok(vec![
            model.name().into(),
            fmt(tau_h),
            fmt(rec.iter().map(|r| r.distance).fold(0.0, f64::max)),
            fmt(last.energy),
            fmt(last.energy_effective),
            fmt(last.overlap),
            fmt(rise),
            cfg.nf.0.to_string(),
        ])
    })?;
    let Some(rows) = rows else {
        return Ok(vec![]);
    };
    let sim = dir.join("simulation.csv");
    super::write_atomic(&sim, &Table::new(&TWO_GROUP_SIM, rows).to_csv()?)?;
    Ok(vec![sim])
}

/// Figure of `[two_group]`: largest distance to the effective trajectory vs τ_h (log-log),
/// one curve per model, with a slope-1 guide (distance ∝ τ_h).
pub fn render_two_group(_cfg: &TwoGroupSection, dir: &Path) -> Result<Vec<PathBuf>> {
    let sim = Table::read(&dir.join("simulation.csv"))?;
    let (cm, ct, cd) = (
        sim.col("model")?,
        sim.col("tau_h")?,
        sim.col("max_distance")?,
    );
    let mut models: Vec<String> = sim.rows.iter().map(|r| r[cm].clone()).collect();
    models.dedup();
    let mut fig = Figure {
        x_label: "hidden time constant τh / τf".into(),
        y_label: "max distance to effective model".into(),
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
        fig.curves.push(Curve {
            label: format!("model {m}"),
            style: Style::Points,
            color: ci,
            points: pts,
        });
    }
    if let Some((t0, d0, _)) = anchor {
        let taus: Vec<f64> = (0..sim.rows.len()).map(|i| sim.num(i, ct)).collect();
        let lo = taus.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = taus.iter().cloned().fold(0.0, f64::max);
        fig.curves.push(Curve {
            label: "∝ τh".into(),
            style: Style::Dashed,
            color: 6,
            points: vec![(lo, d0 * lo / t0, 0.0), (hi, d0 * hi / t0, 0.0)],
        });
    }
    fig.render(&dir.join("distance_vs_tau_h"))
}
