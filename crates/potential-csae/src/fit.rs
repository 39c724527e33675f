//! Training a [`Csae`]: pretraining each class model on its own class (classes in parallel), then
//! discriminative finetuning with early stopping on a validation set.

use crate::finetune::{coefficients, Finetuner};
use crate::model::{argmax, evaluation_from_logits};
use crate::{Csae, Evaluation};
use crate::{CsaeConfig, Error, FinetuneConfig, Result, Variant};
use potential_data::{Dataset, Features};
use potential_kernels::{MatRef, Parallelism};
use potential_models::TiedAutoencoder;
use potential_train::{init_model, EpochMetrics, TrainConfig, Trainer};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::Serialize;
use std::ops::ControlFlow;
use std::time::Instant;

/// What one finetuning epoch measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FinetuneEpoch {
    /// Completed epochs (1 after the first).
    pub epoch: usize,
    /// Mean objective over the epoch's minibatches (before each update).
    pub loss: f64,
    /// Training error over the epoch's minibatches (before each update), a fraction.
    pub train_error: f64,
    /// Validation error after the epoch, a fraction.
    pub valid_error: Option<f64>,
    /// Validation mean −log P(y|x).
    pub valid_nll: Option<f64>,
    /// Wall-clock seconds of the epoch (steps and validation).
    pub seconds: f64,
}

/// The result of [`finetune`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FinetuneReport {
    /// Every epoch run.
    pub history: Vec<FinetuneEpoch>,
    /// The epoch (1-based) whose model was kept (the best validation error; lower NLL on ties).
    pub best_epoch: Option<usize>,
    /// Its validation error.
    pub best_valid_error: Option<f64>,
    /// Whether patience ran out before the last epoch.
    pub stopped_early: bool,
}

/// Progress reported to an [`Observer`].
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Event<'a> {
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

/// Receives [`Event`]s; called from worker threads during pretraining.
pub type Observer<'a> = &'a (dyn Fn(Event<'_>) + Sync);

/// An observer that ignores everything.
pub fn silent(_: Event<'_>) {}

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
    let par = pretrain_parallelism(k);
    (0..k)
        .into_par_iter()
        .map(|c| {
            let t0 = Instant::now();
            let x = class_features(data, c as u32);
            if x.n() == 0 {
                return Err(Error::Data {
                    what: "training data",
                    reason: format!("class {c} ({}) has no rows to pretrain on", data.class_names()[c]),
                });
            }
            let model = pretrain_class(&x, cfg, pretrain, c, par, &mut |e| {
                if let potential_train::Event::Epoch(m) = e {
                    observer(Event::PretrainEpoch { class: c, metrics: m });
                }
                ControlFlow::Continue(())
            })?;
            observer(Event::PretrainDone { class: c, seconds: t0.elapsed().as_secs_f64() });
            Ok(model)
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
/// machines). `observer` sees the trainer's events; breaking stops it with [`Error::Interrupted`].
///
/// # Errors
/// [`Error::Data`] for no rows or rows of another width; [`Error::Train`] from the trainer;
/// [`Error::Interrupted`].
pub fn pretrain_class(
    x: &Features,
    cfg: &CsaeConfig,
    pretrain: &TrainConfig,
    c: usize,
    par: Parallelism,
    observer: &mut dyn FnMut(potential_train::Event<'_>) -> ControlFlow<()>,
) -> Result<TiedAutoencoder> {
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
    if trainer.fit(x, None, observer)?.outcome == potential_train::Outcome::Interrupted {
        return Err(Error::Interrupted);
    }
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
    cfg.validate()?;
    let k = train.num_classes();
    check_data("training data", train, train.d(), k)?;
    let classes = match &cfg.pretrain {
        Some(p) => pretrain_classes(train, k, cfg, p, observer)?,
        None => init_classes(train, k, cfg)?,
    };
    train_from_classes(cfg, classes, train, valid, observer)
}

/// The part of [`train`] after pretraining: the classifier of the class models `classes` (class i
/// named by `train`, biases 0), [`finetune`]d on `train` as `cfg` says, with its provenance — so
/// class models pretrained apart ([`pretrain_class`]) give the classifier [`train`] gives, bit
/// for bit.
///
/// # Errors
/// As [`train`].
pub fn train_from_classes(
    cfg: &CsaeConfig,
    classes: Vec<TiedAutoencoder>,
    train: &Dataset,
    valid: Option<&Dataset>,
    observer: Observer<'_>,
) -> Result<(Csae, FinetuneReport)> {
    cfg.validate()?;
    let k = classes.len();
    let mut model = Csae::new(classes, train.class_names().to_vec(), vec![0.0; k])?;
    let report = finetune(&mut model, &cfg.finetune, train, valid, observer)?;
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

fn shuffle(order: &mut [usize], rng: &mut Xoshiro256PlusPlus) {
    for i in (1..order.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
}

struct Best {
    model: Csae,
    epoch: usize,
    error: f64,
    nll: f64,
}

/// Discriminatively finetune `model` on `train` (Sec. 4.2) as `cfg` says. Every epoch shuffles the
/// rows (seeded), runs ⌈n/batch⌉ momentum-SGD steps ([`Finetuner`](crate::Finetuner)) and, with
/// `valid`, measures the validation error; the model of the best validation epoch is kept (lowest
/// error, then lowest NLL). The normalize-only and energies variants compute the energies once and
/// train only C (and A) on them; for the energies variant the energies are standardised with the
/// training mean and deviation, and the read-out is folded back to raw energies at the end.
///
/// # Errors
/// [`Error::Data`] for data that does not fit; [`Error::Diverged`] naming epoch and step.
pub fn finetune(
    model: &mut Csae,
    cfg: &FinetuneConfig,
    train: &Dataset,
    valid: Option<&Dataset>,
    observer: Observer<'_>,
) -> Result<FinetuneReport> {
    cfg.validate()?;
    let (d, k) = (model.visible(), model.num_classes());
    check_data("training data", train, d, k)?;
    if let Some(v) = valid {
        check_data("validation data", v, d, k)?;
    }
    if !cfg.variant.trains_class_models() {
        return finetune_readout(model, cfg, train, valid, observer);
    }
    let n = train.n();
    let batch = cfg.batch_size.min(n);
    let steps = n.div_ceil(batch);
    let mut ws = Finetuner::new(model, batch, cfg.variant, cfg.weight_decay);
    ws.set_optimizer(cfg.optimizer);
    ws.set_hidden_dropout(cfg.hidden_dropout, cfg.seed ^ 0xD50F_0D50)?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(cfg.seed ^ 0xC5AE_F1E7);
    let mut order: Vec<usize> = (0..n).collect();
    let mut xb = vec![0.0f32; batch * d];
    let mut yb = vec![0u32; batch];
    let xs = train.features().as_slice();
    let mut report = FinetuneReport::default();
    let mut best: Option<Best> = None;
    let mut bad = 0usize;
    for epoch in 0..cfg.epochs {
        let t0 = Instant::now();
        shuffle(&mut order, &mut rng);
        let (mut loss, mut errors) = (0.0f64, 0usize);
        let lr = cfg.schedule.rate(cfg.learning_rate, epoch);
        for (step, rows) in order.chunks(batch).enumerate() {
            let nb = rows.len();
            for (i, &r) in rows.iter().enumerate() {
                xb[i * d..(i + 1) * d].copy_from_slice(&xs[r * d..(r + 1) * d]);
                yb[i] = train.labels()[r];
            }
            if cfg.input_mask > 0.0 {
                // Zero-masking of the inputs (FinetuneConfig::input_mask), from the shuffling stream.
                let p = cfg.input_mask as f64;
                for v in xb[..nb * d].iter_mut() {
                    if ((rng.next_u64() >> 11) as f64) * (1.0 / (1u64 << 53) as f64) < p {
                        *v = 0.0;
                    }
                }
            }
            let l = ws
                .step(model, &xb[..nb * d], &yb[..nb], lr, cfg.momentum)
                .map_err(|e| with_position(e, epoch, step))?;
            loss += l * nb as f64;
            errors += ws.errors();
            observer(Event::FinetuneStep { epoch, step, steps });
        }
        let ev = valid.map(|v| model.evaluate(features_view(v), v.labels())).transpose()?;
        let rec = FinetuneEpoch {
            epoch: epoch + 1,
            loss: loss / n as f64,
            train_error: errors as f64 / n as f64,
            valid_error: ev.as_ref().map(|e| e.error_rate),
            valid_nll: ev.as_ref().map(|e| e.mean_nll),
            seconds: t0.elapsed().as_secs_f64(),
        };
        observer(Event::FinetuneEpoch(&rec));
        report.history.push(rec);
        if let Some(ev) = ev {
            if keep_best(&mut best, model, epoch + 1, &ev) {
                bad = 0;
            } else {
                bad += 1;
                if cfg.patience.is_some_and(|p| bad >= p) && epoch + 1 < cfg.epochs {
                    report.stopped_early = true;
                    break;
                }
            }
        }
    }
    if let Some(b) = best {
        *model = b.model;
        report.best_epoch = Some(b.epoch);
        report.best_valid_error = Some(b.error);
    }
    Ok(report)
}

fn with_position(e: Error, epoch: usize, step: usize) -> Error {
    match e {
        Error::Diverged { parameter, .. } => Error::Diverged { epoch, step, parameter },
        other => other,
    }
}

fn keep_best(best: &mut Option<Best>, model: &Csae, epoch: usize, ev: &Evaluation) -> bool {
    let better = best
        .as_ref()
        .is_none_or(|b| ev.error_rate < b.error || (ev.error_rate == b.error && ev.mean_nll < b.nll));
    if better {
        *best = Some(Best { model: model.clone(), epoch, error: ev.error_rate, nll: ev.mean_nll });
    }
    better
}

/// A [`Dataset`]'s features as a matrix view.
pub fn features_view(d: &Dataset) -> MatRef<'_> {
    MatRef::from_row_major(d.features().as_slice(), d.n(), d.d())
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

/// Training of C (and A) on precomputed energies.
fn finetune_readout(
    model: &mut Csae,
    cfg: &FinetuneConfig,
    train: &Dataset,
    valid: Option<&Dataset>,
    observer: Observer<'_>,
) -> Result<FinetuneReport> {
    let k = model.num_classes();
    let n = train.n();
    let e = model.energies(features_view(train))?;
    let ve = valid.map(|v| model.energies(features_view(v))).transpose()?;
    let with_a = cfg.variant == Variant::Energies;
    // Standardisation z = (E − μ)/σ (energies variant) and the parameters in that space:
    // s = A′z + C′ with A′ᵢⱼ = Aᵢⱼσⱼ, C′ᵢ = Cᵢ + Σⱼ Aᵢⱼμⱼ (A = I when the model has no read-out).
    let (mu, sd) = if with_a {
        let mut mu = vec![0.0f64; k];
        let mut sd = vec![0.0f64; k];
        for r in e.chunks_exact(k) {
            for j in 0..k {
                mu[j] += r[j] / n as f64;
            }
        }
        for r in e.chunks_exact(k) {
            for j in 0..k {
                sd[j] += (r[j] - mu[j]).powi(2) / n as f64;
            }
        }
        (mu, sd.into_iter().map(|v| v.sqrt().max(1e-12)).collect())
    } else {
        (vec![0.0; k], vec![1.0; k])
    };
    let a0: Vec<f64> = match &model.readout {
        Some(a) => a.iter().map(|&v| v as f64).collect(),
        None => (0..k * k).map(|i| if i / k == i % k { 1.0 } else { 0.0 }).collect(),
    };
    let mut ap: Vec<f64> = (0..k * k).map(|i| a0[i] * sd[i % k]).collect();
    let mut cp: Vec<f64> = (0..k)
        .map(|i| model.class_bias[i] as f64 + (0..k).map(|j| a0[i * k + j] * mu[j]).sum::<f64>())
        .collect();
    let z = |r: &[f64], out: &mut [f64]| {
        for j in 0..k {
            out[j] = (r[j] - mu[j]) / sd[j];
        }
    };
    let logits = |ap: &[f64], cp: &[f64], en: &[f64]| -> Vec<f64> {
        let mut out = vec![0.0; en.len()];
        let mut zz = vec![0.0; k];
        for (r, s) in en.chunks_exact(k).zip(out.chunks_exact_mut(k)) {
            z(r, &mut zz);
            for i in 0..k {
                s[i] = cp[i] + (0..k).map(|j| ap[i * k + j] * zz[j]).sum::<f64>();
            }
        }
        out
    };
    let batch = cfg.batch_size.min(n);
    let steps = n.div_ceil(batch);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(cfg.seed ^ 0xC5AE_F1E7);
    let mut order: Vec<usize> = (0..n).collect();
    let (mut va, mut vc) = (vec![0.0f64; k * k], vec![0.0f64; k]);
    let (lr, mom) = (cfg.learning_rate as f64, cfg.momentum as f64);
    let mut report = FinetuneReport::default();
    // (A′, C′, epoch, error, nll) of the best validation epoch.
    type BestReadout = (Vec<f64>, Vec<f64>, usize, f64, f64);
    let mut best: Option<BestReadout> = None;
    let mut bad = 0usize;
    let (mut zz, mut s, mut g) = (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
    for epoch in 0..cfg.epochs {
        let t0 = Instant::now();
        shuffle(&mut order, &mut rng);
        let (mut loss, mut errors) = (0.0f64, 0usize);
        for (step, rows) in order.chunks(batch).enumerate() {
            let inv = 1.0 / rows.len() as f64;
            let (mut ga, mut gc) = (vec![0.0f64; k * k], vec![0.0f64; k]);
            for &r in rows {
                z(&e[r * k..(r + 1) * k], &mut zz);
                for i in 0..k {
                    s[i] = cp[i] + (0..k).map(|j| ap[i * k + j] * zz[j]).sum::<f64>();
                }
                let y = train.labels()[r] as usize;
                errors += usize::from(argmax(&s) != y);
                loss += coefficients(Variant::Log, &s, y, &mut g);
                for i in 0..k {
                    gc[i] += g[i] * inv;
                    if with_a {
                        for j in 0..k {
                            ga[i * k + j] += g[i] * zz[j] * inv;
                        }
                    }
                }
            }
            for (v, (p, gr)) in vc.iter_mut().zip(cp.iter_mut().zip(&gc)) {
                *v = mom * *v - lr * gr;
                *p += *v;
            }
            if with_a {
                for (v, (p, gr)) in va.iter_mut().zip(ap.iter_mut().zip(&ga)) {
                    *v = mom * *v - lr * gr;
                    *p += *v;
                }
            }
            if cp.iter().chain(&ap).any(|v| !v.is_finite()) {
                return Err(Error::Diverged { epoch, step, parameter: "class_bias".into() });
            }
            observer(Event::FinetuneStep { epoch, step, steps });
        }
        let ev = ve
            .as_ref()
            .zip(valid)
            .map(|(ve, v)| evaluation_from_logits(&logits(&ap, &cp, ve), v.labels(), k));
        let rec = FinetuneEpoch {
            epoch: epoch + 1,
            loss: loss / n as f64,
            train_error: errors as f64 / n as f64,
            valid_error: ev.as_ref().map(|e| e.error_rate),
            valid_nll: ev.as_ref().map(|e| e.mean_nll),
            seconds: t0.elapsed().as_secs_f64(),
        };
        observer(Event::FinetuneEpoch(&rec));
        report.history.push(rec);
        if let Some(ev) = ev {
            let better = best
                .as_ref()
                .is_none_or(|b| ev.error_rate < b.3 || (ev.error_rate == b.3 && ev.mean_nll < b.4));
            if better {
                best = Some((ap.clone(), cp.clone(), epoch + 1, ev.error_rate, ev.mean_nll));
                bad = 0;
            } else {
                bad += 1;
                if cfg.patience.is_some_and(|p| bad >= p) && epoch + 1 < cfg.epochs {
                    report.stopped_early = true;
                    break;
                }
            }
        }
    }
    if let Some((a, c, ep, err, _)) = best {
        ap = a;
        cp = c;
        report.best_epoch = Some(ep);
        report.best_valid_error = Some(err);
    }
    // Fold back: Aᵢⱼ = A′ᵢⱼ/σⱼ, Cᵢ = C′ᵢ − Σⱼ A′ᵢⱼ μⱼ/σⱼ.
    let a: Vec<f64> = (0..k * k).map(|i| ap[i] / sd[i % k]).collect();
    for i in 0..k {
        model.class_bias[i] = (cp[i] - (0..k).map(|j| a[i * k + j] * mu[j]).sum::<f64>()) as f32;
    }
    if with_a {
        model.readout = Some(a.into_iter().map(|v| v as f32).collect());
    }
    Ok(report)
}
