//! `engram idp simulate | sequence-simulate`: the N-neuron IDP network and the two-timescale
//! network.

use rayon::prelude::*;

use engram::idp::parse_activation;
use engram::idp::sequence::SequenceMap;
use engram::idp::sim::{
    run_fixed_from, run_sequence, MemoryKind, SaliencySource, SdeParams, SlowParams,
};
use engram::idp::table::{series_rows, transition_rows, SERIES_COLUMNS};

use super::{CommonSim, SdeArgs, SeqArgs};
use crate::cli::common::{progress_bar, write_rows};

fn sde_params(
    c: &CommonSim,
    act: engram::idp::Activation,
    classic: bool,
) -> anyhow::Result<SdeParams> {
    let p = SdeParams {
        n: c.n,
        p: c.p,
        memories: MemoryKind::parse(&c.memories)?,
        activation: act,
        sigma: c.sigma,
        dt: c.dt,
        t_max: c.t_max,
        record_every: c.record_every,
        seed: c.seed,
        classic,
    };
    p.validate()?;
    if c.trials == 0 {
        anyhow::bail!("invalid trials = 0: expected a whole number >= 1");
    }
    Ok(p)
}

/// `engram idp simulate`: overlap time series per trial.
pub fn simulate(a: &SdeArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let act = parse_activation(&a.activation, a.gain)?;
    let params = sde_params(&a.common, act, a.classic)?;
    let (name, given) = match &a.input {
        Some(c) => ("input", c),
        None => ("saliency", &a.saliency),
    };
    if given.len() != params.p {
        anyhow::bail!(
            "invalid {name}: {} values given, expected one per memory (p = {})",
            given.len(),
            params.p
        );
    }
    for &s in given {
        if !s.is_finite() || (a.input.is_none() && s < 0.0) {
            anyhow::bail!("invalid {name} = {s}: expected a finite number >= 0");
        }
    }
    let source = match &a.input {
        Some(c) => SaliencySource::Input(c),
        None => SaliencySource::Direct(&a.saliency),
    };
    let start = a.start.clone().unwrap_or_else(|| {
        let mut v = vec![0.0; params.p];
        v[0] = 1.0;
        v
    });
    if start.len() != params.p {
        anyhow::bail!(
            "invalid start: {} values given, expected one per memory (p = {})",
            start.len(),
            params.p
        );
    }
    if !(a.start_noise.is_finite() && a.start_noise >= 0.0) {
        anyhow::bail!(
            "invalid start_noise = {}: expected a finite number >= 0",
            a.start_noise
        );
    }
    let pb = progress_bar(a.common.trials as u64);
    let series = (0..a.common.trials)
        .into_par_iter()
        .map(|t| {
            let r = run_fixed_from(&params, source, &start, a.start_noise, t as u64);
            pb.inc(1);
            r
        })
        .collect::<engram::Result<Vec<_>>>()?;
    pb.finish_and_clear();
    let rows: Vec<_> = series
        .iter()
        .enumerate()
        .flat_map(|(t, s)| series_rows(t, s, &params))
        .collect();
    write_rows(out, &rows)
}

/// `engram idp sequence-simulate`: one row per switch of the two-timescale network.
pub fn sequence_simulate(a: &SeqArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let act = engram::idp::Activation::hard_tanh(1.0)?;
    let params = sde_params(&a.common, act, false)?;
    let slow = SlowParams {
        kappa: engram::error::positive("kappa", a.kappa)?,
        tau: engram::error::positive("tau", a.tau)?,
        z0: engram::error::positive("z0", a.z0)?,
        retrieval_overlap: a.retrieval_overlap,
    };
    let theta = 1.0;
    let map = SequenceMap::new(a.kappa, theta)?;
    if let Some(path) = &a.series_out {
        engram::io::prepare_output(path)?;
    }
    let pb = progress_bar(a.common.trials as u64);
    let runs = (0..a.common.trials)
        .into_par_iter()
        .map(|t| {
            let r = run_sequence(&params, &slow, t as u64);
            pb.inc(1);
            r
        })
        .collect::<engram::Result<Vec<_>>>()?;
    pb.finish_and_clear();
    let rows: Vec<_> = runs
        .iter()
        .enumerate()
        .flat_map(|(trial, r)| transition_rows(r, &map, a.tau, params.sigma, trial))
        .collect();
    if let Some(path) = &a.series_out {
        let rows: Vec<_> = runs
            .iter()
            .enumerate()
            .flat_map(|(t, r)| series_rows(t, &r.series, &params))
            .collect();
        let bytes = engram::io::rows::to_csv_columns(&rows, SERIES_COLUMNS)?;
        engram::io::write_atomic(path, &bytes)?;
    }
    write_rows(out, &rows)
}
