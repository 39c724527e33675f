//! The AVX-512 micro-kernel of [`sgemm512`](super::sgemm512): 6×32 tiles over two adjacent
//! 16-column B panels, finished by the AVX2 kernel's [`epilogue`](super::epilogue).

use super::{epilogue, Update, MR, NR};
use std::arch::x86_64::*;

/// A tile of up to 6 rows and 17–32 columns on AVX-512: two 16-column B panels (`bp` and
/// `bp + NR·kc`, consecutive in the packing), dispatched on `mr` like [`tile`].
///
/// # Safety
/// As [`kernel512`].
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn tile512(
    kc: usize,
    ap: *const f32,
    bp: *const f32,
    alpha: f32,
    beta: f32,
    c: *mut f32,
    csr: usize,
    csc: usize,
    mr: usize,
    nr: usize,
    upd: Option<Update>,
) -> bool {
    macro_rules! k {
        ($r:literal) => {
            // SAFETY: forwarded contract of `tile512` (= `kernel512`'s); R = mr.
            unsafe { kernel512::<$r>(kc, ap, bp, alpha, beta, c, csr, csc, nr, upd) }
        };
    }
    match mr {
        6 => k!(6),
        5 => k!(5),
        4 => k!(4),
        3 => k!(3),
        2 => k!(2),
        _ => k!(1),
    }
}

/// The AVX-512 micro-kernel for the first `R` rows and `nr` ∈ 17..=32 columns: 2·R zmm
/// accumulators, `acc = fma(a_p, b_p, acc)` for p = 0..kc in order — per element exactly the
/// FMAs of [`kernel`] — then each 16-column half through [`epilogue`], so the result equals the
/// AVX2 kernel's bit for bit.
///
/// # Safety
/// AVX-512 F, AVX2 and FMA available; `ap` points to `MR·kc` and `bp` to `2·NR·kc` readable
/// floats; `c` to an R×nr block with strides `(csr, csc)` valid for reads and writes; with `upd`,
/// its W (and V) block likewise (not overlapping C) and R readable γ values.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn kernel512<const R: usize>(
    kc: usize,
    ap: *const f32,
    bp: *const f32,
    alpha: f32,
    beta: f32,
    c: *mut f32,
    csr: usize,
    csc: usize,
    nr: usize,
    upd: Option<Update>,
) -> bool {
    debug_assert!(nr > NR && nr <= 2 * NR);
    // SAFETY: (whole body) the pointer arithmetic stays within the packed panels (p < kc) and
    // the C block (r < R, j < nr) per the contract above; the intrinsics need AVX-512 F / AVX2 /
    // FMA, which the caller (`sgemm512`) guarantees.
    unsafe {
        if csc == 1 {
            for r in 0..R {
                let cp = c.add(r * csr);
                _mm_prefetch::<_MM_HINT_T0>(cp as *const i8);
                _mm_prefetch::<_MM_HINT_T0>(cp.add(nr - 1) as *const i8);
            }
        }
        let bp1 = bp.add(NR * kc);
        let mut acc = [[_mm512_setzero_ps(); 2]; R];
        macro_rules! step {
            ($p:expr) => {{
                let p = $p;
                let b0 = _mm512_loadu_ps(bp.add(p * NR));
                let b1 = _mm512_loadu_ps(bp1.add(p * NR));
                let a = ap.add(p * MR);
                for (r, accr) in acc.iter_mut().enumerate() {
                    let av = _mm512_set1_ps(*a.add(r));
                    accr[0] = _mm512_fmadd_ps(av, b0, accr[0]);
                    accr[1] = _mm512_fmadd_ps(av, b1, accr[1]);
                }
            }};
        }
        let mut p = 0;
        while p + 4 <= kc {
            step!(p);
            step!(p + 1);
            step!(p + 2);
            step!(p + 3);
            p += 4;
        }
        while p < kc {
            step!(p);
            p += 1;
        }
        // The accumulators as 8-lane vectors: columns 0–15 and 16–31.
        let mut tmp = [[0.0f32; 2 * NR]; R];
        for (t, accr) in tmp.iter_mut().zip(&acc) {
            _mm512_storeu_ps(t.as_mut_ptr(), accr[0]);
            _mm512_storeu_ps(t.as_mut_ptr().add(NR), accr[1]);
        }
        let mut lo = [[_mm256_setzero_ps(); 2]; R];
        let mut hi = [[_mm256_setzero_ps(); 2]; R];
        for r in 0..R {
            for v in 0..2 {
                lo[r][v] = _mm256_loadu_ps(tmp[r].as_ptr().add(8 * v));
                hi[r][v] = _mm256_loadu_ps(tmp[r].as_ptr().add(NR + 8 * v));
            }
        }
        let mut ok = epilogue::<R, 2>(lo, alpha, beta, c, csr, csc, NR, upd);
        let (c2, u2, nr2) = (c.add(NR * csc), upd.map(|u| u.at(0, NR)), nr - NR);
        ok &= if nr2 > 8 {
            epilogue::<R, 2>(hi, alpha, beta, c2, csr, csc, nr2, u2)
        } else {
            let mut hi1 = [[_mm256_setzero_ps(); 1]; R];
            for r in 0..R {
                hi1[r][0] = hi[r][0];
            }
            epilogue::<R, 1>(hi1, alpha, beta, c2, csr, csc, nr2, u2)
        };
        ok
    }
}
