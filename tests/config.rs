//! `engram run`: the default study writes its CSV and manifest; bad configs fail with
//! file, line and key.

use std::path::PathBuf;
use std::process::Command;

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("engram-test-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(config: &str, out: &std::path::Path) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_engram"))
        .args(["run", config, "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8(o.stderr).unwrap(),
    )
}

#[test]
fn default_config_writes_phase_diagram() {
    let out = tmpdir("default");
    let cfg = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/phase_diagram.toml");
    let (code, err) = run(cfg, &out);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(out.join("phase_diagram/theory.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(header
        .starts_with("ensemble,lambda,alpha_1,phase_at_alpha_1,alpha_c,alpha_c_norm,alpha_c_pair"));
    assert_eq!(lines.count(), 3 * 400);
    // gaussian α₁ = λ − λ²/2 on the first row (λ = 0.01)
    let first: Vec<&str> = text.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(first[0], "gaussian");
    assert!((first[2].parse::<f64>().unwrap() - (0.01 - 0.00005)).abs() < 1e-15);
    let manifest = std::fs::read_to_string(out.join("phase_diagram/manifest.json")).unwrap();
    assert!(manifest.contains("\"engram_version\"") && manifest.contains("[phase_diagram]"));
    // no temporary files left behind
    for f in std::fs::read_dir(out.join("phase_diagram")).unwrap() {
        assert!(!f.unwrap().file_name().to_string_lossy().contains(".tmp-"));
    }
}

fn bad_config(tag: &str, text: &str) -> String {
    let dir = tmpdir(tag);
    let path = dir.join("bad.toml");
    std::fs::write(&path, text).unwrap();
    let (code, err) = run(path.to_str().unwrap(), &dir);
    assert_ne!(code, 0);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("bad.toml"), "{err}");
    err
}

const HEAD: &str = "[study]\nname = \"t\"\n\n[phase_diagram]\nensembles = [\"gaussian\"]\n";

#[test]
fn unknown_key() {
    let err = bad_config(
        "unknown",
        &format!("{HEAD}lambda = \"0.1:1:3\"\nlamda = 3\n"),
    );
    assert!(err.contains("bad.toml:7") && err.contains("lamda"), "{err}");
}

#[test]
fn wrong_type() {
    let err = bad_config(
        "type",
        &format!("{HEAD}lambda = \"0.1:1:3\"\nrho = \"one\"\n"),
    );
    assert!(
        err.contains("bad.toml:7") && err.contains("key 'rho'") && err.contains("number"),
        "{err}"
    );
}

#[test]
fn out_of_range_value() {
    let err = bad_config("range", &format!("{HEAD}lambda = \"-1:1:3\"\n"));
    assert!(
        err.contains("bad.toml:6") && err.contains("lambda"),
        "{err}"
    );
    let err = bad_config(
        "range2",
        "[study]\nname = \"t\"\n\n[phase_diagram]\nensembles = [\"cauchy\"]\nlambda = 1.0\n",
    );
    assert!(
        err.contains("bad.toml:5") && err.contains("cauchy"),
        "{err}"
    );
}

#[test]
fn missing_file() {
    let dir = tmpdir("missing");
    let (code, err) = run(dir.join("nope.toml").to_str().unwrap(), &dir);
    assert_ne!(code, 0);
    assert!(
        err.contains("nope.toml") && err.contains("cannot read"),
        "{err}"
    );
}

#[test]
fn unknown_section_is_named_at_its_line() {
    let err = bad_config(
        "section",
        "[study]\nname = \"t\"\n\n[phase_diagrm]\nensembles = [\"gaussian\"]\n",
    );
    assert!(
        err.contains("bad.toml:4") && err.contains("phase_diagrm") && err.contains("two_group"),
        "{err}"
    );
}
