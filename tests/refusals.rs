//! Nothing silently wrong, nothing aborted: each input that once aborted, hung, printed NaN or
//! blamed the wrong parameter now gets one line naming the flag or key, the value and what is
//! allowed, and writes no file.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::engram_timed as engram;

fn tmpdir(tag: &str) -> PathBuf {
    common::tmpdir("refusal", tag)
}

/// A refusal: exit code ≠ 0, one line on stderr holding every `needle`, within 10 s.
fn refused(args: &[&str], needles: &[&str]) {
    let (code, out, err, t) = engram(args);
    assert_ne!(code, 0, "{args:?} accepted: {out}");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: '{n}' missing from: {err}");
    }
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    assert!(t < Duration::from_secs(10), "{args:?} took {t:?}");
}

#[test]
fn resource_requests_are_refused_before_allocation() {
    refused(
        &[
            "dam",
            "thresholds",
            "--ensemble",
            "gaussian",
            "--lambda",
            "0.1:1:1000000000000",
        ],
        &["--lambda", "1000000000000 points", "at most 10000000"],
    );
    refused(
        &[
            "dam",
            "thresholds",
            "--ensemble",
            "gaussian",
            "--lambda",
            "0.1:1:1e12",
        ],
        &["--lambda", "not a whole number"],
    );
    refused(
        &[
            "dam",
            "rem",
            "--ensemble",
            "gaussian",
            "--alpha",
            "0.1:1:5000000",
            "--lambda",
            "0.1:1:5000000",
        ],
        &[
            "grid",
            "5000000 alpha x 5000000 lambda",
            "at most 10 000 000 rows",
        ],
    );
    refused(
        &[
            "idp",
            "sequence",
            "--kappa",
            "6",
            "--z0",
            "2",
            "--steps",
            "100000000000",
        ],
        &["steps = 100000000000", "[1, 10000000]"],
    );
    refused(
        &[
            "dam",
            "simulate",
            "--ensemble",
            "gaussian",
            "--n",
            "20",
            "--alpha",
            "0.1",
            "--lambda",
            "0.5",
            "--samples",
            "1000000000000000",
        ],
        &["max_hours", "estimated", "--max-hours"],
    );
}

#[test]
fn threads_are_checked_and_capped() {
    for t in ["-1", "0", "many"] {
        refused(
            &[
                "--threads",
                t,
                "dam",
                "thresholds",
                "--ensemble",
                "gaussian",
                "--lambda",
                "0.5",
            ],
            &["--threads", t, "expected a whole number >= 1"],
        );
    }
    let (code, out, err, t) = engram(&[
        "--threads",
        "100000",
        "dam",
        "thresholds",
        "--ensemble",
        "gaussian",
        "--lambda",
        "0.5",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("warning: --threads 100000 is above"), "{err}");
    assert_eq!(out.lines().count(), 2);
    assert!(t < Duration::from_secs(10), "{t:?}");
}

#[test]
fn messages_blame_the_right_parameter() {
    refused(
        &["kh", "relax", "--model", "b", "--nf", "32", "--nh", "0"],
        &["invalid nh = 0", "hidden neurons"],
    );
    refused(
        &[
            "diffusion",
            "reverse",
            "--n",
            "20",
            "--alpha",
            "0.1",
            "--samples",
            "4",
            "--steps",
            "0",
        ],
        &["invalid steps = 0"],
    );
    refused(
        &[
            "hopfield-classic",
            "simulate",
            "--n",
            "50",
            "--alpha",
            "0.1",
            "--samples",
            "2",
            "--interaction",
            "1",
        ],
        &["invalid interaction = 1"],
    );
    refused(
        &[
            "dam",
            "simulate",
            "--ensemble",
            "gaussian",
            "--n",
            "20",
            "--alpha",
            "0.1",
            "--lambda",
            "1e308",
            "--samples",
            "4",
        ],
        &["invalid lambda = 1e308", "f32 logits"],
    );
}

/// `dam simulate --out DIR` refuses and leaves no temporary behind.
#[test]
fn output_into_a_directory_leaves_nothing() {
    let d = tmpdir("outdir");
    refused(
        &[
            "dam",
            "simulate",
            "--ensemble",
            "gaussian",
            "--n",
            "20",
            "--alpha",
            "0.1",
            "--lambda",
            "0.5",
            "--samples",
            "4",
            "--out",
            d.to_str().unwrap(),
        ],
        &["is a directory"],
    );
    assert_eq!(std::fs::read_dir(&d).unwrap().count(), 0);
}

/// An output that cannot be written fails before any work (a file where its directory should
/// be: refused at once, nothing created); a missing directory is created when the result is
/// written (`--curve-out results/crossing/curves.csv` in a fresh checkout).
#[test]
fn outputs_are_checked_before_the_work_and_directories_created() {
    let d = tmpdir("outpath");
    let blocker = d.join("file");
    std::fs::write(&blocker, "x").unwrap();
    let base = [
        "dam",
        "crossing",
        "--ensemble",
        "gaussian",
        "--n",
        "20",
        "--alpha",
        "0.05:0.4:3",
        "--lambda",
        "0.3",
        "--samples",
        "300",
    ];
    let bad = blocker.join("sub/curves.csv");
    let mut args: Vec<&str> = base.to_vec();
    args.extend(["--curve-out", bad.to_str().unwrap()]);
    let (code, _, err, took) = engram(&args);
    assert_ne!(code, 0);
    assert!(
        err.contains("is not a directory") && err.lines().count() == 1,
        "{err}"
    );
    assert!(took.as_secs_f64() < 2.0, "refused only after {took:?}");
    assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);
    let good = d.join("new/dir/curves.csv");
    let mut args: Vec<&str> = base.to_vec();
    args[11] = "8";
    args.extend(["--curve-out", good.to_str().unwrap()]);
    let (code, _, err, _) = engram(&args);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read_to_string(&good)
        .unwrap()
        .starts_with("n,alpha,"));
}

/// A window that never crosses ½: rows with status = no_crossing, empty values (never `nan`),
/// and a warning on stderr per N.
#[test]
fn a_missing_crossing_is_a_status_and_a_warning() {
    let (code, out, err, _) = engram(&[
        "dam",
        "crossing",
        "--ensemble",
        "gaussian",
        "--n",
        "20,24",
        "--alpha",
        "0.1:0.11:2",
        "--lambda",
        "0.5",
        "--samples",
        "10",
    ]);
    assert_eq!(code, 0, "{err}");
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap(),
        "n,alpha_half,alpha_half_err,lambda,alpha_1_theory,kind,status"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 3, "{out}");
    for r in &rows {
        assert!(r.ends_with(",no_crossing"), "{r}");
        assert!(!r.to_lowercase().contains("nan"), "{r}");
    }
    assert_eq!(err.matches("does not cross 1/2").count(), 2, "{err}");
}

fn run_config(tag: &str, text: &str) -> (i32, String, PathBuf) {
    let d = tmpdir(tag);
    let path = d.join("c.toml");
    std::fs::write(&path, text).unwrap();
    let out = d.join("out");
    let (code, _, err, _) = engram(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    (code, err, out)
}

const DAM: &str = "[study]\nname = \"t\"\n\n[dam_simulation]\nensemble = \"gaussian\"\nn = 20\nx_axis = \"alpha\"\nsamples = 10\n";

/// Config values that make a result meaningless are refused with file, line and key, and no
/// result file is written.
#[test]
fn meaningless_configs_are_refused_with_file_and_line() {
    let (code, err, out) = run_config("lambda", &format!("{DAM}alpha = 0.1\nlambda = 1e308\n"));
    assert_ne!(code, 0);
    assert!(
        err.contains("c.toml:10: key 'lambda'") && err.contains("1e308"),
        "{err}"
    );
    assert!(!out.join("t/simulation.csv").exists());

    let (code, err, out) = run_config(
        "window",
        &format!("{DAM}alpha = \"0.05:5:4\"\nlambda = 0.5\n"),
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("c.toml") && err.contains("alpha = 1.7,"),
        "{err}"
    );
    assert!(!out.join("t/simulation.csv").exists());

    let (code, err, _) = run_config(
        "one-alpha",
        &format!("{DAM}alpha = 0.1\nlambda = 0.5\ncrossing = true\n"),
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("dam_simulation.alpha") && err.contains("two loads"),
        "{err}"
    );

    let noise = std::fs::read_to_string(format!(
        "{}/configs/idp_noise.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .replace("t_burn = 10.0", "t_burn = 50.0");
    assert!(noise.contains("t_burn = 50.0"));
    let (code, err, out) = run_config("burn", &noise);
    assert_ne!(code, 0);
    assert!(err.contains("t_burn") && err.contains("t_max"), "{err}");
    assert!(!out.join("idp_noise/simulation.csv").exists());
}

/// The column list in `--help` is the header the command prints.
#[test]
fn help_lists_every_column() {
    let sim = [
        "dam",
        "simulate",
        "--ensemble",
        "gaussian",
        "--n",
        "20",
        "--alpha",
        "0.1",
        "--lambda",
        "0.5",
        "--samples",
        "4",
    ];
    let cross = [
        "dam",
        "crossing",
        "--ensemble",
        "gaussian",
        "--n",
        "20",
        "--alpha",
        "0.1,0.6",
        "--lambda",
        "0.5",
        "--samples",
        "8",
    ];
    for (cmd, args) in [("simulate", &sim[..]), ("crossing", &cross[..])] {
        let (_, help, _, _) = engram(&["dam", cmd, "--help"]);
        let listed: String = help
            .split("Columns:")
            .nth(1)
            .unwrap_or_else(|| panic!("no Columns: in {cmd} --help"))
            .split("\n\n")
            .next()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("");
        // drop the parenthesised explanations: "kind (crossing | ...),status (ok | ...)"
        let mut cols = String::new();
        let mut depth = 0;
        for ch in listed.chars() {
            match ch {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ if depth == 0 => cols.push(ch),
                _ => {}
            }
        }
        let (code, out, err, _) = engram(args);
        assert_eq!(code, 0, "{err}");
        assert_eq!(cols, out.lines().next().unwrap(), "dam {cmd} --help");
    }
}

/// Found by the fuzzer: λ_c at a load so large that its lower bound α/ρ₁ exceeds the search
/// limit panicked in a clamp; no λ retrieves there, so λ_c = inf.
#[test]
fn lambda_c_at_a_huge_load_is_infinite() {
    let (code, out, err, _) = engram(&[
        "dam",
        "lambda-c",
        "--ensemble",
        "gaussian",
        "--alpha",
        "9223372036854775807",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.lines().nth(1).unwrap(),
        "9.223372036854776e18,inf",
        "{out}"
    );
}

/// Merging a shard that ran with another config names the shard and the line that differs
/// (it once dumped a parameter struct and said "run its shard first").
#[test]
fn merge_names_the_config_line_a_shard_differs_in() {
    let d = tmpdir("merge");
    let cfg = format!("{}/configs/retrieval.toml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&cfg).unwrap();
    let other = d.join("other.toml");
    std::fs::write(&other, text.replacen("seed = 7", "seed = 99", 1)).unwrap();
    let (a, b) = (d.join("a"), d.join("b"));
    for (c, out, shard) in [
        (cfg.as_str(), &a, "0/2"),
        (other.to_str().unwrap(), &b, "1/2"),
    ] {
        let (code, _, err, _) = engram(&[
            "run",
            c,
            "--quick",
            "--shard",
            shard,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
    }
    let (sa, sb) = (a.join("retrieval"), b.join("retrieval"));
    refused(
        &["merge", sa.to_str().unwrap(), sb.to_str().unwrap()],
        &["ran with another config", "seed = 99", "seed = 7"],
    );
}
