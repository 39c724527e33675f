//! The AVX2+FMA path: the generic kernels of [`super`] over `__m256`, instantiated inside
//! `#[target_feature(enable = "avx2,fma")]` entry points.
//!
//! # Safety
//! A value of type [`A`] may only exist while running on a CPU with AVX2 and FMA: the type is private
//! to this module and created only inside the entry points below, which are `unsafe fn`s whose
//! contract is exactly that the caller has checked both features (see `crate::paths`). The
//! `#[inline(always)]` methods are inlined into those entry points, where the intrinsics are
//! enabled.

use super::{Vf, VfAcc};
use crate::elementwise::UnaryOp;
use crate::ActivationKind;
use std::arch::x86_64::*;

/// Eight `f32` lanes in an AVX register. Private to this module: see the module's `# Safety`.
#[derive(Clone, Copy)]
struct A(__m256);

/// Wrap an intrinsic call whose only precondition is that AVX2+FMA are available, which holds
/// wherever an [`A`] exists (module invariant above).
macro_rules! avx {
    ($e:expr) => {{
        // SAFETY: `A` values only exist inside the `#[target_feature(enable = "avx2,fma")]` entry
        // points of this module, which callers may only run after detecting AVX2 and FMA.
        unsafe { $e }
    }};
}

impl Vf for A {
    const LANES: usize = 8;
    #[inline(always)]
    fn splat(x: f32) -> Self {
        A(avx!(_mm256_set1_ps(x)))
    }
    #[inline(always)]
    fn load(s: &[f32]) -> Self {
        assert!(s.len() >= 8);
        // SAFETY: `s` has at least eight elements (checked above); unaligned load; AVX available
        // (module invariant).
        A(unsafe { _mm256_loadu_ps(s.as_ptr()) })
    }
    #[inline(always)]
    fn store(self, d: &mut [f32]) {
        assert!(d.len() >= 8);
        // SAFETY: `d` has at least eight writable elements (checked above); unaligned store; AVX
        // available (module invariant).
        unsafe { _mm256_storeu_ps(d.as_mut_ptr(), self.0) }
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        A(avx!(_mm256_add_ps(self.0, o.0)))
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        A(avx!(_mm256_sub_ps(self.0, o.0)))
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        A(avx!(_mm256_mul_ps(self.0, o.0)))
    }
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        A(avx!(_mm256_div_ps(self.0, o.0)))
    }
    #[inline(always)]
    fn fma(self, b: Self, c: Self) -> Self {
        A(avx!(_mm256_fmadd_ps(self.0, b.0, c.0)))
    }
    #[inline(always)]
    fn fnma(self, b: Self, c: Self) -> Self {
        A(avx!(_mm256_fnmadd_ps(self.0, b.0, c.0)))
    }
    #[inline(always)]
    fn min_x86(self, o: Self) -> Self {
        A(avx!(_mm256_min_ps(self.0, o.0)))
    }
    #[inline(always)]
    fn max_x86(self, o: Self) -> Self {
        A(avx!(_mm256_max_ps(self.0, o.0)))
    }
    #[inline(always)]
    fn and(self, o: Self) -> Self {
        A(avx!(_mm256_and_ps(self.0, o.0)))
    }
    #[inline(always)]
    fn or(self, o: Self) -> Self {
        A(avx!(_mm256_or_ps(self.0, o.0)))
    }
    #[inline(always)]
    fn andnot(self, o: Self) -> Self {
        A(avx!(_mm256_andnot_ps(self.0, o.0)))
    }
    #[inline(always)]
    fn lt(self, o: Self) -> Self {
        A(avx!(_mm256_cmp_ps::<_CMP_LT_OQ>(self.0, o.0)))
    }
    #[inline(always)]
    fn gt(self, o: Self) -> Self {
        A(avx!(_mm256_cmp_ps::<_CMP_GT_OQ>(self.0, o.0)))
    }
    #[inline(always)]
    fn ge(self, o: Self) -> Self {
        A(avx!(_mm256_cmp_ps::<_CMP_GE_OQ>(self.0, o.0)))
    }
    #[inline(always)]
    fn eq(self, o: Self) -> Self {
        A(avx!(_mm256_cmp_ps::<_CMP_EQ_OQ>(self.0, o.0)))
    }
    #[inline(always)]
    fn is_nan(self) -> Self {
        A(avx!(_mm256_cmp_ps::<_CMP_UNORD_Q>(self.0, self.0)))
    }
    #[inline(always)]
    fn select(m: Self, a: Self, b: Self) -> Self {
        A(avx!(_mm256_blendv_ps(b.0, a.0, m.0)))
    }
    #[inline(always)]
    fn round(self) -> Self {
        A(avx!(_mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(self.0)))
    }
    #[inline(always)]
    fn pow2i(self) -> Self {
        avx!({
            let n = _mm256_cvtps_epi32(self.0);
            A(_mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(n, _mm256_set1_epi32(127)))))
        })
    }
    #[inline(always)]
    fn frexp(self) -> (Self, Self) {
        avx!({
            let bits = _mm256_castps_si256(self.0);
            let m = _mm256_or_si256(
                _mm256_and_si256(bits, _mm256_set1_epi32(0x007f_ffff)),
                _mm256_set1_epi32(0x3f00_0000),
            );
            let e = _mm256_sub_epi32(_mm256_srli_epi32::<23>(bits), _mm256_set1_epi32(126));
            (A(_mm256_castsi256_ps(m)), A(_mm256_cvtepi32_ps(e)))
        })
    }
}

impl VfAcc for A {
    type Acc = (__m256d, __m256d);
    #[inline(always)]
    fn acc_zero() -> Self::Acc {
        avx!((_mm256_setzero_pd(), _mm256_setzero_pd()))
    }
    #[inline(always)]
    fn acc_add(acc: Self::Acc, v: Self) -> Self::Acc {
        avx!({
            let lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v.0));
            let hi = _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(v.0));
            (_mm256_add_pd(acc.0, lo), _mm256_add_pd(acc.1, hi))
        })
    }
    #[inline(always)]
    fn acc_dot(acc: Self::Acc, a: Self, b: Self) -> Self::Acc {
        avx!({
            let alo = _mm256_cvtps_pd(_mm256_castps256_ps128(a.0));
            let ahi = _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(a.0));
            let blo = _mm256_cvtps_pd(_mm256_castps256_ps128(b.0));
            let bhi = _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(b.0));
            (_mm256_fmadd_pd(alo, blo, acc.0), _mm256_fmadd_pd(ahi, bhi, acc.1))
        })
    }
    #[inline(always)]
    fn acc_sqdiff(acc: Self::Acc, a: Self, b: Self) -> Self::Acc {
        avx!({
            let dlo = _mm256_sub_pd(
                _mm256_cvtps_pd(_mm256_castps256_ps128(a.0)),
                _mm256_cvtps_pd(_mm256_castps256_ps128(b.0)),
            );
            let dhi = _mm256_sub_pd(
                _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(a.0)),
                _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(b.0)),
            );
            (_mm256_fmadd_pd(dlo, dlo, acc.0), _mm256_fmadd_pd(dhi, dhi, acc.1))
        })
    }
    #[inline(always)]
    fn acc_merge(a: Self::Acc, b: Self::Acc) -> Self::Acc {
        avx!((_mm256_add_pd(a.0, b.0), _mm256_add_pd(a.1, b.1)))
    }
    #[inline(always)]
    fn acc_total(acc: Self::Acc) -> f64 {
        let mut lanes = [0.0f64; 4];
        // SAFETY: `lanes` has four f64; unaligned store; AVX available (module invariant).
        unsafe { _mm256_storeu_pd(lanes.as_mut_ptr(), _mm256_add_pd(acc.0, acc.1)) };
        (lanes[0] + lanes[2]) + (lanes[1] + lanes[3])
    }
}

// Entry points. Each is `unsafe` with one precondition: the CPU supports AVX2 and FMA.

/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn map(op: UnaryOp, src: &[f32], dst: &mut [f32]) {
    super::map::<A>(op, src, dst)
}
/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn map_inplace(op: UnaryOp, buf: &mut [f32]) {
    super::map_inplace::<A>(op, buf)
}
/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn bias_act(
    u: &mut [f32],
    bias: &[f32],
    f: ActivationKind,
    h: &mut [f32],
    dh: Option<&mut [f32]>,
) {
    super::bias_act::<A>(u, bias, f, h, dh)
}
/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn antiderivative_sum(u: &[f32], bias: &[f32], f: ActivationKind) -> f64 {
    super::antiderivative_sum::<A>(u, bias, f)
}
/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn dot(a: &[f32], b: &[f32]) -> f64 {
    super::dot::<A>(a, b)
}
/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn sum(a: &[f32]) -> f64 {
    super::sum::<A>(a)
}
/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn sum_sq(a: &[f32]) -> f64 {
    super::sum_sq::<A>(a)
}
/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn sq_dist(a: &[f32], b: &[f32]) -> f64 {
    super::sq_dist::<A>(a, b)
}
