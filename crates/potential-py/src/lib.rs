//! `potential._core`: the Rust side of the Python package `potential` (README, section "From
//! Python"). The numerics are the workspace crates' — the same code the command line runs, so the
//! Python estimators and `potential detect fit` / `csae train` / `train` give the same bits for the
//! same seed. This layer only moves data:
//!
//! - NumPy in: C-contiguous float32 rows are read in place (no copy; the Python layer converts
//!   other dtypes and layouts as scikit-learn's `check_array` does). NumPy out: results are moved
//!   into arrays.
//! - Every computation runs with the GIL released; fits run on a helper thread while the caller
//!   looks for signals, so Ctrl-C stops them (`KeyboardInterrupt`).
//! - Rust errors become `ValueError` (or `OSError` for I/O) with the Rust message; a panic becomes
//!   `RuntimeError`, never a crashed interpreter.

mod arrays;
mod csae;
mod detector;
mod errors;
mod pickle;
mod run;
mod tied;

use pyo3::prelude::*;

/// The extension module.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<tied::Tied>()?;
    m.add_class::<detector::Detector>()?;
    m.add_class::<csae::Csae>()?;
    m.add_function(wrap_pyfunction!(tied::train_autoencoder, m)?)?;
    m.add_function(wrap_pyfunction!(activations, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

/// The names of the hidden activations.
#[pyfunction]
fn activations() -> Vec<&'static str> {
    potential_activations::ActivationKind::ALL.iter().map(|a| a.name()).collect()
}
