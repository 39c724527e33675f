//! [`PackedB`]: a right-hand gemm operand packed once and reused by several products
//! ([`gemm_packed`]), e.g. Wᵀ, which a training step multiplies twice (U = X̃Wᵀ and Δ = δWᵀ).

use crate::elementwise::{simd_path, SimdPath};
use crate::gemm::{gemm_b, BOp, Parallelism};
use crate::mat::{MatMut, MatRef};

/// The right operand B (k×n) of [`gemm_packed`], packed once in the layout of the AVX2+FMA
/// kernel's panels (every k-block, 16-column panels, zero-padded), or, on the portable path, copied
/// in its own orientation (row-major, or column-major for a transposed view such as Wᵀ, so that
/// `matrixmultiply` sees the layout it would have seen). Products with it skip the packing of B and equal [`gemm`](crate::gemm) with B **bit
/// for bit** (same k-blocks, same micro-kernel). Build it with [`PackedB::new`], or refill one
/// (keeping its allocation) with [`PackedB::repack`] whenever B changes.
///
/// # Example
/// ```
/// use potential_kernels::{gemm, gemm_packed, MatMut, MatRef, PackedB, Parallelism};
///
/// let w = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]; // 2×3
/// let wt = PackedB::new(MatRef::from_row_major(&w, 2, 3).t()); // Wᵀ, 3×2
/// let x = [1.0f32, 0.0, -1.0];
/// let (mut u, mut v) = ([0.0f32; 2], [0.0f32; 2]);
/// gemm_packed(1.0, MatRef::from_row_major(&x, 1, 3), &wt, 0.0, MatMut::from_row_major(&mut u, 1, 2), Parallelism::Sequential);
/// gemm(1.0, MatRef::from_row_major(&x, 1, 3), MatRef::from_row_major(&w, 2, 3).t(), 0.0, MatMut::from_row_major(&mut v, 1, 2), Parallelism::Sequential);
/// assert_eq!(u, v);
/// assert_eq!(u, [-2.0, -2.0]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct PackedB {
    pub(crate) k: usize,
    pub(crate) n: usize,
    pub(crate) path: Option<SimdPath>,
    /// Portable path: the copy is column-major (B's column stride ≠ 1 and its row stride = 1).
    pub(crate) col_major: bool,
    pub(crate) data: Vec<f32>,
}

impl PackedB {
    /// B packed on this process's [`simd_path`].
    pub fn new(b: MatRef<'_>) -> Self {
        let mut p = Self::default();
        p.repack(b);
        p
    }

    /// B packed for an explicit path (see [`paths`](crate::paths)).
    pub fn new_on(path: SimdPath, b: MatRef<'_>) -> Self {
        let mut p = Self::default();
        p.repack_on(path, b);
        p
    }

    /// Pack `b` into this buffer (reusing its allocation), on this process's [`simd_path`].
    pub fn repack(&mut self, b: MatRef<'_>) {
        self.repack_on(simd_path(), b)
    }

    /// [`PackedB::repack`], sharing the packing with the kernels' helper thread when `par` asks for
    /// two or more threads and the current rayon pool has them (same packed values).
    pub fn repack_with(&mut self, b: MatRef<'_>, par: Parallelism) {
        let two = par.threads() >= 2 && rayon::current_num_threads() >= 2 && !cfg!(miri);
        self.repack_impl(simd_path(), b, two)
    }

    /// [`PackedB::repack`] on an explicit path.
    ///
    /// # Panics
    /// If `path` is not supported by this CPU.
    pub fn repack_on(&mut self, path: SimdPath, b: MatRef<'_>) {
        self.repack_impl(path, b, false)
    }

    fn repack_impl(&mut self, path: SimdPath, b: MatRef<'_>, two_threads: bool) {
        assert!(path.is_supported(), "PackedB: {path:?} is not supported by this CPU");
        (self.k, self.n, self.path) = (b.rows(), b.cols(), Some(path));
        #[cfg(target_arch = "x86_64")]
        if path == SimdPath::Avx2Fma {
            // SAFETY: AVX2 support asserted above.
            unsafe { crate::sgemm::pack_b_all(b, &mut self.data, two_threads) };
            return;
        }
        self.data.clear();
        self.data.reserve(b.rows() * b.cols());
        self.col_major = b.col_stride() != 1 && b.row_stride() == 1;
        let src = if self.col_major { b.t() } else { b };
        for i in 0..src.rows() {
            for j in 0..src.cols() {
                self.data.push(src.get(i, j));
            }
        }
    }

    /// Rows of B (the inner dimension k).
    pub fn rows(&self) -> usize {
        self.k
    }

    /// Columns of B.
    pub fn cols(&self) -> usize {
        self.n
    }
}

/// `C ← α·A·B + β·C` with B packed in `b` ([`PackedB`]): [`gemm`](crate::gemm) without packing B,
/// with the same result bit for bit (on the path `b` was packed for), threads as for `gemm`.
///
/// # Panics
/// If the shapes do not agree.
pub fn gemm_packed(alpha: f32, a: MatRef<'_>, b: &PackedB, beta: f32, c: MatMut<'_>, par: Parallelism) {
    crate::warn_if_unoptimized();
    let path = b.path.unwrap_or_else(simd_path);
    gemm_b(path, alpha, a, BOp::Packed(b, 0, b.n), beta, c, par)
}
