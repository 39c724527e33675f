//! A packed AVX2+FMA sgemm (BLIS-style 6×16 micro-kernel) used by [`crate::gemm`] on CPUs with
//! AVX2 and FMA; elsewhere `gemm` uses `matrixmultiply`.
//!
//! Loop nest (Goto/BLIS): columns of C in blocks of [`NC`]; k in `⌈k/KC_MAX⌉` equal blocks of at most
//! [`KC_MAX`] (equal blocks avoid a thin last block: k = 784 runs as 3 × 262, not 256+256+256+16);
//! B's block packed into 16-column panels; rows in blocks of [`MC`], A's block packed into 6-row
//! panels; then the 6×16 micro-kernel, which keeps the 6×16 tile of C in twelve `ymm` registers
//! (two 8-wide loads of B and six broadcasts of A feed twelve FMAs per step of k).
//!
//! Every element of C is computed the same way wherever it sits (full tile or edge tile):
//! `acc = Σₚ a·b` by FMA in order of p within a k-block, then `c ← fma(β′, c, α·acc)` with β′ = β
//! for the first k-block (β = 0: C is not read) and 1 after. So results do not depend on m, n, the
//! tiling or how [`crate::gemm`] splits the product between threads.

use crate::mat::MatRef;
use std::arch::x86_64::*;
use std::cell::RefCell;

/// Rows of the micro-tile.
const MR: usize = 6;
/// Columns of the micro-tile (two `ymm`).
const NR: usize = 16;
/// Rows of A packed at a time (a multiple of MR): 120 × 262 × 4 B ≈ 123 KiB, inside L2.
const MC: usize = 120;
/// Largest k-block: one 16-column panel of B is ≤ 20 KiB, inside L1 with the A panel.
const KC_MAX: usize = 320;
/// Columns of B packed at a time (a multiple of NR).
const NC: usize = 2048;

thread_local! {
    /// Packing buffers (A block, B block), reused across calls to avoid page faults of fresh
    /// allocations on every product.
    static PACK: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// `C ← α·A·B + β·C`, C an m×n block at `c` with strides `(csr, csc)`.
///
/// # Safety
/// The CPU must support AVX2 and FMA. `c` must point to an m×n block with strides `(csr, csc)`
/// inside one allocation, valid for reads and writes, with pairwise distinct elements not accessed
/// by anyone else during the call. `a` is m×k and `b` k×n.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn sgemm(
    alpha: f32,
    a: MatRef<'_>,
    b: MatRef<'_>,
    beta: f32,
    c: *mut f32,
    m: usize,
    n: usize,
    csr: usize,
    csc: usize,
) {
    let k = a.cols();
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 || alpha == 0.0 {
        for i in 0..m {
            for j in 0..n {
                // SAFETY: (i, j) is inside the m×n block (caller contract).
                let p = unsafe { c.add(i * csr + j * csc) };
                // SAFETY: as above; β = 0 writes without reading.
                unsafe { *p = if beta == 0.0 { 0.0 } else { beta * *p } };
            }
        }
        return;
    }
    let kblocks = k.div_ceil(KC_MAX);
    let kc_step = k.div_ceil(kblocks);
    let nc_max = NC.min(n.div_ceil(NR) * NR);
    let mc_max = MC.min(m.div_ceil(MR) * MR);
    PACK.with(|cell| {
        let mut bufs = cell.borrow_mut();
        let (apack, bpack) = &mut *bufs;
        if apack.len() < kc_step * mc_max {
            apack.resize(kc_step * mc_max, 0.0);
        }
        if bpack.len() < kc_step * nc_max {
            bpack.resize(kc_step * nc_max, 0.0);
        }
        let mut jc = 0;
        while jc < n {
            let nc = NC.min(n - jc);
            let mut pc = 0;
            while pc < k {
                let kc = kc_step.min(k - pc);
                pack_b(b, pc, jc, kc, nc, bpack);
                let beta_eff = if pc == 0 { beta } else { 1.0 };
                let mut ic = 0;
                while ic < m {
                    let mc = MC.min(m - ic);
                    pack_a(a, ic, pc, mc, kc, apack);
                    let mut jr = 0;
                    while jr < nc {
                        let nr = NR.min(nc - jr);
                        let mut ir = 0;
                        while ir < mc {
                            let mr = MR.min(mc - ir);
                            // SAFETY: the A panel at ir·kc holds MR·kc packed values and the B panel
                            // at jr·kc holds NR·kc (buffers sized above); the tile (ic+ir, jc+jr) of
                            // mr×nr elements is inside C's block (caller contract); AVX2+FMA are
                            // enabled in this function.
                            unsafe {
                                kernel(
                                    kc,
                                    apack.as_ptr().add(ir * kc),
                                    bpack.as_ptr().add(jr * kc),
                                    alpha,
                                    beta_eff,
                                    c.add((ic + ir) * csr + (jc + jr) * csc),
                                    csr,
                                    csc,
                                    mr,
                                    nr,
                                )
                            };
                            ir += MR;
                        }
                        jr += NR;
                    }
                    ic += MC;
                }
                pc += kc;
            }
            jc += NC;
        }
    });
}

/// Pack `A[ic..ic+mc, pc..pc+kc]` into MR-row panels: `out[ir·kc + p·MR + r] = A[ic+ir+r, pc+p]`,
/// zero past the last row.
#[inline(always)]
fn pack_a(a: MatRef<'_>, ic: usize, pc: usize, mc: usize, kc: usize, out: &mut [f32]) {
    let (rs, cs) = (a.row_stride(), a.col_stride());
    let data = a.as_slice();
    let mut ir = 0;
    while ir < mc {
        let mr = MR.min(mc - ir);
        let panel = &mut out[ir * kc..ir * kc + MR * kc];
        if mr == MR {
            let base: [usize; MR] = std::array::from_fn(|r| (ic + ir + r) * rs + pc * cs);
            for (p, dst) in panel.chunks_exact_mut(MR).enumerate() {
                for r in 0..MR {
                    dst[r] = data[base[r] + p * cs];
                }
            }
        } else {
            for (p, dst) in panel.chunks_exact_mut(MR).enumerate() {
                for (r, d) in dst.iter_mut().enumerate() {
                    *d = if r < mr { data[(ic + ir + r) * rs + (pc + p) * cs] } else { 0.0 };
                }
            }
        }
        ir += MR;
    }
}

/// Pack `B[pc..pc+kc, jc..jc+nc]` into NR-column panels: `out[jr·kc + p·NR + j] = B[pc+p, jc+jr+j]`,
/// zero past the last column.
#[inline(always)]
fn pack_b(b: MatRef<'_>, pc: usize, jc: usize, kc: usize, nc: usize, out: &mut [f32]) {
    let (rs, cs) = (b.row_stride(), b.col_stride());
    let data = b.as_slice();
    let mut jr = 0;
    while jr < nc {
        let nr = NR.min(nc - jr);
        let panel = &mut out[jr * kc..jr * kc + NR * kc];
        for (p, dst) in panel.chunks_exact_mut(NR).enumerate() {
            let row = (pc + p) * rs + (jc + jr) * cs;
            if nr == NR && cs == 1 {
                dst.copy_from_slice(&data[row..row + NR]);
            } else {
                for (j, d) in dst.iter_mut().enumerate() {
                    *d = if j < nr { data[row + j * cs] } else { 0.0 };
                }
            }
        }
        jr += NR;
    }
}

/// The 6×16 micro-kernel: `C[0..mr, 0..nr] ← fma(β, C, α·Σₚ a_p ⊗ b_p)`.
///
/// # Safety
/// AVX2+FMA available; `ap` points to `MR·kc` and `bp` to `NR·kc` readable floats; `c` to an mr×nr
/// block with strides `(csr, csc)` valid for reads and writes.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn kernel(
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
) {
    // SAFETY: (whole body) the pointer arithmetic stays within the packed panels (p < kc) and the
    // C block (r < mr, j < nr) per the contract above; the intrinsics need AVX/FMA, which the
    // caller (`sgemm`, `#[target_feature(enable = "avx2,fma")]`) guarantees.
    unsafe {
        // Start fetching the C tile now: for large C it comes from memory, and the k loop below
        // (≈ kc·6 cycles) hides the latency.
        if csc == 1 {
            for r in 0..mr {
                let cp = c.add(r * csr);
                _mm_prefetch::<_MM_HINT_T0>(cp as *const i8);
                _mm_prefetch::<_MM_HINT_T0>(cp.add(nr - 1) as *const i8);
            }
        }
        let mut acc = [[_mm256_setzero_ps(); 2]; MR];
        let step = |acc: &mut [[__m256; 2]; MR], p: usize| {
            let b0 = _mm256_loadu_ps(bp.add(p * NR));
            let b1 = _mm256_loadu_ps(bp.add(p * NR + 8));
            let a = ap.add(p * MR);
            for (r, accr) in acc.iter_mut().enumerate() {
                let av = _mm256_broadcast_ss(&*a.add(r));
                accr[0] = _mm256_fmadd_ps(av, b0, accr[0]);
                accr[1] = _mm256_fmadd_ps(av, b1, accr[1]);
            }
        };
        // Unrolled by four (same order of p, so the same rounding as a plain loop).
        let mut p = 0;
        while p + 4 <= kc {
            step(&mut acc, p);
            step(&mut acc, p + 1);
            step(&mut acc, p + 2);
            step(&mut acc, p + 3);
            p += 4;
        }
        while p < kc {
            step(&mut acc, p);
            p += 1;
        }
        let va = _mm256_set1_ps(alpha);
        if mr == MR && nr == NR && csc == 1 {
            let vb = _mm256_set1_ps(beta);
            for (r, accr) in acc.iter().enumerate() {
                let cp = c.add(r * csr);
                let (mut v0, mut v1) = (_mm256_mul_ps(accr[0], va), _mm256_mul_ps(accr[1], va));
                if beta != 0.0 {
                    v0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cp), v0);
                    v1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cp.add(8)), v1);
                }
                _mm256_storeu_ps(cp, v0);
                _mm256_storeu_ps(cp.add(8), v1);
            }
        } else {
            let mut tmp = [[0.0f32; NR]; MR];
            for (r, accr) in acc.iter().enumerate() {
                _mm256_storeu_ps(tmp[r].as_mut_ptr(), _mm256_mul_ps(accr[0], va));
                _mm256_storeu_ps(tmp[r].as_mut_ptr().add(8), _mm256_mul_ps(accr[1], va));
            }
            for (r, row) in tmp.iter().enumerate().take(mr) {
                for (j, &v) in row.iter().enumerate().take(nr) {
                    let cp = c.add(r * csr + j * csc);
                    *cp = if beta == 0.0 { v } else { beta.mul_add(*cp, v) };
                }
            }
        }
    }
}
