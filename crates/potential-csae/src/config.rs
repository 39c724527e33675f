//! Configurations of pretraining and discriminative finetuning, validated before anything runs.

use crate::{Error, Result};
use potential_activations::ActivationKind;
use potential_models::Output;
use potential_train::{Schedule, TrainConfig};
use serde::{Deserialize, Serialize};

/// `FromStr` and `Display` of a closed set of names: `$t::ALL` and `$t::name`; an unknown name is an
/// [`Error::InvalidConfig`] naming `$field`.
macro_rules! by_name {
    ($t:ident, $field:literal, $reason:literal) => {
        impl std::str::FromStr for $t {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                $t::ALL.into_iter().find(|v| v.name() == s).ok_or_else(|| Error::InvalidConfig {
                    field: $field,
                    value: s.to_owned(),
                    reason: $reason,
                })
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

/// What finetuning optimises (the variants of Table 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// The paper's CSAE: every parameter (class autoencoders and C) by the negative log of Eq. 45.
    #[default]
    Log,
    /// Every parameter by the multiclass hinge loss max(0, 1 + maxⱼ≠y sⱼ − s_y) (Crammer–Singer).
    Hinge,
    /// "Normalize only": the class models stay as pretrained; only C is learned (log-loss).
    NormalizeOnly,
    /// "Energies": the class models stay as pretrained; a multinomial logistic regression on the
    /// energy vector, sᵢ = Σⱼ Aᵢⱼ Eⱼ + Cᵢ, learns A and C (log-loss).
    Energies,
}

impl Variant {
    /// Every variant.
    pub const ALL: [Variant; 4] = [Variant::Log, Variant::Hinge, Variant::NormalizeOnly, Variant::Energies];

    /// The command-line name: `log`, `hinge`, `normalize-only`, `energies`.
    pub const fn name(self) -> &'static str {
        match self {
            Variant::Log => "log",
            Variant::Hinge => "hinge",
            Variant::NormalizeOnly => "normalize-only",
            Variant::Energies => "energies",
        }
    }

    /// Whether the class autoencoders are trained (false: only C, and A for `Energies`).
    pub const fn trains_class_models(self) -> bool {
        matches!(self, Variant::Log | Variant::Hinge)
    }
}

by_name!(Variant, "variant", "must be one of log, hinge, normalize-only, energies");

/// The update rule of finetuning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Optimizer {
    /// The paper's rule (Sec. 4.4): `v ← μv − η∇; θ ← θ + v`.
    #[default]
    Momentum,
    /// Adam (Kingma & Ba, 2015) with β₁ = μ (the `momentum` field), β₂ = 0.999, ε = 10⁻⁸ and bias
    /// correction. Not in the paper. It rescales each parameter's step, which helps when
    /// pretrained sigmoid units are mostly silent (tiny gradients h(u)xᵀ); from the plain Glorot
    /// initialisation momentum did better on reduced MNIST in an early, unrecorded comparison.
    Adam,
}

impl Optimizer {
    /// Every optimiser.
    pub const ALL: [Optimizer; 2] = [Optimizer::Momentum, Optimizer::Adam];

    /// The command-line name: `momentum` or `adam`.
    pub const fn name(self) -> &'static str {
        match self {
            Optimizer::Momentum => "momentum",
            Optimizer::Adam => "adam",
        }
    }
}

by_name!(Optimizer, "optimizer", "must be one of momentum, adam");

/// Which rows the class models of a selection run are pretrained on, in the protocol of Sec. 4.4
/// ([`select_and_fit`](crate::select_and_fit), [`select_and_fit_factored`](crate::select_and_fit_factored)).
///
/// Class-specific pretraining on rows that include the validation rows trains each class's
/// autoencoder on the validation rows *of its own class*, under their true labels: the validation
/// errors the choices are made on are then optimistic (RESULTS.md measures the gap on the
/// Larochelle sets). [`PretrainOn::Train`] keeps the validation rows unseen until the choice is
/// made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum PretrainOn {
    /// The clean protocol (the default): every selection run starts from class models pretrained
    /// on the training rows only; the chosen configuration is then pretrained again on train +
    /// validation and finetuned there for the chosen number of epochs.
    #[default]
    Train,
    /// The paper's reading of Sec. 4.4: one pretraining on train + validation, from which both
    /// the selection runs and the final fit start (the protocol of every run before this option).
    All,
}

impl PretrainOn {
    /// Both choices.
    pub const ALL: [PretrainOn; 2] = [PretrainOn::Train, PretrainOn::All];

    /// The command-line name: `train` or `all`.
    pub const fn name(self) -> &'static str {
        match self {
            PretrainOn::Train => "train",
            PretrainOn::All => "all",
        }
    }

    /// The value of records written before the field existed: their selection runs pretrained on
    /// train + validation.
    pub(crate) const fn before_the_option() -> Self {
        PretrainOn::All
    }
}

by_name!(PretrainOn, "pretrain_on", "must be one of train, all");

/// Discriminative finetuning (Sec. 4.2): minibatch momentum SGD on the mean loss over the batch
/// plus ½·`weight_decay`·Σᵢ‖Wᵢ‖²_F (class weight matrices only; biases and C are not decayed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FinetuneConfig {
    /// Epochs (≥ 1; 0 is allowed only to skip finetuning).
    pub epochs: usize,
    /// Rows per minibatch (default 100).
    pub batch_size: usize,
    /// Learning rate η (> 0).
    pub learning_rate: f32,
    /// The learning rate per epoch (default constant); epoch e of the run uses
    /// `schedule.rate(learning_rate, e)`.
    #[serde(default = "constant")]
    pub schedule: Schedule,
    /// Momentum μ ∈ [0, 1) (default 0.9); Adam's β₁.
    pub momentum: f32,
    /// The update rule (default: the paper's momentum SGD).
    #[serde(default)]
    pub optimizer: Optimizer,
    /// Zero-masking probability applied to each finetuning minibatch (0 = off, the paper's
    /// setting). Not in the paper: masking inputs while finetuning regularises the discriminative
    /// objective as dropout on the input does (RESULTS.md, "The main job": it lowers the digits
    /// demo's validation error).
    #[serde(default)]
    pub input_mask: f32,
    /// Hidden-unit dropout probability of every class model during finetuning (0 = off, the
    /// paper's setting; [`Finetuner::set_hidden_dropout`](crate::Finetuner::set_hidden_dropout)).
    /// Not in the paper. Plain CSAE only: the factored finetuning ignores it.
    #[serde(default)]
    pub hidden_dropout: f32,
    /// L2 weight decay λ ≥ 0 on every class's W.
    pub weight_decay: f32,
    /// What is optimised.
    pub variant: Variant,
    /// Seed of the shuffling.
    pub seed: u64,
    /// With validation data: stop after this many epochs without a lower validation error and keep
    /// the best model (`None`: run every epoch, still keeping the best).
    pub patience: Option<usize>,
}

impl Default for FinetuneConfig {
    fn default() -> Self {
        Self {
            epochs: 20,
            batch_size: 100,
            learning_rate: 0.01,
            momentum: 0.9,
            optimizer: Optimizer::Momentum,
            schedule: Schedule::Constant,
            input_mask: 0.0,
            hidden_dropout: 0.0,
            weight_decay: 0.0,
            variant: Variant::Log,
            seed: 0,
            patience: None,
        }
    }
}

fn constant() -> Schedule {
    Schedule::Constant
}

pub(crate) fn bad(field: &'static str, value: impl ToString, reason: &'static str) -> Error {
    Error::InvalidConfig { field, value: value.to_string(), reason }
}

impl FinetuneConfig {
    /// Check every field.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        if self.batch_size == 0 {
            return Err(bad("finetune.batch_size", 0, "must be at least 1"));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(bad("finetune.learning_rate", self.learning_rate, "must be finite and > 0"));
        }
        match self.schedule {
            Schedule::Constant => {}
            Schedule::Exponential { gamma } if gamma > 0.0 && gamma <= 1.0 => {}
            Schedule::InverseTime { tau } if tau.is_finite() && tau > 0.0 => {}
            other => return Err(bad("finetune.schedule", format!("{other:?}"), "needs 0 < γ ≤ 1 or τ > 0")),
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return Err(bad("finetune.momentum", self.momentum, "must be in [0, 1)"));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(bad("finetune.weight_decay", self.weight_decay, "must be finite and ≥ 0"));
        }
        if !(0.0..1.0).contains(&self.input_mask) {
            return Err(bad("finetune.input_mask", self.input_mask, "must be in [0, 1)"));
        }
        if !(0.0..1.0).contains(&self.hidden_dropout) {
            return Err(bad("finetune.hidden_dropout", self.hidden_dropout, "must be in [0, 1)"));
        }
        if self.patience == Some(0) {
            return Err(bad("finetune.patience", 0, "must be at least 1 epoch"));
        }
        Ok(())
    }
}

/// A whole CSAE run: class models of `hidden` units with `activation`, pretrained each on its own
/// class with `pretrain` (`None`: no pretraining, the "no pretraining" row of Table 4 — models start
/// from [`potential_train::init_model`]), then finetuned with `finetune`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CsaeConfig {
    /// Hidden units per class model.
    pub hidden: usize,
    /// The hidden activation.
    #[serde(with = "by_name")]
    pub activation: ActivationKind,
    /// Output kind of the class models (real: squared error and Eq. 11–21; binary: Eq. 28).
    #[serde(with = "by_name")]
    pub output: Output,
    /// Pretraining of each class model on its own class (classes in parallel).
    pub pretrain: Option<TrainConfig>,
    /// Discriminative finetuning.
    pub finetune: FinetuneConfig,
    /// Seed of the initialisation (class i uses `seed + i`).
    pub seed: u64,
    /// Initial weights of every class model uniform on ±`init_scale`·√(6/(H+D)) (Glorot's bound);
    /// `None` keeps [`potential_train::init_model`]'s bound (×4 for sigmoid hiddens, Glorot &
    /// Bengio's advice for sigmoid networks). The default is `Some(1.0)`: the ×4 bound starts tied
    /// sigmoid autoencoders on MNIST so saturated that contractive pretraining barely moves their
    /// reconstruction error in 200 epochs (measured: 24 against 6.8 at the smaller bound).
    #[serde(default)]
    pub init_scale: Option<f32>,
    /// Which rows the selection runs of [`select_and_fit`](crate::select_and_fit) pretrain on
    /// (default: the training rows only). [`train`](crate::train) and
    /// [`pretrain_csae`](crate::pretrain_csae) pretrain on the rows they are given.
    #[serde(default = "PretrainOn::before_the_option")]
    pub pretrain_on: PretrainOn,
}

impl Default for CsaeConfig {
    fn default() -> Self {
        Self {
            hidden: 100,
            activation: ActivationKind::Sigmoid,
            output: Output::Real,
            pretrain: Some(TrainConfig { epochs: 10, contractive: 0.5, ..TrainConfig::default() }),
            finetune: FinetuneConfig::default(),
            seed: 0,
            init_scale: Some(1.0),
            pretrain_on: PretrainOn::Train,
        }
    }
}

impl CsaeConfig {
    /// Peak bytes a run of this configuration allocates beyond its data (`None` on overflow), for
    /// `k` classes of `visible` inputs, `rows` training rows and `concurrent` classes pretrained at
    /// once (the rayon pool's size): the larger of pretraining (the `k` class models and
    /// `concurrent` trainers, [`potential_train::memory::training_bytes`]) and finetuning (five
    /// copies of every class model — model, gradient, velocity, Adam's second moment, the
    /// early-stopping copy — each class's minibatch buffers, the row order).
    pub fn training_bytes(&self, k: usize, visible: usize, rows: usize, concurrent: usize) -> Option<u64> {
        use potential_train::memory::{model_bytes, training_bytes};
        let (k64, h, b) = (k as u64, self.hidden as u64, self.finetune.batch_size as u64);
        let models = model_bytes(visible, self.hidden)?.checked_mul(k64)?;
        let pretrain = match &self.pretrain {
            Some(p) => {
                let one = training_bytes(visible, self.hidden, p.batch_size, rows)?;
                models.checked_add(one.checked_mul(concurrent.clamp(1, k.max(1)) as u64)?)?
            }
            None => models,
        };
        let per_class = b.checked_mul(h.checked_mul(2)?.checked_add(2)?)?.checked_mul(4)?;
        let finetune = models
            .checked_mul(5)?
            .checked_add(per_class.checked_mul(k64)?)?
            .checked_add((rows as u64).checked_mul(8)?)?;
        Some(pretrain.max(finetune))
    }

    /// Check every field (including the pretraining configuration).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`]; [`Error::Train`] for a bad pretraining configuration.
    pub fn validate(&self) -> Result<()> {
        if self.hidden == 0 {
            return Err(bad("hidden", 0, "must be at least 1"));
        }
        if let Some(p) = &self.pretrain {
            p.validate()?;
        }
        if let Some(s) = self.init_scale {
            if !(s.is_finite() && s > 0.0) {
                return Err(bad("init_scale", s, "must be finite and > 0"));
            }
        }
        if self.pretrain.is_none() && !self.finetune.variant.trains_class_models() {
            return Err(bad(
                "pretrain",
                "none",
                "the normalize-only and energies variants keep the class models as pretrained: they need pretraining",
            ));
        }
        self.finetune.validate()
    }
}

/// Serde by name for the closed sets of the configurations (`ActivationKind`, `Output`): written
/// as their `Display` name, read back with their `FromStr`.
pub(crate) mod by_name {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::fmt::Display;
    use std::str::FromStr;

    pub fn serialize<T: Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}
