//! A minimal reader of the tidy CSV files engram writes (header + rows), for re-rendering
//! figures from results without recomputing.

use std::path::Path;

use crate::error::{EngramError, Result};

/// A CSV table held as strings.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Read a CSV file.
    pub fn read(path: &Path) -> Result<Self> {
        let mut r = csv::Reader::from_path(path)
            .map_err(|e| EngramError::Io(format!("cannot read {}: {e}", path.display())))?;
        let header = r
            .headers()
            .map_err(|e| EngramError::Io(format!("{}: {e}", path.display())))?
            .iter()
            .map(String::from)
            .collect();
        let mut rows = Vec::new();
        for rec in r.records() {
            let rec = rec.map_err(|e| EngramError::Io(format!("{}: {e}", path.display())))?;
            rows.push(rec.iter().map(String::from).collect());
        }
        Ok(Table { header, rows })
    }

    /// Index of a column.
    pub fn col(&self, name: &str) -> Result<usize> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| EngramError::Io(format!("missing column '{name}'")))
    }

    /// Numeric value of row `i`, column `c` (empty or unparsable: NaN, for plotting only).
    pub fn num(&self, i: usize, c: usize) -> f64 {
        self.rows[i][c].parse().unwrap_or(f64::NAN)
    }
}
