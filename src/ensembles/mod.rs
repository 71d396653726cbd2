//! Pattern ensembles (docs/theory.md#dam): the large-deviation law of the overlap u = ξ·x/N between an
//! independent pattern ξ and a configuration x of squared norm per component r = ‖x‖²/N, and the
//! law of the pattern norm ‖ξ‖²/N.
//!
//! An ensemble supplies only its log-moment generating function Λ_r(λ) and derivative, the norm
//! law, and the edge of the overlap support. Everything downstream (the rate I_r, u*, u_max, λ_*,
//! φ, α₁, α_c, basins) is computed from this trait alone by [`legendre`] and [`crate::rem`]: to
//! add an ensemble, implement [`PatternEnsemble`].

mod binary;
mod gaussian;
pub mod hidden_manifold;
pub mod iid;
pub mod legendre;
pub mod sampling;
mod spherical;

pub use binary::Binary;
pub use gaussian::Gaussian;
pub use hidden_manifold::HiddenManifold;
pub use iid::Iid;
pub use sampling::{sample_rng, PatternSampler};
pub use spherical::Spherical;

use crate::error::{EngramError, Result};

/// A pattern ensemble, described by the overlap statistics of docs/theory.md#dam.
///
/// Conventions: the ensemble is centred (Λ_r(0) = Λ_r'(0) = 0) and Λ_r is strictly convex in λ
/// for λ > 0. All methods take λ ≥ 0 and r > 0.
pub trait PatternEnsemble: Send + Sync {
    /// Name used on the command line and in output.
    fn name(&self) -> &'static str;

    /// ρ₁ = E‖ξ‖²/N, the squared norm per component of a typical pattern.
    fn rho1(&self) -> f64;

    /// Λ_r(λ) = lim (1/N) log E exp(λ ξ·x) for ‖x‖²/N = r (docs/theory.md#dam table).
    fn log_mgf(&self, lambda: f64, r: f64) -> f64;

    /// dΛ_r/dλ: the overlap u*(λ) that dominates the tilted law, increasing in λ.
    fn log_mgf_prime(&self, lambda: f64, r: f64) -> f64;

    /// g_r(λ) = λΛ_r'(λ) − Λ_r(λ) = I_r(Λ_r'(λ)), the rate (entropy cost) of the tilted
    /// overlap; increasing in λ. Override when the difference cancels catastrophically.
    fn saddle_rate(&self, lambda: f64, r: f64) -> f64 {
        lambda * self.log_mgf_prime(lambda, r) - self.log_mgf(lambda, r)
    }

    /// Upper edge of the overlap support, lim_{λ→∞} Λ_r'(λ) (∞ if unbounded).
    fn overlap_edge(&self, _r: f64) -> f64 {
        f64::INFINITY
    }

    /// Rate function of the pattern norm ρ = ‖ξ‖²/N, Prob(ρ) ≍ e^{−N I(ρ)}; `None` when the
    /// norm is fixed at ρ₁ (spherical, binary).
    fn norm_rate(&self, _rho: f64) -> Option<f64> {
        None
    }

    /// Whether the REM theory exists for this ensemble; the error says why not (e.g. a
    /// marginal without a finite quenched MGF). Every theory entry point checks it.
    fn check_theory(&self) -> Result<()> {
        Ok(())
    }

    /// Whether the α_c channels engram computes (typical, norm, pair) are all the
    /// single-pattern failure modes of this ensemble. False for i.i.d. marginals whose target
    /// can fail through its whole empirical component law (docs/theory.md#iid); α_c is then
    /// not reported.
    fn alpha_c_channels_complete(&self) -> bool {
        true
    }

    /// Where the norm and pair channels are not complete: the empirical-law channels of α_c
    /// at λ, (α_empirical, ρ of the failing law, α_pair), if the ensemble can compute them
    /// (i.i.d. discrete marginals, docs/theory.md#iid); `None` otherwise.
    fn alpha_c_empirical(&self, _lambda: f64) -> Option<Result<(f64, f64, f64)>> {
        None
    }

    /// Whether the start law's Λ_{a,b} depends on the cosine at fixed norm (false for
    /// rotation-invariant ensembles, whose basins then have a closed form in φ).
    fn start_depends_on_cosine(&self) -> bool {
        false
    }

    /// Whether the start law costs seconds per basin (the hidden manifold's nested saddle
    /// points); summaries then leave the basin columns of x₀ = ξ¹ runs empty.
    fn start_law_is_expensive(&self) -> bool {
        false
    }

    /// Λ_{a,b}(λ) for the simulator's cosine start x = a ξ¹ + b g per component (g standard
    /// gaussian, a, b ≥ 0; docs/theory.md#basins). Rotation-invariant ensembles depend on the
    /// norm only: Λ_r with r = a²ρ₁ + b² (the default).
    fn log_mgf_start(&self, lambda: f64, a: f64, b: f64) -> f64 {
        self.log_mgf(lambda, a * a * self.rho1() + b * b)
    }

    /// dΛ_{a,b}/dλ.
    fn log_mgf_start_prime(&self, lambda: f64, a: f64, b: f64) -> f64 {
        self.log_mgf_prime(lambda, a * a * self.rho1() + b * b)
    }

    /// lim_{λ→∞} dΛ_{a,b}/dλ, the overlap edge for the start law.
    fn start_edge(&self, a: f64, b: f64) -> f64 {
        self.overlap_edge(a * a * self.rho1() + b * b)
    }
}

/// The overlap law of the simulator's cosine start as an ensemble view: Λ_r(λ) := Λ_{a,b}(λ)
/// whatever r (the generic path then gives φ, u_max, λ_* for that start).
pub(crate) struct StartLaw<'a, E: PatternEnsemble + ?Sized> {
    pub e: &'a E,
    pub a: f64,
    pub b: f64,
}

impl<'a, E: PatternEnsemble + ?Sized> StartLaw<'a, E> {
    /// The start x = √r(c ξ̂¹ + √(1 − c²) ẑ): a = c√(r/ρ₁), b = √(r(1 − c²)).
    pub fn at_cosine(e: &'a E, cosine: f64, r: f64) -> Self {
        StartLaw {
            e,
            a: cosine * (r / e.rho1()).sqrt(),
            b: (r * (1.0 - cosine * cosine)).max(0.0).sqrt(),
        }
    }
}

impl<E: PatternEnsemble + ?Sized> PatternEnsemble for StartLaw<'_, E> {
    fn name(&self) -> &'static str {
        self.e.name()
    }
    fn rho1(&self) -> f64 {
        self.e.rho1()
    }
    fn log_mgf(&self, lambda: f64, _r: f64) -> f64 {
        self.e.log_mgf_start(lambda, self.a, self.b)
    }
    fn log_mgf_prime(&self, lambda: f64, _r: f64) -> f64 {
        self.e.log_mgf_start_prime(lambda, self.a, self.b)
    }
    fn overlap_edge(&self, _r: f64) -> f64 {
        self.e.start_edge(self.a, self.b)
    }
}

/// Largest |z| of the gaussian expectations ([`gauss_expect`]): φ(12) ≈ 2e−32.
const Z_MAX: f64 = 12.0;

/// E_g f(g), g standard gaussian, by tanh-sinh quadrature on panels split at ±3, 0 and at
/// `kink` (where f turns from smooth to linear), to 1e-12 relative.
pub(crate) fn gauss_expect<F: Fn(f64) -> f64>(f: F, kink: f64) -> f64 {
    // a fixed array: this runs inside nested quadratures; a kink outside the range collapses
    // onto an endpoint and its empty panel is skipped
    let mut pts = [-Z_MAX, -3.0, 0.0, 3.0, Z_MAX, kink.clamp(-Z_MAX, Z_MAX)];
    if kink.is_nan() {
        pts[5] = Z_MAX;
    }
    pts.sort_by(f64::total_cmp);
    let pdf = |z: f64| (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
    pts.windows(2)
        .filter(|w| w[1] > w[0])
        .map(|w| quadrature::integrate(|z| pdf(z) * f(z), w[0], w[1], 1e-12).integral)
        .sum()
}

/// The ensembles selectable by name: the three built-in ones, and i.i.d. marginals
/// (docs/theory.md#iid) by their canonical name (`uniform`, `laplace`, `ternary:F`,
/// `iid:V1,…:W1,…`) or, in a config, `{ iid = { values = [..], weights = [..] } }` /
/// `{ iid = { family = "ternary", sparsity = F } }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EnsembleKind {
    /// ξ_i ~ N(0, 1) i.i.d.
    Gaussian,
    /// uniform on the sphere of radius √N.
    Spherical,
    /// ξ_i = ±1 uniform.
    Binary,
    /// ξ_i i.i.d. from a standardised marginal.
    Iid(&'static Iid),
    /// Hidden-manifold patterns σ̃(F z/√D) (docs/theory.md#hidden-manifold).
    HiddenManifold(&'static HiddenManifold),
}

impl EnsembleKind {
    /// All built-in ensembles.
    pub const ALL: [EnsembleKind; 3] = [Self::Gaussian, Self::Spherical, Self::Binary];

    /// The ensemble as a trait object.
    pub fn ensemble(self) -> &'static dyn PatternEnsemble {
        match self {
            Self::Gaussian => &Gaussian,
            Self::Spherical => &Spherical,
            Self::Binary => &Binary,
            Self::Iid(e) => e,
            Self::HiddenManifold(e) => e,
        }
    }

    /// The ensemble for the REM theory: refused where the theory does not exist
    /// ([`PatternEnsemble::check_theory`]).
    pub fn theory(self) -> Result<&'static dyn PatternEnsemble> {
        let e = self.ensemble();
        e.check_theory()?;
        Ok(e)
    }

    /// Name as on the command line.
    pub fn name(self) -> &'static str {
        self.ensemble().name()
    }
}

impl std::str::FromStr for EnsembleKind {
    type Err = EngramError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "gaussian" => Ok(Self::Gaussian),
            "spherical" => Ok(Self::Spherical),
            "binary" => Ok(Self::Binary),
            _ => match (Iid::parse(s), HiddenManifold::parse(s)) {
                (Some(r), _) => r.map(Self::Iid),
                (None, Some(r)) => r.map(Self::HiddenManifold),
                (None, None) => Err(EngramError::InvalidParameter {
                    name: "ensemble",
                    value: s.to_string(),
                    allowed: "one of gaussian, spherical, binary, uniform, laplace, ternary:F, \
                              iid:V1,V2,...:W1,W2,..., hmm:ACTIVATION:ALPHA_D",
                }),
            },
        }
    }
}

impl serde::Serialize for EnsembleKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// The config form of an i.i.d. marginal: `{ values, weights }` or `{ family, sparsity }`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct IidSpec {
    values: Option<Vec<f64>>,
    weights: Option<Vec<f64>>,
    family: Option<String>,
    sparsity: Option<f64>,
}

impl IidSpec {
    fn build(self) -> Result<&'static Iid> {
        let bad = |value: String, allowed: &'static str| EngramError::InvalidParameter {
            name: "iid",
            value,
            allowed,
        };
        match (
            self.values,
            self.weights,
            self.family.as_deref(),
            self.sparsity,
        ) {
            (Some(v), Some(w), None, None) => Iid::discrete(&v, &w),
            (None, None, Some("uniform"), None) => Ok(Iid::uniform()),
            (None, None, Some("laplace"), None) => Ok(Iid::laplace()),
            (None, None, Some("ternary"), Some(f)) => Iid::ternary(f),
            (None, None, Some("ternary"), None) => Err(bad(
                "family = \"ternary\" without sparsity".into(),
                "family = \"ternary\" with sparsity = f in (0, 1]",
            )),
            (None, None, Some(f), _) => Err(bad(
                format!("family = {f:?}"),
                "family = \"uniform\", \"laplace\" or \"ternary\" (with sparsity)",
            )),
            _ => Err(bad(
                "an incomplete or mixed table".into(),
                "either values = [..] with weights = [..], or family = \"..\"",
            )),
        }
    }
}

/// The config form of a hidden-manifold ensemble: `{ alpha_d = .., activation = ".." }`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct HiddenManifoldSpec {
    alpha_d: f64,
    activation: String,
}

impl HiddenManifoldSpec {
    fn build(self) -> Result<&'static HiddenManifold> {
        HiddenManifold::parse(&format!("hmm:{}:{}", self.activation, self.alpha_d))
            .expect("the hmm: prefix")
    }
}

impl<'de> serde::Deserialize<'de> for EnsembleKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = EnsembleKind;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "an ensemble name (gaussian, spherical, binary, uniform, laplace, ternary:F, \
                     hmm:ACTIVATION:ALPHA_D) or a table { iid = { values = [..], weights = [..] } } \
                     or { hidden_manifold = { alpha_d = .., activation = \"tanh\" } }",
                )
            }
            fn visit_str<E: serde::de::Error>(
                self,
                s: &str,
            ) -> std::result::Result<Self::Value, E> {
                s.parse().map_err(E::custom)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                use serde::de::Error;
                let key: String = map.next_key()?.ok_or_else(|| {
                    A::Error::custom(
                        "an empty ensemble table; expected iid = {..} or hidden_manifold = {..}",
                    )
                })?;
                const KEYS: &[&str] = &["iid", "hidden_manifold"];
                let kind = match key.as_str() {
                    "iid" => {
                        let spec: IidSpec = map.next_value()?;
                        spec.build().map(EnsembleKind::Iid)
                    }
                    "hidden_manifold" => {
                        let spec: HiddenManifoldSpec = map.next_value()?;
                        spec.build().map(EnsembleKind::HiddenManifold)
                    }
                    _ => return Err(A::Error::unknown_field(&key, KEYS)),
                };
                if let Some(k) = map.next_key::<String>()? {
                    return Err(A::Error::unknown_field(&k, KEYS));
                }
                kind.map_err(A::Error::custom)
            }
        }
        d.deserialize_any(V)
    }
}

impl std::fmt::Display for EnsembleKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// ln cosh x, accurate to a few ulp for all x: ln(1 + 2 sinh²(x/2)) for |x| ≤ 20 (no
/// cancellation at small x), |x| + ln(1 + e^{−2|x|}) − ln 2 beyond (no overflow).
pub(crate) fn ln_cosh(x: f64) -> f64 {
    let a = x.abs();
    if a <= 20.0 {
        let s = (0.5 * a).sinh();
        (2.0 * s * s).ln_1p()
    } else {
        a + (-2.0 * a).exp().ln_1p() - std::f64::consts::LN_2
    }
}

#[cfg(test)]
mod tests {
    /// ln cosh against the direct formula where that is exact enough, and its asymptote.
    #[test]
    fn ln_cosh_accuracy() {
        for &x in &[1e-8f64, 1e-3, 0.3, 2.0, 19.9, 20.1, 300.0, 1e5] {
            let got = super::ln_cosh(x);
            let reference = if x < 0.1 {
                // Taylor series: x²/2 − x⁴/12 + x⁶/45 − 17x⁸/2520 (next term < 1e-18 relative)
                x * x / 2.0 - x.powi(4) / 12.0 + x.powi(6) / 45.0 - 17.0 * x.powi(8) / 2520.0
            } else if x < 300.0 {
                x.cosh().ln()
            } else {
                x - std::f64::consts::LN_2
            };
            assert!(
                (got - reference).abs() <= 4.0 * f64::EPSILON * reference,
                "{x}: {got} vs {reference}"
            );
            assert_eq!(super::ln_cosh(-x), got);
        }
    }
}
