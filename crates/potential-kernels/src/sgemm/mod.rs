//! A packed AVX2+FMA sgemm (BLIS-style 6×16 micro-kernel) used by [`crate::gemm`] on CPUs with
//! AVX2 and FMA; elsewhere `gemm` uses `matrixmultiply`.
//!
//! Loop nest (Goto/BLIS): columns of C in blocks of [`NC`]; k in `⌈k/KC_MAX⌉` equal blocks of at most
//! [`KC_MAX`] (equal blocks avoid a thin last block: k = 784 runs as 3 × 262, not 256+256+256+16);
//! B's block packed into 16-column panels; rows in blocks of [`MC`], A's block packed into 6-row
//! panels; then the 6×16 micro-kernel, which keeps the 6×16 tile of C in twelve `ymm` registers
//! (two 8-wide loads of B and six broadcasts of A feed twelve FMAs per step of k).
//! Edge tiles run a kernel compiled for their row count (1–6) and one or two 8-column vectors, with
//! masked loads/stores of C, so the 4-row edge of m = 100 and the 4-column edge of n = 500 do not
//! pay for a full 6×16 tile. Packing transposes in registers (8×8 blocks) wherever the source is
//! contiguous the "wrong" way: row-major A, and column-major B such as the Wᵀ of `X·Wᵀ`.
//!
//! Every element of C is computed the same way wherever it sits (full tile or edge tile):
//! `acc = Σₚ a·b` by FMA in order of p within a k-block, then `c ← fma(β′, c, α·acc)` with β′ = β
//! for the first k-block (β = 0: C is not read) and 1 after. So results do not depend on m, n, the
//! tiling or how [`crate::gemm`] splits the product between threads.
//!
//! With an [`Update`] ([`crate::gemm_update`]) the store of the last k-block also does
//! `c ← fma(γᵢ, w, c); w ← w + c` on the matching element of W while the tile is in registers, so a
//! momentum step `v ← μv − η(∇ + λW); W ← W + v` with ∇ a product costs one pass over v and W.

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

mod pack;
mod wide;

use crate::epilogue::Kind;
pub(crate) use crate::epilogue::Update;
pub(crate) use pack::pack_b_all;
use pack::{pack_a, pack_b};
use wide::tile512;

/// The k-block length of a product with inner dimension `k` (≤ [`KC_MAX`], blocks of equal size):
/// the packing of [`pack_b_all`] and the loops of [`sgemm`] share it.
pub(crate) fn kc_step(k: usize) -> usize {
    k.div_ceil(k.div_ceil(KC_MAX).max(1)).max(1)
}

/// B packed for every k-block at once: the k-block starting at row pc holds ⌈n/16⌉ panels of
/// `kc × 16` values at `pc·n16` (n16 = n rounded up to 16), panel jr/16 at `jr·kc` within it.
#[derive(Clone, Copy)]
pub(crate) struct Prepacked {
    /// The packed values.
    pub data: *const f32,
    /// n rounded up to a multiple of NR.
    pub n16: usize,
    /// The first column of the product's B within the packed matrix (a multiple of NR).
    pub col0: usize,
}

thread_local! {
    /// Packing buffers (A block, B block), reused across calls to avoid page faults of fresh
    /// allocations on every product.
    static PACK: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// `C ← α·A·B + β·C`, C an m×n block at `c` with strides `(csr, csc)`; with `upd`, then
/// `C ← C + diag(γ)·W; W ← W + C` (see [`Update`]). Returns whether every updated element of W is
/// finite (`true` without `upd`).
///
/// # Safety
/// The CPU must support AVX2 and FMA. `c` must point to an m×n block with strides `(csr, csc)`
/// inside one allocation, valid for reads and writes, with pairwise distinct elements not accessed
/// by anyone else during the call. `a` is m×k and `b` k×n. With `upd`, the same holds for its m×n
/// block of W (which must not overlap C), and `gamma` points to m readable floats. With
/// `prepacked`, `b` is not read: the packed B (of [`pack_b_all`], for a k×N matrix whose columns
/// col0..col0+n are this product's B) is valid for reads for the call.
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
    upd: Option<Update>,
    prepacked: Option<Prepacked>,
) -> bool {
    // SAFETY: forwarded contract; AVX2+FMA enabled here.
    unsafe { sgemm_body::<false>(alpha, a, b, beta, c, m, n, csr, csc, upd, prepacked) }
}

/// [`sgemm`] with 6×32 AVX-512 micro-tiles where two 16-column panels remain (the 6×16 AVX2 tile
/// for a last single panel). Every element is accumulated by the same FMAs in the same order and
/// finished by the same epilogue, so the result equals [`sgemm`]'s bit for bit.
///
/// # Safety
/// As [`sgemm`], and the CPU must support AVX-512 F.
#[target_feature(enable = "avx512f,avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn sgemm512(
    alpha: f32,
    a: MatRef<'_>,
    b: MatRef<'_>,
    beta: f32,
    c: *mut f32,
    m: usize,
    n: usize,
    csr: usize,
    csc: usize,
    upd: Option<Update>,
    prepacked: Option<Prepacked>,
) -> bool {
    // SAFETY: forwarded contract; AVX-512 F, AVX2 and FMA enabled here.
    unsafe { sgemm_body::<true>(alpha, a, b, beta, c, m, n, csr, csc, upd, prepacked) }
}

/// The body of [`sgemm`] (`WIDE` = false) and [`sgemm512`] (`WIDE` = true), inlined into each so
/// that it runs with their target features (it has no closure for the same reason).
///
/// # Safety
/// As [`sgemm512`] when `WIDE`, else as [`sgemm`].
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn sgemm_body<const WIDE: bool>(
    alpha: f32,
    a: MatRef<'_>,
    b: MatRef<'_>,
    beta: f32,
    c: *mut f32,
    m: usize,
    n: usize,
    csr: usize,
    csc: usize,
    upd: Option<Update>,
    prepacked: Option<Prepacked>,
) -> bool {
    let k = a.cols();
    if m == 0 || n == 0 {
        return true;
    }
    if k == 0 || alpha == 0.0 {
        let mut finite = true;
        for i in 0..m {
            for j in 0..n {
                // SAFETY: (i, j) is inside the m×n block (caller contract).
                let p = unsafe { c.add(i * csr + j * csc) };
                // SAFETY: as above; β = 0 writes without reading.
                let mut v = unsafe {
                    if beta == 0.0 {
                        0.0
                    } else {
                        beta * *p
                    }
                };
                if let Some(u) = upd {
                    // SAFETY: (i, j) is inside W's (and V's) block and row i of γ (caller contract).
                    let (x, ok) = unsafe { u.apply(i, j, v) };
                    v = x;
                    finite &= ok;
                }
                // SAFETY: as above.
                unsafe { *p = v };
            }
        }
        return finite;
    }
    let mut finite = true;
    let kc_step = kc_step(k);
    let nc_max = NC.min(n.div_ceil(NR) * NR);
    let mc_max = MC.min(m.div_ceil(MR) * MR);
    // The buffers are moved out of the thread-local for the call and put back after it.
    let (mut apack_v, mut bpack_v) = PACK.with(|cell| cell.take());
    {
        let (apack, bpack) = (&mut apack_v, &mut bpack_v);
        if apack.len() < kc_step * mc_max {
            apack.resize(kc_step * mc_max, 0.0);
        }
        if prepacked.is_none() && bpack.len() < kc_step * nc_max {
            bpack.resize(kc_step * nc_max, 0.0);
        }
        let mut jc = 0;
        while jc < n {
            let nc = NC.min(n - jc);
            let mut pc = 0;
            while pc < k {
                let kc = kc_step.min(k - pc);
                let bbase = match prepacked {
                    // SAFETY: the k-block at pc·n16 and its panels from column col0 + jc (a
                    // multiple of NR) hold nc·kc values (caller contract of `Prepacked`).
                    Some(p) => unsafe { p.data.add(pc * p.n16 + (p.col0 + jc) * kc) },
                    None => {
                        // SAFETY: AVX2 enabled in this function.
                        unsafe { pack_b(b, pc, jc, kc, nc, bpack) };
                        bpack.as_ptr()
                    }
                };
                let beta_eff = if pc == 0 { beta } else { 1.0 };
                let last = pc + kc == k;
                let mut ic = 0;
                while ic < m {
                    let mc = MC.min(m - ic);
                    // SAFETY: AVX2 enabled in this function.
                    unsafe { pack_a(a, ic, pc, mc, kc, apack) };
                    let mut jr = 0;
                    while jr < nc {
                        // Two panels at once on the AVX-512 path while two remain.
                        let wide = WIDE && nc - jr > NR;
                        let nr = if wide { (2 * NR).min(nc - jr) } else { NR.min(nc - jr) };
                        let mut ir = 0;
                        while ir < mc {
                            let mr = MR.min(mc - ir);
                            // SAFETY: the tile (ic+ir, jc+jr) is inside the block of the update.
                            let u = if last { upd.map(|u| unsafe { u.at(ic + ir, jc + jr) }) } else { None };
                            // SAFETY: the A panel at ir·kc holds MR·kc packed values and the B panel
                            // at jr·kc holds NR·kc (buffers sized above); the tile (ic+ir, jc+jr) of
                            // mr×nr elements is inside C's block and, with an update, W's (caller
                            // contract); AVX2+FMA are enabled in this function.
                            finite &= unsafe {
                                let (ap, bp) = (apack.as_ptr().add(ir * kc), bbase.add(jr * kc));
                                let cp = c.add((ic + ir) * csr + (jc + jr) * csc);
                                if wide {
                                    // The second panel follows at (jr + NR)·kc.
                                    tile512(kc, ap, bp, alpha, beta_eff, cp, csr, csc, mr, nr, u)
                                } else {
                                    tile(kc, ap, bp, alpha, beta_eff, cp, csr, csc, mr, nr, u)
                                }
                            };
                            ir += MR;
                        }
                        jr += if wide { 2 * NR } else { NR };
                    }
                    ic += MC;
                }
                pc += kc;
            }
            jc += NC;
        }
    }
    PACK.with(|cell| *cell.borrow_mut() = (apack_v, bpack_v));
    finite
}

/// One micro-tile: the `mr`×`nr` corner of the 6×16 kernel, dispatched to a kernel that computes
/// only `mr` rows and one or two 8-column vectors (the rest of the packed panels is zero padding).
///
/// # Safety
/// As [`kernel`].
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn tile(
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
            if nr > 8 {
                // SAFETY: forwarded contract of `tile` (= `kernel`'s); R = mr, NV covers nr.
                unsafe { kernel::<$r, 2>(kc, ap, bp, alpha, beta, c, csr, csc, nr, upd) }
            } else {
                // SAFETY: as above, one vector covers nr ≤ 8.
                unsafe { kernel::<$r, 1>(kc, ap, bp, alpha, beta, c, csr, csc, nr, upd) }
            }
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

/// The micro-kernel for the first `R` rows (≤ MR) and `NV` 8-column vectors (NV·8 ≥ nr) of a
/// tile: `C[0..R, 0..nr] ← fma(β, C, α·Σₚ a_p ⊗ b_p)`, then with `upd` `C ← fma(γ, W, C)`,
/// `W ← W + C`; returns whether every updated W is finite. The rounding of every element is the
/// same for every `R`, `NV`, `nr` and layout of C and W (so tiles and thread splits never change
/// the result).
///
/// Longer than the workspace's ~120-line rule on purpose: the accumulation over `kc`, the β
/// scaling and the fused update all work on one `R × NV` array of accumulator registers, kept in
/// one body so that they stay in registers from the first FMA to the last store.
///
/// # Safety
/// AVX2+FMA available; `ap` points to `MR·kc` and `bp` to `NR·kc` readable floats; `c` to an R×nr
/// block with strides `(csr, csc)` valid for reads and writes; with `upd`, its W block likewise
/// (not overlapping C) and R readable γ values.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn kernel<const R: usize, const NV: usize>(
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
    // SAFETY: (whole body) the pointer arithmetic stays within the packed panels (p < kc) and the
    // C block (r < R, j < nr) per the contract above; the intrinsics need AVX/FMA, which the
    // caller (`sgemm`, `#[target_feature(enable = "avx2,fma")]`) guarantees.
    unsafe {
        // Start fetching the C tile now: for large C it comes from memory, and the k loop below
        // (≈ kc·6 cycles) hides the latency.
        if csc == 1 {
            for r in 0..R {
                let cp = c.add(r * csr);
                _mm_prefetch::<_MM_HINT_T0>(cp as *const i8);
                _mm_prefetch::<_MM_HINT_T0>(cp.add(nr - 1) as *const i8);
            }
        }
        // Likewise W's tile, which the fused update reads and writes.
        if let Some(u) = upd.filter(|u| u.contiguous()) {
            for r in 0..R {
                let wp = u.w.add(r * u.wsr);
                _mm_prefetch::<_MM_HINT_T0>(wp as *const i8);
                _mm_prefetch::<_MM_HINT_T0>(wp.add(nr - 1) as *const i8);
                // And the velocity's, which the momentum epilogue reads and writes too.
                if let Kind::Momentum { v, vsr, .. } = u.kind {
                    let vp = v.add(r * vsr);
                    _mm_prefetch::<_MM_HINT_T0>(vp as *const i8);
                    _mm_prefetch::<_MM_HINT_T0>(vp.add(nr - 1) as *const i8);
                }
            }
        }
        let mut acc = [[_mm256_setzero_ps(); NV]; R];
        // One step of k (a macro, not a closure: closures do not inherit the target features).
        macro_rules! step {
            ($p:expr) => {{
                let p = $p;
                let mut b = [_mm256_setzero_ps(); NV];
                for (v, bv) in b.iter_mut().enumerate() {
                    *bv = _mm256_loadu_ps(bp.add(p * NR + 8 * v));
                }
                let a = ap.add(p * MR);
                for (r, accr) in acc.iter_mut().enumerate() {
                    let av = _mm256_broadcast_ss(&*a.add(r));
                    for (accv, &bv) in accr.iter_mut().zip(&b) {
                        *accv = _mm256_fmadd_ps(av, bv, *accv);
                    }
                }
            }};
        }
        // Unrolled by four (same order of p, so the same rounding as a plain loop).
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
        epilogue::<R, NV>(acc, alpha, beta, c, csr, csc, nr, upd)
    }
}

/// The store of a tile whose accumulators are `acc` (R rows, NV·8 ≥ nr columns):
/// `C ← fma(β, C, α·acc)`, then the fused update of `upd`; returns whether every updated W is
/// finite. Shared by the AVX2 and AVX-512 micro-kernels, so both round every element alike.
///
/// # Safety
/// As [`kernel`] (the C and W blocks; AVX2+FMA available).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn epilogue<const R: usize, const NV: usize>(
    acc: [[__m256; NV]; R],
    alpha: f32,
    beta: f32,
    c: *mut f32,
    csr: usize,
    csc: usize,
    nr: usize,
    upd: Option<Update>,
) -> bool {
    // SAFETY: (whole body) the accesses stay inside the R×nr blocks of C and W (and V) per the
    // contract; AVX2+FMA per the caller.
    unsafe {
        let va = _mm256_set1_ps(alpha);
        if csc == 1 && upd.is_none_or(|u| u.contiguous()) {
            let vb = _mm256_set1_ps(beta);
            let lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
            let zero = _mm256_setzero_ps();
            // Σ 0·w over the updated W: 0 while every w is finite, NaN once one is not.
            let mut check = zero;
            for (r, accr) in acc.iter().enumerate() {
                // (γ of the row, W's row, V's row, η, μ) of the fused update.
                let (vg, wrow, vrow, vlr, vmu) = match upd.map(|u| (u, u.kind)) {
                    Some((u, Kind::Decay { gamma })) => {
                        (_mm256_set1_ps(*gamma.add(r)), u.w.add(r * u.wsr), std::ptr::null_mut(), zero, zero)
                    }
                    Some((u, Kind::Momentum { v, vsr, lr, mu, .. })) => {
                        (zero, u.w.add(r * u.wsr), v.add(r * vsr), _mm256_set1_ps(lr), _mm256_set1_ps(mu))
                    }
                    None => (zero, std::ptr::null_mut(), std::ptr::null_mut(), zero, zero),
                };
                let momentum = !vrow.is_null();
                for (v, &av) in accr.iter().enumerate() {
                    let cp = c.add(r * csr + 8 * v);
                    let cols = nr - 8 * v; // ≥ 1 since NV·8 covers nr and NV is minimal
                    let mut x = _mm256_mul_ps(av, va);
                    if cols >= 8 {
                        if beta != 0.0 {
                            x = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cp), x);
                        }
                        if momentum {
                            // v ← μv − ηx; w ← w + v (each rounded, as a separate pass).
                            let (wp, vp) = (wrow.add(8 * v), vrow.add(8 * v));
                            let vel =
                                _mm256_sub_ps(_mm256_mul_ps(vmu, _mm256_loadu_ps(vp)), _mm256_mul_ps(vlr, x));
                            let wn = _mm256_add_ps(_mm256_loadu_ps(wp), vel);
                            _mm256_storeu_ps(vp, vel);
                            _mm256_storeu_ps(wp, wn);
                            check = _mm256_fmadd_ps(wn, zero, check);
                        } else if upd.is_some() {
                            let wp = wrow.add(8 * v);
                            let w = _mm256_loadu_ps(wp);
                            x = _mm256_fmadd_ps(vg, w, x);
                            let wn = _mm256_add_ps(w, x);
                            _mm256_storeu_ps(wp, wn);
                            check = _mm256_fmadd_ps(wn, zero, check);
                        }
                        _mm256_storeu_ps(cp, x);
                    } else {
                        // Only the first `cols` lanes exist in C (and W): masked loads and stores;
                        // the other lanes of x and wn are 0 (zero-padded panels, masked loads).
                        let mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(cols as i32), lane);
                        if beta != 0.0 {
                            x = _mm256_fmadd_ps(vb, _mm256_maskload_ps(cp, mask), x);
                        }
                        if momentum {
                            let (wp, vp) = (wrow.add(8 * v), vrow.add(8 * v));
                            let vel = _mm256_sub_ps(
                                _mm256_mul_ps(vmu, _mm256_maskload_ps(vp, mask)),
                                _mm256_mul_ps(vlr, x),
                            );
                            let wn = _mm256_add_ps(_mm256_maskload_ps(wp, mask), vel);
                            _mm256_maskstore_ps(vp, mask, vel);
                            _mm256_maskstore_ps(wp, mask, wn);
                            check = _mm256_fmadd_ps(wn, zero, check);
                        } else if upd.is_some() {
                            let wp = wrow.add(8 * v);
                            let w = _mm256_maskload_ps(wp, mask);
                            x = _mm256_fmadd_ps(vg, w, x);
                            let wn = _mm256_add_ps(w, x);
                            _mm256_maskstore_ps(wp, mask, wn);
                            check = _mm256_fmadd_ps(wn, zero, check);
                        }
                        _mm256_maskstore_ps(cp, mask, x);
                    }
                }
            }
            _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_UNORD_Q>(check, check)) == 0
        } else {
            let mut tmp = [[0.0f32; NR]; MR];
            for (r, accr) in acc.iter().enumerate() {
                for (v, &av) in accr.iter().enumerate() {
                    _mm256_storeu_ps(tmp[r].as_mut_ptr().add(8 * v), _mm256_mul_ps(av, va));
                }
            }
            let mut finite = true;
            for (r, row) in tmp.iter().enumerate().take(R) {
                for (j, &v) in row.iter().enumerate().take(nr) {
                    let cp = c.add(r * csr + j * csc);
                    let mut x = if beta == 0.0 { v } else { beta.mul_add(*cp, v) };
                    if let Some(u) = upd {
                        let (y, ok) = u.apply(r, j, x);
                        x = y;
                        finite &= ok;
                    }
                    *cp = x;
                }
            }
            finite
        }
    }
}
