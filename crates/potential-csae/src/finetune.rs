//! Discriminative finetuning: the exact gradient of the negative log of Eq. 45 (or the hinge loss)
//! with respect to every parameter, in a workspace allocated once.
//!
//! # Derivation
//! For a minibatch of B rows with labels yₙ, logits sₙᵢ = Eᵢ(xₙ) + Cᵢ and the objective
//!
//! `L = (1/B) Σₙ ℓ(sₙ, yₙ) + ½λ Σᵢ ‖Wᵢ‖²_F`,
//!
//! the chain rule through the logits gives gₙᵢ = (1/B) ∂ℓ/∂sₙᵢ:
//! - log-loss ℓ = log Σⱼ exp sₙⱼ − s_{n,yₙ}: gₙᵢ = (pₙᵢ − [i = yₙ]) / B with pₙ the softmax (Eq. 45);
//! - hinge ℓ = max(0, 1 + s_{n,j*} − s_{n,yₙ}), j* = argmaxⱼ≠yₙ sₙⱼ: gₙⱼ* = 1/B, g_{n,yₙ} = −1/B
//!   when the margin is violated, else 0.
//!
//! Then ∂L/∂Cᵢ = Σₙ gₙᵢ and, with ∂E/∂θ of the energies (Eq. 11–21 and 28; real output: ∂E/∂W = h(u)xᵀ,
//! ∂E/∂b_h = h(u), ∂E/∂b_r = x − b_r; binary output: ∂E/∂b_r = x),
//!
//! - ∂L/∂Wᵢ = (diag(g·ᵢ) h(Uᵢ))ᵀ X + λWᵢ — one gemm \[H, B\]·\[B, D\];
//! - ∂L/∂b_hᵢ = Σₙ gₙᵢ h(uₙᵢ); ∂L/∂b_rᵢ = Σₙ gₙᵢ (xₙ − b_rᵢ) (or Σₙ gₙᵢ xₙ).
//!
//! The forward pass needs Uᵢ = X Wᵢᵀ (one gemm \[B, D\]·\[D, H\]), so a step costs two gemms per class.
//! With a read-out A (the energies variant), sₙᵢ = Σⱼ Aᵢⱼ Eⱼ(xₙ) + Cᵢ, ∂L/∂Aᵢⱼ = Σₙ gₙᵢ Eⱼ(xₙ) and
//! the class models see ∂L/∂Eⱼ = Σᵢ gₙᵢ Aᵢⱼ (used only by the gradient check: that variant keeps
//! the class models fixed).
//!
//! # Hidden-unit dropout (not in the paper)
//! With [`Finetuner::set_hidden_dropout`] each training energy becomes
//! `Eᵢ(xₙ) = Σₖ mₙₖ H(uₙₖ) + visible term`, mₙₖ = 0 with probability p and 1/(1 − p) otherwise, so
//! that its expectation over the mask is the energy of Eq. 45 that prediction uses. The gradient
//! keeps its form with h(Uᵢ) replaced by the masked M ⊙ h(Uᵢ). The mask of a minibatch depends on
//! the seed, the class and the number of updates taken, not on the thread count; repeated
//! [`Finetuner::gradient`] calls between two updates see the same mask (the gradient check relies
//! on it).

use crate::model::argmax;
use crate::training::loss::{coefficients, visible_term};
use crate::training::optim::{Rule, ADAM_BETA2};
use crate::{Csae, Error, Optimizer, Result, Variant};
use potential_kernels::{
    all_finite, antiderivative_sum, bias_act, gemm, gemm_update, sum_sq, ActivationKind, FlushToZero, MatMut,
    MatRef, Parallelism,
};
use potential_models::{Output, TiedAutoencoder};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

/// Gradient (or velocity) buffers of one class model: ∂/∂W (H×D row-major), ∂/∂b_h (H),
/// ∂/∂b_r (D) — the parameter-shaped buffers of `potential-models`.
pub use potential_models::TiedGradient as ClassGrad;

/// The gradient of the finetuning objective with respect to every parameter of a [`Csae`].
#[derive(Clone, Debug, PartialEq)]
pub struct CsaeGradient {
    /// Per class model.
    pub classes: Vec<ClassGrad>,
    /// ∂/∂C (K).
    pub class_bias: Vec<f64>,
    /// ∂/∂A (K×K), for a model with a read-out.
    pub readout: Option<Vec<f64>>,
}

struct ClassBuf {
    /// U then (after the backward pass) diag(g) h(U), \[B, H\].
    u: Vec<f32>,
    /// h(U), \[B, H\].
    h: Vec<f32>,
    grad: ClassGrad,
    /// Momentum velocity, or Adam's first moment.
    vel: ClassGrad,
    /// Adam's second moment (allocated when Adam is chosen).
    sq: Option<ClassGrad>,
    /// γ of the fused momentum update, −η·λ per hidden unit \[H\].
    gamma: Vec<f32>,
    /// The decay term ½λ‖Wᵢ‖² of the last pass (summed over classes in order afterwards).
    decay: f64,
    /// Whether the last update left every parameter finite.
    finite: bool,
    /// The net inputs of one row's kept hidden units (hidden-unit dropout only) \[H\].
    kept: Vec<f32>,
}

/// One finetuning step of a [`Csae`] in buffers allocated once: [`Finetuner::gradient`] computes
/// the loss and the exact gradient (module docs), [`Finetuner::step`] adds the momentum update
/// `v ← μv − η∇; θ ← θ + v`.
///
/// Classes run in parallel on the current rayon pool (each class's gemms on one thread when there
/// are at least as many classes as threads), so results do not depend on the thread count.
///
/// # Performance
/// A momentum step never materialises the weight gradient: the backward gemm of each class writes
/// straight into its velocity, with the weight decay and the parameter update fused into the
/// gemm's store ([`potential_kernels::gemm_update`]: `v ← μv − η(∇ + λW); W ← W + v`, one pass
/// over v and W, which also reports non-finite weights). So a step reads W once for the forward
/// gemm, once for ‖W‖² (the decay term of the returned objective, right after the forward gemm
/// has packed W, so mostly from cache) and once in the update.
///
/// [`Finetuner::gradient`] and [`Finetuner::step`] run under [`FlushToZero`] (on every thread that
/// computes a class): once the classes separate, the softmax gives wrong classes probabilities
/// below 2⁻¹²⁶, and the subnormal products they feed cost Intel cores a microcode assist each —
/// twice the epoch time on the Xeon host of RESULTS.md. `POTENTIAL_FTZ=0` (or
/// [`potential_kernels::set_flush_to_zero`]) keeps subnormals and reproduces runs recorded before
/// the flush bit for bit.
pub struct Finetuner {
    batch: usize,
    k: usize,
    variant: Variant,
    weight_decay: f32,
    bufs: Vec<ClassBuf>,
    /// Energies \[B, K\].
    e: Vec<f64>,
    /// Coefficients g \[B, K\].
    g: Vec<f64>,
    grad_c: Vec<f64>,
    vel_c: Vec<f64>,
    grad_a: Option<Vec<f64>>,
    errors: usize,
    optimizer: Optimizer,
    /// Adam's second moment of C.
    sq_c: Vec<f64>,
    /// Updates taken since the optimiser was set: Adam's bias correction and the dropout mask.
    t: u64,
    /// Hidden-unit dropout probability (0 = off) and its seed; `t` selects a minibatch's mask.
    dropout: f32,
    dropout_seed: u64,
}

impl std::fmt::Debug for Finetuner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Finetuner")
            .field("batch", &self.batch)
            .field("classes", &self.k)
            .field("variant", &self.variant)
            .finish_non_exhaustive()
    }
}

impl Finetuner {
    /// Buffers for minibatches of up to `batch` rows of `model`.
    pub fn new(model: &Csae, batch: usize, variant: Variant, weight_decay: f32) -> Self {
        let d = model.visible();
        let bufs = model
            .classes
            .iter()
            .map(|m| {
                let h = m.hidden();
                ClassBuf {
                    u: vec![0.0; batch * h],
                    h: vec![0.0; batch * h],
                    grad: ClassGrad::zeros(h, d),
                    vel: ClassGrad::zeros(h, d),
                    sq: None,
                    gamma: vec![0.0; h],
                    decay: 0.0,
                    finite: true,
                    kept: Vec::new(),
                }
            })
            .collect();
        let k = model.num_classes();
        Self {
            batch,
            k,
            variant,
            weight_decay,
            bufs,
            e: vec![0.0; batch * k],
            g: vec![0.0; batch * k],
            grad_c: vec![0.0; k],
            vel_c: vec![0.0; k],
            grad_a: model.readout.as_ref().map(|_| vec![0.0; k * k]),
            errors: 0,
            optimizer: Optimizer::Momentum,
            sq_c: Vec::new(),
            t: 0,
            dropout: 0.0,
            dropout_seed: 0,
        }
    }

    /// Drop each hidden unit of each training row with probability `p` (scaling the kept ones by
    /// 1/(1 − p); module docs), masks drawn from `seed`. `p = 0` turns it off.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless 0 ≤ p < 1.
    pub fn set_hidden_dropout(&mut self, p: f32, seed: u64) -> Result<()> {
        if !(0.0..1.0).contains(&p) {
            return Err(crate::config::bad("finetune.hidden_dropout", p, "must be in [0, 1)"));
        }
        self.dropout = p;
        self.dropout_seed = seed;
        for b in &mut self.bufs {
            b.kept = if p > 0.0 { vec![0.0; b.grad.hidden_bias.len()] } else { Vec::new() };
        }
        Ok(())
    }

    /// Choose the update rule of [`Finetuner::step`] (default [`Optimizer::Momentum`]); resets the
    /// optimiser state.
    pub fn set_optimizer(&mut self, optimizer: Optimizer) {
        self.optimizer = optimizer;
        self.t = 0;
        self.vel_c.iter_mut().for_each(|v| *v = 0.0);
        let adam = optimizer == Optimizer::Adam;
        self.sq_c = if adam { vec![0.0; self.k] } else { Vec::new() };
        for b in &mut self.bufs {
            let (h, d) = (b.grad.hidden_bias.len(), b.grad.visible_bias.len());
            b.vel = ClassGrad::zeros(h, d);
            b.sq = adam.then(|| ClassGrad::zeros(h, d));
        }
    }

    fn gemm_par(&self) -> Parallelism {
        if self.k >= rayon::current_num_threads() {
            Parallelism::Sequential
        } else {
            Parallelism::Rayon(0)
        }
    }

    /// Misclassified rows of the last [`Finetuner::gradient`] call (parameters before the update).
    pub fn errors(&self) -> usize {
        self.errors
    }

    /// The energies \[nb, K\] of the last [`Finetuner::gradient`] call.
    pub fn energies(&self, nb: usize) -> &[f64] {
        &self.e[..nb * self.k]
    }

    /// The loss of the minibatch `x` (\[nb, D\] row-major, nb ≤ batch) with labels `y` and its
    /// gradient, kept in this workspace ([`Finetuner::gradient_parts`]). Returns the objective
    /// (mean loss + ½λΣ‖Wᵢ‖²) in `f64`.
    ///
    /// # Errors
    /// [`Error::Data`] for a wrong shape or a label ≥ K.
    pub fn gradient(&mut self, model: &Csae, x: &[f32], y: &[u32]) -> Result<f64> {
        let _ftz = FlushToZero::scope();
        let loss = self.forward(model, x, y)?;
        if !self.variant.trains_class_models() {
            return Ok(loss);
        }
        let (k, nb, wd, par) = (self.k, y.len(), self.weight_decay, self.gemm_par());
        let g = &self.g;
        let xv = MatRef::from_row_major(x, nb, model.visible());
        model.classes.par_iter().zip(self.bufs.par_iter_mut()).enumerate().for_each(|(i, (m, b))| {
            let _ftz = FlushToZero::scope();
            backward_small(m, b, g, i, k, x, nb);
            let h = m.hidden();
            let gw = &mut b.grad.weight;
            gemm(
                1.0,
                MatRef::from_row_major(&b.u[..nb * h], nb, h).t(),
                xv,
                0.0,
                MatMut::from_row_major(gw, h, m.visible()),
                par,
            );
            if wd > 0.0 {
                for (o, &w) in gw.iter_mut().zip(m.weight()) {
                    *o += wd * w;
                }
            }
        });
        // Summed in class order, so the objective does not depend on the thread count.
        Ok(loss + self.bufs.iter().map(|b| b.decay).sum::<f64>())
    }

    /// The forward pass, the loss (without the decay term), the coefficients g (left in `self.g`),
    /// ∂L/∂C and ∂L/∂A; leaves h(Uᵢ) in each class buffer.
    fn forward(&mut self, model: &Csae, x: &[f32], y: &[u32]) -> Result<f64> {
        let (d, k) = (model.visible(), model.num_classes());
        let nb = y.len();
        if nb == 0 || nb > self.batch || x.len() != nb * d || k != self.k {
            return Err(Error::Data {
                what: "minibatch",
                reason: format!(
                    "{} values, {nb} labels for a workspace of {} rows × {d} inputs, {} classes",
                    x.len(),
                    self.batch,
                    self.k
                ),
            });
        }
        crate::model::check_labels("minibatch labels", y, nb, k)?;
        let par = self.gemm_par();
        // The decay term belongs to the objective only when the class models are trained.
        let wd = if self.variant.trains_class_models() { self.weight_decay } else { 0.0 };
        let xv = MatRef::from_row_major(x, nb, d);
        let (p, draw_seed) = (self.dropout, mix(self.dropout_seed, self.t));
        // Forward: Uᵢ = X Wᵢᵀ + b_h, h(Uᵢ), Eᵢ(xₙ) into column i of e.
        let cols: Vec<Vec<f64>> = model
            .classes
            .par_iter()
            .zip(self.bufs.par_iter_mut())
            .enumerate()
            .map(|(i, (m, b))| {
                let _ftz = FlushToZero::scope();
                let h = m.hidden();
                let f = m.activation();
                let u = &mut b.u[..nb * h];
                let hb = &mut b.h[..nb * h];
                gemm(1.0, xv, m.weight_view().t(), 0.0, MatMut::from_row_major(u, nb, h), par);
                // The decay term ½λ‖Wᵢ‖² of the objective, now that the gemm's packing has just
                // read Wᵢ (mostly still in cache; later, in the backward pass, it is not).
                b.decay = if wd > 0.0 { 0.5 * f64::from(wd) * sum_sq(m.weight()) } else { 0.0 };
                let mut rng = (p > 0.0).then(|| Xoshiro256PlusPlus::seed_from_u64(mix(draw_seed, i as u64)));
                (0..nb)
                    .map(|r| {
                        let ur = &mut u[r * h..(r + 1) * h];
                        let hr = &mut hb[r * h..(r + 1) * h];
                        bias_act(ur, m.hidden_bias(), f, hr, None);
                        let hidden = match rng.as_mut() {
                            None => antiderivative_sum(ur, f),
                            Some(rng) => drop_units(rng, p, ur, hr, &mut b.kept, f),
                        };
                        hidden + visible_term(m.output(), &x[r * d..(r + 1) * d], m.visible_bias())
                    })
                    .collect()
            })
            .collect();
        for (i, col) in cols.iter().enumerate() {
            for (r, &e) in col.iter().enumerate() {
                self.e[r * k + i] = e;
            }
        }
        // Logits, loss and g = (1/B) ∂ℓ/∂s.
        let inv = 1.0 / nb as f64;
        let mut loss = 0.0f64;
        let mut s = vec![0.0f64; k];
        self.errors = 0;
        for (r, &yr) in y.iter().enumerate() {
            let e = &self.e[r * k..(r + 1) * k];
            match &model.readout {
                None => {
                    for ((s, &e), &c) in s.iter_mut().zip(e).zip(&model.class_bias) {
                        *s = e + c as f64;
                    }
                }
                Some(a) => {
                    for (i, s) in s.iter_mut().enumerate() {
                        *s = model.class_bias[i] as f64
                            + a[i * k..(i + 1) * k].iter().zip(e).map(|(&a, &e)| a as f64 * e).sum::<f64>();
                    }
                }
            }
            let yr = yr as usize;
            self.errors += usize::from(argmax(&s) != yr);
            let g = &mut self.g[r * k..(r + 1) * k];
            loss += coefficients(self.variant, &s, yr, g);
            for v in g.iter_mut() {
                *v *= inv;
            }
        }
        loss *= inv;
        if !loss.is_finite() {
            return Err(Error::Diverged { epoch: 0, step: 0, parameter: "loss".into() });
        }
        // ∂L/∂C, ∂L/∂A and the coefficients seen by the energies, ∂L/∂Eⱼ.
        self.grad_c.iter_mut().for_each(|v| *v = 0.0);
        for r in 0..nb {
            for (c, &g) in self.grad_c.iter_mut().zip(&self.g[r * k..(r + 1) * k]) {
                *c += g;
            }
        }
        if let (Some(a), Some(ga)) = (&model.readout, &mut self.grad_a) {
            ga.iter_mut().for_each(|v| *v = 0.0);
            for r in 0..nb {
                let (g, e) = (&self.g[r * k..(r + 1) * k], &self.e[r * k..(r + 1) * k]);
                for i in 0..k {
                    for j in 0..k {
                        ga[i * k + j] += g[i] * e[j];
                    }
                }
                let ge: Vec<f64> = (0..k).map(|j| (0..k).map(|i| g[i] * a[i * k + j] as f64).sum()).collect();
                self.g[r * k..(r + 1) * k].copy_from_slice(&ge);
            }
        }
        Ok(loss)
    }

    /// The gradient of the last [`Finetuner::gradient`] call. Class-model parts are meaningful only
    /// for variants that train them. A [`Finetuner::step`] with Adam leaves its gradient here too;
    /// a momentum step leaves its C, A and bias gradients but not the weight gradients (it folds
    /// them straight into the velocity, see [`Finetuner`]'s performance notes), so their parts keep
    /// the values of the last `gradient` call or Adam step.
    pub fn gradient_parts(&self) -> CsaeGradient {
        CsaeGradient {
            classes: self.bufs.iter().map(|b| b.grad.clone()).collect(),
            class_bias: self.grad_c.clone(),
            readout: self.grad_a.clone(),
        }
    }

    /// One update on the minibatch (`x`, `y`) with learning rate `lr` and momentum `mu`: the
    /// gradient, then `v ← μv − η∇; θ ← θ + v` (or Adam with β₁ = μ, see [`Optimizer`]) for the
    /// trained parameters of the variant. Returns the objective before the update.
    ///
    /// # Errors
    /// As [`Finetuner::gradient`]; [`Error::Diverged`] (epoch and step 0: the caller sets them)
    /// when a parameter turns non-finite.
    pub fn step(&mut self, model: &mut Csae, x: &[f32], y: &[u32], lr: f32, mu: f32) -> Result<f64> {
        let _ftz = FlushToZero::scope();
        let trains = self.variant.trains_class_models();
        // Momentum on the class models: the weight gradient goes straight into the velocity below.
        let fused = trains && self.optimizer == Optimizer::Momentum;
        let mut loss = if fused { self.forward(model, x, y)? } else { self.gradient(model, x, y)? };
        self.t += 1;
        let rule = Rule::new(self.optimizer, lr, mu, self.t, ADAM_BETA2);
        for (i, c) in model.class_bias.iter_mut().enumerate() {
            let mut unused = 0.0;
            let s = self.sq_c.get_mut(i).unwrap_or(&mut unused);
            *c += rule.delta_f64(&mut self.vel_c[i], s, self.grad_c[i]) as f32;
        }
        if trains {
            let (k, nb, wd, par) = (self.k, y.len(), self.weight_decay, self.gemm_par());
            let g = &self.g;
            let xv = MatRef::from_row_major(x, nb, model.visible());
            model.classes.par_iter_mut().zip(self.bufs.par_iter_mut()).enumerate().for_each(|(i, (m, b))| {
                let _ftz = FlushToZero::scope();
                match rule {
                    Rule::Momentum { lr, mu } => {
                        backward_small(m, b, g, i, k, x, nb);
                        let (h, d) = (m.hidden(), m.visible());
                        b.gamma.iter_mut().for_each(|v| *v = -lr * wd);
                        let p = m.params_mut();
                        // v ← μv − η(Σₙgₙᵢh(uₙᵢ)xₙᵀ + λW); W ← W + v, in the store of the gemm.
                        let w_ok = gemm_update(
                            -lr,
                            MatRef::from_row_major(&b.u[..nb * h], nb, h).t(),
                            xv,
                            mu,
                            MatMut::from_row_major(&mut b.vel.weight, h, d),
                            &b.gamma,
                            MatMut::from_row_major(p.weight, h, d),
                            par,
                        );
                        rule.apply(p.hidden_bias, &mut b.vel.hidden_bias, &mut [], &b.grad.hidden_bias);
                        rule.apply(p.visible_bias, &mut b.vel.visible_bias, &mut [], &b.grad.visible_bias);
                        b.finite = w_ok && all_finite(p.hidden_bias) && all_finite(p.visible_bias);
                    }
                    Rule::Adam { .. } => {
                        let p = m.params_mut();
                        let (h, d) = (b.grad.hidden_bias.len(), b.grad.visible_bias.len());
                        let (v, s, g) =
                            (&mut b.vel, b.sq.get_or_insert_with(|| ClassGrad::zeros(h, d)), &b.grad);
                        rule.apply(p.weight, &mut v.weight, &mut s.weight, &g.weight);
                        rule.apply(p.hidden_bias, &mut v.hidden_bias, &mut s.hidden_bias, &g.hidden_bias);
                        rule.apply(p.visible_bias, &mut v.visible_bias, &mut s.visible_bias, &g.visible_bias);
                        b.finite =
                            all_finite(p.weight) && all_finite(p.hidden_bias) && all_finite(p.visible_bias);
                    }
                }
            });
            if fused {
                // Summed in class order, as in `gradient`.
                loss += self.bufs.iter().map(|b| b.decay).sum::<f64>();
            }
            if let Some(i) = self.bufs.iter().position(|b| !b.finite) {
                return Err(Error::Diverged {
                    epoch: 0,
                    step: 0,
                    parameter: format!("class.{i} parameters"),
                });
            }
        }
        if model.class_bias.iter().any(|v| !v.is_finite()) {
            return Err(Error::Diverged { epoch: 0, step: 0, parameter: "class_bias".into() });
        }
        Ok(loss)
    }
}

/// The backward pass of class `i` except the weight gemm: diag(g·ᵢ) h(Uᵢ) into `b.u` (the A operand
/// of the weight gradient gemm), ∂L/∂b_h and ∂L/∂b_r into `b.grad` (the decay term of the
/// objective is computed in the forward pass).
fn backward_small(
    m: &TiedAutoencoder,
    b: &mut ClassBuf,
    g: &[f64],
    i: usize,
    k: usize,
    x: &[f32],
    nb: usize,
) {
    let (h, d) = (m.hidden(), m.visible());
    let hc = &mut b.u[..nb * h];
    let mut gr = 0.0f64;
    for r in 0..nb {
        let c = g[r * k + i] as f32;
        for (o, &v) in hc[r * h..(r + 1) * h].iter_mut().zip(&b.h[r * h..(r + 1) * h]) {
            *o = c * v;
        }
        gr += g[r * k + i];
    }
    let mut bh = vec![0.0f64; h];
    for r in 0..nb {
        for (a, &v) in bh.iter_mut().zip(&hc[r * h..(r + 1) * h]) {
            *a += v as f64;
        }
    }
    let mut br = vec![0.0f64; d];
    for r in 0..nb {
        let c = g[r * k + i];
        for (a, &v) in br.iter_mut().zip(&x[r * d..(r + 1) * d]) {
            *a += c * v as f64;
        }
    }
    if m.output() == Output::Real {
        for (a, &bv) in br.iter_mut().zip(m.visible_bias()) {
            *a -= gr * bv as f64;
        }
    }
    for (o, v) in b.grad.hidden_bias.iter_mut().zip(bh) {
        *o = v as f32;
    }
    for (o, v) in b.grad.visible_bias.iter_mut().zip(br) {
        *o = v as f32;
    }
}

/// SplitMix64's finaliser of `a` and `b`: independent seeds for (seed, update, class).
fn mix(a: u64, b: u64) -> u64 {
    let mut z = a ^ b.wrapping_add(0x9E37_79B9_7F4A_7C15).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hidden-unit dropout of one row: keeps each unit with probability 1 − p, scales the kept
/// activations `hr` by 1/(1 − p) and zeroes the dropped ones; returns Σ_kept H(uₖ)/(1 − p).
/// The kept net inputs are gathered into `kept` so the antiderivative sum stays vectorised.
fn drop_units(
    rng: &mut Xoshiro256PlusPlus,
    p: f32,
    ur: &[f32],
    hr: &mut [f32],
    kept: &mut [f32],
    f: ActivationKind,
) -> f64 {
    // 16-bit uniforms, four per draw: P(drop) = ⌈p·2¹⁶⌉/2¹⁶, within 2⁻¹⁶ of p.
    let threshold = (f64::from(p) * 65536.0).ceil() as u32;
    let scale = 1.0 / (1.0 - p);
    let mut n = 0usize;
    let mut bits = 0u64;
    for (j, (&u, hv)) in ur.iter().zip(hr.iter_mut()).enumerate() {
        if j % 4 == 0 {
            bits = rng.next_u64();
        }
        let v = (bits & 0xFFFF) as u32;
        bits >>= 16;
        if v < threshold {
            *hv = 0.0;
        } else {
            *hv *= scale;
            kept[n] = u;
            n += 1;
        }
    }
    antiderivative_sum(&kept[..n], f) * f64::from(scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `drop_units` drops unit j exactly when its 16-bit uniform (four per draw, low bits first) is
    /// below ⌈p·2¹⁶⌉: with p set to one unit's uniform over 2¹⁶, that unit sits on the threshold
    /// and is kept. Kept units are scaled by 1/(1 − p), and the returned sum is Σ_kept H(uⱼ)/(1 − p).
    #[test]
    fn dropout_drops_exactly_the_units_below_the_threshold() {
        let f = ActivationKind::Sigmoid;
        let ur: Vec<f32> = (0..37).map(|j| (j as f32 - 18.0) / 7.0).collect();
        let uniforms = |seed: u64| -> Vec<u32> {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            (0..40)
                .step_by(4)
                .flat_map(|_| {
                    let b = rng.next_u64();
                    (0..4).map(move |i| ((b >> (16 * i)) & 0xFFFF) as u32)
                })
                .collect()
        };
        for seed in 0..8u64 {
            let v = uniforms(seed);
            // p = v₅/2¹⁶ (exact in f32): unit 5 is on the threshold.
            let p = v[5] as f32 / 65536.0;
            let threshold = v[5];
            let (mut hr, mut kept) = (vec![1.0f32; ur.len()], vec![0.0f32; ur.len()]);
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            let sum = drop_units(&mut rng, p, &ur, &mut hr, &mut kept, f);
            let scale = 1.0 / (1.0 - p);
            let mut want = 0.0;
            for (j, (&h, &u)) in hr.iter().zip(&ur).enumerate() {
                if v[j] < threshold {
                    assert_eq!(h, 0.0, "seed {seed}: unit {j} (uniform {} < {threshold}) kept", v[j]);
                } else {
                    assert_eq!(h, scale, "seed {seed}: unit {j} (uniform {} ≥ {threshold}) dropped", v[j]);
                    want += antiderivative_sum(&[u], f);
                }
            }
            let want = want * f64::from(scale);
            assert!((sum - want).abs() <= 1e-12 * want.abs().max(1.0), "seed {seed}: {sum} vs {want}");
        }
    }
}
