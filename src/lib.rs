//! # engram
//!
//! Statistical-mechanics theory and Monte-Carlo simulation of associative memories.
//! The library is organised by model: [`dam`], [`idp`], [`hopfield`], [`two_group`],
//! [`diffusion`], each a folder; below them the shared pieces ([`ensembles`], [`rem`],
//! [`numerics`], [`stats`], [`sweep`]); above them [`study`] (config-driven studies), [`plot`]
//! and [`io`]. The `engram` binary is a thin layer over it.
//!
//! The physics, with derivations and the status of every result, is in `docs/theory.md` of the
//! repository (section numbers below refer to it); `docs/reproduce.md` maps each published figure
//! to its command.
//!
//! | concept (docs/theory.md) | module |
//! |---|---|
//! | §1 dense associative memory: energy, descent, retrieval | [`dam`] |
//! | §2 pattern ensembles (Λ_r, I_r, norm law), generic Legendre path | [`ensembles`], [`ensembles::legendre`] |
//! | §3 auxiliary REM: φ, phases, u*, u_max, λ_* | [`rem`] |
//! | §4 α₁(λ), λ_c(α), failure load α_f(λ; ρ) | [`dam::DamTheory::alpha_1`], [`dam::DamTheory::lambda_c`], [`dam::DamTheory::failure_load`] |
//! | §5 α_c lower bound, channels, failing norm ρ_f(α) | [`dam::DamTheory::alpha_c`], [`dam::DamTheory::failure_norm`] |
//! | §6 phase diagram | [`study::phase_diagram`] |
//! | §7 basins m_c | [`dam::DamTheory::basin`] |
//! | §8 scaled dot-product regime (tentative) | [`dam::DamTheory::scaled`] |
//! | §9 DAM simulator: shared parameters; single target; K targets per store (tiles, f16/i8 stores, planted norms); kernels and the shared step tail; summaries | [`dam::params`]; [`dam::sim`]; [`dam::batch`]; [`dam::kernel`]; [`dam::summary`] |
//! | the DAM tables as typed CSV rows | [`dam::table`] |
//! | §10 finite-size analysis: finite-N REM, crossings, w_θ, extrapolation forms, the validation atlas | [`dam::fss`], [`study::validation`] |
//! | §11 IDP network: Ψ_σ, m*, α_exist, α_stab; reduced dynamics; energy; SDE simulator | [`idp::activation`], [`idp::fixed_point`], [`idp::reduced`], [`idp::energy`], [`idp::sim`] |
//! | §12 sequential map, collapse, dwell | [`idp::sequence`] |
//! | §13 classic / polynomial / exponential binary Hopfield networks | [`hopfield`] |
//! | §14 Krotov–Hopfield two-group network, effective model | [`two_group`] |
//! | §15 diffusion on a finite pattern set, exact score, reverse SDE | [`diffusion`] |
//! | §16 diffusion collapse s_C² = 1/(e^{2α} − 1), forward and backward | [`diffusion::collapse`] |
//! | §17 roots, minimisation, ODEs, log-sum-exp; statistics | [`numerics`], [`stats`] |
//! | parameter lists and ranges | [`sweep`] |
//! | studies from config files (one file per study kind, trait [`study::Study`]; the driver [`study::drive`] owns the point loop) | [`study`] |
//! | the ordered parallel runner of the simulators | [`parallel`] |
//! | results files: atomic writes, typed CSV rows, point store with versioned keys, manifest | [`io`], [`io::rows`] |
//! | figures | [`plot`] |
//!
//! **A theory call**: α₁(λ) of gaussian patterns against its closed form λ − λ²/2
//! (docs/theory.md §4).
//!
//! ```
//! use engram::dam::DamTheory;
//! use engram::ensembles::Gaussian;
//! let theory = DamTheory::new(&Gaussian).unwrap();
//! let (alpha_1, _phase) = theory.alpha_1(0.5).unwrap();
//! assert!((alpha_1 - 0.375).abs() < 1e-12);
//! // the all-pattern bound is lower: channel (a), patterns of small norm fail first
//! let bound = theory.alpha_c(0.5).unwrap().bound;
//! assert!(bound < alpha_1);
//! ```
//!
//! **A simulation call**: 64 retrieval attempts of the published protocol (η = 0.5, x₀ = ξ¹) at
//! N = 20, λ = 0.3, far below and far above α₁ = 0.255 (docs/theory.md §9).
//!
//! ```
//! use engram::dam::{params::SimParams, summary::simulate};
//! use engram::ensembles::EnsembleKind;
//! let ens = EnsembleKind::Gaussian.sampler();
//! let low = SimParams::protocol(20, 0.05, 0.3, 1);
//! let high = SimParams::protocol(20, 0.6, 0.3, 1);
//! let memory = 1e9; // bytes of pattern stores in flight
//! let p_low = simulate(ens, &low, 64, memory, &|| {}).unwrap().retrieved.p;
//! let p_high = simulate(ens, &high, 64, memory, &|| {}).unwrap().retrieved.p;
//! assert!(p_low > 0.9 && p_high < 0.1, "{p_low} {p_high}");
//! ```
//!
//! **A study from Rust**: the phase diagram config, run into a temporary directory; the same
//! files as `engram run` writes.
//!
//! ```
//! use engram::study::{run_study, Progress, RunOptions};
//! let dir = std::env::temp_dir().join(format!("engram-doctest-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let cfg = dir.join("pd.toml");
//! std::fs::write(&cfg, "[study]\nname = \"pd\"\n\n[phase_diagram]\n\
//!     ensembles = [\"gaussian\"]\nlambda = \"0.1:2:20\"\n").unwrap();
//! let report = run_study(&cfg, &dir, RunOptions::default(), &Progress::default()).unwrap();
//! assert!(report.files.iter().any(|f| f.ends_with("theory.csv")));
//! ```
//!
//! Physics modules never print or touch files; [`study`] writes results, the CLI prints.

pub mod dam;
pub mod diffusion;
pub mod ensembles;
pub mod error;
pub mod hopfield;
pub mod idp;
pub mod interrupt;
pub mod io;
pub mod numerics;
pub mod parallel;
pub mod plot;
pub mod query;
pub mod rem;
pub mod stats;
pub mod study;
pub mod sweep;
pub mod two_group;

pub use error::{EngramError, Result};
