//! `engram idp simulate | sequence-simulate`: the N-neuron IDP network and the two-timescale
//! network (computed by `engram::query::idp`).

use engram::idp::parse_activation;
use engram::idp::sim::{MemoryKind, SdeParams, SlowParams};
use engram::idp::table::SERIES_COLUMNS;
use engram::query::idp as q;

use super::{CommonSim, SdeArgs, SeqArgs};
use crate::cli::common::{progress_bar, write_rows};

fn sde_params(
    c: &CommonSim,
    act: engram::idp::Activation,
    classic: bool,
) -> anyhow::Result<SdeParams> {
    Ok(SdeParams {
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
    })
}

/// `engram idp simulate`: overlap time series per trial.
pub fn simulate(a: &SdeArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let act = parse_activation(&a.activation, a.gain)?;
    let params = sde_params(&a.common, act, a.classic)?;
    let given = a.input.as_deref().unwrap_or(&a.saliency);
    let pb = progress_bar(a.common.trials as u64);
    let rows = q::simulate(
        &params,
        given,
        a.input.is_some(),
        a.start.as_deref(),
        a.start_noise,
        a.common.trials,
        &|| pb.inc(1),
    )?;
    pb.finish_and_clear();
    write_rows(out, &rows)
}

/// `engram idp sequence-simulate`: one row per switch of the two-timescale network.
pub fn sequence_simulate(a: &SeqArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let act = engram::idp::Activation::hard_tanh(1.0)?;
    let params = sde_params(&a.common, act, false)?;
    let slow = SlowParams {
        kappa: a.kappa,
        tau: a.tau,
        z0: a.z0,
        retrieval_overlap: a.retrieval_overlap,
    };
    if let Some(path) = &a.series_out {
        engram::io::prepare_output(path)?;
    }
    let pb = progress_bar(a.common.trials as u64);
    let (rows, series) = q::sequence_simulate(&params, &slow, a.common.trials, &|| pb.inc(1))?;
    pb.finish_and_clear();
    if let Some(path) = &a.series_out {
        let bytes = engram::io::rows::to_csv_columns(&series, SERIES_COLUMNS)?;
        engram::io::write_atomic(path, &bytes)?;
    }
    write_rows(out, &rows)
}
