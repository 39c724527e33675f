//! Checks on output paths made before any long work starts: an output never replaces an input, and
//! its directory exists.

use crate::error::{CliError, Result};
use std::path::{Path, PathBuf};

/// The absolute form of `p` (its parent canonicalised when the file does not exist yet), for
/// comparing paths that may not exist.
fn resolved(p: &Path) -> Option<PathBuf> {
    if let Ok(c) = p.canonicalize() {
        return Some(c);
    }
    let parent = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    Some(parent.canonicalize().ok()?.join(p.file_name()?))
}

/// Refuse `out` when it names the same file as one of `inputs` (after resolving links and `..`;
/// `file.npz:NAME` inputs compare by their file part), or when its directory does not exist.
///
/// # Errors
/// [`CliError::Usage`] saying which input it would replace, or that the directory is missing.
pub fn check_output(out: &Path, inputs: &[&Path]) -> Result<()> {
    let Some(o) = resolved(out) else {
        let dir = out.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        return Err(CliError::Usage(format!(
            "{}: the output's directory {} does not exist",
            out.display(),
            dir.display()
        )));
    };
    for input in inputs {
        if resolved(&file_part(input)).is_some_and(|i| i == o) {
            return Err(CliError::Usage(format!(
                "{}: this output would replace the input {}; choose another name",
                out.display(),
                input.display()
            )));
        }
    }
    Ok(())
}

/// Whether two output paths name the same file (after resolving links and `..`; paths whose
/// directory does not exist compare as written).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (resolved(a), resolved(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// The file of an input path: `table.npz:NAME` names the member NAME of `table.npz` when no file
/// of the full name exists.
fn file_part(p: &Path) -> PathBuf {
    if p.exists() {
        return p.to_path_buf();
    }
    let s = p.to_string_lossy();
    match s.rsplit_once(':') {
        Some((file, _)) if file.to_ascii_lowercase().ends_with(".npz") => PathBuf::from(file),
        _ => p.to_path_buf(),
    }
}
