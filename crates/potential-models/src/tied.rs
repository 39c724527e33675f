//! [`TiedAutoencoder`]: parameters, construction, validation and the batched row-block driver.

use crate::{Error, Output, Result};
use potential_activations::ActivationKind;
use potential_kernels::{gemm, Bf16Gemm, Bf16Weights, MatMut, MatRef, Parallelism};
use rayon::prelude::*;
use std::borrow::Cow;

/// Rows per block of the batched operations: each block is one sequential gemm followed by fused
/// row passes over its output. Fixed (not derived from the thread count), so results do not depend
/// on the number of threads. Large enough that re-packing Wᵀ per block is negligible (measured on
/// 784×500: blocks of 256 rows cost ~12% over one whole gemm, 1024 rows ~0–3%).
pub(crate) const BLOCK: usize = 1024;

/// A tied-weight autoencoder `r(x) = Wᵀh(Wx + b_h) + b_r` (real output) or `σ(Wᵀh(Wx + b_h) + b_r)`
/// (binary output), seen as an energy model (Kamyshanska & Memisevic 2015).
///
/// # Sign convention
/// The energy E is defined by ∇ₓE(x) = r(x) − x (Eq. 9; for binary output ∇ₓE = B(x), Eq. 27). It is
/// a *confidence score*: higher means the autoencoder represents x better, like a log-probability up
/// to a constant. The reconstruction dynamics x ← x + ε(r(x) − x) are gradient **ascent** on E.
///
/// # Layout
/// `weight` is H×D row-major (row k is hidden unit k's filter wₖ), `hidden_bias` has H entries,
/// `visible_bias` D. Batched methods take an `[n, D]` matrix view and work on blocks of rows in
/// parallel on the current rayon pool; results do not depend on the pool size.
#[derive(Clone, Debug, PartialEq)]
pub struct TiedAutoencoder {
    pub(crate) hidden: usize,
    pub(crate) visible: usize,
    pub(crate) weight: Vec<f32>,
    pub(crate) hidden_bias: Vec<f32>,
    pub(crate) visible_bias: Vec<f32>,
    pub(crate) activation: ActivationKind,
    pub(crate) output: Output,
    pub(crate) provenance: Option<String>,
}

/// Mutable access to the parameters of a [`TiedAutoencoder`] (for training code).
#[derive(Debug)]
pub struct ParamsMut<'a> {
    /// W, H×D row-major.
    pub weight: &'a mut [f32],
    /// b_h, length H.
    pub hidden_bias: &'a mut [f32],
    /// b_r, length D.
    pub visible_bias: &'a mut [f32],
}

impl TiedAutoencoder {
    /// A model from its parameters: `weight` is H×D row-major with H = `hidden_bias.len()` and
    /// D = `visible_bias.len()`.
    ///
    /// # Errors
    /// [`Error::Shape`] if `weight.len() ≠ H·D` or D = 0; [`Error::NonFinite`] naming the parameter,
    /// row and column of the first NaN/∞.
    pub fn new(
        weight: Vec<f32>,
        hidden_bias: Vec<f32>,
        visible_bias: Vec<f32>,
        activation: ActivationKind,
        output: Output,
    ) -> Result<Self> {
        let (hidden, visible) = (hidden_bias.len(), visible_bias.len());
        if visible == 0 {
            return Err(Error::Shape {
                op: "TiedAutoencoder::new",
                what: "visible size",
                expected: 1,
                found: 0,
            });
        }
        if weight.len() != hidden * visible {
            return Err(Error::Shape {
                op: "TiedAutoencoder::new",
                what: "weight length",
                expected: hidden * visible,
                found: weight.len(),
            });
        }
        let m =
            Self { hidden, visible, weight, hidden_bias, visible_bias, activation, output, provenance: None };
        m.validate()?;
        Ok(m)
    }

    /// A model with all parameters zero (H hidden units, D visible units).
    ///
    /// # Errors
    /// [`Error::Shape`] if `visible` is 0.
    pub fn zeros(hidden: usize, visible: usize, activation: ActivationKind, output: Output) -> Result<Self> {
        Self::new(vec![0.0; hidden * visible], vec![0.0; hidden], vec![0.0; visible], activation, output)
    }

    /// Check that every parameter is finite (after mutation through [`TiedAutoencoder::params_mut`]).
    ///
    /// # Errors
    /// [`Error::NonFinite`] naming the parameter (`weight`, `hidden_bias`, `visible_bias`), row and column.
    pub fn validate(&self) -> Result<()> {
        let d = self.visible;
        if let Some(i) = self.weight.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite { what: "weight", row: i / d, col: i % d, value: self.weight[i] });
        }
        for (what, v) in [("hidden_bias", &self.hidden_bias), ("visible_bias", &self.visible_bias)] {
            if let Some(i) = v.iter().position(|v| !v.is_finite()) {
                return Err(Error::NonFinite { what, row: 0, col: i, value: v[i] });
            }
        }
        Ok(())
    }

    /// Number of hidden units H.
    pub fn hidden(&self) -> usize {
        self.hidden
    }
    /// Input dimension D.
    pub fn visible(&self) -> usize {
        self.visible
    }
    /// W, H×D row-major.
    pub fn weight(&self) -> &[f32] {
        &self.weight
    }
    /// W as an H×D view.
    pub fn weight_view(&self) -> MatRef<'_> {
        MatRef::from_row_major(&self.weight, self.hidden, self.visible)
    }
    /// b_h (length H).
    pub fn hidden_bias(&self) -> &[f32] {
        &self.hidden_bias
    }
    /// b_r (length D).
    pub fn visible_bias(&self) -> &[f32] {
        &self.visible_bias
    }
    /// The hidden activation.
    pub fn activation(&self) -> ActivationKind {
        self.activation
    }
    /// The output kind.
    pub fn output(&self) -> Output {
        self.output
    }
    /// Free-form training provenance (a JSON string in model files), if any.
    pub fn provenance(&self) -> Option<&str> {
        self.provenance.as_deref()
    }
    /// Set the provenance string written to model files (should be JSON; not validated).
    pub fn set_provenance(&mut self, provenance: Option<String>) {
        self.provenance = provenance;
    }
    /// Mutable parameters. Keep them finite (see [`TiedAutoencoder::validate`]); operations on a
    /// model with non-finite parameters report [`Error::NonFiniteResult`].
    pub fn params_mut(&mut self) -> ParamsMut<'_> {
        ParamsMut {
            weight: &mut self.weight,
            hidden_bias: &mut self.hidden_bias,
            visible_bias: &mut self.visible_bias,
        }
    }

    /// ‖wₖ‖² for every hidden unit, in `f64`.
    pub fn filter_norms_sq(&self) -> Vec<f64> {
        let mut out = vec![0.0; self.hidden];
        potential_kernels::row_norms_sq(self.weight_view(), &mut out);
        out
    }

    /// Rows of `x` as contiguous slices, after checking the column count.
    pub(crate) fn rows<'a>(&self, x: MatRef<'a>, op: &'static str) -> Result<Rows<'a>> {
        rows_of(x, self.visible, op)
    }

    /// Run `f(r0, nb, scratch, out_block)` over blocks of [`BLOCK`] rows in parallel, with
    /// `scratch.u[..nb·H]` = X_blk Wᵀ (without the hidden bias: [`Self::hidden_pass`] or the
    /// caller's fused pass adds it). `out` has `per_row` entries per row.
    pub(crate) fn blocks<T, F>(&self, x: &Rows<'_>, out: &mut [T], per_row: usize, f: F) -> Result<()>
    where
        T: Send,
        F: Fn(usize, usize, &mut Scratch, &mut [T]) -> Result<()> + Sync,
    {
        self.blocks_with(Encoder::F32, x, out, per_row, f)
    }

    /// [`Self::blocks`] with the product X_blk Wᵀ computed by `enc`.
    pub(crate) fn blocks_with<T, F>(
        &self,
        enc: Encoder<'_>,
        x: &Rows<'_>,
        out: &mut [T],
        per_row: usize,
        f: F,
    ) -> Result<()>
    where
        T: Send,
        F: Fn(usize, usize, &mut Scratch, &mut [T]) -> Result<()> + Sync,
    {
        let (h, d) = (self.hidden, self.visible);
        debug_assert_eq!(out.len(), x.n * per_row);
        debug_assert!(per_row > 0, "blocks: every row must own at least one output entry");
        if x.n == 0 {
            return Ok(());
        }
        let w_t = MatRef::from_row_major(&self.weight, h, d).t();
        let per_block = BLOCK * per_row.max(1);
        out.par_chunks_mut(per_block).enumerate().try_for_each_init(Scratch::default, |s, (b, ob)| {
            let r0 = b * BLOCK;
            let nb = ob.len() / per_row.max(1);
            let u = grow(&mut s.u, nb * h);
            match enc {
                Encoder::F32 => gemm(
                    1.0,
                    x.view(r0, nb),
                    w_t,
                    0.0,
                    MatMut::from_row_major(u, nb, h),
                    Parallelism::Sequential,
                ),
                Encoder::Bf16(g, w) => g.xwt(x.view(r0, nb), w, MatMut::from_row_major(u, nb, h)),
            }
            f(r0, nb, s, ob)
        })
    }

    /// In a block: `u ← u + b_h`, `h = h(u)`, and `dh = h′(u)` when `deriv`.
    pub(crate) fn hidden_pass(&self, s: &mut Scratch, nb: usize, deriv: bool) {
        let h = self.hidden;
        grow(&mut s.h, nb * h);
        if deriv {
            grow(&mut s.dh, nb * h);
        }
        let f = self.activation;
        for i in 0..nb {
            let u = &mut s.u[i * h..(i + 1) * h];
            let hr = &mut s.h[i * h..(i + 1) * h];
            let dh = if deriv { Some(&mut s.dh[i * h..(i + 1) * h]) } else { None };
            potential_kernels::bias_act(u, &self.hidden_bias, f, hr, dh);
        }
    }

    /// In a block after [`Self::hidden_pass`]: `s.r = h·W + b_r` (the decoder's pre-activation
    /// `a = Wᵀh + b_r` per row, no output sigmoid).
    pub(crate) fn decode_pass(&self, s: &mut Scratch, nb: usize) {
        let (h, d) = (self.hidden, self.visible);
        let r = grow(&mut s.r, nb * d);
        let w = MatRef::from_row_major(&self.weight, h, d);
        let hm = MatRef::from_row_major(&s.h[..nb * h], nb, h);
        gemm(1.0, hm, w, 0.0, MatMut::from_row_major(r, nb, d), Parallelism::Sequential);
        for row in r.chunks_exact_mut(d) {
            for (a, &b) in row.iter_mut().zip(&self.visible_bias) {
                *a += b;
            }
        }
    }
}

/// How [`TiedAutoencoder::blocks_with`] computes the encoder product X Wᵀ.
#[derive(Clone, Copy)]
pub(crate) enum Encoder<'a> {
    /// The `f32` gemm.
    F32,
    /// Operands rounded to bf16, `f32` accumulation; W packed once per call.
    Bf16(Bf16Gemm, &'a Bf16Weights),
}

/// `buf[..len]`, growing `buf` if needed. The contents are stale: every user overwrites them
/// (gemm with β = 0 does not read its output).
fn grow(buf: &mut Vec<f32>, len: usize) -> &mut [f32] {
    if buf.len() < len {
        buf.resize(len, 0.0);
    }
    &mut buf[..len]
}

/// Per-thread buffers of the block driver.
#[derive(Default)]
pub(crate) struct Scratch {
    /// Net input [nb, H].
    pub u: Vec<f32>,
    /// Hidden activations [nb, H].
    pub h: Vec<f32>,
    /// h′(u) [nb, H].
    pub dh: Vec<f32>,
    /// Decoder pre-activation [nb, D].
    pub r: Vec<f32>,
}

/// An `[n, d]` input with contiguous rows (borrowed when the view allows, copied otherwise).
pub(crate) struct Rows<'a> {
    data: Cow<'a, [f32]>,
    rs: usize,
    pub n: usize,
    pub d: usize,
}

impl Rows<'_> {
    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.rs..i * self.rs + self.d]
    }
    /// Rows `r0..r0+nb` as a view.
    pub fn view(&self, r0: usize, nb: usize) -> MatRef<'_> {
        if nb == 0 || self.d == 0 {
            return MatRef::from_row_major(&[], nb, self.d);
        }
        let start = r0 * self.rs;
        let len = (nb - 1) * self.rs + self.d;
        MatRef::from_strided(&self.data[start..start + len], nb, self.d, self.rs, 1)
    }
}

/// Rows of `x` as contiguous slices, after checking it has `d` columns.
pub(crate) fn rows_of<'a>(x: MatRef<'a>, d: usize, op: &'static str) -> Result<Rows<'a>> {
    if x.cols() != d {
        return Err(Error::Shape { op, what: "input columns", expected: d, found: x.cols() });
    }
    let n = x.rows();
    if n == 0 || d == 0 {
        return Ok(Rows { data: Cow::Borrowed(&[]), rs: d, n, d });
    }
    if x.col_stride() == 1 {
        let rs = if n == 1 { d } else { x.row_stride() };
        return Ok(Rows { data: Cow::Borrowed(x.as_slice()), rs, n, d });
    }
    let mut data = Vec::with_capacity(n * d);
    for i in 0..n {
        for j in 0..d {
            data.push(x.get(i, j));
        }
    }
    Ok(Rows { data: Cow::Owned(data), rs: d, n, d })
}

/// The first non-finite value of a row, as an error.
pub(crate) fn non_finite_in(row: usize, x: &[f32]) -> Option<Error> {
    x.iter().position(|v| !v.is_finite()).map(|col| Error::NonFinite {
        what: "input",
        row,
        col,
        value: x[col],
    })
}

/// Check a row's domain: finite everywhere; for binary models also in [0, 1] (or (0, 1) when
/// `open` names the quantity that needs the open cube).
pub(crate) fn check_row(row: usize, x: &[f32], output: Output, open: Option<&'static str>) -> Result<()> {
    if let Some(e) = non_finite_in(row, x) {
        return Err(e);
    }
    if output == Output::Binary {
        for (col, &v) in x.iter().enumerate() {
            if !(0.0..=1.0).contains(&v) {
                return Err(Error::OutOfRange { row, col, value: v });
            }
            if let Some(what) = open {
                if v == 0.0 || v == 1.0 {
                    return Err(Error::OnBoundary { what, row, col, value: v });
                }
            }
        }
    }
    Ok(())
}

/// A single sample as a 1×D view.
pub(crate) fn one_row(x: &[f32]) -> MatRef<'_> {
    MatRef::from_row_major(x, 1, x.len())
}
