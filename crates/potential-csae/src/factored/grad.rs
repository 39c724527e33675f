//! Exact gradients of the factored CSAE's two objectives, in workspaces allocated once:
//! [`FactoredFinetuner`] (the negative log of Eq. 45, or the hinge loss, plus L2 weight decay) and
//! [`FactoredPretrainer`] (denoising reconstruction, each row through its own class's autoencoder).
//!
//! # Finetuning (derivation)
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
//! # Pretraining (derivation)
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

use super::model::{FactoredCsae, Forward};
use crate::model::{argmax, log_sum_exp};
use crate::{Error, Optimizer, Result, Variant};
use potential_kernels::{bias_act, gemm, sum_sq, MatMut, MatRef, Parallelism};
use potential_models::Output;

/// Gradient (or velocity) of every parameter of a [`FactoredCsae`], laid out as the parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct FactoredGradient {
    /// ∂/∂Wˣ \[D, F\].
    pub input_factors: Vec<f32>,
    /// ∂/∂Wʰ \[F, H\].
    pub hidden_factors: Vec<f32>,
    /// ∂/∂Wᶠ \[K, F\].
    pub class_factors: Vec<f32>,
    /// ∂/∂Bʰ \[K, H\].
    pub hidden_bias: Vec<f32>,
    /// ∂/∂Bʳ \[K, D\].
    pub visible_bias: Vec<f32>,
    /// ∂/∂C \[K\].
    pub class_bias: Vec<f32>,
}

impl FactoredGradient {
    fn zeros(m: &FactoredCsae) -> Self {
        let (d, f, h, k) = (m.d, m.f, m.h, m.num_classes());
        Self {
            input_factors: vec![0.0; d * f],
            hidden_factors: vec![0.0; f * h],
            class_factors: vec![0.0; k * f],
            hidden_bias: vec![0.0; k * h],
            visible_bias: vec![0.0; k * d],
            class_bias: vec![0.0; k],
        }
    }
}

fn momentum(p: &mut [f32], v: &mut [f32], g: &[f32], lr: f32, mu: f32) {
    for ((p, v), &g) in p.iter_mut().zip(v.iter_mut()).zip(g) {
        *v = mu * *v - lr * g;
        *p += *v;
    }
}

/// Adam's β₂ and ε (as the plain CSAE's finetuning).
const ADAM_BETA2: f32 = 0.999;
const ADAM_EPS: f64 = 1e-8;

/// Adam with β₁ = `b1`, the bias corrections folded into `lr` and `eps` (Kingma & Ba, Sec. 2).
fn adam(p: &mut [f32], m: &mut [f32], s: &mut [f32], g: &[f32], lr: f32, b1: f32, eps: f32) {
    for (((p, m), s), &g) in p.iter_mut().zip(m.iter_mut()).zip(s.iter_mut()).zip(g) {
        *m = b1 * *m + (1.0 - b1) * g;
        *s = ADAM_BETA2 * *s + (1.0 - ADAM_BETA2) * g * g;
        *p -= lr * *m / (s.sqrt() + eps);
    }
}

/// The update rule's state: momentum velocity, or Adam's moments and step count.
struct Updater {
    optimizer: Optimizer,
    vel: FactoredGradient,
    sq: Option<FactoredGradient>,
    t: u64,
}

impl Updater {
    fn new(model: &FactoredCsae, optimizer: Optimizer) -> Self {
        let sq = (optimizer == Optimizer::Adam).then(|| FactoredGradient::zeros(model));
        Self { optimizer, vel: FactoredGradient::zeros(model), sq, t: 0 }
    }

    /// Momentum `v ← μv − η∇; θ ← θ + v`, or Adam with β₁ = μ, on every parameter (or on C
    /// alone), then a finiteness check naming the first non-finite tensor.
    fn update(
        &mut self,
        model: &mut FactoredCsae,
        grad: &FactoredGradient,
        lr: f32,
        mu: f32,
        only_c: bool,
    ) -> Result<()> {
        self.t += 1;
        let vel = &mut self.vel;
        match (&mut self.sq, self.optimizer) {
            (Some(sq), Optimizer::Adam) => {
                let t = self.t as f64;
                let (c1, c2) = (1.0 - (mu as f64).powf(t), 1.0 - (ADAM_BETA2 as f64).powf(t));
                let (lr, eps) = ((lr as f64 * c2.sqrt() / c1) as f32, (ADAM_EPS * c2.sqrt()) as f32);
                adam(
                    &mut model.class_bias,
                    &mut vel.class_bias,
                    &mut sq.class_bias,
                    &grad.class_bias,
                    lr,
                    mu,
                    eps,
                );
                if !only_c {
                    let p = model.params_mut();
                    adam(
                        p.input_factors,
                        &mut vel.input_factors,
                        &mut sq.input_factors,
                        &grad.input_factors,
                        lr,
                        mu,
                        eps,
                    );
                    adam(
                        p.hidden_factors,
                        &mut vel.hidden_factors,
                        &mut sq.hidden_factors,
                        &grad.hidden_factors,
                        lr,
                        mu,
                        eps,
                    );
                    adam(
                        p.class_factors,
                        &mut vel.class_factors,
                        &mut sq.class_factors,
                        &grad.class_factors,
                        lr,
                        mu,
                        eps,
                    );
                    adam(
                        p.hidden_bias,
                        &mut vel.hidden_bias,
                        &mut sq.hidden_bias,
                        &grad.hidden_bias,
                        lr,
                        mu,
                        eps,
                    );
                    adam(
                        p.visible_bias,
                        &mut vel.visible_bias,
                        &mut sq.visible_bias,
                        &grad.visible_bias,
                        lr,
                        mu,
                        eps,
                    );
                }
            }
            _ => {
                momentum(&mut model.class_bias, &mut vel.class_bias, &grad.class_bias, lr, mu);
                if !only_c {
                    let p = model.params_mut();
                    momentum(p.input_factors, &mut vel.input_factors, &grad.input_factors, lr, mu);
                    momentum(p.hidden_factors, &mut vel.hidden_factors, &grad.hidden_factors, lr, mu);
                    momentum(p.class_factors, &mut vel.class_factors, &grad.class_factors, lr, mu);
                    momentum(p.hidden_bias, &mut vel.hidden_bias, &grad.hidden_bias, lr, mu);
                    momentum(p.visible_bias, &mut vel.visible_bias, &grad.visible_bias, lr, mu);
                }
            }
        }
        for (name, v, _) in model.tensors() {
            if v.iter().any(|x| !x.is_finite()) {
                return Err(Error::Diverged { epoch: 0, step: 0, parameter: name.to_owned() });
            }
        }
        Ok(())
    }
}

fn check_batch(m: &FactoredCsae, batch: usize, x: &[f32], y: &[u32]) -> Result<()> {
    let (d, k, nb) = (m.d, m.num_classes(), y.len());
    if nb == 0 || nb > batch || x.len() != nb * d {
        return Err(Error::Data {
            what: "minibatch",
            reason: format!("{} values, {nb} labels for a workspace of {batch} rows × {d} inputs", x.len()),
        });
    }
    crate::model::check_labels("minibatch labels", y, nb, k)
}

fn par_for(threads: usize) -> Parallelism {
    if threads > 1 {
        Parallelism::Rayon(0)
    } else {
        Parallelism::Sequential
    }
}

/// ℓ(s, y) of the log-loss (Eq. 45) or the multiclass hinge loss, and ∂ℓ/∂s into `g`.
/// (The plain CSAE's loss, restated here.)
fn loss_and_coefficients(variant: Variant, s: &[f64], y: usize, g: &mut [f64]) -> f64 {
    if variant == Variant::Hinge {
        g.iter_mut().for_each(|v| *v = 0.0);
        let j = (0..s.len()).filter(|&i| i != y).max_by(|&a, &b| s[a].total_cmp(&s[b]).then(b.cmp(&a)));
        let Some(j) = j else { return 0.0 };
        let margin = 1.0 + s[j] - s[y];
        if margin > 0.0 {
            g[j] = 1.0;
            g[y] = -1.0;
            margin
        } else {
            0.0
        }
    } else {
        let lse = log_sum_exp(s);
        for (g, &v) in g.iter_mut().zip(s) {
            *g = (v - lse).exp();
        }
        g[y] -= 1.0;
        lse - s[y]
    }
}

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
        let (d, f, h, k, nb) = (model.d, model.f, model.h, self.k, y.len());
        let par = par_for(rayon::current_num_threads());
        model.forward(
            x,
            nb,
            Forward { p: &mut self.p, q: &mut self.q, u: &mut self.u, hu: &mut self.hu, e: &mut self.e },
            par,
        );
        // Logits, loss and g = (1/B) ∂ℓ/∂s (class-major).
        let inv = 1.0 / nb as f64;
        let (mut loss, mut errors) = (0.0f64, 0usize);
        for (r, &yr) in y.iter().enumerate() {
            for j in 0..k {
                self.s[j] = self.e[j * nb + r] + model.class_bias[j] as f64;
            }
            errors += usize::from(argmax(&self.s) != yr as usize);
            loss += loss_and_coefficients(self.variant, &self.s, yr as usize, &mut self.gr);
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
        if !self.variant.trains_class_models() {
            return Ok(loss);
        }
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
        // ∂Wʰ = Qᵀ A + λWʰ.
        let q = MatRef::from_row_major(&self.q[..k * nb * f], k * nb, f);
        let av = MatRef::from_row_major(a, k * nb, h);
        self.grad.hidden_factors.copy_from_slice(&model.w_h);
        gemm(1.0, q.t(), av, wd, MatMut::from_row_major(&mut self.grad.hidden_factors, f, h), par);
        // G = A Wʰᵀ [K·nb, F], into the Q buffer.
        let gq = &mut self.q[..k * nb * f];
        gemm(
            1.0,
            av,
            MatRef::from_row_major(&model.w_h, f, h).t(),
            0.0,
            MatMut::from_row_major(gq, k * nb, f),
            par,
        );
        let gq = &self.q[..k * nb * f];
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
        self.grad.input_factors.copy_from_slice(&model.w_x);
        gemm(
            1.0,
            MatRef::from_row_major(x, nb, d).t(),
            MatRef::from_row_major(dp, nb, f),
            wd,
            MatMut::from_row_major(&mut self.grad.input_factors, d, f),
            par,
        );
        let decay = if wd > 0.0 {
            0.5 * wd as f64 * (sum_sq(&model.w_x) + sum_sq(&model.w_h) + sum_sq(&model.w_f))
        } else {
            0.0
        };
        Ok(loss + decay)
    }

    /// One step on (`x`, `y`) with learning rate `lr` and momentum (Adam: β₁) `mu` — momentum SGD
    /// `v ← μv − η∇; θ ← θ + v` unless [`FactoredFinetuner::set_optimizer`] chose Adam; returns
    /// the objective before the update.
    ///
    /// # Errors
    /// As [`FactoredFinetuner::gradient`]; [`Error::Diverged`] (epoch and step 0: the caller sets
    /// them) naming the first tensor that turned non-finite.
    pub fn step(&mut self, model: &mut FactoredCsae, x: &[f32], y: &[u32], lr: f32, mu: f32) -> Result<f64> {
        let loss = self.gradient(model, x, y)?;
        self.updater.update(model, &self.grad, lr, mu, !self.variant.trains_class_models())?;
        Ok(loss)
    }
}

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
        let par = par_for(rayon::current_num_threads());
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
        let par = par_for(rayon::current_num_threads());
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
        let decay = if wd > 0.0 {
            0.5 * wd as f64 * (sum_sq(&model.w_x) + sum_sq(&model.w_h) + sum_sq(&model.w_f))
        } else {
            0.0
        };
        Ok(loss + decay)
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
        self.updater.update(model, &self.grad, lr, mu, false)?;
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
