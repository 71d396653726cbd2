//! Energy of the IDP network (docs/theory.md#idp, u constant, no noise):
//!
//! ```text
//! E(x; u) = −½ Ψ(x)ᵀ W(u) Ψ(x) + Σ_i ∫_0^{Ψ(x_i)} Ψ⁻¹(v) dv,
//! ```
//!
//! non-increasing along dx/dt = −x + W Ψ(x) (W symmetric, Ψ increasing). With W of zero
//! diagonal, Ψ(x)ᵀWΨ(x) = N Σ_μ α_μ m_μ² − (Σ_μ α_μ/N) ‖Ψ(x)‖², m = ΞᵀΨ(x)/N.
//! The modern-Hopfield form of the flow, dx/dt = −x + Ξ[α ⊙ softmax(b α ⊙ Ξᵀx)], is the
//! gradient flow of −(1/b) log Σ_μ exp(b α_μ ξ_μ·x) + ½‖x‖².

use super::activation::Activation;

/// ∫_0^{Ψ(x)} Ψ⁻¹(v) dv in closed form. tanh(β·): x tanh(βx) − ln cosh(βx)/β (integration by
/// parts). Hard tanh clip(β·): with v = clip(βx), Ψ⁻¹(u) = u/β on |u| < 1, so the term is
/// v²/(2β) (constant 1/(2β) once saturated).
pub fn legendre_term(act: &Activation, x: f64) -> f64 {
    match *act {
        Activation::Tanh { gain } => {
            x * (gain * x).tanh() - crate::ensembles::ln_cosh(gain * x) / gain
        }
        Activation::HardTanh { gain } => {
            let v = (gain * x).clamp(-1.0, 1.0);
            // ∫_0^v (u/β) du = v²/(2β)
            v * v / (2.0 * gain)
        }
    }
}

/// E(x; α) per neuron for memories ξ (row-major P×N, ±1), saliencies α, zero-diagonal W.
pub fn energy(act: &Activation, xi: &[f64], saliency: &[f64], x: &[f64]) -> f64 {
    let n = x.len();
    let p = saliency.len();
    let psi: Vec<f64> = x.iter().map(|&v| act.psi(v)).collect();
    let mut quad = 0.0;
    for mu in 0..p {
        let m: f64 = xi[mu * n..(mu + 1) * n]
            .iter()
            .zip(&psi)
            .map(|(a, b)| a * b)
            .sum::<f64>()
            / n as f64;
        quad += saliency[mu] * m * m * n as f64;
    }
    let diag = saliency.iter().sum::<f64>() / n as f64;
    quad -= diag * psi.iter().map(|v| v * v).sum::<f64>();
    let leg: f64 = x.iter().map(|&v| legendre_term(act, v)).sum();
    (-0.5 * quad + leg) / n as f64
}

/// Logits b α_μ ξ_μ·x of the modern-Hopfield form.
fn modern_logits(xi: &[f64], saliency: &[f64], b: f64, x: &[f64]) -> Vec<f64> {
    let n = x.len();
    saliency
        .iter()
        .zip(xi.chunks(n))
        .map(|(&a, row)| b * a * row.iter().zip(x).map(|(u, v)| u * v).sum::<f64>())
        .collect()
}

/// Modern-Hopfield energy −(1/b) log Σ_μ exp(b α_μ ξ_μ·x) + ½‖x‖² (log-sum-exp), per neuron.
pub fn modern_energy(xi: &[f64], saliency: &[f64], b: f64, x: &[f64]) -> f64 {
    let lse = crate::numerics::log_sum_exp(&modern_logits(xi, saliency, b, x));
    (-lse / b + 0.5 * x.iter().map(|v| v * v).sum::<f64>()) / x.len() as f64
}

/// Modern-Hopfield flow field −x + Ξ[α ⊙ softmax(b α ⊙ Ξᵀx)] (the negative gradient of
/// [`modern_energy`] × N).
pub fn modern_flow(xi: &[f64], saliency: &[f64], b: f64, x: &[f64], out: &mut [f64]) {
    let n = x.len();
    let logits = modern_logits(xi, saliency, b, x);
    let lse = crate::numerics::log_sum_exp(&logits);
    for (o, &v) in out.iter_mut().zip(x) {
        *o = -v;
    }
    for ((&l, &a), row) in logits.iter().zip(saliency).zip(xi.chunks(n)) {
        let c = a * (l - lse).exp();
        for (o, &r) in out.iter_mut().zip(row) {
            *o += c * r;
        }
    }
}
