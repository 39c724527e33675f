//! The one atomic writer of the workspace's output files: every file appears whole under its name
//! or not at all — written to a new temporary file beside it, flushed to disk (fsync), renamed over
//! the destination, and the directory synced so the rename survives a crash. Data files, pictures,
//! CSAE and detector files, training checkpoints and the command line's outputs are all written
//! here.
//!
//! The model files of `potential-models` (`TiedAutoencoder::save`) are the one exception: that
//! crate does not depend on this one (it would pull the data crate's decompressors, memory maps
//! and random streams into every user of the models), so it keeps a private copy of the same
//! protocol with the standard library alone.

use crate::error::{io_err, DataError, Result};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A file written under a temporary name beside its destination, renamed into place by
/// [`AtomicFile::commit`] after an fsync; removed if dropped uncommitted.
#[derive(Debug)]
pub struct AtomicFile {
    tmp: PathBuf,
    dest: PathBuf,
    file: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Create the temporary file `.<name>.<pid>.<n>.tmp` beside `dest`, exclusively: it never
    /// replaces a file, so two writers of one destination (threads, processes, or the leftover of a
    /// crashed run) each get their own (`n` counts up until a name is free).
    ///
    /// # Errors
    /// [`DataError::Io`].
    pub fn create(dest: impl AsRef<Path>) -> Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dest = dest.as_ref().to_path_buf();
        let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("out");
        let pid = std::process::id();
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let tmp = dest.with_file_name(format!(".{name}.{pid}.{n}.tmp"));
            match OpenOptions::new().write(true).create_new(true).open(&tmp) {
                Ok(file) => {
                    return Ok(Self { tmp, dest, file: Some(BufWriter::with_capacity(1 << 20, file)) })
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(DataError::Io { path: tmp, source: e }),
            }
        }
    }

    /// The buffered writer.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.file.as_mut().expect("writer used after commit")
    }

    /// The temporary path (for error messages).
    pub fn tmp_path(&self) -> &Path {
        &self.tmp
    }

    /// Flush, fsync, rename over the destination and fsync the directory (best effort). The
    /// temporary file is removed when a step fails.
    ///
    /// # Errors
    /// [`DataError::Io`].
    pub fn commit(mut self) -> Result<PathBuf> {
        let w = self.file.take().expect("committed twice");
        let written = w
            .into_inner()
            .map_err(|e| DataError::Io { path: self.tmp.clone(), source: e.into_error() })
            .and_then(|file| file.sync_all().map_err(io_err(&self.tmp)))
            .and_then(|()| std::fs::rename(&self.tmp, &self.dest).map_err(io_err(&self.dest)));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&self.tmp);
            return Err(e);
        }
        if let Some(dir) = self.dest.parent() {
            let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(self.dest.clone())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Write `bytes` to `path` atomically ([`AtomicFile`]).
///
/// # Errors
/// [`DataError::Io`] naming the temporary file or the destination.
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    let mut f = AtomicFile::create(path)?;
    let tmp = f.tmp_path().to_path_buf();
    f.writer().write_all(bytes).map_err(io_err(tmp))?;
    f.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        v.sort();
        v
    }

    #[test]
    fn writers_of_one_destination_never_share_a_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.bin");
        write_atomic(&dest, b"old").unwrap();
        let (mut a, mut b) = (AtomicFile::create(&dest).unwrap(), AtomicFile::create(&dest).unwrap());
        assert_ne!(a.tmp_path(), b.tmp_path());
        a.writer().write_all(b"first").unwrap();
        b.writer().write_all(b"second").unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"old", "nothing visible before a commit");
        a.commit().unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"first");
        b.commit().unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"second");
        assert_eq!(names(dir.path()), ["out.bin"], "no temporary file left");
    }

    #[test]
    fn a_dropped_or_failed_write_leaves_the_destination_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.bin");
        write_atomic(&dest, b"kept").unwrap();
        let mut f = AtomicFile::create(&dest).unwrap();
        f.writer().write_all(b"lost").unwrap();
        drop(f);
        assert_eq!(std::fs::read(&dest).unwrap(), b"kept");
        // A destination that is a non-empty directory: the rename fails, the temporary file goes.
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("x"), b"x").unwrap();
        assert!(matches!(write_atomic(&sub, b"no"), Err(DataError::Io { .. })));
        assert_eq!(names(dir.path()), ["out.bin", "sub"]);
    }
}
