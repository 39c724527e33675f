//! [`Matrix`]: the shaped output of the estimators.

use potential_kernels::{MatRef, ShapeError};
use std::ops::Index;

/// A dense row-major matrix of `rows × cols` values: what the estimators return where a result
/// has two axes (class probabilities and energies are \[n, K\]).
///
/// It is a `Vec` with a shape, nothing more: [`Matrix::into_vec`] hands the buffer over without a
/// copy, so it converts to other matrix types in one call (ndarray:
/// `Array2::from_shape_vec((m.rows(), m.cols()), m.into_vec())`), and a `Matrix<f32>` is a
/// [`MatRef`] for every batched model method (`MatRef::from(&m)`).
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix<T> {
    data: Vec<T>,
    rows: usize,
    cols: usize,
}

impl<T> Matrix<T> {
    /// `data` (row-major) as `rows × cols`.
    ///
    /// # Errors
    /// [`ShapeError`] when `data.len() != rows * cols` (or the product overflows).
    pub fn from_vec(data: Vec<T>, rows: usize, cols: usize) -> Result<Self, ShapeError> {
        match rows.checked_mul(cols) {
            Some(n) if n == data.len() => Ok(Self { data, rows, cols }),
            _ => Err(ShapeError { len: data.len(), rows, cols }),
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// `(rows, cols)`.
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// All values, row-major.
    pub fn as_slice(&self) -> &[T] {
        &self.data
    }

    /// The row-major buffer, without a copy.
    pub fn into_vec(self) -> Vec<T> {
        self.data
    }

    /// Row `i`.
    ///
    /// # Panics
    /// If `i >= rows`.
    pub fn row(&self, i: usize) -> &[T] {
        assert!(i < self.rows, "row {i} out of range for {} rows", self.rows);
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// The rows in order (none when the matrix has no columns).
    pub fn iter_rows(&self) -> impl ExactSizeIterator<Item = &[T]> + '_ {
        let rows = if self.cols == 0 { 0 } else { self.rows };
        (0..rows).map(move |i| self.row(i))
    }

    /// Element `(i, j)`, or `None` outside the matrix.
    pub fn get(&self, i: usize, j: usize) -> Option<&T> {
        (i < self.rows && j < self.cols).then(|| &self.data[i * self.cols + j])
    }
}

impl<T> Index<(usize, usize)> for Matrix<T> {
    type Output = T;

    /// Element `(i, j)`.
    ///
    /// # Panics
    /// Outside the matrix.
    fn index(&self, (i, j): (usize, usize)) -> &T {
        self.get(i, j).unwrap_or_else(|| panic!("({i}, {j}) outside {}×{}", self.rows, self.cols))
    }
}

impl<'a> From<&'a Matrix<f32>> for MatRef<'a> {
    fn from(m: &'a Matrix<f32>) -> Self {
        MatRef::from_row_major(&m.data, m.rows, m.cols)
    }
}

/// `Matrix::from_vec` for a result whose length is `rows × cols` by construction.
pub(crate) fn shaped<T>(data: Vec<T>, rows: usize, cols: usize) -> Matrix<T> {
    debug_assert_eq!(data.len(), rows * cols);
    Matrix { data, rows, cols }
}
