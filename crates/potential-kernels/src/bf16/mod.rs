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
//! [`Bf16Gemm::new`] picks AMX (`tdpbf16ps` tiles) where the CPU and Linux allow it, else
//! `vdpbf16ps`; it checks `avx512f` and `avx512bf16` at run time (and honours
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
/// Rows of X converted to bf16 at a time by the AVX-512 kernel (its bf16 block and the C block
/// stay in L2).
const MC: usize = 16 * MR;
/// Rows of X converted to bf16 at a time by the AMX kernel (a multiple of its 32-row blocks).
const MC_AMX: usize = 256;
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

/// Pairs of the inner dimension per AMX tile step; the packed operands are zero-padded to a
/// multiple of it.
const TK: usize = 16;

/// The right operand of [`Bf16Gemm::xwt`]: the rows of an n×k matrix W rounded to bf16 and packed
/// in panels of 64 rows, each panel `[pair p][row j]` with the pair (w[j, 2p], w[j, 2p+1]) in one
/// 32-bit lane (zero-padded to a multiple of 32 columns of W and to a multiple of 64 rows). Build
/// it once per weight matrix and reuse it for every product.
#[derive(Clone, Debug, PartialEq)]
pub struct Bf16Weights {
    n: usize,
    k: usize,
    /// Pairs per panel row: ⌈k/2⌉ rounded up to a multiple of [`TK`].
    kpp: usize,
    data: Vec<u32>,
}

impl Bf16Weights {
    /// Pack the rows of `w` (n×k; any strides): the product [`Bf16Gemm::xwt`] is `X·wᵀ`.
    pub fn from_rows(w: MatRef<'_>) -> Self {
        let (n, k) = (w.rows(), w.cols());
        let kp = k.div_ceil(2);
        let kpp = kp.div_ceil(TK) * TK;
        let panels = n.div_ceil(NR);
        let mut data = vec![0u32; panels * kpp * NR];
        let at = |j: usize, c: usize| if c < k { w.get(j, c) } else { 0.0 };
        for (jp, panel) in data.chunks_exact_mut((kpp * NR).max(1)).enumerate().take(panels) {
            for jj in 0..NR.min(n - jp * NR) {
                let j = jp * NR + jj;
                for p in 0..kp {
                    panel[p * NR + jj] = pair(at(j, 2 * p), at(j, 2 * p + 1));
                }
            }
        }
        Self { n, k, kpp, data }
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
    ///
    /// # Panics
    /// If `(j, c)` is outside the n×k matrix.
    pub fn get(&self, j: usize, c: usize) -> f32 {
        assert!(j < self.n && c < self.k, "Bf16Weights::get: ({j}, {c}) outside {}×{}", self.n, self.k);
        let lane = self.data[(j / NR) * self.kpp * NR + (c / 2) * NR + j % NR];
        let bits = if c.is_multiple_of(2) { lane & 0xffff } else { lane >> 16 };
        f32::from_bits(bits << 16)
    }
}

/// The instructions a [`Bf16Gemm`] runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bf16Kernel {
    /// AMX (`amx-bf16`, `amx-tile`, Linux): `tdpbf16ps` adds a 16×32 by 32×16 bf16 product to a
    /// 16×16 `f32` tile per instruction; 32×32 output blocks over the whole inner dimension.
    Amx,
    /// AVX-512 BF16 (`vdpbf16ps`): 6×64 micro-tiles in 24 zmm accumulators, passes of ≤ 160
    /// columns of W.
    Avx512,
}

impl Bf16Kernel {
    /// Both kernels, fastest first.
    pub const ALL: [Bf16Kernel; 2] = [Bf16Kernel::Amx, Bf16Kernel::Avx512];

    /// Whether this process can run the kernel: the CPU features (avx512f and avx512bf16 for both,
    /// which also convert X; amx-bf16 and amx-tile, and Linux's permission for the tile state, for
    /// [`Bf16Kernel::Amx`]), and `POTENTIAL_FORCE_PORTABLE` unset (it forces every kernel off its
    /// vector paths). Decided once per process.
    pub fn is_supported(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            use std::sync::OnceLock;
            static AVX512: OnceLock<bool> = OnceLock::new();
            static AMX: OnceLock<bool> = OnceLock::new();
            let avx512 = *AVX512.get_or_init(|| {
                let forced =
                    std::env::var("POTENTIAL_FORCE_PORTABLE").is_ok_and(|v| !v.is_empty() && v != "0");
                !forced && is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512bf16")
            });
            match self {
                Bf16Kernel::Avx512 => avx512,
                Bf16Kernel::Amx => avx512 && *AMX.get_or_init(amx_supported),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }
}

/// CPUID.(7, 0):EDX bits 22 (AMX-BF16) and 24 (AMX-TILE), then Linux's permission to use the
/// tile data state (granted once for the whole process).
#[cfg(target_arch = "x86_64")]
fn amx_supported() -> bool {
    // Miri runs no inline assembly (cpuid, arch_prctl, the tile instructions).
    #[cfg(all(target_os = "linux", not(miri)))]
    {
        let edx = std::arch::x86_64::__cpuid_count(7, 0).edx;
        edx & (1 << 22) != 0 && edx & (1 << 24) != 0 && amx::request_permission()
    }
    #[cfg(any(not(target_os = "linux"), miri))]
    {
        false
    }
}

/// Proof that this process can run a bf16 kernel ([`Bf16Kernel`]), and the products that need it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bf16Gemm {
    kernel: Bf16Kernel,
}

impl Bf16Gemm {
    /// Whether some [`Bf16Kernel`] is supported (see [`Bf16Kernel::is_supported`]).
    pub fn is_available() -> bool {
        Bf16Kernel::Avx512.is_supported()
    }

    /// The fastest supported kernel (AMX, else AVX-512 BF16), or `None` where neither runs.
    pub fn new() -> Option<Self> {
        Bf16Kernel::ALL.into_iter().find_map(Self::with_kernel)
    }

    /// This kernel, if it is supported (to test or time each one).
    pub fn with_kernel(kernel: Bf16Kernel) -> Option<Self> {
        kernel.is_supported().then_some(Self { kernel })
    }

    /// The kernel in use.
    pub fn kernel(&self) -> Bf16Kernel {
        self.kernel
    }

    /// `out ← X̂·Ŵᵀ` (β = 0: `out` is not read), with X m×k, W the n×k matrix packed in `w` and
    /// `out` m×n; products of bf16 operands summed in `f32` (error bounds in the module docs; the
    /// two kernels sum in different orders, so their results differ within those bounds).
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
        if w.k == 0 {
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
            let chunk = match self.kernel {
                Bf16Kernel::Amx => MC_AMX,
                Bf16Kernel::Avx512 => MC,
            };
            let mut a = vec![0u32; chunk * w.kpp];
            for i0 in (0..m).step_by(chunk) {
                let mc = chunk.min(m - i0);
                // SAFETY: `self` proves the kernel's features (constructed by `with_kernel` only);
                // `a` holds `chunk` ≥ mc rows (a multiple of both kernels' row tiles) of kpp pairs;
                // `c` is the output view's storage with row stride ldc, column stride 1 (or one
                // column), m rows and n columns.
                unsafe {
                    match self.kernel {
                        #[cfg(target_os = "linux")]
                        Bf16Kernel::Amx => amx::block(x, i0, mc, w, &mut a, c, ldc),
                        #[cfg(not(target_os = "linux"))]
                        Bf16Kernel::Amx => unreachable!("AMX is only enabled on Linux"),
                        Bf16Kernel::Avx512 => avx512::block(x, i0, mc, w, &mut a, c, ldc),
                    }
                }
            }
        }
    }
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod amx;
#[cfg(target_arch = "x86_64")]
mod avx512;
