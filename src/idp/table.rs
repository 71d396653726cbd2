//! The IDP tables as typed CSV rows (one struct per schema): fixed points, the sequential map,
//! the (κ, Z₀) phase diagram, the reduced dynamics, simulated time series and switches. The CLI
//! (`engram idp ...`) and the `[idp_noise]`/`[idp_sequence]` studies write the same structs.

use serde::{Deserialize, Serialize};

use super::sequence::SequenceMap;
use super::{memory_fixed_point, sigma_exist, Activation};
use crate::error::Result;

/// A memory fixed-point row (`engram idp fixed-point` and `[idp_noise]` theory.csv; the
/// `idp map` columns first); empty fields where a quantity is not defined (no memory state;
/// never destabilised).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FixedPointRow {
    /// Memory amplitude m* (0 without a memory state).
    pub m_star: f64,
    /// Existence threshold α_exist.
    pub alpha_exist: f64,
    /// Competitor stability threshold α_stab.
    pub alpha_stab: Option<f64>,
    /// Saliency α.
    pub saliency: f64,
    /// Gain β.
    pub gain: f64,
    /// Activation name.
    pub activation: String,
    /// Noise σ.
    pub sigma: f64,
    /// Whether the memory state exists.
    pub memory_exists: bool,
    /// Whether the origin is stable.
    pub origin_stable: bool,
    /// Noise at which the memory state disappears.
    pub sigma_exist: Option<f64>,
}

/// One fixed-point row.
pub fn fixed_point_row(act: &Activation, saliency: f64, sigma: f64) -> Result<FixedPointRow> {
    let fp = memory_fixed_point(act, saliency, sigma)?;
    Ok(FixedPointRow {
        m_star: fp.m_star.unwrap_or(0.0),
        alpha_exist: fp.alpha_exist,
        alpha_stab: fp.alpha_stab,
        saliency,
        gain: act.gain(),
        activation: act.name().into(),
        sigma,
        memory_exists: fp.m_star.is_some(),
        origin_stable: fp.origin_stable,
        sigma_exist: sigma_exist(act, saliency)?,
    })
}

/// A (κ, Z₀) phase row of the map (`engram idp phase` and `[idp_sequence]` theory.csv).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PhaseRow {
    /// Gain κ.
    pub kappa: f64,
    /// Initial saliency Z₀.
    pub z0: f64,
    /// sustained, collapse, ...
    pub regime: String,
    /// Memories retrieved before the collapse (empty: sustained).
    pub n_retrieved: Option<usize>,
    /// Unstable fixed point Z₋ of the map (empty: none).
    pub z_minus: Option<f64>,
    /// Existence threshold θ.
    pub theta: f64,
}

/// One phase-diagram row of the map.
pub fn phase_row(map: &SequenceMap, z0: f64) -> Result<PhaseRow> {
    let (reg, n) = map.regime(z0)?;
    Ok(PhaseRow {
        kappa: map.kappa,
        z0,
        regime: reg.name().into(),
        n_retrieved: n,
        z_minus: map.fixed_points().map(|f| f.1),
        theta: map.theta,
    })
}

/// One switch of a two-timescale run (`engram idp sequence-simulate` and `[idp_sequence]`
/// simulation.csv): measured saliency and dwell beside the map's prediction from the previous
/// measured saliency, z_map = κ(1 − θ/z_prev), and dwell_map_over_tau = ln(z/θ) (0 for a
/// memory that does not exist).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TransitionRow {
    /// Gain κ.
    pub kappa: f64,
    /// Slow time constant τ.
    pub tau: f64,
    /// Seed noise σ.
    pub sigma: f64,
    /// Trial.
    pub trial: usize,
    /// Index of the switch (0: the starting memory).
    pub n: usize,
    /// Memory retrieved.
    pub memory: usize,
    /// Time it became retrieved.
    pub t: f64,
    /// Its saliency then.
    pub z: f64,
    /// Time to the next switch or collapse (empty: not within the run).
    pub dwell: Option<f64>,
    /// dwell/τ.
    pub dwell_over_tau: Option<f64>,
    /// The map's prediction from the previous switch (empty for the first).
    pub z_map: Option<f64>,
    /// The map's dwell/τ = ln(z/θ).
    pub dwell_map_over_tau: f64,
    /// Whether the run collapsed.
    pub collapsed: bool,
}

/// The rows of the switches of one two-timescale run.
pub fn transition_rows(
    r: &crate::idp::sim::SequenceRun,
    map: &SequenceMap,
    tau: f64,
    sigma: f64,
    trial: usize,
) -> Vec<TransitionRow> {
    r.transitions
        .iter()
        .enumerate()
        .map(|(i, tr)| TransitionRow {
            kappa: map.kappa,
            tau,
            sigma,
            trial,
            n: tr.n,
            memory: tr.memory,
            t: tr.t,
            z: tr.z,
            dwell: tr.dwell,
            dwell_over_tau: tr.dwell.map(|d| d / tau),
            z_map: (i > 0).then(|| map.next(r.transitions[i - 1].z)),
            dwell_map_over_tau: map.dwell(tr.z).max(0.0),
            collapsed: r.collapsed,
        })
        .collect()
}

/// One row of `engram idp map`: gain threshold κ_c = 4θ, fixed points Z±, steady dwell
/// ln(Z₊/θ), regime, the rotation count below κ_c and the relaxation time above it (empty: not
/// defined on that side of κ_c).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapRow {
    /// κ_c = 4θ.
    pub kappa_c: f64,
    /// Stable fixed point Z₊.
    pub z_plus: Option<f64>,
    /// Unstable fixed point Z₋.
    pub z_minus: Option<f64>,
    /// Steady dwell ln(Z₊/θ) in units of τ.
    pub dwell_steady: Option<f64>,
    /// Gain κ.
    pub kappa: f64,
    /// θ.
    pub theta: f64,
    /// sustained or collapse.
    pub regime: String,
    /// Rotation period π/arccos√(κ/4θ) (κ < κ_c).
    pub n_c_asymptotic: Option<f64>,
    /// Relaxation time 1/(2 arccosh√(κ/4θ)) in iterations (κ > κ_c).
    pub relaxation_iterations: Option<f64>,
}

impl MapRow {
    /// The row of one map.
    pub fn new(map: &SequenceMap) -> Self {
        let fpts = map.fixed_points();
        MapRow {
            kappa_c: map.kappa_c(),
            z_plus: fpts.map(|f| f.0),
            z_minus: fpts.map(|f| f.1),
            dwell_steady: map.dwell_steady(),
            kappa: map.kappa,
            theta: map.theta,
            regime: if fpts.is_some() {
                "sustained"
            } else {
                "collapse"
            }
            .into(),
            n_c_asymptotic: map.collapse_count_asymptotic(),
            relaxation_iterations: map.relaxation_iterations(),
        }
    }
}

/// One iteration of the map (`engram idp sequence`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRow {
    /// Index n (0: the starting memory).
    pub n: usize,
    /// Saliency Z_n.
    pub z: f64,
    /// Dwell in units of τ.
    pub dwell: f64,
    /// Whether the memory exists (z > θ).
    pub retrieved: bool,
    /// Gain κ.
    pub kappa: f64,
    /// θ.
    pub theta: f64,
}

/// One record of the reduced dynamics (`engram idp reduced`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReducedRow {
    /// Time.
    pub t: f64,
    /// Memory μ.
    pub memory: usize,
    /// Overlap a_μ.
    pub overlap: f64,
    /// Noise variance s².
    pub s2: f64,
    /// Saliency α_μ.
    pub saliency: f64,
    /// Noise σ.
    pub sigma: f64,
    /// Activation name.
    pub activation: String,
    /// Gain β.
    pub gain: f64,
}

/// One record of a simulated time series with the run's settings (`engram idp simulate`);
/// `engram idp sequence-simulate --series-out` writes its first six columns
/// ([`SERIES_COLUMNS`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesRow {
    /// Trial.
    pub trial: usize,
    /// Time.
    pub t: f64,
    /// Memory μ.
    pub memory: usize,
    /// m_μ = ξ_μ·Ψ(x)/N.
    pub m: f64,
    /// a_μ = ξ_μ·x/N.
    pub overlap: f64,
    /// Saliency α_μ.
    pub saliency: f64,
    /// Neurons.
    pub n: usize,
    /// Memories.
    pub p: usize,
    /// Noise σ.
    pub sigma: f64,
    /// Activation name.
    pub activation: String,
    /// Gain β.
    pub gain: f64,
}

/// Columns of a bare time series (trial, t, memory, m, overlap, saliency).
pub const SERIES_COLUMNS: usize = 6;

/// The records of one simulated series of run `p`, in time order (memories inner).
pub fn series_rows(
    trial: usize,
    s: &super::sim::Series,
    p: &super::sim::SdeParams,
) -> Vec<SeriesRow> {
    let mut rows = Vec::new();
    for (k, &t) in s.t.iter().enumerate() {
        for mu in 0..s.m[k].len() {
            rows.push(SeriesRow {
                trial,
                t,
                memory: mu,
                m: s.m[k][mu],
                overlap: s.overlap[k][mu],
                saliency: s.saliency[k][mu],
                n: p.n,
                p: p.p,
                sigma: p.sigma,
                activation: p.activation.name().to_string(),
                gain: p.activation.gain(),
            });
        }
    }
    rows
}
