//! The `vdpbf16ps` kernel (AVX-512 F + BF16): 6×64 micro-tiles, 24 zmm accumulators.

use super::{pair, Bf16Weights, KC_MAX, MC, MR, NR, NV};
use crate::MatRef;
use std::arch::x86_64::*;

/// Rows `i0..i0+mc` of the product into `c` (row stride `ldc`): convert those rows of X to
/// bf16 pairs in `a` (`[row][pair]`, rows from mc up to the next multiple of MR zeroed), then
/// for each pass over ≤ KC_MAX pairs, each 64-column panel of W and each 6-row panel of X, one
/// micro-tile; the first pass stores, the later ones add to what is stored.
///
/// # Safety
/// avx512f and avx512bf16 are available; `a.len() ≥ MC·kpp` (`w.kpp` ≥ ⌈k/2⌉ ≥ 1), mc ≤ MC;
/// `c` holds rows `i0..i0+mc` of an m×n (n = w.rows()) matrix with row stride `ldc` and
/// column stride 1: `(i0 + mc − 1)·ldc + n ≤ c.len()`.
#[target_feature(enable = "avx512f,avx512bf16")]
pub(super) unsafe fn block(
    x: MatRef<'_>,
    i0: usize,
    mc: usize,
    w: &Bf16Weights,
    a: &mut [u32],
    c: &mut [f32],
    ldc: usize,
) {
    let (n, k) = (w.n, w.k);
    let kp = k.div_ceil(2);
    debug_assert!(a.len() >= MC * w.kpp && mc <= MC && (i0 + mc - 1) * ldc + n <= c.len());
    // SAFETY: the caller guarantees the features and the size of `a`.
    unsafe { convert_rows(x, i0, mc, mc.div_ceil(MR) * MR, w.kpp, a) };
    let passes = kp.div_ceil(KC_MAX);
    let kc_step = kp.div_ceil(passes);
    for p0 in (0..kp).step_by(kc_step) {
        let kc = kc_step.min(kp - p0);
        for jp in 0..n.div_ceil(NR) {
            let cols = NR.min(n - jp * NR);
            let masks: [u16; NV] = std::array::from_fn(|v| {
                (((1u32 << cols.saturating_sub(16 * v).min(16)) - 1) & 0xffff) as u16
            });
            let b = &w.data[jp * w.kpp * NR + p0 * NR..jp * w.kpp * NR + (p0 + kc) * NR];
            for ip in (0..mc).step_by(MR) {
                let rows = MR.min(mc - ip);
                let at = (i0 + ip) * ldc + jp * NR;
                // SAFETY: A rows ip..ip+MR exist (padded), from pair p0 on: kc pairs each with
                // row stride kp; `b` holds kc·NR lanes; C rows ip..ip+rows exist with `cols`
                // columns from jp·NR (masked), so every access is in bounds.
                unsafe {
                    tile(
                        kc,
                        a.as_ptr().add(ip * w.kpp + p0),
                        w.kpp,
                        b.as_ptr(),
                        c.as_mut_ptr().add(at),
                        ldc,
                        p0 == 0,
                        rows,
                        masks,
                    )
                };
            }
        }
    }
}

/// Rows `i0..i0+mc` of X as bf16 pairs into `a` (`[row][pair]`, row stride `kpp`, pairs from
/// ⌈k/2⌉ on and rows mc..mc_pad zero).
///
/// # Safety
/// avx512f and avx512bf16 are available; `a.len() ≥ mc_pad·kpp`, kpp ≥ ⌈k/2⌉, mc ≤ mc_pad.
#[target_feature(enable = "avx512f,avx512bf16")]
pub(super) unsafe fn convert_rows(
    x: MatRef<'_>,
    i0: usize,
    mc: usize,
    mc_pad: usize,
    kpp: usize,
    a: &mut [u32],
) {
    let kp = x.cols().div_ceil(2);
    for i in 0..mc_pad {
        let dst = &mut a[i * kpp..(i + 1) * kpp];
        if i < mc {
            // SAFETY: the caller guarantees the features; dst[..kp] has ⌈k/2⌉ lanes.
            unsafe { convert_row(x, i0 + i, &mut dst[..kp]) };
            dst[kp..].fill(0);
        } else {
            dst.fill(0);
        }
    }
}

/// Row `i` of X as bf16 pairs (the last pair zero-padded when k is odd): 32 values per
/// `vcvtne2ps2bf16` (round to nearest even), the tail by [`pair`] (the same rounding for
/// normal values).
///
/// # Safety
/// avx512f and avx512bf16 are available; `dst.len() = ⌈k/2⌉`.
#[target_feature(enable = "avx512f,avx512bf16")]
unsafe fn convert_row(x: MatRef<'_>, i: usize, dst: &mut [u32]) {
    let k = x.cols();
    match x.row(i) {
        Some(row) => {
            let mut j = 0;
            while j + 32 <= k {
                // SAFETY: j + 32 ≤ k = row.len(), and dst has ⌈k/2⌉ ≥ j/2 + 16 lanes.
                unsafe {
                    let lo = _mm512_loadu_ps(row.as_ptr().add(j));
                    let hi = _mm512_loadu_ps(row.as_ptr().add(j + 16));
                    let v: __m512i = std::mem::transmute(_mm512_cvtne2ps_pbh(hi, lo));
                    _mm512_storeu_si512(dst.as_mut_ptr().add(j / 2).cast(), v);
                }
                j += 32;
            }
            for p in j / 2..dst.len() {
                dst[p] = pair(row[2 * p], if 2 * p + 1 < k { row[2 * p + 1] } else { 0.0 });
            }
        }
        None => {
            for (p, d) in dst.iter_mut().enumerate() {
                *d = pair(x.get(i, 2 * p), if 2 * p + 1 < k { x.get(i, 2 * p + 1) } else { 0.0 });
            }
        }
    }
}

/// One MR×NR tile: `C[0..rows, lanes of masks] (=|+=) Σ_{p<kc} A[·, p] ⊗ B[p, ·]` with A's row
/// i at `a + i·lda` (one pair per step, broadcast) and B's step p at `b + p·NR` (NV vectors).
/// `first`: store, else add to C. The accumulators are 24 zmm registers.
///
/// # Safety
/// avx512f and avx512bf16 are available; `a + i·lda + p` readable for i < MR, p < kc;
/// `b + p·NR + l` readable for p < kc, l < NR; `c + i·ldc + 16v + l` readable and writable for
/// i < rows ≤ MR and every lane l set in `masks[v]`.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx512f,avx512bf16")]
unsafe fn tile(
    kc: usize,
    a: *const u32,
    lda: usize,
    b: *const u32,
    c: *mut f32,
    ldc: usize,
    first: bool,
    rows: usize,
    masks: [u16; NV],
) {
    let mut acc = [[_mm512_setzero_ps(); NV]; MR];
    if !first {
        for (i, acc_i) in acc.iter_mut().enumerate() {
            if i < rows {
                for (v, acc_iv) in acc_i.iter_mut().enumerate() {
                    // SAFETY: row i < rows and the lanes of masks[v] are in C (caller).
                    *acc_iv = unsafe { _mm512_maskz_loadu_ps(masks[v], c.add(i * ldc + 16 * v)) };
                }
            }
        }
    }
    for p in 0..kc {
        // SAFETY: p < kc: B's step p and A's pair p of each of the MR rows are readable; a
        // 32-bit pattern of two bf16 values is a valid __m512bh lane (the transmutes reinterpret
        // 64-byte vectors as 64-byte vectors).
        unsafe {
            let bp = b.add(p * NR);
            let bv: [__m512bh; NV] =
                std::array::from_fn(|v| std::mem::transmute(_mm512_loadu_si512(bp.add(16 * v).cast())));
            for (i, acc_i) in acc.iter_mut().enumerate() {
                let av: __m512bh = std::mem::transmute(_mm512_set1_epi32(*a.add(i * lda + p) as i32));
                for (acc_iv, &bvv) in acc_i.iter_mut().zip(&bv) {
                    *acc_iv = _mm512_dpbf16_ps(*acc_iv, av, bvv);
                }
            }
        }
    }
    let full = masks.iter().all(|&m| m == u16::MAX);
    for (i, acc_i) in acc.iter().enumerate() {
        if i < rows {
            for (v, &acc_iv) in acc_i.iter().enumerate() {
                // SAFETY: as for the loads above.
                unsafe {
                    let p = c.add(i * ldc + 16 * v);
                    if full {
                        _mm512_storeu_ps(p, acc_iv);
                    } else {
                        _mm512_mask_storeu_ps(p, masks[v], acc_iv);
                    }
                }
            }
        }
    }
}
