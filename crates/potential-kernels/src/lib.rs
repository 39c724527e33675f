//! # potential-kernels
//!
//! Dense `f32` kernels that every other crate of `potential` stands on.
//!
//! ## Overview
//! - [`MatRef`] / [`MatMut`]: safe, shape-checked strided matrix views.
//! - [`gemm`]: `C ← α·op(A)·op(B) + β·C` over `matrixmultiply`, with a [`Parallelism`] knob.
//! - [`map`] / [`map_inplace`] with [`UnaryOp`]: elementwise exp, sigmoid, tanh, softplus, log cosh,
//!   logit, square, cube, relu and abs.
//! - Fused row passes used in hot loops: [`bias_act`] (bias add + activation + derivative),
//!   [`antiderivative_sum`] (Σₖ H(uₖ)), [`sq_dist`] (‖x − b‖²).
//! - Reductions accumulated in `f64`: [`dot`], [`sum`], [`sum_sq`], [`row_norms_sq`].
//!
//! ## Portability
//! Elementwise kernels dispatch at run time: hand-written AVX2+FMA kernels where the CPU has them,
//! a portable path elsewhere. Set `POTENTIAL_FORCE_PORTABLE=1` to force the portable path
//! (see [`simd_path`]).

mod elementwise;
mod fused;
mod gemm;
mod mat;
pub mod paths;
mod reduce;
pub mod reference;
mod simd;

pub use elementwise::{map, map_inplace, simd_path, SimdPath, UnaryOp};
pub use fused::{antiderivative_sum, bias_act, sq_dist, HiddenFn};
pub use gemm::{gemm, Parallelism};
pub use mat::{MatMut, MatRef};
pub use reduce::{dot, row_norms_sq, sum, sum_sq};
