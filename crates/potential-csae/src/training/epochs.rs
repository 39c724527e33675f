//! The finetuning loop of every CSAE (plain, factored, and the read-out variants): epochs of
//! seeded minibatches, a learning rate per epoch, the validation error after each epoch, the
//! model of the best validation epoch kept and early stopping after `patience` epochs without
//! improvement.

use super::batch::{Batch, Minibatches};
use crate::{Error, Evaluation, FinetuneConfig, Result};
use potential_data::Dataset;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Serialize;
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

/// The result of [`finetune`](crate::finetune) and [`finetune_factored`](crate::finetune_factored).
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

/// Progress of the loop, turned into each model kind's events by its caller.
pub(crate) enum Progress<'a> {
    /// A step finished.
    Step { epoch: usize, step: usize, steps: usize },
    /// An epoch finished.
    Epoch(&'a FinetuneEpoch),
}

/// What the loop needs of a model being finetuned.
pub(crate) trait Finetunable {
    /// The parameters kept for the best validation epoch.
    type Snapshot;
    /// One update on the training rows `rows` at learning rate `lr` (`stream`: the shuffling
    /// stream, for input masking): adds the rows' loss to the epoch's sum `loss` and returns the
    /// misclassified rows, both before the update.
    fn step(
        &mut self,
        rows: &[usize],
        lr: f32,
        stream: &mut Xoshiro256PlusPlus,
        loss: &mut f64,
    ) -> Result<usize>;
    /// Error rate and NLL on the validation rows.
    fn evaluate(&self, valid: &Dataset) -> Result<Evaluation>;
    /// A copy of the parameters.
    fn snapshot(&self) -> Self::Snapshot;
    /// Put a copy back.
    fn restore(&mut self, snapshot: Self::Snapshot);
}

/// A minibatch workspace of a model kind ([`crate::Finetuner`], [`crate::FactoredFinetuner`]).
pub(crate) trait Workspace {
    /// The model it trains.
    type Model: Clone;
    /// One update on (`x`, `y`) with learning rate `lr` and momentum `mu`; the objective before it.
    fn step(&mut self, model: &mut Self::Model, x: &[f32], y: &[u32], lr: f32, mu: f32) -> Result<f64>;
    /// Misclassified rows of the last step.
    fn errors(&self) -> usize;
    /// Error rate and NLL of `model` on `data`.
    fn evaluate(model: &Self::Model, data: &Dataset) -> Result<Evaluation>;
}

/// A model, its workspace and its training rows: the [`Finetunable`] of the plain and the
/// factored CSAE.
pub(crate) struct Learner<'a, W: Workspace> {
    pub model: &'a mut W::Model,
    pub ws: W,
    pub data: &'a Dataset,
    pub batch: Batch,
    /// Zero-masking probability of the inputs ([`FinetuneConfig::input_mask`]; 0 = off).
    pub input_mask: f32,
    pub momentum: f32,
}

impl<W: Workspace> Finetunable for Learner<'_, W> {
    type Snapshot = W::Model;

    fn step(
        &mut self,
        rows: &[usize],
        lr: f32,
        stream: &mut Xoshiro256PlusPlus,
        loss: &mut f64,
    ) -> Result<usize> {
        let (x, y) = self.batch.gather(self.data, rows);
        if self.input_mask > 0.0 {
            // Zero-masking of the inputs, from the shuffling stream.
            let p = self.input_mask as f64;
            for v in x.iter_mut() {
                if ((stream.next_u64() >> 11) as f64) * (1.0 / (1u64 << 53) as f64) < p {
                    *v = 0.0;
                }
            }
        }
        let l = self.ws.step(self.model, x, y, lr, self.momentum)?;
        *loss += l * y.len() as f64;
        Ok(self.ws.errors())
    }

    fn evaluate(&self, valid: &Dataset) -> Result<Evaluation> {
        W::evaluate(self.model, valid)
    }

    fn snapshot(&self) -> W::Model {
        self.model.clone()
    }

    fn restore(&mut self, snapshot: W::Model) {
        *self.model = snapshot;
    }
}

/// A divergence error with the epoch and step it happened at.
fn with_position(e: Error, epoch: usize, step: usize) -> Error {
    match e {
        Error::Diverged { parameter, .. } => Error::Diverged { epoch, step, parameter },
        other => other,
    }
}

/// The finetuning loop over the `n` training rows of `f` as `cfg` says: every epoch shuffles the
/// rows (stream seeded with `cfg.seed ^ 0xC5AE_F1E7`), takes ⌈n/batch⌉ steps at the epoch's
/// learning rate `cfg.schedule.rate(cfg.learning_rate, epoch)` and, with `valid`, measures the
/// validation error; the parameters of the best validation epoch (lowest error, then lowest NLL)
/// are restored at the end, and `cfg.patience` epochs without improvement stop the run.
///
/// `progress` hears of every step and epoch; an error it returns ([`Error::Interrupted`]) ends the
/// run with that error.
///
/// # Errors
/// The first error of a step ([`Error::Diverged`] with its epoch and step), of the validation or
/// of `progress`.
pub(crate) fn run<F: Finetunable>(
    f: &mut F,
    cfg: &FinetuneConfig,
    n: usize,
    valid: Option<&Dataset>,
    progress: &dyn Fn(Progress<'_>) -> Result<()>,
) -> Result<FinetuneReport> {
    let mut batches = Minibatches::new(n, cfg.batch_size, cfg.seed ^ 0xC5AE_F1E7);
    let steps = batches.steps();
    let mut report = FinetuneReport::default();
    // (parameters, epoch, error, NLL) of the best validation epoch.
    let mut best: Option<(F::Snapshot, usize, f64, f64)> = None;
    let mut bad_epochs = 0usize;
    for epoch in 0..cfg.epochs {
        let t0 = Instant::now();
        let lr = cfg.schedule.rate(cfg.learning_rate, epoch);
        let (mut loss, mut errors) = (0.0f64, 0usize);
        batches.epoch(|step, rows, stream| {
            errors += f.step(rows, lr, stream, &mut loss).map_err(|e| with_position(e, epoch, step))?;
            progress(Progress::Step { epoch, step, steps })
        })?;
        let ev = valid.map(|v| f.evaluate(v)).transpose()?;
        let rec = FinetuneEpoch {
            epoch: epoch + 1,
            loss: loss / n as f64,
            train_error: errors as f64 / n as f64,
            valid_error: ev.as_ref().map(|e| e.error_rate),
            valid_nll: ev.as_ref().map(|e| e.mean_nll),
            seconds: t0.elapsed().as_secs_f64(),
        };
        progress(Progress::Epoch(&rec))?;
        report.history.push(rec);
        let Some(ev) = ev else { continue };
        let better =
            best.as_ref().is_none_or(|b| ev.error_rate < b.2 || (ev.error_rate == b.2 && ev.mean_nll < b.3));
        if better {
            best = Some((f.snapshot(), epoch + 1, ev.error_rate, ev.mean_nll));
            bad_epochs = 0;
        } else {
            bad_epochs += 1;
            if cfg.patience.is_some_and(|p| bad_epochs >= p) && epoch + 1 < cfg.epochs {
                report.stopped_early = true;
                break;
            }
        }
    }
    if let Some((snapshot, epoch, error, _)) = best {
        f.restore(snapshot);
        report.best_epoch = Some(epoch);
        report.best_valid_error = Some(error);
    }
    Ok(report)
}
