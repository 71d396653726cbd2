//! Closed forms for gaussian and spherical patterns (docs/theory.md#rem to #scaled).
//!
//! These formulas are written from the papers, not from the generic machinery, and serve as
//! independent references in the tests (and as a fast path a user may call directly).
//! Domains: α > 0, λ > 0, r > 0 unless stated.

/// Gaussian patterns.
pub mod gaussian {
    /// Overlap rate I_r(u) = u²/(2r).
    pub fn rate(u: f64, r: f64) -> f64 {
        u * u / (2.0 * r)
    }
    /// Norm rate I_χ(ρ) = ½(ρ − 1 − ln ρ).
    pub fn norm_rate(rho: f64) -> f64 {
        0.5 * (rho - 1.0 - rho.ln())
    }
    /// λ_*(α, r) = √(2α/r).
    pub fn lambda_star(alpha: f64, r: f64) -> f64 {
        (2.0 * alpha / r).sqrt()
    }
    /// φ(α, λ, r): α + λ²r/2 for λ < λ_*, λ√(2αr) otherwise.
    pub fn phi(alpha: f64, lambda: f64, r: f64) -> f64 {
        if lambda < lambda_star(alpha, r) {
            alpha + 0.5 * lambda * lambda * r
        } else {
            lambda * (2.0 * alpha * r).sqrt()
        }
    }
    /// α₁(λ) = λ − λ²/2 for λ ≤ 1, 1/2 for λ ≥ 1.
    pub fn alpha_1(lambda: f64) -> f64 {
        if lambda <= 1.0 {
            lambda - 0.5 * lambda * lambda
        } else {
            0.5
        }
    }
    /// λ_c(α) = 1 − √(1 − 2α) for α < 1/2, ∞ otherwise.
    pub fn lambda_c(alpha: f64) -> f64 {
        if alpha < 0.5 {
            1.0 - (1.0 - 2.0 * alpha).sqrt()
        } else {
            f64::INFINITY
        }
    }
    /// ρ_f(α, λ): patterns with smaller norm fail; α/(λ − λ²/2) (λ ≤ 1) or 2α (λ ≥ 1).
    pub fn rho_f(alpha: f64, lambda: f64) -> f64 {
        if lambda <= 1.0 {
            alpha / (lambda - 0.5 * lambda * lambda)
        } else {
            2.0 * alpha
        }
    }
    /// Stealing-pair bound α_pair = ln 2 / 4.
    pub const ALPHA_PAIR: f64 = std::f64::consts::LN_2 / 4.0;
    /// m_c(α, λ, r) = α/λ + λr/2 for λ < √(2α/r), √(2αr) otherwise.
    pub fn m_c(alpha: f64, lambda: f64, r: f64) -> f64 {
        phi(alpha, lambda, r) / lambda
    }
}

/// Spherical patterns.
pub mod spherical {
    /// Overlap rate I_r(u) = −½ ln(1 − u²/r), |u| < √r.
    pub fn rate(u: f64, r: f64) -> f64 {
        -0.5 * (-u * u / r).ln_1p()
    }
    /// Largest cosine among e^{αN} patterns, q_max = √(1 − e^{−2α}).
    pub fn q_max(alpha: f64) -> f64 {
        (-(-2.0 * alpha).exp_m1()).sqrt()
    }
    /// λ_*(α, r) = e^{2α} √(1 − e^{−2α}) / √r.
    pub fn lambda_star(alpha: f64, r: f64) -> f64 {
        (2.0 * alpha).exp() * q_max(alpha) / r.sqrt()
    }
    /// Λ_r(λ) by its closed form with a = λ√r:
    /// Λ = (√(1+4a²) − 1)/2 − ½ ln[(1 + √(1+4a²))/2].
    pub fn log_mgf(lambda: f64, r: f64) -> f64 {
        let s = (1.0 + 4.0 * lambda * lambda * r).sqrt();
        0.5 * (s - 1.0) - 0.5 * (0.5 * (1.0 + s)).ln()
    }
    /// φ(α, λ, r): α + Λ_r(λ) for λ < λ_*, λ√r q_max otherwise.
    pub fn phi(alpha: f64, lambda: f64, r: f64) -> f64 {
        if lambda < lambda_star(alpha, r) {
            alpha + log_mgf(lambda, r)
        } else {
            lambda * r.sqrt() * q_max(alpha)
        }
    }
    /// α₁(λ) = λ + ½ − ½√(1 + 4λ²) + ½ ln[(1 + √(1 + 4λ²))/2]; α_c = α₁.
    pub fn alpha_1(lambda: f64) -> f64 {
        let s = (1.0 + 4.0 * lambda * lambda).sqrt();
        lambda + 0.5 - 0.5 * s + 0.5 * (0.5 * (1.0 + s)).ln()
    }
    /// m_c = φ_S(α, λ, r)/λ.
    pub fn m_c(alpha: f64, lambda: f64, r: f64) -> f64 {
        phi(alpha, lambda, r) / lambda
    }
}
