//! Per-point result files that make studies resumable and shardable.
//!
//! Each point k of a study has a key: a serialised, versioned struct holding every setting that
//! changes its result. When the point finishes, its typed rows (see [`super::rows`]) are
//! written atomically to `.points/<h>.csv`, h being the FNV-1a hash of the key line, and the
//! file's first line the key itself, `engram-point/<version> <study kind> <json>`. A file is
//! named by what it holds, not by its place in the sweep: a run of another configuration never
//! overwrites it, and a point keeps its file when the sweep around it changes. (Stores written
//! before this scheme named files by index, `<k:06>.csv`; they are still read.)
//!
//! `--resume` reuses every point file whose key matches; a matching file whose body does not
//! parse is reported (file and line) and recomputed; a point file of an older key format is
//! refused with a message (never silently recomputed into a different answer); `--shard i/n`
//! computes only the points with k mod n = i; `engram merge` gathers point files from shard
//! directories and assembles the study without computing anything.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{EngramError, Result};

use super::rows;
use super::write_atomic;

/// Version of the key format; a point file written under another version is refused.
pub const KEY_VERSION: u32 = 2;

const KEY_PREFIX: &str = "engram-point/";

/// The key line of a point: `engram-point/<version> <kind> <json of key>`.
pub fn key_line<K: Serialize>(kind: &str, key: &K) -> Result<String> {
    let json = serde_json::to_string(key)
        .map_err(|e| EngramError::Io(format!("cannot serialise the key of a {kind} point: {e}")))?;
    Ok(format!("{KEY_PREFIX}{KEY_VERSION} {kind} {json}"))
}

/// How points are scheduled in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Reuse finished points with matching keys.
    pub resume: bool,
    /// Compute only the points k with k mod n = i.
    pub shard: Option<(usize, usize)>,
    /// Compute nothing; every point must already exist (merge).
    pub assemble_only: bool,
}

/// The point store of one study directory.
#[derive(Debug, Clone)]
pub struct PointStore {
    dir: PathBuf,
}

/// What the store holds for one key.
#[derive(Debug)]
pub enum Stored<R> {
    /// No file with this key.
    Absent,
    /// The finished point's rows.
    Rows(Vec<R>),
    /// A file with this key whose body does not parse (the message names file and line).
    Damaged(String),
}

/// FNV-1a, 64 bit: the stable name of a point file (the key line inside settles collisions).
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Whether a directory entry is a point file (hidden temporaries are not).
fn is_point_file(name: &str) -> bool {
    name.ends_with(".csv") && !name.starts_with('.')
}

impl PointStore {
    /// The store under `study_dir/.points`.
    pub fn new(study_dir: &Path) -> Result<Self> {
        let dir = study_dir.join(".points");
        std::fs::create_dir_all(&dir)
            .map_err(|e| EngramError::Io(format!("cannot create {}: {e}", dir.display())))?;
        Ok(PointStore { dir })
    }

    /// Directory holding the point files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{:016x}.csv", fnv1a(key)))
    }

    fn legacy_path(&self, k: usize) -> PathBuf {
        self.dir.join(format!("{k:06}.csv"))
    }

    /// Number of finished point files in the store.
    pub fn count(&self) -> usize {
        std::fs::read_dir(&self.dir)
            .map(|d| {
                d.flatten()
                    .filter(|e| is_point_file(&e.file_name().to_string_lossy()))
                    .count()
            })
            .unwrap_or(0)
    }

    /// Number of finished point files that belong to none of `keys` (another configuration's
    /// points: a hash-named file with another name, or an index-named file of an older store
    /// whose key line is not among them).
    pub fn foreign(&self, keys: &[String]) -> usize {
        let names: std::collections::HashSet<String> = keys
            .iter()
            .map(|k| format!("{:016x}.csv", fnv1a(k)))
            .collect();
        let keyset: std::collections::HashSet<&str> = keys.iter().map(String::as_str).collect();
        let Ok(d) = std::fs::read_dir(&self.dir) else {
            return 0;
        };
        d.flatten()
            .filter(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                if !is_point_file(&n) || names.contains(&n) {
                    return false;
                }
                if n.len() == "000000.csv".len() {
                    let first = std::fs::read_to_string(e.path()).unwrap_or_default();
                    let first = first.lines().next().unwrap_or("");
                    return !keyset.contains(first);
                }
                true
            })
            .count()
    }

    /// What the store holds for point k with this key: its file `<hash>.csv`, or the index-named
    /// file `<k:06>.csv` of an older store if its key matches. An error if that index-named file
    /// was written under an older key format.
    pub fn load<R: DeserializeOwned>(&self, k: usize, key: &str) -> Result<Stored<R>> {
        let path = self.path(key);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(_) => {
                let legacy = self.legacy_path(k);
                let Ok(t) = std::fs::read_to_string(&legacy) else {
                    return Ok(Stored::Absent);
                };
                if !t.starts_with(KEY_PREFIX) {
                    return Err(EngramError::Io(format!(
                        "{} was written by an older engram (key format before \
                         {KEY_PREFIX}{KEY_VERSION}); its result cannot be matched to this \
                         configuration: move it away, or run with --force to recompute the study",
                        legacy.display()
                    )));
                }
                return Ok(Self::parse(&legacy, &t, key));
            }
        };
        Ok(Self::parse(&path, &text, key))
    }

    fn parse<R: DeserializeOwned>(path: &Path, text: &str, key: &str) -> Stored<R> {
        let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
        if first != key {
            return Stored::Absent;
        }
        match rows::parse_records(rest.as_bytes(), &path.display().to_string(), 2) {
            Ok(r) => Stored::Rows(r),
            Err(e) => Stored::Damaged(e.to_string()),
        }
    }

    /// Store the rows of a point atomically, under its key.
    pub fn store<R: Serialize>(&self, key: &str, rows: &[R]) -> Result<()> {
        let mut bytes = format!("{key}\n").into_bytes();
        bytes.extend(rows::records(rows)?);
        write_atomic(&self.path(key), &bytes)
    }

    /// Remove every stored point (a run with `--force`).
    pub fn clear(&self) -> Result<()> {
        for e in std::fs::read_dir(&self.dir)
            .map_err(|e| EngramError::Io(format!("{}: {e}", self.dir.display())))?
            .flatten()
        {
            std::fs::remove_file(e.path()).map_err(|err| {
                EngramError::Io(format!("cannot remove {}: {err}", e.path().display()))
            })?;
        }
        Ok(())
    }

    /// Copy the point files of another study directory into this store (merge of shards).
    pub fn import(&self, other_study_dir: &Path) -> Result<usize> {
        let src = other_study_dir.join(".points");
        let mut n = 0;
        let entries = std::fs::read_dir(&src)
            .map_err(|e| EngramError::Io(format!("cannot read {}: {e}", src.display())))?;
        for e in entries.flatten() {
            let name = e.file_name();
            if is_point_file(&name.to_string_lossy()) {
                let bytes = std::fs::read(e.path())
                    .map_err(|err| EngramError::Io(format!("{}: {err}", e.path().display())))?;
                write_atomic(&self.dir.join(&name), &bytes)?;
                n += 1;
            }
        }
        Ok(n)
    }
}

/// Run or load every point: `keys[k]` is point k's key line ([`key_line`]), `compute(k)` its
/// rows; `warn` hears of damaged point files (recomputed). Returns the rows of all points in
/// order, or `None` when this run is one shard (the study is assembled later by `engram merge`).
pub fn run_points<R: Serialize + DeserializeOwned>(
    store: &PointStore,
    keys: &[String],
    schedule: Schedule,
    warn: &dyn Fn(&str),
    mut compute: impl FnMut(usize) -> Result<Vec<R>>,
) -> Result<Option<Vec<R>>> {
    let mut rows = Vec::with_capacity(keys.len());
    for (k, key) in keys.iter().enumerate() {
        if let Some((i, n)) = schedule.shard {
            if k % n != i {
                continue;
            }
        }
        let reuse = schedule.resume || schedule.assemble_only;
        if reuse {
            match store.load(k, key)? {
                Stored::Rows(r) => {
                    rows.extend(r);
                    continue;
                }
                Stored::Damaged(msg) if !schedule.assemble_only => {
                    warn(&format!("damaged point file, recomputing it: {msg}"));
                }
                Stored::Damaged(msg) => {
                    return Err(EngramError::Io(format!(
                        "damaged point file: {msg}; run its shard again with --resume"
                    )))
                }
                Stored::Absent => {}
            }
        }
        if schedule.assemble_only {
            return Err(EngramError::Io(format!(
                "point {k} of {} is missing from {} or was computed with another configuration: \
                 run the shard holding it with this config.toml",
                keys.len(),
                store.dir().display()
            )));
        }
        let r = compute(k)?;
        store.store(key, &r)?;
        rows.extend(r);
    }
    Ok(if schedule.shard.is_some() {
        None
    } else {
        Some(rows)
    })
}
