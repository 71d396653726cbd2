//! The manifest: what produced a study's results (version, commit, config, timings, seed).

use std::path::Path;

/// What produced a study's results.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Manifest {
    /// engram version.
    pub engram_version: &'static str,
    /// git commit of the engram build, if known.
    pub git_commit: &'static str,
    /// Path of the config as given.
    pub config_path: String,
    /// Full text of the config.
    pub config: String,
    /// Worker threads available to rayon.
    pub threads: usize,
    /// Wall-clock seconds per part of the study.
    pub timings_s: Vec<(String, f64)>,
    /// Total wall-clock seconds.
    pub total_s: f64,
    /// Seed of the simulation streams, if the study simulates.
    pub seed: Option<u64>,
    /// Whether the study ran at reduced (--quick) size.
    pub quick: bool,
}

impl Manifest {
    /// Describe a run.
    pub fn new(
        config: &str,
        config_path: &Path,
        total_s: f64,
        timings_s: Vec<(String, f64)>,
    ) -> Self {
        Self {
            engram_version: env!("CARGO_PKG_VERSION"),
            git_commit: option_env!("ENGRAM_GIT_COMMIT").unwrap_or("unknown"),
            config_path: config_path.display().to_string(),
            config: config.to_string(),
            threads: rayon::current_num_threads(),
            timings_s,
            total_s,
            seed: None,
            quick: false,
        }
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("manifest is plain data")
    }
}
