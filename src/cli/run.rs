//! `engram run`, `engram merge`, `engram plot`: studies from config files.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use indicatif::ProgressBar;

use engram::study::{Progress, RunOptions};

/// `engram run CONFIG.toml [--out DIR] [--resume | --force] [--shard i/n] [--quick]`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Study config (TOML), e.g. configs/phase_diagram.toml.
    pub config: PathBuf,
    /// Results root; the study writes into DIR/<study name>/ [default: results, or
    /// results/quick with --quick]. A directory holding results is never replaced unasked:
    /// continue it with --resume or replace it with --force.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Reuse the simulation points an interrupted (or extended) run already finished.
    #[arg(long, conflicts_with = "force")]
    pub resume: bool,
    /// Replace the results the study directory holds (finished points, CSV, figures).
    #[arg(long)]
    pub force: bool,
    /// Run only shard i of n (0-based, e.g. 3/8), or `slurm`: the shard of this SLURM array task
    /// (from SLURM_ARRAY_TASK_ID/MIN/MAX/COUNT, 0- or 1-based arrays); join with `engram merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Reduced sizes (fewer samples, points and smaller N), for CI and smoke tests.
    #[arg(long)]
    pub quick: bool,
}

/// `engram merge DIR [DIR...]`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Study directories of the shards; the first (results/<study>) receives the merged
    /// results. Shards that wrote into the same directory need only that one. A quoted glob
    /// ('shards/*/validation') is expanded here, in sorted order.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
}

/// `engram plot DIR`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// A study directory (results/<study>) holding config.toml and its CSV files.
    pub dir: PathBuf,
}

fn progress() -> (Progress, Arc<ProgressBar>) {
    let pb = Arc::new(super::common::progress_bar(0));
    let p2 = pb.clone();
    let p3 = pb.clone();
    let p = Progress::new(move |done, total| {
        p2.set_length(total);
        p2.set_position(done);
    })
    .with_warn(move |m| p3.suspend(|| eprintln!("warning: {m}")));
    (p, pb)
}

pub fn run(args: RunArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let shard = args
        .shard
        .as_deref()
        .map(engram::study::parse_shard)
        .transpose()?;
    let (p, pb) = progress();
    let opts = RunOptions {
        resume: args.resume,
        shard,
        quick: args.quick,
        force: args.force,
    };
    let root = args.out.unwrap_or_else(|| {
        PathBuf::from(if args.quick {
            "results/quick"
        } else {
            "results"
        })
    });
    let report = engram::study::run_study(&args.config, &root, opts, &p);
    pb.finish_and_clear();
    for f in &report?.files {
        writeln!(out, "wrote {}", f.display())?;
    }
    Ok(())
}

/// Expand arguments holding glob characters (sorted); others pass unchanged. A glob that
/// matches nothing is an error.
fn expand_globs(dirs: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for d in dirs {
        let s = d.to_string_lossy();
        if !s.contains(['*', '?', '[']) {
            out.push(d.clone());
            continue;
        }
        let mut m: Vec<PathBuf> = glob::glob(&s)
            .map_err(|e| anyhow::anyhow!("invalid glob '{s}': {e}"))?
            .filter_map(|p| p.ok())
            .filter(|p| p.is_dir())
            .collect();
        if m.is_empty() {
            anyhow::bail!("invalid glob '{s}': it matches no directory");
        }
        m.sort();
        out.extend(m);
    }
    Ok(out)
}

pub fn merge(args: MergeArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let dirs = expand_globs(&args.dirs)?;
    let (p, pb) = progress();
    let report = engram::study::merge(&dirs, &p);
    pb.finish_and_clear();
    for f in &report?.files {
        writeln!(out, "wrote {}", f.display())?;
    }
    Ok(())
}

pub fn plot(args: PlotArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    for f in engram::study::render_study(&args.dir)? {
        writeln!(out, "wrote {}", f.display())?;
    }
    Ok(())
}
