//! The one atomic writer of the workspace's output files: every file appears whole under its name
//! or not at all — written to a temporary file beside it, flushed to disk (fsync), renamed over
//! the destination, and the directory synced so the rename survives a crash.

use crate::error::{io_err, DataError, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file written under a temporary name beside its destination, renamed into place by
/// [`AtomicFile::commit`] after an fsync; removed if dropped uncommitted.
#[derive(Debug)]
pub struct AtomicFile {
    tmp: PathBuf,
    dest: PathBuf,
    file: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Create the temporary file `.<name>.tmp<pid>` beside `dest`.
    ///
    /// # Errors
    /// [`DataError::Io`].
    pub fn create(dest: impl AsRef<Path>) -> Result<Self> {
        let dest = dest.as_ref().to_path_buf();
        let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("out");
        let tmp = dest.with_file_name(format!(".{name}.tmp{}", std::process::id()));
        let file = File::create(&tmp).map_err(io_err(&tmp))?;
        Ok(Self { tmp, dest, file: Some(BufWriter::with_capacity(1 << 20, file)) })
    }

    /// The buffered writer.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.file.as_mut().expect("writer used after commit")
    }

    /// The temporary path (for error messages).
    pub fn tmp_path(&self) -> &Path {
        &self.tmp
    }

    /// Flush, fsync, rename over the destination and fsync the directory (best effort).
    ///
    /// # Errors
    /// [`DataError::Io`].
    pub fn commit(mut self) -> Result<PathBuf> {
        let w = self.file.take().expect("committed twice");
        let file =
            w.into_inner().map_err(|e| DataError::Io { path: self.tmp.clone(), source: e.into_error() })?;
        file.sync_all().map_err(io_err(&self.tmp))?;
        drop(file);
        std::fs::rename(&self.tmp, &self.dest).map_err(io_err(&self.dest))?;
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
