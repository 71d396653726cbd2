//! Per-point result files that make studies resumable and shardable.
//!
//! Each point k of a study has a key: a serialised, versioned struct holding every setting that
//! changes its result. When the point finishes, its typed rows (see [`super::rows`]) are
//! written atomically to `.points/<k>.csv`, the first line being the key
//! `engram-point/<version> <study kind> <json>`. `--resume` reuses every point file whose key
//! matches; a point file of an older key format is refused with a message (never silently
//! recomputed into a different answer); `--shard i/n` computes only the points with
//! k mod n = i; `engram merge` gathers point files from shard directories and assembles the
//! study without computing anything.

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

    /// The stored rows of point k if its key matches (`None`: absent, another key, or a body
    /// that does not parse); an error if the file was written under an older key format.
    pub fn load<R: DeserializeOwned>(&self, k: usize, key: &str) -> Result<Option<Vec<R>>> {
        let path = self.path(k);
        let Ok(text) = std::fs::read_to_string(&path) else {
            return Ok(None);
        };
        let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
        if !first.starts_with(KEY_PREFIX) {
            return Err(EngramError::Io(format!(
                "{} was written by an older engram (key format before {KEY_PREFIX}{KEY_VERSION}); \
                 its result cannot be matched to this configuration: run without --resume to \
                 recompute the study",
                path.display()
            )));
        }
        if first != key {
            return Ok(None);
        }
        Ok(rows::parse_records(rest.as_bytes(), &path.display().to_string()).ok())
    }

    /// Store the rows of point k atomically.
    pub fn store<R: Serialize>(&self, k: usize, key: &str, rows: &[R]) -> Result<()> {
        let mut bytes = format!("{key}\n").into_bytes();
        bytes.extend(rows::records(rows)?);
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

/// Run or load every point: `keys[k]` is point k's key line ([`key_line`]), `compute(k)` its
/// rows. Returns the rows of all points in order, or `None` when this run is one shard (the
/// study is assembled later by `engram merge`).
pub fn run_points<R: Serialize + DeserializeOwned>(
    store: &PointStore,
    keys: &[String],
    schedule: Schedule,
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
            if let Some(r) = store.load(k, key)? {
                rows.extend(r);
                continue;
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
        store.store(k, key, &r)?;
        rows.extend(r);
    }
    Ok(if schedule.shard.is_some() {
        None
    } else {
        Some(rows)
    })
}
