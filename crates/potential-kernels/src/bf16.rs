//! bf16 products with `f32` accumulation: `U = X̂·Ŵᵀ`, where ^ rounds every operand to bfloat16
//! (8 significant bits, round to nearest, ties to even) and the products are summed in `f32` by
//! `vdpbf16ps` (AVX-512 BF16: two bf16 products per 32-bit lane per instruction, twice the f32 FMA
//! rate of an AVX2 core).
//!
//! # Numbers
//! A bf16 product is exact in `f32` (8 + 8 significant bits), so the only roundings are the
//! operands' (relative ≤ u_b = 2⁻⁸ each) and the `f32` sums (the pair sum of each instruction and
//! the running sum of each lane, over blocks of the inner dimension). With D the inner dimension
//! and γ_D = D·2⁻²⁴/(1 − D·2⁻²⁴), each output element satisfies, for normal operands,
//!
//! `|u − Σⱼ x̂ⱼŵⱼ| ≤ γ_D · Σⱼ |x̂ⱼ||ŵⱼ|` and `|x̂ⱼŵⱼ − xⱼwⱼ| ≤ (2u_b + u_b²)|xⱼ||wⱼ|`.
//!
//! The instruction treats subnormal operands and results as zero (DAZ/FTZ), which moves each
//! element by at most D·2⁻¹²⁶ in addition. Results do not depend on the thread count (each output
//! element is one fixed sequence of instructions).
//!
//! # Portability
//! [`Bf16Gemm::new`] checks `avx512f` and `avx512bf16` at run time (and honours
//! `POTENTIAL_FORCE_PORTABLE`, like [`simd_path`](crate::simd_path)); it returns `None` elsewhere,
//! and callers report that as an error: there is no bf16 fallback, since emulating it would be
//! slower than the `f32` path it is meant to beat. The rounding ([`round_bf16`]) and the packing
//! ([`Bf16Weights`]) are portable Rust; [`reference::xwt_bf16`](crate::reference::xwt_bf16) is the
//! scalar specification of the product.

use crate::{MatMut, MatRef};

/// Rows of the micro-tile (broadcast operands).
const MR: usize = 6;
/// 16-lane vectors per micro-tile row.
const NV: usize = 4;
/// Columns of the micro-tile, and of a panel of [`Bf16Weights`].
const NR: usize = 16 * NV;
/// Rows of X converted to bf16 at a time (its bf16 block and the C block stay in L2).
const MC: usize = 16 * MR;
/// Upper bound on the pairs of the inner dimension per pass (so a B micro-panel, kc·NR·4 bytes,
/// stays in L1).
const KC_MAX: usize = 80;

/// The bfloat16 bit pattern nearest to `x` (ties to even); NaN stays NaN (quieted), ±∞ stay ±∞, a
/// value beyond the largest finite bf16 rounds to ±∞. Subnormals are rounded like normal numbers
/// (the hardware conversion of [`Bf16Gemm`] may flush them to zero instead).
pub fn bf16_bits(x: f32) -> u16 {
    let b = x.to_bits();
    if x.is_nan() {
        return ((b >> 16) | 0x40) as u16;
    }
    // Add half an ulp of bf16, minus one unless the kept part is odd: ties go to even. No overflow:
    // the largest non-NaN pattern is 0xff80_0000 (−∞).
    let round = 0x7fff + ((b >> 16) & 1);
    ((b + round) >> 16) as u16
}

/// `x` rounded to bfloat16 (see [`bf16_bits`]), as an `f32`.
pub fn round_bf16(x: f32) -> f32 {
    f32::from_bits((bf16_bits(x) as u32) << 16)
}

/// Two bf16 values in one 32-bit lane: `lo` in the low half (the even index of a pair).
fn pair(lo: f32, hi: f32) -> u32 {
    (bf16_bits(lo) as u32) | ((bf16_bits(hi) as u32) << 16)
}

/// The right operand of [`Bf16Gemm::xwt`]: the rows of an n×k matrix W rounded to bf16 and packed
/// in panels of 64 rows, each panel `[pair p][row j]` with the pair (w[j, 2p], w[j, 2p+1]) in one
/// 32-bit lane (zero-padded to an even k and to a multiple of 64 rows). Build it once per weight
/// matrix and reuse it for every product.
#[derive(Clone, Debug, PartialEq)]
pub struct Bf16Weights {
    n: usize,
    k: usize,
    data: Vec<u32>,
}

impl Bf16Weights {
    /// Pack the rows of `w` (n×k; any strides): the product [`Bf16Gemm::xwt`] is `X·wᵀ`.
    pub fn from_rows(w: MatRef<'_>) -> Self {
        let (n, k) = (w.rows(), w.cols());
        let kp = k.div_ceil(2);
        let panels = n.div_ceil(NR);
        let mut data = vec![0u32; panels * kp * NR];
        let at = |j: usize, c: usize| if c < k { w.get(j, c) } else { 0.0 };
        for (jp, panel) in data.chunks_exact_mut((kp * NR).max(1)).enumerate().take(panels) {
            for jj in 0..NR.min(n - jp * NR) {
                let j = jp * NR + jj;
                for p in 0..kp {
                    panel[p * NR + jj] = pair(at(j, 2 * p), at(j, 2 * p + 1));
                }
            }
        }
        Self { n, k, data }
    }

    /// Rows of W (columns of the product).
    pub fn rows(&self) -> usize {
        self.n
    }

    /// Columns of W (the inner dimension).
    pub fn cols(&self) -> usize {
        self.k
    }

    /// The bf16 value of `w[j, c]` as packed (for tests).
    pub fn get(&self, j: usize, c: usize) -> f32 {
        assert!(j < self.n && c < self.k, "Bf16Weights::get: ({j}, {c}) outside {}×{}", self.n, self.k);
        let kp = self.k.div_ceil(2);
        let lane = self.data[(j / NR) * kp * NR + (c / 2) * NR + j % NR];
        let bits = if c % 2 == 0 { lane & 0xffff } else { lane >> 16 };
        f32::from_bits(bits << 16)
    }
}

/// Proof that the CPU runs `vdpbf16ps` (AVX-512 F and BF16), and the products that need it.
#[derive(Clone, Copy, Debug)]
pub struct Bf16Gemm {
    _private: (),
}

impl Bf16Gemm {
    /// Whether this process may use the bf16 kernels: the CPU has `avx512f` and `avx512bf16`, and
    /// `POTENTIAL_FORCE_PORTABLE` is not set (it forces every kernel off its vector paths).
    pub fn is_available() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
            *AVAILABLE.get_or_init(|| {
                let forced =
                    std::env::var("POTENTIAL_FORCE_PORTABLE").is_ok_and(|v| !v.is_empty() && v != "0");
                !forced && is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512bf16")
            })
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }

    /// The capability, or `None` where [`Bf16Gemm::is_available`] is false.
    pub fn new() -> Option<Self> {
        Self::is_available().then_some(Self { _private: () })
    }

    /// `out ← X̂·Ŵᵀ` (β = 0: `out` is not read), with X m×k, W the n×k matrix packed in `w` and
    /// `out` m×n; products of bf16 operands summed in `f32` (error bounds in the module docs).
    /// Sequential: callers parallelise over blocks of rows.
    ///
    /// # Panics
    /// If `x.cols() ≠ w.cols()`, `out` is not `x.rows()×w.rows()`, or `out`'s columns are not
    /// contiguous (column stride 1).
    pub fn xwt(&self, x: MatRef<'_>, w: &Bf16Weights, mut out: MatMut<'_>) {
        assert_eq!(x.cols(), w.k, "Bf16Gemm::xwt: X has {} columns, W has {}", x.cols(), w.k);
        assert_eq!(
            (out.rows(), out.cols()),
            (x.rows(), w.n),
            "Bf16Gemm::xwt: output is {}×{}, expected {}×{}",
            out.rows(),
            out.cols(),
            x.rows(),
            w.n
        );
        let (m, n) = (x.rows(), w.n);
        if m == 0 || n == 0 {
            return;
        }
        assert!(n == 1 || out.col_stride() == 1, "Bf16Gemm::xwt: output columns must be contiguous");
        let kp = w.k.div_ceil(2);
        if kp == 0 {
            for i in 0..m {
                for j in 0..n {
                    out.set(i, j, 0.0);
                }
            }
            return;
        }
        #[cfg(target_arch = "x86_64")]
        {
            let ldc = out.row_stride();
            let c = out.as_mut_slice();
            let mut a = vec![0u32; MC * kp];
            for i0 in (0..m).step_by(MC) {
                let mc = MC.min(m - i0);
                // SAFETY: `self` proves avx512f and avx512bf16 (constructed by `new` only); `a` holds
                // MC ≥ mc rows of kp pairs and `c` is the output view's storage with row stride ldc,
                // column stride 1, m rows and n columns.
                unsafe { avx512::block(x, i0, mc, w, &mut a, c, ldc) };
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{pair, Bf16Weights, KC_MAX, MC, MR, NR, NV};
    use crate::MatRef;
    use std::arch::x86_64::*;

    /// Rows `i0..i0+mc` of the product into `c` (row stride `ldc`): convert those rows of X to
    /// bf16 pairs in `a` (`[row][pair]`, rows from mc up to the next multiple of MR zeroed), then
    /// for each pass over ≤ KC_MAX pairs, each 64-column panel of W and each 6-row panel of X, one
    /// micro-tile; the first pass stores, the later ones add to what is stored.
    ///
    /// # Safety
    /// avx512f and avx512bf16 are available; `a.len() ≥ MC·kp` with kp = ⌈k/2⌉ ≥ 1, mc ≤ MC;
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
        debug_assert!(a.len() >= MC * kp && mc <= MC && (i0 + mc - 1) * ldc + n <= c.len());
        let mc_pad = mc.div_ceil(MR) * MR;
        for i in 0..mc_pad {
            let dst = &mut a[i * kp..(i + 1) * kp];
            if i < mc {
                // SAFETY: the caller guarantees the features.
                unsafe { convert_row(x, i0 + i, dst) };
            } else {
                dst.fill(0);
            }
        }
        let passes = kp.div_ceil(KC_MAX);
        let kc_step = kp.div_ceil(passes);
        for p0 in (0..kp).step_by(kc_step) {
            let kc = kc_step.min(kp - p0);
            for jp in 0..n.div_ceil(NR) {
                let cols = NR.min(n - jp * NR);
                let masks: [u16; NV] = std::array::from_fn(|v| {
                    (((1u32 << cols.saturating_sub(16 * v).min(16)) - 1) & 0xffff) as u16
                });
                let b = &w.data[jp * kp * NR + p0 * NR..jp * kp * NR + (p0 + kc) * NR];
                for ip in (0..mc).step_by(MR) {
                    let rows = MR.min(mc - ip);
                    let at = (i0 + ip) * ldc + jp * NR;
                    // SAFETY: A rows ip..ip+MR exist (padded), from pair p0 on: kc pairs each with
                    // row stride kp; `b` holds kc·NR lanes; C rows ip..ip+rows exist with `cols`
                    // columns from jp·NR (masked), so every access is in bounds.
                    unsafe {
                        tile(
                            kc,
                            a.as_ptr().add(ip * kp + p0),
                            kp,
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
}
