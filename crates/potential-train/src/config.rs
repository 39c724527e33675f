//! [`TrainConfig`]: every hyperparameter of a run, validated before anything runs.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Input corruption of a denoising autoencoder (Vincent et al. 2008), applied afresh to every
/// minibatch; the loss compares the reconstruction of the corrupted input with the clean input.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "level", rename_all = "kebab-case")]
pub enum Noise {
    /// Each input coordinate is set to 0 with probability `level` ∈ [0, 1).
    Mask(f32),
    /// Each input coordinate gets independent Gaussian noise of standard deviation `level` > 0.
    Gaussian(f32),
    /// Each input coordinate is, with probability `level` ∈ [0, 1), set to 0 or 1 (each with
    /// probability ½).
    SaltPepper(f32),
}

impl Noise {
    /// The corruption level (probability or standard deviation).
    pub fn level(self) -> f32 {
        match self {
            Noise::Mask(p) | Noise::Gaussian(p) | Noise::SaltPepper(p) => p,
        }
    }

    /// Parse `mask`, `gaussian` or `salt-pepper` with a level.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for an unknown name.
    pub fn from_name(name: &str, level: f32) -> Result<Self> {
        match name {
            "mask" | "zero" | "masking" => Ok(Noise::Mask(level)),
            "gaussian" | "normal" => Ok(Noise::Gaussian(level)),
            "salt-pepper" | "salt-and-pepper" | "sp" => Ok(Noise::SaltPepper(level)),
            _ => Err(Error::InvalidConfig {
                field: "noise",
                value: name.to_owned(),
                reason: "must be one of mask, gaussian, salt-pepper",
            }),
        }
    }
}

/// The optimiser of a training run.
///
/// - `Momentum` (the paper's, Sec. 4.2): `v ← μv − η∇; θ ← θ + v` with μ = [`TrainConfig::momentum`].
/// - `Adam` (Kingma & Ba 2015): `m ← β₁m + (1 − β₁)∇; s ← β₂s + (1 − β₂)∇²;
///   θ ← θ − η·m̂/(√ŝ + ε)` with the bias corrections m̂ = m/(1 − β₁ᵗ), ŝ = s/(1 − β₂ᵗ), t the
///   1-based step count of the run (so a resumed run continues it). Its step is invariant to the
///   scale of the gradient, which makes one learning rate serve inputs of any scale (the detector of
///   `potential detect fit` relies on that).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Optimizer {
    /// Momentum SGD with [`TrainConfig::momentum`].
    #[default]
    Momentum,
    /// Adam with the given decay rates and ε.
    Adam {
        /// Decay of the first moment (0.9).
        beta1: f32,
        /// Decay of the second moment (0.999).
        beta2: f32,
        /// ε in the denominator (1e-8).
        epsilon: f32,
    },
}

impl Optimizer {
    /// Adam with its usual constants β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
    pub const ADAM: Optimizer = Optimizer::Adam { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
}

/// The learning rate as a function of the epoch `e` (0-based); it never depends on the total number
/// of epochs, so a run extended with `--resume` follows the same schedule as one started longer.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Schedule {
    /// η(e) = η₀.
    Constant,
    /// η(e) = η₀ · γᵉ with 0 < γ ≤ 1.
    Exponential {
        /// Factor per epoch.
        gamma: f32,
    },
    /// η(e) = η₀ / (1 + e/τ) with τ > 0.
    InverseTime {
        /// Epochs until the rate has halved.
        tau: f32,
    },
}

impl Schedule {
    /// The rate at epoch `epoch` for base rate `lr`.
    pub fn rate(self, lr: f32, epoch: usize) -> f32 {
        match self {
            Schedule::Constant => lr,
            Schedule::Exponential { gamma } => (lr as f64 * (gamma as f64).powi(epoch as i32)) as f32,
            Schedule::InverseTime { tau } => (lr as f64 / (1.0 + epoch as f64 / tau as f64)) as f32,
        }
    }
}

/// Every hyperparameter of a training run (Sec. 4.2 of the paper for the defaults).
///
/// The objective per sample x (corrupted input x̃ = x without [`Noise`]) is
///
/// `ℓ(x) = L(r(x̃), x) + λ·Σₖ h′(uₖ(x̃))²‖wₖ‖²`
///
/// with L = ½‖r − x‖² for real output (squared error) or the cross-entropy
/// −Σⱼ [xⱼ log rⱼ + (1 − xⱼ) log(1 − rⱼ)] for binary output, and the contractive penalty of
/// Eq. 40 weighted by λ = [`TrainConfig::contractive`]. The minibatch objective is the mean of ℓ
/// over the batch plus ½·`weight_decay`·‖W‖²_F (biases are not decayed). Optimiser: momentum SGD,
/// `v ← μv − η∇; θ ← θ + v` (the default), or Adam ([`Optimizer`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Number of epochs to run (≥ 1).
    pub epochs: usize,
    /// Rows per minibatch (default 100).
    pub batch_size: usize,
    /// Base learning rate η₀ (> 0).
    pub learning_rate: f32,
    /// Learning-rate schedule over epochs.
    pub schedule: Schedule,
    /// Momentum μ ∈ [0, 1) (default 0.9); used by [`Optimizer::Momentum`] only.
    pub momentum: f32,
    /// The optimiser (default [`Optimizer::Momentum`]; configurations written before it existed
    /// read as momentum).
    #[serde(default)]
    pub optimizer: Optimizer,
    /// L2 weight decay on W (≥ 0).
    pub weight_decay: f32,
    /// Contractive penalty λ ≥ 0 (Eq. 40; the paper uses 0.2, 0.5, 1.0 for the smooth
    /// activations). Its gradient uses h″; for relu and modulus h″ = 0 almost everywhere, so the
    /// gradient is exact away from the kink u = 0 (where h′ jumps and the penalty is not
    /// differentiable).
    pub contractive: f32,
    /// Denoising corruption, if any.
    pub noise: Option<Noise>,
    /// After every step, rescale every filter wₖ to the mean filter norm (Sec. 4.2).
    pub renormalize: bool,
    /// Seed of the run's random stream: the shuffling of the rows and the corruption of the inputs.
    /// The initial weights come from elsewhere (the model given to the
    /// [`Trainer`](crate::Trainer); [`init_model`](crate::init_model) takes its own seed).
    pub seed: u64,
    /// Early stopping: stop after this many epochs without a better validation loss and restore the
    /// best model (needs validation data). `None`: run all epochs (the best model is still restored
    /// when validation data is given).
    pub patience: Option<usize>,
    /// Rows of the training set (its first rows) on which the per-epoch metrics are measured
    /// (0 = all rows).
    pub metric_rows: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 10,
            batch_size: 100,
            learning_rate: 0.01,
            schedule: Schedule::Constant,
            momentum: 0.9,
            optimizer: Optimizer::Momentum,
            weight_decay: 0.0,
            contractive: 0.0,
            noise: None,
            renormalize: false,
            seed: 0,
            patience: None,
            metric_rows: 5000,
        }
    }
}

fn bad(field: &'static str, value: impl ToString, reason: &'static str) -> Error {
    Error::InvalidConfig { field, value: value.to_string(), reason }
}

impl TrainConfig {
    /// Check every field before anything runs.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first field out of its domain.
    pub fn validate(&self) -> Result<()> {
        if self.epochs == 0 {
            return Err(bad("epochs", self.epochs, "must be at least 1"));
        }
        if self.batch_size == 0 {
            return Err(bad("batch_size", self.batch_size, "must be at least 1"));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(bad("learning_rate", self.learning_rate, "must be finite and > 0"));
        }
        match self.schedule {
            Schedule::Constant => {}
            Schedule::Exponential { gamma } => {
                if !(gamma > 0.0 && gamma <= 1.0) {
                    return Err(bad("schedule.gamma", gamma, "must be in (0, 1]"));
                }
            }
            Schedule::InverseTime { tau } => {
                if !(tau.is_finite() && tau > 0.0) {
                    return Err(bad("schedule.tau", tau, "must be finite and > 0"));
                }
            }
        }
        if !(self.momentum >= 0.0 && self.momentum < 1.0) {
            return Err(bad("momentum", self.momentum, "must be in [0, 1)"));
        }
        if let Optimizer::Adam { beta1, beta2, epsilon } = self.optimizer {
            if !(0.0..1.0).contains(&beta1) {
                return Err(bad("optimizer.beta1", beta1, "must be in [0, 1)"));
            }
            if !(0.0..1.0).contains(&beta2) {
                return Err(bad("optimizer.beta2", beta2, "must be in [0, 1)"));
            }
            if !(epsilon.is_finite() && epsilon > 0.0) {
                return Err(bad("optimizer.epsilon", epsilon, "must be finite and > 0"));
            }
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(bad("weight_decay", self.weight_decay, "must be finite and ≥ 0"));
        }
        if !(self.contractive.is_finite() && self.contractive >= 0.0) {
            return Err(bad("contractive", self.contractive, "must be finite and ≥ 0"));
        }
        if let Some(noise) = self.noise {
            let l = noise.level();
            match noise {
                Noise::Mask(_) | Noise::SaltPepper(_) => {
                    if !(0.0..1.0).contains(&l) {
                        return Err(bad("noise.level", l, "a corruption probability must be in [0, 1)"));
                    }
                }
                Noise::Gaussian(_) => {
                    if !(l.is_finite() && l > 0.0) {
                        return Err(bad("noise.level", l, "a standard deviation must be finite and > 0"));
                    }
                }
            }
        }
        if self.patience == Some(0) {
            return Err(bad("patience", 0, "must be at least 1 epoch"));
        }
        Ok(())
    }
}
