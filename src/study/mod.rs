//! Studies from config files (SPEC §11 `engram run`): parse a TOML study, run its sweeps,
//! write tidy CSV and a manifest under `results/<study>/`, atomically.
//!
//! Implemented study kinds: `[phase_diagram]` (SPEC §5: α₁, α_c with channels, and the
//! condensation line for each ensemble).

mod config;
mod output;
mod phase_diagram;

pub use config::{load_config, StudyConfig};
pub use output::{write_atomic, Manifest};
pub use phase_diagram::{phase_diagram_rows, PhaseDiagramRow};

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::error::Result;

/// What a finished study wrote.
#[derive(Debug, Clone)]
pub struct StudyReport {
    /// Directory results/<study>.
    pub dir: PathBuf,
    /// Files written, in order.
    pub files: Vec<PathBuf>,
}

/// Run a study from its config file; results go to `out/<study name>/`.
pub fn run_study(config_path: &Path, out: &Path) -> Result<StudyReport> {
    let (cfg, text) = load_config(config_path)?;
    let dir = out.join(&cfg.study.name);
    std::fs::create_dir_all(&dir)
        .map_err(|e| crate::EngramError::Io(format!("cannot create {}: {e}", dir.display())))?;
    let mut files = Vec::new();
    let started = Instant::now();
    let mut timings = Vec::new();
    if let Some(pd) = &cfg.phase_diagram {
        let t0 = Instant::now();
        let rows = phase_diagram_rows(&pd.ensembles, pd.lambda.values(), pd.rho.0)?;
        let path = dir.join("theory.csv");
        write_atomic(&path, &PhaseDiagramRow::to_csv(&rows)?)?;
        files.push(path);
        timings.push(("phase_diagram".to_string(), t0.elapsed().as_secs_f64()));
    }
    let manifest = Manifest::new(&text, config_path, started.elapsed().as_secs_f64(), timings);
    let path = dir.join("manifest.json");
    write_atomic(&path, manifest.to_json().as_bytes())?;
    files.push(path);
    Ok(StudyReport { dir, files })
}
