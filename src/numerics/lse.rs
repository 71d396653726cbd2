//! Log-sum-exp without overflow.

/// log Σ_i e^{x_i}, shifted by the maximum so that exponentials of O(N) arguments neither
/// overflow nor underflow to a zero sum. Domain: a non-empty slice; −∞ for an empty one.
pub fn log_sum_exp(x: &[f64]) -> f64 {
    let m = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    m + x.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_forms_and_extremes() {
        // n equal terms: a + ln n, also far beyond exp's range
        for a in [-1000.0, 0.0, 3.5, 1000.0] {
            assert!((log_sum_exp(&[a; 7]) - (a + 7f64.ln())).abs() < 1e-12 * (1.0 + a.abs()));
        }
        // ln(e^1 + e^2) directly
        let direct = (1f64.exp() + 2f64.exp()).ln();
        assert!((log_sum_exp(&[1.0, 2.0]) - direct).abs() < 1e-15);
        assert_eq!(log_sum_exp(&[]), f64::NEG_INFINITY);
    }
}
