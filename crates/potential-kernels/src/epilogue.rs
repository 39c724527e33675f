//! The fused epilogues of [`gemm_update`](crate::gemm_update) and
//! [`gemm_momentum`](crate::gemm_momentum): what the store of a product's last k-block does to a
//! second matrix W (and a velocity V) once an element x of C is final. One definition for the
//! AVX2 kernel, its scalar edges and the portable path's separate pass, so every path rounds alike.

/// The epilogue's kind.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    /// `x ← fma(γᵢ, w, x); w ← w + x` (C keeps the new x); γ has one value per row.
    Decay {
        /// γ of the block's first row; row i's at `gamma.add(i)`.
        gamma: *const f32,
    },
    /// `v ← μ·v − η·x; w ← w + v` (C keeps x), each operation rounded separately: the momentum
    /// step after the gradient x, as a separate pass would compute it.
    Momentum {
        /// V's element matching C's first element.
        v: *mut f32,
        /// Row stride of V (elements).
        vsr: usize,
        /// Column stride of V (elements).
        vsc: usize,
        /// η.
        lr: f32,
        /// μ.
        mu: f32,
    },
}

/// A fused update of a block of C: W of the same shape at `w` with strides `(wsr, wsc)`, and the
/// [`Kind`].
#[derive(Clone, Copy)]
pub(crate) struct Update {
    /// W's element matching C's first element.
    pub w: *mut f32,
    /// Row stride of W (elements).
    pub wsr: usize,
    /// Column stride of W (elements).
    pub wsc: usize,
    /// What to do.
    pub kind: Kind,
}

impl Update {
    /// The update of the sub-block starting at row `i`, column `j` of this one.
    ///
    /// # Safety
    /// (i, j) must lie inside the block this update describes (or be one past it for an empty
    /// block).
    #[inline(always)]
    pub(crate) unsafe fn at(self, i: usize, j: usize) -> Self {
        // SAFETY: (i, j) inside the block (caller contract), so every offset stays inside γ, W
        // and V.
        unsafe {
            let kind = match self.kind {
                Kind::Decay { gamma } => Kind::Decay { gamma: gamma.add(i) },
                Kind::Momentum { v, vsr, vsc, lr, mu } => {
                    Kind::Momentum { v: v.add(i * vsr + j * vsc), vsr, vsc, lr, mu }
                }
            };
            Self { w: self.w.add(i * self.wsr + j * self.wsc), kind, ..self }
        }
    }

    /// Whether W (and V) have unit column stride, so the vector epilogue applies.
    #[inline(always)]
    pub(crate) fn contiguous(&self) -> bool {
        self.wsc == 1 && !matches!(self.kind, Kind::Momentum { vsc, .. } if vsc != 1)
    }

    /// The epilogue of element (i, j) of the block whose final product value is `x`: returns the
    /// value C keeps and whether the updated w is finite.
    ///
    /// # Safety
    /// (i, j) inside the block; W's (and V's) element there valid for reads and writes and not
    /// accessed by anyone else.
    #[inline(always)]
    pub(crate) unsafe fn apply(self, i: usize, j: usize, x: f32) -> (f32, bool) {
        // SAFETY: caller contract.
        unsafe {
            let wp = self.w.add(i * self.wsr + j * self.wsc);
            let x = match self.kind {
                Kind::Decay { gamma } => {
                    let x = (*gamma.add(i)).mul_add(*wp, x);
                    *wp += x;
                    x
                }
                Kind::Momentum { v, vsr, vsc, lr, mu } => {
                    let vp = v.add(i * vsr + j * vsc);
                    *vp = mu * *vp - lr * x;
                    *wp += *vp;
                    x
                }
            };
            (x, (*wp).is_finite())
        }
    }
}
