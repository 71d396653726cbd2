//! Pieces every command module shares: the ensemble flag, CSV output, parallel rows, the
//! progress bar. Command modules use this one; it uses none of them.

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use engram::ensembles::EnsembleKind;

/// Pattern ensemble selection.
#[derive(Debug, Args)]
pub struct EnsembleArg {
    /// Pattern ensemble: gaussian (ξ_i ~ N(0,1)), spherical (uniform on the sphere of radius
    /// √N), binary (ξ_i = ±1), or i.i.d. components from a standardised marginal: uniform,
    /// laplace (simulation only), ternary:F (sparsity F), iid:V1,V2,..:W1,W2,.. (values and
    /// weights); docs/theory.md#iid; or hidden-manifold patterns hmm:ACTIVATION:ALPHA_D
    /// (activation linear, relu, tanh or sign; latent dimension D = ALPHA_D·N);
    /// docs/theory.md#hidden-manifold.
    #[arg(long, value_name = "E")]
    pub ensemble: EnsembleKind,
}

/// Number formatting shared with the library (shortest round-trip, scientific for tiny values).
pub fn fmt(x: f64) -> String {
    engram::stats::fmt_num(x)
}

/// Write typed rows as CSV (header derived from the row type).
pub fn write_rows<R: serde::Serialize + serde::de::DeserializeOwned>(
    out: &mut dyn std::io::Write,
    rows: &[R],
) -> anyhow::Result<()> {
    out.write_all(&engram::io::rows::to_csv(rows)?)?;
    out.flush()?;
    Ok(())
}

/// A progress bar on stderr over all samples of all points; hidden when stderr is not a terminal.
pub fn progress_bar(total: u64) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} samples ({per_sec}, eta {eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    pb
}
