//! Microscopic and diffusion views of associative memories (SPEC §9): the Krotov–Hopfield
//! two-group network and its effective models, binary F-interaction networks (classic
//! Hopfield, polynomial and exponential DAMs) with their zero-temperature theory and exact
//! asynchronous dynamics, and diffusion models on a finite pattern set.

pub mod diffusion;
pub mod hopfield;
pub mod two_group;
