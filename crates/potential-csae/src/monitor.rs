//! Where the training functions send their [`Event`]s: to an [`Observer`] (this crate's own
//! callback, which never stops a run) or to a [`Monitor`] (the one progress and cancellation
//! callback of `potential-train`, which may), both through [`Sink`].

use crate::fit::{Event, Observer};
use crate::{Error, Result};
use potential_train::{Monitor, Progress};
use std::ops::ControlFlow;

/// A receiver of training events; [`ControlFlow::Break`] stops the run.
pub(crate) trait Sink: Sync {
    /// Deliver one event.
    fn send(&self, event: Event<'_>) -> ControlFlow<()>;
}

/// An [`Observer`] as a [`Sink`]: sees every event, never stops.
pub(crate) struct ObserverSink<'a>(pub Observer<'a>);

impl Sink for ObserverSink<'_> {
    fn send(&self, event: Event<'_>) -> ControlFlow<()> {
        (self.0)(event);
        ControlFlow::Continue(())
    }
}

/// A [`Monitor`] as a [`Sink`]: sees every event as a [`Progress`], may stop.
pub(crate) struct MonitorSink<'a>(pub Monitor<'a>);

impl Sink for MonitorSink<'_> {
    fn send(&self, event: Event<'_>) -> ControlFlow<()> {
        (self.0)(event.progress())
    }
}

/// Send `event`; [`Error::Interrupted`] when the sink says stop.
pub(crate) fn deliver(sink: &dyn Sink, event: Event<'_>) -> Result<()> {
    match sink.send(event) {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(()) => Err(Error::Interrupted),
    }
}

impl<'a> Event<'a> {
    /// The same report in the vocabulary of the one progress callback: pretraining reports are
    /// about autoencoder `model` = the class.
    pub fn progress(&self) -> Progress<'a> {
        match *self {
            Event::PretrainStep { class, info } => Progress::Step { model: class, info },
            Event::PretrainEpoch { class, metrics } => Progress::Epoch { model: class, metrics },
            Event::PretrainDone { class, seconds } => Progress::ModelDone { model: class, seconds },
            Event::FinetuneStep { epoch, step, steps } => Progress::FinetuneStep { epoch, step, steps },
            Event::FinetuneEpoch(r) => Progress::FinetuneEpoch {
                epoch: r.epoch,
                loss: r.loss,
                train_error: r.train_error,
                valid_error: r.valid_error,
            },
        }
    }
}
