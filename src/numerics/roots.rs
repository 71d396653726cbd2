//! Brent's bracketing root finder (zeroin) and a geometric bracket search.

/// Why a root search failed. The caller adds the physical parameters to the message.
#[derive(Debug, Clone, PartialEq)]
pub enum RootError {
    /// f(a) and f(b) have the same sign.
    NotBracketed { a: f64, b: f64, fa: f64, fb: f64 },
    /// The iteration limit was reached with the bracket [a, b] still open.
    IterationLimit { a: f64, b: f64 },
    /// f returned NaN or an infinity at x.
    NonFinite { x: f64 },
}

impl std::fmt::Display for RootError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RootError::NotBracketed { a, b, fa, fb } => {
                write!(f, "root not bracketed: f({a}) = {fa}, f({b}) = {fb}")
            }
            RootError::IterationLimit { a, b } => {
                write!(
                    f,
                    "no convergence within the iteration limit, bracket [{a}, {b}]"
                )
            }
            RootError::NonFinite { x } => write!(f, "function not finite at x = {x}"),
        }
    }
}

const MAX_ITER: usize = 200;

/// Find x in [a, b] with f(x) = 0 by Brent's method, to the accuracy of the floating-point
/// representation: the returned x is within `2 eps |x| + xtol_abs` of a sign change of f.
///
/// Domain: a and b finite, f(a) f(b) ≤ 0, f finite on [a, b].
pub fn brent_root<F: FnMut(f64) -> f64>(
    mut f: F,
    a: f64,
    b: f64,
    xtol_abs: f64,
) -> Result<f64, RootError> {
    let (mut a, mut b) = (a, b);
    let mut fa = f(a);
    let mut fb = f(b);
    if !fa.is_finite() {
        return Err(RootError::NonFinite { x: a });
    }
    if !fb.is_finite() {
        return Err(RootError::NonFinite { x: b });
    }
    if fa == 0.0 {
        return Ok(a);
    }
    if fb == 0.0 {
        return Ok(b);
    }
    if (fa > 0.0) == (fb > 0.0) {
        return Err(RootError::NotBracketed { a, b, fa, fb });
    }
    let tol = xtol_abs.max(1e-300);
    let (mut c, mut fc) = (b, fb);
    let (mut d, mut e) = (b - a, b - a);
    for _ in 0..MAX_ITER {
        if (fb > 0.0) == (fc > 0.0) {
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol1 = 2.0 * f64::EPSILON * b.abs() + 0.5 * tol;
        let xm = 0.5 * (c - b);
        if xm.abs() <= tol1 || fb == 0.0 {
            return Ok(b);
        }
        if e.abs() >= tol1 && fa.abs() > fb.abs() {
            // inverse quadratic interpolation, or secant when only two points are distinct
            let s = fb / fa;
            let (mut p, mut q);
            if a == c {
                p = 2.0 * xm * s;
                q = 1.0 - s;
            } else {
                let qq = fa / fc;
                let r = fb / fc;
                p = s * (2.0 * xm * qq * (qq - r) - (b - a) * (r - 1.0));
                q = (qq - 1.0) * (r - 1.0) * (s - 1.0);
            }
            if p > 0.0 {
                q = -q;
            }
            p = p.abs();
            let min1 = 3.0 * xm * q - (tol1 * q).abs();
            let min2 = (e * q).abs();
            if 2.0 * p < min1.min(min2) {
                e = d;
                d = p / q;
            } else {
                d = xm;
                e = d;
            }
        } else {
            d = xm;
            e = d;
        }
        a = b;
        fa = fb;
        b += if d.abs() > tol1 { d } else { tol1.copysign(xm) };
        fb = f(b);
        if !fb.is_finite() {
            return Err(RootError::NonFinite { x: b });
        }
    }
    Err(RootError::IterationLimit { a: b, b: c })
}

/// Why no bracket was found.
#[derive(Debug, Clone, PartialEq)]
pub enum BracketError {
    /// f stayed below zero up to `x` (f(x) = `fx`; NaN if the interval was empty and f was not
    /// evaluated): the root, if any, lies beyond the search limit.
    BeyondLimit { x: f64, fx: f64 },
    /// f was not finite at x.
    NonFinite { x: f64 },
}

/// For an increasing function with f(x) < 0 near 0 (or at `lo_limit`), find a bracket
/// [lo, hi] with f(lo) ≤ 0 ≤ f(hi) and hi/lo ≤ `factor`, searching geometrically from `start`
/// within [lo_limit, hi_limit]. Returns `Ok(None)` if f(lo_limit) > 0 already.
///
/// Domain: 0 < lo_limit ≤ start ≤ hi_limit, factor > 1; an empty interval (lo_limit > hi_limit)
/// is `BeyondLimit`.
pub fn bracket_increasing<F: FnMut(f64) -> f64>(
    mut f: F,
    start: f64,
    lo_limit: f64,
    hi_limit: f64,
    factor: f64,
) -> Result<Option<(f64, f64)>, BracketError> {
    if lo_limit.is_nan() || hi_limit.is_nan() || lo_limit > hi_limit {
        // the search interval is empty: the root lies beyond the limit (e.g. λ_c at a load α
        // so large that even its lower bound α/ρ₁ exceeds the search limit)
        let x = if lo_limit.is_nan() {
            hi_limit
        } else {
            lo_limit
        };
        return Err(BracketError::BeyondLimit { x, fx: f64::NAN });
    }
    let mut x = start.clamp(lo_limit, hi_limit);
    let mut fx = f(x);
    if fx.is_nan() {
        return Err(BracketError::NonFinite { x });
    }
    if fx <= 0.0 {
        // search upwards
        loop {
            if x >= hi_limit {
                return Err(BracketError::BeyondLimit { x, fx });
            }
            let next = (x * factor).min(hi_limit);
            let fnext = f(next);
            if fnext.is_nan() {
                return Err(BracketError::NonFinite { x: next });
            }
            if fnext >= 0.0 {
                return Ok(Some((x, next)));
            }
            x = next;
            fx = fnext;
        }
    } else {
        // search downwards
        loop {
            if x <= lo_limit {
                return Ok(None);
            }
            let next = (x / factor).max(lo_limit);
            let fnext = f(next);
            if fnext.is_nan() {
                return Err(BracketError::NonFinite { x: next });
            }
            if fnext <= 0.0 {
                return Ok(Some((next, x)));
            }
            x = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argmin::core::{CostFunction, Error, Executor};
    use argmin::solver::brent::BrentRoot;

    struct P(fn(f64) -> f64);
    impl CostFunction for P {
        type Param = f64;
        type Output = f64;
        fn cost(&self, x: &f64) -> Result<f64, Error> {
            Ok((self.0)(*x))
        }
    }

    /// Brent here against argmin's BrentRoot, on functions with known roots.
    #[test]
    fn agrees_with_argmin_and_exact() {
        type Case = (fn(f64) -> f64, f64, f64, f64);
        let cases: [Case; 4] = [
            (|x| x * x - 2.0, 0.0, 5.0, 2f64.sqrt()),
            (|x| x.ln() + 30.0, 1e-20, 1.0, (-30f64).exp()),
            (|x| (x - 1e6).powi(3), 0.0, 3e6, 1e6),
            (|x| x.cos() - x, 0.0, 1.0, 0.7390851332151607),
        ];
        for (f, a, b, exact) in cases {
            let ours = brent_root(f, a, b, 0.0).unwrap();
            let theirs = Executor::new(P(f), BrentRoot::new(a, b, 1e-15))
                .configure(|s| s.max_iters(1000))
                .run()
                .unwrap()
                .state
                .best_param
                .unwrap();
            assert!(
                (ours - exact).abs() <= 1e-9 * exact,
                "ours {ours} vs {exact}"
            );
            assert!(
                (ours - theirs).abs() <= 1e-6 * exact.abs() + 1e-12,
                "ours {ours} vs argmin {theirs}"
            );
        }
    }

    #[test]
    fn errors() {
        assert!(matches!(
            brent_root(|x| x * x + 1.0, -1.0, 1.0, 0.0),
            Err(RootError::NotBracketed { .. })
        ));
        assert!(matches!(
            brent_root(|x| x.sqrt() - 1.0, -1.0, 4.0, 0.0),
            Err(RootError::NonFinite { .. })
        ));
        assert_eq!(
            bracket_increasing(|x| x - 10.0, 1.0, 1e-9, 1e3, 2.0).unwrap(),
            Some((8.0, 16.0))
        );
        assert!(matches!(
            bracket_increasing(|x| x - 1e9, 1.0, 1e-9, 1e3, 2.0),
            Err(BracketError::BeyondLimit { .. })
        ));
    }
}
