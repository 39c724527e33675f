//! NumPy in and out: C-contiguous float32 rows borrowed without a copy, results moved into NumPy
//! without a copy.

use crate::errors::to_py;
use crate::run::detached;
use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use potential_kernels::MatRef;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// The rows of `x` as one row-major slice with its row and column counts. The slice is NumPy's
/// own buffer: C-contiguous, aligned float32 is required (the Python layer converts everything
/// else, as scikit-learn's `check_array` does).
///
/// # Errors
/// `ValueError` for a non-contiguous or misaligned array, or one without columns.
pub fn rows<'a>(x: &'a PyReadonlyArray2<'_, f32>) -> PyResult<(&'a [f32], usize, usize)> {
    let (n, d) = (x.shape()[0], x.shape()[1]);
    if d == 0 {
        return Err(PyValueError::new_err(format!(
            "the array has shape ({n}, 0): at least one column is needed"
        )));
    }
    if !x.is_aligned() {
        return Err(PyValueError::new_err("the array must be aligned (its buffer is not float32-aligned)"));
    }
    let s = x.as_slice().map_err(|_| PyValueError::new_err("the array must be C-contiguous float32"))?;
    Ok((s, n, d))
}

/// The rows of `x` as a matrix view (see [`rows`]).
///
/// # Errors
/// As [`rows`].
fn view<'a>(x: &'a PyReadonlyArray2<'_, f32>) -> PyResult<MatRef<'a>> {
    let (s, n, d) = rows(x)?;
    Ok(MatRef::from_row_major(s, n, d))
}

/// A NumPy array of the results of a computation on `n` rows: one value per row ([n]), or one
/// row-major vector per row ([n, k]).
pub trait PerRow<'py, T>: Sized {
    /// The array of `v`, the results for `n` rows.
    ///
    /// # Errors
    /// As [`mat`].
    fn from_rows(py: Python<'py>, v: Vec<T>, n: usize) -> PyResult<Self>;
}

impl<'py, T: numpy::Element> PerRow<'py, T> for Bound<'py, PyArray1<T>> {
    fn from_rows(py: Python<'py>, v: Vec<T>, _: usize) -> PyResult<Self> {
        Ok(vec1(py, v))
    }
}

impl<'py, T: numpy::Element> PerRow<'py, T> for Bound<'py, PyArray2<T>> {
    fn from_rows(py: Python<'py>, v: Vec<T>, n: usize) -> PyResult<Self> {
        mat(py, v, n)
    }
}

/// The computation `f` on the rows of `x` (read in place, the GIL released), its results as a
/// NumPy array ([`PerRow`]: [n] or [n, k], as the caller's type asks).
///
/// # Errors
/// As [`rows`] and [`mat`]; `f`'s error as a Python exception ([`to_py`]).
pub fn on_rows<'py, T, E, A>(
    py: Python<'py>,
    x: &PyReadonlyArray2<'_, f32>,
    f: impl FnOnce(MatRef<'_>) -> Result<Vec<T>, E> + Send,
) -> PyResult<A>
where
    T: Send,
    E: std::error::Error + 'static,
    A: PerRow<'py, T>,
{
    let v = view(x)?;
    A::from_rows(py, detached(py, || f(v).map_err(to_py))?, v.rows())
}

/// The labels of `y` as a slice (contiguous uint32).
///
/// # Errors
/// `ValueError` for a non-contiguous or misaligned array.
pub fn labels<'a>(y: &'a PyReadonlyArray1<'_, u32>) -> PyResult<&'a [u32]> {
    if !y.is_aligned() {
        return Err(PyValueError::new_err("the labels must be aligned (their buffer is not uint32-aligned)"));
    }
    y.as_slice().map_err(|_| PyValueError::new_err("the labels must be a contiguous uint32 array"))
}

/// A vector as a 1-D NumPy array (moved, not copied).
pub fn vec1<T: numpy::Element>(py: Python<'_>, v: Vec<T>) -> Bound<'_, PyArray1<T>> {
    v.into_pyarray(py)
}

/// A row-major vector of `n` rows as an [n, v.len() / n] NumPy array (moved, not copied).
///
/// # Errors
/// `ValueError` if the length is not a multiple of the row count.
pub fn mat<T: numpy::Element>(py: Python<'_>, v: Vec<T>, n: usize) -> PyResult<Bound<'_, PyArray2<T>>> {
    let k = v.len().checked_div(n).unwrap_or(0);
    Array2::from_shape_vec((n, k), v)
        .map(|a| a.into_pyarray(py))
        .map_err(|e| PyValueError::new_err(format!("result of {n} rows: {e}")))
}
