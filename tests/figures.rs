//! Every shipped config's figures (at `--quick` size) keep their legend off the data: each
//! paper-size figure is rendered a second time without its legend, and the legend box of the
//! real figure must cover no data pixel (marker, error bar, line) of that drawing. Also: the
//! PNG is the rasterised SVG (same size), and the label markup becomes real sub/superscripts.
//! The axes keep at least 80% of the canvas width, probability bars stay inside [0, 1], and
//! every PNG carries its DPI.

use std::path::Path;

#[test]
fn legends_never_hide_data() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::temp_dir().join(format!("engram-figures-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    engram::plot::set_legend_audit(true);
    let mut configs: Vec<_> = std::fs::read_dir(root.join("configs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    configs.sort();
    for cfg in &configs {
        let opts = engram::study::RunOptions {
            quick: true,
            ..Default::default()
        };
        engram::study::run_study(cfg, &out, opts, &Default::default())
            .unwrap_or_else(|e| panic!("{}: {e}", cfg.display()));
    }
    let audit = engram::plot::take_legend_audit();
    assert!(audit.len() >= configs.len(), "{} figures", audit.len());
    let mut bad: Vec<String> = Vec::new();
    for a in &audit {
        let name = a.png.display();
        if a.ink_under_legend > 0 {
            bad.push(format!(
                "{name}: {} data pixels under the legend",
                a.ink_under_legend
            ));
        }
        // the axes keep at least 80% of the width (a legend that fits no corner goes above)
        if a.axes_fraction < 0.8 {
            bad.push(format!(
                "{name}: axes {:.0}% of the width",
                100.0 * a.axes_fraction
            ));
        }
        // every legend entry is drawn and visible
        if !a.hidden_entries.is_empty() {
            bad.push(format!(
                "{name}: legend entries not visible: {:?}",
                a.hidden_entries
            ));
        }
        // a log axis is labelled at least twice (decades, or 1-2-5 within less than two)
        if a.log_majors.is_some_and(|n| n < 2) {
            bad.push(format!("{name}: {:?} labels on a log axis", a.log_majors));
        }
        // a heat map with a colour scale (more than two cell colours) has its colour bar
        if a.cell_colours > 2 && !a.colour_bar {
            bad.push(format!(
                "{name}: {} cell colours and no colour bar",
                a.cell_colours
            ));
        }
        // probabilities are drawn with bars inside [0, 1] (Wilson intervals)
        let stem = a.png.file_stem().unwrap().to_string_lossy().into_owned();
        if stem.starts_with("p_retrieved") {
            let (lo, hi) = a.bars.expect("a probability figure with error bars");
            if lo < -1e-12 || hi > 1.0 + 1e-12 {
                bad.push(format!("{name}: probability bars reach [{lo}, {hi}]"));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    // one spelling for a missing value (README, "Output conventions"): an empty field,
    // never NaN or nan, in every table of every shipped study
    let tables = study_files(&out, "csv");
    for p in &tables {
        let text = std::fs::read_to_string(p).unwrap();
        for (i, line) in text.lines().enumerate() {
            assert!(
                !line.split(',').any(|v| v.eq_ignore_ascii_case("nan")),
                "{}:{}: {line}",
                p.display(),
                i + 1
            );
        }
    }
    assert!(tables.len() >= configs.len(), "{} tables", tables.len());
    // every PNG carries its resolution: 300 dpi for the paper size (1020 px = 3.4 in), 200 dpi
    // for the talk size
    let pngs = study_files(&out, "png");
    for p in &pngs {
        let dpi = png_dpi(&std::fs::read(p).unwrap());
        let want = if p.to_string_lossy().ends_with("_talk.png") {
            200
        } else {
            300
        };
        assert_eq!(dpi, Some(want), "{}", p.display());
    }
    assert!(pngs.len() >= 2 * configs.len(), "{} PNGs", pngs.len());
}

/// Every file with extension `ext` in the study directories under `out`.
fn study_files(out: &Path, ext: &str) -> Vec<std::path::PathBuf> {
    let mut v = Vec::new();
    for study in std::fs::read_dir(out).unwrap().flatten() {
        for f in std::fs::read_dir(study.path()).unwrap().flatten() {
            let p = f.path();
            if p.extension().is_some_and(|x| x == ext) {
                v.push(p);
            }
        }
    }
    v
}

/// The resolution in a PNG's pHYs chunk (pixels per metre, unit metre), in dpi.
fn png_dpi(bytes: &[u8]) -> Option<u32> {
    let mut i = 8;
    while i + 12 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap()) as usize;
        let kind = &bytes[i + 4..i + 8];
        if kind == b"pHYs" && len == 9 {
            let d = &bytes[i + 8..i + 17];
            let x = u32::from_be_bytes(d[0..4].try_into().unwrap());
            let y = u32::from_be_bytes(d[4..8].try_into().unwrap());
            return (x == y && d[8] == 1).then(|| (x as f64 * 0.0254).round() as u32);
        }
        i += 12 + len;
    }
    None
}

#[test]
fn markup_becomes_tspans() {
    let svg = r#"<text x="1">α_{1/2}(N) and s^{2}</text>"#;
    let out = engram::plot::markup_to_svg(svg);
    assert_eq!(
        out,
        r#"<text x="1">α<tspan baseline-shift="sub" font-size="70%">1/2</tspan>(N) and s<tspan baseline-shift="super" font-size="70%">2</tspan></text>"#
    );
    assert_eq!(engram::plot::markup_to_svg("plain {x}"), "plain {x}");
}
