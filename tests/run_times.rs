//! One source for every run time: the time each shipped config quotes at its top ("Expected run
//! time: …") and the time docs/reproduce.md quotes for it agree with the measured total in the
//! manifest of the shipped run (`docs/data/<config>/manifest.json`), within a factor of 2 (or
//! 3 s for runs of a few seconds). A config without a shipped manifest fails the test.

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Seconds in the first time phrase of `text` ("about 2.5 minutes", "2 h 05 min", "< 1 s",
/// "under a second"): the sum of consecutive number–unit pairs, and whether it is an upper
/// bound ("<", "under", "well under").
fn parse_time(text: &str) -> Option<(f64, bool)> {
    let t = text.to_lowercase();
    if t.contains("under a second") {
        return Some((1.0, true));
    }
    // a bound only where it qualifies the first number ("< 1 s", not "--quick: under a minute")
    let head = &t[..t.find(|c: char| c.is_ascii_digit()).unwrap_or(t.len())];
    let bound = head.contains('<') || head.contains("under");
    let words: Vec<&str> = t
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',' || c == ';')
        .filter(|w| !w.is_empty())
        .collect();
    let unit = |w: &str| -> Option<f64> {
        let w = w.trim_end_matches('.');
        match w {
            "s" | "sec" | "second" | "seconds" => Some(1.0),
            "min" | "minute" | "minutes" => Some(60.0),
            "h" | "hour" | "hours" => Some(3600.0),
            _ => None,
        }
    };
    let mut total = 0.0;
    let mut found = false;
    let mut i = 0;
    while i + 1 < words.len() {
        let num = words[i].trim_start_matches(['~', '≈', '<']);
        match (num.parse::<f64>(), unit(words[i + 1])) {
            (Ok(x), Some(u)) => {
                total += x * u;
                found = true;
                i += 2;
            }
            _ if found => break,
            _ => i += 1,
        }
    }
    found.then_some((total, bound))
}

fn agrees(quoted: (f64, bool), measured: f64) -> bool {
    let (q, bound) = quoted;
    if bound {
        return measured <= q;
    }
    (q - measured).abs() <= 3.0 || (q / measured <= 2.0 && measured / q <= 2.0)
}

fn manifest_total(stem: &str) -> Result<f64, String> {
    let p = root().join(format!("docs/data/{stem}/manifest.json"));
    let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    if v["quick"].as_bool() != Some(false) {
        return Err(format!("{}: not a full run", p.display()));
    }
    v["total_s"]
        .as_f64()
        .ok_or_else(|| format!("{}: no total_s", p.display()))
}

#[test]
fn quoted_run_times_match_the_shipped_manifests() {
    let reproduce = std::fs::read_to_string(root().join("docs/reproduce.md")).unwrap();
    let mut bad = Vec::new();
    let mut checked = 0;
    let mut configs: Vec<_> = std::fs::read_dir(root().join("configs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    configs.sort();
    for cfg in configs {
        let stem = cfg.file_stem().unwrap().to_string_lossy().into_owned();
        let measured = match manifest_total(&stem) {
            Ok(m) => m,
            Err(e) => {
                bad.push(format!("{stem}: {e}"));
                continue;
            }
        };
        let text = std::fs::read_to_string(&cfg).unwrap();
        match text
            .lines()
            .find_map(|l| l.split_once("Expected run time:").map(|(_, t)| t))
            .and_then(parse_time)
        {
            Some(q) if agrees(q, measured) => checked += 1,
            Some(q) => bad.push(format!(
                "configs/{stem}.toml quotes {q:?} s, the manifest measured {measured:.1} s"
            )),
            None => bad.push(format!("configs/{stem}.toml quotes no run time")),
        }
        let row = reproduce.lines().find(|l| {
            l.starts_with('|') && l.contains(&format!("`engram run configs/{stem}.toml`"))
        });
        if let Some(row) = row {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            // | result | command | time | figure |
            match cells.get(3).and_then(|c| parse_time(c)) {
                Some(q) if agrees(q, measured) => checked += 1,
                Some(q) => bad.push(format!(
                    "docs/reproduce.md quotes {q:?} s for {stem}, the manifest measured {measured:.1} s"
                )),
                None => bad.push(format!("docs/reproduce.md: no time for {stem}: {}", cells[3])),
            }
        }
    }
    assert!(bad.is_empty(), "run times disagree:\n{}", bad.join("\n"));
    assert!(checked >= 15, "only {checked} quoted times found");
}

#[test]
fn time_phrases_parse() {
    assert_eq!(
        parse_time("about 2.5 minutes on 2 cores"),
        Some((150.0, false))
    );
    assert_eq!(parse_time("2 h 05 min measured"), Some((7500.0, false)));
    assert_eq!(parse_time("< 1 s"), Some((1.0, true)));
    assert_eq!(parse_time("well under a second."), Some((1.0, true)));
    assert_eq!(
        parse_time("about 7 s on 2 cores (N = 20)"),
        Some((7.0, false))
    );
    assert_eq!(parse_time("ms"), None);
    assert_eq!(
        parse_time("about 2 hours (measured 2 h 05 min; --quick: under a minute)"),
        Some((7200.0, false))
    );
    assert!(agrees((10.0, false), 7.0) && !agrees((60.0, false), 6.6));
}
