//! CSV output of per-sample scores: a header `index,<score>`, one row per sample, written atomically.

use crate::error::{CliError, Result};
use potential_data::AtomicFile;
use std::io::Write;
use std::path::Path;

/// Write `scores` as CSV with the header `index,<name>`.
pub fn write_scores_csv(path: &Path, name: &str, scores: &[f64]) -> Result<()> {
    let mut f = AtomicFile::create(path)?;
    let tmp = f.tmp_path().to_path_buf();
    let io = |e| CliError::Io { path: tmp.clone(), source: e };
    let w = f.writer();
    writeln!(w, "index,{name}").map_err(io)?;
    for (i, s) in scores.iter().enumerate() {
        // `{}` on f64 prints the shortest representation that round-trips.
        writeln!(w, "{i},{s}").map_err(io)?;
    }
    f.commit()?;
    Ok(())
}
