//! Tidy table of DAM simulation results: one row per point, the measurements of
//! [`super::sim::SimSummary`] with the theory beside them (the `dam simulate` columns of the README),
//! then the batch layout: stores, targets per store, design effect of p_retrieved, planted
//! norm (empty: as drawn), store format and stream mode.

use super::sim::{SimSummary, Start};
use super::DamTheory;
use crate::ensembles::EnsembleKind;
use crate::error::Result;
use crate::rem::RemPoint;
use crate::stats::fmt_num as fmt;

/// Column names, in order.
pub const HEADER: [&str; 38] = [
    "n",
    "alpha",
    "lambda",
    "patterns",
    "samples",
    "delta0",
    "delta0_err",
    "p_retrieved",
    "p_retrieved_err",
    "steps",
    "steps_err",
    "p_retrieved_lo",
    "p_retrieved_hi",
    "converged",
    "energy",
    "energy_err",
    "overlap",
    "overlap_err",
    "phi_emp",
    "phi_emp_err",
    "phi_theory",
    "alpha_1_theory",
    "cosine",
    "r",
    "m_c_theory",
    "cos_c_theory",
    "ensemble",
    "eta",
    "max_steps",
    "xtol",
    "threshold",
    "seed",
    "stores",
    "targets",
    "design_effect",
    "target_norm",
    "store",
    "streams",
];

/// One formatted row for a finished point.
pub fn summary_row(kind: EnsembleKind, s: &SimSummary) -> Result<Vec<String>> {
    let theory = DamTheory::new(kind.ensemble())?;
    let p = &s.params;
    // planted targets: the theory of a pattern of norm ρ, α_f(λ; ρ) (α₁ is α_f at ρ₁)
    let rho = s.batch.target_norm.unwrap_or(kind.ensemble().rho1());
    let (alpha_1, _) = match s.batch.target_norm {
        None => theory.alpha_1(p.lambda)?,
        Some(rho) => theory.failure_load(p.lambda, rho)?,
    };
    let (cosine, r) = match p.start {
        Start::Pattern => (1.0, rho),
        Start::Cosine { cosine, r } => (cosine, r),
    };
    let phi_theory = crate::rem::phi(kind.ensemble(), RemPoint::new(p.alpha, p.lambda, r)?)?.0;
    let basin = theory.basin(RemPoint::new(p.alpha, p.lambda, r)?)?;
    Ok(vec![
        p.n.to_string(),
        fmt(p.alpha),
        fmt(p.lambda),
        s.patterns.to_string(),
        s.samples.to_string(),
        fmt(s.delta0.mean),
        fmt(s.delta0.se),
        fmt(s.retrieved.p),
        fmt(s.retrieved.err),
        fmt(s.steps.mean),
        fmt(s.steps.se),
        fmt(s.retrieved.lo),
        fmt(s.retrieved.hi),
        fmt(s.converged),
        fmt(s.energy.mean),
        fmt(s.energy.se),
        fmt(s.overlap.mean),
        fmt(s.overlap.se),
        fmt(s.phi_emp.mean),
        fmt(s.phi_emp.se),
        fmt(phi_theory),
        fmt(alpha_1),
        fmt(cosine),
        fmt(r),
        fmt(basin.m_c),
        fmt(basin.cos_c),
        kind.name().to_string(),
        fmt(p.eta),
        p.max_steps.to_string(),
        fmt(p.xtol),
        fmt(p.threshold),
        p.seed.to_string(),
        s.stores.to_string(),
        s.targets.to_string(),
        fmt(s.design_effect),
        s.batch.target_norm.map(fmt).unwrap_or_default(),
        s.batch.precision.name().to_string(),
        s.batch.streams.name().to_string(),
    ])
}
