//! Command-line layer: clap definitions and CSV printing. Everything it computes comes from
//! the library; docs/guide.md lists every command with its columns.

mod common;
mod dam;
mod diffusion;
mod hopfield;
mod idp;
mod run;
mod two_group;

use clap::{Parser, Subcommand};

pub use dam::DamCommand;

/// engram: theory and simulation of associative memories — dense associative memories /
/// modern Hopfield networks with P = e^{αN} patterns, the input-driven plasticity (IDP)
/// Hopfield network, the Krotov–Hopfield two-group network, classic Hopfield and diffusion
/// models on finite pattern sets.
///
/// Symbols (`dam`): α = load (P = e^{αN} patterns of N components), λ = inverse temperature of
/// the softmax (energy E = −(1/λ) log Σ_μ e^{λ ξ^μ·x} + ½‖x‖²), r = ‖x‖²/N the squared norm per
/// component of the configuration. In `idp`, α_μ is a saliency; in `hopfield-classic`,
/// α = P/N. Lists: `a,b,c` or `from:to:points` (inclusive, linear).
/// Query commands print CSV (header + one row per point) to stdout.
#[derive(Debug, Parser)]
#[command(name = "engram", version, about, long_about)]
pub struct Cli {
    /// Worker threads for sweeps (default: all cores; at most 8 × the cores).
    #[arg(long, global = true, allow_hyphen_values = true, value_parser = parse_threads)]
    pub threads: Option<usize>,
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a whole study from a config file (configs/*.toml): theory, simulation, CSV, PNG and
    /// SVG figures and a manifest in results/<study>/. Resumable (--resume), shardable (--shard).
    Run(run::RunArgs),
    /// Join the shards of a study (`engram run --shard i/n`) and write its CSV and figures.
    Merge(run::MergeArgs),
    /// Re-render a study's figures from its CSV files (no recomputation).
    Plot(run::PlotArgs),
    /// Dense associative memories: theory (docs/theory.md#dam to #scaled) and Monte-Carlo simulation (docs/theory.md#simulator).
    #[command(subcommand)]
    Dam(DamCommand),
    /// Input-driven plasticity Hopfield network: fixed points, noise thresholds, the
    /// sequential-retrieval map, and its N-neuron simulation (docs/theory.md#idp).
    #[command(subcommand)]
    Idp(idp::IdpCommand),
    /// Binary networks with F-interactions: classic Hopfield (RS theory, α_c = 0.138),
    /// polynomial and exponential DAMs, exact asynchronous dynamics (docs/theory.md#hopfield).
    #[command(subcommand)]
    HopfieldClassic(hopfield::HopfieldCommand),
    /// Krotov–Hopfield two-group network (feature + hidden neurons) against its effective
    /// model (docs/theory.md#two-group).
    #[command(subcommand)]
    Kh(two_group::KhCommand),
    /// Diffusion models on a finite pattern set: reverse SDE with the exact score and the
    /// DAM / REM correspondence (docs/theory.md#diffusion).
    #[command(subcommand)]
    Diffusion(diffusion::DiffusionCommand),
}

/// Most worker threads per core: more only adds switching (100 000 threads turned a 10 ms query
/// into minutes).
const MAX_THREADS_PER_CORE: usize = 8;

fn parse_threads(s: &str) -> Result<usize, String> {
    match s.trim().parse::<i64>() {
        Ok(t) if t >= 1 => Ok(t as usize),
        Ok(t) => Err(format!(
            "{t} is not a thread count: expected a whole number >= 1"
        )),
        Err(_) => Err(format!(
            "'{s}' is not a thread count: expected a whole number >= 1"
        )),
    }
}

/// Execute a parsed command line; CSV goes to `out`.
pub fn execute(cli: Cli, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    if let Some(mut t) = cli.threads {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let cap = MAX_THREADS_PER_CORE * cores;
        if t > cap {
            eprintln!(
                "warning: --threads {t} is above {MAX_THREADS_PER_CORE} x the {cores} cores; using {cap}"
            );
            t = cap;
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build_global()
            .ok();
    }
    match cli.command {
        Command::Run(args) => run::run(args, out),
        Command::Merge(args) => run::merge(args, out),
        Command::Plot(args) => run::plot(args, out),
        Command::Dam(cmd) => dam::run(cmd, out),
        Command::Idp(cmd) => idp::run(cmd, out),
        Command::HopfieldClassic(cmd) => hopfield::run_hopfield(cmd, out),
        Command::Kh(cmd) => two_group::run_kh(cmd, out),
        Command::Diffusion(cmd) => diffusion::run_diffusion(cmd, out),
    }
}
