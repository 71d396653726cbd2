//! Dense associative memory (modern Hopfield network), docs/theory.md#dam to #scaled.
//!
//! - [`theory`]: α₁, λ_c, the α_c lower bound by failure channel, basins, scaled regime, all
//!   through the generic ensemble path;
//! - [`closed_form`]: the gaussian and spherical closed forms of docs/theory.md#rem to #scaled, which the tests use
//!   as independent references for the generic path;
//! - [`sim`]: the Monte-Carlo simulator, one retrieval target per pattern store (README, Simulator);
//! - [`batch`]: K targets per store (attention-shaped), f16/i8 stores, planted target norms,
//!   cluster-robust summaries; [`kernel`]: its tile kernels;
//! - [`sim_table`]: the CSV row of a simulated point with the theory beside it.

pub mod batch;
pub mod closed_form;
pub mod fss;
pub mod kernel;
pub mod sim;
pub mod sim_table;
pub mod theory;

pub use theory::{AlphaC, Basin, Channel, DamTheory, ScaledThresholds, Thresholds};
