//! Extrapolations of a crossing series α_{1/2}(N) to N → ∞ (docs/theory.md#fss).
//!
//! α_{1/2}(N) = a + b·x(N) by weighted least squares, with x = 1/N (the
//! leading analytic correction) or x = ln N / N (the extreme-value correction of a REM: the
//! free energy of e^{αN} terms has corrections of order (ln N)/N from the maximum of many
//! Gaussians, √(2 ln P) − ln(4π ln P)/(2√(2 ln P)), and from the fluctuation of the signal
//! ‖ξ¹‖²). The derived form ([`FssForm::Fold`], docs/theory.md#fold) fixes the ln N/N
//! coefficient at the fold's −1 and fits a + b/N. Each fit reports χ²/dof and its p-value, a = α_{1/2}(∞) ± error and its z against
//! the theory, and leave-one-N-out refits.

use crate::stats::linear_fit;

/// Finite-size form of α_{1/2}(N) = a + b·x(N).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FssForm {
    /// x = 1/N.
    InvN,
    /// x = ln N / N.
    LogNOverN,
    /// x = 1/√N: not derived (see the module docs); reported to show which power the data
    /// prefer when the derived forms fail their χ² test.
    InvSqrtN,
    /// The fold's form α½ = a − ln N/N + b/N (docs/theory.md#fold): the ln N/N coefficient
    /// fixed at −1, a and b fitted (b = −c′ = −(1 + ln c) at the median target norm).
    Fold,
}

impl FssForm {
    /// Every form: the derived one first, then the free fits.
    pub const ALL: [FssForm; 4] = [
        FssForm::Fold,
        FssForm::InvN,
        FssForm::LogNOverN,
        FssForm::InvSqrtN,
    ];

    /// The scaling variable x(N) of the fitted slope.
    pub fn x(self, n: f64) -> f64 {
        match self {
            FssForm::InvN | FssForm::Fold => 1.0 / n,
            FssForm::LogNOverN => n.ln() / n,
            FssForm::InvSqrtN => 1.0 / n.sqrt(),
        }
    }

    /// The fixed part of the form (−ln N/N for the fold, 0 otherwise).
    pub fn fixed(self, n: f64) -> f64 {
        match self {
            FssForm::Fold => -n.ln() / n,
            _ => 0.0,
        }
    }

    /// The fitted curve a + b·x(N) + fixed(N).
    pub fn value(self, a: f64, b: f64, n: f64) -> f64 {
        a + b * self.x(n) + self.fixed(n)
    }

    /// Name in CSV files.
    pub fn name(self) -> &'static str {
        match self {
            FssForm::InvN => "a+b/N",
            FssForm::LogNOverN => "a+b*lnN/N",
            FssForm::InvSqrtN => "a+b/sqrtN",
            FssForm::Fold => "a-lnN/N+b/N",
        }
    }
}

/// A weighted fit α_{1/2}(N) = a + b·x(N) and its comparison with the theory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extrapolation {
    /// The form.
    pub form: FssForm,
    /// α_{1/2}(∞) and its standard error.
    pub a: f64,
    /// Standard error of a.
    pub a_err: f64,
    /// Slope.
    pub b: f64,
    /// χ² of the fit.
    pub chi2: f64,
    /// Degrees of freedom (points − 2).
    pub dof: usize,
    /// P(χ²_dof ≥ χ²) (NaN with 0 degrees of freedom).
    pub p_value: f64,
    /// (a − theory)/a_err.
    pub z: f64,
    /// Smallest and largest N used.
    pub n_range: (usize, usize),
}

/// Fit (N, α_{1/2}, error) points with `form` and compare with `theory`; None with fewer than 2
/// distinct N.
pub fn extrapolate(
    points: &[(usize, f64, f64)],
    form: FssForm,
    theory: f64,
) -> Option<Extrapolation> {
    let x: Vec<f64> = points.iter().map(|p| form.x(p.0 as f64)).collect();
    let y: Vec<f64> = points
        .iter()
        .map(|p| p.1 - form.fixed(p.0 as f64))
        .collect();
    let s: Vec<f64> = points.iter().map(|p| p.2.max(1e-9)).collect();
    let f = linear_fit(&x, &y, &s)?;
    let chi2: f64 = (0..x.len())
        .map(|i| ((y[i] - f.a - f.b * x[i]) / s[i]).powi(2))
        .sum();
    let dof = x.len() - 2;
    let p_value = if dof > 0 {
        use statrs::distribution::{ChiSquared, ContinuousCDF};
        ChiSquared::new(dof as f64).map_or(f64::NAN, |c| c.sf(chi2))
    } else {
        f64::NAN
    };
    let ns = points.iter().map(|p| p.0);
    Some(Extrapolation {
        form,
        a: f.a,
        a_err: f.a_err,
        b: f.b,
        chi2,
        dof,
        p_value,
        z: (f.a - theory) / f.a_err,
        n_range: (ns.clone().min()?, ns.max()?),
    })
}

/// Leave-one-N-out refits: for each point left out, its N and the refit (None where fewer than
/// two points remain).
pub fn leave_one_out(
    points: &[(usize, f64, f64)],
    form: FssForm,
    theory: f64,
) -> Vec<(usize, Option<Extrapolation>)> {
    (0..points.len())
        .map(|i| {
            let rest: Vec<_> = points
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, p)| *p)
                .collect();
            (points[i].0, extrapolate(&rest, form, theory))
        })
        .collect()
}
