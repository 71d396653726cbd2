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

/// A sweep of values > 0, written as a list/range string, an array of numbers, or one number.
/// Validated while parsing, so errors point at the value's line.
#[derive(Debug, Clone)]
pub struct PositiveSweep(pub ParamList);

impl PositiveSweep {
    /// The values.
    pub fn values(&self) -> &[f64] {
        self.0.values()
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum SweepValue {
    Text(String),
    Numbers(Vec<f64>),
    One(f64),
}

impl<'de> Deserialize<'de> for PositiveSweep {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error;
        let list = match SweepValue::deserialize(d)
            .map_err(|_| D::Error::custom("expected a list \"a,b,c\", a range \"from:to:points\", an array of numbers or a number"))?
        {
            SweepValue::Text(s) => ParamList::parse(&s).map_err(D::Error::custom)?,
            SweepValue::Numbers(v) => ParamList(v),
            SweepValue::One(x) => ParamList(vec![x]),
        };
        if list.0.is_empty() {
            return Err(D::Error::custom("expected at least one value"));
        }
        if let Some(bad) = list.0.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
            return Err(D::Error::custom(format!(
                "value {bad} is not a finite number > 0"
            )));
        }
        Ok(Self(list))
    }
}

/// A finite number > 0.
#[derive(Debug, Clone, Copy)]
pub struct PositiveNumber(pub f64);

impl PositiveNumber {
    fn one() -> Self {
        Self(1.0)
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
    Ok(cfg)
}

/// Read and parse a config file; returns the config and its text (for the manifest).
pub fn load_config(path: &Path) -> Result<(StudyConfig, String)> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| EngramError::Config(format!("{}: cannot read config: {e}", path.display())))?;
    let cfg = parse_config(&text, &path.display().to_string())?;
    Ok((cfg, text))
}
