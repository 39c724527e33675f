//! What the factored CSAE's two workspaces share: the gradient layout ([`FactoredGradient`]),
//! the update rule's state ([`Updater`]: momentum or Adam on every parameter), and the minibatch
//! checks. The objectives and their exact gradients are in [`super::finetuner`] (the negative log
//! of Eq. 45, or the hinge loss, plus L2 weight decay) and [`super::pretrainer`] (denoising
//! reconstruction, each row through its own class's autoencoder).

use super::model::FactoredCsae;
use crate::training::optim::{Rule, ADAM_BETA2_F32};
use crate::{Error, Optimizer, Result};
use potential_kernels::{sum_sq, Parallelism};

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
    pub(crate) fn zeros(m: &FactoredCsae) -> Self {
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

    /// Every tensor, C first, then in the order of [`FactoredCsae::tensors`].
    fn parts_mut(&mut self) -> [&mut [f32]; 6] {
        [
            &mut self.class_bias,
            &mut self.input_factors,
            &mut self.hidden_factors,
            &mut self.class_factors,
            &mut self.hidden_bias,
            &mut self.visible_bias,
        ]
    }

    /// Every tensor, read-only, in the order of [`FactoredGradient::parts_mut`].
    fn parts(&self) -> [&[f32]; 6] {
        [
            &self.class_bias,
            &self.input_factors,
            &self.hidden_factors,
            &self.class_factors,
            &self.hidden_bias,
            &self.visible_bias,
        ]
    }
}

/// The parameters of `m` in the order of [`FactoredGradient::parts_mut`].
fn params_mut(m: &mut FactoredCsae) -> [&mut [f32]; 6] {
    [&mut m.class_bias, &mut m.w_x, &mut m.w_h, &mut m.w_f, &mut m.b_h, &mut m.b_r]
}

/// The update rule's state: momentum velocity, or Adam's moments and step count.
pub(crate) struct Updater {
    optimizer: Optimizer,
    vel: FactoredGradient,
    sq: Option<FactoredGradient>,
    t: u64,
}

impl Updater {
    pub(crate) fn new(model: &FactoredCsae, optimizer: Optimizer) -> Self {
        let sq = (optimizer == Optimizer::Adam).then(|| FactoredGradient::zeros(model));
        Self { optimizer, vel: FactoredGradient::zeros(model), sq, t: 0 }
    }

    /// Whether the rule is momentum SGD (whose weight updates [`FactoredFinetuner`] fuses into
    /// the weight-gradient gemms).
    ///
    /// [`FactoredFinetuner`]: crate::FactoredFinetuner
    pub(crate) fn is_momentum(&self) -> bool {
        self.optimizer == Optimizer::Momentum
    }

    /// The velocities of Wˣ and Wʰ.
    pub(crate) fn weight_velocities(&mut self) -> (&mut Vec<f32>, &mut Vec<f32>) {
        (&mut self.vel.input_factors, &mut self.vel.hidden_factors)
    }

    /// Momentum `v ← μv − η∇; θ ← θ + v`, or Adam with β₁ = μ, on every parameter (or on C
    /// alone, or on all but Wˣ and Wʰ when `fused_weights`: their momentum step was done in the
    /// gradient gemms), then a finiteness check naming the first non-finite tensor.
    pub(crate) fn update(
        &mut self,
        model: &mut FactoredCsae,
        grad: &FactoredGradient,
        lr: f32,
        mu: f32,
        (only_c, fused_weights): (bool, bool),
    ) -> Result<()> {
        self.t += 1;
        let rule = Rule::new(self.optimizer, lr, mu, self.t, ADAM_BETA2_F32);
        let no_moments: [&mut [f32]; 6] = Default::default();
        let sq = match &mut self.sq {
            Some(sq) => sq.parts_mut(),
            None => no_moments,
        };
        let tensors = if only_c { 1 } else { 6 };
        let parts = params_mut(model).into_iter().zip(self.vel.parts_mut()).zip(sq).zip(grad.parts());
        for (i, (((p, v), s), g)) in parts.take(tensors).enumerate() {
            // Tensors 1 and 2 are Wˣ and Wʰ (order of `FactoredGradient::parts_mut`).
            if !(fused_weights && (i == 1 || i == 2)) {
                rule.apply(p, v, s, g);
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

/// A minibatch of `y.len()` rows fits a workspace of `batch` rows of `m`: 1 ≤ nb ≤ batch, D values
/// per row, labels below K.
///
/// # Errors
/// [`Error::Data`].
pub(crate) fn check_batch(m: &FactoredCsae, batch: usize, x: &[f32], y: &[u32]) -> Result<()> {
    let (d, k, nb) = (m.d, m.num_classes(), y.len());
    if nb == 0 || nb > batch || x.len() != nb * d {
        return Err(Error::Data {
            what: "minibatch",
            reason: format!("{} values, {nb} labels for a workspace of {batch} rows × {d} inputs", x.len()),
        });
    }
    crate::model::check_labels("minibatch labels", y, nb, k)
}

/// The weight-decay term ½λ(‖Wˣ‖² + ‖Wʰ‖² + ‖Wᶠ‖²) of both objectives (0 without decay).
pub(crate) fn decay(model: &FactoredCsae, wd: f32) -> f64 {
    if wd > 0.0 {
        0.5 * wd as f64 * (sum_sq(&model.w_x) + sum_sq(&model.w_h) + sum_sq(&model.w_f))
    } else {
        0.0
    }
}

/// The gemms' parallelism on the current rayon pool.
pub(crate) fn gemm_par() -> Parallelism {
    if rayon::current_num_threads() > 1 {
        Parallelism::Rayon(0)
    } else {
        Parallelism::Sequential
    }
}
