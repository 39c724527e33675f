//! Training a [`FactoredCsae`]: denoising pretraining of all classes together, then discriminative
//! finetuning with the best validation epoch kept.

use super::grad::{mean_reconstruction_error, FactoredFinetuner, FactoredPretrainer};
use super::model::FactoredCsae;
use crate::{Error, Evaluation, FinetuneConfig, FinetuneEpoch, FinetuneReport, Result};
use potential_activations::ActivationKind;
use potential_data::Dataset;
use potential_models::Output;
use potential_train::{corrupt, Noise, TrainConfig};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// A whole factored-CSAE run (Sec. 4.1–4.4): F factors and H hidden units, pretraining with
/// denoising on all classes together (`None`: start from [`FactoredCsae::init`]), then finetuning.
///
/// Pretraining uses these fields of [`TrainConfig`]: `epochs`, `batch_size`, `learning_rate`,
/// `schedule`, `momentum`, `weight_decay` (L2 on Wˣ, Wʰ, Wᶠ), `noise` (the paper: zero-masking
/// 0.2 or 0.5), `seed`, `metric_rows`. The contractive penalty, filter renormalisation and
/// pretraining patience are not defined for the factored model and are rejected.
/// Finetuning uses every field of [`FinetuneConfig`] as the plain CSAE does (`optimizer`: momentum
/// SGD or Adam; `schedule`: the learning rate per epoch; `weight_decay`: L2 on Wˣ, Wʰ, Wᶠ);
/// variants `log`, `hinge`, `normalize-only`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactoredConfig {
    /// Factors F (shared).
    pub factors: usize,
    /// Hidden units H per class.
    pub hidden: usize,
    /// The hidden activation (Table 2: tanh, modulus, relu, square; sigmoid in Table 3/5).
    #[serde(with = "crate::config::activation_name")]
    pub activation: ActivationKind,
    /// Output kind (real: squared error and Eq. 11–21; binary: cross-entropy and Eq. 28).
    #[serde(with = "crate::config::output_name")]
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
        if self.finetune.variant == crate::Variant::Energies {
            return Err(bad(
                "finetune.variant",
                "energies",
                "the factored CSAE has log, hinge and normalize-only",
            ));
        }
        if self.pretrain.is_none() && !self.finetune.variant.trains_class_models() {
            return Err(bad(
                "pretrain",
                "none",
                "normalize-only keeps the class models as pretrained: it needs pretraining",
            ));
        }
        self.finetune.validate()
    }
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

pub(crate) fn check_data(what: &'static str, data: &Dataset, d: usize, k: usize) -> Result<()> {
    if data.d() != d {
        return Err(Error::Data {
            what,
            reason: format!("{} columns, the classifier has {d} inputs", data.d()),
        });
    }
    if data.n() == 0 {
        return Err(Error::Data { what, reason: "no rows".into() });
    }
    crate::model::check_labels(what, data.labels(), data.n(), k)?;
    if let Some(i) = data.features().as_slice().iter().position(|v| !v.is_finite()) {
        return Err(Error::Data { what, reason: format!("non-finite value at row {}", i / d) });
    }
    Ok(())
}

fn shuffle(order: &mut [usize], rng: &mut Xoshiro256PlusPlus) {
    for i in (1..order.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
}

fn with_position(e: Error, epoch: usize, step: usize) -> Error {
    match e {
        Error::Diverged { parameter, .. } => Error::Diverged { epoch, step, parameter },
        other => other,
    }
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
    let (d, k) = (model.visible(), model.num_classes());
    check_data("training data", data, d, k)?;
    crate::model::check_class_names("training data", model.class_names(), data.class_names())?;
    let n = data.n();
    let batch = cfg.batch_size.min(n);
    let steps = n.div_ceil(batch);
    let mut ws = FactoredPretrainer::new(model, batch, cfg.weight_decay)?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(cfg.seed ^ 0xFAC7_0BED);
    let mut order: Vec<usize> = (0..n).collect();
    let (mut xb, mut xt, mut yb) = (vec![0.0f32; batch * d], vec![0.0f32; batch * d], vec![0u32; batch]);
    let xs = data.features().as_slice();
    let m_rows = if cfg.metric_rows == 0 { n } else { cfg.metric_rows.min(n) };
    let mut history = Vec::with_capacity(cfg.epochs);
    for epoch in 0..cfg.epochs {
        let t0 = Instant::now();
        let lr = cfg.schedule.rate(cfg.learning_rate, epoch);
        shuffle(&mut order, &mut rng);
        let mut loss = 0.0f64;
        for (step, rows) in order.chunks(batch).enumerate() {
            let nb = rows.len();
            for (i, &r) in rows.iter().enumerate() {
                xb[i * d..(i + 1) * d].copy_from_slice(&xs[r * d..(r + 1) * d]);
                yb[i] = data.labels()[r];
            }
            corrupt(cfg.noise, &xb[..nb * d], &mut xt[..nb * d], &mut rng);
            let l = ws.step(model, &xb[..nb * d], &xt[..nb * d], &yb[..nb], lr, cfg.momentum).map_err(
                |e| match e {
                    Error::Diverged { parameter, .. } => Error::PretrainDiverged { epoch, step, parameter },
                    other => other,
                },
            )?;
            loss += l * nb as f64;
            observer(FactoredEvent::PretrainStep { epoch, step, steps });
        }
        let rec = PretrainEpoch {
            epoch: epoch + 1,
            learning_rate: lr,
            loss: loss / n as f64,
            reconstruction_error: mean_reconstruction_error(
                model,
                &xs[..m_rows * d],
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
/// [`Error::InvalidConfig`]; [`Error::Data`]; [`Error::Diverged`] naming epoch and step.
pub fn finetune_factored(
    model: &mut FactoredCsae,
    cfg: &FinetuneConfig,
    train: &Dataset,
    valid: Option<&Dataset>,
    observer: FactoredObserver<'_>,
) -> Result<FinetuneReport> {
    cfg.validate()?;
    let (d, k) = (model.visible(), model.num_classes());
    check_data("training data", train, d, k)?;
    crate::model::check_class_names("training data", model.class_names(), train.class_names())?;
    if let Some(v) = valid {
        check_data("validation data", v, d, k)?;
        crate::model::check_class_names("validation data", model.class_names(), v.class_names())?;
    }
    let n = train.n();
    let batch = cfg.batch_size.min(n);
    let steps = n.div_ceil(batch);
    let mut ws = FactoredFinetuner::new(model, batch, cfg.variant, cfg.weight_decay)?;
    ws.set_optimizer(model, cfg.optimizer);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(cfg.seed ^ 0xC5AE_F1E7);
    let mut order: Vec<usize> = (0..n).collect();
    let (mut xb, mut yb) = (vec![0.0f32; batch * d], vec![0u32; batch]);
    let xs = train.features().as_slice();
    let mut report = FinetuneReport::default();
    let mut best: Option<(FactoredCsae, usize, f64, f64)> = None;
    let mut bad_epochs = 0usize;
    for epoch in 0..cfg.epochs {
        let t0 = Instant::now();
        let lr = cfg.schedule.rate(cfg.learning_rate, epoch);
        shuffle(&mut order, &mut rng);
        let (mut loss, mut errors) = (0.0f64, 0usize);
        for (step, rows) in order.chunks(batch).enumerate() {
            let nb = rows.len();
            for (i, &r) in rows.iter().enumerate() {
                xb[i * d..(i + 1) * d].copy_from_slice(&xs[r * d..(r + 1) * d]);
                yb[i] = train.labels()[r];
            }
            let l = ws
                .step(model, &xb[..nb * d], &yb[..nb], lr, cfg.momentum)
                .map_err(|e| with_position(e, epoch, step))?;
            loss += l * nb as f64;
            errors += ws.errors();
            observer(FactoredEvent::FinetuneStep { epoch, step, steps });
        }
        let ev: Option<Evaluation> =
            valid.map(|v| model.evaluate(crate::features_view(v), v.labels())).transpose()?;
        let rec = FinetuneEpoch {
            epoch: epoch + 1,
            loss: loss / n as f64,
            train_error: errors as f64 / n as f64,
            valid_error: ev.as_ref().map(|e| e.error_rate),
            valid_nll: ev.as_ref().map(|e| e.mean_nll),
            seconds: t0.elapsed().as_secs_f64(),
        };
        observer(FactoredEvent::FinetuneEpoch(&rec));
        report.history.push(rec);
        if let Some(ev) = ev {
            let better = best
                .as_ref()
                .is_none_or(|b| ev.error_rate < b.2 || (ev.error_rate == b.2 && ev.mean_nll < b.3));
            if better {
                best = Some((model.clone(), epoch + 1, ev.error_rate, ev.mean_nll));
                bad_epochs = 0;
            } else {
                bad_epochs += 1;
                if cfg.patience.is_some_and(|p| bad_epochs >= p) && epoch + 1 < cfg.epochs {
                    report.stopped_early = true;
                    break;
                }
            }
        }
    }
    if let Some((m, epoch, err, _)) = best {
        *model = m;
        report.best_epoch = Some(epoch);
        report.best_valid_error = Some(err);
    }
    Ok(report)
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
    let k = train.num_classes();
    check_data("training data", train, train.d(), k)?;
    let means = class_means(train, k);
    let mut model = FactoredCsae::init(
        train.d(),
        cfg.factors,
        cfg.hidden,
        train.class_names().to_vec(),
        cfg.activation,
        cfg.output,
        Some(&means),
        cfg.seed,
    )?;
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
