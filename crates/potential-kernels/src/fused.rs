//! Fused row passes for the hot loops of the energy and training code.

use crate::{paths, simd_path};

/// The hidden-unit nonlinearities of the paper (NOTES.md table), as the kernels see them.
///
/// Error bounds of the SIMD kernels ([`bias_act`], [`antiderivative_sum`]) against the exact
/// function (asserted in `tests/fused.rs` on both paths): h and h′ of `Sigmoid`, `Tanh` and
/// `Synchrony` within 4 ulp of the exact value (h′ = σ(1 − σ) is computed as e/(1 + e)² and
/// sech² as 4e/(1 + e)², so they stay relative-accurate in the tails where 1 − σ or 1 − tanh²
/// would cancel); H as [`UnaryOp::Softplus`](crate::UnaryOp::Softplus) (Sigmoid, Synchrony: 4 ulp)
/// and [`UnaryOp::LogCosh`](crate::UnaryOp::LogCosh) (Tanh: absolute 1e-6·max(1, |H|)); the
/// polynomial ones (Linear, Square, Relu, Modulus) within 2 ulp of H evaluated in `f32`-sized
/// steps. NaN inputs give NaN for h and H; h′(NaN) is NaN except for `Linear` (h′ ≡ 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HiddenFn {
    /// h = σ(u), H = softplus(u)
    Sigmoid,
    /// h = tanh(u), H = log cosh(u)
    Tanh,
    /// h = u, H = u²/2
    Linear,
    /// h = u², H = u³/3
    Square,
    /// h = max(u, 0), H = max(u, 0)²/2
    Relu,
    /// h = |u|, H = u·|u|/2
    Modulus,
    /// h = u·σ(u²), H = softplus(u²)/2
    Synchrony,
}

impl HiddenFn {
    /// Every function.
    pub const ALL: [HiddenFn; 7] = [
        HiddenFn::Sigmoid,
        HiddenFn::Tanh,
        HiddenFn::Linear,
        HiddenFn::Square,
        HiddenFn::Relu,
        HiddenFn::Modulus,
        HiddenFn::Synchrony,
    ];

    /// h(u), scalar reference.
    pub fn h(self, u: f32) -> f32 {
        use crate::reference::sigmoid;
        match self {
            HiddenFn::Sigmoid => sigmoid(u),
            HiddenFn::Tanh => u.tanh(),
            HiddenFn::Linear => u,
            HiddenFn::Square => u * u,
            HiddenFn::Relu => {
                if u > 0.0 || u.is_nan() {
                    u
                } else {
                    0.0
                }
            }
            HiddenFn::Modulus => u.abs(),
            HiddenFn::Synchrony => u * sigmoid(u * u),
        }
    }

    /// h′(u), scalar reference.
    pub fn h_prime(self, u: f32) -> f32 {
        match self {
            HiddenFn::Sigmoid => {
                // σ(1 − σ) = e/(1 + e)² with e = e^{−|u|}: no cancellation in the tails.
                let e = (-u.abs()).exp();
                e / ((1.0 + e) * (1.0 + e))
            }
            HiddenFn::Tanh => {
                // 1 − tanh² = sech² = 4e/(1 + e)² with e = e^{−2|u|}.
                let e = (-2.0 * u.abs()).exp();
                4.0 * e / ((1.0 + e) * (1.0 + e))
            }
            HiddenFn::Linear => 1.0,
            HiddenFn::Square => 2.0 * u,
            HiddenFn::Relu => {
                if u > 0.0 {
                    1.0
                } else if u.is_nan() {
                    u
                } else {
                    0.0
                }
            }
            HiddenFn::Modulus => {
                if u.is_nan() {
                    u
                } else if u > 0.0 {
                    1.0
                } else if u < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
            HiddenFn::Synchrony => {
                // d/du [u σ(u²)] = σ(u²) + 2u² σ(u²)(1 − σ(u²))
                // (clamping u² so that u² = ∞ gives 0 rather than ∞·0 = NaN).
                let w = u * u;
                let w = if w > 1e4 { 1e4 } else { w };
                let e = (-w).exp();
                let d = 1.0 + e;
                1.0 / d + 2.0 * w * e / (d * d)
            }
        }
    }

    /// H(u) with H′ = h and the constants of NOTES.md, scalar reference.
    pub fn antiderivative(self, u: f32) -> f32 {
        use crate::reference::{log_cosh, softplus};
        // softplus(u²)/2 is written as u²/2 + log1p(e^{−u²})/2 (u² ≥ 0) in the Synchrony arm.
        match self {
            HiddenFn::Sigmoid => softplus(u),
            HiddenFn::Tanh => log_cosh(u),
            HiddenFn::Linear => 0.5 * u * u,
            HiddenFn::Square => u / 3.0 * u * u,
            HiddenFn::Relu => {
                let r = if u > 0.0 || u.is_nan() { u } else { 0.0 };
                0.5 * r * r
            }
            HiddenFn::Modulus => 0.5 * u * u.abs(),
            HiddenFn::Synchrony => 0.5 * u * u + 0.5 * (-(u * u)).exp().ln_1p(),
        }
    }
}

/// Fused bias add, activation and derivative over one row:
/// `u ← u + bias; h = f(u); dh = f′(u)` (when `dh` is given), on the [`simd_path`] of this process.
/// Error bounds at [`HiddenFn`].
///
/// # Panics
/// If the slices differ in length.
pub fn bias_act(u: &mut [f32], bias: &[f32], f: HiddenFn, h: &mut [f32], dh: Option<&mut [f32]>) {
    paths::bias_act(simd_path(), u, bias, f, h, dh)
}

/// Σₖ H(uₖ) over a row (the hidden part of the energy, NOTES.md): each term evaluated in `f32` to the
/// bounds at [`HiddenFn`], accumulated in `f64`.
pub fn antiderivative_sum(u: &[f32], f: HiddenFn) -> f64 {
    paths::antiderivative_sum(simd_path(), u, f)
}

/// Σₖ H(uₖ + bₖ) over a row: the bias add fused into [`antiderivative_sum`], so a row of net
/// inputs computed without its bias (a gemm with β = 0) is read once. Each `uₖ + bₖ` is rounded to
/// `f32` first, then H is evaluated to the bounds at [`HiddenFn`] and accumulated in `f64`: the
/// result equals `antiderivative_sum` of the biased row exactly.
///
/// # Panics
/// If the slices differ in length.
pub fn antiderivative_sum_bias(u: &[f32], bias: &[f32], f: HiddenFn) -> f64 {
    paths::antiderivative_sum_bias(simd_path(), u, bias, f)
}

/// ‖x − b‖² with the differences and the sum in `f64` (relative error ≈ n·2⁻⁵³).
///
/// # Panics
/// If the slices differ in length.
pub fn sq_dist(x: &[f32], b: &[f32]) -> f64 {
    paths::sq_dist(simd_path(), x, b)
}
