//! # engram
//!
//! Statistical-mechanics theory and Monte-Carlo simulation of associative memories.
//! The library is organised by model: [`dam`], [`idp`], [`hopfield`], [`two_group`],
//! [`diffusion`], each a folder; below them the shared pieces ([`ensembles`], [`rem`],
//! [`numerics`], [`stats`], [`sweep`]); above them [`study`] (config-driven studies), [`plot`]
//! and [`io`]. The `engram` binary is a thin layer over it.
//!
//! | SPEC section | module |
//! |---|---|
//! | §1 pattern ensembles (Λ_r, I_r, norm law) | [`ensembles`], generic Legendre path in [`ensembles::legendre`] |
//! | §2 auxiliary REM: φ, phases, u*, u_max, λ_* | [`rem`] |
//! | §3 α₁(λ) and λ_c(α) | [`dam::DamTheory::alpha_1`], [`dam::DamTheory::lambda_c`] |
//! | §4 α_c lower bound, channels | [`dam::DamTheory::alpha_c`] |
//! | §5 phase diagram | [`study`] (sweeps to CSV) |
//! | §6 basins m_c | [`dam::DamTheory::basin`] |
//! | §7 scaled dot-product regime (tentative) | [`dam::DamTheory::scaled`] |
//! | §8 IDP network: Ψ_σ, m*, α_exist, α_stab | [`idp::activation`], [`idp::fixed_point`] |
//! | §8 sequential map, collapse, dwell | [`idp::sequence`] |
//! | §8 reduced dynamics, energy | [`idp::reduced`], [`idp::energy`] |
//! | §8, §10 IDP simulator (SDE, two-timescale) | [`idp::sim`] |
//! | §9 classic / polynomial / exponential binary Hopfield networks | [`hopfield`] |
//! | §9 Krotov–Hopfield two-group network, effective model | [`two_group`] |
//! | §9 diffusion on a finite pattern set, exact score, reverse SDE | [`diffusion`] |
//! | §10 DAM simulator: single target | [`dam::sim`] |
//! | §10 DAM simulator: K targets per store (attention-shaped tiles, f16/i8 stores, planted norms) | [`dam::batch`], [`dam::kernel`] |
//! | §11 parameter lists and ranges | [`sweep`] |
//! | §11 studies from config files (one file per study kind, trait [`study::Study`]) | [`study`] |
//! | results files: atomic writes, CSV, point store, manifest | [`io`] |
//! | figures | [`plot`] |
//!
//! ```
//! use engram::dam::DamTheory;
//! use engram::ensembles::Gaussian;
//! let theory = DamTheory::new(&Gaussian).unwrap();
//! let (alpha_1, _phase) = theory.alpha_1(0.5).unwrap();
//! assert!((alpha_1 - 0.375).abs() < 1e-12);
//! ```
//!
//! Physics modules never print or touch files; [`study`] writes results, the CLI prints.

pub mod dam;
pub mod diffusion;
pub mod ensembles;
pub mod error;
pub mod hopfield;
pub mod idp;
pub mod io;
pub mod numerics;
pub mod plot;
pub mod rem;
pub mod stats;
pub mod study;
pub mod sweep;
pub mod two_group;

pub use error::{EngramError, Result};
