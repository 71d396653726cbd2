//! IDP queries (docs/theory.md#idp, #sequence): `engram idp fixed-point | map | sequence |
//! phase | reduced | simulate | sequence-simulate`.

use rayon::prelude::*;

use super::par_rows;
use crate::error::{EngramError, Result};
use crate::idp::reduced::{integrate, ReducedState};
use crate::idp::sequence::SequenceMap;
use crate::idp::sim::{run_fixed_from, run_sequence, SaliencySource, SdeParams, SlowParams};
use crate::idp::table::{
    fixed_point_row, phase_row, series_rows, transition_rows, FixedPointRow, MapRow, PhaseRow,
    ReducedRow, SeriesRow, StepRow, TransitionRow,
};
use crate::idp::Activation;

/// m*, α_exist, α_stab and σ_exist at each (saliency, activation, σ) (docs/theory.md#idp).
pub fn fixed_point(points: &[(f64, Activation, f64)]) -> Result<Vec<FixedPointRow>> {
    for &(a, _, s) in points {
        crate::error::positive("saliency", a)?;
        crate::idp::fixed_point::check_sigma(s)?;
    }
    par_rows(points, |&(a, act, s)| fixed_point_row(&act, a, s))
}

/// κ_c, Z±, the steady dwell and the regime of the map, one row per κ (docs/theory.md#sequence).
pub fn map(kappa: &[f64], theta: f64) -> Result<Vec<MapRow>> {
    kappa
        .iter()
        .map(|&k| Ok(MapRow::new(&SequenceMap::new(k, theta)?)))
        .collect()
}

/// The map iterated from Z₀: one row per retrieved memory, then the first with z ≤ θ.
pub fn sequence(kappa: f64, z0: f64, theta: f64, steps: usize) -> Result<Vec<StepRow>> {
    let map = SequenceMap::new(kappa, theta)?;
    Ok(map
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
        .collect())
}

/// The (κ, Z₀) phase of the map at each point: sustained or collapse, memories retrieved.
pub fn phase(points: &[(f64, f64)], theta: f64) -> Result<Vec<PhaseRow>> {
    let pts = points
        .iter()
        .map(|&(k, z)| {
            Ok((
                SequenceMap::new(k, theta)?,
                crate::error::positive("z0", z)?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    par_rows(&pts, |(map, z)| phase_row(map, *z))
}

/// The reduced overlap dynamics (N → ∞, exact 2^P average, RK4) from overlaps `start`;
/// `steps` = (dt, t_max, record_every).
pub fn reduced(
    act: &Activation,
    saliency: &[f64],
    start: &[f64],
    sigma: f64,
    (dt, t_max, record_every): (f64, f64, usize),
) -> Result<Vec<ReducedRow>> {
    if start.len() != saliency.len() {
        return Err(EngramError::Invalid(format!(
            "invalid start: {} values given, expected one per saliency ({})",
            start.len(),
            saliency.len()
        )));
    }
    let traj = integrate(
        act,
        saliency,
        sigma,
        ReducedState {
            a: start.to_vec(),
            s2: 0.0,
        },
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
                gain: act.gain(),
            });
        }
    }
    Ok(rows)
}

/// The N-neuron IDP network with fixed saliencies (or an input), `trials` trials in parallel
/// (trial t on stream t), from x₀ = Σ start_μ ξ_μ (+ `start_noise` Gaussian noise); the overlap
/// time series of every trial. `tick` once per trial.
#[allow(clippy::too_many_arguments)]
pub fn simulate(
    params: &SdeParams,
    saliency: &[f64],
    input: bool,
    start: Option<&[f64]>,
    start_noise: f64,
    trials: usize,
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<SeriesRow>> {
    params.validate()?;
    check_trials(trials)?;
    let name = if input { "input" } else { "saliency" };
    if saliency.len() != params.p {
        return Err(EngramError::Invalid(format!(
            "invalid {name}: {} values given, expected one per memory (p = {})",
            saliency.len(),
            params.p
        )));
    }
    for &s in saliency {
        if !s.is_finite() || (!input && s < 0.0) {
            return Err(EngramError::Invalid(format!(
                "invalid {name} = {s}: expected a finite number >= 0"
            )));
        }
    }
    let source = if input {
        SaliencySource::Input(saliency)
    } else {
        SaliencySource::Direct(saliency)
    };
    let default_start;
    let start = match start {
        Some(s) => s,
        None => {
            let mut v = vec![0.0; params.p];
            v[0] = 1.0;
            default_start = v;
            &default_start
        }
    };
    if start.len() != params.p {
        return Err(EngramError::Invalid(format!(
            "invalid start: {} values given, expected one per memory (p = {})",
            start.len(),
            params.p
        )));
    }
    if !(start_noise.is_finite() && start_noise >= 0.0) {
        return Err(EngramError::Invalid(format!(
            "invalid start_noise = {start_noise}: expected a finite number >= 0"
        )));
    }
    let series = (0..trials)
        .into_par_iter()
        .map(|t| {
            crate::interrupt::check()?;
            let r = run_fixed_from(params, source, start, start_noise, t as u64);
            tick();
            r
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(series
        .iter()
        .enumerate()
        .flat_map(|(t, s)| series_rows(t, s, params))
        .collect())
}

fn check_trials(trials: usize) -> Result<()> {
    if trials == 0 {
        return Err(EngramError::InvalidParameter {
            name: "trials",
            value: "0".into(),
            allowed: "a whole number >= 1",
        });
    }
    Ok(())
}

/// The two-timescale network (hard-tanh fast layer, slow saliencies, docs/theory.md#sequence),
/// `trials` trials in parallel: one row per switch beside the map's prediction (θ = 1), and
/// the time series of every trial. `tick` once per trial.
pub fn sequence_simulate(
    params: &SdeParams,
    slow: &SlowParams,
    trials: usize,
    tick: &(dyn Fn() + Sync),
) -> Result<(Vec<TransitionRow>, Vec<SeriesRow>)> {
    params.validate()?;
    check_trials(trials)?;
    crate::error::positive("kappa", slow.kappa)?;
    crate::error::positive("tau", slow.tau)?;
    crate::error::positive("z0", slow.z0)?;
    let map = SequenceMap::new(slow.kappa, 1.0)?;
    let runs = (0..trials)
        .into_par_iter()
        .map(|t| {
            crate::interrupt::check()?;
            let r = run_sequence(params, slow, t as u64);
            tick();
            r
        })
        .collect::<Result<Vec<_>>>()?;
    let rows = runs
        .iter()
        .enumerate()
        .flat_map(|(trial, r)| transition_rows(r, &map, slow.tau, params.sigma, trial))
        .collect();
    let series = runs
        .iter()
        .enumerate()
        .flat_map(|(t, r)| series_rows(t, &r.series, params))
        .collect();
    Ok((rows, series))
}
