//! Discriminative finetuning of the factored CSAE: [`FactoredFinetuner`], the exact gradient of
//! the negative log of Eq. 45 (or the hinge loss) plus L2 weight decay, in buffers allocated once.
//!
//! # Derivation
//! For a minibatch X \[B, D\] with labels yₙ, logits sₙⱼ = Eⱼ(xₙ) + Cⱼ and objective
//! `L = (1/B) Σₙ ℓ(sₙ, yₙ) + ½λ(‖Wˣ‖² + ‖Wʰ‖² + ‖Wᶠ‖²)`, let gₙⱼ = (1/B) ∂ℓ/∂sₙⱼ
//! (log-loss: (pₙⱼ − [j = yₙ])/B with p the softmax of Eq. 45; hinge as the plain CSAE).
//! With P = X Wˣ, Qⱼ = P diag(fⱼ) (fⱼ = row j of Wᶠ), Uⱼ = Qⱼ Wʰ + Bʰⱼ and ∂Eⱼ/∂uⱼ = h(uⱼ)
//! (Eq. 9 with Eq. 11–21), set Aⱼ = diag(g·ⱼ) h(Uⱼ) \[B, H\] and Gⱼ = Aⱼ Wʰᵀ \[B, F\]:
//! - ∂L/∂Cⱼ = Σₙ gₙⱼ; ∂L/∂Bʰⱼ = Σₙ Aⱼ\[n\]; ∂L/∂Bʳⱼ = Σₙ gₙⱼ (xₙ − Bʳⱼ) (binary output: Σₙ gₙⱼ xₙ);
//! - ∂L/∂Wʰ = Σⱼ Qⱼᵀ Aⱼ + λWʰ — one gemm over the K stacked blocks \[F, K·B\]·\[K·B, H\];
//! - ∂L/∂fⱼ = Σₙ (Gⱼ ⊙ P)\[n\] + λfⱼ;
//! - ∂L/∂Wˣ = Xᵀ (Σⱼ Gⱼ diag(fⱼ)) + λWˣ.
//!
//! A step costs four gemms (forward X Wˣ and the stacked Q Wʰ; backward Qᵀ A, A Wʰᵀ, Xᵀ ∂P), i.e.
//! about 2·B·D·F + 3·K·B·F·H multiply-adds.
//!
//! With momentum SGD, [`FactoredFinetuner::step`] does the momentum step of Wʰ and Wˣ in the
//! stores of their gradient gemms ([`potential_kernels::gemm_momentum`]: bit for bit the gemm
//! followed by the separate momentum pass), so those two tensors are not swept again; G = A Wʰᵀ is
//! therefore computed before Wʰ moves, into its own buffer.

use super::grad::{check_batch, decay, gemm_par, FactoredGradient, Updater};
use super::model::{FactoredCsae, Forward};
use crate::model::argmax;
use crate::training::loss::coefficients;
use crate::{Error, Optimizer, Result, Variant};
use potential_kernels::{gemm, gemm_momentum, MatMut, MatRef};
use potential_models::Output;

/// Discriminative finetuning of a [`FactoredCsae`] in buffers allocated once (module docs for the
/// gradient): [`FactoredFinetuner::gradient`], then [`FactoredFinetuner::step`] adds the momentum
/// update `v ← μv − η∇; θ ← θ + v`.
///
/// Variants: [`Variant::Log`] (the paper's objective) and [`Variant::Hinge`] train every parameter;
/// [`Variant::NormalizeOnly`] trains C alone. The gemms use the current rayon pool (results do not
/// depend on its size beyond summation order inside the gemms); the cheap row passes run on the
/// calling thread.
pub struct FactoredFinetuner {
    batch: usize,
    k: usize,
    variant: Variant,
    weight_decay: f32,
    p: Vec<f32>,
    q: Vec<f32>,
    u: Vec<f32>,
    hu: Vec<f32>,
    /// Energies, class-major \[K·B\].
    e: Vec<f64>,
    /// Coefficients g, class-major \[K·B\].
    g: Vec<f64>,
    s: Vec<f64>,
    gr: Vec<f64>,
    dp: Vec<f32>,
    /// G = A Wʰᵀ \[K·B, F\].
    gq: Vec<f32>,
    grad: FactoredGradient,
    updater: Updater,
    errors: usize,
}

impl std::fmt::Debug for FactoredFinetuner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FactoredFinetuner")
            .field("batch", &self.batch)
            .field("classes", &self.k)
            .field("variant", &self.variant)
            .finish_non_exhaustive()
    }
}

impl FactoredFinetuner {
    /// Buffers for minibatches of up to `batch` rows of `model`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for [`Variant::Energies`] (no read-out in a factored model) or a
    /// negative or non-finite weight decay, or `batch` = 0.
    pub fn new(model: &FactoredCsae, batch: usize, variant: Variant, weight_decay: f32) -> Result<Self> {
        let bad = |field, value: String, reason| Error::InvalidConfig { field, value, reason };
        if variant == Variant::Energies {
            return Err(bad(
                "variant",
                variant.to_string(),
                "the factored CSAE has log, hinge and normalize-only",
            ));
        }
        if !(weight_decay.is_finite() && weight_decay >= 0.0) {
            return Err(bad("finetune.weight_decay", weight_decay.to_string(), "must be finite and ≥ 0"));
        }
        if batch == 0 {
            return Err(bad("finetune.batch_size", "0".into(), "must be at least 1"));
        }
        let (f, h, k) = (model.f, model.h, model.num_classes());
        Ok(Self {
            batch,
            k,
            variant,
            weight_decay,
            p: vec![0.0; batch * f],
            q: vec![0.0; k * batch * f],
            u: vec![0.0; k * batch * h],
            hu: vec![0.0; k * batch * h],
            e: vec![0.0; k * batch],
            g: vec![0.0; k * batch],
            s: vec![0.0; k],
            gr: vec![0.0; k],
            dp: vec![0.0; batch * f],
            gq: vec![0.0; k * batch * f],
            grad: FactoredGradient::zeros(model),
            updater: Updater::new(model, Optimizer::Momentum),
            errors: 0,
        })
    }

    /// Choose the update rule of [`FactoredFinetuner::step`] (default [`Optimizer::Momentum`];
    /// Adam as the plain CSAE's: β₁ = μ, β₂ = 0.999, ε = 10⁻⁸, bias-corrected); resets the
    /// optimiser state.
    pub fn set_optimizer(&mut self, model: &FactoredCsae, optimizer: Optimizer) {
        self.updater = Updater::new(model, optimizer);
    }

    /// Misclassified rows of the last [`FactoredFinetuner::gradient`] call.
    pub fn errors(&self) -> usize {
        self.errors
    }

    /// The gradient of the last [`FactoredFinetuner::gradient`] call (class-model parts are zero
    /// for normalize-only).
    pub fn gradient_parts(&self) -> &FactoredGradient {
        &self.grad
    }

    /// The objective (mean loss + ½λ(‖Wˣ‖² + ‖Wʰ‖² + ‖Wᶠ‖²), the decay only when the class models
    /// are trained) of the minibatch `x` (\[nb, D\], nb ≤ batch) with labels `y`, and its exact
    /// gradient into this workspace ([`FactoredFinetuner::gradient_parts`]).
    ///
    /// # Errors
    /// [`Error::Data`] for a wrong shape, another model size or a label ≥ K; [`Error::Diverged`]
    /// when the loss is not finite.
    pub fn gradient(&mut self, model: &FactoredCsae, x: &[f32], y: &[u32]) -> Result<f64> {
        let loss = self.forward_loss(model, x, y)?;
        if !self.variant.trains_class_models() {
            return Ok(loss);
        }
        let nb = y.len();
        self.backward(model, x, nb);
        self.weight_gradients(x, nb, (model.d, model.f, model.h), None);
        Ok(loss + decay(model, self.weight_decay))
    }

    /// Checks, the forward pass and [`FactoredFinetuner::loss`]: the mean loss.
    fn forward_loss(&mut self, model: &FactoredCsae, x: &[f32], y: &[u32]) -> Result<f64> {
        check_batch(model, self.batch, x, y)?;
        if model.num_classes() != self.k
            || self.grad.input_factors.len() != model.w_x.len()
            || self.grad.hidden_factors.len() != model.w_h.len()
        {
            return Err(Error::Data {
                what: "minibatch",
                reason: "the workspace was built for another model size".into(),
            });
        }
        let nb = y.len();
        let par = gemm_par();
        model.forward(
            x,
            nb,
            Forward { p: &mut self.p, q: &mut self.q, u: &mut self.u, hu: &mut self.hu, e: &mut self.e },
            par,
        );
        self.loss(model, y)
    }

    /// After the forward pass: logits, the mean loss, g = (1/B) ∂ℓ/∂s (class-major), the
    /// misclassified rows and ∂L/∂C.
    fn loss(&mut self, model: &FactoredCsae, y: &[u32]) -> Result<f64> {
        let (k, nb) = (self.k, y.len());
        // Logits, loss and g = (1/B) ∂ℓ/∂s (class-major).
        let inv = 1.0 / nb as f64;
        let (mut loss, mut errors) = (0.0f64, 0usize);
        for (r, &yr) in y.iter().enumerate() {
            for j in 0..k {
                self.s[j] = self.e[j * nb + r] + model.class_bias[j] as f64;
            }
            errors += usize::from(argmax(&self.s) != yr as usize);
            loss += coefficients(self.variant, &self.s, yr as usize, &mut self.gr);
            for j in 0..k {
                self.g[j * nb + r] = self.gr[j] * inv;
            }
        }
        self.errors = errors;
        loss *= inv;
        if !loss.is_finite() {
            return Err(Error::Diverged { epoch: 0, step: 0, parameter: "loss".into() });
        }
        let g = &self.g[..k * nb];
        for (j, c) in self.grad.class_bias.iter_mut().enumerate() {
            *c = g[j * nb..(j + 1) * nb].iter().sum::<f64>() as f32;
        }
        Ok(loss)
    }

    /// The backward pass through the class models after [`FactoredFinetuner::loss`]: the gradients
    /// of Bʰ, Bʳ and Wᶠ (module docs), weight decay included, G = A Wʰᵀ, ∂P, and the weight-decay
    /// starting values Wʰ and Wˣ of the two weight gradients, which
    /// [`FactoredFinetuner::weight_gradients`] completes. Reads the weights only.
    fn backward(&mut self, model: &FactoredCsae, x: &[f32], nb: usize) {
        let (d, f, h, k) = (model.d, model.f, model.h, self.k);
        let par = gemm_par();
        let g = &self.g[..k * nb];
        let wd = self.weight_decay;
        // A = diag(g) h(U), in place of h(U).
        let a = &mut self.hu[..k * nb * h];
        a.chunks_exact_mut(h).zip(g.iter()).for_each(|(row, &c)| {
            let c = c as f32;
            row.iter_mut().for_each(|v| *v *= c);
        });
        let a = &self.hu[..k * nb * h];
        // ∂Bʰⱼ = Σₙ Aⱼ[n]; ∂Bʳⱼ = Σₙ gₙⱼ xₙ (− (Σₙ gₙⱼ) Bʳⱼ for real output).
        let output = model.output;
        self.grad
            .hidden_bias
            .chunks_exact_mut(h)
            .zip(self.grad.visible_bias.chunks_exact_mut(d))
            .enumerate()
            .for_each(|(j, (bh, br))| {
                bh.iter_mut().for_each(|v| *v = 0.0);
                for row in a[j * nb * h..(j + 1) * nb * h].chunks_exact(h) {
                    for (o, &v) in bh.iter_mut().zip(row) {
                        *o += v;
                    }
                }
                br.iter_mut().for_each(|v| *v = 0.0);
                let mut gs = 0.0f64;
                for (r, xr) in x.chunks_exact(d).enumerate() {
                    let c = g[j * nb + r];
                    gs += c;
                    let c = c as f32;
                    for (o, &v) in br.iter_mut().zip(xr) {
                        *o += c * v;
                    }
                }
                if output == Output::Real {
                    let gs = gs as f32;
                    for (o, &b) in br.iter_mut().zip(&model.b_r[j * d..(j + 1) * d]) {
                        *o -= gs * b;
                    }
                }
            });
        // G = A Wʰᵀ [K·nb, F] (before Wʰ moves: the weight gradients may update it).
        let av = MatRef::from_row_major(a, k * nb, h);
        let gq = &mut self.gq[..k * nb * f];
        gemm(
            1.0,
            av,
            MatRef::from_row_major(&model.w_h, f, h).t(),
            0.0,
            MatMut::from_row_major(gq, k * nb, f),
            par,
        );
        let gq = &self.gq[..k * nb * f];
        let p = &self.p[..nb * f];
        // ∂fⱼ = Σₙ Gⱼ[n] ⊙ P[n] + λfⱼ.
        self.grad.class_factors.chunks_exact_mut(f).enumerate().for_each(|(j, gf)| {
            for ((o, &w), _) in gf.iter_mut().zip(&model.w_f[j * f..(j + 1) * f]).zip(0..) {
                *o = wd * w;
            }
            for (gr, pr) in gq[j * nb * f..(j + 1) * nb * f].chunks_exact(f).zip(p.chunks_exact(f)) {
                for ((o, &a), &b) in gf.iter_mut().zip(gr).zip(pr) {
                    *o += a * b;
                }
            }
        });
        // ∂P = Σⱼ Gⱼ diag(fⱼ); ∂Wˣ = Xᵀ ∂P + λWˣ.
        let dp = &mut self.dp[..nb * f];
        dp.chunks_exact_mut(f).enumerate().for_each(|(r, o)| {
            o.iter_mut().for_each(|v| *v = 0.0);
            for j in 0..k {
                let gr = &gq[(j * nb + r) * f..(j * nb + r + 1) * f];
                for ((o, &a), &fv) in o.iter_mut().zip(gr).zip(&model.w_f[j * f..(j + 1) * f]) {
                    *o += a * fv;
                }
            }
        });
        self.grad.hidden_factors.copy_from_slice(&model.w_h);
        self.grad.input_factors.copy_from_slice(&model.w_x);
    }

    /// After [`FactoredFinetuner::backward`]: ∂Wʰ = Qᵀ A + λWʰ and ∂Wˣ = Xᵀ ∂P + λWˣ; with `fuse`
    /// = (η, μ, (Wˣ, Wʰ), (their velocities)) also the momentum step of both in the gemms' stores.
    /// Returns whether the updated weights are finite (true without `fuse`).
    #[allow(clippy::type_complexity)]
    fn weight_gradients(
        &mut self,
        x: &[f32],
        nb: usize,
        (d, f, h): (usize, usize, usize),
        fuse: Option<(f32, f32, (&mut [f32], &mut [f32]), (&mut [f32], &mut [f32]))>,
    ) -> bool {
        let (k, wd, par) = (self.k, self.weight_decay, gemm_par());
        let q = MatRef::from_row_major(&self.q[..k * nb * f], k * nb, f).t();
        let av = MatRef::from_row_major(&self.hu[..k * nb * h], k * nb, h);
        let xt = MatRef::from_row_major(x, nb, d).t();
        let dp = MatRef::from_row_major(&self.dp[..nb * f], nb, f);
        let gh = MatMut::from_row_major(&mut self.grad.hidden_factors, f, h);
        let gx = MatMut::from_row_major(&mut self.grad.input_factors, d, f);
        match fuse {
            None => {
                gemm(1.0, q, av, wd, gh, par);
                gemm(1.0, xt, dp, wd, gx, par);
                true
            }
            Some((lr, mu, (wx, wh), (vx, vh))) => {
                let (vh, wh) = (MatMut::from_row_major(vh, f, h), MatMut::from_row_major(wh, f, h));
                let (vx, wx) = (MatMut::from_row_major(vx, d, f), MatMut::from_row_major(wx, d, f));
                let ok_h = gemm_momentum(q, av, wd, gh, vh, wh, (lr, mu), par);
                let ok_x = gemm_momentum(xt, dp, wd, gx, vx, wx, (lr, mu), par);
                ok_h && ok_x
            }
        }
    }

    /// One step on (`x`, `y`) with learning rate `lr` and momentum (Adam: β₁) `mu` — momentum SGD
    /// `v ← μv − η∇; θ ← θ + v` unless [`FactoredFinetuner::set_optimizer`] chose Adam; returns
    /// the objective before the update.
    ///
    /// # Errors
    /// As [`FactoredFinetuner::gradient`]; [`Error::Diverged`] (epoch and step 0: the caller sets
    /// them) naming the first tensor that turned non-finite.
    pub fn step(&mut self, model: &mut FactoredCsae, x: &[f32], y: &[u32], lr: f32, mu: f32) -> Result<f64> {
        let trains = self.variant.trains_class_models();
        if !(trains && self.updater.is_momentum()) {
            let loss = self.gradient(model, x, y)?;
            self.updater.update(model, &self.grad, lr, mu, (!trains, false))?;
            return Ok(loss);
        }
        // Momentum on the class models: Wʰ and Wˣ move in their gradient gemms (module docs).
        let loss = self.forward_loss(model, x, y)? + decay(model, self.weight_decay);
        let nb = y.len();
        self.backward(model, x, nb);
        let dims = (model.d, model.f, model.h);
        // The velocities are moved out for the call (no copy) and put back.
        let (vx, vh) = self.updater.weight_velocities();
        let (mut vx, mut vh) = (std::mem::take(vx), std::mem::take(vh));
        let weights = (&mut model.w_x[..], &mut model.w_h[..]);
        // The finiteness of every tensor is checked by `update` below.
        let _ = self.weight_gradients(x, nb, dims, Some((lr, mu, weights, (&mut vx, &mut vh))));
        let (vx0, vh0) = self.updater.weight_velocities();
        (*vx0, *vh0) = (vx, vh);
        self.updater.update(model, &self.grad, lr, mu, (false, true))?;
        Ok(loss)
    }
}
