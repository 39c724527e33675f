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
/// `file.npz:NAME` inputs compare by their file part), when its directory does not exist or
/// accepts no new file, or when it is a directory. Removes the stale temporary files a killed run
/// left for this name ([`remove_stale_temporaries`]).
///
/// # Errors
/// [`CliError::Usage`] saying which input it would replace, that the directory is missing or
/// read-only, or that the output is a directory.
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
    if o.is_dir() {
        return Err(CliError::Usage(format!("{}: is a directory; give a file name", out.display())));
    }
    let dir = o.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    probe_writable(&dir, out)?;
    if let Some(name) = o.file_name().and_then(|n| n.to_str()) {
        remove_stale_temporaries(&dir, name);
    }
    Ok(())
}

/// Check that `dir` (holding or to hold `out`) exists, is a directory and accepts new files, by
/// creating and removing a probe file: a read-only or missing directory is reported before the
/// work, not after it.
///
/// # Errors
/// [`CliError::Usage`] naming `out` and why nothing can be written there.
pub fn probe_writable(dir: &Path, out: &Path) -> Result<()> {
    let probe = dir.join(format!(".potential-probe.{}.tmp", std::process::id()));
    match std::fs::OpenOptions::new().write(true).create_new(true).open(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(CliError::Usage(format!(
            "{}: cannot write in the directory {}: {e}",
            out.display(),
            dir.display()
        ))),
    }
}

/// Check an output directory (`--out DIR`, `--checkpoint-dir`): created when missing (with its
/// parents), refused when it is a file or does not accept new files ([`probe_writable`]).
///
/// # Errors
/// [`CliError::Io`] when it cannot be created; [`CliError::Usage`] as [`probe_writable`].
pub fn check_output_dir(dir: &Path) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(CliError::Usage(format!("{}: exists and is not a directory", dir.display())));
    }
    std::fs::create_dir_all(dir).map_err(|source| CliError::Io { path: dir.to_path_buf(), source })?;
    probe_writable(dir, dir)
}

/// Remove the atomic writer's leftovers for `name` in `dir` (`.NAME.PID.N.tmp`, see
/// `potential_data::AtomicFile`) whose process is gone: the remains of a run killed mid-write.
/// Files of a live process, and any other file, are left alone; failures are ignored (the files
/// are only litter).
pub fn remove_stale_temporaries(dir: &Path, name: &str) {
    // Whether a process lives is read from /proc; without it nothing is known to be stale.
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let prefix = format!(".{name}.");
    for e in entries.flatten() {
        let file = e.file_name();
        let Some(rest) = file.to_str().and_then(|f| f.strip_prefix(&prefix)?.strip_suffix(".tmp")) else {
            continue;
        };
        let Some((pid, n)) = rest.split_once('.') else { continue };
        let (Ok(pid), Ok(_)) = (pid.parse::<u32>(), n.parse::<u64>()) else { continue };
        let alive = pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists();
        if !alive && e.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(e.path());
        }
    }
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

/// An exclusive lock on an output that a run rewrites many times (the `--metrics` log, the
/// checkpoint): a second run writing the same file at the same time is refused instead of both
/// replacing each other's lines. Held as an advisory lock on `.NAME.lock` beside the file, removed
/// when dropped (a killed run's lock file is stale and taken over: the lock dies with its process).
#[derive(Debug)]
pub struct OutputLock {
    path: PathBuf,
    _file: std::fs::File,
}

impl OutputLock {
    /// Lock `out` for this run.
    ///
    /// # Errors
    /// [`CliError::Usage`] when another run holds it; [`CliError::Io`] when the lock file cannot
    /// be created.
    pub fn acquire(out: &Path, flag: &str) -> Result<Self> {
        let name = out.file_name().map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
        let path = out.with_file_name(format!(".{name}.lock"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| CliError::Io { path: path.clone(), source })?;
        match file.try_lock() {
            Ok(()) => Ok(Self { path, _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(CliError::Usage(format!(
                "{flag} {}: another run is writing it (it holds {}); give each run its own {flag}",
                out.display(),
                path.display()
            ))),
            Err(std::fs::TryLockError::Error(source)) => Err(CliError::Io { path, source }),
        }
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
