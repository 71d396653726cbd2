//! Sequential retrieval on two timescales (Betteti, Baggio, Zampieri, arXiv:2603.03201; docs/theory.md#sequence): the saliency map
//! Z_{n+1} = κ(1 − θ/Z_n), its fixed points, dwell times, collapse and critical slowing.
//!
//! The map is the Möbius transformation of M = [[κ, −κθ], [1, 0]], whose eigenvalues are the
//! fixed points Z± = (κ ± √(κ² − 4κθ))/2 = √(κθ) e^{±η}, cosh η = √(κ/(4θ)). Below
//! κ_c = 4θ they are complex, √(κθ) e^{±iω}, cos ω = √(κ/(4θ)), and the map rotates: the chain
//! collapses after n_c ≈ π/ω transitions.

use crate::error::{positive, EngramError, Result};

/// Parameters of the map: gain κ > 0 and existence threshold θ > 0 (θ = 1 for hard tanh).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SequenceMap {
    /// Gain κ of the slow saliency dynamics τ da/dt = −a + κ S|m|.
    pub kappa: f64,
    /// Saliency below which a memory stops existing.
    pub theta: f64,
}

/// Fate of a chain started at Z₀.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Regime {
    /// Saliencies stay above θ forever (κ ≥ κ_c and Z₀ ≥ Z₋).
    Sustained,
    /// The chain falls to the origin after the given number of retrieved memories.
    Collapse,
}

impl Regime {
    /// Lower-case name for CSV.
    pub fn name(&self) -> &'static str {
        match self {
            Regime::Sustained => "sustained",
            Regime::Collapse => "collapse",
        }
    }
}

/// One retrieved memory of a chain: index n, its saliency Z_n at retrieval, dwell time
/// T_n = ln(Z_n/θ) in units of τ (0 for the terminal row with Z_n ≤ θ).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// Index n (n = 0 is the starting memory).
    pub n: usize,
    /// Z_n.
    pub z: f64,
    /// T_n/τ.
    pub dwell: f64,
    /// Whether Z_n > θ (the memory exists and is retrieved).
    pub retrieved: bool,
}

impl SequenceMap {
    /// Validated parameters. Domain: κ > 0, θ > 0.
    pub fn new(kappa: f64, theta: f64) -> Result<Self> {
        Ok(SequenceMap {
            kappa: positive("kappa", kappa)?,
            theta: positive("theta", theta)?,
        })
    }

    /// Gain threshold κ_c = 4θ.
    pub fn kappa_c(&self) -> f64 {
        4.0 * self.theta
    }

    /// One step of the map, Z_{n+1} = κ(1 − θ/Z_n).
    pub fn next(&self, z: f64) -> f64 {
        self.kappa * (1.0 - self.theta / z)
    }

    /// Dwell (escape) time of a memory retrieved with saliency Z, in units of τ: ln(Z/θ).
    pub fn dwell(&self, z: f64) -> f64 {
        (z / self.theta).ln()
    }

    /// Fixed points (Z₊, Z₋) if κ ≥ κ_c. Z₋ is computed as κθ/Z₊ (no cancellation).
    pub fn fixed_points(&self) -> Option<(f64, f64)> {
        let d = self.kappa * self.kappa - 4.0 * self.kappa * self.theta;
        if d < 0.0 {
            return None;
        }
        let zp = 0.5 * (self.kappa + d.sqrt());
        Some((zp, self.kappa * self.theta / zp))
    }

    /// Steady dwell ln(Z₊/θ) (units of τ) if κ ≥ κ_c.
    pub fn dwell_steady(&self) -> Option<f64> {
        self.fixed_points().map(|(zp, _)| self.dwell(zp))
    }

    /// Asymptotic collapse count n_c ≈ π/arccos(√(κ/(4θ))) for κ < κ_c (docs/theory.md#sequence).
    pub fn collapse_count_asymptotic(&self) -> Option<f64> {
        let c = (self.kappa / self.kappa_c()).sqrt();
        (c < 1.0).then(|| std::f64::consts::PI / c.acos())
    }

    /// Critical slowing above κ_c: relaxation time to Z₊ in iterations, 1/(2 arccosh(√(κ/(4θ))))
    /// (the ratio of the eigenvalues is Z₋/Z₊ = e^{−2η}).
    pub fn relaxation_iterations(&self) -> Option<f64> {
        let c = (self.kappa / self.kappa_c()).sqrt();
        (c > 1.0).then(|| 1.0 / (2.0 * c.acosh()))
    }

    /// Iterate from Z₀: one [`Step`] per retrieved memory while Z > θ, then the first step with
    /// Z ≤ θ if reached within `max_steps` retrieved memories. Domain: Z₀ > 0, 1 ≤ max_steps ≤ 10⁷ (rows).
    pub fn iterate(&self, z0: f64, max_steps: usize) -> Result<Vec<Step>> {
        positive("z0", z0)?;
        if max_steps == 0 || max_steps > crate::sweep::MAX_LIST_VALUES {
            return Err(EngramError::InvalidParameter {
                name: "steps",
                value: max_steps.to_string(),
                allowed: "a whole number of rows in [1, 10000000]",
            });
        }
        let mut out = Vec::new();
        let mut z = z0;
        for n in 0..max_steps {
            if z > self.theta {
                out.push(Step {
                    n,
                    z,
                    dwell: self.dwell(z),
                    retrieved: true,
                });
                z = self.next(z);
            } else {
                out.push(Step {
                    n,
                    z,
                    dwell: 0.0,
                    retrieved: false,
                });
                break;
            }
        }
        Ok(out)
    }

    /// Regime of the chain from Z₀, and the number of memories retrieved before collapse
    /// (exact, by iteration; `None` for sustained chains). Domain: Z₀ > 0.
    ///
    /// Sustained iff κ ≥ κ_c and Z₀ ≥ Z₋ (Z₋ is the unstable fixed point; Z₀ = Z₋ exactly stays).
    pub fn regime(&self, z0: f64) -> Result<(Regime, Option<usize>)> {
        positive("z0", z0)?;
        if let Some((_, zm)) = self.fixed_points() {
            if z0 >= zm && z0 > self.theta {
                return Ok((Regime::Sustained, None));
            }
        }
        // collapse: saliencies decrease until Z ≤ θ; bound the count by the rotation period
        let bound = self
            .collapse_count_asymptotic()
            .map_or(1_000_000.0, |n| 4.0 * n + 1000.0) as usize;
        let mut z = z0;
        let mut n = 0;
        while z > self.theta {
            n += 1;
            z = self.next(z);
            if n > bound {
                return Err(EngramError::NoConvergence {
                    context: format!(
                        "collapse count at kappa={}, theta={}, z0={z0}",
                        self.kappa, self.theta
                    ),
                    reason: format!("no collapse within {bound} transitions"),
                });
            }
        }
        Ok((Regime::Collapse, Some(n)))
    }
}
