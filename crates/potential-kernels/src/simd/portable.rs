//! The portable path: the generic kernels of [`super`] over a plain `[f32; 8]`, which the compiler
//! vectorises for whatever the build targets (SSE2 on a default x86-64 build). No `unsafe`, no
//! target features, correct on every architecture.
//!
//! `fma`/`fnma` are *not* fused here (two roundings), so results may differ from the AVX2 path by an
//! ulp or so; both stay within the documented bounds.

use super::{Vf, VfAcc};
use crate::elementwise::UnaryOp;
use crate::ActivationKind;

#[derive(Clone, Copy)]
pub(crate) struct P([f32; 8]);

#[inline(always)]
fn zip(a: P, b: P, f: impl Fn(f32, f32) -> f32) -> P {
    P(std::array::from_fn(|i| f(a.0[i], b.0[i])))
}

#[inline(always)]
fn zipb(a: P, b: P, f: impl Fn(u32, u32) -> u32) -> P {
    P(std::array::from_fn(|i| f32::from_bits(f(a.0[i].to_bits(), b.0[i].to_bits()))))
}

#[inline(always)]
fn mask(b: bool) -> f32 {
    f32::from_bits(if b { u32::MAX } else { 0 })
}

impl Vf for P {
    const LANES: usize = 8;
    #[inline(always)]
    fn splat(x: f32) -> Self {
        P([x; 8])
    }
    #[inline(always)]
    fn load(s: &[f32]) -> Self {
        let mut a = [0.0; 8];
        a.copy_from_slice(&s[..8]);
        P(a)
    }
    #[inline(always)]
    fn store(self, d: &mut [f32]) {
        d[..8].copy_from_slice(&self.0);
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        zip(self, o, |a, b| a + b)
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        zip(self, o, |a, b| a - b)
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        zip(self, o, |a, b| a * b)
    }
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        zip(self, o, |a, b| a / b)
    }
    #[inline(always)]
    fn fma(self, b: Self, c: Self) -> Self {
        self.mul(b).add(c)
    }
    #[inline(always)]
    fn fnma(self, b: Self, c: Self) -> Self {
        c.sub(self.mul(b))
    }
    #[inline(always)]
    fn min_x86(self, o: Self) -> Self {
        zip(self, o, |a, b| if a < b { a } else { b })
    }
    #[inline(always)]
    fn max_x86(self, o: Self) -> Self {
        zip(self, o, |a, b| if a > b { a } else { b })
    }
    #[inline(always)]
    fn and(self, o: Self) -> Self {
        zipb(self, o, |a, b| a & b)
    }
    #[inline(always)]
    fn or(self, o: Self) -> Self {
        zipb(self, o, |a, b| a | b)
    }
    #[inline(always)]
    fn andnot(self, o: Self) -> Self {
        zipb(self, o, |a, b| !a & b)
    }
    #[inline(always)]
    fn lt(self, o: Self) -> Self {
        zip(self, o, |a, b| mask(a < b))
    }
    #[inline(always)]
    fn gt(self, o: Self) -> Self {
        zip(self, o, |a, b| mask(a > b))
    }
    #[inline(always)]
    fn ge(self, o: Self) -> Self {
        zip(self, o, |a, b| mask(a >= b))
    }
    #[inline(always)]
    fn eq(self, o: Self) -> Self {
        zip(self, o, |a, b| mask(a == b))
    }
    #[inline(always)]
    fn is_nan(self) -> Self {
        P(self.0.map(|a| mask(a.is_nan())))
    }
    #[inline(always)]
    fn select(m: Self, a: Self, b: Self) -> Self {
        P(std::array::from_fn(|i| if m.0[i].to_bits() != 0 { a.0[i] } else { b.0[i] }))
    }
    #[inline(always)]
    fn round(self) -> Self {
        P(self.0.map(f32::round_ties_even))
    }
    #[inline(always)]
    fn pow2i(self) -> Self {
        // `as` saturates and maps NaN to 0; callers only pass integral n ∈ [−126, 127] or NaN.
        P(self.0.map(|n| f32::from_bits((((n as i32) + 127) as u32 & 0xff) << 23)))
    }
    #[inline(always)]
    fn frexp(self) -> (Self, Self) {
        let m = self.0.map(|x| f32::from_bits((x.to_bits() & 0x007f_ffff) | 0x3f00_0000));
        let e = self.0.map(|x| ((x.to_bits() >> 23) as i32 - 126) as f32);
        (P(m), P(e))
    }
}

impl VfAcc for P {
    type Acc = [f64; 8];
    #[inline(always)]
    fn acc_zero() -> Self::Acc {
        [0.0; 8]
    }
    #[inline(always)]
    fn acc_add(acc: Self::Acc, v: Self) -> Self::Acc {
        std::array::from_fn(|i| acc[i] + v.0[i] as f64)
    }
    #[inline(always)]
    fn acc_dot(acc: Self::Acc, a: Self, b: Self) -> Self::Acc {
        std::array::from_fn(|i| acc[i] + a.0[i] as f64 * b.0[i] as f64)
    }
    #[inline(always)]
    fn acc_sqdiff(acc: Self::Acc, a: Self, b: Self) -> Self::Acc {
        std::array::from_fn(|i| {
            let d = a.0[i] as f64 - b.0[i] as f64;
            acc[i] + d * d
        })
    }
    #[inline(always)]
    fn acc_merge(a: Self::Acc, b: Self::Acc) -> Self::Acc {
        std::array::from_fn(|i| a[i] + b[i])
    }
    #[inline(always)]
    fn acc_total(acc: Self::Acc) -> f64 {
        ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
    }
}

pub(crate) fn map(op: UnaryOp, src: &[f32], dst: &mut [f32]) {
    super::map::<P>(op, src, dst)
}
pub(crate) fn map_inplace(op: UnaryOp, buf: &mut [f32]) {
    super::map_inplace::<P>(op, buf)
}
pub(crate) fn bias_act(
    u: &mut [f32],
    bias: &[f32],
    f: ActivationKind,
    h: &mut [f32],
    dh: Option<&mut [f32]>,
) {
    super::bias_act::<P>(u, bias, f, h, dh)
}
pub(crate) fn antiderivative_sum(u: &[f32], bias: &[f32], f: ActivationKind) -> f64 {
    super::antiderivative_sum::<P>(u, bias, f)
}
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f64 {
    super::dot::<P>(a, b)
}
pub(crate) fn sum(a: &[f32]) -> f64 {
    super::sum::<P>(a)
}
pub(crate) fn sum_sq(a: &[f32]) -> f64 {
    super::sum_sq::<P>(a)
}
pub(crate) fn sq_dist(a: &[f32], b: &[f32]) -> f64 {
    super::sq_dist::<P>(a, b)
}
