//! Every shipped config runs at reduced size (`--quick`): CSV columns and row counts, figures
//! that decode and are not blank, the manifest; resume, shards + merge, and `engram plot`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::engram;

fn tmpdir(tag: &str) -> PathBuf {
    common::tmpdir("study", tag)
}

fn config(name: &str) -> String {
    format!("{}/configs/{name}.toml", env!("CARGO_MANIFEST_DIR"))
}

fn run_quick(name: &str, out: &Path, extra: &[&str]) -> PathBuf {
    let cfg = config(name);
    let mut args = vec![
        "run",
        cfg.as_str(),
        "--quick",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (code, _, err) = engram(&args);
    assert_eq!(code, 0, "{name}: {err}");
    out.join(name)
}

fn csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

fn has_columns(header: &[String], cols: &[&str]) {
    for c in cols {
        assert!(
            header.iter().any(|h| h == c),
            "missing column {c} in {header:?}"
        );
    }
}

/// The PNG decodes, has the expected size and is not blank: at least 0.5% of the pixels are
/// not white, at least 3 distinct colours appear, and data are drawn (≥ 200 pixels in the
/// colours of the plotting palette, which axes and text never use).
fn check_png(path: &Path, w: u32, h: u32) {
    let img = image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgb8();
    // the width is fixed (a journal column); a subtitle or a legend above the axes makes the
    // canvas taller, never the axes smaller
    assert_eq!(img.width(), w, "{}", path.display());
    assert!(
        img.height() >= h && img.height() <= h * 8 / 5,
        "{}: height {}",
        path.display(),
        img.height()
    );
    let non_white = img.pixels().filter(|p| p.0 != [255, 255, 255]).count();
    assert!(
        non_white as f64 > 0.005 * (w * h) as f64,
        "{} is nearly blank",
        path.display()
    );
    let data = img
        .pixels()
        .filter(|p| {
            engram::plot::PALETTE[..6]
                .iter()
                .any(|c| p.0 == [c.0, c.1, c.2])
        })
        .count();
    assert!(
        data >= 200,
        "{}: no data drawn ({data} pixels)",
        path.display()
    );
    let mut colours: Vec<[u8; 3]> = img.pixels().map(|p| p.0).collect();
    colours.sort();
    colours.dedup();
    assert!(colours.len() >= 3, "{}", path.display());
}

fn check_figure(dir: &Path, stem: &str) {
    check_png(&dir.join(format!("{stem}.png")), 1020, 765);
    check_png(&dir.join(format!("{stem}_talk.png")), 1600, 1200);
    let svg = std::fs::read_to_string(dir.join(format!("{stem}.svg"))).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("</svg>") && svg.len() > 2000);
}

fn check_manifest(dir: &Path, quick: bool) {
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert!(m["engram_version"].is_string() && m["config"].is_string());
    assert!(m["threads"].as_u64().unwrap() >= 1);
    assert_eq!(m["quick"].as_bool(), Some(quick));
    assert!(dir.join("config.toml").exists());
    for f in std::fs::read_dir(dir).unwrap() {
        assert!(!f.unwrap().file_name().to_string_lossy().contains(".tmp-"));
    }
}

#[test]
fn phase_diagram_config() {
    let out = tmpdir("pd");
    let dir = run_quick("phase_diagram", &out, &[]);
    let (h, rows) = csv(&dir.join("theory.csv"));
    has_columns(
        &h,
        &["ensemble", "lambda", "alpha_1", "alpha_c", "alpha_star"],
    );
    assert_eq!(rows.len(), 3 * 400);
    for e in ["gaussian", "spherical", "binary"] {
        check_figure(&dir, &format!("phase_diagram_{e}"));
    }
    check_manifest(&dir, true);
}

#[test]
fn retrieval_config() {
    let out = tmpdir("retrieval");
    let dir = run_quick("retrieval", &out, &[]);
    let (h, rows) = csv(&dir.join("simulation.csv"));
    has_columns(
        &h,
        &[
            "n",
            "alpha",
            "lambda",
            "p_retrieved",
            "p_retrieved_err",
            "delta0",
        ],
    );
    // quick: 2 N × 4 α × 1 λ
    assert_eq!(rows.len(), 8);
    let (h, rows) = csv(&dir.join("theory.csv"));
    has_columns(&h, &["quantity", "value", "err"]);
    assert_eq!(rows[0][0], "alpha_1");
    assert!((rows[0][5].parse::<f64>().unwrap() - 0.255).abs() < 1e-12);
    check_figure(&dir, "p_retrieved_vs_alpha");
    check_manifest(&dir, true);
}

#[test]
fn lm_protocol_config() {
    let out = tmpdir("lm");
    let dir = run_quick("lm_protocol", &out, &[]);
    let (h, rows) = csv(&dir.join("simulation.csv"));
    has_columns(&h, &["n", "lambda", "delta0", "delta0_err"]);
    assert_eq!(rows.len(), 2 * 4);
    let (_, th) = csv(&dir.join("theory.csv"));
    assert_eq!(th[0][0], "lambda_c");
    check_figure(&dir, "delta0_vs_lambda");
}

#[test]
fn basins_config() {
    let out = tmpdir("basins");
    let dir = run_quick("basins", &out, &[]);
    let (h, rows) = csv(&dir.join("simulation.csv"));
    has_columns(&h, &["cosine", "p_retrieved", "cos_c_theory"]);
    assert_eq!(rows.len(), 2 * 4);
    let (_, th) = csv(&dir.join("theory.csv"));
    // gaussian, α = 0.1, λ = 2 (condensed): cos_c = √(2α)
    assert!((th[0][5].parse::<f64>().unwrap() - 0.2f64.sqrt()).abs() < 1e-9);
    check_figure(&dir, "p_retrieved_vs_cosine");
}

#[test]
fn idp_noise_config() {
    let out = tmpdir("idpnoise");
    let dir = run_quick("idp_noise", &out, &[]);
    let (h, rows) = csv(&dir.join("theory.csv"));
    has_columns(
        &h,
        &["saliency", "sigma", "m_star", "alpha_exist", "alpha_stab"],
    );
    assert_eq!(rows.len(), 2 * 121);
    let (h, rows) = csv(&dir.join("simulation.csv"));
    has_columns(
        &h,
        &[
            "saliency",
            "sigma",
            "overlap",
            "overlap_err",
            "m_star_theory",
        ],
    );
    assert_eq!(rows.len(), 2 * 3);
    check_figure(&dir, "m_star_vs_sigma");
    check_figure(&dir, "alpha_exist_vs_sigma");
}

#[test]
fn idp_sequence_config() {
    let out = tmpdir("idpseq");
    let dir = run_quick("idp_sequence", &out, &[]);
    let (h, rows) = csv(&dir.join("theory.csv"));
    has_columns(&h, &["kappa", "z0", "regime", "n_retrieved", "z_minus"]);
    assert_eq!(rows.len(), 96 * 76);
    let (h, rows) = csv(&dir.join("simulation.csv"));
    has_columns(
        &h,
        &["kappa", "tau", "n", "z", "dwell", "z_map", "collapsed"],
    );
    assert!(rows.len() >= 4, "{rows:?}");
    check_figure(&dir, "phase_kappa_z0");
    check_figure(&dir, "switch_saliency");
    check_figure(&dir, "dwell_time");
}

/// An interrupted study resumed with --resume reuses finished points (a marked point file is
/// taken as is) and recomputes the missing ones, identical to a fresh run.
#[test]
fn resume_reuses_finished_points() {
    let out = tmpdir("resume");
    let dir = run_quick("basins", &out, &[]);
    let fresh = std::fs::read_to_string(dir.join("simulation.csv")).unwrap();
    let points = dir.join(".points");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&points)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 8);
    // "interrupt": lose two points and the assembled CSV; mark one kept point
    std::fs::remove_file(&files[1]).unwrap();
    std::fs::remove_file(&files[6]).unwrap();
    std::fs::remove_file(dir.join("simulation.csv")).unwrap();
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let (key, row) = text.split_once('\n').unwrap();
    let marked = row.replacen("gaussian", "gaussian-marked", 1);
    std::fs::write(&files[0], format!("{key}\n{marked}")).unwrap();
    run_quick("basins", &out, &["--resume"]);
    let resumed = std::fs::read_to_string(dir.join("simulation.csv")).unwrap();
    assert!(
        resumed.contains("gaussian-marked"),
        "finished point not reused"
    );
    assert_eq!(resumed.replace("gaussian-marked", "gaussian"), fresh);
    // without --resume the same configuration is recomputed in place, to the same result
    run_quick("basins", &out, &[]);
    assert_eq!(
        std::fs::read_to_string(dir.join("simulation.csv")).unwrap(),
        fresh
    );
    // another configuration under the same study name is refused, and nothing is touched
    let text = std::fs::read_to_string(config("basins")).unwrap();
    let other = out.join("other.toml");
    std::fs::write(&other, text.replacen("seed = ", "seed = 7", 1)).unwrap();
    assert_ne!(
        std::fs::read_to_string(&other).unwrap(),
        text,
        "no seed key"
    );
    let before: Vec<(PathBuf, Vec<u8>)> = point_files(&dir)
        .into_iter()
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    let (code, _, err) = engram(&[
        "run",
        other.to_str().unwrap(),
        "--quick",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(
        err.contains("another configuration")
            && err.contains("--resume")
            && err.contains("--force")
            && err.contains("--out"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let after: Vec<(PathBuf, Vec<u8>)> = point_files(&dir)
        .into_iter()
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    assert_eq!(before, after);
    assert!(dir.join("manifest.json").exists());
    // with --resume both configurations' points are kept; --force keeps only the new ones
    let run_other = |flag: &str| {
        let (code, _, err) = engram(&[
            "run",
            other.to_str().unwrap(),
            "--quick",
            flag,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
    };
    run_other("--resume");
    assert_eq!(point_files(&dir).len(), 16);
    run_other("--force");
    assert_eq!(point_files(&dir).len(), 8);
}

/// A damaged point file is reported with its file and line, and recomputed under --resume.
#[test]
fn damaged_point_file_is_reported_and_recomputed() {
    let out = tmpdir("damaged");
    let dir = run_quick("two_group", &out, &[]);
    let fresh = std::fs::read_to_string(dir.join("simulation.csv")).unwrap();
    let point = point_files(&dir)[0].clone();
    let text = std::fs::read_to_string(&point).unwrap();
    let (key, row) = text.split_once('\n').unwrap();
    std::fs::write(&point, format!("{key}\n{}", &row[..row.len() / 2])).unwrap();
    let cfg = config("two_group");
    let (code, _, err) = engram(&[
        "run",
        &cfg,
        "--quick",
        "--resume",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let name = point.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        err.contains("warning: damaged point file")
            && err.contains(&name)
            && err.contains("line 2"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("simulation.csv")).unwrap(),
        fresh
    );
}

/// A --quick run never overwrites the results of a full run in the same directory, even with
/// --resume (it would replace their CSV and figures), and goes to results/quick by default.
#[test]
fn quick_never_replaces_a_full_run() {
    let out = tmpdir("quick-full");
    let cfg = config("two_group");
    let (code, _, err) = engram(&["run", &cfg, "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let dir = out.join("two_group");
    let full = std::fs::read(dir.join("simulation.csv")).unwrap();
    for extra in [&[][..], &["--resume"][..]] {
        let mut args = vec![
            "run",
            cfg.as_str(),
            "--quick",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let (code, _, err) = engram(&args);
        assert_ne!(code, 0, "{extra:?}");
        assert!(err.contains("a full run") && err.contains("--out"), "{err}");
        assert_eq!(std::fs::read(dir.join("simulation.csv")).unwrap(), full);
        assert!(dir.join("manifest.json").exists());
    }
    let o = Command::new(env!("CARGO_BIN_EXE_engram"))
        .args(["run", &cfg, "--quick"])
        .current_dir(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("results/quick/two_group/simulation.csv").exists());
}

fn point_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(".points"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// Resume keys are versioned serialised structs: a point file of the old key format (a Debug
/// string) is refused with a message naming the file and the way out, never silently
/// recomputed; a key that names another configuration is recomputed.
#[test]
fn resume_refuses_old_point_files() {
    let out = tmpdir("resume-old");
    let dir = run_quick("two_group", &out, &[]);
    let fresh = std::fs::read_to_string(dir.join("simulation.csv")).unwrap();
    let point = point_files(&dir)[0].clone();
    let text = std::fs::read_to_string(&point).unwrap();
    let (key, row) = text.split_once('\n').unwrap();
    assert!(key.starts_with("engram-point/2 two_group {"), "{key}");
    assert!(key.contains("\"seed\":1"), "{key}");
    // another configuration (same format): recomputed, result unchanged
    std::fs::write(
        &point,
        format!("{}\n{row}", key.replace("\"seed\":1", "\"seed\":9")),
    )
    .unwrap();
    run_quick("two_group", &out, &["--resume"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("simulation.csv")).unwrap(),
        fresh
    );
    // the old format (a store of index-named files): refused
    for f in point_files(&dir) {
        std::fs::remove_file(f).unwrap();
    }
    let legacy = dir.join(".points").join("000000.csv");
    std::fs::write(
        &legacy,
        format!("B {{ beta: 4.0 }}|tau_h=0.01|nf=32\n{row}"),
    )
    .unwrap();
    let cfg = config("two_group");
    let (code, _, err) = engram(&[
        "run",
        &cfg,
        "--quick",
        "--resume",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(
        err.contains("older engram") && err.contains("000000.csv"),
        "{err}"
    );
}

/// Shards 0/2 and 1/2 in separate directories, merged, equal the unsharded run byte for byte;
/// a merge with a shard missing fails naming the missing point.
#[test]
fn shards_merge_to_the_full_run() {
    let full = tmpdir("full");
    let dir = run_quick("retrieval", &full, &[]);
    let want = std::fs::read_to_string(dir.join("simulation.csv")).unwrap();
    let a = tmpdir("shard-a");
    let b = tmpdir("shard-b");
    let da = run_quick("retrieval", &a, &["--shard", "0/2"]);
    assert!(!da.join("simulation.csv").exists());
    assert!(da.join("shard-0-of-2.done").exists());
    let (code, _, err) = engram(&["merge", da.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(err.contains("missing") && err.contains("shard"), "{err}");
    let db = run_quick("retrieval", &b, &["--shard", "1/2"]);
    let (code, _, err) = engram(&["merge", da.to_str().unwrap(), db.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(da.join("simulation.csv")).unwrap(),
        want
    );
    check_figure(&da, "p_retrieved_vs_alpha");
    let (code, _, err) = engram(&["run", &config("retrieval"), "--shard", "2/2"]);
    assert_ne!(code, 0);
    assert!(err.contains("shard"), "{err}");
}

/// `engram plot` re-renders figures from the CSV files without recomputing.
#[test]
fn plot_rerenders_from_csv() {
    let out = tmpdir("plot");
    let dir = run_quick("idp_noise", &out, &[]);
    let csv_before = std::fs::read(dir.join("simulation.csv")).unwrap();
    std::fs::remove_file(dir.join("m_star_vs_sigma.png")).unwrap();
    let (code, stdout, err) = engram(&["plot", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("m_star_vs_sigma.png"));
    check_figure(&dir, "m_star_vs_sigma");
    assert_eq!(
        std::fs::read(dir.join("simulation.csv")).unwrap(),
        csv_before
    );
}

fn bad(tag: &str, text: &str) -> String {
    let dir = tmpdir(tag);
    let path = dir.join("bad.toml");
    std::fs::write(&path, text).unwrap();
    let (code, _, err) = engram(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("bad.toml"), "{err}");
    err
}

const DAM: &str = "[study]\nname = \"t\"\n\n[dam_simulation]\nensemble = \"gaussian\"\nn = 20\nalpha = 0.1\nlambda = 0.5\nx_axis = \"alpha\"\n";

/// Config errors of the new sections: file, line and key in one line.
#[test]
fn bad_study_configs() {
    let e = bad("samples", &format!("{DAM}samples = 0\n"));
    assert!(
        e.contains("bad.toml:10") && e.contains("samples") && e.contains(">= 1"),
        "{e}"
    );
    let e = bad("samples-type", &format!("{DAM}samples = \"many\"\n"));
    assert!(e.contains("bad.toml:10") && e.contains("samples"), "{e}");
    let e = bad(
        "n",
        &format!("{DAM}samples = 5\nn = 2.5\n").replace("n = 20\n", ""),
    );
    assert!(e.contains("key 'n'") && e.contains("whole number"), "{e}");
    let e = bad(
        "axis",
        &format!("{DAM}samples = 5\n").replace("\"alpha\"", "\"beta\""),
    );
    assert!(e.contains("bad.toml:9") && e.contains("x_axis"), "{e}");
    let e = bad(
        "crossing",
        &format!("{DAM}samples = 5\ncrossing = true\n")
            .replace("x_axis = \"alpha\"", "x_axis = \"lambda\""),
    );
    assert!(e.contains("crossing"), "{e}");
    let e = bad("cos", &format!("{DAM}samples = 5\ncosine = \"0.5,1.5\"\n"));
    assert!(e.contains("bad.toml:11") && e.contains("cosine"), "{e}");
    let e = bad(
        "two",
        &format!("{DAM}samples = 5\n\n[phase_diagram]\nensembles = [\"gaussian\"]\nlambda = 1\n"),
    );
    assert!(e.contains("exactly one"), "{e}");
    let e = bad(
        "idp",
        "[study]\nname = \"t\"\n\n[idp_noise]\nactivation = \"relu\"\ngain = 10\nsaliency = 1\nsigma = 0\n",
    );
    assert!(e.contains("bad.toml:5") && e.contains("relu"), "{e}");
    let e = bad(
        "idp-sigma",
        "[study]\nname = \"t\"\n\n[idp_noise]\nactivation = \"tanh\"\ngain = 10\nsaliency = 1\nsigma = \"-1,0\"\n",
    );
    assert!(e.contains("bad.toml:8") && e.contains("sigma"), "{e}");
    let e = bad(
        "idp-pow2",
        "[study]\nname = \"t\"\n\n[idp_noise]\nactivation = \"tanh\"\ngain = 10\nsaliency = 1\nsigma = 0\n\n[idp_noise.simulate]\nn = 1000\np = 3\nsigma = 0.5\nt_max = 10\nt_burn = 5\ntrials = 2\n",
    );
    assert!(e.contains("power of two"), "{e}");
}

#[test]
fn hopfield_classic_config() {
    let out = tmpdir("hopfield");
    let dir = run_quick("hopfield_classic", &out, &[]);
    let (h, rows) = csv(&dir.join("simulation.csv"));
    has_columns(&h, &["n", "alpha", "overlap", "overlap_err", "p_retrieved"]);
    assert_eq!(rows.len(), 2 * 4);
    let (_, th) = csv(&dir.join("theory.csv"));
    assert_eq!(th[0][0], "alpha_c");
    assert!((th[0][1].parse::<f64>().unwrap() - 0.138).abs() < 5e-4);
    check_figure(&dir, "overlap_vs_alpha");
}

#[test]
fn diffusion_config() {
    let out = tmpdir("diffusion");
    let dir = run_quick("diffusion", &out, &[]);
    let (h, rows) = csv(&dir.join("simulation.csv"));
    has_columns(
        &h,
        &[
            "n",
            "alpha",
            "p_memorised",
            "s2_condensed_median",
            "s2_symmetry_breaking",
        ],
    );
    assert_eq!(rows.len(), 3);
    let (h, th) = csv(&dir.join("theory.csv"));
    has_columns(&h, &["quantity", "alpha", "value"]);
    assert!(th.len() > 50);
    check_figure(&dir, "condensation_vs_alpha");
}

/// With `--features pdf` every figure is also a vector PDF with the font embedded
/// (`cargo test --release --features pdf --test studies`).
#[cfg(feature = "pdf")]
#[test]
fn pdf_figures() {
    let out = tmpdir("pdf");
    let dir = run_quick("basins", &out, &[]);
    let pdf = std::fs::read(dir.join("p_retrieved_vs_cosine.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    assert!(
        pdf.windows(8).any(|w| w == b"FontFile"),
        "font not embedded"
    );
}

/// `[two_group]`: the distance to the effective trajectory falls with τ_h (ratio of the two
/// quick τ_h values within a factor 2 of the τ_h ratio) and the energy never rises.
#[test]
fn two_group_config() {
    let out = tmpdir("twogroup");
    let dir = run_quick("two_group", &out, &[]);
    let (h, rows) = csv(&dir.join("simulation.csv"));
    has_columns(&h, &["model", "tau_h", "max_distance", "energy_rise_max"]);
    assert_eq!(rows.len(), 4 * 2);
    for pair in rows.chunks(2) {
        let (t0, t1): (f64, f64) = (pair[0][1].parse().unwrap(), pair[1][1].parse().unwrap());
        let (d0, d1): (f64, f64) = (pair[0][2].parse().unwrap(), pair[1][2].parse().unwrap());
        let r = (d1 / d0) / (t1 / t0);
        assert!(r > 0.5 && r < 2.0, "{pair:?}");
        for row in pair {
            assert!(row[6].parse::<f64>().unwrap() < 1e-10, "{row:?}");
        }
    }
    check_figure(&dir, "distance_vs_tau_h");
}

/// The validation atlas in quick mode (under a minute): its three CSVs and figures; every
/// summary row's theory column against closed forms computed here (gaussian α₁ = λ − λ²/2,
/// α_f = ρ(λ − λ²/2), s_C² = 1/(e^{2α} − 1)), z = (simulation − theory)/error; two shards
/// merged reproduce the summary byte for byte.
#[test]
fn validation_config() {
    let t0 = std::time::Instant::now();
    let out = tmpdir("validation");
    let dir = run_quick("validation", &out, &[]);
    assert!(t0.elapsed().as_secs() < 60, "{:?}", t0.elapsed());
    use engram::study::validation::analysis::{PointRow, SummaryRow};
    let rows: Vec<SummaryRow> = engram::io::rows::read_csv(&dir.join("summary.csv")).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for r in &rows {
        let q = r.quantity.as_str();
        seen.insert(q.to_string());
        let th = r.theory;
        if r.fit_form == "same_n" {
            // against the finite-N map at the same N: the theory is the map's α½(N), which
            // lies below the N → ∞ limit
            assert_eq!(r.n_min, r.n_max, "{r:?}");
            assert!(r.z.is_some(), "{r:?}");
        } else if r.fit_form == "none" {
            // a finite-N value against an N → ∞ theory carries no z
            assert!(r.z.is_none(), "{r:?}");
        }
        if r.fit_form != "same_n" && r.ensemble == "gaussian" && (q == "alpha_1" || q == "alpha_f")
        {
            let (l, rho) = (r.lambda.unwrap(), r.rho.unwrap());
            let want = rho * (l - l * l / 2.0);
            assert!((th - want).abs() < 1e-9, "{r:?}");
        }
        if q == "s2_collapse" {
            let a: f64 = r
                .note
                .trim_start_matches("alpha = ")
                .split(';')
                .next()
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            assert!((th - 1.0 / (2.0 * a).exp_m1()).abs() < 1e-9 * th, "{r:?}");
        }
        if let Some(zr) = r.z {
            let z = (r.simulation - th) / r.error;
            assert!((z - zr).abs() < 1e-6 * z.abs().max(1.0), "{r:?}");
        }
    }
    for q in ["alpha_1", "alpha_f", "s2_collapse"] {
        assert!(seen.contains(q), "no {q} row: {seen:?}");
    }
    let prow: Vec<PointRow> = engram::io::rows::read_csv(&dir.join("points.csv")).unwrap();
    for s in [
        "p_retrieved",
        "map",
        "fail_fraction",
        "rem_fail_fraction",
        "forward_s2",
        "backward_s2",
    ] {
        assert!(prow.iter().any(|r| r.series == s), "no {s} points");
    }
    for stem in [
        "thresholds_gaussian",
        "alpha_f_vs_rho",
        "alpha_1_gaussian_l0.3",
        "failure_all_gaussian_l0.3",
        "collapse_a0.2",
    ] {
        check_figure(&dir, stem);
    }
    let want = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    let (a, b) = (tmpdir("validation-a"), tmpdir("validation-b"));
    let da = run_quick("validation", &a, &["--shard", "0/2"]);
    let db = run_quick("validation", &b, &["--shard", "1/2"]);
    let (code, _, err) = engram(&["merge", da.to_str().unwrap(), db.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(da.join("summary.csv")).unwrap(),
        want
    );
}

/// Config errors of `[validation]`: a window list that does not match the sizes, named by key.
#[test]
fn bad_validation_config() {
    let base = "[study]\nname = \"t\"\n\n[validation]\n\n[[validation.crossing]]\nensemble = \"gaussian\"\nlambda = 0.3\nn = \"20,30\"\nsamples = 8\n";
    let e = bad("windows", &format!("{base}windows = [[0.1, 0.2]]\n"));
    assert!(
        e.contains("validation.crossing[0].windows") && e.contains("one [lo, hi] per N"),
        "{e}"
    );
    let e = bad("no-alpha", base);
    assert!(e.contains("exactly one of 'alpha'"), "{e}");
    let e = bad("lo-alpha", &format!("{base}alpha = \"0.01,0.02\"\n"));
    assert!(
        e.contains("validation.crossing[0]") && e.contains("N = 20"),
        "{e}"
    );
}

/// `--shard slurm` reads the array task from the environment: a 1-based array of three tasks
/// (ids 1..3, MIN/MAX set, no COUNT) writes shards 0/3..2/3, a quoted glob merges them, and the
/// result equals the unsharded run byte for byte. Outside an array job it is a one-line error.
#[test]
fn slurm_shards_and_glob_merge() {
    let full = tmpdir("slurm-full");
    let want =
        std::fs::read_to_string(run_quick("retrieval", &full, &[]).join("simulation.csv")).unwrap();
    let root = tmpdir("slurm");
    for id in 1..=3 {
        let out = root.join(format!("task{id}"));
        let o = Command::new(env!("CARGO_BIN_EXE_engram"))
            .args([
                "run",
                &config("retrieval"),
                "--quick",
                "--shard",
                "slurm",
                "--out",
            ])
            .arg(&out)
            .env("SLURM_ARRAY_TASK_ID", id.to_string())
            .env("SLURM_ARRAY_TASK_MIN", "1")
            .env("SLURM_ARRAY_TASK_MAX", "3")
            .env_remove("SLURM_ARRAY_TASK_COUNT")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(out
            .join(format!("retrieval/shard-{}-of-3.done", id - 1))
            .exists());
    }
    let pattern = format!("{}/task*/retrieval", root.display());
    let (code, _, err) = engram(&["merge", &pattern]);
    assert_eq!(code, 0, "{err}");
    let merged = root.join("task1/retrieval/simulation.csv");
    assert_eq!(std::fs::read_to_string(merged).unwrap(), want);
    let o = Command::new(env!("CARGO_BIN_EXE_engram"))
        .args(["run", &config("retrieval"), "--quick", "--shard", "slurm"])
        .env_remove("SLURM_ARRAY_TASK_ID")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("SLURM_ARRAY_TASK_ID"),
        "{err}"
    );
    let (code, _, err) = engram(&["merge", &format!("{}/nothing*", root.display())]);
    assert!(code != 0 && err.contains("matches no directory"), "{err}");
}

/// The SLURM environment rules: 0- and 1-based arrays, steps, COUNT over MAX, bad ids.
#[test]
fn slurm_shard_rules() {
    use engram::study::slurm_shard;
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| pairs.iter().find(|p| p.0 == k).map(|p| p.1.to_string())
    };
    let zero: &[(&str, &str)] = &[
        ("SLURM_ARRAY_TASK_ID", "2"),
        ("SLURM_ARRAY_TASK_MIN", "0"),
        ("SLURM_ARRAY_TASK_MAX", "3"),
    ];
    assert_eq!(slurm_shard(env(zero)).unwrap(), (2, 4));
    let one: &[(&str, &str)] = &[
        ("SLURM_ARRAY_TASK_ID", "4"),
        ("SLURM_ARRAY_TASK_MIN", "1"),
        ("SLURM_ARRAY_TASK_COUNT", "4"),
    ];
    assert_eq!(slurm_shard(env(one)).unwrap(), (3, 4));
    let step: &[(&str, &str)] = &[
        ("SLURM_ARRAY_TASK_ID", "8"),
        ("SLURM_ARRAY_TASK_MIN", "0"),
        ("SLURM_ARRAY_TASK_MAX", "12"),
        ("SLURM_ARRAY_TASK_STEP", "4"),
    ];
    assert_eq!(slurm_shard(env(step)).unwrap(), (2, 4));
    let outside: &[(&str, &str)] = &[
        ("SLURM_ARRAY_TASK_ID", "7"),
        ("SLURM_ARRAY_TASK_MIN", "1"),
        ("SLURM_ARRAY_TASK_MAX", "3"),
    ];
    assert!(slurm_shard(env(outside)).is_err());
    let none: &[(&str, &str)] = &[("SLURM_ARRAY_TASK_ID", "1")];
    assert!(slurm_shard(env(none)).is_err());
    let bad: &[(&str, &str)] = &[("SLURM_ARRAY_TASK_ID", "x"), ("SLURM_ARRAY_TASK_MAX", "3")];
    assert!(slurm_shard(env(bad))
        .unwrap_err()
        .to_string()
        .contains("SLURM_ARRAY_TASK_ID"));
}
