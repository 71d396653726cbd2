//! A study killed (SIGKILL) at random instants, again and again, then resumed, ends with the
//! same CSV as an uninterrupted run; at every kill the directory holds either a complete study
//! (its manifest present) or a resumable one, never a half-written file.
//!
//! Half the killed runs continue with `--resume`, half start over with `--force`. The default
//! suite runs 40 of them; `cargo test --release --test kill -- --ignored` runs 400.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("engram-kill-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(cfg: &str, out: &Path, extra: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_engram"))
        .args(["run", cfg, "--quick", "--out", out.to_str().unwrap()])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The CSV tables of a study directory, by name (figures and the manifest carry timings).
fn tables(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut t: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".csv") && !n.starts_with('.'))
        .map(|n| {
            let b = std::fs::read(dir.join(&n)).unwrap();
            (n, b)
        })
        .collect();
    t.sort();
    t
}

/// Every visible file is whole: CSV tables parse with one column count, point files start with
/// their key line.
fn check_whole(dir: &Path) {
    for (name, bytes) in tables(dir) {
        let mut r = csv::Reader::from_reader(&bytes[..]);
        let width = r.headers().unwrap().len();
        for rec in r.records() {
            let rec = rec.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(rec.len(), width, "{name} is half-written");
        }
    }
    if let Ok(d) = std::fs::read_dir(dir.join(".points")) {
        for e in d.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with('.') {
                continue; // a temporary of the killed writer: never read
            }
            let text = std::fs::read_to_string(e.path()).unwrap();
            assert!(text.starts_with("engram-point/"), "{n}: {text:?}");
            assert!(text.ends_with('\n'), "{n} is half-written");
        }
    }
}

fn kill_and_resume(kills: usize) {
    let cfg = format!("{}/configs/two_group.toml", env!("CARGO_MANIFEST_DIR"));
    let reference = tmpdir(&format!("ref{kills}"));
    let t0 = Instant::now();
    let out = run(&cfg, &reference, &[]).wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let span = t0.elapsed().as_secs_f64() * 1.2;
    let want = tables(&reference.join("two_group"));
    assert!(!want.is_empty());

    let root = tmpdir(&format!("killed{kills}"));
    let dir = root.join("two_group");
    let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut killed = 0;
    for _ in 0..kills {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let at = span * (rng >> 11) as f64 / (1u64 << 53) as f64;
        // half the runs continue (--resume), half start over (--force): both must leave the
        // directory whole when killed
        let mode = if rng & 1 == 0 { "--resume" } else { "--force" };
        let mut child = run(&cfg, &root, &[mode]);
        std::thread::sleep(Duration::from_secs_f64(at));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        }
        let status = child.wait().unwrap();
        if status.success() {
            assert!(dir.join("manifest.json").exists());
        }
        if dir.exists() {
            check_whole(&dir);
        }
    }
    eprintln!("{killed} of {kills} runs killed");
    assert!(
        killed >= kills / 4,
        "only {killed} of {kills} runs were killed"
    );
    let out = run(&cfg, &root, &["--resume"]).wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("manifest.json").exists());
    assert_eq!(tables(&dir), want, "after {killed} kills");
    let _ = std::fs::remove_dir_all(&root);
    let _ = std::fs::remove_dir_all(&reference);
}

#[test]
fn killed_at_random_instants_the_study_resumes_to_the_same_result() {
    kill_and_resume(40);
}

#[test]
#[ignore = "400 runs, about 3 minutes"]
fn killed_400_runs_the_study_resumes_to_the_same_result() {
    kill_and_resume(400);
}
