//! Training a [`Csae`]: pretraining each class model on its own class (classes in parallel), then
//! discriminative finetuning with early stopping on a validation set.

use crate::monitor::{deliver, MonitorSink, ObserverSink, Sink};
use crate::training::batch::{check_fit_data, Batch};
use crate::training::epochs::{self, FinetuneEpoch, FinetuneReport, Learner, Progress, Workspace};
use crate::{Csae, CsaeConfig, Error, Evaluation, FinetuneConfig, Finetuner, Result, Variant};
use potential_data::{Dataset, Features};
use potential_kernels::{MatRef, Parallelism};
use potential_models::TiedAutoencoder;
use potential_train::{init_model, EpochMetrics, Monitor, Outcome, StepInfo, TrainConfig, Trainer};
use rayon::prelude::*;
use std::time::Instant;

/// Progress reported to an [`Observer`].
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A pretraining step of class `class` finished (classes run in parallel).
    PretrainStep {
        /// The class.
        class: usize,
        /// The step.
        info: &'a StepInfo,
    },
    /// A pretraining epoch of class `class` finished (classes run in parallel).
    PretrainEpoch {
        /// The class.
        class: usize,
        /// Its metrics.
        metrics: &'a EpochMetrics,
    },
    /// Class `class` finished pretraining.
    PretrainDone {
        /// The class.
        class: usize,
        /// Wall-clock seconds.
        seconds: f64,
    },
    /// A finetuning step finished.
    FinetuneStep {
        /// Epoch (0-based).
        epoch: usize,
        /// Step within the epoch (0-based).
        step: usize,
        /// Steps per epoch.
        steps: usize,
    },
    /// A finetuning epoch finished.
    FinetuneEpoch(&'a FinetuneEpoch),
}

/// Receives [`Event`]s; called from worker threads during pretraining. It cannot stop a run: the
/// `*_with` functions ([`train_with`]) take the one progress and cancellation callback,
/// [`Monitor`], instead.
pub type Observer<'a> = &'a (dyn Fn(Event<'_>) + Sync);

/// An observer that ignores everything.
pub fn silent(_: Event<'_>) {}

/// The rows of class `c`.
pub fn class_features(data: &Dataset, c: u32) -> Features {
    data.select(&data.class_indices(c)).features().clone()
}

/// Pretrain one autoencoder per class on that class's rows of `data` with `pretrain` (class i
/// as [`pretrain_class`] trains it). Classes run in parallel on the current rayon pool; the result
/// does not depend on its size.
///
/// # Errors
/// [`Error::Data`] for a class without rows; [`Error::Train`] from the trainer.
pub fn pretrain_classes(
    data: &Dataset,
    k: usize,
    cfg: &CsaeConfig,
    pretrain: &TrainConfig,
    observer: Observer<'_>,
) -> Result<Vec<TiedAutoencoder>> {
    pretrain_sink(data, k, cfg, pretrain, &ObserverSink(observer))
}

/// [`pretrain_classes`] sending its events to `sink`; [`Error::Interrupted`] when it says stop.
pub(crate) fn pretrain_sink(
    data: &Dataset,
    k: usize,
    cfg: &CsaeConfig,
    pretrain: &TrainConfig,
    sink: &dyn Sink,
) -> Result<Vec<TiedAutoencoder>> {
    let par = pretrain_parallelism(k);
    (0..k)
        .into_par_iter()
        .map(|c| {
            let x = class_features(data, c as u32);
            if x.n() == 0 {
                return Err(Error::Data {
                    what: "training data",
                    reason: format!("class {c} ({}) has no rows to pretrain on", data.class_names()[c]),
                });
            }
            pretrain_class_sink(&x, cfg, pretrain, c, par, sink)
        })
        .collect()
}

/// How [`pretrain_classes`] runs the gemms of each of `k` classes pretrained in parallel:
/// sequentially when there are at least as many classes as threads in the current rayon pool (the
/// classes fill the pool), else on the pool.
pub fn pretrain_parallelism(k: usize) -> Parallelism {
    if k >= rayon::current_num_threads() {
        Parallelism::Sequential
    } else {
        Parallelism::Rayon(0)
    }
}

/// Pretrain the model of class `c` on its rows `x` with `pretrain`: it starts from
/// [`init_class_model`] (seed `cfg.seed + c`) and trains with seed `pretrain.seed + c` and the
/// gemm parallelism `par` — what [`pretrain_classes`] does for class `c` (with `par` from
/// [`pretrain_parallelism`]), bit for bit, so classes can be pretrained apart (e.g. on other
/// machines). `monitor` sees its steps and epochs as [`Progress`](potential_train::Progress)
/// reports of `model` = `c`, then `ModelDone`; a
/// [`ControlFlow::Break`](std::ops::ControlFlow::Break) answer stops it with
/// [`Error::Interrupted`].
///
/// # Errors
/// [`Error::Data`] for no rows; [`Error::Train`] from the trainer; [`Error::Interrupted`].
pub fn pretrain_class(
    x: &Features,
    cfg: &CsaeConfig,
    pretrain: &TrainConfig,
    c: usize,
    par: Parallelism,
    monitor: Monitor<'_>,
) -> Result<TiedAutoencoder> {
    pretrain_class_sink(x, cfg, pretrain, c, par, &MonitorSink(monitor))
}

/// [`pretrain_class`] sending its events to `sink`; [`Error::Interrupted`] when it says stop.
fn pretrain_class_sink(
    x: &Features,
    cfg: &CsaeConfig,
    pretrain: &TrainConfig,
    c: usize,
    par: Parallelism,
    sink: &dyn Sink,
) -> Result<TiedAutoencoder> {
    let t0 = Instant::now();
    if x.n() == 0 {
        return Err(Error::Data {
            what: "training data",
            reason: format!("class {c} has no rows to pretrain on"),
        });
    }
    let model = init_class_model(cfg, x.d(), c)?;
    let mut tc = pretrain.clone();
    tc.seed = pretrain.seed.wrapping_add(c as u64);
    let mut trainer = Trainer::new(model, tc)?;
    trainer.set_parallelism(par);
    let report = trainer.fit(x, None, &mut |e| match e {
        potential_train::Event::Step(info) => sink.send(Event::PretrainStep { class: c, info }),
        potential_train::Event::Epoch(m) => sink.send(Event::PretrainEpoch { class: c, metrics: m }),
    })?;
    if report.outcome == Outcome::Interrupted {
        return Err(Error::Interrupted);
    }
    deliver(sink, Event::PretrainDone { class: c, seconds: t0.elapsed().as_secs_f64() })?;
    Ok(trainer.into_model())
}

/// Class model `c` before training: [`init_model`] with seed `cfg.seed + c`, its weights rescaled
/// to the bound ±`init_scale`·√(6/(H+D)) when [`CsaeConfig::init_scale`] is set.
///
/// # Errors
/// [`Error::Train`] from [`init_model`].
pub fn init_class_model(cfg: &CsaeConfig, d: usize, c: usize) -> Result<TiedAutoencoder> {
    let mut m = init_model(cfg.hidden, d, cfg.activation, cfg.output, cfg.seed + c as u64)?;
    if let Some(s) = cfg.init_scale {
        // init_model draws uniform on ±g·√(6/(H+D)) with g = 4 for sigmoid, else 1.
        let g = if cfg.activation == potential_activations::ActivationKind::Sigmoid { 4.0 } else { 1.0 };
        m.params_mut().weight.iter_mut().for_each(|w| *w *= s / g);
    }
    Ok(m)
}

/// Class models without pretraining (the "no pretraining" row of Table 4): [`init_model`] with seed
/// `seed + i`, and the visible bias set to the class mean (so the energies start on the data's scale).
///
/// # Errors
/// [`Error::Data`] for a class without rows.
pub fn init_classes(data: &Dataset, k: usize, cfg: &CsaeConfig) -> Result<Vec<TiedAutoencoder>> {
    (0..k)
        .map(|c| {
            let x = class_features(data, c as u32);
            if x.n() == 0 {
                return Err(Error::Data { what: "training data", reason: format!("class {c} has no rows") });
            }
            let mut m = init_class_model(cfg, data.d(), c)?;
            if cfg.output == potential_models::Output::Real {
                let d = data.d();
                let vb = m.params_mut().visible_bias;
                for row in x.iter_rows() {
                    for (a, &v) in vb.iter_mut().zip(row) {
                        *a += v / x.n() as f32;
                    }
                }
                debug_assert_eq!(vb.len(), d);
            }
            Ok(m)
        })
        .collect()
}

/// Train a CSAE on `train` as `cfg` says: pretraining (or initialisation), then [`finetune`] with
/// `valid` for early stopping and model choice. Class names come from `train`.
///
/// # Errors
/// [`Error::InvalidConfig`], [`Error::Data`], [`Error::Train`], [`Error::Diverged`].
pub fn train(
    cfg: &CsaeConfig,
    train: &Dataset,
    valid: Option<&Dataset>,
    observer: Observer<'_>,
) -> Result<(Csae, FinetuneReport)> {
    train_sink(cfg, train, valid, &ObserverSink(observer))
}

/// [`train`] reporting to the one progress and cancellation callback of `potential-train`
/// (pretraining steps and epochs as [`Progress`](potential_train::Progress) reports of
/// `model` = the class, then the finetuning's); the same run, bit for bit. A
/// [`ControlFlow::Break`](std::ops::ControlFlow::Break) answer stops it with [`Error::Interrupted`].
///
/// # Errors
/// As [`train`]; [`Error::Interrupted`].
pub fn train_with(
    cfg: &CsaeConfig,
    train: &Dataset,
    valid: Option<&Dataset>,
    monitor: Monitor<'_>,
) -> Result<(Csae, FinetuneReport)> {
    train_sink(cfg, train, valid, &MonitorSink(monitor))
}

fn train_sink(
    cfg: &CsaeConfig,
    train: &Dataset,
    valid: Option<&Dataset>,
    sink: &dyn Sink,
) -> Result<(Csae, FinetuneReport)> {
    let model = crate::select::pretrain_csae_sink(cfg, train, sink)?;
    finish_sink(cfg, model, train, valid, sink)
}

/// The part of [`train`] after pretraining: the classifier of the class models `classes` (class i
/// named by `train`, biases 0), [`finetune`]d on `train` as `cfg` says, with its provenance — so
/// class models pretrained apart ([`pretrain_class`]) give the classifier [`train`] gives, bit
/// for bit. `monitor` sees the finetuning's reports; a
/// [`ControlFlow::Break`](std::ops::ControlFlow::Break) answer stops it with
/// [`Error::Interrupted`].
///
/// # Errors
/// As [`train`]; [`Error::Interrupted`].
pub fn train_from_classes(
    cfg: &CsaeConfig,
    classes: Vec<TiedAutoencoder>,
    train: &Dataset,
    valid: Option<&Dataset>,
    monitor: Monitor<'_>,
) -> Result<(Csae, FinetuneReport)> {
    cfg.validate()?;
    let k = classes.len();
    let model = Csae::new(classes, train.class_names().to_vec(), vec![0.0; k])?;
    finish_sink(cfg, model, train, valid, &MonitorSink(monitor))
}

/// [`finetune`] the class models of `model` (biases 0) as `cfg` says, sending the events to
/// `sink`, and record the run's provenance.
fn finish_sink(
    cfg: &CsaeConfig,
    mut model: Csae,
    train: &Dataset,
    valid: Option<&Dataset>,
    sink: &dyn Sink,
) -> Result<(Csae, FinetuneReport)> {
    let report = finetune_sink(&mut model, &cfg.finetune, train, valid, sink)?;
    model.set_provenance(Some(
        serde_json::json!({
            "trainer": "potential-csae",
            "version": env!("CARGO_PKG_VERSION"),
            "config": cfg,
            "best_epoch": report.best_epoch,
            "best_valid_error": report.best_valid_error,
            "epochs_run": report.history.len(),
        })
        .to_string(),
    ));
    Ok((model, report))
}

/// Discriminatively finetune `model` on `train` (Sec. 4.2) as `cfg` says. Every epoch shuffles the
/// rows (seeded), runs ⌈n/batch⌉ steps of [`Finetuner`](crate::Finetuner) (momentum SGD or Adam,
/// learning rate `cfg.schedule.rate(cfg.learning_rate, epoch)`) and, with `valid`, measures the
/// validation error; the model of the best validation epoch is kept (lowest error, then lowest
/// NLL), and `patience` epochs without improvement stop the run. The normalize-only and energies
/// variants compute the energies once and train only C (and A) on them, at the constant learning
/// rate `cfg.learning_rate`; for the energies variant the energies are standardised with the
/// training mean and deviation, and the read-out is folded back to raw energies at the end.
///
/// The classes of `train` and `valid` are matched to the model's by name: data naming a class
/// otherwise (e.g. "9" for a class added as "nine") is an [`Error::Data`].
///
/// # Errors
/// [`Error::InvalidConfig`]; [`Error::Data`] for data that does not fit; [`Error::Diverged`]
/// naming epoch and step.
pub fn finetune(
    model: &mut Csae,
    cfg: &FinetuneConfig,
    train: &Dataset,
    valid: Option<&Dataset>,
    observer: Observer<'_>,
) -> Result<FinetuneReport> {
    finetune_sink(model, cfg, train, valid, &ObserverSink(observer))
}

/// [`finetune`] sending its events to `sink`; [`Error::Interrupted`] when it says stop.
fn finetune_sink(
    model: &mut Csae,
    cfg: &FinetuneConfig,
    train: &Dataset,
    valid: Option<&Dataset>,
    sink: &dyn Sink,
) -> Result<FinetuneReport> {
    cfg.validate()?;
    let d = model.visible();
    check_fit_data(model.class_names(), d, train, valid)?;
    let progress = |p: Progress<'_>| match p {
        Progress::Step { epoch, step, steps } => deliver(sink, Event::FinetuneStep { epoch, step, steps }),
        Progress::Epoch(r) => deliver(sink, Event::FinetuneEpoch(r)),
    };
    if !cfg.variant.trains_class_models() {
        return crate::readout::finetune_readout(model, cfg, train, valid, &progress);
    }
    let batch = cfg.batch_size.min(train.n());
    let mut ws = Finetuner::new(model, batch, cfg.variant, cfg.weight_decay);
    ws.set_optimizer(cfg.optimizer);
    ws.set_hidden_dropout(cfg.hidden_dropout, cfg.seed ^ 0xD50F_0D50)?;
    let mut learner = Learner {
        model,
        ws,
        data: train,
        batch: Batch::new(batch, d),
        input_mask: cfg.input_mask,
        momentum: cfg.momentum,
    };
    epochs::run(&mut learner, cfg, train.n(), valid, &progress)
}

impl Workspace for Finetuner {
    type Model = Csae;
    fn step(&mut self, model: &mut Csae, x: &[f32], y: &[u32], lr: f32, mu: f32) -> Result<f64> {
        Finetuner::step(self, model, x, y, lr, mu)
    }
    fn errors(&self) -> usize {
        Finetuner::errors(self)
    }
    fn evaluate(model: &Csae, data: &Dataset) -> Result<Evaluation> {
        model.evaluate(features_view(data), data.labels())
    }
}

/// A [`Dataset`]'s features as a matrix view.
pub fn features_view(d: &Dataset) -> MatRef<'_> {
    d.features().as_mat()
}

/// Fit only the class biases C of `model` (log-loss on its energies; the class models stay as they
/// are): the "normalize only" variant, and the second half of adding a class
/// ([`Csae::add_class`]). Uses `cfg` except its variant.
///
/// # Errors
/// As [`finetune`].
pub fn fit_class_biases(
    model: &mut Csae,
    cfg: &FinetuneConfig,
    train: &Dataset,
    valid: Option<&Dataset>,
) -> Result<FinetuneReport> {
    let cfg = FinetuneConfig { variant: Variant::NormalizeOnly, ..cfg.clone() };
    finetune(model, &cfg, train, valid, &silent)
}
