//! Packing of the sgemm operands: A into MR-row panels, B into NR-column panels (8×8 register
//! transposes for column-major B), and all of B at once for [`PackedB`](crate::PackedB).

use super::{kc_step, MR, NR};
use crate::MatRef;
use std::arch::x86_64::*;

/// Pack all of `b` (k×n) in the layout of [`Prepacked`] into `out` (resized to k·n16); with
/// `two_threads`, the k-blocks' two column halves are shared with the helper thread (the packed
/// values do not depend on who packs them).
///
/// # Safety
/// The CPU must support AVX2.
pub(crate) unsafe fn pack_b_all(b: MatRef<'_>, out: &mut Vec<f32>, two_threads: bool) {
    let (k, n) = (b.rows(), b.cols());
    let n16 = n.div_ceil(NR) * NR;
    // The pieces below write every value (zeros past the last column), so a buffer of the right
    // size is reused as it is: no zero fill of ~1.5 MB per training step.
    if out.len() != k * n16 {
        out.clear();
        out.resize(k * n16, 0.0);
    }
    let halves = if two_threads && n > NR { 2 } else { 1 };
    let half = n.div_ceil(NR).div_ceil(halves) * NR;
    let step = kc_step(k);
    let mut pieces = Vec::new();
    let mut pc = 0;
    while pc < k {
        let kc = step.min(k - pc);
        for jc in (0..n).step_by(half) {
            pieces.push((pc, kc, jc, half.min(n - jc)));
        }
        pc += kc;
    }
    struct Out(*mut f32);
    // SAFETY: the pieces write disjoint ranges of `out` (below), which outlives the loop.
    unsafe impl Sync for Out {}
    let base = Out(out.as_mut_ptr());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || loop {
        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Some(&(pc, kc, jc, nc)) = pieces.get(i) else { break };
        let base = &base;
        // SAFETY: piece (pc, jc) owns the ⌈nc/16⌉ panels of kc·16 values from pc·n16 + jc·kc
        // (jc a multiple of 16), inside `out` (k·n16 values) and disjoint from every other
        // piece's; AVX2 per the caller contract.
        unsafe {
            let dst =
                std::slice::from_raw_parts_mut(base.0.add(pc * n16 + jc * kc), nc.div_ceil(NR) * NR * kc);
            pack_piece(b, pc, jc, kc, nc, dst);
        }
    };
    if halves == 2 {
        crate::helper::run_pair(&work);
    } else {
        work();
    }
}

/// [`pack_b`] with the target features (closures do not inherit them).
///
/// # Safety
/// As [`pack_b`].
#[target_feature(enable = "avx2,fma")]
unsafe fn pack_piece(b: MatRef<'_>, pc: usize, jc: usize, kc: usize, nc: usize, out: &mut [f32]) {
    // SAFETY: forwarded contract.
    unsafe { pack_b(b, pc, jc, kc, nc, out) }
}

/// Transpose an 8×8 block held as eight rows: `out[i][j] = rows[j][i]`.
///
/// # Safety
/// AVX must be available (the callers run inside `#[target_feature(enable = "avx2,fma")]`).
#[inline(always)]
unsafe fn transpose8(r: [__m256; 8]) -> [__m256; 8] {
    // SAFETY: register-only shuffles; AVX available (caller contract).
    unsafe {
        let t0 = _mm256_unpacklo_ps(r[0], r[1]);
        let t1 = _mm256_unpackhi_ps(r[0], r[1]);
        let t2 = _mm256_unpacklo_ps(r[2], r[3]);
        let t3 = _mm256_unpackhi_ps(r[2], r[3]);
        let t4 = _mm256_unpacklo_ps(r[4], r[5]);
        let t5 = _mm256_unpackhi_ps(r[4], r[5]);
        let t6 = _mm256_unpacklo_ps(r[6], r[7]);
        let t7 = _mm256_unpackhi_ps(r[6], r[7]);
        let s0 = _mm256_shuffle_ps::<0x44>(t0, t2);
        let s1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
        let s2 = _mm256_shuffle_ps::<0x44>(t1, t3);
        let s3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
        let s4 = _mm256_shuffle_ps::<0x44>(t4, t6);
        let s5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
        let s6 = _mm256_shuffle_ps::<0x44>(t5, t7);
        let s7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
        [
            _mm256_permute2f128_ps::<0x20>(s0, s4),
            _mm256_permute2f128_ps::<0x20>(s1, s5),
            _mm256_permute2f128_ps::<0x20>(s2, s6),
            _mm256_permute2f128_ps::<0x20>(s3, s7),
            _mm256_permute2f128_ps::<0x31>(s0, s4),
            _mm256_permute2f128_ps::<0x31>(s1, s5),
            _mm256_permute2f128_ps::<0x31>(s2, s6),
            _mm256_permute2f128_ps::<0x31>(s3, s7),
        ]
    }
}

/// Eight floats of `s` from `at` (bounds-checked).
///
/// # Safety
/// AVX must be available.
#[inline(always)]
unsafe fn load8(s: &[f32], at: usize) -> __m256 {
    let s = &s[at..at + 8];
    // SAFETY: `s` holds eight floats (sliced above); unaligned load; AVX available (caller contract).
    unsafe { _mm256_loadu_ps(s.as_ptr()) }
}

/// Pack `A[ic..ic+mc, pc..pc+kc]` into MR-row panels: `out[ir·kc + p·MR + r] = A[ic+ir+r, pc+p]`,
/// zero past the last row. Row-major A (unit column stride) is transposed eight columns at a time
/// in registers; other layouts element by element.
///
/// # Safety
/// AVX2 must be available (the caller is `#[target_feature(enable = "avx2,fma")]`).
#[inline(always)]
pub(super) unsafe fn pack_a(a: MatRef<'_>, ic: usize, pc: usize, mc: usize, kc: usize, out: &mut [f32]) {
    let (rs, cs) = (a.row_stride(), a.col_stride());
    let data = a.as_slice();
    let mut ir = 0;
    while ir < mc {
        let mr = MR.min(mc - ir);
        let panel = &mut out[ir * kc..ir * kc + MR * kc];
        if mr == MR {
            let base: [usize; MR] = std::array::from_fn(|r| (ic + ir + r) * rs + pc * cs);
            let mut p0 = 0;
            if cs == 1 {
                // SAFETY: AVX2 available (caller contract); every load is a bounds-checked slice
                // of A's data (row ic+ir+r, columns pc+p0..pc+p0+8 ≤ pc+kc), every store a
                // bounds-checked eight-element slice of the panel, or six elements written through
                // a six-lane mask for the panel's last p.
                unsafe {
                    let mask6 = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
                    let zero = _mm256_setzero_ps();
                    while p0 + 8 <= kc {
                        let mut rows = [zero; 8];
                        for r in 0..MR {
                            rows[r] = load8(data, base[r] + p0);
                        }
                        let cols = transpose8(rows);
                        for (i, v) in cols.iter().enumerate() {
                            let at = (p0 + i) * MR;
                            if p0 + i + 1 < kc {
                                // Eight lanes: the two past this p land on the next p's first two
                                // slots, which the next store (ascending p) overwrites. (A masked
                                // store is much slower than a plain one on some CPUs.)
                                let dst = &mut panel[at..at + 8];
                                _mm256_storeu_ps(dst.as_mut_ptr(), *v);
                            } else {
                                let dst = &mut panel[at..at + MR];
                                _mm256_maskstore_ps(dst.as_mut_ptr(), mask6, *v);
                            }
                        }
                        p0 += 8;
                    }
                }
            }
            if rs == 1 && cs != 1 {
                // Column-major A (such as the transposed view of a row-major matrix): the MR
                // values of each p are contiguous.
                for (p, dst) in panel.chunks_exact_mut(MR).enumerate() {
                    dst.copy_from_slice(&data[base[0] + p * cs..base[0] + p * cs + MR]);
                }
            } else {
                for (p, dst) in panel.chunks_exact_mut(MR).enumerate().skip(p0) {
                    for r in 0..MR {
                        dst[r] = data[base[r] + p * cs];
                    }
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
/// zero past the last column. Row-major B is copied row by row; column-major B (a transposed
/// row-major matrix, like Wᵀ) is transposed in 8×8 blocks in registers.
///
/// # Safety
/// AVX2 must be available (the caller is `#[target_feature(enable = "avx2,fma")]`).
#[inline(always)]
pub(super) unsafe fn pack_b(b: MatRef<'_>, pc: usize, jc: usize, kc: usize, nc: usize, out: &mut [f32]) {
    let (rs, cs) = (b.row_stride(), b.col_stride());
    let data = b.as_slice();
    let mut jr = 0;
    while jr < nc {
        let nr = NR.min(nc - jr);
        let panel = &mut out[jr * kc..jr * kc + NR * kc];
        let mut p0 = 0;
        if nr == NR && rs == 1 && cs != 1 {
            // SAFETY: AVX2 available (caller contract); loads are bounds-checked slices of B's
            // data (column jc+jr+j, rows pc+p0..pc+p0+8 ≤ pc+kc, contiguous since rs = 1), stores
            // bounds-checked eight-element slices of the panel.
            unsafe {
                while p0 + 8 <= kc {
                    for half in 0..2 {
                        let col0 = (pc + p0) + (jc + jr + 8 * half) * cs;
                        let mut rows = [_mm256_setzero_ps(); 8];
                        for (j, row) in rows.iter_mut().enumerate() {
                            *row = load8(data, col0 + j * cs);
                        }
                        let t = transpose8(rows);
                        for (i, v) in t.iter().enumerate() {
                            let at = (p0 + i) * NR + 8 * half;
                            let dst = &mut panel[at..at + 8];
                            _mm256_storeu_ps(dst.as_mut_ptr(), *v);
                        }
                    }
                    p0 += 8;
                }
            }
        }
        for (p, dst) in panel.chunks_exact_mut(NR).enumerate().skip(p0) {
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
