//! Writing `.npy`: atomically (temporary file in the same directory, fsync, rename), with the header
//! padded so the payload starts at a multiple of 64 bytes (so the file maps zero-copy).

use crate::atomic::AtomicFile;
use crate::error::{io_err, DataError, Result};
use crate::npy::NPY_MAGIC;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Fixed header size of the streaming writer: room for any `(u64, u64)` shape.
const STREAM_HEADER_LEN: usize = 128;

/// The header bytes (magic … padding newline) for `descr` and `shape`, padded to `min_len` bytes
/// or the next multiple of 64.
fn header_bytes(descr: &str, shape: &[usize], min_len: usize) -> Vec<u8> {
    let shape_txt = match shape {
        [n] => format!("({n},)"),
        _ => format!("({})", shape.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", ")),
    };
    let mut text =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_txt}, }}").into_bytes();
    // Version 1.0: 10-byte preamble. Pad with spaces, end with '\n', total a multiple of 64.
    while (10 + text.len() + 1) % 64 != 0 || 10 + text.len() + 1 < min_len {
        text.push(b' ');
    }
    text.push(b'\n');
    let mut out = Vec::with_capacity(10 + text.len());
    out.extend_from_slice(NPY_MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(text.len() as u16).to_le_bytes());
    out.extend_from_slice(&text);
    out
}

/// Write a row-major f32 array of `shape` as `<f4` `.npy`, atomically.
///
/// # Errors
/// [`DataError::BadShape`] when `data.len()` is not the product of `shape`; [`DataError::Io`].
pub fn write_npy_f32(path: impl AsRef<Path>, data: &[f32], shape: &[usize]) -> Result<()> {
    write_npy_le(path.as_ref(), "<f4", data, shape)
}

/// Write a row-major f64 array of `shape` as `<f8` `.npy`, atomically (scores and energies, which
/// are accumulated in f64).
///
/// # Errors
/// [`DataError::BadShape`] when `data.len()` is not the product of `shape`; [`DataError::Io`].
pub fn write_npy_f64(path: impl AsRef<Path>, data: &[f64], shape: &[usize]) -> Result<()> {
    write_npy_le(path.as_ref(), "<f8", data, shape)
}

/// Little-endian plain-old-data element types the writers accept.
trait LeElement: bytemuck::Pod {
    fn write_le(self, w: &mut impl Write) -> std::io::Result<()>;
}

impl LeElement for f32 {
    fn write_le(self, w: &mut impl Write) -> std::io::Result<()> {
        w.write_all(&self.to_le_bytes())
    }
}

impl LeElement for f64 {
    fn write_le(self, w: &mut impl Write) -> std::io::Result<()> {
        w.write_all(&self.to_le_bytes())
    }
}

fn write_npy_le<T: LeElement>(path: &Path, descr: &str, data: &[T], shape: &[usize]) -> Result<()> {
    if shape.iter().product::<usize>() != data.len() {
        return Err(DataError::BadShape {
            path: path.into(),
            shape: shape.to_vec(),
            reason: "data length is not the product of the shape",
        });
    }
    let mut f = AtomicFile::create(path)?;
    let tmp = f.tmp_path().to_path_buf();
    let w = f.writer();
    w.write_all(&header_bytes(descr, shape, 0)).map_err(io_err(&tmp))?;
    write_le(w, data).map_err(io_err(&tmp))?;
    f.commit().map(|_| ())
}

fn write_le<T: LeElement>(w: &mut impl Write, data: &[T]) -> std::io::Result<()> {
    if cfg!(target_endian = "little") {
        w.write_all(bytemuck::cast_slice(data))
    } else {
        data.iter().try_for_each(|&v| v.write_le(w))
    }
}

/// Write labels as a 1-D `.npy`, atomically: `|u1` when every label is below 256, else `<i4`.
///
/// # Errors
/// [`DataError::Io`]; [`DataError::BadLabel`] for a label above `i32::MAX`.
pub fn write_npy_labels(path: impl AsRef<Path>, labels: &[u32]) -> Result<()> {
    let path = path.as_ref();
    let mut f = AtomicFile::create(path)?;
    let tmp = f.tmp_path().to_path_buf();
    let w = f.writer();
    if labels.iter().all(|&l| l < 256) {
        w.write_all(&header_bytes("|u1", &[labels.len()], 0)).map_err(io_err(&tmp))?;
        let bytes: Vec<u8> = labels.iter().map(|&l| l as u8).collect();
        w.write_all(&bytes).map_err(io_err(&tmp))?;
    } else {
        w.write_all(&header_bytes("<i4", &[labels.len()], 0)).map_err(io_err(&tmp))?;
        for (row, &l) in labels.iter().enumerate() {
            let v = i32::try_from(l).map_err(|_| DataError::BadLabel {
                path: path.into(),
                row,
                value: l as f64,
                max: i32::MAX as u32,
            })?;
            w.write_all(&v.to_le_bytes()).map_err(io_err(&tmp))?;
        }
    }
    f.commit().map(|_| ())
}

/// Streaming writer of an `<f4` [n, d] `.npy` whose `n` is not known in advance: rows are appended
/// one at a time (constant memory) and the header is rewritten with the final `n` by
/// [`NpyRowWriter::finish`], which then renames the file into place. Dropping it unfinished removes
/// the temporary file.
#[derive(Debug)]
pub struct NpyRowWriter {
    file: AtomicFile,
    d: usize,
    n: usize,
}

impl NpyRowWriter {
    /// Start writing rows of `d` values to `path`.
    ///
    /// # Errors
    /// [`DataError::Io`]; [`DataError::BadShape`] when `d == 0`.
    pub fn create(path: impl AsRef<Path>, d: usize) -> Result<Self> {
        let path = path.as_ref();
        if d == 0 {
            return Err(DataError::BadShape {
                path: path.into(),
                shape: vec![0, 0],
                reason: "zero-width rows",
            });
        }
        let mut file = AtomicFile::create(path)?;
        let tmp = file.tmp_path().to_path_buf();
        file.writer().write_all(&header_bytes("<f4", &[0, d], STREAM_HEADER_LEN)).map_err(io_err(&tmp))?;
        Ok(Self { file, d, n: 0 })
    }

    /// Rows written so far.
    pub fn rows(&self) -> usize {
        self.n
    }

    /// Append one row.
    ///
    /// # Panics
    /// If `row.len() != d`.
    ///
    /// # Errors
    /// [`DataError::Io`].
    pub fn push_row(&mut self, row: &[f32]) -> Result<()> {
        assert_eq!(row.len(), self.d, "row width");
        let tmp = self.file.tmp_path().to_path_buf();
        write_le(self.file.writer(), row).map_err(io_err(&tmp))?;
        self.n += 1;
        Ok(())
    }

    /// Rewrite the header with the final shape [n, d], fsync and rename into place.
    ///
    /// # Errors
    /// [`DataError::Io`].
    pub fn finish(mut self) -> Result<PathBuf> {
        let tmp = self.file.tmp_path().to_path_buf();
        let header = header_bytes("<f4", &[self.n, self.d], STREAM_HEADER_LEN);
        debug_assert_eq!(header.len(), STREAM_HEADER_LEN);
        let w = self.file.writer();
        w.flush().map_err(io_err(&tmp))?;
        w.seek(SeekFrom::Start(0)).map_err(io_err(&tmp))?;
        w.write_all(&header).map_err(io_err(&tmp))?;
        self.file.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::npy::{parse_npy_header, read_npy_features, read_npy_labels};

    #[test]
    fn header_is_64_aligned_and_stream_header_fixed() {
        for shape in [vec![1usize], vec![60000, 784], vec![1 << 40, 1 << 20]] {
            let h = header_bytes("<f4", &shape, 0);
            assert_eq!(h.len() % 64, 0);
            let p = parse_npy_header(&h).unwrap_or_else(|e| panic!("{shape:?}: {e}"));
            assert_eq!(p.shape, shape);
        }
        assert_eq!(
            header_bytes("<f4", &[u64::MAX as usize, u64::MAX as usize], STREAM_HEADER_LEN).len(),
            128
        );
        assert_eq!(header_bytes("<f4", &[0, 1], STREAM_HEADER_LEN).len(), 128);
    }

    #[test]
    fn roundtrip_and_streaming() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npy");
        let data: Vec<f32> = (0..15).map(|i| i as f32 * 0.5).collect();
        write_npy_f32(&p, &data, &[5, 3]).unwrap();
        let f = read_npy_features(&p).unwrap();
        assert_eq!((f.n(), f.d()), (5, 3));
        assert_eq!(f.as_slice(), &data[..]);

        let q = dir.path().join("s.npy");
        let mut w = NpyRowWriter::create(&q, 3).unwrap();
        for r in data.chunks(3) {
            w.push_row(r).unwrap();
        }
        w.finish().unwrap();
        assert_eq!(read_npy_features(&q).unwrap().as_slice(), &data[..]);

        let l = dir.path().join("l.npy");
        write_npy_labels(&l, &[3, 1, 255]).unwrap();
        assert_eq!(read_npy_labels(&l).unwrap(), vec![3, 1, 255]);
        write_npy_labels(&l, &[3, 1000]).unwrap();
        assert_eq!(read_npy_labels(&l).unwrap(), vec![3, 1000]);
        // No temporary files left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 3, "{names:?}");
    }

    #[test]
    fn dropped_writer_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = NpyRowWriter::create(dir.path().join("x.npy"), 2).unwrap();
        w.push_row(&[1.0, 2.0]).unwrap();
        drop(w);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
