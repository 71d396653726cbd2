//! Helpers shared by the integration tests: running the `engram` binary, temporary
//! directories, the Kolmogorov–Smirnov test.
#![allow(dead_code)] // each test crate uses its own subset

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// Run `engram args…`: exit code (−1 if killed), stdout, stderr.
pub fn engram(args: &[&str]) -> (i32, String, String) {
    let (code, out, err, _) = engram_timed(args);
    (code, out, err)
}

/// [`engram`] and its wall time.
pub fn engram_timed(args: &[&str]) -> (i32, String, String, Duration) {
    let t0 = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_engram"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        t0.elapsed(),
    )
}

/// A fresh, empty temporary directory `engram-<suite>-<tag>-<pid>`.
pub fn tmpdir(suite: &str, tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("engram-{suite}-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Kolmogorov–Smirnov: the p-value of D = sup|F_n − F| for n sorted samples (asymptotic
/// Kolmogorov law with Stephens' small-n correction).
pub fn ks_p(mut x: Vec<f64>, cdf: impl Fn(f64) -> f64) -> f64 {
    x.sort_by(f64::total_cmp);
    let n = x.len() as f64;
    let d = x
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let f = cdf(v);
            (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
        })
        .fold(0.0, f64::max);
    let t = (n.sqrt() + 0.12 + 0.11 / n.sqrt()) * d;
    let p: f64 = (1..=100)
        .map(|k| {
            let k = k as f64;
            2.0 * (-1f64).powf(k - 1.0) * (-2.0 * k * k * t * t).exp()
        })
        .sum();
    p.clamp(0.0, 1.0)
}
