//! Studies from config files (SPEC §11 `engram run`): parse a TOML study, run its theory and
//! simulation sweeps, write tidy CSV, figures and a manifest under `results/<study>/`,
//! atomically; resume interrupted runs, split them into shards, merge shards, re-render
//! figures from the CSV files.
//!
//! Study kinds (exactly one section per config): `[phase_diagram]` (SPEC §5),
//! `[dam_simulation]` (SPEC §3, §6, §10), `[idp_noise]` and `[idp_sequence]` (SPEC §8),
//! `[hopfield_classic]`, `[diffusion]` and `[two_group]` (SPEC §9).
//! Adding a model's study: a config section in [`config`], a `run` function that writes
//! theory.csv / simulation.csv through [`points::run_points`], and a `render` function that
//! reads them back; then one line in [`run_study`] and one in [`render_study`].

pub mod config;
pub mod dam_study;
pub mod idp_study;
pub mod kh_study;
mod output;
mod phase_diagram;
pub mod points;
pub mod table;

pub use config::{load_config, parse_config, StudyConfig};
pub use output::{write_atomic, Manifest};
pub use phase_diagram::{phase_diagram_rows, render_phase_diagram, PhaseDiagramRow};
pub use points::Schedule;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::error::{EngramError, Result};

/// Progress callbacks for long studies (the CLI shows a bar; the library never prints).
#[derive(Default)]
pub struct Progress {
    total: AtomicU64,
    done: AtomicU64,
    on_change: Option<Box<dyn Fn(u64, u64) + Send + Sync>>,
}

impl Progress {
    /// A progress reporter calling `f(done, total)` on every change.
    pub fn new(f: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        Progress {
            on_change: Some(Box::new(f)),
            ..Default::default()
        }
    }
    /// Announce more work.
    pub fn add(&self, n: u64) {
        let t = self.total.fetch_add(n, Ordering::Relaxed) + n;
        if let Some(f) = &self.on_change {
            f(self.done.load(Ordering::Relaxed), t);
        }
    }
    /// One unit done.
    pub fn inc(&self) {
        let d = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(f) = &self.on_change {
            f(d, self.total.load(Ordering::Relaxed));
        }
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
    /// Directory results/<study>.
    pub dir: PathBuf,
    /// Files written, in order.
    pub files: Vec<PathBuf>,
}

fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| EngramError::Io(format!("cannot create {}: {e}", dir.display())))
}

/// Parse a shard spec "i/n" (0 ≤ i < n).
pub fn parse_shard(s: &str) -> Result<(usize, usize)> {
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
    let store = points::PointStore::new(first)?;
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
    let store = points::PointStore::new(&dir)?;
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
    let mut files = if let Some(pd) = &cfg.phase_diagram {
        let rows = phase_diagram_rows(&pd.ensembles, pd.lambda.values(), pd.rho.0)?;
        let path = dir.join("theory.csv");
        write_atomic(&path, &PhaseDiagramRow::to_csv(&rows)?)?;
        vec![path]
    } else if let Some(d) = &cfg.dam_simulation {
        dam_study::run(d, &dir, schedule, quick, progress)?
    } else if let Some(n) = &cfg.idp_noise {
        idp_study::run_noise(n, &dir, schedule, quick, progress)?
    } else if let Some(s) = &cfg.idp_sequence {
        idp_study::run_sequence_study(s, &dir, schedule, quick, progress)?
    } else if let Some(h) = &cfg.hopfield_classic {
        kh_study::run_hopfield(h, &dir, schedule, quick, progress)?
    } else if let Some(d) = &cfg.diffusion {
        kh_study::run_diffusion(d, &dir, schedule, quick, progress)?
    } else if let Some(t) = &cfg.two_group {
        kh_study::run_two_group(t, &dir, schedule, quick, progress)?
    } else {
        vec![]
    };
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
    let seed = cfg
        .dam_simulation
        .as_ref()
        .map(|d| d.seed)
        .or_else(|| {
            cfg.idp_noise
                .as_ref()
                .and_then(|n| n.simulate.as_ref().map(|s| s.seed))
        })
        .or_else(|| {
            cfg.idp_sequence
                .as_ref()
                .and_then(|n| n.simulate.as_ref().map(|s| s.seed))
        });
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
    if let Some(pd) = &cfg.phase_diagram {
        render_phase_diagram(pd, dir)
    } else if let Some(d) = &cfg.dam_simulation {
        dam_study::render(d, dir)
    } else if let Some(n) = &cfg.idp_noise {
        idp_study::render_noise(n, dir)
    } else if let Some(s) = &cfg.idp_sequence {
        idp_study::render_sequence(s, dir)
    } else if let Some(h) = &cfg.hopfield_classic {
        kh_study::render_hopfield(h, dir)
    } else if let Some(d) = &cfg.diffusion {
        kh_study::render_diffusion(d, dir)
    } else if let Some(t) = &cfg.two_group {
        kh_study::render_two_group(t, dir)
    } else {
        Ok(vec![])
    }
}
