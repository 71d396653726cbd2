//! The repository explains itself: no file refers to a path outside it or to the project's
//! internal specification; docs/theory.md's anchors exist wherever they are cited.

use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if p.is_dir() {
            if !["target", ".git", "results"].contains(&name.as_str()) {
                files(&p, out);
            }
        } else if [
            "rs", "md", "toml", "py", "txt", "cff", "yml", "yaml", "sh", "json",
        ]
        .iter()
        .any(|x| name.ends_with(&format!(".{x}")))
            || name == "run"
        {
            out.push(p);
        }
    }
}

fn repo_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    files(root, &mut out);
    out
}

/// No path into the parent directory's shared folder and no section or file reference to the
/// internal specification, anywhere in the repository's text files.
#[test]
fn no_reference_outside_the_repository() {
    // built from pieces so that this file does not match itself
    let needles = [
        format!("..{}shared", '/'),
        format!("SPEC {}", '§'),
        format!("SPEC{}md", '.'),
    ];
    let mut bad = Vec::new();
    for f in repo_files() {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            for n in &needles {
                if line.contains(n.as_str()) {
                    bad.push(format!("{}:{}: {}", f.display(), i + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "references outside the repository:\n{}",
        bad.join("\n")
    );
}

/// Every theory-document anchor cited anywhere names an anchor that docs/theory.md defines.
#[test]
fn theory_anchors_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let theory = std::fs::read_to_string(root.join("docs/theory.md")).unwrap();
    let mut missing = Vec::new();
    let key = concat!("theory.md", "#");
    for f in repo_files() {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let mut rest = text.as_str();
        while let Some(i) = rest.find(key) {
            rest = &rest[i + key.len()..];
            let a: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            if !a.is_empty() && !theory.contains(&format!("<a id=\"{a}\"></a>")) {
                missing.push(format!("{}: #{a}", f.display()));
            }
        }
    }
    // internal links of theory.md itself: ](#anchor)
    let mut rest = theory.as_str();
    while let Some(i) = rest.find("](#") {
        rest = &rest[i + 3..];
        let a: String = rest.chars().take_while(|c| *c != ')').collect();
        if !theory.contains(&format!("<a id=\"{a}\"></a>")) {
            missing.push(format!("docs/theory.md: #{a}"));
        }
    }
    assert!(
        missing.is_empty(),
        "undefined anchors:\n{}",
        missing.join("\n")
    );
}

/// The anchors a Markdown page defines: `<a id="…">` tags and the code host's heading slugs
/// (lower case; letters, digits, `-` and `_` kept, spaces to `-`, the rest dropped; a repeated
/// heading gets `-1`, `-2`, …).
fn page_anchors(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashMap::<String, usize>::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("<a id=\"") {
            rest = &rest[i + 7..];
            if let Some(j) = rest.find('"') {
                out.push(rest[..j].to_string());
            }
        }
        let t = line.trim_start_matches('#');
        if line.starts_with('#') && t.starts_with(' ') {
            let slug: String = t
                .trim()
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
                .map(|c| if c == ' ' { '-' } else { c })
                .collect();
            let n = seen.entry(slug.clone()).or_insert(0);
            *n += 1;
            let n = *n - 1;
            out.push(if n == 0 { slug } else { format!("{slug}-{n}") });
        }
    }
    out
}

/// Every relative link and image of README.md and docs/ resolves: the file exists and, for a
/// `#fragment`, the target page defines that anchor (GitHub renders these pages as they are;
/// this test is the link check a book build would do).
#[test]
fn markdown_links_resolve() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages = vec![root.join("README.md")];
    let mut all = Vec::new();
    files(&root.join("docs"), &mut all);
    pages.extend(
        all.into_iter()
            .filter(|p| p.extension().is_some_and(|x| x == "md")),
    );
    let mut bad = Vec::new();
    let mut checked = 0;
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        let dir = page.parent().unwrap();
        let mut fenced = false;
        for (ln, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
            }
            if fenced {
                continue;
            }
            let mut rest = line;
            while let Some(i) = rest.find("](") {
                rest = &rest[i + 2..];
                let Some(j) = rest.find(')') else { break };
                let target = &rest[..j];
                rest = &rest[j..];
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                checked += 1;
                let (file, frag) = match target.split_once('#') {
                    Some((f, a)) => (f, Some(a)),
                    None => (target, None),
                };
                let path = if file.is_empty() {
                    page.clone()
                } else {
                    dir.join(file)
                };
                let at = format!(
                    "{}:{}: ({target})",
                    page.strip_prefix(root).unwrap().display(),
                    ln + 1
                );
                if !path.exists() {
                    bad.push(format!("{at}: no such file"));
                    continue;
                }
                if let Some(a) = frag {
                    if path.extension().is_some_and(|x| x == "md") {
                        let t = std::fs::read_to_string(&path).unwrap();
                        if !page_anchors(&t).iter().any(|x| x == a) {
                            bad.push(format!("{at}: no anchor #{a}"));
                        }
                    }
                }
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} links found: is the scan still reading them?"
    );
    assert!(
        bad.is_empty(),
        "{} broken links:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// The slug rule on the headings engram's pages use.
#[test]
fn heading_slugs_follow_the_code_host() {
    let a = page_anchors("# The simulators\n### Finite-size analysis of α₁ (`dam crossing --fss`)\n## Studies (config files)\n## Tests\n## Tests\n```\n# not a heading\n```\n<a id=\"rem\"></a>\n");
    assert_eq!(
        a,
        [
            "the-simulators",
            "finite-size-analysis-of-α₁-dam-crossing---fss",
            "studies-config-files",
            "tests",
            "tests-1",
            "rem"
        ]
    );
}

/// README.md is the five-minute page (at most ~250 lines); the rest lives in docs/.
#[test]
fn readme_is_short() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let n = std::fs::read_to_string(root.join("README.md"))
        .unwrap()
        .lines()
        .count();
    assert!(n <= 250, "README.md has {n} lines; move detail into docs/");
}
