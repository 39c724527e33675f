//! `C ← α·op(A)·op(B) + β·C` over `matrixmultiply::sgemm`.

use crate::mat::{MatMut, MatRef};

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
/// Transposes are expressed as views ([`MatRef::t`]). When `β = 0`, `C` is not read, so it may
/// hold NaN or garbage.
///
/// # Panics
/// If the shapes do not agree.
pub fn gemm(alpha: f32, a: MatRef<'_>, b: MatRef<'_>, beta: f32, c: MatMut<'_>, par: Parallelism) {
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    assert_eq!(b.rows(), k, "gemm: A is {m}×{k} but B is {}×{n}", b.rows());
    assert_eq!(
        (c.rows(), c.cols()),
        (m, n),
        "gemm: A·B is {m}×{n} but C is {}×{}",
        c.rows(),
        c.cols()
    );
    let threads = par.threads();
    if threads <= 1 || m < 2 * threads || c.row_stride() < n * c.col_stride() {
        gemm_seq(alpha, a, b, beta, c);
        return;
    }
    let chunk = m.div_ceil(threads);
    let mut parts = Vec::with_capacity(threads);
    let mut rest = c;
    let mut r0 = 0;
    while r0 < m {
        let nr = chunk.min(m - r0);
        let (head, tail) = rest.split_rows_at(nr);
        parts.push((r0, nr, head));
        rest = tail;
        r0 += nr;
    }
    rayon::scope(|s| {
        for (r0, nr, part) in parts {
            let a_part = a.submatrix(r0, 0, nr, k);
            s.spawn(move |_| gemm_seq(alpha, a_part, b, beta, part));
        }
    });
}

fn gemm_seq(alpha: f32, a: MatRef<'_>, b: MatRef<'_>, beta: f32, mut c: MatMut<'_>) {
    let (m, k, n) = (a.rows(), a.cols(), b.cols());
    if m == 0 || n == 0 {
        return;
    }
    let (csr, csc) = (c.row_stride() as isize, c.col_stride() as isize);
    let c_ptr = c.as_mut_slice().as_mut_ptr();
    // SAFETY: the views were bounds-checked on construction, so every (i, j) with i < m, j < k
    // (resp. k×n, m×n) addressed through the strides lies inside the borrowed slices; `c` is a
    // unique borrow, so writes through `c_ptr` cannot alias `a` or `b`. With k = 0 matrixmultiply
    // only scales C. When beta is 0 matrixmultiply does not read C.
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
            c_ptr,
            csr,
            csc,
        );
    }
}
