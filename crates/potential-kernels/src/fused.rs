//! Fused row passes for the hot loops of the energy and training code.

use crate::{paths, simd_path, ActivationKind};

/// Fused bias add, activation and derivative over one row:
/// `u ← u + bias; h = f(u); dh = f′(u)` (when `dh` is given), on the [`simd_path`] of this process.
/// Error bounds at [`ActivationKind`].
///
/// # Panics
/// If the slices differ in length.
pub fn bias_act(u: &mut [f32], bias: &[f32], f: ActivationKind, h: &mut [f32], dh: Option<&mut [f32]>) {
    paths::bias_act(simd_path(), u, bias, f, h, dh)
}

/// Σₖ H(uₖ) over a row (the hidden part of the energy, Eq. 11): each term evaluated in `f32` to the
/// bounds at [`ActivationKind`], accumulated in `f64`.
pub fn antiderivative_sum(u: &[f32], f: ActivationKind) -> f64 {
    paths::antiderivative_sum(simd_path(), u, f)
}

/// Σₖ H(uₖ + bₖ) over a row: the bias add fused into [`antiderivative_sum`], so a row of net
/// inputs computed without its bias (a gemm with β = 0) is read once. Each `uₖ + bₖ` is rounded to
/// `f32` first, then H is evaluated to the bounds at [`ActivationKind`] and accumulated in `f64`: the
/// result equals `antiderivative_sum` of the biased row exactly.
///
/// # Panics
/// If the slices differ in length.
pub fn antiderivative_sum_bias(u: &[f32], bias: &[f32], f: ActivationKind) -> f64 {
    paths::antiderivative_sum_bias(simd_path(), u, bias, f)
}

/// ‖x − b‖² with the differences and the sum in `f64` (relative error ≈ n·2⁻⁵³).
///
/// # Panics
/// If the slices differ in length.
pub fn sq_dist(x: &[f32], b: &[f32]) -> f64 {
    paths::sq_dist(simd_path(), x, b)
}
