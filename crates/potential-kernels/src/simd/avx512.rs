//! The lane-wise maps of [`super`] over `__m512` (sixteen lanes), instantiated inside
//! `#[target_feature(enable = "avx512f,avx2,fma")]` entry points. Each lane goes through the same
//! IEEE operations as on the AVX2 path (the same FMAs, the same correctly rounded divisions, the
//! same `minps`/`maxps` NaN rules, round-to-nearest-even, the same integer bit tricks), so the
//! results are the AVX2 path's bit for bit; only the loop is twice as wide. Masks stay vectors of
//! all-ones or all-zeros lanes, as the generic code expects: a comparison's `__mmask16` is widened
//! with `vpbroadcastd`, and `select` tests the sign bit as `vblendvps` does.
//!
//! Only AVX-512 F is used (no DQ: the bitwise operations go through the integer forms).
//!
//! # Safety
//! A value of type [`Z`] may only exist while running on a CPU with AVX-512 F, AVX2 and FMA: the
//! type is private to this module and created only inside the entry points below, which are
//! `unsafe fn`s whose contract is exactly that the caller has checked those features (see
//! `crate::paths`). The `#[inline(always)]` methods are inlined into those entry points, where the
//! intrinsics are enabled.

use super::Vf;
use crate::elementwise::UnaryOp;
use crate::ActivationKind;
use std::arch::x86_64::*;

/// Sixteen `f32` lanes in a ZMM register. Private to this module: see the module's `# Safety`.
#[derive(Clone, Copy)]
struct Z(__m512);

/// Wrap an intrinsic call whose only precondition is that AVX-512 F is available, which holds
/// wherever a [`Z`] exists (module invariant above).
macro_rules! zmm {
    ($e:expr) => {{
        // SAFETY: `Z` values only exist inside the `#[target_feature(enable = "avx512f,avx2,fma")]`
        // entry points of this module, which callers may only run after detecting those features.
        unsafe { $e }
    }};
}

impl Z {
    /// The all-ones / all-zeros vector of a comparison mask.
    #[inline(always)]
    fn widen(k: __mmask16) -> Self {
        Z(zmm!(_mm512_castsi512_ps(_mm512_maskz_set1_epi32(k, -1))))
    }
    #[inline(always)]
    fn bits(self) -> __m512i {
        zmm!(_mm512_castps_si512(self.0))
    }
    #[inline(always)]
    fn from_bits(v: __m512i) -> Self {
        Z(zmm!(_mm512_castsi512_ps(v)))
    }
}

impl Vf for Z {
    const LANES: usize = 16;
    #[inline(always)]
    fn splat(x: f32) -> Self {
        Z(zmm!(_mm512_set1_ps(x)))
    }
    #[inline(always)]
    fn load(s: &[f32]) -> Self {
        assert!(s.len() >= 16);
        // SAFETY: `s` has at least sixteen elements (checked above); unaligned load; AVX-512 F
        // available (module invariant).
        Z(unsafe { _mm512_loadu_ps(s.as_ptr()) })
    }
    #[inline(always)]
    fn store(self, d: &mut [f32]) {
        assert!(d.len() >= 16);
        // SAFETY: `d` has at least sixteen writable elements (checked above); unaligned store;
        // AVX-512 F available (module invariant).
        unsafe { _mm512_storeu_ps(d.as_mut_ptr(), self.0) }
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Z(zmm!(_mm512_add_ps(self.0, o.0)))
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Z(zmm!(_mm512_sub_ps(self.0, o.0)))
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        Z(zmm!(_mm512_mul_ps(self.0, o.0)))
    }
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        Z(zmm!(_mm512_div_ps(self.0, o.0)))
    }
    #[inline(always)]
    fn fma(self, b: Self, c: Self) -> Self {
        Z(zmm!(_mm512_fmadd_ps(self.0, b.0, c.0)))
    }
    #[inline(always)]
    fn fnma(self, b: Self, c: Self) -> Self {
        Z(zmm!(_mm512_fnmadd_ps(self.0, b.0, c.0)))
    }
    #[inline(always)]
    fn min_x86(self, o: Self) -> Self {
        Z(zmm!(_mm512_min_ps(self.0, o.0)))
    }
    #[inline(always)]
    fn max_x86(self, o: Self) -> Self {
        Z(zmm!(_mm512_max_ps(self.0, o.0)))
    }
    #[inline(always)]
    fn and(self, o: Self) -> Self {
        Z::from_bits(zmm!(_mm512_and_si512(self.bits(), o.bits())))
    }
    #[inline(always)]
    fn or(self, o: Self) -> Self {
        Z::from_bits(zmm!(_mm512_or_si512(self.bits(), o.bits())))
    }
    #[inline(always)]
    fn andnot(self, o: Self) -> Self {
        Z::from_bits(zmm!(_mm512_andnot_si512(self.bits(), o.bits())))
    }
    #[inline(always)]
    fn lt(self, o: Self) -> Self {
        Z::widen(zmm!(_mm512_cmp_ps_mask::<_CMP_LT_OQ>(self.0, o.0)))
    }
    #[inline(always)]
    fn gt(self, o: Self) -> Self {
        Z::widen(zmm!(_mm512_cmp_ps_mask::<_CMP_GT_OQ>(self.0, o.0)))
    }
    #[inline(always)]
    fn ge(self, o: Self) -> Self {
        Z::widen(zmm!(_mm512_cmp_ps_mask::<_CMP_GE_OQ>(self.0, o.0)))
    }
    #[inline(always)]
    fn eq(self, o: Self) -> Self {
        Z::widen(zmm!(_mm512_cmp_ps_mask::<_CMP_EQ_OQ>(self.0, o.0)))
    }
    #[inline(always)]
    fn is_nan(self) -> Self {
        Z::widen(zmm!(_mm512_cmp_ps_mask::<_CMP_UNORD_Q>(self.0, self.0)))
    }
    #[inline(always)]
    fn select(m: Self, a: Self, b: Self) -> Self {
        // The sign bit of each mask lane chooses, as `vblendvps` on the AVX2 path.
        zmm!({
            let k = _mm512_cmplt_epi32_mask(m.bits(), _mm512_setzero_si512());
            Z(_mm512_mask_blend_ps(k, b.0, a.0))
        })
    }
    #[inline(always)]
    fn round(self) -> Self {
        Z(zmm!(_mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(self.0)))
    }
    #[inline(always)]
    fn pow2i(self) -> Self {
        zmm!({
            let n = _mm512_cvtps_epi32(self.0);
            Z::from_bits(_mm512_slli_epi32::<23>(_mm512_add_epi32(n, _mm512_set1_epi32(127))))
        })
    }
    #[inline(always)]
    fn frexp(self) -> (Self, Self) {
        zmm!({
            let bits = self.bits();
            let m = _mm512_or_si512(
                _mm512_and_si512(bits, _mm512_set1_epi32(0x007f_ffff)),
                _mm512_set1_epi32(0x3f00_0000),
            );
            let e = _mm512_sub_epi32(_mm512_srli_epi32::<23>(bits), _mm512_set1_epi32(126));
            (Z::from_bits(m), Z(_mm512_cvtepi32_ps(e)))
        })
    }
}

// Entry points. Each is `unsafe` with one precondition: the CPU supports AVX-512 F, AVX2 and FMA.

/// # Safety
/// The CPU must support AVX-512 F, AVX2 and FMA.
#[target_feature(enable = "avx512f,avx2,fma")]
pub(crate) unsafe fn map(op: UnaryOp, src: &[f32], dst: &mut [f32]) {
    super::map::<Z>(op, src, dst)
}
/// # Safety
/// The CPU must support AVX-512 F, AVX2 and FMA.
#[target_feature(enable = "avx512f,avx2,fma")]
pub(crate) unsafe fn map_inplace(op: UnaryOp, buf: &mut [f32]) {
    super::map_inplace::<Z>(op, buf)
}
/// # Safety
/// The CPU must support AVX-512 F, AVX2 and FMA.
#[target_feature(enable = "avx512f,avx2,fma")]
pub(crate) unsafe fn bias_act(
    u: &mut [f32],
    bias: &[f32],
    f: ActivationKind,
    h: &mut [f32],
    dh: Option<&mut [f32]>,
) {
    super::bias_act::<Z>(u, bias, f, h, dh)
}
