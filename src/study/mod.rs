//! Studies from config files (`engram run`): parse a TOML study, run its theory and
//! simulation sweeps, write tidy CSV, figures and a manifest under ``results/<study>/``,
//! atomically; resume interrupted runs, split them into shards, merge shards, re-render
//! figures from the CSV files.
//!
//! The split follows argmin's problem/executor separation: each study kind is a config section
//! type implementing [`Study`] (what to compute, how to draw it; it knows nothing of resume,
//! shards or manifests), and this module is the driver that owns the results directory, the
//! point store, shards, merge and the manifest.
//!
//! | config section | model | file |
//! |---|---|---|
//! | `[phase_diagram]` | DAM theory (Lucibello–Mézard 2024) | [`phase_diagram`] |
//! | `[dam_simulation]` | DAM simulation vs theory (Lucibello–Mézard 2024) | [`dam`] |
//! | `[idp_noise]`, `[idp_sequence]` | IDP network (Betteti et al. 2025, 2026) | [`idp`] |
//! | `[hopfield_classic]` | binary F-networks (Krotov–Hopfield 2021, model A) | [`hopfield`] |
//! | `[diffusion]` | diffusion on finite pattern sets (Ambrogioni 2024) | [`diffusion`] |
//! | `[two_group]` | Krotov–Hopfield two-group network (2021) | [`two_group`] |
//!
//! Adding a study kind: one new file here with its section type and `impl Study`, and one
//! line in the `model_sections!` list of [`config`].

pub mod config;
pub mod dam;
pub mod diffusion;
pub mod hopfield;
pub mod idp;
pub mod phase_diagram;
pub mod two_group;
pub mod validation;

pub use crate::io::{write_atomic, Manifest, Progress, Schedule};
pub use config::{load_config, parse_config, ModelSection, StudyConfig};
pub use phase_diagram::{phase_diagram_rows, render_phase_diagram, PhaseDiagramRow};

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::error::{EngramError, Result};
use crate::io::PointStore;

/// What a study's `run` gets from the driver.
pub struct Context<'a> {
    /// The study directory `results/<study>/` (exists).
    pub dir: &'a Path,
    /// Resume, shard or assemble-only.
    pub schedule: Schedule,
    /// Reduced sizes (CI).
    pub quick: bool,
    /// Progress callbacks.
    pub progress: &'a Progress,
}

/// One study kind: its config section (the problem) knows what to compute and how to draw it;
/// the driver in this module runs it.
pub trait Study {
    /// Checks beyond the types of the section's keys; `origin` names the config file in errors.
    fn validate(&self, _origin: &str) -> Result<()> {
        Ok(())
    }
    /// Compute (through [`crate::io::points::run_points`] where there are simulation points, so
    /// the run is resumable and shardable) and write the study's CSV files into `cx.dir`.
    /// Returns the files written (none for a shard).
    fn run(&self, cx: &Context) -> Result<Vec<PathBuf>>;
    /// Draw the figures from the CSV files in `dir` (no recomputation).
    fn render(&self, dir: &Path) -> Result<Vec<PathBuf>>;
    /// Seed of the simulation streams, if the study simulates (reported in the manifest).
    fn seed(&self) -> Option<u64> {
        None
    }
}

/// Options of a study run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunOptions {
    /// Reuse finished simulation points.
    pub resume: bool,
    /// Run only shard i of n (0-based): its points, no CSV assembly, no figures.
    pub shard: Option<(usize, usize)>,
    /// Reduced sizes (CI): fewer samples, trials, points and smaller N.
    pub quick: bool,
}

/// What a finished study wrote.
#[derive(Debug, Clone)]
pub struct StudyReport {
    /// Directory `results/<study>`.
    pub dir: PathBuf,
    /// Files written, in order.
    pub files: Vec<PathBuf>,
}

fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| EngramError::Io(format!("cannot create {}: {e}", dir.display())))
}

/// The shard of a SLURM array task, from the job's environment (`get` reads one variable):
/// index (SLURM_ARRAY_TASK_ID − MIN)/STEP and count SLURM_ARRAY_TASK_COUNT, or
/// (MAX − MIN)/STEP + 1 when COUNT is absent; MIN defaults to 0 and STEP to 1. Works for 0- and
/// 1-based arrays (`--array=0-3` and `--array=1-4` both give shards 0/4 … 3/4).
pub fn slurm_shard(get: impl Fn(&str) -> Option<String>) -> Result<(usize, usize)> {
    let num = |name: &'static str| -> Result<Option<usize>> {
        match get(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| EngramError::InvalidParameter {
                    name,
                    value: v,
                    allowed: "a whole number (set by SLURM in an array job)",
                }),
        }
    };
    let id = num("SLURM_ARRAY_TASK_ID")?.ok_or(EngramError::InvalidParameter {
        name: "shard",
        value: "slurm".into(),
        allowed: "an array job: SLURM_ARRAY_TASK_ID is not set (submit with sbatch --array)",
    })?;
    let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
    let step = num("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
    let n = match (num("SLURM_ARRAY_TASK_COUNT")?, num("SLURM_ARRAY_TASK_MAX")?) {
        (Some(c), _) => c,
        (None, Some(max)) if max >= min => (max - min) / step + 1,
        _ => {
            return Err(EngramError::InvalidParameter {
                name: "shard",
                value: "slurm".into(),
                allowed: "an array job with SLURM_ARRAY_TASK_COUNT or SLURM_ARRAY_TASK_MAX set",
            })
        }
    };
    if id < min || (id - min) % step != 0 || (id - min) / step >= n {
        return Err(EngramError::InvalidParameter {
            name: "shard",
            value: format!("SLURM_ARRAY_TASK_ID = {id} (min {min}, step {step}, count {n})"),
            allowed: "a task id inside its array",
        });
    }
    Ok(((id - min) / step, n))
}

/// Parse a shard spec "i/n" (0 ≤ i < n), or "slurm": the shard of this SLURM array task
/// ([`slurm_shard`] on the environment).
pub fn parse_shard(s: &str) -> Result<(usize, usize)> {
    if s.trim() == "slurm" {
        return slurm_shard(|k| std::env::var(k).ok());
    }
    let bad = || EngramError::InvalidParameter {
        name: "shard",
        value: s.into(),
        allowed: "i/n with whole numbers 0 <= i < n",
    };
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (
        i.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if n == 0 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
}

/// Run a study from its config file; results go to `out/<study name>/`.
pub fn run_study(
    config_path: &Path,
    out: &Path,
    opts: RunOptions,
    progress: &Progress,
) -> Result<StudyReport> {
    let (cfg, text) = load_config(config_path)?;
    let schedule = Schedule {
        resume: opts.resume,
        shard: opts.shard,
        assemble_only: false,
    };
    execute(
        &cfg,
        &text,
        config_path,
        out,
        schedule,
        opts.quick,
        progress,
    )
}

/// Merge shard directories into the first one (`dirs[0]`, a study directory holding
/// `config.toml`) and assemble the study: CSV, figures, manifest. Computes nothing.
pub fn merge(dirs: &[PathBuf], progress: &Progress) -> Result<StudyReport> {
    let first = dirs.first().ok_or_else(|| EngramError::InvalidParameter {
        name: "dirs",
        value: "none".into(),
        allowed: "at least one study directory",
    })?;
    let config_path = first.join("config.toml");
    let (cfg, text) = load_config(&config_path)?;
    let quick = std::fs::read_to_string(first.join(".quick")).is_ok();
    let store = PointStore::new(first)?;
    for d in &dirs[1..] {
        store.import(d)?;
    }
    let out = first.parent().unwrap_or(Path::new(".")).to_path_buf();
    if first.file_name().map(|n| n.to_string_lossy().into_owned()) != Some(cfg.study.name.clone()) {
        return Err(EngramError::Io(format!(
            "{} does not hold study '{}' (directory name differs)",
            first.display(),
            cfg.study.name
        )));
    }
    let schedule = Schedule {
        resume: true,
        shard: None,
        assemble_only: true,
    };
    execute(&cfg, &text, &config_path, &out, schedule, quick, progress)
}

fn execute(
    cfg: &StudyConfig,
    text: &str,
    config_path: &Path,
    out: &Path,
    schedule: Schedule,
    quick: bool,
    progress: &Progress,
) -> Result<StudyReport> {
    let dir = out.join(&cfg.study.name);
    create_dir(&dir)?;
    let store = PointStore::new(&dir)?;
    if !schedule.resume && !schedule.assemble_only && schedule.shard.is_none() {
        store.clear()?;
    }
    // keep the config beside the results: `engram plot` and `engram merge` read it
    if config_path != dir.join("config.toml") {
        write_atomic(&dir.join("config.toml"), text.as_bytes())?;
    }
    let quick_marker = dir.join(".quick");
    if quick {
        write_atomic(&quick_marker, b"quick\n")?;
    } else if !schedule.assemble_only {
        let _ = std::fs::remove_file(&quick_marker);
    }
    let started = Instant::now();
    let mut timings = Vec::new();
    let t0 = Instant::now();
    let study = cfg.model.study();
    let cx = Context {
        dir: &dir,
        schedule,
        quick,
        progress,
    };
    let mut files = study.run(&cx)?;
    timings.push(("compute".to_string(), t0.elapsed().as_secs_f64()));
    if let Some((i, n)) = schedule.shard {
        let marker = dir.join(format!("shard-{i}-of-{n}.done"));
        write_atomic(&marker, b"done\n")?;
        files.push(marker);
        return Ok(StudyReport { dir, files });
    }
    let t1 = Instant::now();
    files.extend(render_study(&dir)?);
    timings.push(("figures".to_string(), t1.elapsed().as_secs_f64()));
    let seed = study.seed();
    let mut manifest = Manifest::new(text, config_path, started.elapsed().as_secs_f64(), timings);
    manifest.seed = seed;
    manifest.quick = quick;
    let path = dir.join("manifest.json");
    write_atomic(&path, manifest.to_json().as_bytes())?;
    files.push(path);
    Ok(StudyReport { dir, files })
}

/// Re-render a study's figures from its CSV files and `config.toml` (no recomputation).
pub fn render_study(dir: &Path) -> Result<Vec<PathBuf>> {
    let (cfg, _) = load_config(&dir.join("config.toml"))?;
    cfg.model.study().render(dir)
}
