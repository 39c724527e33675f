//! Training a [`FactoredCsae`]: denoising pretraining of all classes together, then discriminative
//! finetuning with the best validation epoch kept.

use super::finetuner::FactoredFinetuner;
use super::model::FactoredCsae;
use super::pretrainer::{mean_reconstruction_error, FactoredPretrainer};
use crate::training::batch::{check_data, check_fit_data, check_named_data, Batch, Minibatches};
use crate::training::epochs::{self, Learner, Progress, Workspace};
use crate::{Error, Evaluation, FinetuneConfig, FinetuneEpoch, FinetuneReport, Result};
use potential_activations::ActivationKind;
use potential_data::Dataset;
use potential_models::Output;
use potential_train::{corrupt, Noise, TrainConfig};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// A whole factored-CSAE run (Sec. 4.1–4.4): F factors and H hidden units, pretraining with
/// denoising on all classes together (`None`: start from [`FactoredCsae::init`]), then finetuning.
///
/// Pretraining uses these fields of [`TrainConfig`]: `epochs`, `batch_size`, `learning_rate`,
/// `schedule`, `momentum`, `weight_decay` (L2 on Wˣ, Wʰ, Wᶠ), `noise` (the paper: zero-masking
/// 0.2 or 0.5), `seed`, `metric_rows`. The contractive penalty, filter renormalisation and
/// pretraining patience are not defined for the factored model and are rejected.
/// Finetuning uses the fields of [`FinetuneConfig`] as the plain CSAE does (`optimizer`: momentum
/// SGD or Adam; `schedule`: the learning rate per epoch; `weight_decay`: L2 on Wˣ, Wʰ, Wᶠ);
/// variants `log`, `hinge`, `normalize-only`. Input masking and hidden-unit dropout
/// (`input_mask`, `hidden_dropout`) are defined for the plain CSAE only and are rejected.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactoredConfig {
    /// Factors F (shared).
    pub factors: usize,
    /// Hidden units H per class.
    pub hidden: usize,
    /// The hidden activation (Table 2: tanh, modulus, relu, square; sigmoid in Table 3/5).
    #[serde(with = "crate::config::by_name")]
    pub activation: ActivationKind,
    /// Output kind (real: squared error and Eq. 11–21; binary: cross-entropy and Eq. 28).
    #[serde(with = "crate::config::by_name")]
    pub output: Output,
    /// Denoising pretraining.
    pub pretrain: Option<TrainConfig>,
    /// Discriminative finetuning.
    pub finetune: FinetuneConfig,
    /// Seed of the initialisation.
    pub seed: u64,
    /// Which rows the selection runs of
    /// [`select_and_fit_factored`](crate::select_and_fit_factored) pretrain on (default: the
    /// training rows only). [`train_factored`] pretrains on the rows it is given.
    #[serde(default = "crate::PretrainOn::before_the_option")]
    pub pretrain_on: crate::PretrainOn,
}

impl Default for FactoredConfig {
    fn default() -> Self {
        Self {
            factors: 100,
            hidden: 100,
            activation: ActivationKind::Sigmoid,
            output: Output::Real,
            pretrain: Some(TrainConfig {
                epochs: 10,
                noise: Some(Noise::Mask(0.2)),
                ..TrainConfig::default()
            }),
            finetune: FinetuneConfig::default(),
            seed: 0,
            pretrain_on: crate::PretrainOn::Train,
        }
    }
}

fn bad(field: &'static str, value: impl ToString, reason: &'static str) -> Error {
    Error::InvalidConfig { field, value: value.to_string(), reason }
}

/// Check the fields of `p` the factored pretraining does not support.
fn validate_pretrain(p: &TrainConfig) -> Result<()> {
    p.validate()?;
    if p.contractive != 0.0 {
        return Err(bad(
            "pretrain.contractive",
            p.contractive,
            "the factored model is pretrained with denoising (a contraction penalty is not feasible for it, Sec. 4.2)",
        ));
    }
    if p.renormalize {
        return Err(bad("pretrain.renormalize", true, "not defined for the factored model"));
    }
    if p.patience.is_some() {
        return Err(bad(
            "pretrain.patience",
            format!("{:?}", p.patience),
            "factored pretraining runs every epoch",
        ));
    }
    Ok(())
}

impl FactoredConfig {
    /// Peak bytes a run of this configuration allocates beyond its data (`None` on overflow), for
    /// `k` classes of `visible` inputs and `rows` training rows: five copies of the parameters
    /// (model, gradient, velocity, Adam's second moment, the early-stopping copy), the finetuning
    /// step's buffers (B·F + K·B·(F + 2H + 2) floats, B the larger of the pretraining and
    /// finetuning minibatches) and the row order.
    pub fn training_bytes(&self, k: usize, visible: usize, rows: usize) -> Option<u64> {
        let params = super::model::parameters(visible, self.factors, self.hidden, k)?;
        let batch = self.pretrain.as_ref().map_or(0, |p| p.batch_size).max(self.finetune.batch_size);
        let (f, h, k64, b) = (self.factors as u64, self.hidden as u64, k as u64, batch as u64);
        let per_class = f.checked_add(h.checked_mul(2)?)?.checked_add(2)?;
        let step = b.checked_mul(f.checked_add(k64.checked_mul(per_class)?)?)?;
        params.checked_mul(5)?.checked_add(step)?.checked_mul(4)?.checked_add((rows as u64).checked_mul(8)?)
    }

    /// Refuse a model of more than [`potential_train::MAX_PARAMETERS`] parameters for `k` classes
    /// of `visible` inputs (checked arithmetic, nothing allocated).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] (field `factors`).
    pub fn check_size(&self, k: usize, visible: usize) -> Result<()> {
        super::model::check_size(visible, self.factors, self.hidden, k)
    }

    /// Check every field.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first bad field; [`Error::Train`] for a bad pretraining
    /// configuration.
    pub fn validate(&self) -> Result<()> {
        if self.factors == 0 {
            return Err(bad("factors", 0, "must be at least 1"));
        }
        if self.hidden == 0 {
            return Err(bad("hidden", 0, "must be at least 1"));
        }
        if let Some(p) = &self.pretrain {
            validate_pretrain(p)?;
        }
        validate_finetune(&self.finetune)?;
        if self.pretrain.is_none() && !self.finetune.variant.trains_class_models() {
            return Err(bad(
                "pretrain",
                "none",
                "normalize-only keeps the class models as pretrained: it needs pretraining",
            ));
        }
        Ok(())
    }
}

/// Check the fields of `cfg` the factored finetuning does not support (the energies variant, input
/// masking, hidden-unit dropout), then the rest ([`FinetuneConfig::validate`]).
fn validate_finetune(cfg: &FinetuneConfig) -> Result<()> {
    if cfg.variant == crate::Variant::Energies {
        return Err(bad(
            "finetune.variant",
            "energies",
            "the factored CSAE has log, hinge and normalize-only",
        ));
    }
    if cfg.input_mask != 0.0 {
        return Err(bad(
            "finetune.input_mask",
            cfg.input_mask,
            "input masking during finetuning is defined for the plain CSAE only",
        ));
    }
    if cfg.hidden_dropout != 0.0 {
        return Err(bad(
            "finetune.hidden_dropout",
            cfg.hidden_dropout,
            "hidden-unit dropout is defined for the plain CSAE only",
        ));
    }
    cfg.validate()
}

/// What one pretraining epoch measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PretrainEpoch {
    /// Completed epochs (1 after the first).
    pub epoch: usize,
    /// Learning rate used.
    pub learning_rate: f32,
    /// Mean objective seen by the steps (corrupted inputs, decay included, before each update).
    pub loss: f64,
    /// Mean ‖r(x) − x‖² on the metric rows (clean inputs, each through its own class, after the
    /// epoch).
    pub reconstruction_error: f64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Progress of a factored run, reported to a [`FactoredObserver`].
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum FactoredEvent<'a> {
    /// A pretraining step finished.
    PretrainStep {
        /// Epoch (0-based).
        epoch: usize,
        /// Step within the epoch.
        step: usize,
        /// Steps per epoch.
        steps: usize,
    },
    /// A pretraining epoch finished.
    PretrainEpoch(&'a PretrainEpoch),
    /// A finetuning step finished.
    FinetuneStep {
        /// Epoch (0-based).
        epoch: usize,
        /// Step within the epoch.
        step: usize,
        /// Steps per epoch.
        steps: usize,
    },
    /// A finetuning epoch finished.
    FinetuneEpoch(&'a FinetuneEpoch),
}

/// Receives [`FactoredEvent`]s.
pub type FactoredObserver<'a> = &'a (dyn Fn(FactoredEvent<'_>) + Sync);

/// An observer that ignores everything.
pub fn factored_silent(_: FactoredEvent<'_>) {}

/// The outcome of [`train_factored`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FactoredReport {
    /// Pretraining epochs.
    pub pretrain: Vec<PretrainEpoch>,
    /// Finetuning.
    pub finetune: FinetuneReport,
}

/// The mean of each class's rows, \[K, D\] (zeros for a class without rows).
pub fn class_means(data: &Dataset, k: usize) -> Vec<f32> {
    let d = data.d();
    let mut sum = vec![0.0f64; k * d];
    let mut count = vec![0usize; k];
    for (row, &y) in data.features().iter_rows().zip(data.labels()) {
        let y = y as usize;
        if y < k {
            count[y] += 1;
            for (a, &v) in sum[y * d..(y + 1) * d].iter_mut().zip(row) {
                *a += v as f64;
            }
        }
    }
    sum.iter()
        .enumerate()
        .map(|(i, &s)| if count[i / d] > 0 { (s / count[i / d] as f64) as f32 } else { 0.0 })
        .collect()
}

/// The model of `cfg` before training ([`FactoredCsae::init`]): the width and classes of `data`,
/// visible biases at the class means of `rows`.
pub(crate) fn initial_model(cfg: &FactoredConfig, data: &Dataset, rows: &Dataset) -> Result<FactoredCsae> {
    FactoredCsae::init(
        data.d(),
        cfg.factors,
        cfg.hidden,
        data.class_names().to_vec(),
        cfg.activation,
        cfg.output,
        Some(&class_means(rows, data.num_classes())),
        cfg.seed,
    )
}

/// Denoising pretraining of every class together (Sec. 4.3): each epoch shuffles the rows of
/// `data` (seeded), corrupts each minibatch afresh (`cfg.noise`) and takes one momentum step of
/// [`FactoredPretrainer`]; every row reconstructs through its own class's autoencoder.
///
/// # Errors
/// [`Error::InvalidConfig`] / [`Error::Train`] for an unsupported configuration (see
/// [`FactoredConfig`]); [`Error::Data`]; [`Error::PretrainDiverged`] naming epoch, step and tensor.
pub fn pretrain_factored(
    model: &mut FactoredCsae,
    cfg: &TrainConfig,
    data: &Dataset,
    observer: FactoredObserver<'_>,
) -> Result<Vec<PretrainEpoch>> {
    validate_pretrain(cfg)?;
    let d = model.visible();
    check_named_data("training data", data, d, model.class_names())?;
    let n = data.n();
    let mut batches = Minibatches::new(n, cfg.batch_size, cfg.seed ^ 0xFAC7_0BED);
    let (batch, steps) = (batches.batch(), batches.steps());
    let mut ws = FactoredPretrainer::new(model, batch, cfg.weight_decay)?;
    let mut xb = Batch::new(batch, d);
    let mut xt = vec![0.0f32; batch * d];
    let m_rows = if cfg.metric_rows == 0 { n } else { cfg.metric_rows.min(n) };
    let mut history = Vec::with_capacity(cfg.epochs);
    for epoch in 0..cfg.epochs {
        let t0 = Instant::now();
        let lr = cfg.schedule.rate(cfg.learning_rate, epoch);
        let mut loss = 0.0f64;
        batches.epoch(|step, rows, stream| {
            let (x, y) = xb.gather(data, rows);
            let xt = &mut xt[..x.len()];
            corrupt(cfg.noise, x, xt, stream);
            let l = ws.step(model, x, xt, y, lr, cfg.momentum).map_err(|e| match e {
                Error::Diverged { parameter, .. } => Error::PretrainDiverged { epoch, step, parameter },
                other => other,
            })?;
            loss += l * y.len() as f64;
            observer(FactoredEvent::PretrainStep { epoch, step, steps });
            Ok(())
        })?;
        let rec = PretrainEpoch {
            epoch: epoch + 1,
            learning_rate: lr,
            loss: loss / n as f64,
            reconstruction_error: mean_reconstruction_error(
                model,
                &data.features().as_slice()[..m_rows * d],
                &data.labels()[..m_rows],
            )?,
            seconds: t0.elapsed().as_secs_f64(),
        };
        observer(FactoredEvent::PretrainEpoch(&rec));
        history.push(rec);
    }
    Ok(history)
}

/// Discriminative finetuning (Sec. 4.4) of `model` on `train`: every epoch shuffles the rows
/// (seeded), runs ⌈n/batch⌉ steps of [`FactoredFinetuner`] (`cfg.optimizer`, learning rate
/// `cfg.schedule.rate(cfg.learning_rate, epoch)`) and, with `valid`, measures
/// the validation error; the model of the best validation epoch is kept (lowest error, then
/// lowest NLL), and `patience` epochs without improvement stop the run.
///
/// # Errors
/// [`Error::InvalidConfig`] (also for the energies variant, `input_mask` or `hidden_dropout`, which
/// only the plain CSAE has); [`Error::Data`]; [`Error::Diverged`] naming epoch and step.
pub fn finetune_factored(
    model: &mut FactoredCsae,
    cfg: &FinetuneConfig,
    train: &Dataset,
    valid: Option<&Dataset>,
    observer: FactoredObserver<'_>,
) -> Result<FinetuneReport> {
    validate_finetune(cfg)?;
    let d = model.visible();
    check_fit_data(model.class_names(), d, train, valid)?;
    let batch = cfg.batch_size.min(train.n());
    let mut ws = FactoredFinetuner::new(model, batch, cfg.variant, cfg.weight_decay)?;
    ws.set_optimizer(model, cfg.optimizer);
    let mut learner = Learner {
        model,
        ws,
        data: train,
        batch: Batch::new(batch, d),
        input_mask: 0.0,
        momentum: cfg.momentum,
    };
    let progress = |p: Progress<'_>| {
        match p {
            Progress::Step { epoch, step, steps } => {
                observer(FactoredEvent::FinetuneStep { epoch, step, steps })
            }
            Progress::Epoch(r) => observer(FactoredEvent::FinetuneEpoch(r)),
        }
        Ok(())
    };
    epochs::run(&mut learner, cfg, train.n(), valid, &progress)
}

impl Workspace for FactoredFinetuner {
    type Model = FactoredCsae;
    fn step(&mut self, model: &mut FactoredCsae, x: &[f32], y: &[u32], lr: f32, mu: f32) -> Result<f64> {
        FactoredFinetuner::step(self, model, x, y, lr, mu)
    }
    fn errors(&self) -> usize {
        FactoredFinetuner::errors(self)
    }
    fn evaluate(model: &FactoredCsae, data: &Dataset) -> Result<Evaluation> {
        model.evaluate(crate::features_view(data), data.labels())
    }
}

/// Train a factored CSAE on `train` as `cfg` says: [`FactoredCsae::init`] (visible biases at the
/// class means), [`pretrain_factored`] (unless `cfg.pretrain` is `None`), then
/// [`finetune_factored`] with `valid` for early stopping and model choice. Class names come from
/// `train`; the provenance records the configuration and the outcome.
///
/// # Errors
/// As [`FactoredConfig::validate`], [`pretrain_factored`] and [`finetune_factored`].
pub fn train_factored(
    cfg: &FactoredConfig,
    train: &Dataset,
    valid: Option<&Dataset>,
    observer: FactoredObserver<'_>,
) -> Result<(FactoredCsae, FactoredReport)> {
    cfg.validate()?;
    check_data("training data", train, train.d(), train.num_classes())?;
    let mut model = initial_model(cfg, train, train)?;
    let pretrain = match &cfg.pretrain {
        Some(p) => pretrain_factored(&mut model, p, train, observer)?,
        None => Vec::new(),
    };
    let finetune = finetune_factored(&mut model, &cfg.finetune, train, valid, observer)?;
    model.set_provenance(Some(
        serde_json::json!({
            "trainer": "potential-csae (factored)",
            "version": env!("CARGO_PKG_VERSION"),
            "config": cfg,
            "pretrain_final_reconstruction_error": pretrain.last().map(|e| e.reconstruction_error),
            "best_epoch": finetune.best_epoch,
            "best_valid_error": finetune.best_valid_error,
            "epochs_run": finetune.history.len(),
        })
        .to_string(),
    ));
    Ok((model, FactoredReport { pretrain, finetune }))
}
