//! Numbers quoted in the docs are the numbers in the shipped CSVs: every row of a validation
//! table in README.md and docs/validation.md (first cell `alpha_1 …` or `alpha_f …`) is checked
//! against `docs/data/validation/summary.csv` to the digits it shows (value, error, p-value,
//! z, theory), so a rerun of the atlas that changes a number fails here until the text follows.

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One summary row, by column name.
struct Summary {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Summary {
    fn load() -> Self {
        let text =
            std::fs::read_to_string(root().join("docs/data/validation/summary.csv")).unwrap();
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let header = r.headers().unwrap().iter().map(String::from).collect();
        let rows = r
            .records()
            .map(|x| x.unwrap().iter().map(String::from).collect())
            .collect();
        Summary { header, rows }
    }
    fn col(&self, name: &str) -> usize {
        self.header.iter().position(|h| h == name).unwrap()
    }
    /// The rows whose columns equal the given values (numbers compared as numbers).
    fn find(&self, want: &[(&str, String)]) -> Vec<&Vec<String>> {
        self.rows
            .iter()
            .filter(|r| {
                want.iter().all(|(c, v)| {
                    let x = &r[self.col(c)];
                    match (x.parse::<f64>(), v.parse::<f64>()) {
                        (Ok(a), Ok(b)) => (a - b).abs() < 1e-12,
                        _ => x == v,
                    }
                })
            })
            .collect()
    }
    fn num(&self, r: &[String], c: &str) -> f64 {
        r[self.col(c)].parse().unwrap_or(f64::NAN)
    }
}

fn decimals(s: &str) -> i32 {
    s.split_once('.').map_or(0, |(_, d)| d.len() as i32)
}

/// `shown` is `actual` rounded to the digits shown.
fn shows(shown: &str, actual: f64) -> bool {
    let s = shown.trim_start_matches('+');
    let Ok(x) = s.parse::<f64>() else {
        return false;
    };
    (x - actual).abs() <= 0.5 * 10f64.powi(-decimals(s)) * (1.0 + 1e-9) + 1e-15
}

/// `0.09368(95)` → ("0.09368", error 95·10⁻⁵ as shown digits).
fn value_error(cell: &str) -> Option<(String, f64, i32)> {
    let (v, rest) = cell.split_once('(')?;
    let e: f64 = rest.split_once(')')?.0.parse().ok()?;
    let d = decimals(v);
    Some((v.to_string(), e * 10f64.powi(-d), d))
}

/// `key=value` words of the first cell: `alpha_1 gaussian λ=0.1 ρ=1`.
fn check_key(cell: &str) -> Option<Vec<(&'static str, String)>> {
    let mut w = cell.split_whitespace();
    let quantity = w.next()?;
    if quantity != "alpha_1" && quantity != "alpha_f" {
        return None;
    }
    let mut key = vec![
        ("quantity", quantity.to_string()),
        ("ensemble", w.next()?.to_string()),
    ];
    let mut rho = "1".to_string();
    for x in w {
        if let Some(l) = x.strip_prefix("λ=") {
            key.push(("lambda", l.to_string()));
        } else if let Some(r) = x.strip_prefix("ρ=") {
            rho = r.to_string();
        }
    }
    key.push(("rho", rho));
    Some(key)
}

fn form_of(header: &str) -> Option<&'static str> {
    let h = header.replace(' ', "");
    if h.starts_with("a−lnN/N+b/N") {
        Some("a-lnN/N+b/N")
    } else if h == "a+b/N" {
        Some("a+b/N")
    } else if h == "a+b·lnN/N" {
        Some("a+b*lnN/N")
    } else if h == "a+b/√N" {
        Some("a+b/sqrtN")
    } else {
        None
    }
}

fn check_file(rel: &str, s: &Summary, bad: &mut Vec<String>) -> usize {
    let text = std::fs::read_to_string(root().join(rel)).unwrap();
    let mut header: Vec<String> = Vec::new();
    let mut checked = 0;
    for (ln, line) in text.lines().enumerate() {
        if !line.starts_with('|') {
            header.clear();
            continue;
        }
        let cells: Vec<String> = line
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect();
        if header.is_empty() {
            header = cells;
            continue;
        }
        let Some(key) = check_key(&cells[0]) else {
            continue;
        };
        let at = format!("{rel}:{}", ln + 1);
        let mut fail = |what: String| bad.push(format!("{at}: {what}"));
        if header.get(1).map(String::as_str) == Some("N") {
            // | check | N | simulated | map | z |
            let mut k = key.clone();
            k.push(("fit_form", "same_n".into()));
            k.push(("n_min", cells[1].clone()));
            let rows = s.find(&k);
            let Some(r) = rows.first() else {
                fail(format!("no same_n row for {}", cells[0]));
                continue;
            };
            for (cell, col) in [(2, "simulation"), (3, "theory"), (4, "z")] {
                if !shows(&cells[cell], s.num(r, col)) {
                    fail(format!(
                        "{} shows {} where summary.csv has {}",
                        col,
                        cells[cell],
                        s.num(r, col)
                    ));
                }
            }
            checked += 1;
            continue;
        }
        // | check | series | theory | N | form… |
        for (j, h) in header.iter().enumerate() {
            let Some(form) = form_of(h) else { continue };
            let mut k = key.clone();
            k.push(("series", cells[1].clone()));
            k.push(("fit_form", form.into()));
            let rows = s.find(&k);
            let Some(r) = rows.first() else {
                fail(format!("no {form} row for {}", cells[0]));
                continue;
            };
            if !shows(&cells[2], s.num(r, "theory")) {
                fail(format!("theory {} vs {}", cells[2], s.num(r, "theory")));
            }
            let parts: Vec<&str> = cells[j].split(", ").collect();
            match value_error(parts[0]) {
                Some((v, e, d)) => {
                    if !shows(&v, s.num(r, "simulation")) {
                        fail(format!("{form}: value {v} vs {}", s.num(r, "simulation")));
                    }
                    if (e - s.num(r, "error")).abs() > 0.5 * 10f64.powi(-d) * (1.0 + 1e-9) {
                        fail(format!("{form}: error {e} vs {}", s.num(r, "error")));
                    }
                }
                None => fail(format!("{form}: cannot read '{}'", parts[0])),
            }
            for p in &parts[1..] {
                let (name, col) = if p.starts_with("p = ") {
                    ("p = ", "p_value")
                } else if p.starts_with("z = ") {
                    ("z = ", "z")
                } else {
                    fail(format!("{form}: unknown part '{p}'"));
                    continue;
                };
                let shown = &p[name.len()..];
                if !shows(shown, s.num(r, col)) {
                    fail(format!("{form}: {col} {shown} vs {}", s.num(r, col)));
                }
            }
            checked += 1;
        }
    }
    checked
}

#[test]
fn validation_tables_match_summary_csv() {
    let s = Summary::load();
    let mut bad = Vec::new();
    let n_readme = check_file("README.md", &s, &mut bad);
    let n_val = check_file("docs/validation.md", &s, &mut bad);
    assert!(
        bad.is_empty(),
        "{} quoted values differ:\n{}",
        bad.len(),
        bad.join("\n")
    );
    assert!(
        n_readme >= 6 && n_val >= 50,
        "found {n_readme} README and {n_val} validation.md cells"
    );
}

#[test]
fn rounding_rule() {
    assert!(shows("0.09368", 0.09367755));
    assert!(!shows("0.09368", 0.0936));
    assert!(shows("-1.4", -1.3874) && shows("+1.5", 1.46));
    assert_eq!(value_error("0.1793(15)").map(|x| x.2), Some(4));
}

/// The number after `key` in `text`, as "x ± e": (x, e) and their shown strings.
fn plus_minus_after<'a>(text: &'a str, key: &str) -> (&'a str, &'a str) {
    let i = text
        .find(key)
        .unwrap_or_else(|| panic!("'{key}' not quoted"))
        + key.len();
    let rest = text[i..].trim_start();
    let mut it = rest.split_whitespace();
    let x = it.next().unwrap();
    assert_eq!(it.next(), Some("±"), "'{key}' is not followed by x ± e");
    let e = it
        .next()
        .unwrap()
        .trim_end_matches(|c: char| !c.is_ascii_digit());
    (x, e)
}

/// The figure gallery of docs/guide.md quotes two simulated numbers; both are the shipped
/// CSVs' (docs/data/lm_protocol, docs/data/retrieval) to the digits shown.
#[test]
fn gallery_numbers_match_the_shipped_csvs() {
    let guide = std::fs::read_to_string(root().join("docs/guide.md")).unwrap();
    let read = |p: &str| -> (Vec<String>, Vec<Vec<String>>) {
        let text = std::fs::read_to_string(root().join(p)).unwrap();
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let h = r.headers().unwrap().iter().map(String::from).collect();
        (
            h,
            r.records()
                .map(|x| x.unwrap().iter().map(String::from).collect())
                .collect(),
        )
    };
    let col = |h: &[String], n: &str| h.iter().position(|x| x == n).unwrap();
    // mean Δ₀ at the published point
    let (h, rows) = read("docs/data/lm_protocol/simulation.csv");
    let r = rows
        .iter()
        .find(|r| r[col(&h, "n")] == "60" && r[col(&h, "lambda")] == "0.3")
        .expect("the N = 60, λ = 0.3 point");
    let (x, e) = plus_minus_after(&guide, "published point N = 60, λ = 0.3:");
    assert!(shows(x, r[col(&h, "delta0")].parse().unwrap()), "Δ₀ {x}");
    assert!(
        shows(e, r[col(&h, "delta0_err")].parse().unwrap()),
        "Δ₀ error {e}"
    );
    // the retrieval study's extrapolated crossing
    let (h, rows) = read("docs/data/retrieval/theory.csv");
    let r = rows
        .iter()
        .find(|r| r[col(&h, "quantity")] == "alpha_half_extrapolated")
        .expect("the extrapolated crossing");
    let (x, e) = plus_minus_after(&guide, "derived form a − lnN/N + b/N:");
    assert!(shows(x, r[col(&h, "value")].parse().unwrap()), "α½ {x}");
    assert!(shows(e, r[col(&h, "err")].parse().unwrap()), "α½ error {e}");
}
