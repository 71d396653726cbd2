//! Config schema. Unknown keys are errors; every error names file, line, column and key.

use std::path::Path;

use serde::de::{DeserializeSeed, Error as _, MapAccess, Visitor};
use serde::Deserialize;

use crate::error::{EngramError, Result};

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

pub use super::values::*;
