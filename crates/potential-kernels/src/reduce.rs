//! Reductions accumulated in `f64`.

//!
//! Products of two `f32` are exact in `f64`, and the sums run in sixteen interleaved `f64`
//! accumulators (eight on the portable path), so the error is at most ≈ (n/16 + 4)·2⁻⁵³·Σ|terms|.

use crate::mat::MatRef;
use crate::{paths, simd_path};

/// Σ aᵢ bᵢ in `f64`.
///
/// # Panics
/// If the slices differ in length.
pub fn dot(a: &[f32], b: &[f32]) -> f64 {
    paths::dot(simd_path(), a, b)
}

/// Σ aᵢ in `f64`.
pub fn sum(a: &[f32]) -> f64 {
    paths::sum(simd_path(), a)
}

/// Σ aᵢ² in `f64`.
pub fn sum_sq(a: &[f32]) -> f64 {
    paths::sum_sq(simd_path(), a)
}

/// Whether every element is finite (no NaN, no ±∞): the largest exponent field over the slice,
/// in blocks of 4096 (integer max, vectorised by the compiler), stopping at the first bad block.
pub fn all_finite(a: &[f32]) -> bool {
    const EXP: u32 = 0x7f80_0000;
    a.chunks(1 << 12).all(|c| c.iter().fold(0u32, |m, &v| m.max(v.to_bits() & EXP)) != EXP)
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
