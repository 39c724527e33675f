//! Elementwise maps with runtime SIMD dispatch.

use crate::reference;
use std::sync::OnceLock;

/// An elementwise function over `f32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// eᵘ
    Exp,
    /// σ(u) = 1/(1 + e^{−u})
    Sigmoid,
    /// tanh(u)
    Tanh,
    /// log(1 + eᵘ)
    Softplus,
    /// log cosh(u)
    LogCosh,
    /// log(p/(1 − p))
    Logit,
    /// u²
    Square,
    /// u³
    Cube,
    /// max(u, 0)
    Relu,
    /// |u|
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
                if u > 0.0 {
                    u
                } else if u.is_nan() {
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
    /// Hand-written AVX2 + FMA kernels (x86-64 with both features).
    Avx2Fma,
    /// Portable code (SSE2 `wide` or scalar).
    Portable,
}

/// The elementwise path chosen for this process: AVX2+FMA when the CPU has both, unless the
/// environment variable `POTENTIAL_FORCE_PORTABLE` is set to a non-empty value other than `0`.
/// Decided once and cached.
pub fn simd_path() -> SimdPath {
    static PATH: OnceLock<SimdPath> = OnceLock::new();
    *PATH.get_or_init(|| {
        let forced = std::env::var("POTENTIAL_FORCE_PORTABLE").map(|v| !v.is_empty() && v != "0").unwrap_or(false);
        if forced {
            return SimdPath::Portable;
        }
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                return SimdPath::Avx2Fma;
            }
        }
        SimdPath::Portable
    })
}

/// `dst[i] = op(src[i])`.
///
/// # Panics
/// If the slices differ in length.
pub fn map(op: UnaryOp, src: &[f32], dst: &mut [f32]) {
    assert_eq!(src.len(), dst.len(), "map: src has {} elements, dst {}", src.len(), dst.len());
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = op.scalar(s);
    }
}

/// `buf[i] = op(buf[i])`.
pub fn map_inplace(op: UnaryOp, buf: &mut [f32]) {
    for v in buf.iter_mut() {
        *v = op.scalar(*v);
    }
}
