//! Fuzzed inputs: every shipped config mutated (values at the edges of f64 and of the integers,
//! wrong types, unicode, empty values, deleted, duplicated and unknown keys, truncation), and the
//! theory commands with mutated arguments. Nothing may panic, abort or hang; a refused config
//! is one line naming the file (and, for a parse error, its line and key).
//!
//! The default suite runs 2000 config cases and 200 command lines;
//! `cargo test --release --test fuzz -- --ignored` runs 20 000 and 2000.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

const ORIGIN: &str = "fuzz.toml";

/// Values a mutation writes in place of a value.
const EDGES: &[&str] = &[
    "0",
    "-1",
    "1",
    "2",
    "0.5",
    "-0.0",
    "1e308",
    "-1e308",
    "5e-324",
    "1e-300",
    "nan",
    "inf",
    "-inf",
    "9223372036854775807",
    "18446744073709551616",
    "1000000000000000",
    "4294967297",
    "\"\"",
    "\"α\"",
    "\"0.1:1:1000000000000\"",
    "\"0.05:5:4\"",
    "\"1:0:3\"",
    "\"0.1,,0.2\"",
    "\"gaussian\"",
    "true",
    "[]",
    "[1, 2]",
    "[[0.1, 0.2]]",
    "{}",
];

fn shipped_configs() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for dir in ["configs", "configs/long"] {
        let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir);
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "toml") {
                out.push((
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read_to_string(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    assert!(out.len() >= 10, "{} configs", out.len());
    out
}

/// One mutation of a config text.
#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the value on the k-th `key = value` line.
    Value(usize, usize),
    /// Delete the k-th line.
    Delete(usize),
    /// Duplicate the k-th line.
    Duplicate(usize),
    /// Insert an unknown key after the k-th line.
    Unknown(usize),
    /// Cut the text at this fraction of its length.
    Truncate(f64),
    /// Replace the k-th section header's name by unicode.
    Section(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        6 => (any::<usize>(), 0..EDGES.len()).prop_map(|(k, e)| Mutation::Value(k, e)),
        1 => any::<usize>().prop_map(Mutation::Delete),
        1 => any::<usize>().prop_map(Mutation::Duplicate),
        1 => any::<usize>().prop_map(Mutation::Unknown),
        1 => (0.0..1.0f64).prop_map(Mutation::Truncate),
        1 => any::<usize>().prop_map(Mutation::Section),
    ]
}

fn apply(text: &str, muts: &[Mutation]) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut tail = None;
    for m in muts {
        if lines.is_empty() {
            break;
        }
        let n = lines.len();
        let assignments: Vec<usize> = (0..n)
            .filter(|&i| {
                let t = lines[i].trim_start();
                !t.starts_with('#') && t.contains('=')
            })
            .collect();
        let headers: Vec<usize> = (0..n)
            .filter(|&i| lines[i].trim_start().starts_with('['))
            .collect();
        match *m {
            Mutation::Value(k, e) if !assignments.is_empty() => {
                let i = assignments[k % assignments.len()];
                let key = lines[i].split('=').next().unwrap().to_string();
                lines[i] = format!("{key}= {}", EDGES[e]);
            }
            Mutation::Delete(k) => {
                lines.remove(k % n);
            }
            Mutation::Duplicate(k) => {
                let l = lines[k % n].clone();
                lines.insert(k % n, l);
            }
            Mutation::Unknown(k) => lines.insert(k % n + 1, "frobnicate = 3".into()),
            Mutation::Truncate(f) => tail = Some(f),
            Mutation::Section(k) if !headers.is_empty() => {
                let i = headers[k % headers.len()];
                lines[i] = lines[i].replacen('[', "[ünïcode_", 1);
            }
            _ => {}
        }
    }
    let mut s = lines.join("\n");
    if let Some(f) = tail {
        let mut cut = (s.len() as f64 * f) as usize;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

/// Parse, validate and plan a mutated config in-process: no panic, at most 2 s, and an error is
/// one line naming the file.
fn check_config(text: &str) -> Result<bool, TestCaseError> {
    let t0 = Instant::now();
    let res = catch_unwind(AssertUnwindSafe(|| {
        let cfg = engram::study::parse_config(text, ORIGIN)?;
        let s = cfg.model.study();
        s.plan(true)?;
        s.plan(false)
    }));
    let elapsed = t0.elapsed();
    prop_assert!(res.is_ok(), "panic on:\n{text}");
    prop_assert!(elapsed < Duration::from_secs(2), "{elapsed:?} on:\n{text}");
    let res = res.unwrap();
    let accepted = res.is_ok();
    if let Err(e) = res {
        let msg = e.to_string();
        prop_assert!(!msg.contains('\n'), "multi-line error {msg:?} on:\n{text}");
        prop_assert!(!msg.is_empty());
        if let engram::error::EngramError::Config(m) = &e {
            prop_assert!(
                m.contains(ORIGIN),
                "error without the file: {m} on:\n{text}"
            );
        }
    }
    Ok(accepted)
}

fn fuzz_configs(cases: u32) {
    let configs = shipped_configs();
    let outcomes = std::cell::Cell::new((0usize, 0usize));
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        0..configs.len(),
        proptest::collection::vec(mutation(), 1..4),
    );
    runner
        .run(&strategy, |(c, muts)| {
            let text = apply(&configs[c].1, &muts);
            if let Ok(p) = std::env::var("ENGRAM_FUZZ_LAST") {
                std::fs::write(p, &text).unwrap(); // the case a crash leaves behind
            }
            let accepted = check_config(&text)?;
            let (a, r) = outcomes.get();
            outcomes.set(if accepted { (a + 1, r) } else { (a, r + 1) });
            Ok(())
        })
        .unwrap();
    let (a, r) = outcomes.get();
    eprintln!("{a} mutated configs accepted, {r} refused");
    // the mutations reach both sides: valid configs that plan, and refusals
    assert!(
        a > cases as usize / 20 && r > cases as usize / 5,
        "{a} accepted, {r} refused"
    );
}

#[test]
fn mutated_configs_never_panic_or_hang() {
    fuzz_configs(2000);
}

#[test]
#[ignore = "20 000 mutated configs, about a minute"]
fn mutated_configs_never_panic_or_hang_long() {
    fuzz_configs(20_000);
}

/// Theory commands (fast at any valid input) with one or two arguments mutated.
const COMMANDS: &[&[&str]] = &[
    &[
        "dam",
        "thresholds",
        "--ensemble",
        "gaussian",
        "--lambda",
        "0.5",
    ],
    &[
        "dam",
        "rem",
        "--ensemble",
        "spherical",
        "--alpha",
        "0.1",
        "--lambda",
        "0.5",
    ],
    &[
        "dam",
        "basin",
        "--ensemble",
        "binary",
        "--alpha",
        "0.1",
        "--lambda",
        "2",
    ],
    &[
        "dam",
        "lambda-c",
        "--ensemble",
        "gaussian",
        "--alpha",
        "0.1",
    ],
    &[
        "dam",
        "scaled",
        "--ensemble",
        "gaussian",
        "--beta",
        "1",
        "--n",
        "100",
    ],
    &[
        "idp", "sequence", "--kappa", "6", "--z0", "2", "--steps", "20",
    ],
];

const ARG_EDGES: &[&str] = &[
    "0",
    "-1",
    "1e308",
    "-1e308",
    "nan",
    "inf",
    "",
    "α",
    "0.1:1:1000000000000",
    "1,,2",
    "1:0:3",
    "9223372036854775807",
    "--",
    "-",
    "0x10",
    "1e-320",
    "spherical",
    "binary",
];

fn check_command(args: &[String]) -> Result<(), TestCaseError> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_engram"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            prop_assert!(
                !err.contains("panicked") && !err.contains("memory allocation"),
                "{args:?}: {err}"
            );
            let code = status.code();
            prop_assert!(matches!(code, Some(0..=2)), "{args:?}: {code:?} {err}");
            if code != Some(0) {
                prop_assert!(err.starts_with("error: "), "{args:?}: {err}");
                prop_assert_eq!(err.trim_end().lines().count(), 1, "{:?}: {}", args, err);
            }
            return Ok(());
        }
        if t0.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            return Err(TestCaseError::fail(format!("{args:?} hung for 20 s")));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn fuzz_commands(cases: u32) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        0..COMMANDS.len(),
        proptest::collection::vec((any::<usize>(), 0..ARG_EDGES.len()), 1..3),
    );
    runner
        .run(&strategy, |(c, muts)| {
            let mut args: Vec<String> = COMMANDS[c].iter().map(|s| s.to_string()).collect();
            for (k, e) in muts {
                let i = 2 + k % (args.len() - 2);
                args[i] = ARG_EDGES[e].to_string();
            }
            check_command(&args)
        })
        .unwrap();
}

#[test]
fn mutated_command_lines_never_panic_or_hang() {
    fuzz_commands(200);
}

#[test]
#[ignore = "2000 mutated command lines, a few minutes"]
fn mutated_command_lines_never_panic_or_hang_long() {
    fuzz_commands(2000);
}
