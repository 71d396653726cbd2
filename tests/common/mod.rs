//! Helpers shared by the integration tests that run the `engram` binary.
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
