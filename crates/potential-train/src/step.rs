//! One training step: the objective, its exact gradient and the momentum update, in a reusable
//! [`Workspace`] (no allocation per step).
//!
//! See [`Workspace`] for the gradient and its determinism.

use potential_activations::ActivationKind;
use potential_kernels::{
    all_finite, for_each_item, gemm, gemm_packed, gemm_update, map, map_inplace, MatMut, MatRef, PackedB,
    Parallelism, UnaryOp,
};
use potential_models::{Output, TiedAutoencoder};
use rayon::prelude::*;

/// Parameter-shaped buffers: a gradient or the optimiser's velocity (the one such type of the
/// workspace, [`potential_models::TiedGradient`]).
pub use potential_models::TiedGradient as Params;

/// Name of the first of the three tensors holding a NaN or ±∞.
pub(crate) fn non_finite_param(w: &[f32], bh: &[f32], br: &[f32]) -> Option<&'static str> {
    Params::first_non_finite_in(w, bh, br)
}

/// The objective of one minibatch, summed over its rows (divide by the row count for the mean).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BatchLoss {
    /// Σᵢ L(r(x̃ᵢ), xᵢ): ½‖r − x‖² (real) or the cross-entropy (binary).
    pub reconstruction: f64,
    /// Σᵢ Σₖ h′(uᵢₖ)²‖wₖ‖² (Eq. 40), not yet multiplied by λ.
    pub contraction: f64,
}

impl BatchLoss {
    /// reconstruction + λ·contraction.
    pub fn total(&self, lambda: f32) -> f64 {
        self.reconstruction + lambda as f64 * self.contraction
    }
}

/// The buffers of a training step for minibatches of up to `batch` rows (allocated once; a step
/// allocates nothing).
///
/// # The gradient (tied weights)
/// For a minibatch of `n` rows with encoder input X̃ (corrupted or clean) and target X:
///
/// ```text
/// U = X̃Wᵀ + b_h          (gemm 1)        H = h(U), G = h′(U)
/// A = HW + b_r           (gemm 2)        R = A (real) or σ(A) (binary)
/// δ = ∂ℓ/∂A = R − X      (both ½‖R − X‖² and the cross-entropy give this)
/// Δ = (δWᵀ) ⊙ G + 2λ·G ⊙ h″(U) ⊙ n     (gemm 3; nₖ = ‖wₖ‖²)
/// ∂/∂W = (1/n)·[H; Δ]ᵀ[δ; X̃]           (gemms 4 and 5 as one product with 2n inner rows)
///        + (2λ/n)·diag(Σᵢ Gᵢₖ²)·W + wd·W
/// ∂/∂b_h = (1/n)·Σᵢ Δᵢ,   ∂/∂b_r = (1/n)·Σᵢ δᵢ
/// ```
///
/// The contractive penalty λ·Σₖ h′(uₖ)²‖wₖ‖² (Eq. 40) depends on W twice: through uₖ = wₖ·x̃ + b_hₖ
/// (giving the 2λ G h″(U) n term of Δ, which flows into ∂/∂W through X̃ and into ∂/∂b_h) and through
/// ‖wₖ‖² (giving 2λ (Σᵢ Gᵢₖ²) wₖ).
///
/// # Determinism
/// The gemms run with [`Parallelism::Rayon`]; `potential_kernels::gemm` splits on micro-kernel tile
/// boundaries, so its result does not depend on the thread count. Elementwise passes are per row;
/// column sums and loss sums run in a fixed order. A step therefore gives the same bits on any
/// number of threads.
#[derive(Clone, Debug)]
pub struct Workspace {
    batch: usize,
    hidden: usize,
    visible: usize,
    /// Net input U (then u + b_h) [n, H].
    u: Vec<f32>,
    /// G = h′(U) [n, H].
    g: Vec<f32>,
    /// [2n, H]: rows 0..n hold h(U), rows n..2n hold Δ = ∂ℓ/∂U.
    p: Vec<f32>,
    /// [2n, D]: rows 0..n hold A, then δ = ∂ℓ/∂A; rows n..2n hold the encoder input X̃.
    q: Vec<f32>,
    /// σ(A) for binary output [n, D].
    tmp: Vec<f32>,
    /// ‖wₖ‖² [H].
    norms: Vec<f32>,
    /// Σᵢ Gᵢₖ² [H].
    g2: Vec<f32>,
    /// γ of [`Workspace::momentum_step`]'s fused update [H].
    gamma: Vec<f32>,
    /// Per-row losses [n].
    row_loss: Vec<f64>,
    /// Per-row contractions [n].
    row_contr: Vec<f64>,
    /// The gradient of the last [`Workspace::gradient`] call (of the mean objective).
    grad: Params,
    /// Wᵀ packed once per step (in the forward pass) for gemms 1 and 3.
    wt: PackedB,
}

impl Workspace {
    /// Buffers for minibatches of up to `batch` rows of a `hidden`×`visible` model.
    pub fn new(batch: usize, hidden: usize, visible: usize) -> Self {
        let b = batch.max(1);
        Self {
            batch: b,
            hidden,
            visible,
            u: vec![0.0; b * hidden],
            g: vec![0.0; b * hidden],
            p: vec![0.0; 2 * b * hidden],
            q: vec![0.0; 2 * b * visible],
            tmp: vec![0.0; b * visible],
            norms: vec![0.0; hidden],
            g2: vec![0.0; hidden],
            gamma: vec![0.0; hidden],
            row_loss: vec![0.0; b],
            row_contr: vec![0.0; b],
            grad: Params::zeros(hidden, visible),
            wt: PackedB::default(),
        }
    }

    /// The largest minibatch these buffers hold.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// The encoder-input slot X̃ for a minibatch of `n` rows (`n·D` values, row-major): write the
    /// (corrupted) input here before [`Workspace::forward`] / [`Workspace::gradient`].
    ///
    /// # Panics
    /// If `n` exceeds [`Workspace::batch`].
    pub fn input_mut(&mut self, n: usize) -> &mut [f32] {
        assert!(n <= self.batch, "input_mut: {n} rows but the workspace holds {}", self.batch);
        let d = self.visible;
        &mut self.q[n * d..2 * n * d]
    }

    /// The gradient computed by the last [`Workspace::gradient`] call.
    pub fn grad(&self) -> &Params {
        &self.grad
    }

    fn check(&self, model: &TiedAutoencoder, target: &[f32], n: usize) {
        assert_eq!(
            (model.hidden(), model.visible()),
            (self.hidden, self.visible),
            "workspace is for {}×{}, model is {}×{}",
            self.hidden,
            self.visible,
            model.hidden(),
            model.visible()
        );
        assert!(n >= 1 && n <= self.batch, "minibatch of {n} rows, workspace holds 1..={}", self.batch);
        assert_eq!(target.len(), n * self.visible, "target has {} values for {n} rows", target.len());
    }

    /// Forward pass of `n` rows: encoder input from [`Workspace::input_mut`], `target` the clean rows.
    /// Leaves U, G, H, δ in the buffers and returns the summed objective terms.
    ///
    /// # Panics
    /// If the shapes disagree with the model or `n` is 0 or above [`Workspace::batch`].
    pub fn forward(
        &mut self,
        model: &TiedAutoencoder,
        target: &[f32],
        n: usize,
        par: Parallelism,
    ) -> BatchLoss {
        self.check(model, target, n);
        let (h, d) = (self.hidden, self.visible);
        let w = MatRef::from_row_major(model.weight(), h, d);
        let act = model.activation();
        let f = act;
        let (q_a, q_x) = self.q[..2 * n * d].split_at_mut(n * d);
        // Gemm 1: U = X̃ Wᵀ, with Wᵀ packed here once for this gemm and gemm 3 of the step
        // (bit-identical to packing it in each gemm).
        if h > 0 {
            self.wt.repack_with(w.t(), par);
            gemm_packed(
                1.0,
                MatRef::from_row_major(q_x, n, d),
                &self.wt,
                0.0,
                MatMut::from_row_major(&mut self.u[..n * h], n, h),
                par,
            );
        }
        // ‖wₖ‖², in f64 then stored as f32 (filters in parallel).
        if d > 0 {
            let rp = rows_per_piece(h, par);
            let items = self.norms.chunks_mut(rp).zip(model.weight().chunks(rp * d)).collect();
            for_each_item(par, items, |(nk, wk): (&mut [f32], &[f32])| {
                for (v, w) in nk.iter_mut().zip(wk.chunks(d)) {
                    *v = potential_kernels::sum_sq(w) as f32;
                }
            });
        } else {
            self.norms.iter_mut().for_each(|v| *v = 0.0);
        }
        let norms = &self.norms;
        let bh = model.hidden_bias();
        let (p_h, p_d) = self.p[..2 * n * h].split_at_mut(n * h);
        // Pass A: u ← u + b_h, H = h(u), G = h′(u); G² into the Δ rows (free until gemm 3) and the
        // per-row contraction Σₖ G²‖wₖ‖² (an f64 dot product of G² with the norms).
        if h > 0 {
            let rp = rows_per_piece(n, par);
            let items = self.u[..n * h]
                .chunks_mut(rp * h)
                .zip(p_h.chunks_mut(rp * h))
                .zip(self.g[..n * h].chunks_mut(rp * h))
                .zip(p_d.chunks_mut(rp * h))
                .zip(self.row_contr[..n].chunks_mut(rp))
                .collect();
            for_each_item(par, items, |((((u, hr), g), g2), c): Rows5<'_>| {
                let rows = u.chunks_mut(h).zip(hr.chunks_mut(h)).zip(g.chunks_mut(h)).zip(g2.chunks_mut(h));
                for ((((u, hr), g), g2), c) in rows.zip(c) {
                    potential_kernels::bias_act(u, bh, f, hr, Some(&mut *g));
                    for (s, &gk) in g2.iter_mut().zip(g.iter()) {
                        *s = gk * gk;
                    }
                    *c = potential_kernels::dot(g2, norms);
                }
            });
            // Σᵢ Gᵢₖ² (for the penalty's ‖wₖ‖² path), columns in parallel, rows in order.
            column_sums(&mut self.g2, p_d, n, 1.0, par);
        } else {
            self.row_contr[..n].iter_mut().for_each(|c| *c = 0.0);
        }
        // Gemm 2: A = H W.
        gemm(1.0, MatRef::from_row_major(p_h, n, h), w, 0.0, MatMut::from_row_major(q_a, n, d), par);
        // Pass B: a ← a + b_r; δ = r − x; per-row loss.
        let br = model.visible_bias();
        let out = model.output();
        let rp = rows_per_piece(n, par);
        let items = q_a
            .chunks_mut(rp * d)
            .zip(target.chunks(rp * d))
            .zip(self.tmp[..n * d].chunks_mut(rp * d))
            .zip(self.row_loss[..n].chunks_mut(rp))
            .collect();
        for_each_item(par, items, |(((a, x), t), l): RowsB<'_>| {
            let rows = a.chunks_mut(d).zip(x.chunks(d)).zip(t.chunks_mut(d));
            for (((a, x), t), l) in rows.zip(l) {
                for (av, &b) in a.iter_mut().zip(br) {
                    *av += b;
                }
                match out {
                    Output::Real => {
                        for (av, &xv) in a.iter_mut().zip(x) {
                            *av -= xv;
                        }
                        *l = 0.5 * potential_kernels::sum_sq(a);
                    }
                    Output::Binary => {
                        // CE = Σ softplus(a) − x·a; δ = σ(a) − x.
                        map(UnaryOp::Sigmoid, a, t);
                        let xa = potential_kernels::dot(x, a);
                        map_inplace(UnaryOp::Softplus, a);
                        let sp = potential_kernels::sum(a);
                        for ((av, &tv), &xv) in a.iter_mut().zip(t.iter()).zip(x) {
                            *av = tv - xv;
                        }
                        *l = sp - xa;
                    }
                }
            }
        });
        let mut loss = BatchLoss::default();
        for i in 0..n {
            loss.reconstruction += self.row_loss[i];
            loss.contraction += self.row_contr[i];
        }
        loss
    }

    /// Forward and backward pass of `n` rows (see [`Workspace::forward`]); the gradient of the
    /// *mean* objective (plus ½·`weight_decay`·‖W‖²) is left in [`Workspace::grad`].
    ///
    /// # Panics
    /// As [`Workspace::forward`].
    pub fn gradient(
        &mut self,
        model: &TiedAutoencoder,
        target: &[f32],
        n: usize,
        lambda: f32,
        weight_decay: f32,
        par: Parallelism,
    ) -> BatchLoss {
        let loss = self.backward(model, target, n, lambda, par);
        let (h, d) = (self.hidden, self.visible);
        if h > 0 {
            let inv_n = 1.0 / n as f32;
            let grad = &mut self.grad;
            // Gemms 4 + 5: ∂/∂W = (1/n)·[H; Δ]ᵀ [δ; X̃].
            gemm(
                inv_n,
                MatRef::from_row_major(&self.p[..2 * n * h], 2 * n, h).t(),
                MatRef::from_row_major(&self.q[..2 * n * d], 2 * n, d),
                0.0,
                MatMut::from_row_major(&mut grad.weight, h, d),
                par,
            );
            // The penalty through ‖wₖ‖² and the weight decay: + (2λ/n Σᵢ Gᵢₖ² + wd)·wₖ.
            if lambda > 0.0 || weight_decay > 0.0 {
                let g2 = &self.g2;
                grad.weight.par_chunks_mut(d).zip(model.weight().par_chunks(d)).enumerate().for_each(
                    |(k, (gw, wk))| {
                        let c = decay_coefficient(lambda, weight_decay, g2[k], inv_n);
                        for (gv, &wv) in gw.iter_mut().zip(wk) {
                            *gv += c * wv;
                        }
                    },
                );
            }
        }
        loss
    }

    /// One momentum-SGD step on `n` rows, the gradient never materialised: the forward and
    /// backward passes of [`Workspace::gradient`], then the weight gradient gemm writes straight
    /// into the velocity with the penalty's ‖wₖ‖² term, the weight decay and the update
    /// `W ← W + v` fused into its store ([`potential_kernels::gemm_update`]), so the step makes one
    /// pass over v and W instead of four. The biases follow [`momentum_update`]. The result equals
    /// `gradient` then `momentum_update` up to rounding (`−η·(∇/n)` is computed as `(−η/n)·∇`).
    ///
    /// When the objective is not finite, nothing is updated (check [`BatchLoss::total`]). Returns
    /// the objective of the minibatch before the update and whether every updated parameter is
    /// finite. [`Workspace::grad`] then holds the bias gradients of this step and the weight
    /// gradient of the last [`Workspace::gradient`] call.
    ///
    /// # Panics
    /// As [`Workspace::forward`]; if `velocity` is not shaped like the model.
    #[allow(clippy::too_many_arguments)]
    pub fn momentum_step(
        &mut self,
        model: &mut TiedAutoencoder,
        velocity: &mut Params,
        target: &[f32],
        n: usize,
        lambda: f32,
        weight_decay: f32,
        lr: f32,
        momentum: f32,
        par: Parallelism,
    ) -> (BatchLoss, bool) {
        let loss = self.backward(model, target, n, lambda, par);
        if !loss.total(lambda).is_finite() {
            return (loss, false);
        }
        let (h, d) = (self.hidden, self.visible);
        assert_eq!(
            (velocity.weight.len(), velocity.hidden_bias.len(), velocity.visible_bias.len()),
            (h * d, h, d),
            "momentum_step: velocity shape"
        );
        let inv_n = 1.0 / n as f32;
        // γₖ = −η·(2λ/n Σᵢ Gᵢₖ² + wd).
        for (gk, &g2) in self.gamma.iter_mut().zip(&self.g2) {
            *gk = -lr * decay_coefficient(lambda, weight_decay, g2, inv_n);
        }
        let p = model.params_mut();
        let w_ok = gemm_update(
            -lr * inv_n,
            MatRef::from_row_major(&self.p[..2 * n * h], 2 * n, h).t(),
            MatRef::from_row_major(&self.q[..2 * n * d], 2 * n, d),
            momentum,
            MatMut::from_row_major(&mut velocity.weight, h, d),
            &self.gamma,
            MatMut::from_row_major(p.weight, h, d),
            par,
        );
        momentum_slice(p.hidden_bias, &mut velocity.hidden_bias, &self.grad.hidden_bias, lr, momentum);
        momentum_slice(p.visible_bias, &mut velocity.visible_bias, &self.grad.visible_bias, lr, momentum);
        let ok = w_ok && all_finite(p.hidden_bias) && all_finite(p.visible_bias);
        (loss, ok)
    }

    /// The forward pass and the backward pass up to the weight gradient: Δ, the bias gradients
    /// (left in `grad`), Σᵢ Gᵢₖ² in `g2`; [H; Δ] and [δ; X̃] ready in `p` and `q`.
    fn backward(
        &mut self,
        model: &TiedAutoencoder,
        target: &[f32],
        n: usize,
        lambda: f32,
        par: Parallelism,
    ) -> BatchLoss {
        let loss = self.forward(model, target, n, par);
        let (h, d) = (self.hidden, self.visible);
        let act = model.activation();
        let inv_n = 1.0 / n as f32;
        let (p_h, p_d) = self.p[..2 * n * h].split_at_mut(n * h);
        let (q_delta, _) = self.q[..2 * n * d].split_at_mut(n * d);
        if h > 0 {
            // Gemm 3: Δ ← δ Wᵀ, with the Wᵀ packed by the forward pass of this step.
            debug_assert_eq!((self.wt.rows(), self.wt.cols()), (d, h));
            gemm_packed(
                1.0,
                MatRef::from_row_major(q_delta, n, d),
                &self.wt,
                0.0,
                MatMut::from_row_major(p_d, n, h),
                par,
            );
            // Pass C: Δ = (δWᵀ)⊙G + 2λ G h″(u) n.
            let norms = &self.norms;
            let rp = rows_per_piece(n, par);
            let items = p_d
                .chunks_mut(rp * h)
                .zip(self.g[..n * h].chunks(rp * h))
                .zip(p_h.chunks(rp * h))
                .zip(self.u[..n * h].chunks(rp * h))
                .collect();
            for_each_item(par, items, |(((dl, g), hv), u): RowsC<'_>| {
                let rows = dl.chunks_mut(h).zip(g.chunks(h)).zip(hv.chunks(h)).zip(u.chunks(h));
                for (((dl, g), hv), u) in rows {
                    for (dv, &gv) in dl.iter_mut().zip(g) {
                        *dv *= gv;
                    }
                    if lambda > 0.0 {
                        contractive_term(act, lambda, dl, g, hv, u, norms);
                    }
                }
            });
        }
        // Column sums, rows in a fixed order (columns in parallel): ∂/∂b_r = mean δ, ∂/∂b_h = mean Δ.
        // (Σᵢ Gᵢₖ² was summed in the forward pass.)
        let grad = &mut self.grad;
        column_sums(&mut grad.visible_bias, q_delta, n, inv_n, par);
        column_sums(&mut grad.hidden_bias, p_d, n, inv_n, par);
        loss
    }
}

/// The coefficient of wₖ in ∂/∂wₖ besides the data term: 2λ/n·Σᵢ Gᵢₖ² (the penalty through ‖wₖ‖²)
/// plus the weight decay. (λ = 0: no G² term at all, so an overflowing Σ G² cannot turn 0·∞ into
/// NaN.)
fn decay_coefficient(lambda: f32, weight_decay: f32, g2: f32, inv_n: f32) -> f32 {
    if lambda > 0.0 {
        2.0 * lambda * g2 * inv_n + weight_decay
    } else {
        weight_decay
    }
}

/// `out[j] = scale·Σᵢ m[i, j]` for the `rows`×`out.len()` row-major `m`: each column summed over
/// the rows in order (then scaled once), blocks of columns in parallel, so the bits do not depend
/// on the thread count.
fn column_sums(out: &mut [f32], m: &[f32], rows: usize, scale: f32, par: Parallelism) {
    let width = out.len();
    const COLS: usize = 128;
    for_each_item(par, out.chunks_mut(COLS).enumerate().collect(), |(c, o): (usize, &mut [f32])| {
        let j0 = c * COLS;
        o.iter_mut().for_each(|v| *v = 0.0);
        for i in 0..rows {
            let row = &m[i * width + j0..i * width + j0 + o.len()];
            for (s, &v) in o.iter_mut().zip(row) {
                *s += v;
            }
        }
        if scale != 1.0 {
            o.iter_mut().for_each(|v| *v *= scale);
        }
    });
}

/// Rows per piece of an elementwise pass over `n` rows: about four pieces per thread (at least one
/// row), so a thread held up elsewhere takes fewer. Each row is computed the same way in any piece,
/// so the result does not depend on the cut.
pub(crate) fn rows_per_piece(n: usize, par: Parallelism) -> usize {
    n.div_ceil(4 * par.threads()).max(1)
}

/// The row blocks of pass A: U, H, G, G² and the per-row contraction.
type Rows5<'a> = ((((&'a mut [f32], &'a mut [f32]), &'a mut [f32]), &'a mut [f32]), &'a mut [f64]);
/// The row blocks of pass B: A (then δ), X, scratch and the per-row loss.
type RowsB<'a> = (((&'a mut [f32], &'a [f32]), &'a mut [f32]), &'a mut [f64]);
/// The row blocks of pass C: Δ, G, H and U.
type RowsC<'a> = (((&'a mut [f32], &'a [f32]), &'a [f32]), &'a [f32]);

/// Δ += 2λ·G ⊙ h″(u) ⊙ n for one row, h″ = p·q from the activation's
/// [`ActivationKind::h_second_factors`] at (u, h, h′ = G), multiplied left to right. Nothing to add
/// where h″ = 0 almost everywhere ([`ActivationKind::is_piecewise_linear`]).
fn contractive_term(
    act: ActivationKind,
    lambda: f32,
    dl: &mut [f32],
    g: &[f32],
    hv: &[f32],
    u: &[f32],
    n: &[f32],
) {
    if act.is_piecewise_linear() {
        return;
    }
    let two_l = 2.0 * lambda;
    for ((((dv, &gv), &hk), &uv), &nk) in dl.iter_mut().zip(g).zip(hv).zip(u).zip(n) {
        let (p, q) = act.h_second_factors(uv, hk, gv);
        *dv += two_l * gv * p * q * nk;
    }
}

/// Momentum SGD on all parameters: `v ← μv − η·∇`, `θ ← θ + v`.
///
/// # Panics
/// If the shapes differ.
pub fn momentum_update(
    model: &mut TiedAutoencoder,
    velocity: &mut Params,
    grad: &Params,
    lr: f32,
    momentum: f32,
) {
    let d = model.visible();
    let p = model.params_mut();
    let upd = |theta: &mut [f32], v: &mut [f32], g: &[f32]| momentum_slice(theta, v, g, lr, momentum);
    let chunk = d.max(1) * 16;
    p.weight
        .par_chunks_mut(chunk)
        .zip(velocity.weight.par_chunks_mut(chunk))
        .zip(grad.weight.par_chunks(chunk))
        .for_each(|((t, v), g)| upd(t, v, g));
    upd(p.hidden_bias, &mut velocity.hidden_bias, &grad.hidden_bias);
    upd(p.visible_bias, &mut velocity.visible_bias, &grad.visible_bias);
}

/// One Adam step on all parameters (see [`Optimizer::Adam`](crate::Optimizer::Adam)): `first` and
/// `second` are the moment estimates m and s, `t` the 1-based step count.
///
/// # Panics
/// If the shapes differ or `t` is 0.
#[allow(clippy::too_many_arguments)]
pub fn adam_update(
    model: &mut TiedAutoencoder,
    first: &mut Params,
    second: &mut Params,
    grad: &Params,
    lr: f32,
    (beta1, beta2, epsilon): (f32, f32, f32),
    t: u64,
) {
    assert!(t > 0, "adam_update: the step count is 1-based");
    let d = model.visible();
    // Bias corrections in f64: 1 − βᵗ underflows nothing for any t.
    let c1 = (1.0 - (beta1 as f64).powf(t as f64)) as f32;
    let c2 = (1.0 - (beta2 as f64).powf(t as f64)) as f32;
    let p = model.params_mut();
    let upd = |theta: &mut [f32], m: &mut [f32], s: &mut [f32], g: &[f32]| {
        assert_eq!(
            (theta.len(), m.len(), s.len()),
            (g.len(), g.len(), g.len()),
            "adam_update: shape mismatch"
        );
        for (((th, mv), sv), &gv) in theta.iter_mut().zip(m.iter_mut()).zip(s.iter_mut()).zip(g) {
            *mv = beta1 * *mv + (1.0 - beta1) * gv;
            *sv = beta2 * *sv + (1.0 - beta2) * gv * gv;
            *th -= lr * (*mv / c1) / ((*sv / c2).sqrt() + epsilon);
        }
    };
    let chunk = d.max(1) * 16;
    p.weight
        .par_chunks_mut(chunk)
        .zip(first.weight.par_chunks_mut(chunk))
        .zip(second.weight.par_chunks_mut(chunk))
        .zip(grad.weight.par_chunks(chunk))
        .for_each(|(((t, m), s), g)| upd(t, m, s, g));
    upd(p.hidden_bias, &mut first.hidden_bias, &mut second.hidden_bias, &grad.hidden_bias);
    upd(p.visible_bias, &mut first.visible_bias, &mut second.visible_bias, &grad.visible_bias);
}

/// `v ← μv − η·g; θ ← θ + v` over one tensor.
///
/// # Panics
/// If the lengths differ.
fn momentum_slice(theta: &mut [f32], v: &mut [f32], g: &[f32], lr: f32, momentum: f32) {
    assert_eq!((theta.len(), v.len()), (g.len(), g.len()), "momentum_update: shape mismatch");
    for ((t, vv), &gv) in theta.iter_mut().zip(v.iter_mut()).zip(g) {
        *vv = momentum * *vv - lr * gv;
        *t += *vv;
    }
}

/// Rescale every filter wₖ to the mean filter norm (the optional renormalisation of Sec. 4.2).
/// Filters of norm 0 are left alone.
pub fn renormalize_filters(model: &mut TiedAutoencoder) {
    let (h, d) = (model.hidden(), model.visible());
    if h == 0 {
        return;
    }
    let w = model.params_mut().weight;
    let mut mean = 0.0f64;
    for k in 0..h {
        mean += potential_kernels::sum_sq(&w[k * d..(k + 1) * d]).sqrt();
    }
    let mean = mean / h as f64;
    w.par_chunks_mut(d).for_each(|wk| {
        let nk = potential_kernels::sum_sq(wk).sqrt();
        if nk > 0.0 {
            let s = (mean / nk) as f32;
            wk.iter_mut().for_each(|v| *v *= s);
        }
    });
}
