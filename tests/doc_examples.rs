//! The example outputs in README.md and docs/*.md regenerate from the binary: every
//! ```` ```console ```` block's `$ engram …` command that shows output is run (in a scratch
//! directory) and its stdout compared with the text shown, line by line. A command that shows no
//! output (an illustration such as `...same...`) is not run. A command whose trailing comment
//! quotes a time in minutes runs only under `--ignored`
//! (`cargo test --release --test doc_examples -- --ignored`). With `ENGRAM_BLESS=1` the
//! differing outputs are rewritten in place from the binary (then read the diff before
//! committing).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// One documented command and the output shown under it.
struct Example {
    file: PathBuf,
    line: usize,
    args: Vec<String>,
    output: Vec<String>,
    slow: bool,
}

/// Split a command line on whitespace, honouring '…' and "…" quotes (the examples use no
/// other shell syntax; a pipe or redirection is refused so that it is not silently dropped).
fn split_words(line: &str, at: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, '|' | '>' | '<' | ';' | '&') => {
                panic!("{at}: shell syntax '{c}' in a documented command")
            }
            (None, c) => cur.push(c),
        }
    }
    assert!(quote.is_none(), "{at}: unclosed quote");
    if any || !cur.is_empty() {
        words.push(cur);
    }
    words
}

fn examples_in(file: &Path) -> Vec<Example> {
    let text = std::fs::read_to_string(file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim_start() != "```console" {
            i += 1;
            continue;
        }
        i += 1;
        while i < lines.len() && !lines[i].starts_with("```") {
            let Some(cmd) = lines[i].strip_prefix("$ ") else {
                i += 1;
                continue;
            };
            let at = format!("{}:{}", file.display(), i + 1);
            let start = i;
            let mut cmd = cmd.to_string();
            while cmd.trim_end().ends_with('\\') {
                cmd = cmd.trim_end().trim_end_matches('\\').to_string();
                i += 1;
                cmd.push(' ');
                cmd.push_str(lines[i].trim());
            }
            i += 1;
            let (cmd, comment) = match cmd.find(" #") {
                Some(k) => (cmd[..k].to_string(), cmd[k..].to_string()),
                None => (cmd, String::new()),
            };
            let mut output = Vec::new();
            while i < lines.len() && !lines[i].starts_with("```") && !lines[i].starts_with("$ ") {
                output.push(lines[i].to_string());
                i += 1;
            }
            let words = split_words(&cmd, &at);
            if output.is_empty() || words.iter().any(|w| w.contains("...")) {
                continue;
            }
            assert_eq!(words[0], "engram", "{at}: a documented command runs engram");
            out.push(Example {
                file: file.to_path_buf(),
                line: start + 1,
                args: words[1..].to_vec(),
                output,
                slow: comment.contains("min"),
            });
        }
        i += 1;
    }
    out
}

/// README.md and every page under docs/.
fn all_examples() -> Vec<Example> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    let mut stack = vec![root.join("docs")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "md") {
                files.push(p);
            }
        }
    }
    files.sort();
    files.iter().flat_map(|f| examples_in(f)).collect()
}

fn check(slow: bool) -> usize {
    let examples: Vec<Example> = all_examples()
        .into_iter()
        .filter(|e| e.slow == slow)
        .collect();
    let mut failures = Vec::new();
    // Last first, so that a blessed output of another length does not move the lines of the
    // examples still to check.
    for (k, e) in examples.iter().enumerate().rev() {
        let dir = common::tmpdir("doc", &k.to_string());
        let out = Command::new(env!("CARGO_BIN_EXE_engram"))
            .args(&e.args)
            .current_dir(&dir)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let got: Vec<&str> = stdout.lines().collect();
        let want: Vec<&str> = e.output.iter().map(String::as_str).collect();
        if out.status.success() && got != want && std::env::var_os("ENGRAM_BLESS").is_some() {
            bless(e, &got);
            continue;
        }
        if !out.status.success() || got != want {
            let first = got
                .iter()
                .zip(&want)
                .position(|(g, w)| g != w)
                .unwrap_or(got.len().min(want.len()));
            failures.push(format!(
                "{}:{}: `engram {}` (exit {:?}) differs at output line {}:\n  shown: {:?}\n  got:   {:?}\n  stderr: {}",
                e.file.display(),
                e.line,
                e.args.join(" "),
                out.status.code(),
                first + 1,
                want.get(first),
                got.get(first),
                String::from_utf8_lossy(&out.stderr).lines().next().unwrap_or("")
            ));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        failures.is_empty(),
        "{} of {} documented examples differ from the binary (regenerate them):\n{}",
        failures.len(),
        examples.len(),
        failures.join("\n")
    );
    examples.len()
}

/// Replace the output shown under `e` by `got` (the lines after its command, up to the next
/// command or the end of the block).
fn bless(e: &Example, got: &[&str]) {
    let text = std::fs::read_to_string(&e.file).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut i = e.line - 1;
    while lines[i].trim_end().ends_with('\\') {
        i += 1;
    }
    let start = i + 1;
    let mut end = start;
    while end < lines.len() && !lines[end].starts_with("```") && !lines[end].starts_with("$ ") {
        end += 1;
    }
    lines.splice(start..end, got.iter().map(|s| s.to_string()));
    std::fs::write(&e.file, lines.join("\n") + "\n").unwrap();
}

/// The quick examples (no quoted time in minutes): run in the default suite.
#[test]
fn documented_examples_regenerate() {
    let n = check(false);
    assert!(
        n >= 3,
        "only {n} documented examples found: is the parser still reading them?"
    );
}

/// The examples that take minutes.
#[test]
#[ignore]
fn documented_slow_examples_regenerate() {
    check(true);
}

/// The parser itself: continuation lines, trailing comments, quotes, illustrations skipped.
#[test]
fn example_parser_reads_blocks() {
    let dir = common::tmpdir("doc", "parser");
    let f = dir.join("x.md");
    std::fs::write(
        &f,
        "text\n```console\n$ engram a --x 'p q' \\\n    --y 2   # 3 min on 2 cores\nl1\nl2\n\
         $ engram b ...same...\n$ engram c\n```\n```sh\n$ engram d\nno\n```\n",
    )
    .unwrap();
    let ex = examples_in(&f);
    assert_eq!(ex.len(), 1);
    assert_eq!(ex[0].args, ["a", "--x", "p q", "--y", "2"]);
    assert_eq!(ex[0].output, ["l1", "l2"]);
    assert!(ex[0].slow);
    assert_eq!(ex[0].line, 3);
}
