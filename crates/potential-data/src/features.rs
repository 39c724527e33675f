//! [`Features`]: a dense row-major f32 matrix [n, d], owned or memory-mapped, cheap to clone and slice.

use crate::error::{DataError, Result};
use memmap2::Mmap;
use potential_kernels::MatRef;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A memory map holding a little-endian f32 payload at a 4-byte-aligned offset.
#[derive(Debug)]
pub(crate) struct MappedF32 {
    map: Mmap,
    /// Byte offset of the payload inside `map`.
    offset: usize,
    /// Number of f32 elements in the payload.
    len: usize,
}

impl MappedF32 {
    /// Wrap a map whose bytes `offset..offset + 4 * len` are the payload.
    ///
    /// Returns `None` when the payload is not f32-aligned (then the caller copies instead).
    pub(crate) fn new(map: Mmap, offset: usize, len: usize) -> Option<Self> {
        let bytes = map.get(offset..offset.checked_add(len.checked_mul(4)?)?)?;
        bytemuck::try_cast_slice::<u8, f32>(bytes).ok()?;
        Some(Self { map, offset, len })
    }

    fn as_slice(&self) -> &[f32] {
        let bytes = &self.map[self.offset..self.offset + 4 * self.len];
        // Checked in `new`; the map is immutable, so the cast cannot fail later.
        bytemuck::cast_slice(bytes)
    }
}

#[derive(Debug, Clone)]
enum Buffer {
    Owned(Arc<Vec<f32>>),
    Mapped(Arc<MappedF32>),
}

/// A dense f32 matrix of `n` rows and `d` columns in row-major order, either owned or a zero-copy
/// view into a memory-mapped `.npy` file.
///
/// Cloning and [`Features::rows`] share the storage (an `Arc`), so splits cost nothing.
#[derive(Debug, Clone)]
pub struct Features {
    buf: Buffer,
    /// Element offset of row 0 in `buf`.
    start: usize,
    n: usize,
    d: usize,
}

impl Features {
    /// Take ownership of `data`, a row-major [n, d] matrix.
    ///
    /// # Errors
    /// [`DataError::BadShape`] when `data.len() != n * d` or `d == 0`.
    pub fn from_vec(data: Vec<f32>, n: usize, d: usize) -> Result<Self> {
        if d == 0 || n.checked_mul(d) != Some(data.len()) {
            return Err(DataError::BadShape {
                path: PathBuf::from("<memory>"),
                shape: vec![n, d, data.len()],
                reason: "[n, d] needs d > 0 and n * d elements",
            });
        }
        Ok(Self { buf: Buffer::Owned(Arc::new(data)), start: 0, n, d })
    }

    pub(crate) fn from_mapped(m: MappedF32, n: usize, d: usize) -> Self {
        debug_assert_eq!(m.len, n * d);
        Self { buf: Buffer::Mapped(Arc::new(m)), start: 0, n, d }
    }

    /// Number of rows (samples).
    pub fn n(&self) -> usize {
        self.n
    }

    /// Number of columns (dimensions per sample).
    pub fn d(&self) -> usize {
        self.d
    }

    /// Whether the storage is a memory map (true) or an owned buffer (false).
    pub fn is_mapped(&self) -> bool {
        matches!(self.buf, Buffer::Mapped(_))
    }

    /// The whole matrix, row-major, `n * d` elements.
    pub fn as_slice(&self) -> &[f32] {
        let all: &[f32] = match &self.buf {
            Buffer::Owned(v) => v,
            Buffer::Mapped(m) => m.as_slice(),
        };
        &all[self.start..self.start + self.n * self.d]
    }

    /// The matrix as a [`MatRef`] view \[n, d\] (row-major, no copy), the input of every batched
    /// model method (`energy_batch`, `predict_proba`, …). `MatRef::from(&features)` is the same.
    pub fn as_mat(&self) -> MatRef<'_> {
        MatRef::from_row_major(self.as_slice(), self.n, self.d)
    }

    /// Row `i` (`d` elements).
    ///
    /// # Panics
    /// If `i >= n`.
    pub fn row(&self, i: usize) -> &[f32] {
        assert!(i < self.n, "row {i} out of range for {} rows", self.n);
        &self.as_slice()[i * self.d..(i + 1) * self.d]
    }

    /// Iterate over the rows.
    pub fn iter_rows(&self) -> std::slice::ChunksExact<'_, f32> {
        self.as_slice().chunks_exact(self.d)
    }

    /// The rows `range` as a new matrix sharing this one's storage (no copy).
    ///
    /// # Panics
    /// If the range is out of bounds or decreasing.
    pub fn rows(&self, range: std::ops::Range<usize>) -> Features {
        assert!(
            range.start <= range.end && range.end <= self.n,
            "rows {range:?} out of range for {}",
            self.n
        );
        Features {
            buf: self.buf.clone(),
            start: self.start + range.start * self.d,
            n: range.len(),
            d: self.d,
        }
    }

    /// Gather the rows `indices` (in that order) into a new owned matrix.
    ///
    /// # Panics
    /// If an index is out of range.
    pub fn gather(&self, indices: &[usize]) -> Features {
        let mut out = Vec::with_capacity(indices.len() * self.d);
        for &i in indices {
            out.extend_from_slice(self.row(i));
        }
        Features { buf: Buffer::Owned(Arc::new(out)), start: 0, n: indices.len(), d: self.d }
    }

    /// Copy into an owned `Vec` (row-major). Free when this is the only owner of an owned buffer
    /// spanning all rows.
    pub fn into_vec(self) -> Vec<f32> {
        match self.buf {
            Buffer::Owned(v) if self.start == 0 && v.len() == self.n * self.d => {
                Arc::try_unwrap(v).unwrap_or_else(|v| v.as_ref().clone())
            }
            _ => self.as_slice().to_vec(),
        }
    }

    /// Check that every value is finite; `path` only labels the error.
    ///
    /// On a mapped matrix this reads (and so pages in) the whole file, without copying it.
    ///
    /// # Errors
    /// [`DataError::NonFinite`] naming the first offending row and column.
    pub fn check_finite(&self, path: &Path) -> Result<()> {
        check_finite(self.as_slice(), self.d, path)
    }

    /// The smallest and largest value (NaN ignored); `None` when empty.
    pub fn value_range(&self) -> Option<(f32, f32)> {
        let mut it = self.as_slice().iter().copied().filter(|v| !v.is_nan());
        let first = it.next()?;
        Some(it.fold((first, first), |(lo, hi), v| (lo.min(v), hi.max(v))))
    }
}

impl<'a> From<&'a Features> for MatRef<'a> {
    /// [`Features::as_mat`].
    fn from(f: &'a Features) -> Self {
        f.as_mat()
    }
}

/// First non-finite value of a row-major matrix with `d` columns, as an error.
pub(crate) fn check_finite(data: &[f32], d: usize, path: &Path) -> Result<()> {
    match data.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(k) => Err(DataError::NonFinite {
            path: path.to_path_buf(),
            row: k / d.max(1),
            col: k % d.max(1),
            value: data[k],
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_share_storage_and_gather_copies() {
        let f = Features::from_vec((0..12).map(|v| v as f32).collect(), 4, 3).unwrap();
        let mid = f.rows(1..3);
        assert_eq!(mid.n(), 2);
        assert_eq!(mid.row(0), &[3.0, 4.0, 5.0]);
        assert_eq!(mid.as_slice(), &f.as_slice()[3..9]);
        let g = f.gather(&[3, 0]);
        assert_eq!(g.as_slice(), &[9.0, 10.0, 11.0, 0.0, 1.0, 2.0]);
        assert_eq!(f.value_range(), Some((0.0, 11.0)));
        let m = mid.as_mat();
        assert_eq!((m.rows(), m.cols(), m.get(1, 2)), (2, 3, 8.0));
        assert_eq!(MatRef::from(&g).row(1), Some(&[0.0, 1.0, 2.0][..]));
    }

    #[test]
    fn bad_shape_and_non_finite() {
        assert!(matches!(Features::from_vec(vec![0.0; 5], 2, 3), Err(DataError::BadShape { .. })));
        assert!(matches!(Features::from_vec(vec![], 0, 0), Err(DataError::BadShape { .. })));
        let f = Features::from_vec(vec![0.0, 1.0, f32::NAN, 2.0], 2, 2).unwrap();
        match f.check_finite(Path::new("x")) {
            Err(DataError::NonFinite { row: 1, col: 0, .. }) => {}
            other => panic!("{other:?}"),
        }
    }
}
