//! Config schema. Unknown keys are errors; every error names file, line, column and key.

use std::path::Path;

use serde::de::{DeserializeSeed, Error as _, MapAccess, Visitor};
use serde::Deserialize;

use crate::error::{EngramError, Result};
use crate::sweep::ParamList;

use super::dam::DamSimulationSection;
use super::diffusion::DiffusionSection;
use super::hopfield::HopfieldSection;
use super::idp::{IdpNoiseSection, IdpSequenceSection};
use super::phase_diagram::PhaseDiagramSection;
use super::two_group::TwoGroupSection;
use super::validation::ValidationSection;
use super::DynStudy;

/// A study config: `[study]` and exactly one model section.
#[derive(Debug, Clone)]
pub struct StudyConfig {
    /// `[study]`: name (`results/<name>/`) and description.
    pub study: StudySection,
    /// The model section (one of [`ModelSection::KEYS`]).
    pub model: ModelSection,
}

/// Declares the model sections: the enum, its TOML keys (serde's externally tagged form: the
/// key is the section name), and the dispatch to [`Study`]. One line per study kind.
macro_rules! model_sections {
    ($( $(#[$m:meta])* $variant:ident($ty:ty) = $key:literal ),+ $(,)?) => {
        /// The model section of a config; each variant is a study kind.
        #[derive(Debug, Clone)]
        pub enum ModelSection {
            $( $(#[$m])* $variant($ty), )+
        }

        impl ModelSection {
            /// Section names, as written in TOML.
            pub const KEYS: &'static [&'static str] = &[$($key),+];
            const ALL_KEYS: &'static [&'static str] = &["study", $($key),+];

            /// The section's TOML key.
            pub fn key(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $key,)+
                }
            }

            /// The study this section describes.
            pub fn study(&self) -> &dyn DynStudy {
                match self {
                    $(Self::$variant(s) => s,)+
                }
            }

            fn next_value<'de, A: MapAccess<'de>>(
                key: &str,
                map: &mut A,
            ) -> std::result::Result<Self, A::Error> {
                match key {
                    $($key => Ok(Self::$variant(map.next_value()?)),)+
                    other => Err(A::Error::unknown_field(other, Self::ALL_KEYS)),
                }
            }
        }
    };
}

model_sections! {
    /// `[phase_diagram]`: theory phase diagram of dense associative memories (Lucibello–Mézard, PRL 132, 077301 (2024), arXiv:2304.14964).
    PhaseDiagram(PhaseDiagramSection) = "phase_diagram",
    /// `[dam_simulation]`: DAM simulation sweep with theory overlaid (Lucibello–Mézard, PRL 132, 077301 (2024), arXiv:2304.14964).
    DamSimulation(DamSimulationSection) = "dam_simulation",
    /// `[idp_noise]`: IDP fixed points and thresholds vs noise, with simulation (Betteti et al., Sci. Adv. 11, eadu6991 (2025), arXiv:2411.05849).
    IdpNoise(IdpNoiseSection) = "idp_noise",
    /// `[idp_sequence]`: sequential-map phase diagram and two-timescale simulations (Betteti, Baggio, Zampieri, arXiv:2603.03201).
    IdpSequence(IdpSequenceSection) = "idp_sequence",
    /// `[hopfield_classic]`: binary F-networks, overlap vs load against the RS theory (Amit–Gutfreund–Sompolinsky; model A of Krotov–Hopfield 2021).
    HopfieldClassic(HopfieldSection) = "hopfield_classic",
    /// `[diffusion]`: reverse diffusion on finite pattern sets vs the REM (Ambrogioni, Entropy 2024, arXiv:2309.17290).
    Diffusion(DiffusionSection) = "diffusion",
    /// `[two_group]`: the Krotov–Hopfield network vs its effective model as τ_h → 0 (Krotov–Hopfield, ICLR 2021, arXiv:2008.06996).
    TwoGroup(TwoGroupSection) = "two_group",
    /// `[validation]`: the validation atlas: α₁, α_f, α_c and the diffusion collapse against simulation after finite-size scaling (docs/theory.md, "Finite-size analysis").
    Validation(ValidationSection) = "validation",
}

/// A top-level key, checked against [`ModelSection::ALL_KEYS`] while it is read, so an unknown
/// section is reported at its own line.
struct SectionKey;

impl<'de> DeserializeSeed<'de> for SectionKey {
    type Value = String;
    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<String, D::Error> {
        let key = String::deserialize(d)?;
        if ModelSection::ALL_KEYS.contains(&key.as_str()) {
            Ok(key)
        } else {
            Err(D::Error::unknown_field(&key, ModelSection::ALL_KEYS))
        }
    }
}

impl<'de> Deserialize<'de> for StudyConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StudyConfig;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a study config with [study] and one model section")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<StudyConfig, A::Error> {
                let mut study = None;
                let mut models = Vec::new();
                while let Some(key) = map.next_key_seed(SectionKey)? {
                    if key == "study" {
                        study = Some(map.next_value()?);
                    } else {
                        models.push(ModelSection::next_value(&key, &mut map)?);
                    }
                }
                let study = study.ok_or_else(|| A::Error::missing_field("study"))?;
                if models.len() != 1 {
                    let names: Vec<String> = ModelSection::KEYS
                        .iter()
                        .map(|k| format!("[{k}]"))
                        .collect();
                    return Err(A::Error::custom(format!(
                        "expected exactly one model section ({}), found {}",
                        names.join(", "),
                        models.len()
                    )));
                }
                Ok(StudyConfig {
                    study,
                    model: models.pop().expect("one section"),
                })
            }
        }
        d.deserialize_map(V)
    }
}

/// `[study]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudySection {
    /// Name of the study: results land in `results/<name>/` (letters, digits, - and _).
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
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
    crate::sweep::is_neurons,
    crate::sweep::NEURONS
);

/// A whole number ≥ 1.
#[derive(Debug, Clone, Copy)]
pub struct Count(pub usize);

impl Count {
    pub(crate) fn thousand() -> Self {
        Self(1000)
    }
    pub(crate) fn hundred() -> Self {
        Self(100)
    }
    pub(crate) fn two() -> Self {
        Self(2)
    }
    pub(crate) fn four_hundred() -> Self {
        Self(400)
    }
    pub(crate) fn thirty_two() -> Self {
        Self(32)
    }
    pub(crate) fn eight() -> Self {
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
    pub(crate) fn one() -> Self {
        Self(1.0)
    }
    pub(crate) fn half() -> Self {
        Self(0.5)
    }
    pub(crate) fn tenth() -> Self {
        Self(0.1)
    }
    pub(crate) fn four() -> Self {
        Self(4.0)
    }
    pub(crate) fn dt() -> Self {
        Self(0.01)
    }
    pub(crate) fn xtol() -> Self {
        Self(1e-6)
    }
    pub(crate) fn threshold() -> Self {
        Self(0.05)
    }
    pub(crate) fn twenty() -> Self {
        Self(20.0)
    }
    pub(crate) fn milli() -> Self {
        Self(1e-3)
    }
    pub(crate) fn ten() -> Self {
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
    cfg.model.study().validate(origin)?;
    Ok(cfg)
}

/// Read and parse a config file; returns the config and its text (for the manifest).
pub fn load_config(path: &Path) -> Result<(StudyConfig, String)> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| EngramError::Config(format!("{}: cannot read config: {e}", path.display())))?;
    let cfg = parse_config(&text, &path.display().to_string())?;
    Ok((cfg, text))
}

/// Default seed of the simulation streams.
pub(crate) fn one_u64() -> u64 {
    1
}
