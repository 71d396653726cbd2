//! Every shipped config's figures (at `--quick` size) keep their legend off the data: each
//! paper-size figure is rendered a second time without its legend, and the legend box of the
//! real figure must cover no data pixel (marker, error bar, line) of that drawing. Also: the
//! PNG is the rasterised SVG (same size), and the label markup becomes real sub/superscripts.

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
    let bad: Vec<String> = audit
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(p, n)| format!("{}: {n} data pixels under the legend", p.display()))
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    // one spelling for a missing value (README, "Output conventions"): an empty field,
    // never NaN or nan, in every table of every shipped study
    let mut tables = 0;
    for study in std::fs::read_dir(&out).unwrap().flatten() {
        for f in std::fs::read_dir(study.path()).unwrap().flatten() {
            let p = f.path();
            if p.extension().is_none_or(|x| x != "csv") {
                continue;
            }
            tables += 1;
            let text = std::fs::read_to_string(&p).unwrap();
            for (i, line) in text.lines().enumerate() {
                assert!(
                    !line.split(',').any(|v| v.eq_ignore_ascii_case("nan")),
                    "{}:{}: {line}",
                    p.display(),
                    i + 1
                );
            }
        }
    }
    assert!(tables >= configs.len(), "{tables} tables");
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
