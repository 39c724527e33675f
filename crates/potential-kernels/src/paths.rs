//! Every SIMD-dispatched kernel with the implementation chosen explicitly.
//!
//! The crate-level functions ([`crate::map`], [`crate::bias_act`], …) call these with
//! [`simd_path()`](crate::simd_path). Tests and benchmarks use this module to run both paths in one
//! process: `paths::map(SimdPath::Portable, …)` and `paths::map(SimdPath::Avx2Fma, …)`.
//!
//! # Panics
//! Every function panics if the slice lengths disagree (as its crate-level counterpart documents),
//! and if `path` is [`SimdPath::Avx2Fma`] on a CPU without AVX2 and FMA (see
//! [`SimdPath::is_supported`]).

use crate::elementwise::{SimdPath, UnaryOp};
use crate::gemm::Parallelism;
use crate::mat::{MatMut, MatRef};
use crate::simd::portable;
#[cfg(target_arch = "x86_64")]
use crate::simd::{avx2, avx512};
use crate::ActivationKind;

/// Call an `avx2::` (or, through `wide_or_avx2!`, an `avx512::`) entry point after the run-time
/// feature check.
#[cfg(target_arch = "x86_64")]
macro_rules! avx_call {
    ($e:expr) => {{
        assert!(SimdPath::Avx2Fma.is_supported(), "SimdPath::Avx2Fma requested but this CPU lacks AVX2/FMA");
        // SAFETY: AVX2 and FMA were detected at run time (assert above), the only precondition of the
        // `avx2::` entry points; the `avx512::` ones are called only where `avx512::MAPS` is on,
        // which it can be only where AVX-512 F was detected too.
        unsafe { $e }
    }};
}
#[cfg(not(target_arch = "x86_64"))]
macro_rules! avx_call {
    ($e:expr) => {{
        panic!("SimdPath::Avx2Fma requested but this CPU lacks AVX2/FMA")
    }};
}

/// An `avx512::` entry point where [`maps_avx512`] says so (its extra precondition, AVX-512 F, is
/// part of that switch being on), else the `avx2::` one; for use inside `avx_call!`.
#[cfg(target_arch = "x86_64")]
macro_rules! wide_or_avx2 {
    ($f:ident($($arg:expr),*)) => {
        if crate::avx512::MAPS.on() {
            avx512::$f($($arg),*)
        } else {
            avx2::$f($($arg),*)
        }
    };
}

/// Run `$avx` (an `avx2::` call) if the path is AVX2+FMA, else `$port`.
macro_rules! dispatch {
    ($path:expr, $avx:expr, $port:expr) => {
        match $path {
            SimdPath::Avx2Fma => avx_call!($avx),
            SimdPath::Portable => $port,
        }
    };
}

/// [`crate::map`] on the given path.
pub fn map(path: SimdPath, op: UnaryOp, src: &[f32], dst: &mut [f32]) {
    assert_eq!(src.len(), dst.len(), "map: src has {} elements, dst {}", src.len(), dst.len());
    dispatch!(path, wide_or_avx2!(map(op, src, dst)), portable::map(op, src, dst))
}

/// [`crate::map_inplace`] on the given path.
pub fn map_inplace(path: SimdPath, op: UnaryOp, buf: &mut [f32]) {
    dispatch!(path, wide_or_avx2!(map_inplace(op, buf)), portable::map_inplace(op, buf))
}

/// [`crate::bias_act`] on the given path.
pub fn bias_act(
    path: SimdPath,
    u: &mut [f32],
    bias: &[f32],
    f: ActivationKind,
    h: &mut [f32],
    dh: Option<&mut [f32]>,
) {
    let n = u.len();
    assert_eq!(bias.len(), n, "bias_act: u has {n} elements, bias {}", bias.len());
    assert_eq!(h.len(), n, "bias_act: u has {n} elements, h {}", h.len());
    if let Some(d) = &dh {
        assert_eq!(d.len(), n, "bias_act: u has {n} elements, dh {}", d.len());
    }
    dispatch!(path, wide_or_avx2!(bias_act(u, bias, f, h, dh)), portable::bias_act(u, bias, f, h, dh))
}

/// [`crate::antiderivative_sum`] on the given path.
pub fn antiderivative_sum(path: SimdPath, u: &[f32], f: ActivationKind) -> f64 {
    dispatch!(path, avx2::antiderivative_sum(u, &[], f), portable::antiderivative_sum(u, &[], f))
}

/// [`crate::antiderivative_sum_bias`] on the given path.
pub fn antiderivative_sum_bias(path: SimdPath, u: &[f32], bias: &[f32], f: ActivationKind) -> f64 {
    assert_eq!(
        u.len(),
        bias.len(),
        "antiderivative_sum_bias: u has {} elements, bias {}",
        u.len(),
        bias.len()
    );
    if u.is_empty() {
        return 0.0;
    }
    dispatch!(path, avx2::antiderivative_sum(u, bias, f), portable::antiderivative_sum(u, bias, f))
}

/// [`crate::sq_dist`] on the given path.
pub fn sq_dist(path: SimdPath, x: &[f32], b: &[f32]) -> f64 {
    assert_eq!(x.len(), b.len(), "sq_dist: x has {} elements, b {}", x.len(), b.len());
    dispatch!(path, avx2::sq_dist(x, b), portable::sq_dist(x, b))
}

/// [`crate::dot`] on the given path.
pub fn dot(path: SimdPath, a: &[f32], b: &[f32]) -> f64 {
    assert_eq!(a.len(), b.len(), "dot: {} vs {} elements", a.len(), b.len());
    dispatch!(path, avx2::dot(a, b), portable::dot(a, b))
}

/// [`crate::sum`] on the given path.
pub fn sum(path: SimdPath, a: &[f32]) -> f64 {
    dispatch!(path, avx2::sum(a), portable::sum(a))
}

/// [`crate::sum_sq`] on the given path.
pub fn sum_sq(path: SimdPath, a: &[f32]) -> f64 {
    dispatch!(path, avx2::sum_sq(a), portable::sum_sq(a))
}

/// [`crate::gemm`] on the given path: [`SimdPath::Avx2Fma`] runs this crate's packed 6×16 AVX2+FMA
/// sgemm, [`SimdPath::Portable`] runs `matrixmultiply` (with its own run-time kernel choice).
pub fn gemm(
    path: SimdPath,
    alpha: f32,
    a: MatRef<'_>,
    b: MatRef<'_>,
    beta: f32,
    c: MatMut<'_>,
    par: Parallelism,
) {
    crate::gemm::gemm_on(path, alpha, a, b, beta, c, par)
}

/// [`crate::gemm_update`] on the given path (see [`gemm`]; on [`SimdPath::Portable`] the update
/// is a separate pass after `matrixmultiply`'s product).
#[allow(clippy::too_many_arguments)]
pub fn gemm_update(
    path: SimdPath,
    alpha: f32,
    a: MatRef<'_>,
    b: MatRef<'_>,
    beta: f32,
    c: MatMut<'_>,
    gamma: &[f32],
    w: MatMut<'_>,
    par: Parallelism,
) -> bool {
    crate::gemm::gemm_update_on(path, alpha, a, b, beta, c, gamma, w, par)
}

/// [`crate::gemm_momentum`] on the given path (see [`gemm`]; on [`SimdPath::Portable`] the update
/// is a separate pass after `matrixmultiply`'s product).
#[allow(clippy::too_many_arguments)]
pub fn gemm_momentum(
    path: SimdPath,
    a: MatRef<'_>,
    b: MatRef<'_>,
    lambda: f32,
    g: MatMut<'_>,
    v: MatMut<'_>,
    w: MatMut<'_>,
    lr_mu: (f32, f32),
    par: Parallelism,
) -> bool {
    crate::gemm::gemm_momentum_on(path, a, b, lambda, g, v, w, lr_mu, par)
}

/// Use (or not) the AVX-512 micro-tiles inside [`SimdPath::Avx2Fma`] products for the rest of the
/// process (they give the same bits; default on where the CPU has AVX-512 F, unless
/// `POTENTIAL_GEMM_AVX512=0`). Returns whether they are now in use.
pub fn set_gemm_avx512(on: bool) -> bool {
    crate::avx512::GEMM.set(on)
}

/// Whether [`SimdPath::Avx2Fma`] products use the AVX-512 micro-tiles.
pub fn gemm_avx512() -> bool {
    crate::avx512::GEMM.on()
}

/// Use (or not) the 16-lane AVX-512 forms of [`map`], [`map_inplace`] and [`bias_act`] on
/// [`SimdPath::Avx2Fma`] for the rest of the process (they give the same bits: every lane runs the
/// same operations; default on where the CPU has AVX-512 F, unless `POTENTIAL_MAPS_AVX512=0`).
/// Returns whether they are now in use. The reductions ([`dot`], [`sum`], …) keep eight lanes,
/// because their summation order depends on the width.
pub fn set_maps_avx512(on: bool) -> bool {
    crate::avx512::MAPS.set(on)
}

/// Whether [`SimdPath::Avx2Fma`] maps use the 16-lane AVX-512 forms.
pub fn maps_avx512() -> bool {
    crate::avx512::MAPS.on()
}
