//! The input-driven plasticity (IDP) Hopfield network (docs/theory.md#idp): activations and their
//! noise-smoothed forms, fixed points and thresholds, the reduced overlap dynamics, the
//! two-timescale sequential-retrieval map, the energy, and the N-neuron simulator.
//!
//! Here α_μ is a **saliency** (ξ_μ·u/N), not the DAM load of docs/theory.md#dam to #scaled.

pub mod activation;
pub mod energy;
pub mod fixed_point;
pub mod reduced;
pub mod sequence;
pub mod sim;
pub mod table;

pub use activation::{parse_activation, Activation};
pub use fixed_point::{alpha_exist, m_star, memory_fixed_point, sigma_exist, MemoryFixedPoint};
pub use sequence::{Regime, SequenceMap};
