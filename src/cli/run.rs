use std::path::PathBuf;

use clap::Args;

/// `engram run CONFIG.toml [--out DIR]`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Study config (TOML), e.g. configs/phase_diagram.toml.
    pub config: PathBuf,
    /// Results root; the study writes into DIR/<study name>/.
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
}

pub fn run(args: RunArgs, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let report = engram::study::run_study(&args.config, &args.out)?;
    for f in &report.files {
        writeln!(out, "wrote {}", f.display())?;
    }
    Ok(())
}
