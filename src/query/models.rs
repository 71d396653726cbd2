//! Queries of the other models: `engram kh relax` (docs/theory.md#two-group), `engram
//! diffusion reverse` (#diffusion) and `engram hopfield-classic theory | simulate` (#hopfield).

use crate::diffusion::ReverseParams;
use crate::error::{EngramError, Result};
use crate::hopfield::{rs_alpha_c, rs_overlap, simulate_point, AsyncParams, Interaction};
use crate::study::diffusion::{diffusion_row, DiffusionRow};
use crate::study::hopfield::{hopfield_row, HopfieldRow, RsRow};
use crate::study::two_group::RelaxRow;
use crate::two_group::{relax_compare, Model};

/// The two-group network relaxed beside its effective model (docs/theory.md#two-group): model
/// `name` (a, a-classic, b, c) with β and power n; one row per record.
#[allow(clippy::too_many_arguments)]
pub fn kh_relax(
    name: &str,
    beta: f64,
    power: u32,
    (nf, nh): (usize, usize),
    (tau_f, tau_h): (f64, f64),
    t_max: f64,
    records: usize,
    seed: u64,
) -> Result<Vec<RelaxRow>> {
    let m = Model::parse(name, beta, power)?;
    Ok(
        relax_compare(m, nf, nh, tau_f, tau_h, t_max, records, seed)?
            .into_iter()
            .map(|r| RelaxRow {
                t: r.t,
                energy: r.energy,
                energy_effective: r.energy_effective,
                distance: r.distance,
                overlap: r.overlap,
                model: name.to_string(),
                tau_h,
            })
            .collect(),
    )
}

/// The reverse diffusion on P = round(e^{αN}) spherical patterns at each (N, α) point
/// (docs/theory.md#diffusion); `base` gives samples, times, steps and seed. `tick` once per
/// trajectory.
pub fn diffusion_reverse(
    points: &[(f64, f64)],
    base: &ReverseParams,
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<DiffusionRow>> {
    if base.samples == 0 {
        return Err(EngramError::InvalidParameter {
            name: "samples",
            value: "0".into(),
            allowed: "a whole number >= 1",
        });
    }
    let mut rows = Vec::with_capacity(points.len());
    for &(n, alpha) in points {
        crate::interrupt::check()?;
        let p = ReverseParams {
            n: crate::sweep::neurons("n", n)?,
            alpha: crate::error::positive("alpha", alpha)?,
            ..*base
        };
        rows.push(diffusion_row(&p, tick)?);
    }
    Ok(rows)
}

/// Zero-temperature replica-symmetric theory of the classic Hopfield network at each α = P/N.
pub fn hopfield_theory(alpha: &[f64]) -> Result<Vec<RsRow>> {
    let (ac, mc, _) = rs_alpha_c();
    alpha
        .iter()
        .map(|&a| {
            Ok(RsRow {
                alpha: a,
                m_rs: rs_overlap(a)?,
                alpha_c: ac,
                m_at_alpha_c: mc,
            })
        })
        .collect()
}

/// The interaction F from its name: a power n ≥ 2 or `exp`.
pub fn interaction(s: &str) -> Result<Interaction> {
    if s == "exp" {
        return Ok(Interaction::Exp);
    }
    let n: u32 = s.parse().map_err(|_| {
        EngramError::Invalid(format!(
            "invalid interaction = {s}: expected a power n >= 2 or exp"
        ))
    })?;
    Interaction::power(n)
}

/// Asynchronous zero-temperature dynamics at each (N, α) point from ξ¹ with a fraction `flip`
/// of flipped spins (docs/theory.md#hopfield); `tick` once per sample.
#[allow(clippy::too_many_arguments)]
pub fn hopfield_simulate(
    points: &[(f64, f64)],
    samples: usize,
    f: Interaction,
    flip: f64,
    max_sweeps: usize,
    seed: u64,
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<HopfieldRow>> {
    for (name, v) in [("samples", samples), ("max_sweeps", max_sweeps)] {
        if v == 0 {
            return Err(EngramError::InvalidParameter {
                name,
                value: "0".into(),
                allowed: "a whole number >= 1",
            });
        }
    }
    let mut rows = Vec::with_capacity(points.len());
    for &(n, a) in points {
        crate::interrupt::check()?;
        let nn = crate::sweep::neurons("n", n)?;
        let params = AsyncParams {
            n: nn,
            p: f.patterns(a, nn)?,
            interaction: f,
            flip_fraction: flip,
            max_sweeps,
            seed,
        };
        let sum = simulate_point(&params, samples, tick)?;
        rows.push(hopfield_row(&params, samples, &sum)?);
    }
    Ok(rows)
}
