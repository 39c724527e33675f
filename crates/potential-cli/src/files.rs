//! Files the CLI writes: every one through the one atomic writer of the workspace
//! ([`potential_data::AtomicFile`]: temporary file, fsync, rename, directory fsync), and the
//! `.npy`/`.csv` choice of the score outputs.

use crate::error::{CliError, Result};
use potential_data::AtomicFile;
use std::io::Write;
use std::path::Path;

/// The kind of a score output file, from its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutKind {
    /// NumPy `.npy`.
    Npy,
    /// Comma-separated text with a header line.
    Csv,
}

/// The kind of the output `path` given with `flag` (checked before any work).
///
/// # Errors
/// [`CliError::Usage`] naming the flag for another extension.
pub fn out_kind(flag: &str, path: &Path) -> Result<OutKind> {
    match path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).as_deref() {
        Some("npy") => Ok(OutKind::Npy),
        Some("csv") => Ok(OutKind::Csv),
        _ => Err(CliError::Usage(format!(
            "{flag} {}: unknown output format (use a .npy or .csv file name)",
            path.display()
        ))),
    }
}

/// Write a text file atomically, its lines produced by `body`.
///
/// # Errors
/// [`CliError::Io`] naming the file (or its temporary file); [`CliError::Data`] for the commit.
pub fn write_text(path: &Path, body: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let mut f = AtomicFile::create(path)?;
    let tmp = f.tmp_path().to_path_buf();
    body(f.writer()).map_err(|source| CliError::Io { path: tmp, source })?;
    f.commit()?;
    Ok(())
}

/// Write `scores` as CSV with the header `index,<name>` (`{}` on f64 prints the shortest form
/// that round-trips).
///
/// # Errors
/// As [`write_text`].
pub fn write_scores_csv(path: &Path, name: &str, scores: &[f64]) -> Result<()> {
    write_text(path, |w| {
        writeln!(w, "index,{name}")?;
        scores.iter().enumerate().try_for_each(|(i, s)| writeln!(w, "{i},{s}"))
    })
}

/// Scores written as `.npy` (f64 \[n\]) or CSV (`index,<name>`).
///
/// # Errors
/// As [`write_text`]; [`CliError::Data`] from the `.npy` writer.
pub fn write_scores(path: &Path, kind: OutKind, name: &str, scores: &[f64]) -> Result<()> {
    match kind {
        OutKind::Npy => Ok(potential_data::write_npy_f64(path, scores, &[scores.len()])?),
        OutKind::Csv => write_scores_csv(path, name, scores),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_files_appear_whole_and_kinds_follow_the_extension() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.csv");
        write_scores_csv(&p, "energy", &[1.5, -0.25]).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "index,energy\n0,1.5\n1,-0.25\n");
        let failed = write_text(&p, |w| {
            writeln!(w, "partial")?;
            Err(std::io::Error::other("stop"))
        });
        assert!(matches!(failed, Err(CliError::Io { .. })));
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "index,energy\n0,1.5\n1,-0.25\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
        assert_eq!(out_kind("--out", Path::new("a.NPY")).unwrap(), OutKind::Npy);
        let e = out_kind("--out", Path::new("a.txt")).unwrap_err().to_string();
        assert!(e.contains("--out a.txt") && e.contains(".npy or .csv"), "{e}");
    }
}
