//! Reductions accumulated in `f64`.

use crate::mat::MatRef;

/// Σ aᵢ bᵢ in `f64`.
///
/// # Panics
/// If the slices differ in length.
pub fn dot(a: &[f32], b: &[f32]) -> f64 {
    assert_eq!(a.len(), b.len(), "dot: {} vs {} elements", a.len(), b.len());
    a.iter().zip(b).map(|(&x, &y)| x as f64 * y as f64).sum()
}

/// Σ aᵢ in `f64`.
pub fn sum(a: &[f32]) -> f64 {
    a.iter().map(|&x| x as f64).sum()
}

/// Σ aᵢ² in `f64`.
pub fn sum_sq(a: &[f32]) -> f64 {
    a.iter().map(|&x| x as f64 * x as f64).sum()
}

/// `out[i] = ‖row i of m‖²`.
///
/// # Panics
/// If `out.len() != m.rows()`.
pub fn row_norms_sq(m: MatRef<'_>, out: &mut [f64]) {
    assert_eq!(out.len(), m.rows(), "row_norms_sq: {} rows but out has {}", m.rows(), out.len());
    for (i, o) in out.iter_mut().enumerate() {
        *o = match m.row(i) {
            Some(r) => sum_sq(r),
            None => (0..m.cols()).map(|j| (m.get(i, j) as f64).powi(2)).sum(),
        };
    }
}
