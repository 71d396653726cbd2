//! Config schema. Unknown keys are errors; every error names file, line, column and key.

use std::path::Path;

use serde::Deserialize;

use crate::ensembles::EnsembleKind;
use crate::error::{EngramError, Result};
use crate::sweep::ParamList;

/// A study config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyConfig {
    /// `[study]`: name (results/<name>/) and description.
    pub study: StudySection,
    /// `[phase_diagram]`: theory phase diagram of dense associative memories (SPEC §5).
    pub phase_diagram: Option<PhaseDiagramSection>,
    /// `[dam_simulation]`: DAM simulation sweep with theory overlaid (SPEC §3, §6, §10).
    pub dam_simulation: Option<DamSimulationSection>,
    /// `[idp_noise]`: IDP fixed points and thresholds vs noise, with simulation (SPEC §8).
    pub idp_noise: Option<IdpNoiseSection>,
    /// `[idp_sequence]`: sequential-map phase diagram and two-timescale simulations (SPEC §8).
    pub idp_sequence: Option<IdpSequenceSection>,
    /// `[hopfield_classic]`: binary F-networks, overlap vs load against the RS theory (SPEC §9).
    pub hopfield_classic: Option<HopfieldSection>,
    /// `[diffusion]`: reverse diffusion on finite pattern sets vs the REM (SPEC §9).
    pub diffusion: Option<DiffusionSection>,
    /// `[two_group]`: the Krotov–Hopfield network vs its effective model as τ_h → 0 (SPEC §9).
    pub two_group: Option<TwoGroupSection>,
}

/// `[two_group]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwoGroupSection {
    /// Models: any of "a", "a-classic", "b", "c".
    pub models: Vec<String>,
    /// Hidden time constants τ_h (τ_f = 1).
    pub tau_h: PositiveSweep,
    /// Feature neurons (default 32).
    #[serde(default = "Count::thirty_two")]
    pub nf: Count,
    /// Hidden neurons (default 8).
    #[serde(default = "Count::eight")]
    pub nh: Count,
    /// β of models a-classic and b (default 4).
    #[serde(default = "PositiveNumber::four")]
    pub beta: PositiveNumber,
    /// Power of F in models a and c (default 2; use an even power for c).
    #[serde(default = "Count::two")]
    pub power: Count,
    /// Integration time (default 10).
    #[serde(default = "PositiveNumber::ten")]
    pub t_max: PositiveNumber,
    /// Seed (default 1).
    #[serde(default = "one_u64")]
    pub seed: u64,
}

/// `[hopfield_classic]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HopfieldSection {
    /// Spins N (whole numbers ≥ 2); one curve each.
    pub n: WholeSweep,
    /// Loads α: P = round(αN) (powers) or round(e^{αN}) (exp).
    pub alpha: PositiveSweep,
    /// Samples per point.
    pub samples: Count,
    /// Interaction power n ≥ 2 (default 2, Hebbian); ignored when `exponential = true`.
    #[serde(default = "Count::two")]
    pub power: Count,
    /// F = eˣ instead of a power.
    #[serde(default)]
    pub exponential: bool,
    /// Initial Hamming distance fraction (default 0).
    #[serde(default)]
    pub flip: f64,
    /// Maximum sweeps (default 100).
    #[serde(default = "Count::hundred")]
    pub max_sweeps: Count,
    /// Seed (default 1).
    #[serde(default = "one_u64")]
    pub seed: u64,
}

/// `[diffusion]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffusionSection {
    /// Dimensions N; one curve each.
    pub n: WholeSweep,
    /// Loads α: P = round(e^{αN}).
    pub alpha: PositiveSweep,
    /// Trajectories per point.
    pub samples: Count,
    /// Start time t_max = s² (default 20).
    #[serde(default = "PositiveNumber::twenty")]
    pub t_max: PositiveNumber,
    /// End time (default 1e-3).
    #[serde(default = "PositiveNumber::milli")]
    pub t_min: PositiveNumber,
    /// Steps (default 400).
    #[serde(default = "Count::four_hundred")]
    pub steps: Count,
    /// Seed (default 1).
    #[serde(default = "one_u64")]
    pub seed: u64,
}

/// `[dam_simulation]`: the grid n × alpha × lambda (× cosine) of `engram dam simulate`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DamSimulationSection {
    /// Pattern ensemble.
    pub ensemble: EnsembleKind,
    /// Numbers of neurons (whole numbers ≥ 2); one curve per N.
    pub n: WholeSweep,
    /// Loads α > 0.
    pub alpha: PositiveSweep,
    /// Inverse temperatures λ > 0.
    pub lambda: PositiveSweep,
    /// Initial cosines with ξ¹ in [−1, 1] (basins); absent: x₀ = ξ¹.
    pub cosine: Option<CosineSweep>,
    /// Squared norm per component of a cosine start (default ρ₁).
    pub r: Option<PositiveNumber>,
    /// Samples per point (≥ 1).
    pub samples: Count,
    /// Step size η (default 0.5).
    #[serde(default = "PositiveNumber::half")]
    pub eta: PositiveNumber,
    /// Maximum steps (default 1000).
    #[serde(default = "Count::thousand")]
    pub max_steps: Count,
    /// Stopping tolerance (default 1e-6).
    #[serde(default = "PositiveNumber::xtol")]
    pub xtol: PositiveNumber,
    /// Retrieval threshold on Δ₀ (default 0.05).
    #[serde(default = "PositiveNumber::threshold")]
    pub threshold: PositiveNumber,
    /// Seed (default 1).
    #[serde(default = "one_u64")]
    pub seed: u64,
    /// Memory budget for pattern stores in flight, GiB (default 4).
    #[serde(default = "PositiveNumber::four")]
    pub memory_gib: PositiveNumber,
    /// Horizontal axis of the figure: alpha, lambda or cosine.
    pub x_axis: XAxis,
    /// Plotted observable: p_retrieved (default) or delta0.
    #[serde(default)]
    pub y: YAxis,
    /// Compute the crossings α_{1/2}(N) and their 1/N extrapolation (x_axis = alpha).
    #[serde(default)]
    pub crossing: bool,
}

/// Figure x axis of a DAM simulation study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum XAxis {
    /// Load α (theory: α₁(λ)).
    Alpha,
    /// Inverse temperature λ (theory: λ_c(α)).
    Lambda,
    /// Initial cosine (theory: cos_c).
    Cosine,
}

/// Figure y axis of a DAM simulation study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum YAxis {
    /// Retrieval probability.
    #[default]
    PRetrieved,
    /// Mean Δ₀.
    Delta0,
}

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

fn one_u64() -> u64 {
    1
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

/// `[study]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudySection {
    /// Name of the study: results land in results/<name>/ (letters, digits, - and _).
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
}

/// `[phase_diagram]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseDiagramSection {
    /// Ensembles to compute.
    pub ensembles: Vec<EnsembleKind>,
    /// λ values (each > 0).
    pub lambda: PositiveSweep,
    /// Configuration norm ρ > 0 for the condensation line α_*(λ) = g_ρ(λ) (default 1).
    #[serde(default = "PositiveNumber::one")]
    pub rho: PositiveNumber,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum SweepValue {
    Text(String),
    Numbers(Vec<f64>),
    One(f64),
}

fn parse_sweep<'de, D: serde::Deserializer<'de>>(
    d: D,
    ok: impl Fn(f64) -> bool,
    what: &str,
) -> std::result::Result<ParamList, D::Error> {
    use serde::de::Error;
    let list = match SweepValue::deserialize(d).map_err(|_| {
        D::Error::custom(
            "expected a list \"a,b,c\", a range \"from:to:points\", an array of numbers or a number",
        )
    })? {
        SweepValue::Text(s) => ParamList::parse(&s).map_err(D::Error::custom)?,
        SweepValue::Numbers(v) => ParamList(v),
        SweepValue::One(x) => ParamList(vec![x]),
    };
    if list.0.is_empty() {
        return Err(D::Error::custom("expected at least one value"));
    }
    if let Some(bad) = list.0.iter().find(|v| !ok(**v)) {
        return Err(D::Error::custom(format!("value {bad} is not {what}")));
    }
    Ok(list)
}

macro_rules! sweep_type {
    ($(#[$m:meta])* $name:ident, $ok:expr, $what:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone)]
        pub struct $name(pub ParamList);
        impl $name {
            /// The values.
            pub fn values(&self) -> &[f64] {
                self.0.values()
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                parse_sweep(d, $ok, $what).map(Self)
            }
        }
    };
}

sweep_type!(
    /// A sweep of values > 0, written as a list/range string, an array of numbers, or one
    /// number. Validated while parsing, so errors point at the value's line.
    PositiveSweep,
    |v: f64| v.is_finite() && v > 0.0,
    "a finite number > 0"
);
sweep_type!(
    /// A sweep of finite values ≥ 0.
    NonNegSweep,
    |v: f64| v.is_finite() && v >= 0.0,
    "a finite number >= 0"
);
sweep_type!(
    /// A sweep of cosines in [−1, 1].
    CosineSweep,
    |v: f64| (-1.0..=1.0).contains(&v),
    "a cosine in [-1, 1]"
);
sweep_type!(
    /// A sweep of whole numbers ≥ 2 (numbers of neurons).
    WholeSweep,
    |v: f64| v.fract() == 0.0 && (2.0..1e9).contains(&v),
    "a whole number >= 2"
);

/// A whole number ≥ 1.
#[derive(Debug, Clone, Copy)]
pub struct Count(pub usize);

impl Count {
    fn thousand() -> Self {
        Self(1000)
    }
    fn hundred() -> Self {
        Self(100)
    }
    fn two() -> Self {
        Self(2)
    }
    fn four_hundred() -> Self {
        Self(400)
    }
    fn thirty_two() -> Self {
        Self(32)
    }
    fn eight() -> Self {
        Self(8)
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error;
        let x =
            i64::deserialize(d).map_err(|_| D::Error::custom("expected a whole number >= 1"))?;
        if x >= 1 {
            Ok(Self(x as usize))
        } else {
            Err(D::Error::custom(format!(
                "value {x} is not a whole number >= 1"
            )))
        }
    }
}

/// A finite number > 0.
#[derive(Debug, Clone, Copy)]
pub struct PositiveNumber(pub f64);

impl PositiveNumber {
    fn one() -> Self {
        Self(1.0)
    }
    fn half() -> Self {
        Self(0.5)
    }
    fn tenth() -> Self {
        Self(0.1)
    }
    fn four() -> Self {
        Self(4.0)
    }
    fn dt() -> Self {
        Self(0.01)
    }
    fn xtol() -> Self {
        Self(1e-6)
    }
    fn threshold() -> Self {
        Self(0.05)
    }
    fn twenty() -> Self {
        Self(20.0)
    }
    fn milli() -> Self {
        Self(1e-3)
    }
    fn ten() -> Self {
        Self(10.0)
    }
}

impl<'de> Deserialize<'de> for PositiveNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error;
        let x = f64::deserialize(d)?;
        if x.is_finite() && x > 0.0 {
            Ok(Self(x))
        } else {
            Err(D::Error::custom(format!(
                "value {x} is not a finite number > 0"
            )))
        }
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

/// The key assigned on a line (`key = ...`), if any.
fn key_on_line(text: &str, line: usize) -> Option<String> {
    let l = text.lines().nth(line - 1)?;
    let (k, _) = l.split_once('=')?;
    let k = k.trim();
    (!k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)))
    .then(|| k.to_string())
}

/// Parse a config from its text; `origin` names the file in errors.
pub fn parse_config(text: &str, origin: &str) -> Result<StudyConfig> {
    let cfg: StudyConfig = toml::from_str(text).map_err(|e| {
        let msg = e.message().trim().replace('\n', " ");
        match e.span() {
            Some(span) => {
                let (line, col) = line_col(text, span.start);
                let key = key_on_line(text, line).filter(|k| !msg.contains(&format!("'{k}'")));
                let msg = msg.replace("expected f64", "expected a number");
                match key {
                    Some(k) => {
                        EngramError::Config(format!("{origin}:{line}:{col}: key '{k}': {msg}"))
                    }
                    None => EngramError::Config(format!("{origin}:{line}:{col}: {msg}")),
                }
            }
            None => EngramError::Config(format!("{origin}: {msg}")),
        }
    })?;
    let name = &cfg.study.name;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(EngramError::Config(format!(
            "{origin}: key 'study.name' = '{name}': expected letters, digits, '-' or '_'"
        )));
    }
    let sections = [
        cfg.phase_diagram.is_some(),
        cfg.dam_simulation.is_some(),
        cfg.idp_noise.is_some(),
        cfg.idp_sequence.is_some(),
        cfg.hopfield_classic.is_some(),
        cfg.diffusion.is_some(),
        cfg.two_group.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if sections != 1 {
        return Err(EngramError::Config(format!(
            "{origin}: expected exactly one model section ([phase_diagram], [dam_simulation], \
             [idp_noise], [idp_sequence], [hopfield_classic], [diffusion] or [two_group]), found {sections}"
        )));
    }
    let orthogonal = |key: &str, n: usize, p: usize| -> Result<()> {
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
    };
    if let Some(s) = cfg.idp_noise.as_ref().and_then(|c| c.simulate.as_ref()) {
        orthogonal("idp_noise.simulate", s.n.0, s.p.0)?;
    }
    if let Some(s) = cfg.idp_sequence.as_ref().and_then(|c| c.simulate.as_ref()) {
        orthogonal("idp_sequence.simulate", s.n.0, s.p.0)?;
    }
    if let Some(h) = &cfg.hopfield_classic {
        if h.power.0 < 2 && !h.exponential {
            return Err(EngramError::Config(format!(
                "{origin}: key 'hopfield_classic.power' = {}: expected n >= 2",
                h.power.0
            )));
        }
        if !(0.0..=0.5).contains(&h.flip) {
            return Err(EngramError::Config(format!(
                "{origin}: key 'hopfield_classic.flip' = {}: expected a fraction in [0, 0.5]",
                h.flip
            )));
        }
    }
    if let Some(t) = &cfg.two_group {
        for m in &t.models {
            if let Err(e) = crate::kh::two_group::Model::parse(m, t.beta.0, t.power.0 as u32)
                .and_then(|m| m.lagrangians().map(|_| ()))
            {
                return Err(EngramError::Config(format!(
                    "{origin}: key 'two_group.models': {e}"
                )));
            }
        }
        if t.models.is_empty() || t.nf.0 < 2 {
            return Err(EngramError::Config(format!(
                "{origin}: key 'two_group': expected at least one model and nf >= 2"
            )));
        }
    }
    if let Some(d) = &cfg.diffusion {
        if d.t_min.0 >= d.t_max.0 {
            return Err(EngramError::Config(format!(
                "{origin}: key 'diffusion.t_min' = {}: expected t_min < t_max = {}",
                d.t_min.0, d.t_max.0
            )));
        }
    }
    if let Some(d) = &cfg.dam_simulation {
        if d.crossing && d.x_axis != XAxis::Alpha {
            return Err(EngramError::Config(format!(
                "{origin}: key 'dam_simulation.crossing': needs x_axis = \"alpha\""
            )));
        }
        if (d.x_axis == XAxis::Cosine) != d.cosine.is_some() {
            return Err(EngramError::Config(format!(
                "{origin}: key 'dam_simulation.cosine': give cosine exactly when x_axis = \"cosine\""
            )));
        }
    }
    Ok(cfg)
}

/// Read and parse a config file; returns the config and its text (for the manifest).
pub fn load_config(path: &Path) -> Result<(StudyConfig, String)> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| EngramError::Config(format!("{}: cannot read config: {e}", path.display())))?;
    let cfg = parse_config(&text, &path.display().to_string())?;
    Ok((cfg, text))
}
