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
pub mod fss_figure;
pub mod hopfield;
pub mod idp;
pub mod phase_diagram;
pub mod two_group;
pub mod validation;
pub mod values;

pub use crate::io::{write_atomic, Manifest, Progress, Schedule};
pub use config::{load_config, parse_config, ModelSection, StudyConfig};
pub use phase_diagram::{phase_diagram_rows, render_phase_diagram, PhaseDiagramRow};

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::error::{EngramError, Result};
use crate::io::PointStore;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// What the driver hands a study when it runs.
pub struct Context<'a> {
    /// The study directory `results/<study>/` (exists).
    pub dir: &'a Path,
    /// Resume, shard or assemble-only.
    pub schedule: Schedule,
    /// Reduced sizes (CI).
    pub quick: bool,
    /// Progress callbacks.
    pub progress: &'a Progress,
    /// Called by [`drive`] with the store and this run's point keys before any point is
    /// computed: refuses a run that would destroy results it was not asked to replace, then
    /// prepares the directory (the driver's [`begin`]).
    pub begin: &'a dyn Fn(&PointStore, &[String]) -> Result<()>,
}

/// One study kind (the problem, in argmin's terms): its config section says what its points
/// are, how to compute one point into rows, how to assemble the rows into the study's CSV
/// files, and how to draw them. It knows nothing of resume, shards, progress totals or the
/// manifest: the driver ([`drive`]) owns the point loop, like argmin's `Executor::run` over
/// `Solver::next_iter`.
pub trait Study: Sync {
    /// One point's settings: everything that changes its result. Serialised (JSON) into the
    /// versioned resume key ([`crate::io::points::key_line`]).
    type Point: Serialize + Sync;
    /// One row of the point's result (a typed CSV row, [`crate::io::rows`]).
    type Row: Serialize + DeserializeOwned + Send;
    /// Checks beyond the types of the section's keys; `origin` names the config file in errors.
    fn validate(&self, _origin: &str) -> Result<()> {
        Ok(())
    }
    /// The points of this run, in a fixed order (after `--quick` thinning), validated.
    fn points(&self, quick: bool) -> Result<Vec<Self::Point>>;
    /// Progress units of one point (default 1).
    fn units(&self, _point: &Self::Point) -> u64 {
        1
    }
    /// Compute one point (may use every thread); `progress.inc()` once per unit.
    fn compute(&self, point: &Self::Point, progress: &Progress) -> Result<Vec<Self::Row>>;
    /// Write the study's CSV files into `dir` from the rows of all points (in point order),
    /// adding what needs no simulation (theory curves, fits). Returns the files written.
    fn assemble(&self, rows: Vec<Self::Row>, dir: &Path, quick: bool) -> Result<Vec<PathBuf>>;
    /// Draw the figures from the CSV files in `dir` (no recomputation).
    fn render(&self, dir: &Path) -> Result<Vec<PathBuf>>;
    /// Seed of the simulation streams, if the study simulates (reported in the manifest).
    fn seed(&self) -> Option<u64> {
        None
    }
}

/// The driver's loop over one study's points: keys, the point store, resume, shards,
/// progress, then assembly. Returns the files written (none for a shard).
pub fn drive<S: Study>(study: &S, kind: &str, cx: &Context) -> Result<Vec<PathBuf>> {
    let points = study.points(cx.quick)?;
    let keys = points
        .iter()
        .map(|p| crate::io::points::key_line(kind, p))
        .collect::<Result<Vec<_>>>()?;
    let store = PointStore::new(cx.dir)?;
    (cx.begin)(&store, &keys)?;
    let mine = |k: usize| cx.schedule.shard.is_none_or(|(i, n)| k % n == i);
    let units: u64 = (0..points.len())
        .filter(|&k| mine(k))
        .map(|k| study.units(&points[k]))
        .sum();
    if !cx.schedule.assemble_only {
        cx.progress.add(units);
    }
    let warn = |m: &str| cx.progress.warn(m);
    let rows = crate::io::points::run_points(&store, &keys, cx.schedule, &warn, |k| {
        study.compute(&points[k], cx.progress)
    })?;
    match rows {
        None => Ok(vec![]),
        Some(rows) => study.assemble(rows, cx.dir, cx.quick),
    }
}

/// Write a study's CSV tables (name, bytes) into `dir`, atomically, in order; the paths.
pub fn write_tables(dir: &Path, tables: Vec<(&str, Vec<u8>)>) -> Result<Vec<PathBuf>> {
    tables
        .into_iter()
        .map(|(name, bytes)| {
            let path = dir.join(name);
            write_atomic(&path, &bytes)?;
            Ok(path)
        })
        .collect()
}

/// The object-safe face of a [`Study`] that the config's section enum hands out.
pub trait DynStudy {
    /// [`Study::validate`].
    fn validate(&self, origin: &str) -> Result<()>;
    /// [`drive`] this study.
    fn run(&self, kind: &str, cx: &Context) -> Result<Vec<PathBuf>>;
    /// [`Study::render`].
    fn render(&self, dir: &Path) -> Result<Vec<PathBuf>>;
    /// [`Study::seed`].
    fn seed(&self) -> Option<u64>;
    /// The number of points a run would compute ([`Study::points`], validated), computing
    /// nothing: what a dry run or a fuzzer checks.
    fn plan(&self, quick: bool) -> Result<usize>;
}

impl<S: Study> DynStudy for S {
    fn validate(&self, origin: &str) -> Result<()> {
        Study::validate(self, origin)
    }
    fn run(&self, kind: &str, cx: &Context) -> Result<Vec<PathBuf>> {
        drive(self, kind, cx)
    }
    fn render(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        Study::render(self, dir)
    }
    fn seed(&self) -> Option<u64> {
        Study::seed(self)
    }
    fn plan(&self, quick: bool) -> Result<usize> {
        Ok(Study::points(self, quick)?.len())
    }
}

/// A theory curve row shared by several studies' theory.csv: a named quantity against α.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct CurveRow {
    /// The quantity's name.
    pub quantity: String,
    /// Load α.
    pub alpha: f64,
    /// Its value.
    pub value: f64,
}

impl CurveRow {
    /// A row.
    pub fn new(quantity: &str, alpha: f64, value: f64) -> Self {
        CurveRow {
            quantity: quantity.into(),
            alpha,
            value,
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
    /// Replace whatever the study directory holds (finished points, CSV, manifest).
    pub force: bool,
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
    execute(&cfg, &text, config_path, out, schedule, opts, progress)
}

/// Refuse a run that would destroy results it was not asked to replace (`--force` lifts both):
/// - a run into a directory holding results of the other size (`--quick` into a full run or
///   the reverse), whose CSV and figures it would replace, even with `--resume`;
/// - without `--resume` (and not a shard), a directory holding finished points of another
///   configuration (`foreign`). Points of this configuration are recomputed in place, to the
///   same result; with `--resume` the others are kept, since point files are named by key.
fn guard(dir: &Path, store: &PointStore, keys: &[String], opts: RunOptions) -> Result<()> {
    if opts.force {
        return Ok(());
    }
    let points = store.count();
    let complete = dir.join("manifest.json").is_file();
    let quick = dir.join(".quick").is_file();
    let what = |q: bool| if q { "a --quick run" } else { "a full run" };
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    if (points > 0 || complete) && quick != opts.quick {
        return Err(EngramError::Refused(format!(
            "{} holds the {}results of {} ({points} finished point{}); this is {}, which would \
             replace its CSV and figures (--resume continues only a run of the same size): \
             write elsewhere with --out DIR, or replace it with --force",
            dir.display(),
            if complete { "" } else { "unfinished " },
            what(quick),
            plural(points),
            what(opts.quick)
        )));
    }
    let foreign = store.foreign(keys);
    if foreign > 0 && !opts.resume && opts.shard.is_none() {
        return Err(EngramError::Refused(format!(
            "{} holds {foreign} finished point{} of another configuration; keep them and add \
             this configuration's with --resume, replace them with --force, or write elsewhere \
             with --out DIR",
            dir.display(),
            plural(foreign)
        )));
    }
    Ok(())
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
        // a shard run with another config holds points of other keys: say which line differs
        if let Ok(other) = std::fs::read_to_string(d.join("config.toml")) {
            if other != text {
                let (i, a, b) = text
                    .lines()
                    .chain(std::iter::repeat(""))
                    .zip(other.lines().chain(std::iter::repeat("")))
                    .enumerate()
                    .find(|(_, (a, b))| a != b)
                    .map(|(i, (a, b))| (i + 1, a, b))
                    .unwrap_or((0, "", ""));
                return Err(EngramError::Config(format!(
                    "{} ran with another config than {}: line {i} reads '{}' there and '{}' here; \
                     rerun that shard with {}",
                    d.display(),
                    config_path.display(),
                    b.trim(),
                    a.trim(),
                    config_path.display()
                )));
            }
        }
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
    let opts = RunOptions {
        resume: true,
        quick,
        ..Default::default()
    };
    execute(&cfg, &text, &config_path, &out, schedule, opts, progress)
}

fn execute(
    cfg: &StudyConfig,
    text: &str,
    config_path: &Path,
    out: &Path,
    schedule: Schedule,
    opts: RunOptions,
    progress: &Progress,
) -> Result<StudyReport> {
    let quick = opts.quick;
    let dir = out.join(&cfg.study.name);
    create_dir(&dir)?;
    let manifest_path = dir.join("manifest.json");
    let begin = |store: &PointStore, keys: &[String]| -> Result<()> {
        if schedule.assemble_only {
            return Ok(());
        }
        guard(&dir, store, keys, opts)?;
        if opts.force && schedule.shard.is_none() {
            store.clear()?;
        }
        // The order of writes keeps the directory readable at every instant: the manifest
        // goes first (from here the directory is an unfinished study, resumable with
        // --resume), then the config, the points, the CSV and figures, the manifest last.
        if schedule.shard.is_none() && manifest_path.exists() {
            std::fs::remove_file(&manifest_path).map_err(|e| {
                EngramError::Io(format!("cannot remove {}: {e}", manifest_path.display()))
            })?;
        }
        // keep the config beside the results: `engram plot` and `engram merge` read it
        if config_path != dir.join("config.toml") {
            write_atomic(&dir.join("config.toml"), text.as_bytes())?;
        }
        let quick_marker = dir.join(".quick");
        if quick {
            write_atomic(&quick_marker, b"quick\n")?;
        } else if quick_marker.exists() {
            std::fs::remove_file(&quick_marker).map_err(|e| {
                EngramError::Io(format!("cannot remove {}: {e}", quick_marker.display()))
            })?;
        }
        Ok(())
    };
    let started = Instant::now();
    let mut timings = Vec::new();
    let t0 = Instant::now();
    let study = cfg.model.study();
    let cx = Context {
        dir: &dir,
        schedule,
        quick,
        progress,
        begin: &begin,
    };
    let mut files = study
        .run(cfg.model.key(), &cx)
        .map_err(|e| locate(e, config_path, text))?;
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
    write_atomic(&manifest_path, manifest.to_json().as_bytes())?;
    files.push(manifest_path);
    Ok(StudyReport { dir, files })
}

/// A parameter error found after parsing (a value out of its domain, a bad list) gets the
/// config file and the line of its key, as parse errors have: `file:line: key 'k': …`. The
/// key is the parameter's name, or the line holding the offending list text; errors of the
/// run itself (I/O, refusals) pass unchanged.
fn locate(e: EngramError, path: &Path, text: &str) -> EngramError {
    let line_of = |pred: &dyn Fn(&str) -> bool| {
        text.lines()
            .position(|l| {
                let t = l.trim_start();
                !t.starts_with('#') && pred(t)
            })
            .map(|i| i + 1)
    };
    let file = path.display();
    match &e {
        EngramError::InvalidParameter { name, .. } => {
            let key = |t: &str| {
                t.strip_prefix(*name)
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
            };
            match line_of(&key) {
                Some(l) => EngramError::Config(format!("{file}:{l}: key '{name}': {e}")),
                None => EngramError::Config(format!("{file}: {e}")),
            }
        }
        EngramError::BadList { input, .. } => {
            let holds = |t: &str| t.contains(&format!("\"{input}\""));
            match line_of(&holds) {
                Some(l) => EngramError::Config(format!("{file}:{l}: {e}")),
                None => EngramError::Config(format!("{file}: {e}")),
            }
        }
        EngramError::NoConvergence { .. } | EngramError::OutOfMemory { .. } => {
            EngramError::Config(format!("{file}: {e}"))
        }
        _ => e,
    }
}

/// Re-render a study's figures from its CSV files and `config.toml` (no recomputation).
pub fn render_study(dir: &Path) -> Result<Vec<PathBuf>> {
    let (cfg, _) = load_config(&dir.join("config.toml"))?;
    cfg.model.study().render(dir)
}

/// A label as a file-name stem: every character outside `[A-Za-z0-9._-]` becomes `_` (an i.i.d.
/// ensemble's name holds `:` and `,`).
pub(crate) fn file_stem(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}
