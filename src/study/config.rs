//! Config schema. Unknown keys are errors; every error names file, line, column and key.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

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
#[derive(Debug, Clone)]
pub struct PhaseDiagramSection {
    /// Ensembles to compute.
    pub ensembles: Vec<EnsembleKind>,
    /// λ values.
    pub lambda: ParamList,
    /// Configuration norm ρ for the condensation line α_*(λ) = g_ρ(λ).
    pub rho: f64,
}

/// A sweep as written in a config: a list/range string or an array of numbers.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum SweepValue {
    Text(String),
    Numbers(Vec<f64>),
    One(f64),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPhaseDiagram {
    ensembles: Vec<EnsembleKind>,
    lambda: Spanned<SweepValue>,
    #[serde(default = "one")]
    rho: Spanned<f64>,
}

fn one() -> Spanned<f64> {
    Spanned::new(0..0, 1.0)
}

impl<'de> Deserialize<'de> for PhaseDiagramSection {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error;
        let raw = RawPhaseDiagram::deserialize(d)?;
        let lambda = match raw.lambda.get_ref() {
            SweepValue::Text(s) => {
                ParamList::parse(s).map_err(|e| D::Error::custom(format!("key 'lambda': {e}")))?
            }
            SweepValue::Numbers(v) => ParamList(v.clone()),
            SweepValue::One(x) => ParamList(vec![*x]),
        };
        if lambda.0.is_empty() {
            return Err(D::Error::custom(
                "key 'lambda': expected at least one value",
            ));
        }
        if let Some(bad) = lambda.0.iter().find(|l| !(**l > 0.0)) {
            return Err(D::Error::custom(format!(
                "key 'lambda': value {bad} is not > 0"
            )));
        }
        let rho = *raw.rho.get_ref();
        if !(rho > 0.0 && rho.is_finite()) {
            return Err(D::Error::custom(format!(
                "key 'rho': value {rho} is not a finite number > 0"
            )));
        }
        Ok(Self {
            ensembles: raw.ensembles,
            lambda,
            rho,
        })
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

/// Parse a config from its text; `origin` names the file in errors.
pub fn parse_config(text: &str, origin: &str) -> Result<StudyConfig> {
    let cfg: StudyConfig = toml::from_str(text).map_err(|e| {
        let msg = e.message().trim().replace('\n', " ");
        match e.span() {
            Some(span) => {
                let (line, col) = line_col(text, span.start);
                EngramError::Config(format!("{origin}:{line}:{col}: {msg}"))
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
    Ok(cfg)
}

/// Read and parse a config file; returns the config and its text (for the manifest).
pub fn load_config(path: &Path) -> Result<(StudyConfig, String)> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| EngramError::Config(format!("{}: cannot read config: {e}", path.display())))?;
    let cfg = parse_config(&text, &path.display().to_string())?;
    Ok((cfg, text))
}
