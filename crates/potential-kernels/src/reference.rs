//! Scalar reference implementations: the specification every fast path is tested against.
//!
//! Each function is the plain `std` formula in a numerically stable form. The `f64` versions are
//! the ground truth of the property tests; the `f32` versions are the "scalar" baseline of the
//! benchmarks.

/// Logistic sigmoid σ(u) = 1 / (1 + e^{−u}), stable for large |u|.
pub fn sigmoid_f64(u: f64) -> f64 {
    if u >= 0.0 {
        1.0 / (1.0 + (-u).exp())
    } else {
        let e = u.exp();
        e / (1.0 + e)
    }
}

/// softplus(u) = log(1 + eᵘ) = max(u, 0) + log1p(e^{−|u|}).
pub fn softplus_f64(u: f64) -> f64 {
    u.max(0.0) + (-u.abs()).exp().ln_1p()
}

/// log cosh(u) = |u| + log1p(e^{−2|u|}) − log 2.
pub fn log_cosh_f64(u: f64) -> f64 {
    let a = u.abs();
    a + (-2.0 * a).exp().ln_1p() - std::f64::consts::LN_2
}

/// logit(p) = log(p / (1 − p)).
pub fn logit_f64(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// σ(u) in `f32`: the one scalar sigmoid of the workspace (the activations' scalar specification,
/// the output layer of binary models, the benchmarks' scalar baseline).
pub fn sigmoid(u: f32) -> f32 {
    if u >= 0.0 {
        1.0 / (1.0 + (-u).exp())
    } else {
        let e = u.exp();
        e / (1.0 + e)
    }
}

/// softplus in `f32` (scalar baseline).
pub fn softplus(u: f32) -> f32 {
    u.max(0.0) + (-u.abs()).exp().ln_1p()
}

/// log cosh in `f32` (scalar baseline).
pub fn log_cosh(u: f32) -> f32 {
    let a = u.abs();
    a + (-2.0 * a).exp().ln_1p() - std::f32::consts::LN_2
}

/// logit in `f32` (scalar baseline).
pub fn logit(p: f32) -> f32 {
    (p / (1.0 - p)).ln()
}

/// The specification of [`Bf16Gemm::xwt`](crate::Bf16Gemm::xwt): `out[i][j] = Σ_c x̂[i, c]·ŵ[j, c]`
/// with ^ = [`round_bf16`](crate::round_bf16), summed in `f64` (each product is exact; the sum is
/// accurate to ≈ k·2⁻⁵³ relative to Σ|x̂||ŵ|). Returns the m×n result row-major and, beside it,
/// `Σ_c |x̂[i, c]|·|ŵ[j, c]|`, the scale of the error bounds.
pub fn xwt_bf16(x: crate::MatRef<'_>, w: crate::MatRef<'_>) -> (Vec<f64>, Vec<f64>) {
    assert_eq!(x.cols(), w.cols(), "reference::xwt_bf16: inner dimensions differ");
    let (m, n, k) = (x.rows(), w.rows(), x.cols());
    let (mut out, mut scale) = (vec![0.0; m * n], vec![0.0; m * n]);
    for i in 0..m {
        for j in 0..n {
            let (mut s, mut a) = (0.0f64, 0.0f64);
            for c in 0..k {
                let p = crate::round_bf16(x.get(i, c)) as f64 * crate::round_bf16(w.get(j, c)) as f64;
                s += p;
                a += p.abs();
            }
            out[i * n + j] = s;
            scale[i * n + j] = a;
        }
    }
    (out, scale)
}
