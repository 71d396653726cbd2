//! Parameter lists and ranges (docs/guide.md, "Commands"): `a,b,c` or `from:to:points` (inclusive, linear).

use crate::error::{EngramError, Result};

/// The domain of a number of neurons N, in words: the one statement of the rule that the CLI,
/// the config files and [`crate::dam::params::SimParams::new`] all apply ([`neurons`]).
pub const NEURONS: &str = "a whole number >= 2";

/// Whether `v` is a valid number of neurons: a whole number in [2, 1e9).
pub fn is_neurons(v: f64) -> bool {
    v.fract() == 0.0 && (2.0..1e9).contains(&v)
}

/// A number of neurons N from a list value (`name` is the flag or key in the error).
pub fn neurons(name: &'static str, v: f64) -> Result<usize> {
    if is_neurons(v) {
        Ok(v as usize)
    } else {
        Err(EngramError::InvalidParameter {
            name,
            value: v.to_string(),
            allowed: NEURONS,
        })
    }
}

/// Parsed list of parameter values, in the order given.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamList(pub Vec<f64>);

fn bad(input: &str, reason: impl Into<String>) -> EngramError {
    EngramError::BadList {
        input: input.to_string(),
        reason: reason.into(),
    }
}

fn number(input: &str, token: &str) -> Result<f64> {
    let t = token.trim();
    let v: f64 = t
        .parse()
        .map_err(|_| bad(input, format!("'{t}' is not a number")))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(bad(input, format!("'{t}' is not finite")))
    }
}

impl ParamList {
    /// Parse `a,b,c` or `from:to:points` (points ≥ 1; with 1 point the item is `from`).
    /// Items of a comma list may themselves be ranges: `0.1,1:2:3` = [0.1, 1, 1.5, 2].
    pub fn parse(input: &str) -> Result<Self> {
        let s = input.trim();
        if s.is_empty() {
            return Err(bad(input, "empty"));
        }
        let mut v = Vec::new();
        for item in s.split(',') {
            if item.contains(':') {
                v.extend(range(input, item)?);
            } else {
                v.push(number(input, item)?);
            }
            if v.len() > MAX_LIST_VALUES {
                return Err(bad(
                    input,
                    format!("{} values: at most {MAX_LIST_VALUES} per list", v.len()),
                ));
            }
        }
        Ok(Self(v))
    }

    /// The values.
    pub fn values(&self) -> &[f64] {
        &self.0
    }
}

/// Most values one list may hold (10⁷: 80 MB, and far more rows than any sweep needs); a
/// larger range is refused before anything is allocated.
pub const MAX_LIST_VALUES: usize = 10_000_000;

/// Refuse a Cartesian grid of lists (`(name, length)` each) with more than
/// [`MAX_LIST_VALUES`] rows, before anything is allocated; the row count otherwise.
pub fn grid_rows(lists: &[(&'static str, usize)]) -> Result<usize> {
    let rows = lists
        .iter()
        .try_fold(1usize, |acc, &(_, n)| acc.checked_mul(n));
    match rows {
        Some(r) if r <= MAX_LIST_VALUES => Ok(r),
        _ => Err(EngramError::InvalidParameter {
            name: "grid",
            value: format!(
                "{} = {:.3e} rows",
                lists
                    .iter()
                    .map(|(name, n)| format!("{n} {name}"))
                    .collect::<Vec<_>>()
                    .join(" x "),
                lists.iter().map(|&(_, n)| n as f64).product::<f64>()
            ),
            allowed: "at most 10 000 000 rows (shorter lists)",
        }),
    }
}

fn range(input: &str, item: &str) -> Result<Vec<f64>> {
    let parts: Vec<&str> = item.split(':').collect();
    if parts.len() != 3 {
        return Err(bad(input, "a range is from:to:points"));
    }
    let from = number(input, parts[0])?;
    let to = number(input, parts[1])?;
    let p = parts[2].trim();
    let points: usize = p.parse().map_err(|_| {
        bad(
            input,
            format!("points '{p}' is not a whole number (write it out: 100, not 1e2)"),
        )
    })?;
    if points < 1 {
        return Err(bad(input, "a range needs at least 1 point"));
    }
    if points > MAX_LIST_VALUES {
        return Err(bad(
            input,
            format!("{points} points: at most {MAX_LIST_VALUES} values per list"),
        ));
    }
    if points == 1 {
        return Ok(vec![from]);
    }
    let step = (to - from) / (points - 1) as f64;
    let mut v: Vec<f64> = (0..points).map(|i| from + step * i as f64).collect();
    v[points - 1] = to;
    Ok(v)
}

impl std::str::FromStr for ParamList {
    type Err = EngramError;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_ranges() {
        assert_eq!(
            ParamList::parse("0.1,0.2, 3").unwrap().0,
            vec![0.1, 0.2, 3.0]
        );
        assert_eq!(
            ParamList::parse("0:1:5").unwrap().0,
            vec![0.0, 0.25, 0.5, 0.75, 1.0]
        );
        assert_eq!(ParamList::parse("2:9:1").unwrap().0, vec![2.0]);
        let r = ParamList::parse("0.1:0.3:3").unwrap().0;
        assert_eq!(r[2], 0.3);
        assert_eq!(
            ParamList::parse("0.5,1:2:3").unwrap().0,
            vec![0.5, 1.0, 1.5, 2.0]
        );
    }

    #[test]
    fn malformed() {
        for s in [
            "", "0:1", "0:1:0", "0:1:x", "0:1:2.5", "a,b", "1,,2", "nan", "1:inf:3", "1:2:3:4",
        ] {
            assert!(ParamList::parse(s).is_err(), "{s} should be rejected");
        }
    }
}
