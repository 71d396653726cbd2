//! The command-line contract (docs/guide.md, "Commands"): columns, lists/ranges, one-line errors for bad input.

mod common;

use common::engram;

fn csv(stdout: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = stdout.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

fn starts_with_columns(header: &[String], cols: &[&str]) {
    for (i, c) in cols.iter().enumerate() {
        assert_eq!(
            header.get(i).map(String::as_str),
            Some(*c),
            "header {header:?}"
        );
    }
}

#[test]
fn thresholds_columns_and_values() {
    let (code, out, _) = engram(&[
        "dam",
        "thresholds",
        "--ensemble",
        "gaussian",
        "--lambda",
        "0.5,1:2:3",
    ]);
    assert_eq!(code, 0);
    let (h, rows) = csv(&out);
    starts_with_columns(&h, &["lambda", "alpha_1", "alpha_c"]);
    assert!(h.contains(&"alpha_c_norm".into()) && h.contains(&"alpha_c_pair".into()));
    assert_eq!(rows.len(), 4);
    let lambdas: Vec<f64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(lambdas, vec![0.5, 1.0, 1.5, 2.0]);
    // closed form α₁ = λ − λ²/2 at λ = 0.5, printed at full precision
    assert_eq!(rows[0][1].parse::<f64>().unwrap(), 0.375);
}

#[test]
fn rem_and_basin_columns() {
    let (code, out, _) = engram(&[
        "dam",
        "rem",
        "--ensemble",
        "spherical",
        "--alpha",
        "0.1,0.3",
        "--lambda",
        "0.5:3:2",
        "--r",
        "1",
    ]);
    assert_eq!(code, 0);
    let (h, rows) = csv(&out);
    starts_with_columns(&h, &["phi", "phase", "u_star", "lambda_star"]);
    assert_eq!(rows.len(), 4);
    let (code, out, _) = engram(&[
        "dam",
        "basin",
        "--ensemble",
        "gaussian",
        "--alpha",
        "0.2",
        "--lambda",
        "2",
    ]);
    assert_eq!(code, 0);
    let (h, rows) = csv(&out);
    starts_with_columns(&h, &["m_c"]);
    // condensed gaussian basin: m_c = √(2α r)
    assert!((rows[0][0].parse::<f64>().unwrap() - 0.4f64.sqrt()).abs() < 1e-15);
}

#[test]
fn lambda_c_and_scaled() {
    let (code, out, _) = engram(&[
        "dam",
        "lambda-c",
        "--ensemble",
        "gaussian",
        "--alpha",
        "0.375,0.7",
    ]);
    assert_eq!(code, 0);
    let (h, rows) = csv(&out);
    starts_with_columns(&h, &["alpha", "lambda_c"]);
    assert!((rows[0][1].parse::<f64>().unwrap() - 0.5).abs() < 1e-14);
    assert_eq!(rows[1][1], "inf");
    let (code, out, _) = engram(&[
        "dam",
        "scaled",
        "--ensemble",
        "binary",
        "--beta",
        "0.5",
        "--n",
        "100",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("tentative"));
}

#[test]
fn bad_input_is_one_line_naming_the_parameter() {
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "dam",
                "thresholds",
                "--ensemble",
                "gaussian",
                "--lambda",
                "-1",
            ],
            "lambda",
        ),
        (
            &[
                "dam",
                "thresholds",
                "--ensemble",
                "gaussian",
                "--lambda",
                "0",
            ],
            "lambda",
        ),
        (
            &["dam", "thresholds", "--ensemble", "cauchy", "--lambda", "1"],
            "ensemble",
        ),
        (
            &[
                "dam",
                "rem",
                "--ensemble",
                "gaussian",
                "--alpha",
                "0",
                "--lambda",
                "1",
            ],
            "alpha",
        ),
        (
            &[
                "dam",
                "rem",
                "--ensemble",
                "gaussian",
                "--alpha",
                "-0.2",
                "--lambda",
                "1",
            ],
            "alpha",
        ),
        (
            &[
                "dam",
                "rem",
                "--ensemble",
                "gaussian",
                "--alpha",
                "0.1",
                "--lambda",
                "1",
                "--r",
                "0",
            ],
            "r =",
        ),
        (
            &[
                "dam",
                "basin",
                "--ensemble",
                "gaussian",
                "--alpha",
                "0.1",
                "--lambda",
                "1",
                "--r",
                "-3",
            ],
            "r =",
        ),
        (
            &[
                "dam",
                "rem",
                "--ensemble",
                "gaussian",
                "--alpha",
                "0.1:0.3:0",
                "--lambda",
                "1",
            ],
            "--alpha",
        ),
        (
            &[
                "dam",
                "rem",
                "--ensemble",
                "gaussian",
                "--alpha",
                "0.1:0.3",
                "--lambda",
                "1",
            ],
            "--alpha",
        ),
        (
            &[
                "dam",
                "rem",
                "--ensemble",
                "gaussian",
                "--alpha",
                "x,1",
                "--lambda",
                "1",
            ],
            "--alpha",
        ),
        (
            &[
                "dam",
                "thresholds",
                "--ensemble",
                "gaussian",
                "--lambda",
                "1,,2",
            ],
            "--lambda",
        ),
        (&["dam", "thresholds", "--ensemble", "gaussian"], "--lambda"),
        (
            &[
                "dam",
                "lambda-c",
                "--ensemble",
                "gaussian",
                "--alpha",
                "nan",
            ],
            "--alpha",
        ),
        (
            &["dam", "scaled", "--ensemble", "gaussian", "--beta", "-1"],
            "beta",
        ),
    ];
    for (args, name) in cases {
        let (code, out, err) = engram(args);
        assert_ne!(code, 0, "{args:?} should fail");
        assert!(out.is_empty(), "{args:?} printed to stdout: {out}");
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{args:?}: not one line: {err}"
        );
        assert!(err.contains(name), "{args:?}: '{err}' does not name {name}");
        assert!(
            !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
            "{err}"
        );
    }
}

#[test]
fn help_names_the_physics() {
    let (code, out, _) = engram(&["dam", "rem", "--help"]);
    assert_eq!(code, 0);
    for word in ["α", "λ", "r = ‖x‖²/N", "phi,phase,u_star,lambda_star"] {
        assert!(out.contains(word), "help lacks {word}");
    }
}

/// `dam simulate` / `dam crossing`: bad input is one line naming the parameter (issue #3).
#[test]
fn simulate_bad_input() {
    // defaults, overridden (not repeated) by each case's options
    let base = |extra: &[&'static str]| -> Vec<&'static str> {
        let mut kv = vec![
            ("--ensemble", "gaussian"),
            ("--n", "10"),
            ("--alpha", "0.2"),
            ("--lambda", "0.5"),
            ("--samples", "4"),
        ];
        for pair in extra.chunks(2) {
            match kv.iter_mut().find(|(k, _)| *k == pair[0]) {
                Some(slot) => slot.1 = pair[1],
                None => kv.push((pair[0], pair[1])),
            }
        }
        let mut v = vec!["dam", "simulate"];
        for (k, val) in kv {
            v.push(k);
            v.push(val);
        }
        v
    };
    let mut cases: Vec<(Vec<&str>, &str)> = vec![
        (base(&["--n", "1"]), "n"),
        (base(&["--n", "2.5"]), "n"),
        (base(&["--samples", "0"]), "samples"),
        (base(&["--eta", "0"]), "eta"),
        (base(&["--eta", "-0.5"]), "eta"),
        (base(&["--xtol", "0"]), "xtol"),
        (base(&["--xtol", "-1e-6"]), "xtol"),
        (base(&["--cosine", "1.5"]), "cosine"),
        (base(&["--r", "1"]), "r"),
        (base(&["--memory-gib", "0"]), "memory_gib"),
        // N = 60, α = 0.3: P·N·4 bytes = 15.6 GiB for one sample
        (base(&["--n", "60", "--alpha", "0.3"]), "memory"),
    ];
    let mut crossing = base(&["--lambda", "0.3,0.5"]);
    crossing[1] = "crossing";
    cases.push((crossing, "lambda"));
    for (args, name) in cases {
        let (code, out, err) = engram(&args);
        assert_ne!(code, 0, "{args:?}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(name), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("multiple times"),
            "{err}"
        );
    }
}

/// `dam simulate` columns (docs/guide.md, "Commands") and `--threads 1` vs `--threads 2` give the same bytes.
#[test]
fn simulate_columns_and_thread_independence() {
    let args = |t: &'static str| {
        vec![
            "--threads",
            t,
            "dam",
            "simulate",
            "--ensemble",
            "spherical",
            "--n",
            "12,16",
            "--alpha",
            "0.3",
            "--lambda",
            "0.5",
            "--samples",
            "16",
            "--seed",
            "5",
        ]
    };
    let (code, one, err) = engram(&args("1"));
    assert_eq!(code, 0, "{err}");
    let (code, two, _) = engram(&args("2"));
    assert_eq!(code, 0);
    assert_eq!(one, two);
    // the header is the typed row's (docs/simulator.md documents it: checked in readme_columns)
    let rows: Vec<engram::dam::table::SimRow> = engram::io::rows::parse_csv(&one).unwrap();
    assert_eq!(
        one.lines().next().unwrap(),
        engram::io::rows::header::<engram::dam::table::SimRow>().join(",")
    );
    assert_eq!(rows.len(), 2);
    // P = round(e^{αN})
    assert_eq!(rows[0].patterns, (0.3f64 * 12.0).exp().round() as usize);
}

/// docs/simulator.md's `dam simulate` column list is the typed row's header, and so is the CLI help.
#[test]
fn readme_columns() {
    let header = engram::io::rows::header::<engram::dam::table::SimRow>().join(",");
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/simulator.md")).unwrap();
    assert!(
        readme.contains(&format!("`{header}`")),
        "docs/simulator.md lacks {header}"
    );
}

/// `dam crossing`: one row per N plus the extrapolation; a monotone curve that falls through
/// 1/2 between grid points has its crossing inside the bracketing α interval.
#[test]
fn crossing_columns() {
    let (code, out, err) = engram(&[
        "dam",
        "crossing",
        "--ensemble",
        "gaussian",
        "--n",
        "12,16",
        "--alpha",
        "0.05:0.9:6",
        "--lambda",
        "2",
        "--samples",
        "40",
    ]);
    assert_eq!(code, 0, "{err}");
    let (h, rows) = csv(&out);
    let cols = engram::io::rows::header::<engram::dam::fss::CrossingRow>();
    assert_eq!(h, cols[..engram::dam::fss::CROSSING_COLUMNS].to_vec());
    assert_eq!(rows.len(), 3, "{out}");
    assert_eq!(rows[2][5], "extrapolated_1/N");
    for r in &rows[..2] {
        let a: f64 = r[1].parse().unwrap();
        assert!(a > 0.05 && a < 0.9, "{out}");
    }
}

/// `engram idp` commands (docs/guide.md, "Commands"): columns and reference values (docs/theory.md#sequence: κ = 6 ⇒
/// Z₊ = 4.732, Z₋ = 1.268, dwell 1.554; β = 10: α_exist(σ = 0.5) = 0.457).
#[test]
fn idp_commands_columns() {
    let (code, out, err) = engram(&[
        "idp",
        "fixed-point",
        "--saliency",
        "1",
        "--gain",
        "10",
        "--sigma",
        "0,0.5",
    ]);
    assert_eq!(code, 0, "{err}");
    let (h, rows) = csv(&out);
    starts_with_columns(&h, &["m_star", "alpha_exist", "alpha_stab"]);
    assert_eq!(rows.len(), 2);
    assert!((rows[1][1].parse::<f64>().unwrap() - 0.457).abs() < 6e-4);
    let (code, out, _) = engram(&["idp", "map", "--kappa", "3,6"]);
    assert_eq!(code, 0);
    let (h, rows) = csv(&out);
    starts_with_columns(&h, &["kappa_c", "z_plus", "z_minus", "dwell_steady"]);
    assert_eq!(rows[0][1], "", "no fixed point below kappa_c");
    let zp: f64 = rows[1][1].parse().unwrap();
    let zm: f64 = rows[1][2].parse().unwrap();
    let d: f64 = rows[1][3].parse().unwrap();
    assert!((zp - 4.732).abs() < 5e-4 && (zm - 1.268).abs() < 5e-4 && (d - 1.554).abs() < 5e-4);
    // κ = 3 from Z = 3: 3, 2, 1.5 retrieved, then 1 = θ
    let (code, out, _) = engram(&["idp", "sequence", "--kappa", "3", "--z0", "3"]);
    assert_eq!(code, 0);
    let (h, rows) = csv(&out);
    starts_with_columns(&h, &["n", "z", "dwell"]);
    let zs: Vec<f64> = rows.iter().map(|r| r[1].parse().unwrap()).collect();
    assert_eq!(zs.len(), 4);
    assert!((zs[1] - 2.0).abs() < 1e-12 && (zs[2] - 1.5).abs() < 1e-12 && zs[3] <= 1.0 + 1e-12);
    let (code, out, _) = engram(&["idp", "phase", "--kappa", "3,6", "--z0", "1.2,3"]);
    assert_eq!(code, 0);
    let (_, rows) = csv(&out);
    let regimes: Vec<&str> = rows.iter().map(|r| r[2].as_str()).collect();
    assert_eq!(regimes, ["collapse", "collapse", "collapse", "sustained"]);
}

#[test]
fn idp_simulators_run_and_are_thread_independent() {
    let args = |t: &'static str| {
        vec![
            "--threads",
            t,
            "idp",
            "simulate",
            "--n",
            "256",
            "--p",
            "3",
            "--saliency",
            "1,0.3,0.3",
            "--sigma",
            "0.5",
            "--t-max",
            "5",
            "--trials",
            "3",
        ]
    };
    let (code, one, err) = engram(&args("1"));
    assert_eq!(code, 0, "{err}");
    let (_, two, _) = engram(&args("2"));
    assert_eq!(one, two);
    let (h, rows) = csv(&one);
    starts_with_columns(&h, &["trial", "t", "memory", "m", "overlap", "saliency"]);
    // 3 trials × (500/100 + 1) records × 3 memories
    assert_eq!(rows.len(), 3 * 6 * 3);
    let (code, out, err) = engram(&[
        "idp",
        "sequence-simulate",
        "--n",
        "256",
        "--p",
        "4",
        "--kappa",
        "6",
        "--tau",
        "20",
        "--z0",
        "3",
        "--sigma",
        "0.05",
        "--t-max",
        "200",
    ]);
    assert_eq!(code, 0, "{err}");
    let (h, rows) = csv(&out);
    starts_with_columns(
        &h,
        &[
            "kappa",
            "tau",
            "sigma",
            "trial",
            "n",
            "memory",
            "t",
            "z",
            "dwell",
            "dwell_over_tau",
            "z_map",
        ],
    );
    assert!(rows.len() >= 3, "{out}");
}

#[test]
fn idp_bad_input() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["idp", "fixed-point", "--saliency", "1", "--gain", "-2"],
            "gain",
        ),
        (
            &["idp", "fixed-point", "--saliency", "0", "--gain", "10"],
            "saliency",
        ),
        (
            &[
                "idp",
                "fixed-point",
                "--saliency",
                "1",
                "--gain",
                "10",
                "--sigma",
                "-1",
            ],
            "sigma",
        ),
        (
            &[
                "idp",
                "fixed-point",
                "--saliency",
                "1",
                "--gain",
                "10",
                "--activation",
                "relu",
            ],
            "activation",
        ),
        (&["idp", "map", "--kappa", "0"], "kappa"),
        (&["idp", "map", "--kappa", "5", "--theta", "-1"], "theta"),
        (&["idp", "sequence", "--kappa", "5", "--z0", "0"], "z0"),
        (&["idp", "phase", "--kappa", "5", "--z0", "-2"], "z0"),
        (
            &[
                "idp",
                "simulate",
                "--n",
                "100",
                "--p",
                "3",
                "--saliency",
                "1,1,1",
                "--t-max",
                "1",
            ],
            "power of two",
        ),
        (
            &[
                "idp",
                "simulate",
                "--n",
                "64",
                "--p",
                "64",
                "--saliency",
                "1",
                "--t-max",
                "1",
            ],
            "P <= N - 1",
        ),
        (
            &[
                "idp",
                "simulate",
                "--n",
                "64",
                "--p",
                "2",
                "--saliency",
                "1,1",
                "--t-max",
                "1",
                "--dt",
                "0",
            ],
            "dt",
        ),
        (
            &[
                "idp",
                "simulate",
                "--n",
                "64",
                "--p",
                "2",
                "--saliency",
                "1,1",
                "--t-max",
                "1",
                "--sigma",
                "-0.5",
            ],
            "sigma",
        ),
        (
            &[
                "idp",
                "simulate",
                "--n",
                "64",
                "--p",
                "2",
                "--saliency",
                "1",
                "--t-max",
                "1",
            ],
            "saliency",
        ),
        (
            &[
                "idp",
                "sequence-simulate",
                "--n",
                "64",
                "--p",
                "3",
                "--kappa",
                "-1",
                "--tau",
                "10",
                "--z0",
                "2",
                "--t-max",
                "1",
            ],
            "kappa",
        ),
        (
            &[
                "idp",
                "sequence-simulate",
                "--n",
                "64",
                "--p",
                "3",
                "--kappa",
                "5",
                "--tau",
                "10",
                "--z0",
                "0",
                "--t-max",
                "1",
            ],
            "z0",
        ),
    ];
    for (args, name) in cases {
        let (code, out, err) = engram(args);
        assert_ne!(code, 0, "{args:?}");
        assert!(out.is_empty());
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(name), "{args:?}: {err}");
    }
}

/// `idp reduced` relaxes s² to σ²/2 (exact solution s² = σ²/2 (1 − e^{−2t})) and
/// `idp simulate --input` with orthogonal memories gives saliencies equal to the coefficients.
#[test]
fn idp_reduced_and_input() {
    let (code, out, err) = engram(&[
        "idp",
        "reduced",
        "--saliency",
        "1.2,0.5",
        "--start",
        "0.4,0.1",
        "--sigma",
        "0.6",
        "--t-max",
        "1",
        "--record-every",
        "100",
    ]);
    assert_eq!(code, 0, "{err}");
    let (h, rows) = csv(&out);
    starts_with_columns(&h, &["t", "memory", "overlap", "s2"]);
    let last = rows.last().unwrap();
    let s2: f64 = last[3].parse().unwrap();
    let exact = 0.36 / 2.0 * (1.0 - (-2.0f64).exp());
    assert!((s2 - exact).abs() < 1e-9, "{s2} vs {exact}");
    let (code, out, err) = engram(&[
        "idp",
        "simulate",
        "--n",
        "128",
        "--p",
        "2",
        "--input",
        "1.5,0.25",
        "--t-max",
        "0.1",
        "--record-every",
        "10",
    ]);
    assert_eq!(code, 0, "{err}");
    let (_, rows) = csv(&out);
    assert_eq!(rows[0][5].parse::<f64>().unwrap(), 1.5);
    assert_eq!(rows[1][5].parse::<f64>().unwrap(), 0.25);
}

/// docs/theory.md#two-group commands: columns, the RS α_c, the effective-model limit, and bad input.
#[test]
fn kh_commands() {
    let (code, out, err) = engram(&["hopfield-classic", "theory", "--alpha", "0.1,0.2"]);
    assert_eq!(code, 0, "{err}");
    let (h, rows) = csv(&out);
    starts_with_columns(&h, &["alpha", "m_rs", "alpha_c"]);
    assert_eq!(rows[1][1], "", "no retrieval state above alpha_c");
    let (code, out, err) = engram(&[
        "hopfield-classic",
        "simulate",
        "--n",
        "200",
        "--alpha",
        "0.05",
        "--samples",
        "4",
    ]);
    assert_eq!(code, 0, "{err}");
    let (h, rows) = csv(&out);
    starts_with_columns(&h, &["n", "alpha", "patterns", "samples", "overlap"]);
    assert_eq!(rows[0][2], "10");
    let (code, out, err) = engram(&[
        "diffusion",
        "reverse",
        "--n",
        "10",
        "--alpha",
        "0.1",
        "--samples",
        "3",
        "--steps",
        "50",
    ]);
    assert_eq!(code, 0, "{err}");
    let (h, _) = csv(&out);
    starts_with_columns(&h, &["n", "alpha", "patterns", "samples", "p_memorised"]);
    // τ_h → 0: the last row's distance to the effective trajectory shrinks with τ_h
    let dist = |tau: &str| -> f64 {
        let (code, out, err) = engram(&[
            "kh",
            "relax",
            "--model",
            "b",
            "--tau-h",
            tau,
            "--t-max",
            "3",
            "--records",
            "3",
        ]);
        assert_eq!(code, 0, "{err}");
        let (h, rows) = csv(&out);
        starts_with_columns(&h, &["t", "energy", "energy_effective", "distance"]);
        rows.last().unwrap()[3].parse().unwrap()
    };
    assert!(dist("0.01") < 0.2 * dist("0.1"));
    let cases: &[(&[&str], &str)] = &[
        (&["kh", "relax", "--model", "b", "--beta", "-1"], "beta"),
        (&["kh", "relax", "--model", "a", "--power", "1"], "n"),
        (&["kh", "relax", "--model", "b", "--tau-h", "0"], "tau_h"),
        (&["kh", "relax", "--model", "q"], "model"),
        (
            &[
                "hopfield-classic",
                "simulate",
                "--n",
                "100",
                "--alpha",
                "0.1",
                "--samples",
                "2",
                "--interaction",
                "1",
            ],
            "n",
        ),
        (
            &[
                "hopfield-classic",
                "simulate",
                "--n",
                "100",
                "--alpha",
                "0.1",
                "--samples",
                "0",
            ],
            "samples",
        ),
        (
            &[
                "hopfield-classic",
                "simulate",
                "--n",
                "100",
                "--alpha",
                "0.1",
                "--samples",
                "2",
                "--flip",
                "0.7",
            ],
            "flip_fraction",
        ),
        (&["hopfield-classic", "theory", "--alpha", "-0.1"], "alpha"),
        (
            &[
                "diffusion",
                "reverse",
                "--n",
                "10",
                "--alpha",
                "0.1",
                "--samples",
                "2",
                "--t-min",
                "30",
            ],
            "t_min",
        ),
    ];
    for (args, name) in cases {
        let (code, out, err) = engram(args);
        assert_ne!(code, 0, "{args:?}");
        assert!(out.is_empty(), "{args:?}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(name), "{args:?}: {err}");
    }
}

/// Stores that would not fit are refused with the estimate, never aborted by allocation.
#[test]
fn oversized_stores_are_refused() {
    let many: String = vec!["1"; 1000].join(",");
    let cases: Vec<Vec<&str>> = vec![
        vec![
            "hopfield-classic",
            "simulate",
            "--n",
            "100000",
            "--alpha",
            "1",
            "--samples",
            "1",
        ],
        vec![
            "idp",
            "simulate",
            "--n",
            "1048576",
            "--p",
            "1000",
            "--saliency",
            &many,
            "--t-max",
            "1",
        ],
        vec![
            "diffusion",
            "reverse",
            "--n",
            "2000",
            "--alpha",
            "0.0069",
            "--samples",
            "1",
        ],
    ];
    for args in cases {
        let (code, _, err) = engram(&args);
        assert_ne!(code, 0);
        assert!(
            err.contains("GiB") && err.contains("at most 4 GiB"),
            "{err}"
        );
        assert_eq!(err.trim().lines().count(), 1);
    }
}

/// `dam simulate --targets K`: stores and targets columns, cluster-robust design effect, and
/// one-line errors naming the flag and its range for every bad batch option.
#[test]
fn simulate_targets_columns_and_bad_input() {
    let base = [
        "dam",
        "simulate",
        "--ensemble",
        "gaussian",
        "--n",
        "20",
        "--alpha",
        "0.2",
        "--lambda",
        "0.5",
        "--samples",
        "40",
    ];
    let mut args = base.to_vec();
    args.extend(["--targets", "8"]);
    let (code, out, err) = engram(&args);
    assert_eq!(code, 0, "{err}");
    let (h, rows) = csv(&out);
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    assert_eq!(rows[0][col("stores")], "5");
    assert_eq!(rows[0][col("targets")], "8");
    assert_eq!(rows[0][col("samples")], "40");
    let deff: f64 = rows[0][col("design_effect")].parse().unwrap();
    assert!(deff.is_finite() && deff > 0.0, "{deff}");
    for (extra, flag) in [
        (vec!["--targets", "0"], "targets"),
        (vec!["--targets", "100000"], "targets"),
        (vec!["--targets", "some"], "targets"),
        (vec!["--target-norm", "-1"], "target-norm"),
        (vec!["--target-norm", "0"], "target-norm"),
        (vec!["--store", "i8"], "i8"),
        (vec!["--store", "f64"], "store"),
        (vec!["--streams", "mixed"], "streams"),
        (vec!["--targets", "all", "--max-hours", "1e-9"], "estimated"),
        (vec!["--max-hours", "0"], "max-hours"),
    ] {
        let mut args = base.to_vec();
        args.extend(extra.iter());
        let (code, _, err) = engram(&args);
        assert_ne!(code, 0, "{extra:?}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(flag), "{extra:?}: {err}");
    }
}

/// `dam crossing --fss`: simulated and finite-N REM crossings per N, both fit forms with χ²,
/// p-value and z, leave-one-N-out refits; `--targets at-most:K` serves small-P points.
#[test]
fn crossing_fss_rows() {
    let (code, out, err) = engram(&[
        "dam",
        "crossing",
        "--ensemble",
        "gaussian",
        "--n",
        "12,16,20",
        "--alpha",
        "0.05:0.4:8",
        "--lambda",
        "0.5",
        "--samples",
        "64",
        "--targets",
        "at-most:16",
        "--fss",
        "--rem-samples",
        "100",
    ]);
    assert_eq!(code, 0, "{err}");
    let (h, rows) = csv(&out);
    assert_eq!(
        h,
        engram::io::rows::header::<engram::dam::fss::CrossingRow>().to_vec()
    );
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (kind, form_c, dof, z_c) = (col("kind"), col("form"), col("dof"), col("z"));
    let kinds: Vec<&str> = rows.iter().map(|r| r[kind].as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "crossing").count(),
        3,
        "{out}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "rem_w=0.5").count(),
        3,
        "{out}"
    );
    // w_θ = 1 − √(θ/ρ)/(1 − b₁) with the gaussian tilted mean b₁ = λ = 0.5: 0.5528
    assert!(kinds.iter().any(|k| k.starts_with("rem_w=0.552")), "{out}");
    for series in ["crossing", "rem_w=0.5"] {
        for form in ["a-lnN/N+b/N", "a+b/N", "a+b*lnN/N", "a+b/sqrtN"] {
            let fit = rows
                .iter()
                .find(|r| r[kind] == format!("fit_{series}") && r[form_c] == form)
                .unwrap_or_else(|| panic!("no fit {series} {form}: {out}"));
            let (a, z): (f64, f64) = (fit[1].parse().unwrap(), fit[z_c].parse().unwrap());
            assert!(a.is_finite() && z.is_finite(), "{fit:?}");
            assert_eq!(fit[dof], "1");
            let loo = rows
                .iter()
                .filter(|r| r[kind] == format!("loo_{series}") && r[form_c] == form);
            assert_eq!(loo.count(), 3, "{out}");
        }
    }
    // the REM crossing at ½ lies above the simulated one at every N (see docs/simulator.md)
    for n in ["12", "16", "20"] {
        let get = |k: &str| -> f64 {
            rows.iter().find(|r| r[0] == n && r[kind] == k).unwrap()[1]
                .parse()
                .unwrap()
        };
        assert!(get("rem_w=0.5") > get("crossing"), "N = {n}: {out}");
    }
}

/// `--fss-figure` draws PNG and SVG with --fss, and is refused without it.
#[test]
fn crossing_fss_figure() {
    let dir = std::env::temp_dir().join(format!("engram-fss-fig-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let stem = dir.join("fss");
    let base = [
        "dam",
        "crossing",
        "--ensemble",
        "binary",
        "--n",
        "12,16",
        "--alpha",
        "0.05:0.4:6",
        "--lambda",
        "0.5",
        "--samples",
        "32",
        "--targets",
        "at-most:8",
        "--rem-samples",
        "40",
        "--fss-figure",
        stem.to_str().unwrap(),
    ];
    let (code, _, err) = engram(&base);
    assert_ne!(code, 0);
    assert!(err.contains("--fss"), "{err}");
    let mut args = base.to_vec();
    args.push("--fss");
    let (code, _, err) = engram(&args);
    assert_eq!(code, 0, "{err}");
    for ext in ["fss.png", "fss.svg", "fss_talk.png"] {
        assert!(
            std::fs::metadata(dir.join(ext)).unwrap().len() > 1000,
            "{ext}"
        );
    }
}
