//! `C ← α·op(A)·op(B) + β·C`: this crate's packed AVX2+FMA sgemm (`sgemm.rs`) or `matrixmultiply::sgemm`.

use crate::elementwise::{simd_path, SimdPath};
use crate::epilogue::{Kind, Update as Upd};
use crate::mat::{MatMut, MatRef};
use crate::packed::PackedB;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// How many threads a [`gemm`] may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Parallelism {
    /// One thread, the caller's.
    #[default]
    Sequential,
    /// Up to `n` threads of the current rayon pool (`0` = all of the pool's threads). Set the pool
    /// size with `RAYON_NUM_THREADS` or a `rayon::ThreadPoolBuilder`.
    Rayon(usize),
}

impl Parallelism {
    /// The number of threads this setting resolves to in the current rayon pool.
    pub fn threads(self) -> usize {
        match self {
            Parallelism::Sequential => 1,
            Parallelism::Rayon(0) => rayon::current_num_threads().max(1),
            Parallelism::Rayon(n) => n.min(rayon::current_num_threads()).max(1),
        }
    }
}

/// General matrix product `C ← α·A·B + β·C` for `A: m×k`, `B: k×n`, `C: m×n`.
///
/// Transposes are expressed as views ([`MatRef::t`]); any strides are accepted (row-major,
/// column-major, submatrix views). When `β = 0`, `C` is not read, so it may hold NaN or garbage.
/// Each element is a `f32` sum of k products accumulated with FMA, so its error is about
/// k·2⁻²⁴·Σ|aᵢₚ bₚⱼ| at worst (tested against an `f64` triple loop).
///
/// # Implementation
/// On the AVX2+FMA [`simd_path`] (default on x86-64 CPUs with both features) the product runs on
/// this crate's packed sgemm: a 6×16 register-blocked FMA micro-kernel with Goto/BLIS blocking
/// (k split into equal blocks of ≤ 320, 120-row blocks of A, 2048-column blocks of B, C prefetched
/// ahead of each tile), edge tiles on kernels sized to their rows and 8-column vectors, and packing
/// that transposes in registers where an operand lies the other way (row-major A, column-major B
/// such as a `Wᵀ` view). On the portable path (`POTENTIAL_FORCE_PORTABLE=1` or no AVX2/FMA) it runs
/// on `matrixmultiply::sgemm`, which picks its own kernel at run time. Both are tested against the
/// same `f64` reference; they may differ from each other in the last bits.
///
/// # Threads
/// [`Parallelism::Sequential`] runs on the caller's thread. [`Parallelism::Rayon(n)`](Parallelism::Rayon)
/// runs on at most `n` threads of the *current* rayon pool (`0` = the whole pool). Set the count
/// with `RAYON_NUM_THREADS=2` for the global pool, or build a pool and call `gemm` inside
/// `pool.install(|| …)`. The product is cut outside the sequential kernel into row blocks (when `m ≥ n`;
/// each block repacks B) or column blocks (when `m < n`; each block repacks A), with block edges on
/// the micro-kernel's 8-element tiles. On the AVX2 path the result is bit-identical to the sequential
/// one; on the portable (matrixmultiply) path it agrees to within floating-point rounding of the
/// same sums (a CI run once saw last-bit differences there). Products
/// under ≈ 2 MFLOP per thread run sequentially; products over 1 GFLOP are cut into about four
/// blocks per thread, pulled by the workers from a shared counter, so a core busy with other work
/// does not hold up the product. matrixmultiply's own `threading` feature is not used (one scheme,
/// one knob: the rayon pool).
///
/// # Panics
/// If the shapes do not agree.
pub fn gemm(alpha: f32, a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: MatMut<'_>, par: Parallelism) {
    crate::warn_if_unoptimized();
    gemm_on(simd_path(), alpha, a, b, beta, c, par)
}

/// Fused product and momentum-style update: `C ← α·A·B + β·C + diag(γ)·W`, then `W ← W + C`,
/// each element of C and W finished in one visit while the product's tile is in registers.
/// Returns whether every element of the updated W is finite.
///
/// This is a momentum SGD step whose gradient is a product: with C the velocity v, `α = −η·s`,
/// `β = μ` and `γᵢ = −η·λᵢ`, it computes `v ← μv − η(s·A·B + λᵢ·wᵢ)` and `W ← W + v` in one pass over
/// v and W, instead of writing the gradient, adding the decay, then updating v and W in separate
/// passes. Rows of W may carry their own decay coefficient λᵢ (γ has one entry per row of C).
///
/// C's elements are rounded as in [`gemm`] (`fma(β, c, α·acc)`), then `c ← fma(γᵢ, w, c)` and
/// `w ← w + c`, the same way for every tile, layout and thread split (so the result does not
/// depend on the thread count on the AVX2 path; on the portable path the product is
/// `matrixmultiply`'s and the update a separate pass). `β = 0` does not read C. W must not be C
/// (the borrows guarantee it). Threads as for [`gemm`].
///
/// # Panics
/// If the shapes do not agree, W is not the shape of C, or `gamma.len()` is not C's row count.
#[allow(clippy::too_many_arguments)]
pub fn gemm_update(
    alpha: f32,
    a: MatRef<'_>,
    b: MatRef<'_>,
    beta: f32,
    c: MatMut<'_>,
    gamma: &[f32],
    w: MatMut<'_>,
    par: Parallelism,
) -> bool {
    crate::warn_if_unoptimized();
    gemm_update_on(simd_path(), alpha, a, b, beta, c, gamma, w, par)
}

/// Gradient product with weight decay, then the momentum step, in the product's store:
/// `G ← A·B + λ·G` (G holding W on entry: the gradient ∇ + λW, rounded exactly as
/// [`gemm`]`(1, A, B, λ, G)`), then elementwise `V ← μ·V − η·G; W ← W + V` with `μ·v`, `η·g`,
/// their difference and `w + v` each rounded once — **bit for bit** a [`gemm`] followed by a
/// separate momentum pass, without the pass (G, V and W are finished while the tile is in
/// registers). Returns whether every element of the updated W is finite.
///
/// This is the update of a momentum optimiser that also keeps the gradient (G is written). Unlike
/// [`gemm_update`], whose single fused rounding differs from the separate passes, it reproduces a
/// two-pass update exactly. Threads, paths and rounding of the product as for [`gemm`].
///
/// # Panics
/// If the shapes do not agree, or G, V and W differ in shape.
#[allow(clippy::too_many_arguments)]
pub fn gemm_momentum(
    a: MatRef<'_>,
    b: MatRef<'_>,
    lambda: f32,
    g: MatMut<'_>,
    v: MatMut<'_>,
    w: MatMut<'_>,
    (lr, mu): (f32, f32),
    par: Parallelism,
) -> bool {
    crate::warn_if_unoptimized();
    gemm_momentum_on(simd_path(), a, b, lambda, g, v, w, (lr, mu), par)
}

/// [`gemm_momentum`] on an explicit implementation (see [`gemm_on`]).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm_momentum_on(
    path: SimdPath,
    a: MatRef<'_>,
    b: MatRef<'_>,
    lambda: f32,
    g: MatMut<'_>,
    mut v: MatMut<'_>,
    mut w: MatMut<'_>,
    (lr, mu): (f32, f32),
    par: Parallelism,
) -> bool {
    let (m, n) = (g.rows(), g.cols());
    assert_eq!(
        (w.rows(), w.cols()),
        (m, n),
        "gemm_momentum: G is {m}×{n} but W is {}×{}",
        w.rows(),
        w.cols()
    );
    assert_eq!(
        (v.rows(), v.cols()),
        (m, n),
        "gemm_momentum: G is {m}×{n} but V is {}×{}",
        v.rows(),
        v.cols()
    );
    let upd = Upd {
        w: w.as_mut_slice().as_mut_ptr(),
        wsr: w.row_stride(),
        wsc: w.col_stride(),
        kind: Kind::Momentum {
            v: v.as_mut_slice().as_mut_ptr(),
            vsr: v.row_stride(),
            vsc: v.col_stride(),
            lr,
            mu,
        },
    };
    // SAFETY: W and V are bounds-checked m×n views (shapes asserted above), uniquely borrowed for
    // the call, so distinct from each other, from G (also uniquely borrowed) and from the shared A
    // and B.
    unsafe { gemm_impl(path, 1.0, a, BOp::View(b), lambda, g, Some(upd), par) }
}

/// [`gemm_update`] on an explicit implementation (see [`gemm_on`]).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm_update_on(
    path: SimdPath,
    alpha: f32,
    a: MatRef<'_>,
    b: MatRef<'_>,
    beta: f32,
    c: MatMut<'_>,
    gamma: &[f32],
    mut w: MatMut<'_>,
    par: Parallelism,
) -> bool {
    let (m, n) = (c.rows(), c.cols());
    assert_eq!((w.rows(), w.cols()), (m, n), "gemm_update: C is {m}×{n} but W is {}×{}", w.rows(), w.cols());
    assert_eq!(gamma.len(), m, "gemm_update: {} values of γ for the {m} rows of C", gamma.len());
    let upd = Upd {
        w: w.as_mut_slice().as_mut_ptr(),
        wsr: w.row_stride(),
        wsc: w.col_stride(),
        kind: Kind::Decay { gamma: gamma.as_ptr() },
    };
    // SAFETY: W is a bounds-checked m×n view (the shape asserted above), uniquely borrowed for the
    // call, so distinct from C (also uniquely borrowed) and from the shared A and B; γ holds m
    // values.
    unsafe { gemm_impl(path, alpha, a, BOp::View(b), beta, c, Some(upd), par) }
}

/// [`gemm`] on an explicit implementation: [`SimdPath::Avx2Fma`] is this crate's packed 6×16
/// AVX2+FMA kernel, [`SimdPath::Portable`] is `matrixmultiply` (which picks its own kernel at run
/// time). See [`crate::paths::gemm`].
pub(crate) fn gemm_on(
    path: SimdPath,
    alpha: f32,
    a: MatRef<'_>,
    b: MatRef<'_>,
    beta: f32,
    c: MatMut<'_>,
    par: Parallelism,
) {
    // SAFETY: no update.
    unsafe { gemm_impl(path, alpha, a, BOp::View(b), beta, c, None, par) };
}

/// The right operand of a product: a view, or columns `col0..col0+cols` of a [`PackedB`].
#[derive(Clone, Copy)]
pub(crate) enum BOp<'a> {
    /// A strided view.
    View(MatRef<'a>),
    /// Packed columns: (the packed matrix, first column, column count).
    Packed(&'a PackedB, usize, usize),
}

impl<'a> BOp<'a> {
    fn rows(&self) -> usize {
        match self {
            BOp::View(b) => b.rows(),
            BOp::Packed(p, ..) => p.k,
        }
    }
    fn cols(&self) -> usize {
        match self {
            BOp::View(b) => b.cols(),
            BOp::Packed(_, _, cols) => *cols,
        }
    }
    /// Columns `s0..s0+sl` of this operand.
    fn cols_range(&self, s0: usize, sl: usize) -> BOp<'a> {
        match *self {
            BOp::View(b) => BOp::View(b.submatrix(0, s0, b.rows(), sl)),
            BOp::Packed(p, col0, _) => BOp::Packed(p, col0 + s0, sl),
        }
    }
}

/// [`gemm_on`] with any right operand.
pub(crate) fn gemm_b(
    path: SimdPath,
    alpha: f32,
    a: MatRef<'_>,
    b: BOp<'_>,
    beta: f32,
    c: MatMut<'_>,
    par: Parallelism,
) {
    // SAFETY: no update.
    unsafe { gemm_impl(path, alpha, a, b, beta, c, None, par) };
}

/// The body of [`gemm_on`] and [`gemm_update_on`]; returns whether every updated W is finite.
///
/// # Safety
/// With `upd`: its W is an m×n block (C's shape) with its strides inside one allocation, valid for
/// reads and writes, with pairwise distinct elements, not overlapping C, A or B and not accessed by
/// anyone else during the call; γ points to m readable floats.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_impl(
    path: SimdPath,
    alpha: f32,
    a: MatRef<'_>,
    b: BOp<'_>,
    beta: f32,
    c: MatMut<'_>,
    upd: Option<Upd>,
    par: Parallelism,
) -> bool {
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    assert_eq!(b.rows(), k, "gemm: A is {m}×{k} but B is {}×{n}", b.rows());
    assert_eq!((c.rows(), c.cols()), (m, n), "gemm: A·B is {m}×{n} but C is {}×{}", c.rows(), c.cols());
    let threads = par.threads();
    if threads <= 1 || m == 0 || n == 0 {
        // SAFETY: forwarded contract.
        return unsafe { gemm_seq(path, alpha, a, b, beta, c, upd) };
    }
    let plan = plan(m, k, n, threads);
    if plan.parts <= 1 {
        // SAFETY: forwarded contract.
        return unsafe { gemm_seq(path, alpha, a, b, beta, c, upd) };
    }
    // Part boundaries are multiples of TILE, so every element of C falls in the same kind of
    // micro-kernel tile (full or edge) as in the sequential product: the result is bit-identical.
    let len = if plan.split_rows { m } else { n };
    let bounds = split_bounds(len, plan.parts);
    let (csr, csc) = (c.row_stride(), c.col_stride());
    let mut c = c;
    let c_ptr = SharedMut(c.as_mut_slice().as_mut_ptr());
    let upd = SharedUpd(upd);
    let finite = AtomicBool::new(true);
    // `threads` workers pull pieces from a shared counter: at most `threads` run at once, and a
    // worker on a busy core simply takes fewer pieces.
    let next = AtomicUsize::new(0);
    let work_pieces = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(&(s0, sl)) = bounds.get(i) else { break };
        let (c_ptr, upd) = (&c_ptr, &upd);
        let ok = if plan.split_rows {
            // SAFETY: rows s0..s0+sl of the (bounds-checked, uniquely borrowed) C view, and of W
            // (same shape, caller contract); the pieces are disjoint row ranges, and a MatMut's
            // strides never alias distinct elements, so no element is written by two pieces. The
            // offsets stay inside C's slice and W's block.
            unsafe {
                sgemm_raw(
                    path,
                    alpha,
                    a.submatrix(s0, 0, sl, k),
                    b,
                    beta,
                    c_ptr.0.add(s0 * csr),
                    sl,
                    n,
                    csr,
                    csc,
                    upd.0.map(|u| u.at(s0, 0)),
                )
            }
        } else {
            // SAFETY: as above with the disjoint column ranges s0..s0+sl.
            unsafe {
                sgemm_raw(
                    path,
                    alpha,
                    a,
                    b.cols_range(s0, sl),
                    beta,
                    c_ptr.0.add(s0 * csc),
                    m,
                    sl,
                    csr,
                    csc,
                    upd.0.map(|u| u.at(0, s0)),
                )
            }
        };
        if !ok {
            finite.store(false, Ordering::Relaxed);
        }
    };
    // Every piece runs in the caller's flush-to-zero mode, whichever thread computes it.
    let ftz = crate::fpenv::FlushToZero::is_on();
    let work = |_: usize| {
        let _mode = crate::fpenv::FlushToZero::set(ftz);
        work_pieces()
    };
    let workers = threads.min(bounds.len());
    if workers == 2 && rayon::current_num_threads() >= 2 && !cfg!(miri) {
        // Two threads: the second is the spin-then-park helper (awake after short pauses, unlike
        // a sleeping rayon worker); who computes which piece does not change the result.
        crate::helper::run_pair(&|| work(1));
    } else {
        rayon::in_place_scope(|s| {
            for w in 1..workers {
                let work = &work;
                s.spawn(move |_| work(w));
            }
            work(0);
        });
    }
    finite.into_inner()
}

/// The update shared by the parallel pieces, each touching a disjoint block of W.
struct SharedUpd(Option<Upd>);
// SAFETY: only used by `gemm_impl` to update disjoint blocks of a uniquely borrowed W (and read
// the shared γ) from different threads; the borrows outlive the parallel loop.
unsafe impl Sync for SharedUpd {}

/// A pointer to C shared by the parallel pieces, each writing a disjoint block.
struct SharedMut(*mut f32);
// SAFETY: the pointer is only used by `gemm` to write disjoint blocks of a uniquely borrowed C
// from different threads; the borrow outlives the parallel loop.
unsafe impl Sync for SharedMut {}

/// Split granularity: a multiple of matrixmultiply's micro-tile (8×8 AVX2/FMA, 8×4 SSE2), so its
/// full/edge tiles — and hence its rounding — are the same in every piece; and the width of the own
/// sgemm's 6×16 micro-kernel, so a column split leaves at most one 16-column edge (measured on
/// `gemm/100x784x500/t2`: 149 GFLOP/s with 8-column boundaries, 160–176 with 16). (The own AVX2 sgemm
/// rounds every element the same way wherever it sits, so any split is bit-identical for it.)
const TILE: usize = 16;

/// How a parallel product is cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Plan {
    /// Split the rows of A and C (else the columns of B and C).
    split_rows: bool,
    /// Number of pieces (≥ 1).
    parts: usize,
}

/// Choose the split for `threads` threads.
///
/// Each piece is an independent sequential product that packs its share of one operand and
/// all of the other: splitting rows repacks B (k·n) per piece, splitting columns repacks A (m·k).
/// So split the dimension whose *other* operand is smaller, i.e. rows when `m ≥ n`. Small products
/// (< 2 MFLOP per thread) are not worth a fork. Large products are cut into about four pieces per
/// thread (at least 128 rows/columns each) so a busy core does not stall the whole product; small
/// ones into exactly `threads` pieces to keep the repacking down.
fn plan(m: usize, k: usize, n: usize, threads: usize) -> Plan {
    let flops = 2.0 * m as f64 * k as f64 * n as f64;
    let split_rows = m >= n;
    let len = if split_rows { m } else { n };
    let max_parts = len.div_ceil(TILE);
    let by_work = (flops / 2e6) as usize;
    let mut parts = threads.min(by_work).min(max_parts).max(1);
    if flops > 1e9 {
        parts = (threads * 4).min(len / 128).max(parts);
    }
    Plan { split_rows, parts }
}

/// `parts` contiguous `(start, len)` pieces of `0..len`, boundaries on multiples of [`TILE`], as
/// even as that allows.
fn split_bounds(len: usize, parts: usize) -> Vec<(usize, usize)> {
    let tiles = len.div_ceil(TILE);
    let parts = parts.min(tiles).max(1);
    let mut out = Vec::with_capacity(parts);
    let mut t0 = 0;
    for p in 0..parts {
        let t1 = tiles * (p + 1) / parts;
        let (s0, s1) = (t0 * TILE, (t1 * TILE).min(len));
        if s1 > s0 {
            out.push((s0, s1 - s0));
        }
        t0 = t1;
    }
    out
}

/// The product on the caller's thread.
///
/// # Safety
/// As [`gemm_impl`].
unsafe fn gemm_seq(
    path: SimdPath,
    alpha: f32,
    a: MatRef<'_>,
    b: BOp<'_>,
    beta: f32,
    mut c: MatMut<'_>,
    upd: Option<Upd>,
) -> bool {
    let (m, n) = (c.rows(), c.cols());
    let (csr, csc) = (c.row_stride(), c.col_stride());
    let c_ptr = c.as_mut_slice().as_mut_ptr();
    // SAFETY: `c` is a bounds-checked, uniquely borrowed m×n view starting at `c_ptr`; W per the
    // caller contract.
    unsafe { sgemm_raw(path, alpha, a, b, beta, c_ptr, m, n, csr, csc, upd) }
}

/// `C ← α·A·B + β·C` through the path's sequential kernel, C given as a raw m×n block; with
/// `upd`, then `C ← C + diag(γ)·W; W ← W + C`. Returns whether every updated W is finite.
///
/// # Safety
/// `c` must point to an m×n block with strides `(csr, csc)` (in elements) inside one allocation,
/// valid for reads and writes, whose elements are pairwise distinct and not accessed by anyone else
/// for the duration of the call. `a` is m×k and `b` k×n (checked by the caller). `upd`'s W block
/// likewise (m×n, not overlapping C, A or B), its γ m readable floats.
#[allow(clippy::too_many_arguments)]
unsafe fn sgemm_raw(
    path: SimdPath,
    alpha: f32,
    a: MatRef<'_>,
    b: BOp<'_>,
    beta: f32,
    c: *mut f32,
    m: usize,
    n: usize,
    csr: usize,
    csc: usize,
    upd: Option<Upd>,
) -> bool {
    let k = a.cols();
    debug_assert_eq!((a.rows(), b.rows(), b.cols()), (m, k, n));
    let b = match b {
        BOp::View(b) => b,
        BOp::Packed(p, col0, cols) => {
            #[cfg(target_arch = "x86_64")]
            if path == SimdPath::Avx2Fma {
                assert!(path.is_supported(), "SimdPath::Avx2Fma requested but this CPU lacks AVX2/FMA");
                let n16 = p.n.div_ceil(16) * 16;
                let pre = crate::sgemm::Prepacked { data: p.data.as_ptr(), n16, col0 };
                let dummy = MatRef::from_row_major(&[], k, 0);
                // SAFETY: AVX2+FMA detected (assert above); `p` was packed on this path by
                // `pack_b_all` for its k×N matrix, columns col0..col0+n (col0 a multiple of 16:
                // the split bounds are) lie inside it; the C and W block contracts are ours.
                return unsafe {
                    if crate::avx512::GEMM.on() {
                        crate::sgemm::sgemm512(alpha, a, dummy, beta, c, m, n, csr, csc, upd, Some(pre))
                    } else {
                        crate::sgemm::sgemm(alpha, a, dummy, beta, c, m, n, csr, csc, upd, Some(pre))
                    }
                };
            }
            let full = if p.col_major {
                MatRef::from_row_major(&p.data, p.n, p.k).t()
            } else {
                MatRef::from_row_major(&p.data, p.k, p.n)
            };
            full.submatrix(0, col0, k, cols)
        }
    };
    if m == 0 || n == 0 {
        return true;
    }
    #[cfg(target_arch = "x86_64")]
    if path == SimdPath::Avx2Fma {
        assert!(path.is_supported(), "SimdPath::Avx2Fma requested but this CPU lacks AVX2/FMA");
        // SAFETY: AVX2+FMA detected (assert above), AVX-512 F where `avx512::GEMM` says so; the C
        // and W block contracts are ours (see above).
        return unsafe {
            if crate::avx512::GEMM.on() {
                crate::sgemm::sgemm512(alpha, a, b, beta, c, m, n, csr, csc, upd, None)
            } else {
                crate::sgemm::sgemm(alpha, a, b, beta, c, m, n, csr, csc, upd, None)
            }
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = path;
    // SAFETY: the views were bounds-checked on construction, so every (i, j) with i < m, j < k
    // (resp. k×n) addressed through the strides lies inside the borrowed slices; C's block is valid
    // and exclusively ours (caller contract), so writes cannot alias `a` or `b`, which are shared
    // borrows. With k = 0 matrixmultiply only scales C, and with β = 0 it never reads C.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            alpha,
            a.as_slice().as_ptr(),
            a.row_stride() as isize,
            a.col_stride() as isize,
            b.as_slice().as_ptr(),
            b.row_stride() as isize,
            b.col_stride() as isize,
            beta,
            c,
            csr as isize,
            csc as isize,
        );
    }
    let Some(u) = upd else { return true };
    // The update as a separate pass over C and W (same rounding as the fused AVX2 epilogue).
    let mut finite = true;
    for i in 0..m {
        for j in 0..n {
            // SAFETY: (i, j) is inside the C, W (and V) blocks, which do not overlap (caller
            // contract).
            unsafe {
                let cp = c.add(i * csr + j * csc);
                let (x, ok) = u.apply(i, j, *cp);
                *cp = x;
                finite &= ok;
            }
        }
    }
    finite
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_bounds_cover_the_range_on_tile_boundaries() {
        for len in [1, 7, 8, 9, 100, 500, 784, 60000] {
            for parts in 1..9 {
                let b = split_bounds(len, parts);
                assert_eq!(b.iter().map(|p| p.1).sum::<usize>(), len);
                let mut next = 0;
                for &(s0, sl) in &b {
                    assert_eq!(s0, next);
                    assert_eq!(s0 % TILE, 0);
                    assert!(sl > 0);
                    next = s0 + sl;
                }
                assert!(b.len() <= parts);
            }
        }
    }

    #[test]
    fn plan_splits_the_cheaper_dimension() {
        assert_eq!(plan(100, 784, 500, 2), Plan { split_rows: false, parts: 2 });
        assert_eq!(plan(500, 100, 784, 2), Plan { split_rows: false, parts: 2 });
        assert!(plan(60000, 784, 500, 2).split_rows);
        assert!(plan(60000, 784, 500, 2).parts >= 2);
        assert_eq!(plan(8, 8, 8, 2).parts, 1);
    }
}
