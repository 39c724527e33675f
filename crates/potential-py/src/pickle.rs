//! Pickling of the Rust classes: through the bytes of their files, read back by `from_bytes`.

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use pyo3::PyClass;

/// What `__reduce__` returns: the function that rebuilds the object, and its one argument.
pub type Reduced<'py> = (Bound<'py, PyAny>, (Bound<'py, PyBytes>,));

/// `__reduce__` of `slf` whose file bytes are `bytes`: `(type(slf).from_bytes, (bytes,))`.
///
/// # Errors
/// If the class has no `from_bytes` (a bug).
pub fn reduced<'py, T: PyClass>(slf: &Bound<'py, T>, bytes: Bound<'py, PyBytes>) -> PyResult<Reduced<'py>> {
    Ok((slf.py().get_type::<T>().getattr("from_bytes")?, (bytes,)))
}
