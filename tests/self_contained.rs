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
