//! [`Progress`] and [`Monitor`]: the one progress and cancellation callback of the long-running
//! calls built on this crate — [`Trainer::fit_with`](crate::Trainer::fit_with),
//! [`Detector::fit_with`](crate::detector::Detector::fit_with), `potential_csae::train_with` and the
//! estimators of the `potential` crate — with [`silent`] as the default.

use crate::{EpochMetrics, Event, StepInfo};
use std::ops::ControlFlow;

/// One report of a long-running call. Which autoencoder a report is about is `model`: 0 when one
/// autoencoder trains, the class while a CSAE pretrains its class models (they train in parallel,
/// so reports of different classes interleave), the member while a detector fits.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Progress<'a> {
    /// A minibatch step of autoencoder `model` finished.
    Step {
        /// The autoencoder.
        model: usize,
        /// The step.
        info: &'a StepInfo,
    },
    /// An epoch of autoencoder `model` finished (its checkpoint, if any, is on disk).
    Epoch {
        /// The autoencoder.
        model: usize,
        /// The epoch's metrics.
        metrics: &'a EpochMetrics,
    },
    /// Autoencoder `model` finished training.
    ModelDone {
        /// The autoencoder.
        model: usize,
        /// Wall-clock seconds it took.
        seconds: f64,
    },
    /// A step of a classifier's discriminative finetuning (Eq. 45) finished.
    FinetuneStep {
        /// Epoch (0-based).
        epoch: usize,
        /// Step within the epoch (0-based).
        step: usize,
        /// Steps per epoch.
        steps: usize,
    },
    /// A finetuning epoch finished.
    FinetuneEpoch {
        /// Completed epochs (1 after the first).
        epoch: usize,
        /// Mean objective over the epoch's minibatches.
        loss: f64,
        /// Training error over the epoch's minibatches, a fraction.
        train_error: f64,
        /// Validation error after the epoch, a fraction (with validation data).
        valid_error: Option<f64>,
    },
}

impl<'a> Progress<'a> {
    /// The report of a [`Trainer`](crate::Trainer) event of autoencoder `model`.
    pub fn from_event(model: usize, event: Event<'a>) -> Self {
        match event {
            Event::Step(info) => Progress::Step { model, info },
            Event::Epoch(metrics) => Progress::Epoch { model, metrics },
        }
    }
}

/// The progress and cancellation callback: it receives every [`Progress`] report, from worker
/// threads when models train in parallel (hence `Sync`), and answers
/// [`ControlFlow::Break`] to stop the call, which then ends as interrupted (each call documents
/// what it returns). [`silent`] ignores everything.
///
/// ```
/// use potential_train::{Progress, Monitor};
/// use std::ops::ControlFlow;
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// // Count steps and stop after 100 of them.
/// let steps = AtomicUsize::new(0);
/// let stop_after_100 = |p: Progress<'_>| {
///     if let Progress::Step { .. } = p {
///         if steps.fetch_add(1, Ordering::Relaxed) + 1 >= 100 {
///             return ControlFlow::Break(());
///         }
///     }
///     ControlFlow::Continue(())
/// };
/// let monitor: Monitor<'_> = &stop_after_100;
/// # let _ = monitor;
/// ```
pub type Monitor<'a> = &'a (dyn Fn(Progress<'_>) -> ControlFlow<()> + Sync);

/// The silent monitor: ignores every report, never stops.
pub fn silent(_: Progress<'_>) -> ControlFlow<()> {
    ControlFlow::Continue(())
}
