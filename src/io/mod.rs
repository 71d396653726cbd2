//! Files: atomic writes, the tidy CSV tables engram writes and reads back, the per-point store
//! that makes studies resumable and shardable, the manifest, and progress callbacks. Below both
//! [`crate::study`] and [`crate::plot`]; it knows no model.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{EngramError, Result};

pub mod columns;
pub mod manifest;
pub mod points;
pub mod rows;
pub mod table;

pub use manifest::Manifest;
pub use points::{PointStore, Schedule};
pub use table::Table;

/// Check, before any work, that `path` can be written: not a directory, and its nearest
/// existing ancestor a directory where a probe file can be created (and is removed again).
/// Nothing is left behind; [`write_atomic`] creates the missing directories when it writes. A
/// run that would compute for minutes and then fail to write its result fails here instead.
pub fn prepare_output(path: &Path) -> Result<()> {
    let io = |e: std::io::Error| EngramError::Io(format!("cannot write {}: {e}", path.display()));
    if path.is_dir() {
        return Err(EngramError::Io(format!(
            "cannot write {}: it is a directory (give a file name)",
            path.display()
        )));
    }
    let mut dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    while !dir.exists() {
        dir = match dir.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
    }
    if !dir.is_dir() {
        return Err(EngramError::Io(format!(
            "cannot write {}: {} is not a directory",
            path.display(),
            dir.display()
        )));
    }
    let probe = dir.join(format!(".engram-probe-{}", std::process::id()));
    std::fs::File::create(&probe).map_err(io)?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Write `bytes` to `path` atomically: a temporary file in the same directory, then rename, so
/// a reader never sees a half-written result.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |e: std::io::Error| EngramError::Io(format!("cannot write {}: {e}", path.display()));
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if path.is_dir() {
        return Err(EngramError::Io(format!(
            "cannot write {}: it is a directory (give a file name)",
            path.display()
        )));
    }
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let written = (|| {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)?;
        }
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(io)
}

/// A callback that hears the library's warnings.
type WarnFn = Box<dyn Fn(&str) + Send + Sync>;

/// Progress callbacks for long studies (the CLI shows a bar and prints warnings; the library
/// never prints).
#[derive(Default)]
pub struct Progress {
    total: AtomicU64,
    done: AtomicU64,
    on_change: Option<Box<dyn Fn(u64, u64) + Send + Sync>>,
    on_warn: Option<WarnFn>,
}

impl Progress {
    /// A progress reporter calling `f(done, total)` on every change.
    pub fn new(f: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        Progress {
            on_change: Some(Box::new(f)),
            ..Default::default()
        }
    }
    /// The same reporter, also calling `f(message)` on every warning.
    pub fn with_warn(mut self, f: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.on_warn = Some(Box::new(f));
        self
    }
    /// A warning: something the user should know that does not stop the run.
    pub fn warn(&self, message: &str) {
        if let Some(f) = &self.on_warn {
            f(message);
        }
    }
    /// Announce more work.
    pub fn add(&self, n: u64) {
        let t = self.total.fetch_add(n, Ordering::Relaxed) + n;
        if let Some(f) = &self.on_change {
            f(self.done.load(Ordering::Relaxed), t);
        }
    }
    /// One unit done.
    pub fn inc(&self) {
        let d = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(f) = &self.on_change {
            f(d, self.total.load(Ordering::Relaxed));
        }
    }
}
