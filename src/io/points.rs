//! Per-point result files that make studies resumable and shardable.
//!
//! Each simulation point k of a study has a deterministic key (its full parameters). When the
//! point finishes, its formatted CSV row is written atomically to `.points/<k>.csv` (first
//! line: the key). `--resume` reuses every point file whose key matches; `--shard i/n`
//! computes only the points with k mod n = i; `engram merge` gathers point files from shard
//! directories and assembles the study without computing anything.

use std::path::{Path, PathBuf};

use crate::error::{EngramError, Result};

use super::write_atomic;

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

    fn path(&self, k: usize) -> PathBuf {
        self.dir.join(format!("{k:06}.csv"))
    }

    /// The stored row of point k if its key matches.
    pub fn load(&self, k: usize, key: &str) -> Option<Vec<String>> {
        let text = std::fs::read_to_string(self.path(k)).ok()?;
        let (first, rest) = text.split_once('\n')?;
        if first != key {
            return None;
        }
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(rest.as_bytes());
        let rec = r.records().next()?.ok()?;
        Some(rec.iter().map(String::from).collect())
    }

    /// Store the row of point k atomically.
    pub fn store(&self, k: usize, key: &str, row: &[String]) -> Result<()> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(row)
            .map_err(|e| EngramError::Io(e.to_string()))?;
        let body = w.into_inner().map_err(|e| EngramError::Io(e.to_string()))?;
        let mut bytes = format!("{key}\n").into_bytes();
        bytes.extend(body);
        write_atomic(&self.path(k), &bytes)
    }

    /// Remove every stored point (a fresh, non-resumed run).
    pub fn clear(&self) -> Result<()> {
        for e in std::fs::read_dir(&self.dir)
            .map_err(|e| EngramError::Io(format!("{}: {e}", self.dir.display())))?
            .flatten()
        {
            let _ = std::fs::remove_file(e.path());
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
            if name.to_string_lossy().ends_with(".csv") {
                let bytes = std::fs::read(e.path())
                    .map_err(|err| EngramError::Io(format!("{}: {err}", e.path().display())))?;
                write_atomic(&self.dir.join(&name), &bytes)?;
                n += 1;
            }
        }
        Ok(n)
    }
}

/// Run or load every point. `compute(k)` returns the row of point k. Returns `None` when
/// this run is one shard (the study is assembled later by `engram merge`).
pub fn run_points(
    store: &PointStore,
    keys: &[String],
    schedule: Schedule,
    mut compute: impl FnMut(usize) -> Result<Vec<String>>,
) -> Result<Option<Vec<Vec<String>>>> {
    let mut rows = Vec::with_capacity(keys.len());
    for (k, key) in keys.iter().enumerate() {
        if let Some((i, n)) = schedule.shard {
            if k % n != i {
                continue;
            }
        }
        let reuse = schedule.resume || schedule.assemble_only;
        if reuse {
            if let Some(row) = store.load(k, key) {
                rows.push(row);
                continue;
            }
        }
        if schedule.assemble_only {
            return Err(EngramError::Io(format!(
                "point {k} ({key}) is missing from {}: run its shard first",
                store.dir().display()
            )));
        }
        let row = compute(k)?;
        store.store(k, key, &row)?;
        rows.push(row);
    }
    Ok(if schedule.shard.is_some() {
        None
    } else {
        Some(rows)
    })
}
