//! Vector math shared by the AVX2+FMA and the portable paths.
//!
//! Every kernel is written once, generic over [`Vf`] (`LANES` `f32` lanes), and instantiated in
//! [`avx2`] inside `#[target_feature(enable = "avx2,fma")]` functions over `__m256`, in [`portable`]
//! over a plain `[f32; 8]`, and, for the lane-wise maps only, in [`avx512`] over `__m512`.
//! Everything here is `#[inline(always)]`, so the whole kernel body lands in the entry point and
//! inherits its target features.
//!
//! The maps ([`map`], [`map_inplace`], [`bias_act`]) compute each lane by the same operations in
//! the same order whatever the width, so the 16-lane AVX-512 instance gives the AVX2 instance's
//! bits (asserted by `tests/avx512_maps.rs`). The reductions ([`VfAcc`]) depend on the width through
//! their summation order and have no AVX-512 instance.
//!
//! The approximations are Cephes-style (S. L. Moshier, Cephes Math Library, `expf.c`, `logf.c`,
//! `tanhf.c`): range reduction by a Cody–Waite split of ln 2, then a minimax polynomial.

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;
pub(crate) mod portable;

use crate::activation::monomorphize;
use crate::elementwise::UnaryOp;
use crate::ActivationKind;

/// The widest vector any instance has, in `f32` lanes (the size of the loops' tail buffers).
const MAX_LANES: usize = 16;

/// `LANES` `f32` lanes (8 or 16). Masks are vectors whose lanes are all-ones or all-zeros bit
/// patterns.
pub(crate) trait Vf: Copy {
    /// Lanes per vector, at most [`MAX_LANES`].
    const LANES: usize;
    fn splat(x: f32) -> Self;
    /// The first `LANES` elements of `s` (`s.len() ≥ LANES`).
    fn load(s: &[f32]) -> Self;
    /// Write the lanes to the first `LANES` elements of `d` (`d.len() ≥ LANES`).
    fn store(self, d: &mut [f32]);
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn div(self, o: Self) -> Self;
    /// `self·b + c` (fused on the AVX2 path).
    fn fma(self, b: Self, c: Self) -> Self;
    /// `c − self·b` (fused on the AVX2 path).
    fn fnma(self, b: Self, c: Self) -> Self;
    /// `self < o ? self : o` (x86 `minps`): a NaN in `o` is returned, a NaN in `self` gives `o`.
    fn min_x86(self, o: Self) -> Self;
    /// `self > o ? self : o` (x86 `maxps`).
    fn max_x86(self, o: Self) -> Self;
    fn and(self, o: Self) -> Self;
    fn or(self, o: Self) -> Self;
    /// `!self & o`.
    fn andnot(self, o: Self) -> Self;
    fn lt(self, o: Self) -> Self;
    fn gt(self, o: Self) -> Self;
    fn ge(self, o: Self) -> Self;
    fn eq(self, o: Self) -> Self;
    /// Mask of NaN lanes.
    fn is_nan(self) -> Self;
    /// Lanes of `a` where `mask`, else of `b`.
    fn select(mask: Self, a: Self, b: Self) -> Self;
    /// Round to nearest, ties to even.
    fn round(self) -> Self;
    /// 2ⁿ for lanes holding integral `n ∈ [−126, 127]`.
    fn pow2i(self) -> Self;
    /// For positive normal lanes `x = m·2ᵉ` with `m ∈ [0.5, 1)`: returns `(m, e)`.
    fn frexp(self) -> (Self, Self);

    #[inline(always)]
    fn abs(self) -> Self {
        Self::splat(-0.0).andnot(self)
    }
    /// The sign bit of each lane (as a float: `±0`).
    #[inline(always)]
    fn sign_bit(self) -> Self {
        self.and(Self::splat(-0.0))
    }
}

/// Eight lanes with `f64` accumulators, for the reductions (whose summation order is part of
/// their result, so every instance has eight lanes).
pub(crate) trait VfAcc: Vf {
    /// Four-plus-four `f64` accumulators.
    type Acc: Copy;
    fn acc_zero() -> Self::Acc;
    /// `acc += f64(v)` lane-wise.
    fn acc_add(acc: Self::Acc, v: Self) -> Self::Acc;
    /// `acc += f64(a)·f64(b)` lane-wise (exact products).
    fn acc_dot(acc: Self::Acc, a: Self, b: Self) -> Self::Acc;
    /// `acc += (f64(a) − f64(b))²` lane-wise.
    fn acc_sqdiff(acc: Self::Acc, a: Self, b: Self) -> Self::Acc;
    fn acc_merge(a: Self::Acc, b: Self::Acc) -> Self::Acc;
    fn acc_total(acc: Self::Acc) -> f64;
}

#[inline(always)]
fn c<V: Vf>(x: f32) -> V {
    V::splat(x)
}

// ---------------------------------------------------------------------------------------------
// Scalar functions
// ---------------------------------------------------------------------------------------------

const LOG2E: f32 = std::f32::consts::LOG2_E;
/// ln 2 = LN2_HI + LN2_LO; LN2_HI has 9 significant bits, so n·LN2_HI is exact for |n| < 2¹⁵.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;

/// eˣ. Max error ≈ 1 ulp on normal results (asserted ≤ 3 ulp); subnormal results are rounded once
/// (error ≤ 0.5 ulp of the subnormal spacing plus ≈ 1 ulp relative). `+∞ → +∞`, `−∞ → 0`, NaN → NaN.
#[inline(always)]
pub(crate) fn exp<V: Vf>(x: V) -> V {
    // Clamp keeping NaN: min_x86/max_x86 return their second operand when it is NaN.
    let x = c::<V>(-104.0).max_x86(c::<V>(89.0).min_x86(x));
    let n = x.mul(c(LOG2E)).round();
    let r = n.fnma(c(LN2_HI), x);
    let r = n.fnma(c(LN2_LO), r);
    let z = r.mul(r);
    let p = c::<V>(1.987_569_1e-4)
        .fma(r, c(1.398_199_9e-3))
        .fma(r, c(8.333_452e-3))
        .fma(r, c(4.166_579_6e-2))
        .fma(r, c(1.666_666_5e-1))
        .fma(r, c(0.5));
    let y = p.fma(z, r).add(c(1.0));
    // n ∈ [−150, 129]: scale in two halves so 2ⁿ¹ and 2ⁿ² are normal and the product is rounded once
    // (gradual underflow to subnormals, overflow to +∞).
    let n1 = n.mul(c(0.5)).round();
    let n2 = n.sub(n1);
    y.mul(n1.pow2i()).mul(n2.pow2i())
}

/// ln x. Max error ≈ 1 ulp (asserted ≤ 3 ulp, plus 1e-45 absolute near x = 1 where ln x → 0).
/// Handles subnormal `x`; `ln(±0) = −∞`, `ln(x < 0) = NaN`, `ln(+∞) = +∞`, NaN → NaN.
#[inline(always)]
pub(crate) fn ln<V: Vf>(x: V) -> V {
    let tiny = x.lt(c(f32::MIN_POSITIVE));
    let xs = V::select(tiny, x.mul(c(33_554_432.0)), x); // 2²⁵
    let (m, e) = xs.frexp();
    let e = V::select(tiny, e.sub(c(25.0)), e);
    let small = m.lt(c(std::f32::consts::FRAC_1_SQRT_2));
    let e = V::select(small, e.sub(c(1.0)), e);
    let f = V::select(small, m.add(m), m).sub(c(1.0));
    let z = f.mul(f);
    let y = log_tail(f, z);
    let y = e.fma(c(LN2_LO), y);
    let y = z.fnma(c(0.5), y);
    let r = e.fma(c(LN2_HI), f.add(y));
    // Special values.
    let r = V::select(x.eq(c(0.0)), c(f32::NEG_INFINITY), r);
    let r = V::select(x.lt(c(0.0)), c(f32::NAN), r);
    let r = V::select(x.eq(c(f32::INFINITY)), x, r);
    V::select(x.is_nan(), x, r)
}

/// The Cephes logf series tail `f³·P(f)` for the reduced argument `f = m − 1 ∈ [√½ − 1, √2 − 1]`
/// and `z = f²`: ln(1 + f) = f − z/2 + tail.
#[inline(always)]
fn log_tail<V: Vf>(f: V, z: V) -> V {
    let p = c::<V>(7.037_683_6e-2)
        .fma(f, c(-1.151_461_1e-1))
        .fma(f, c(1.167_699_9e-1))
        .fma(f, c(-1.242_014_1e-1))
        .fma(f, c(1.424_932_3e-1))
        .fma(f, c(-1.666_805_8e-1))
        .fma(f, c(2.000_071_5e-1))
        .fma(f, c(-2.499_999_4e-1))
        .fma(f, c(0.333_333_3));
    p.mul(f).mul(z)
}

/// ln(1 + y) for `y ∈ [0, 1]` (or NaN): `y·q(y)` with `q` a degree-9 minimax polynomial for
/// ln(1 + y)/y on [0, 1] (relative error 4.7e-9 in exact arithmetic, coefficients rounded to `f32`,
/// fitted by `crates/potential-kernels/src/simd/ln1p_fit.py`). Evaluated by Horner's rule in `f32`
/// with FMA the error is ≤ 1.8 ulp over the whole interval (measured with 2·10⁶ random y, every
/// power of two and the end points); for tiny `y` (down to subnormals) `q = 1` and the result is `y`
/// exactly. No division, no range reduction, no special cases: NaN propagates through the
/// arithmetic. (Only the softplus / log cosh family calls it, always with y = e^{−x}, x ≥ 0.)
#[inline(always)]
pub(crate) fn ln1p_pos<V: Vf>(y: V) -> V {
    let q = c::<V>(-3.244_021_2e-3)
        .fma(y, c(1.985_144_4e-2))
        .fma(y, c(-5.695_95e-2))
        .fma(y, c(1.060_365_14e-1))
        .fma(y, c(-1.530_559e-1))
        .fma(y, c(1.967_593_9e-1))
        .fma(y, c(-2.495_413_4e-1))
        .fma(y, c(3.332_996_4e-1))
        .fma(y, c(-4.999_990_2e-1))
        .fma(y, c(1.0));
    q.mul(y)
}

/// σ(u) and σ′(u) = e/(1+e)² with e = e^{−|u|}: both accurate to a few ulp relative everywhere,
/// including the far negative tail (σ(u) ≈ eᵘ, subnormal below u ≈ −87).
#[inline(always)]
pub(crate) fn sigmoid_parts<V: Vf>(u: V) -> (V, V, V) {
    let e = exp(u.abs().mul(c(-1.0)));
    let d = e.add(c(1.0));
    let s = V::select(u.ge(c(0.0)), c::<V>(1.0).div(d), e.div(d));
    (s, e, d)
}

#[inline(always)]
pub(crate) fn sigmoid<V: Vf>(u: V) -> V {
    sigmoid_parts(u).0
}

/// (tanh u, sech² u). |u| < 0.625: Cephes odd polynomial; else (1 − e)/(1 + e) with e = e^{−2|u|}.
/// sech² u = 4e/(1 + e)² is accurate relative even where tanh u rounds to ±1.
#[inline(always)]
pub(crate) fn tanh_parts<V: Vf>(u: V) -> (V, V) {
    let a = u.abs();
    let e = exp(a.mul(c(-2.0)));
    let d = e.add(c(1.0));
    let big = c::<V>(1.0).sub(e).div(d);
    let z = u.mul(u);
    let p = c::<V>(-5.704_988_7e-3)
        .fma(z, c(0.020_639_09))
        .fma(z, c(-5.373_971_6e-2))
        .fma(z, c(1.333_144_2e-1))
        .fma(z, c(-0.333_332_8));
    let small = p.mul(z).fma(u, u);
    // The sign bit makes tanh(−0) = −0 and gives the large branch the sign of u.
    let t = V::select(a.lt(c(0.625)), small, big).or(u.sign_bit());
    (t, c::<V>(4.0).mul(e).div(d.mul(d)))
}

#[inline(always)]
pub(crate) fn tanh<V: Vf>(u: V) -> V {
    tanh_parts(u).0
}

/// softplus(u) = max(u, 0) + ln(1 + e^{−|u|}).
#[inline(always)]
pub(crate) fn softplus<V: Vf>(u: V) -> V {
    let e = exp(u.abs().mul(c(-1.0)));
    c::<V>(0.0).max_x86(u).add(ln1p_pos(e))
}

/// log cosh(u) = |u| + ln(1 + e^{−2|u|}) − ln 2. Absolute error ≤ 1e-6·max(1, |result|).
#[inline(always)]
pub(crate) fn log_cosh<V: Vf>(u: V) -> V {
    let a = u.abs();
    let e = exp(a.mul(c(-2.0)));
    a.add(ln1p_pos(e)).sub(c(std::f32::consts::LN_2))
}

/// logit(p) = ln(p/(1 − p)); NaN outside [0, 1], ±∞ at 1 and 0.
#[inline(always)]
pub(crate) fn logit<V: Vf>(p: V) -> V {
    ln(p.div(c::<V>(1.0).sub(p)))
}

/// max(u, 0) with NaN propagated and relu(−0) = +0: keep u where !(u ≤ 0) (true for u > 0 and NaN).
#[inline(always)]
pub(crate) fn relu<V: Vf>(u: V) -> V {
    let keep = u.gt(c(0.0)).or(u.is_nan());
    keep.and(u)
}

#[inline(always)]
fn unary<V: Vf>(op: UnaryOp, u: V) -> V {
    match op {
        UnaryOp::Exp => exp(u),
        UnaryOp::Sigmoid => sigmoid(u),
        UnaryOp::Tanh => tanh(u),
        UnaryOp::Softplus => softplus(u),
        UnaryOp::LogCosh => log_cosh(u),
        UnaryOp::Logit => logit(u),
        UnaryOp::Square => u.mul(u),
        UnaryOp::Cube => u.mul(u).mul(u),
        UnaryOp::Relu => relu(u),
        UnaryOp::Abs => u.abs(),
    }
}

// ---------------------------------------------------------------------------------------------
// Slice loops
// ---------------------------------------------------------------------------------------------

// The loops below take the operation as a plain argument and are `#[inline(always)]`; every call
// site passes a constant, so after inlining the `match` inside the loop folds away and each op gets
// its own straight-line loop body. (Closures are avoided on purpose: they would not inherit the
// target features of the AVX2 entry points and would be called out of line.)

/// Apply `op` from `src` to `dst` (same length), `LANES` at a time; the tail goes through a
/// zero-padded buffer so it is computed by the same vector code.
#[inline(always)]
pub(crate) fn map<V: Vf>(op: UnaryOp, src: &[f32], dst: &mut [f32]) {
    debug_assert_eq!(src.len(), dst.len());
    #[inline(always)]
    fn run<V: Vf>(op: UnaryOp, src: &[f32], dst: &mut [f32]) {
        let mut s8 = src.chunks_exact(V::LANES);
        let mut d8 = dst.chunks_exact_mut(V::LANES);
        for (s, d) in (&mut s8).zip(&mut d8) {
            unary(op, V::load(s)).store(d);
        }
        let (s, d) = (s8.remainder(), d8.into_remainder());
        if !s.is_empty() {
            let mut buf = [0.0f32; MAX_LANES];
            buf[..s.len()].copy_from_slice(s);
            unary(op, V::load(&buf)).store(&mut buf);
            d.copy_from_slice(&buf[..d.len()]);
        }
    }
    match op {
        UnaryOp::Exp => run::<V>(UnaryOp::Exp, src, dst),
        UnaryOp::Sigmoid => run::<V>(UnaryOp::Sigmoid, src, dst),
        UnaryOp::Tanh => run::<V>(UnaryOp::Tanh, src, dst),
        UnaryOp::Softplus => run::<V>(UnaryOp::Softplus, src, dst),
        UnaryOp::LogCosh => run::<V>(UnaryOp::LogCosh, src, dst),
        UnaryOp::Logit => run::<V>(UnaryOp::Logit, src, dst),
        UnaryOp::Square => run::<V>(UnaryOp::Square, src, dst),
        UnaryOp::Cube => run::<V>(UnaryOp::Cube, src, dst),
        UnaryOp::Relu => run::<V>(UnaryOp::Relu, src, dst),
        UnaryOp::Abs => run::<V>(UnaryOp::Abs, src, dst),
    }
}

/// In-place version of [`map`].
#[inline(always)]
pub(crate) fn map_inplace<V: Vf>(op: UnaryOp, buf: &mut [f32]) {
    #[inline(always)]
    fn run<V: Vf>(op: UnaryOp, buf: &mut [f32]) {
        let mut d8 = buf.chunks_exact_mut(V::LANES);
        for d in &mut d8 {
            unary(op, V::load(d)).store(d);
        }
        let d = d8.into_remainder();
        if !d.is_empty() {
            let mut tmp = [0.0f32; MAX_LANES];
            tmp[..d.len()].copy_from_slice(d);
            unary(op, V::load(&tmp)).store(&mut tmp);
            let n = d.len();
            d.copy_from_slice(&tmp[..n]);
        }
    }
    match op {
        UnaryOp::Exp => run::<V>(UnaryOp::Exp, buf),
        UnaryOp::Sigmoid => run::<V>(UnaryOp::Sigmoid, buf),
        UnaryOp::Tanh => run::<V>(UnaryOp::Tanh, buf),
        UnaryOp::Softplus => run::<V>(UnaryOp::Softplus, buf),
        UnaryOp::LogCosh => run::<V>(UnaryOp::LogCosh, buf),
        UnaryOp::Logit => run::<V>(UnaryOp::Logit, buf),
        UnaryOp::Square => run::<V>(UnaryOp::Square, buf),
        UnaryOp::Cube => run::<V>(UnaryOp::Cube, buf),
        UnaryOp::Relu => run::<V>(UnaryOp::Relu, buf),
        UnaryOp::Abs => run::<V>(UnaryOp::Abs, buf),
    }
}

/// `u ← u + bias; h = f(u); dh = f′(u)` (all slices of one length, checked by the caller).
#[inline(always)]
pub(crate) fn bias_act<V: Vf>(
    u: &mut [f32],
    bias: &[f32],
    f: ActivationKind,
    h: &mut [f32],
    dh: Option<&mut [f32]>,
) {
    #[inline(always)]
    fn run<V: Vf, const D: bool>(
        f: ActivationKind,
        u: &mut [f32],
        bias: &[f32],
        h: &mut [f32],
        dh: &mut [f32],
    ) {
        let n = u.len();
        let full = n - n % V::LANES;
        let mut i = 0;
        while i < full {
            let x = V::load(&u[i..]).add(V::load(&bias[i..]));
            x.store(&mut u[i..]);
            let (hv, dv) = f.hidden_simd::<V, D>(x);
            hv.store(&mut h[i..]);
            if D {
                dv.store(&mut dh[i..]);
            }
            i += V::LANES;
        }
        if i < n {
            let r = n - i;
            let (mut ub, mut bb) = ([0.0f32; MAX_LANES], [0.0f32; MAX_LANES]);
            ub[..r].copy_from_slice(&u[i..]);
            bb[..r].copy_from_slice(&bias[i..]);
            let x = V::load(&ub).add(V::load(&bb));
            x.store(&mut ub);
            u[i..].copy_from_slice(&ub[..r]);
            let (hv, dv) = f.hidden_simd::<V, D>(x);
            hv.store(&mut ub);
            h[i..].copy_from_slice(&ub[..r]);
            if D {
                dv.store(&mut ub);
                dh[i..].copy_from_slice(&ub[..r]);
            }
        }
    }
    macro_rules! go {
        ($f:expr) => {
            match dh {
                Some(dh) => run::<V, true>($f, u, bias, h, dh),
                None => run::<V, false>($f, u, bias, h, &mut []),
            }
        };
    }
    monomorphize!(f, K => go!(K))
}

/// Σₖ H(uₖ + bₖ) (no bias when `bias` is empty): each term in `f32`, accumulated in `f64`.
#[inline(always)]
pub(crate) fn antiderivative_sum<V: VfAcc>(u: &[f32], bias: &[f32], f: ActivationKind) -> f64 {
    #[inline(always)]
    fn run<V: VfAcc, const B: bool>(f: ActivationKind, u: &[f32], bias: &[f32]) -> f64 {
        let mut acc = V::acc_zero();
        let n = u.len();
        let full = n - n % 8;
        let mut i = 0;
        while i < full {
            let x = if B { V::load(&u[i..]).add(V::load(&bias[i..])) } else { V::load(&u[i..]) };
            acc = V::acc_add(acc, f.antiderivative_simd(x));
            i += 8;
        }
        let mut total = V::acc_total(acc);
        if i < n {
            let r = n - i;
            let (mut ub, mut bb) = ([0.0f32; 8], [0.0f32; 8]);
            ub[..r].copy_from_slice(&u[i..]);
            let x = if B {
                bb[..r].copy_from_slice(&bias[i..]);
                V::load(&ub).add(V::load(&bb))
            } else {
                V::load(&ub)
            };
            f.antiderivative_simd(x).store(&mut ub);
            total += ub[..r].iter().map(|&v| v as f64).sum::<f64>();
        }
        total
    }
    macro_rules! go {
        ($f:expr) => {
            if bias.is_empty() {
                run::<V, false>($f, u, bias)
            } else {
                run::<V, true>($f, u, bias)
            }
        };
    }
    monomorphize!(f, K => go!(K))
}

const DOT: u8 = 0;
const SQDIFF: u8 = 1;
const SUM: u8 = 2;

/// Two-operand `f64` reduction (`KIND` = DOT, SQDIFF or SUM) over 16-element blocks with two
/// accumulators; the tail is scalar.
#[inline(always)]
fn reduce2<V: VfAcc, const KIND: u8>(a: &[f32], b: &[f32]) -> f64 {
    #[inline(always)]
    fn step<V: VfAcc, const KIND: u8>(acc: V::Acc, x: V, y: V) -> V::Acc {
        match KIND {
            DOT => V::acc_dot(acc, x, y),
            SQDIFF => V::acc_sqdiff(acc, x, y),
            _ => V::acc_add(acc, x),
        }
    }
    let n = a.len();
    let full = n - n % 16;
    let (mut acc0, mut acc1) = (V::acc_zero(), V::acc_zero());
    let mut i = 0;
    while i < full {
        acc0 = step::<V, KIND>(acc0, V::load(&a[i..]), V::load(&b[i..]));
        acc1 = step::<V, KIND>(acc1, V::load(&a[i + 8..]), V::load(&b[i + 8..]));
        i += 16;
    }
    let mut total = V::acc_total(V::acc_merge(acc0, acc1));
    for (&x, &y) in a[full..].iter().zip(&b[full..]) {
        let (x, y) = (x as f64, y as f64);
        total += match KIND {
            DOT => x * y,
            SQDIFF => (x - y) * (x - y),
            _ => x,
        };
    }
    total
}

/// Σ aᵢbᵢ in `f64` (lengths checked by the caller).
#[inline(always)]
pub(crate) fn dot<V: VfAcc>(a: &[f32], b: &[f32]) -> f64 {
    reduce2::<V, DOT>(a, b)
}

/// Σ aᵢ² in `f64`.
#[inline(always)]
pub(crate) fn sum_sq<V: VfAcc>(a: &[f32]) -> f64 {
    reduce2::<V, DOT>(a, a)
}

/// Σ (aᵢ − bᵢ)² in `f64`.
#[inline(always)]
pub(crate) fn sq_dist<V: VfAcc>(a: &[f32], b: &[f32]) -> f64 {
    reduce2::<V, SQDIFF>(a, b)
}

/// Σ aᵢ in `f64`.
#[inline(always)]
pub(crate) fn sum<V: VfAcc>(a: &[f32]) -> f64 {
    reduce2::<V, SUM>(a, a)
}
