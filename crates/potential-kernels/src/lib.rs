//! # potential-kernels
//!
//! Dense `f32` kernels that every other crate of `potential` stands on: the matrix products of the
//! encoder/decoder (`u = W x + b`, `r = Wᵀ h + c`, Eq. 1–2), the hidden nonlinearities
//! with their derivatives and antiderivatives (the potential energy, eq. (9)–(11), sums H(uₖ)), and
//! the squared distances and reductions of the energy and the reconstruction error.
//!
//! ## Overview
//! - [`MatRef`] / [`MatMut`]: safe, shape-checked strided matrix views; transposes are views
//!   ([`MatRef::t`]); [`MatRef::try_from_row_major`] returns a [`ShapeError`] for a slice of the
//!   wrong length (`from_row_major` panics, for shapes known to be right).
//! - [`gemm`]: `C ← α·op(A)·op(B) + β·C` on a packed AVX2+FMA sgemm (or `matrixmultiply` on the
//!   portable path), with a [`Parallelism`] knob that cuts
//!   large products into row or column blocks run on rayon (`β = 0` never reads C);
//!   [`gemm_update`] fuses a momentum step `v ← μv − η(∇ + λW); W ← W + v` into the store of a
//!   product ∇, one pass over v and W; [`gemm_momentum`] writes the gradient ∇ + λW and does
//!   `v ← μv − η∇; W ← W + v` in the same store, bit for bit as two separate passes.
//! - [`PackedB`] / [`gemm_packed`]: a right operand packed once and reused by several products
//!   (bit-identical to [`gemm`]).
//! - [`map`] / [`map_inplace`] with [`UnaryOp`]: elementwise exp, sigmoid, tanh, softplus, log cosh,
//!   logit, square, cube, relu and abs, each with a documented and tested error bound.
//! - [`ActivationKind`]: every hidden activation, defined once — its file name, the scalar
//!   specification h, h′, h″, H = ∫h with the antiderivatives' constants, and the SIMD bodies of
//!   the fused passes (re-exported and documented by `potential-activations`).
//! - Fused row passes used in hot loops: [`bias_act`] (bias add + activation + derivative, for each
//!   [`ActivationKind`]), [`antiderivative_sum`] (Σₖ H(uₖ)) and [`antiderivative_sum_bias`]
//!   (Σₖ H(uₖ + bₖ)), [`sq_dist`] (‖x − b‖²).
//! - Reductions accumulated in `f64`: [`dot`], [`sum`], [`sum_sq`], [`row_norms_sq`]; the
//!   finiteness scan [`all_finite`].
//! - [`Bf16Gemm`] / [`Bf16Weights`]: `X̂·Ŵᵀ` with operands rounded to bfloat16 and `f32`
//!   accumulation (`vdpbf16ps`, AVX-512 BF16, detected at run time; no fallback), the bf16 scoring
//!   path of `potential-models`, with its error bound; [`round_bf16`] is its rounding.
//! - [`FlushToZero`]: a guard that flushes subnormal results to zero on the current thread (CSAE
//!   finetuning runs under it: subnormals cost Intel cores a microcode assist each);
//!   `POTENTIAL_FTZ=0` or [`set_flush_to_zero`] turn it off; [`gemm`]'s pieces follow the
//!   caller's mode on every thread.
//! - [`reference`](mod@reference): the plain scalar formulas (the test oracle's `f64` forms and the benchmarks'
//!   scalar baseline); [`paths`]: every SIMD kernel with the implementation chosen explicitly.
//!
//! ## Example
//! ```
//! use potential_kernels::{bias_act, gemm, ActivationKind, MatMut, MatRef, Parallelism};
//!
//! // Two inputs of dimension 3, a layer of 2 hidden units: U = X·Wᵀ, then h = σ(U + b), h′.
//! let x = [1.0f32, 0.0, -1.0, 0.5, 0.5, 0.5];
//! let w = [0.1f32, 0.2, 0.3, -0.3, 0.2, -0.1];
//! let b = [0.0f32, 1.0];
//! let mut u = [0.0f32; 4];
//! let (xv, wv) = (MatRef::from_row_major(&x, 2, 3), MatRef::from_row_major(&w, 2, 3));
//! gemm(1.0, xv, wv.t(), 0.0, MatMut::from_row_major(&mut u, 2, 2), Parallelism::Sequential);
//! let (mut h, mut dh) = ([0.0f32; 2], [0.0f32; 2]);
//! bias_act(&mut u[..2], &b, ActivationKind::Sigmoid, &mut h, Some(&mut dh));
//! assert!((u[0] - (0.1 - 0.3)).abs() < 1e-6);
//! assert!((h[1] - 1.0 / (1.0 + (-(1.0f32 - 0.3 + 0.1)).exp())).abs() < 1e-6);
//! assert!((dh[0] - h[0] * (1.0 - h[0])).abs() < 1e-6);
//! ```
//!
//! ## Portability
//! The elementwise kernels, fused passes and reductions dispatch at run time ([`simd_path`]):
//! hand-written AVX2+FMA kernels (`std::arch`, `#[target_feature]`) when the CPU has both features,
//! so a default `cargo build --release` uses them on such machines; otherwise a portable
//! implementation of the same algorithms over `[f32; 8]` lanes (vectorised by the compiler for the
//! build target, never faulting on older CPUs). Set `POTENTIAL_FORCE_PORTABLE=1` to force the
//! portable path for the whole process (read once). Both paths meet the same error bounds and are
//! tested in one process through [`paths`]. [`gemm`] follows the same switch: its own AVX2+FMA
//! kernel, or `matrixmultiply` (which does its own run-time detection: AVX2/FMA, AVX, SSE2).
//! Where the CPU also has AVX-512 F, the own kernel runs 6×32 micro-tiles in 512-bit registers
//! (same FMAs per element in the same order, same epilogue: the same bits as the 6×16 AVX2 tiles;
//! `POTENTIAL_GEMM_AVX512=0` or [`paths::set_gemm_avx512`] turn them off), and [`map`],
//! [`map_inplace`] and [`bias_act`] run sixteen lanes at a time (each lane by the same operations:
//! the same bits; `POTENTIAL_MAPS_AVX512=0` or [`paths::set_maps_avx512`] turn them off). The
//! reductions keep eight lanes, since their summation order depends on the width.
//!
//! ## Build with optimisation, also in the dev profile
//! The kernels are written for an optimising compiler: built at `opt-level = 0` (Cargo's dev
//! profile, which a crate depending on this one uses for it unless told otherwise) the packed gemm
//! runs at about 0.3 GFLOP/s instead of tens, two orders of magnitude slower, and every model,
//! training and classifier call with it. A crate that depends on `potential` (or on any of its
//! crates) should add to its `Cargo.toml` (profile settings are read from the workspace root only):
//!
//! ```toml
//! [profile.dev.package.potential-kernels]
//! opt-level = 3
//! ```
//!
//! (`[profile.dev.package."*"] opt-level = 3` optimises every dependency.) A build at
//! `opt-level = 0` prints this advice once to stderr, on the first [`gemm`].
//!
//! Threads: [`gemm`] with [`Parallelism::Rayon`] uses the current rayon pool (size it with
//! `RAYON_NUM_THREADS` or `rayon::ThreadPoolBuilder::install`); results are bit-identical to the
//! sequential product on the AVX2 path, and equal within rounding on the portable path. A product
//! cut into two pieces runs its second piece on one helper thread of this crate instead of a rayon
//! worker (when the pool has ≥ 2 threads): the helper spins for `POTENTIAL_SPIN_MS` (default 20)
//! milliseconds after each piece before it parks, so products after short pauses still run on two
//! threads (a sleeping rayon worker wakes too late for a sub-millisecond product).
//! [`for_each_item`] runs an elementwise pass on the same two threads, so a training step that
//! alternates products and passes keeps one pair of threads busy. Nothing else in this crate spawns
//! threads.

mod activation;
mod avx512;
mod bf16;
mod elementwise;
mod epilogue;
mod fpenv;
mod fused;
mod gemm;
mod helper;
mod mat;
mod packed;
pub mod paths;
mod pieces;
mod reduce;
pub mod reference;
#[cfg(target_arch = "x86_64")]
mod sgemm;
mod simd;

pub use activation::{ActivationKind, ParseActivationError};
pub use bf16::{bf16_bits, round_bf16, Bf16Gemm, Bf16Kernel, Bf16Weights};
pub use elementwise::{map, map_inplace, simd_path, SimdPath, UnaryOp};
pub use fpenv::{flush_to_zero_enabled, set_flush_to_zero, FlushToZero};
pub use fused::{antiderivative_sum, antiderivative_sum_bias, bias_act, sq_dist};
pub use gemm::{gemm, gemm_momentum, gemm_update, Parallelism};
pub use mat::{MatMut, MatRef, ShapeError};
pub use packed::{gemm_packed, PackedB};
pub use pieces::for_each_item;
pub use reduce::{all_finite, dot, row_norms_sq, sum, sum_sq};

/// Once per process, in a build at `opt-level = 0` (`cfg(potential_unoptimized)`, set by the build
/// script): tell the user on stderr that the kernels run unoptimised and how to fix it.
#[cfg(potential_unoptimized)]
fn warn_if_unoptimized() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        eprintln!(
            "potential-kernels: compiled without optimisation (opt-level 0), so gemm runs about 100x \
slower than it should. Add to the Cargo.toml at your workspace root:\n\n\
[profile.dev.package.potential-kernels]\nopt-level = 3\n"
        )
    });
}

/// Nothing to say in an optimised build.
#[cfg(not(potential_unoptimized))]
#[inline(always)]
fn warn_if_unoptimized() {}

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctest;
