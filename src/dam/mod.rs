//! Dense associative memory (modern Hopfield network), docs/theory.md#dam to #scaled.
//!
//! - [`theory`]: α₁, λ_c, the α_c lower bound by failure channel, basins, scaled regime, all
//!   through the generic ensemble path;
//! - [`closed_form`]: the gaussian and spherical closed forms of docs/theory.md#rem to #scaled, which the tests use
//!   as independent references for the generic path;
//! - [`params`]: what both simulator engines share: a point's parameters, its start, the batch
//!   layout, what one trajectory measures;
//! - [`sim`]: the single-target engine, one retrieval target per pattern store;
//! - [`batch`]: the K-target engine (attention-shaped), f16/i8 stores, planted target norms;
//! - [`kernel`]: both engines' kernels (the streaming pass, the tile micro-kernel, the online
//!   softmax) and their shared step tail;
//! - [`summary`]: one point through either engine, summarised (cluster-robust over stores);
//! - [`fss`]: the finite-size analysis (finite-N REM, crossings, weight thresholds, fits);
//! - [`table`]: the DAM tables as typed CSV rows.

pub mod batch;
pub mod closed_form;
pub mod energy;
pub mod fss;
pub mod kernel;
pub mod params;
pub mod sim;
pub mod summary;
pub mod table;
pub mod theory;

pub use theory::{AlphaC, Basin, Channel, DamTheory, ScaledThresholds, Thresholds};
