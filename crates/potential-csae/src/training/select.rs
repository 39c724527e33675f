//! The selection protocol of Sec. 4.4, shared by the plain and the factored CSAE: pretrain once
//! per model size, finetune every (learning rate, weight decay) on the training rows with early
//! stopping on the validation rows, choose the lowest validation error (then NLL), and finetune
//! the chosen size's model pretrained on train + validation again on train + validation for the
//! chosen number of epochs.

use super::batch::check_data;
use crate::{concat, Error, FinetuneConfig, FinetuneReport, PretrainOn, Result};
use potential_data::Dataset;

/// What the protocol needs of a model kind.
pub(crate) trait Protocol {
    /// The model.
    type Model: Clone;
    /// A point of the size grid (hidden units; factors and hidden units).
    type Size: Copy + PartialEq + std::fmt::Debug;
    /// The start of the selection runs of `size`: the model pretrained on `rows` (the rows
    /// [`PretrainOn`] names).
    fn start(&self, size: Self::Size, rows: &Dataset) -> Result<Self::Model>;
    /// The start of the final fit on `all` (train + validation): `kept`, the selection start
    /// pretrained on `all` already ([`PretrainOn::All`]), or a new pretraining on `all`.
    fn refit_start(&self, size: Self::Size, all: &Dataset, kept: Option<Self::Model>) -> Result<Self::Model>;
    /// Finetune `model` on `train` as `cfg` says, with `valid` for the best epoch.
    fn finetune(
        &self,
        model: &mut Self::Model,
        cfg: &FinetuneConfig,
        train: &Dataset,
        valid: Option<&Dataset>,
    ) -> Result<FinetuneReport>;
}

/// One grid point and what it reached on the validation rows.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Point<S> {
    pub size: S,
    pub learning_rate: f32,
    pub weight_decay: f32,
    /// Best validation error (fraction).
    pub valid_error: f64,
    /// Validation NLL at that epoch.
    pub valid_nll: f64,
    /// The epoch (1-based) of the best validation error.
    pub best_epoch: usize,
}

/// The outcome: every point in the order tried, the index of the chosen one, the model after the
/// final fit, that fit's report and its finetuning configuration.
pub(crate) struct Chosen<M, S> {
    pub points: Vec<Point<S>>,
    pub best: usize,
    pub model: M,
    pub final_fit: FinetuneReport,
    pub finetune: FinetuneConfig,
}

/// Train + validation rows, checked: the rows of the final fit.
///
/// # Errors
/// [`Error::Data`] when the validation rows do not fit the training rows or hold bad values.
pub(crate) fn all_rows(train: &Dataset, valid: &Dataset) -> Result<Dataset> {
    let all = concat(train, valid)?;
    check_data("training data", &all, all.d(), all.num_classes())?;
    Ok(all)
}

/// The grid check shared by both kinds: every list non-empty and at least one finetuning epoch.
///
/// # Errors
/// [`Error::InvalidConfig`].
pub(crate) fn check_grid(grid: &impl std::fmt::Debug, lists: &[usize], base: &FinetuneConfig) -> Result<()> {
    if lists.contains(&0) {
        return Err(crate::config::bad("grid", format!("{grid:?}"), "every list needs at least one value"));
    }
    if base.epochs == 0 {
        return Err(crate::config::bad(
            "finetune.epochs",
            0,
            "a selection run chooses the best epoch: it needs at least one",
        ));
    }
    Ok(())
}

/// Sec. 4.4 over `sizes` × `learning_rates` × `weight_decays` (module docs); `on_point` sees each
/// finished point.
///
/// # Errors
/// The first error of a pretraining or finetuning run.
#[allow(clippy::too_many_arguments)]
pub(crate) fn select<P: Protocol>(
    p: &P,
    sizes: &[P::Size],
    learning_rates: &[f32],
    weight_decays: &[f32],
    base: &FinetuneConfig,
    pretrain_on: PretrainOn,
    (train, valid, all): (&Dataset, &Dataset, &Dataset),
    on_point: &mut dyn FnMut(&Point<P::Size>),
) -> Result<Chosen<P::Model, P::Size>> {
    let pretrain_rows = match pretrain_on {
        PretrainOn::Train => train,
        PretrainOn::All => all,
    };
    let mut points = Vec::new();
    // PretrainOn::All: each size's pretraining on train + valid, kept for the final fit.
    let mut kept: Vec<(P::Size, P::Model)> = Vec::new();
    for &size in sizes {
        let start = p.start(size, pretrain_rows)?;
        for &learning_rate in learning_rates {
            for &weight_decay in weight_decays {
                let ft = FinetuneConfig { learning_rate, weight_decay, ..base.clone() };
                let mut m = start.clone();
                let rep = p.finetune(&mut m, &ft, train, Some(valid))?;
                let best_epoch = rep.best_epoch.unwrap_or(rep.history.len()).max(1);
                let h = &rep.history[best_epoch - 1];
                let point = Point {
                    size,
                    learning_rate,
                    weight_decay,
                    valid_error: h.valid_error.unwrap_or(f64::NAN),
                    valid_nll: h.valid_nll.unwrap_or(f64::NAN),
                    best_epoch,
                };
                on_point(&point);
                points.push(point);
            }
        }
        if pretrain_on == PretrainOn::All {
            kept.push((size, start));
        }
    }
    let best = (0..points.len())
        .min_by(|&a, &b| {
            let (ta, tb) = (&points[a], &points[b]);
            ta.valid_error.total_cmp(&tb.valid_error).then(ta.valid_nll.total_cmp(&tb.valid_nll))
        })
        .unwrap_or(0);
    let t = points[best];
    let kept = match pretrain_on {
        PretrainOn::Train => None,
        PretrainOn::All => {
            Some(kept.into_iter().find(|(s, _)| *s == t.size).map(|(_, m)| m).ok_or_else(|| {
                Error::InvalidConfig {
                    field: "grid",
                    value: format!("{:?}", t.size),
                    reason: "internal: the chosen size has no pretrained model",
                }
            })?)
        }
    };
    let mut model = p.refit_start(t.size, all, kept)?;
    let finetune = FinetuneConfig {
        learning_rate: t.learning_rate,
        weight_decay: t.weight_decay,
        epochs: t.best_epoch,
        ..base.clone()
    };
    let final_fit = p.finetune(&mut model, &finetune, all, None)?;
    Ok(Chosen { points, best, model, final_fit, finetune })
}
