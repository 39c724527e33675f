//! Rust errors as Python exceptions: `OSError` (and its subclasses) for I/O, `ValueError` with the
//! Rust message for everything else (bad input, bad settings, corrupt files).

use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyPermissionError, PyValueError};
use pyo3::PyErr;
use std::io::ErrorKind;

/// The Python exception for the error `e`, its message the Rust one.
pub fn to_py<E: std::error::Error + 'static>(e: E) -> PyErr {
    let msg = e.to_string();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(c) = cur {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                ErrorKind::NotFound => PyFileNotFoundError::new_err(msg),
                ErrorKind::PermissionDenied => PyPermissionError::new_err(msg),
                _ => PyOSError::new_err(msg),
            };
        }
        cur = c.source();
    }
    PyValueError::new_err(msg)
}

/// `ValueError` with `msg`.
pub fn value_error(msg: impl Into<String>) -> PyErr {
    PyValueError::new_err(msg.into())
}
