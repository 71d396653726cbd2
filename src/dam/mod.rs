//! Dense associative memory (modern Hopfield network), SPEC §1–§7.
//!
//! - [`theory`]: α₁, λ_c, the α_c lower bound by failure channel, basins, scaled regime, all
//!   through the generic ensemble path;
//! - [`closed_form`]: the gaussian and spherical closed forms of SPEC §2–§7, which the tests use
//!   as independent references for the generic path.

pub mod batch;
pub mod closed_form;
pub mod kernel;
pub mod sim;
pub mod sim_table;
pub mod theory;

pub use theory::{AlphaC, Basin, Channel, DamTheory, ScaledThresholds, Thresholds};
