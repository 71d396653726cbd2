//! `engram idp fixed-point | map | sequence | phase | reduced`: the theory tables (the
//! Cartesian products of the flag lists, computed by `engram::query::idp`).

use engram::idp::parse_activation;
use engram::query::idp as q;
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
    write_rows(out, &q::fixed_point(&pts)?)
}

/// `engram idp map`: κ_c, Z±, steady dwell per κ.
pub fn map(kappa: &ParamList, theta: f64, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    write_rows(out, &q::map(kappa.values(), theta)?)
}

/// `engram idp sequence`: the map iterated from Z₀.
pub fn sequence(
    kappa: f64,
    z0: f64,
    theta: f64,
    steps: usize,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    write_rows(out, &q::sequence(kappa, z0, theta, steps)?)
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
        for &z in z0.values() {
            pts.push((k, z));
        }
    }
    write_rows(out, &q::phase(&pts, theta)?)
}

/// `engram idp reduced`: the reduced overlap dynamics; `steps` = (dt, t_max, record_every).
pub fn reduced(
    saliency: &[f64],
    start: Vec<f64>,
    activation: &str,
    gain: f64,
    sigma: f64,
    steps: (f64, f64, usize),
    out: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    let act = parse_activation(activation, gain)?;
    write_rows(out, &q::reduced(&act, saliency, &start, sigma, steps)?)
}
