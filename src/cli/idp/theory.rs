//! `engram idp fixed-point | map | sequence | phase | reduced`: the theory tables.

use rayon::prelude::*;

use engram::idp::parse_activation;
use engram::idp::reduced::{integrate, ReducedState};
use engram::idp::sequence::SequenceMap;
use engram::idp::table::{fixed_point_row, phase_row, MapRow, ReducedRow, StepRow};
use engram::sweep::ParamList;

use crate::cli::common::write_rows;

/// `engram idp fixed-point`: m*, α_exist, α_stab, σ_exist on the (saliency, gain, σ) grid.
pub fn fixed_point(
    saliency: &ParamList,
    gain: &ParamList,
    activation: &str,
    sigma: &ParamList,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    let mut pts = Vec::new();
    for &a in saliency.values() {
        engram::error::positive("saliency", a)?;
        for &b in gain.values() {
            let act = parse_activation(activation, b)?;
            for &s in sigma.values() {
                engram::idp::fixed_point::check_sigma(s)?;
                pts.push((a, act, s));
            }
        }
    }
    let rows = pts
        .par_iter()
        .map(|&(a, act, s)| fixed_point_row(&act, a, s))
        .collect::<engram::Result<Vec<_>>>()?;
    write_rows(out, &rows)
}

/// `engram idp map`: κ_c, Z±, steady dwell per κ.
pub fn map(kappa: &ParamList, theta: f64, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let rows = kappa
        .values()
        .iter()
        .map(|&k| Ok(MapRow::new(&SequenceMap::new(k, theta)?)))
        .collect::<engram::Result<Vec<_>>>()?;
    write_rows(out, &rows)
}

/// `engram idp sequence`: the map iterated from Z₀.
pub fn sequence(
    kappa: f64,
    z0: f64,
    theta: f64,
    steps: usize,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    let map = SequenceMap::new(kappa, theta)?;
    let rows: Vec<StepRow> = map
        .iterate(z0, steps)?
        .into_iter()
        .map(|s| StepRow {
            n: s.n,
            z: s.z,
            dwell: s.dwell,
            retrieved: s.retrieved,
            kappa,
            theta,
        })
        .collect();
    write_rows(out, &rows)
}

/// `engram idp phase`: the (κ, Z₀) phase diagram of the map.
pub fn phase(
    kappa: &ParamList,
    z0: &ParamList,
    theta: f64,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    let mut pts = Vec::new();
    for &k in kappa.values() {
        let map = SequenceMap::new(k, theta)?;
        for &z in z0.values() {
            engram::error::positive("z0", z)?;
            pts.push((map, z));
        }
    }
    let rows = pts
        .par_iter()
        .map(|(map, z)| phase_row(map, *z))
        .collect::<engram::Result<Vec<_>>>()?;
    write_rows(out, &rows)
}

/// `engram idp reduced`: the reduced overlap dynamics; `steps` = (dt, t_max, record_every).
pub fn reduced(
    saliency: &[f64],
    start: Vec<f64>,
    activation: &str,
    gain: f64,
    sigma: f64,
    (dt, t_max, record_every): (f64, f64, usize),
    out: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    let act = parse_activation(activation, gain)?;
    if start.len() != saliency.len() {
        anyhow::bail!(
            "invalid start: {} values given, expected one per saliency ({})",
            start.len(),
            saliency.len()
        );
    }
    let traj = integrate(
        &act,
        saliency,
        sigma,
        ReducedState { a: start, s2: 0.0 },
        dt,
        t_max,
        record_every,
    )?;
    let mut rows = Vec::new();
    for (t, st) in traj {
        for (mu, a) in st.a.iter().enumerate() {
            rows.push(ReducedRow {
                t,
                memory: mu,
                overlap: *a,
                s2: st.s2,
                saliency: saliency[mu],
                sigma,
                activation: act.name().into(),
                gain,
            });
        }
    }
    write_rows(out, &rows)
}
