//! The value types of config keys, shared by every study's section: sweeps (lists, ranges or
//! arrays) validated while parsing, whole numbers, positive numbers, defaults. Below the
//! sections and the config parser; imports neither.

use serde::Deserialize;

use crate::sweep::ParamList;

/// A sweep as written: a list/range string, an array of numbers, or one number.
#[derive(Deserialize)]
#[serde(untagged)]
enum SweepValue {
    Text(String),
    Numbers(Vec<f64>),
    One(f64),
}

fn parse_sweep<'de, D: serde::Deserializer<'de>>(
    d: D,
    ok: impl Fn(f64) -> bool,
    what: &str,
) -> std::result::Result<ParamList, D::Error> {
    use serde::de::Error;
    let list = match SweepValue::deserialize(d).map_err(|_| {
        D::Error::custom(
            "expected a list \"a,b,c\", a range \"from:to:points\", an array of numbers or a number",
        )
    })? {
        SweepValue::Text(s) => ParamList::parse(&s).map_err(D::Error::custom)?,
        SweepValue::Numbers(v) => ParamList(v),
        SweepValue::One(x) => ParamList(vec![x]),
    };
    if list.0.is_empty() {
        return Err(D::Error::custom("expected at least one value"));
    }
    if let Some(bad) = list.0.iter().find(|v| !ok(**v)) {
        return Err(D::Error::custom(format!("value {bad} is not {what}")));
    }
    Ok(list)
}

macro_rules! sweep_type {
    ($(#[$m:meta])* $name:ident, $ok:expr, $what:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone)]
        pub struct $name(pub ParamList);
        impl $name {
            /// The values.
            pub fn values(&self) -> &[f64] {
                self.0.values()
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                parse_sweep(d, $ok, $what).map(Self)
            }
        }
    };
}

sweep_type!(
    /// A sweep of values > 0, written as a list/range string, an array of numbers, or one
    /// number. Validated while parsing, so errors point at the value's line.
    PositiveSweep,
    |v: f64| v.is_finite() && v > 0.0,
    "a finite number > 0"
);
sweep_type!(
    /// A sweep of finite values ≥ 0.
    NonNegSweep,
    |v: f64| v.is_finite() && v >= 0.0,
    "a finite number >= 0"
);
sweep_type!(
    /// A sweep of cosines in [−1, 1].
    CosineSweep,
    |v: f64| (-1.0..=1.0).contains(&v),
    "a cosine in [-1, 1]"
);
sweep_type!(
    /// A sweep of whole numbers ≥ 2 (numbers of neurons).
    WholeSweep,
    crate::sweep::is_neurons,
    crate::sweep::NEURONS
);

/// A whole number ≥ 1.
#[derive(Debug, Clone, Copy)]
pub struct Count(pub usize);

impl Count {
    pub(crate) fn thousand() -> Self {
        Self(1000)
    }
    pub(crate) fn hundred() -> Self {
        Self(100)
    }
    pub(crate) fn two() -> Self {
        Self(2)
    }
    pub(crate) fn four_hundred() -> Self {
        Self(400)
    }
    pub(crate) fn thirty_two() -> Self {
        Self(32)
    }
    pub(crate) fn eight() -> Self {
        Self(8)
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error;
        let x =
            i64::deserialize(d).map_err(|_| D::Error::custom("expected a whole number >= 1"))?;
        if x >= 1 {
            Ok(Self(x as usize))
        } else {
            Err(D::Error::custom(format!(
                "value {x} is not a whole number >= 1"
            )))
        }
    }
}

/// A finite number > 0.
#[derive(Debug, Clone, Copy)]
pub struct PositiveNumber(pub f64);

impl PositiveNumber {
    pub(crate) fn one() -> Self {
        Self(1.0)
    }
    pub(crate) fn half() -> Self {
        Self(0.5)
    }
    pub(crate) fn tenth() -> Self {
        Self(0.1)
    }
    pub(crate) fn four() -> Self {
        Self(4.0)
    }
    pub(crate) fn dt() -> Self {
        Self(0.01)
    }
    pub(crate) fn xtol() -> Self {
        Self(1e-6)
    }
    pub(crate) fn threshold() -> Self {
        Self(0.05)
    }
    pub(crate) fn twenty() -> Self {
        Self(20.0)
    }
    pub(crate) fn milli() -> Self {
        Self(1e-3)
    }
    pub(crate) fn ten() -> Self {
        Self(10.0)
    }
}

impl<'de> Deserialize<'de> for PositiveNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error;
        let x = f64::deserialize(d)?;
        if x.is_finite() && x > 0.0 {
            Ok(Self(x))
        } else {
            Err(D::Error::custom(format!(
                "value {x} is not a finite number > 0"
            )))
        }
    }
}

/// Default seed of the simulation streams.
pub(crate) fn one_u64() -> u64 {
    1
}
