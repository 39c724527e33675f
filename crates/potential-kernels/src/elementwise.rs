//! Elementwise maps with runtime SIMD dispatch.

use crate::{paths, reference};
use std::sync::OnceLock;

/// An elementwise function over `f32`.
///
/// The error bounds below hold on both [`SimdPath`]s and are asserted by the property tests
/// (`tests/elementwise.rs`) against an `f64` reference over the whole `f32` range, including
/// `±1e30`, `±∞`, NaN and subnormals. "ulp" is the spacing of `f32` at the exact result (for
/// subnormal results, 2⁻¹⁴⁹). Every op returns NaN for a NaN input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// eᵘ. ≤ 3 ulp (Cephes polynomial after a Cody–Waite reduction; measured ≤ 1 ulp on normal
    /// results). Overflows to `+∞` above ≈ 88.72, underflows gradually through the subnormals to `0`
    /// below ≈ −103.3; `e^{+∞} = +∞`, `e^{−∞} = 0`.
    Exp,
    /// σ(u) = 1/(1 + e^{−u}), computed as 1/(1 + e) for u ≥ 0 and e/(1 + e) for u < 0 with
    /// e = e^{−|u|}, so the negative tail (σ(u) ≈ eᵘ) is relative-accurate too. ≤ 3 ulp.
    Sigmoid,
    /// tanh(u): odd Cephes polynomial for |u| < 0.625, (1 − e)/(1 + e) with e = e^{−2|u|} above.
    /// ≤ 3 ulp.
    Tanh,
    /// log(1 + eᵘ) = max(u, 0) + log1p(e^{−|u|}). ≤ 3 ulp.
    Softplus,
    /// log cosh(u) = |u| + log1p(e^{−2|u|}) − log 2. Absolute error ≤ 1e-6·max(1, |result|).
    LogCosh,
    /// log(p/(1 − p)). Error ≤ 4 ulp + 2.5e-7 absolute (the absolute part is the ≤ 1 ulp rounding of
    /// p/(1 − p) near 1, i.e. p ≈ ½, where the result passes through 0). NaN for p outside [0, 1],
    /// `−∞` at 0, `+∞` at 1.
    Logit,
    /// u², correctly rounded.
    Square,
    /// u³ = (u·u)·u, ≤ 1.5 ulp (two roundings).
    Cube,
    /// max(u, 0), exact. NaN propagates (relu(NaN) = NaN, unlike `f32::max`), relu(−0) = +0.
    Relu,
    /// |u|, exact.
    Abs,
}

impl UnaryOp {
    /// Every op, for tests and benchmarks.
    pub const ALL: [UnaryOp; 10] = [
        UnaryOp::Exp,
        UnaryOp::Sigmoid,
        UnaryOp::Tanh,
        UnaryOp::Softplus,
        UnaryOp::LogCosh,
        UnaryOp::Logit,
        UnaryOp::Square,
        UnaryOp::Cube,
        UnaryOp::Relu,
        UnaryOp::Abs,
    ];

    /// The scalar `f32` reference for one element.
    pub fn scalar(self, u: f32) -> f32 {
        match self {
            UnaryOp::Exp => u.exp(),
            UnaryOp::Sigmoid => reference::sigmoid(u),
            UnaryOp::Tanh => u.tanh(),
            UnaryOp::Softplus => reference::softplus(u),
            UnaryOp::LogCosh => reference::log_cosh(u),
            UnaryOp::Logit => reference::logit(u),
            UnaryOp::Square => u * u,
            UnaryOp::Cube => u * u * u,
            UnaryOp::Relu => {
                if u > 0.0 || u.is_nan() {
                    u
                } else {
                    0.0
                }
            }
            UnaryOp::Abs => u.abs(),
        }
    }
}

/// Which elementwise implementation this process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimdPath {
    /// Hand-written AVX2 + FMA kernels (`std::arch`, x86-64 with both features).
    Avx2Fma,
    /// Portable code: the same algorithms over `[f32; 8]` lanes, vectorised by the compiler for the
    /// build target (SSE2 on a default x86-64 build), with unfused multiply-adds.
    Portable,
}

impl SimdPath {
    /// Both paths.
    pub const ALL: [SimdPath; 2] = [SimdPath::Avx2Fma, SimdPath::Portable];

    /// Whether this CPU can run the path (checked once at run time, cached). `Portable` always can.
    pub fn is_supported(self) -> bool {
        match self {
            SimdPath::Portable => true,
            SimdPath::Avx2Fma => {
                static HAS: OnceLock<bool> = OnceLock::new();
                *HAS.get_or_init(|| {
                    #[cfg(target_arch = "x86_64")]
                    {
                        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
                    }
                    #[cfg(not(target_arch = "x86_64"))]
                    {
                        false
                    }
                })
            }
        }
    }
}

/// The elementwise path chosen for this process: AVX2+FMA when the CPU has both, unless the
/// environment variable `POTENTIAL_FORCE_PORTABLE` is set to a non-empty value other than `0`.
/// Decided once and cached.
pub fn simd_path() -> SimdPath {
    static PATH: OnceLock<SimdPath> = OnceLock::new();
    *PATH.get_or_init(|| {
        let forced =
            std::env::var("POTENTIAL_FORCE_PORTABLE").map(|v| !v.is_empty() && v != "0").unwrap_or(false);
        if !forced && SimdPath::Avx2Fma.is_supported() {
            SimdPath::Avx2Fma
        } else {
            SimdPath::Portable
        }
    })
}

/// `dst[i] = op(src[i])`, on the [`simd_path`] of this process (error bounds at [`UnaryOp`]).
///
/// # Panics
/// If the slices differ in length.
pub fn map(op: UnaryOp, src: &[f32], dst: &mut [f32]) {
    paths::map(simd_path(), op, src, dst)
}

/// `buf[i] = op(buf[i])`, on the [`simd_path`] of this process.
pub fn map_inplace(op: UnaryOp, buf: &mut [f32]) {
    paths::map_inplace(simd_path(), op, buf)
}
