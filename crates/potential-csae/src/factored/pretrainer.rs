//! Denoising pretraining of the factored CSAE, all classes together: [`FactoredPretrainer`], the
//! exact gradient of the reconstruction loss (each row through its own class's autoencoder) plus
//! L2 weight decay, in buffers allocated once.
//!
//! # Derivation
//! Each row n (clean xₙ, corrupted x̃ₙ, class c = yₙ) goes through class c's autoencoder: with
//! F_y the \[B, F\] matrix whose row n is f_{yₙ},
//! P̃ = X̃ Wˣ, Q̃ = P̃ ⊙ F_y, U = Q̃ Wʰ + Bʰ_y, Hh = h(U), Z = Hh Wʰᵀ, Z′ = Z ⊙ F_y,
//! A = Z′ Wˣᵀ + Bʳ_y and r = A (real) or σ(A) (binary). The loss is
//! `L = (1/B) Σₙ ℓₙ + ½λ(‖Wˣ‖² + ‖Wʰ‖² + ‖Wᶠ‖²)` with ℓ = ½‖r − x‖² (real) or the cross-entropy
//! Σᵢ softplus(aᵢ) − xᵢaᵢ (binary); in both cases ∂ℓ/∂A = r − x. With Δ = (R − X)/B:
//! - ∂Bʳ_c = Σ_{n: yₙ=c} Δₙ; ∂Wˣ = Δᵀ Z′ + X̃ᵀ ∂P̃ (decoder and encoder paths);
//! - ∂Z′ = Δ Wˣ; ∂Z = ∂Z′ ⊙ F_y; ∂U = (∂Z Wʰ) ⊙ h′(U); ∂Bʰ_c = Σ_{n∈c} ∂Uₙ;
//! - ∂Wʰ = ∂Zᵀ Hh + Q̃ᵀ ∂U; ∂Q̃ = ∂U Wʰᵀ; ∂P̃ = ∂Q̃ ⊙ F_y;
//! - ∂f_c = Σ_{n∈c} (∂Z′ ⊙ Z + ∂Q̃ ⊙ P̃)ₙ; plus λ times each weight matrix.
//!
//! Shared parameters (Wˣ, Wʰ) see every row; class parameters only their class's rows.

use super::grad::{check_batch, decay, gemm_par, FactoredGradient, Updater};
use super::model::FactoredCsae;
use crate::{Error, Optimizer, Result};
use potential_kernels::{bias_act, gemm, MatMut, MatRef};
use potential_models::Output;

/// Denoising pretraining of a [`FactoredCsae`], all classes together, in buffers allocated once
/// (module docs for the gradient): every row reconstructs through its own class's autoencoder;
/// shared parameters see every row. C is not touched.
pub struct FactoredPretrainer {
    batch: usize,
    weight_decay: f32,
    fy: Vec<f32>,
    pt: Vec<f32>,
    qt: Vec<f32>,
    u: Vec<f32>,
    hu: Vec<f32>,
    dh: Vec<f32>,
    z: Vec<f32>,
    zp: Vec<f32>,
    a: Vec<f32>,
    dz: Vec<f32>,
    dq: Vec<f32>,
    grad: FactoredGradient,
    updater: Updater,
}

impl std::fmt::Debug for FactoredPretrainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FactoredPretrainer").field("batch", &self.batch).finish_non_exhaustive()
    }
}

impl FactoredPretrainer {
    /// Buffers for minibatches of up to `batch` rows of `model`, with L2 weight decay λ on Wˣ, Wʰ
    /// and Wᶠ.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for `batch` = 0 or a negative or non-finite weight decay.
    pub fn new(model: &FactoredCsae, batch: usize, weight_decay: f32) -> Result<Self> {
        if batch == 0 {
            return Err(Error::InvalidConfig {
                field: "pretrain.batch_size",
                value: "0".into(),
                reason: "must be at least 1",
            });
        }
        if !(weight_decay.is_finite() && weight_decay >= 0.0) {
            return Err(Error::InvalidConfig {
                field: "pretrain.weight_decay",
                value: weight_decay.to_string(),
                reason: "must be finite and ≥ 0",
            });
        }
        let (d, f, h) = (model.d, model.f, model.h);
        let bf = || vec![0.0f32; batch * f];
        Ok(Self {
            batch,
            weight_decay,
            fy: bf(),
            pt: bf(),
            qt: bf(),
            u: vec![0.0; batch * h],
            hu: vec![0.0; batch * h],
            dh: vec![0.0; batch * h],
            z: bf(),
            zp: bf(),
            a: vec![0.0; batch * d],
            dz: bf(),
            dq: bf(),
            grad: FactoredGradient::zeros(model),
            updater: Updater::new(model, Optimizer::Momentum),
        })
    }

    /// The gradient of the last [`FactoredPretrainer::gradient`] call (C's part is zero).
    pub fn gradient_parts(&self) -> &FactoredGradient {
        &self.grad
    }

    /// The denoising objective (module docs) of clean rows `x` and their corrupted copies `xt`
    /// (both \[nb, D\], nb ≤ batch) with labels `y`, and its exact gradient into this workspace.
    ///
    /// # Errors
    /// [`Error::Data`] for a wrong shape or a label ≥ K; [`Error::Diverged`] for a non-finite loss.
    pub fn gradient(&mut self, model: &FactoredCsae, x: &[f32], xt: &[f32], y: &[u32]) -> Result<f64> {
        let loss = self.reconstruct(model, x, xt, y)?;
        self.backward(model, xt, y, loss)
    }

    /// The forward pass: reconstructions of `xt` through each row's class autoencoder, the mean
    /// loss against `x`, and Δ = (r − x)/nb left in `a`.
    fn reconstruct(&mut self, model: &FactoredCsae, x: &[f32], xt: &[f32], y: &[u32]) -> Result<f64> {
        check_batch(model, self.batch, x, y)?;
        if xt.len() != x.len()
            || self.grad.input_factors.len() != model.w_x.len()
            || self.grad.hidden_bias.len() != model.b_h.len()
        {
            return Err(Error::Data {
                what: "minibatch",
                reason: format!(
                    "{} corrupted values for {} clean ones, or another model size",
                    xt.len(),
                    x.len()
                ),
            });
        }
        let (d, f, h, nb) = (model.d, model.f, model.h, y.len());
        let par = gemm_par();
        let wx = MatRef::from_row_major(&model.w_x, d, f);
        let wh = MatRef::from_row_major(&model.w_h, f, h);
        let fy = &mut self.fy[..nb * f];
        for (o, &c) in fy.chunks_exact_mut(f).zip(y) {
            o.copy_from_slice(&model.w_f[c as usize * f..(c as usize + 1) * f]);
        }
        let fy = &self.fy[..nb * f];
        // Encoder: P̃ = X̃ Wˣ, Q̃ = P̃ ⊙ F_y, U = Q̃ Wʰ + Bʰ_y, h(U), h′(U).
        let pt = &mut self.pt[..nb * f];
        gemm(1.0, MatRef::from_row_major(xt, nb, d), wx, 0.0, MatMut::from_row_major(pt, nb, f), par);
        let qt = &mut self.qt[..nb * f];
        for ((o, &a), &b) in qt.iter_mut().zip(pt.iter()).zip(fy) {
            *o = a * b;
        }
        let u = &mut self.u[..nb * h];
        gemm(1.0, MatRef::from_row_major(qt, nb, f), wh, 0.0, MatMut::from_row_major(u, nb, h), par);
        let hf = model.activation;
        let (hu, dh) = (&mut self.hu[..nb * h], &mut self.dh[..nb * h]);
        u.chunks_exact_mut(h).zip(hu.chunks_exact_mut(h)).zip(dh.chunks_exact_mut(h)).zip(y.iter()).for_each(
            |(((ur, hr), dr), &c)| {
                bias_act(ur, &model.b_h[c as usize * h..(c as usize + 1) * h], hf, hr, Some(dr));
            },
        );
        // Decoder: Z = h Wʰᵀ, Z′ = Z ⊙ F_y, A = Z′ Wˣᵀ + Bʳ_y.
        let z = &mut self.z[..nb * f];
        gemm(1.0, MatRef::from_row_major(hu, nb, h), wh.t(), 0.0, MatMut::from_row_major(z, nb, f), par);
        let zp = &mut self.zp[..nb * f];
        for ((o, &a), &b) in zp.iter_mut().zip(z.iter()).zip(fy) {
            *o = a * b;
        }
        let a = &mut self.a[..nb * d];
        gemm(1.0, MatRef::from_row_major(zp, nb, f), wx.t(), 0.0, MatMut::from_row_major(a, nb, d), par);
        // Loss and Δ = (r − x)/B in place of A.
        let inv = 1.0 / nb as f32;
        let output = model.output;
        let loss: f64 = a
            .chunks_exact_mut(d)
            .zip(x.chunks_exact(d))
            .zip(y.iter())
            .map(|((ar, xr), &c)| {
                let br = &model.b_r[c as usize * d..(c as usize + 1) * d];
                let mut l = 0.0f64;
                for ((av, &xv), &bv) in ar.iter_mut().zip(xr).zip(br) {
                    let s = *av + bv;
                    let r = match output {
                        Output::Real => {
                            l += 0.5 * ((s - xv) as f64).powi(2);
                            s
                        }
                        Output::Binary => {
                            let sd = s as f64;
                            l += sd.max(0.0) + (-sd.abs()).exp().ln_1p() - xv as f64 * sd;
                            potential_kernels::reference::sigmoid(s)
                        }
                    };
                    *av = (r - xv) * inv;
                }
                l
            })
            .sum::<f64>()
            / nb as f64;
        if !loss.is_finite() {
            return Err(Error::Diverged { epoch: 0, step: 0, parameter: "loss".into() });
        }
        Ok(loss)
    }

    /// The backward pass after [`FactoredPretrainer::reconstruct`]: the gradient into `grad`;
    /// returns `loss` plus the weight-decay term.
    fn backward(&mut self, model: &FactoredCsae, xt: &[f32], y: &[u32], loss: f64) -> Result<f64> {
        let (d, f, h, nb) = (model.d, model.f, model.h, y.len());
        let par = gemm_par();
        let wx = MatRef::from_row_major(&model.w_x, d, f);
        let wh = MatRef::from_row_major(&model.w_h, f, h);
        let fy = &self.fy[..nb * f];
        let (pt, qt, z, zp) = (&self.pt[..nb * f], &self.qt[..nb * f], &self.z[..nb * f], &self.zp[..nb * f]);
        let (u, hu, dh) = (&mut self.u[..nb * h], &self.hu[..nb * h], &self.dh[..nb * h]);
        let delta = &self.a[..nb * d];
        let k = model.num_classes();
        let gr = &mut self.grad;
        // ∂Bʳ_c = Σ_{n∈c} Δₙ.
        gr.visible_bias.iter_mut().for_each(|v| *v = 0.0);
        for (dr, &c) in delta.chunks_exact(d).zip(y) {
            for (o, &v) in gr.visible_bias[c as usize * d..(c as usize + 1) * d].iter_mut().zip(dr) {
                *o += v;
            }
        }
        let wd = self.weight_decay;
        // ∂Wˣ = Δᵀ Z′ + λWˣ (the encoder path is added below).
        gr.input_factors.copy_from_slice(&model.w_x);
        let dv = MatRef::from_row_major(delta, nb, d);
        gemm(
            1.0,
            dv.t(),
            MatRef::from_row_major(zp, nb, f),
            wd,
            MatMut::from_row_major(&mut gr.input_factors, d, f),
            par,
        );
        // ∂Z′ = Δ Wˣ; ∂f_c gets Σ ∂Z′ ⊙ Z; ∂Z = ∂Z′ ⊙ F_y.
        let dz = &mut self.dz[..nb * f];
        gemm(1.0, dv, wx, 0.0, MatMut::from_row_major(dz, nb, f), par);
        for (o, &w) in gr.class_factors.iter_mut().zip(&model.w_f) {
            *o = wd * w;
        }
        for ((dr, zr), &c) in dz.chunks_exact(f).zip(z.chunks_exact(f)).zip(y) {
            for ((o, &a), &b) in
                gr.class_factors[c as usize * f..(c as usize + 1) * f].iter_mut().zip(dr).zip(zr)
            {
                *o += a * b;
            }
        }
        for (o, &b) in dz.iter_mut().zip(fy) {
            *o *= b;
        }
        // ∂Wʰ = ∂Zᵀ h(U) + λWʰ (+ Q̃ᵀ ∂U below).
        gr.hidden_factors.copy_from_slice(&model.w_h);
        let dzv = MatRef::from_row_major(dz, nb, f);
        let wdh = MatMut::from_row_major(&mut gr.hidden_factors, f, h);
        gemm(1.0, dzv.t(), MatRef::from_row_major(hu, nb, h), wd, wdh, par);
        // ∂U = (∂Z Wʰ) ⊙ h′(U), in place of U.
        gemm(1.0, dzv, wh, 0.0, MatMut::from_row_major(u, nb, h), par);
        for (o, &v) in u.iter_mut().zip(dh.iter()) {
            *o *= v;
        }
        // ∂Bʰ_c = Σ_{n∈c} ∂Uₙ.
        gr.hidden_bias.iter_mut().for_each(|v| *v = 0.0);
        for (ur, &c) in u.chunks_exact(h).zip(y) {
            for (o, &v) in gr.hidden_bias[c as usize * h..(c as usize + 1) * h].iter_mut().zip(ur) {
                *o += v;
            }
        }
        let uv = MatRef::from_row_major(u, nb, h);
        gemm(
            1.0,
            MatRef::from_row_major(qt, nb, f).t(),
            uv,
            1.0,
            MatMut::from_row_major(&mut gr.hidden_factors, f, h),
            par,
        );
        // ∂Q̃ = ∂U Wʰᵀ; ∂f_c += Σ ∂Q̃ ⊙ P̃; ∂P̃ = ∂Q̃ ⊙ F_y; ∂Wˣ += X̃ᵀ ∂P̃.
        let dq = &mut self.dq[..nb * f];
        gemm(1.0, uv, wh.t(), 0.0, MatMut::from_row_major(dq, nb, f), par);
        for ((dr, pr), &c) in dq.chunks_exact(f).zip(pt.chunks_exact(f)).zip(y) {
            for ((o, &a), &b) in
                gr.class_factors[c as usize * f..(c as usize + 1) * f].iter_mut().zip(dr).zip(pr)
            {
                *o += a * b;
            }
        }
        for (o, &b) in dq.iter_mut().zip(fy) {
            *o *= b;
        }
        gemm(
            1.0,
            MatRef::from_row_major(xt, nb, d).t(),
            MatRef::from_row_major(dq, nb, f),
            1.0,
            MatMut::from_row_major(&mut gr.input_factors, d, f),
            par,
        );
        gr.class_bias.iter_mut().for_each(|v| *v = 0.0);
        debug_assert_eq!(gr.class_bias.len(), k);
        Ok(loss + decay(model, wd))
    }

    /// One momentum-SGD step; returns the objective before the update.
    ///
    /// # Errors
    /// As [`FactoredPretrainer::gradient`]; [`Error::Diverged`] naming the first non-finite tensor.
    pub fn step(
        &mut self,
        model: &mut FactoredCsae,
        x: &[f32],
        xt: &[f32],
        y: &[u32],
        lr: f32,
        mu: f32,
    ) -> Result<f64> {
        let loss = self.gradient(model, x, xt, y)?;
        // C is not part of the reconstruction: its gradient is zero and its velocity stays zero.
        self.updater.update(model, &self.grad, lr, mu, (false, false))?;
        Ok(loss)
    }
}

/// The mean reconstruction error ‖r(x) − x‖² of rows `x` (\[n, D\], clean), each through its own
/// class's autoencoder (labels `y`). Used by the pretraining metrics.
pub(crate) fn mean_reconstruction_error(model: &FactoredCsae, x: &[f32], y: &[u32]) -> Result<f64> {
    let (d, n) = (model.d, y.len());
    if n == 0 {
        return Ok(0.0);
    }
    let mut ws = FactoredPretrainer::new(model, 256.min(n), 0.0)?;
    let mut total = 0.0f64;
    for (xb, yb) in x.chunks(256 * d).zip(y.chunks(256)) {
        ws.reconstruct(model, xb, xb, yb)?;
        // The forward pass leaves Δ = (r − x)/nb in `a`.
        let nb = yb.len() as f64;
        total += ws.a[..yb.len() * d].iter().map(|&v| (v as f64 * nb).powi(2)).sum::<f64>();
    }
    Ok(total / n as f64)
}
