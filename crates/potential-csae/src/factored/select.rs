//! The protocol of Sec. 4.4 for the factored CSAE: pretraining (once per size, on the training
//! rows or on train + validation, [`PretrainOn`](crate::PretrainOn)), a grid over factors, hidden units, learning
//! rate and weight decay scored on the validation split, then the chosen configuration finetuned
//! again on train + validation.

use super::fit::{finetune_factored, initial_model, pretrain_factored, FactoredConfig, FactoredObserver};
use super::model::FactoredCsae;
use crate::training::select::{all_rows, check_grid, select, Point, Protocol};
use crate::{FinetuneConfig, FinetuneReport, Result};
use potential_data::Dataset;
use serde::Serialize;

/// The values tried: every combination (the paper: factors and hiddens in {100, 200, 300, 500}).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FactoredGrid {
    /// Numbers of factors F.
    pub factors: Vec<usize>,
    /// Hidden units H per class.
    pub hidden: Vec<usize>,
    /// Finetuning learning rates.
    pub learning_rate: Vec<f32>,
    /// Finetuning weight decays.
    pub weight_decay: Vec<f32>,
}

impl FactoredGrid {
    /// The configuration of the grid's largest model: `base` with the most factors and hidden
    /// units of the lists (their own values where a list is empty).
    pub fn largest(&self, base: &FactoredConfig) -> FactoredConfig {
        FactoredConfig {
            factors: self.factors.iter().copied().max().unwrap_or(base.factors),
            hidden: self.hidden.iter().copied().max().unwrap_or(base.hidden),
            ..base.clone()
        }
    }

    /// Peak bytes [`select_and_fit_factored`] over this grid allocates beyond its data (`None` on
    /// overflow), for `k` classes of `visible` inputs and `rows` rows (train + validation, the
    /// refit's): a run of [`FactoredGrid::largest`] ([`FactoredConfig::training_bytes`]) plus the
    /// best candidate's model, which the selection keeps while it tries the others (counted at the
    /// largest size).
    pub fn selection_bytes(
        &self,
        base: &FactoredConfig,
        k: usize,
        visible: usize,
        rows: usize,
    ) -> Option<u64> {
        let largest = self.largest(base);
        let kept = super::model::parameters(visible, largest.factors, largest.hidden, k)?.checked_mul(4)?;
        largest.training_bytes(k, visible, rows)?.checked_add(kept)
    }
}

/// One grid point and what it reached on the validation split.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FactoredTrial {
    /// Factors F.
    pub factors: usize,
    /// Hidden units H.
    pub hidden: usize,
    /// Learning rate.
    pub learning_rate: f32,
    /// Weight decay.
    pub weight_decay: f32,
    /// Best validation error (fraction).
    pub valid_error: f64,
    /// Validation NLL at that epoch.
    pub valid_nll: f64,
    /// The epoch (1-based) of the best validation error.
    pub best_epoch: usize,
}

/// The outcome of [`select_and_fit_factored`].
pub type FactoredSelection = crate::Selection<FactoredTrial>;

/// Sec. 4.4 for the factored model: for each (F, H) initialise ([`FactoredCsae::init`], visible
/// biases at the class means) and pretrain (`base.pretrain`) on the rows `base.pretrain_on` names —
/// the training rows ([`PretrainOn::Train`](crate::PretrainOn::Train)) or train + valid ([`PretrainOn::All`](crate::PretrainOn::All)), the class means
/// taken over the same rows; finetune a copy for every (learning rate, weight decay) on `train`,
/// keeping the best validation epoch; choose the lowest validation error (then NLL); finetune the
/// chosen size's model pretrained on train + valid — initialised and pretrained again for
/// [`PretrainOn::Train`](crate::PretrainOn::Train), the same one for [`PretrainOn::All`](crate::PretrainOn::All) — on train + valid for the chosen
/// number of epochs. `base` supplies everything not in the grid (its `factors` and `hidden` are
/// ignored). `on_trial` sees each finished trial.
///
/// # Errors
/// [`Error::InvalidConfig`](crate::Error::InvalidConfig) for an empty grid; as [`super::train_factored`].
pub fn select_and_fit_factored(
    base: &FactoredConfig,
    grid: &FactoredGrid,
    train: &Dataset,
    valid: &Dataset,
    observer: FactoredObserver<'_>,
    on_trial: &mut dyn FnMut(&FactoredTrial),
) -> Result<(FactoredCsae, FactoredSelection)> {
    base.validate()?;
    let lists = [grid.factors.len(), grid.hidden.len(), grid.learning_rate.len(), grid.weight_decay.len()];
    check_grid(grid, &lists, &base.finetune)?;
    let all = all_rows(train, valid)?;
    let sizes: Vec<(usize, usize)> =
        grid.factors.iter().flat_map(|&f| grid.hidden.iter().map(move |&h| (f, h))).collect();
    let factored = Factored { base, all: &all, observer };
    let c = select(
        &factored,
        &sizes,
        &grid.learning_rate,
        &grid.weight_decay,
        &base.finetune,
        base.pretrain_on,
        (train, valid, &all),
        &mut |p| on_trial(&trial(p)),
    )?;
    let trials: Vec<FactoredTrial> = c.points.iter().map(trial).collect();
    let t = &trials[c.best];
    let cfg = FactoredConfig { factors: t.factors, hidden: t.hidden, finetune: c.finetune, ..base.clone() };
    let mut model = c.model;
    model.set_provenance(Some(
        serde_json::json!({
            "trainer": "potential-csae (factored)",
            "version": env!("CARGO_PKG_VERSION"),
            "protocol": crate::select::protocol(base.pretrain_on),
            "config": cfg,
            "trials": trials,
        })
        .to_string(),
    ));
    Ok((model, FactoredSelection { trials, best: c.best, final_fit: c.final_fit }))
}

fn trial(p: &Point<(usize, usize)>) -> FactoredTrial {
    FactoredTrial {
        factors: p.size.0,
        hidden: p.size.1,
        learning_rate: p.learning_rate,
        weight_decay: p.weight_decay,
        valid_error: p.valid_error,
        valid_nll: p.valid_nll,
        best_epoch: p.best_epoch,
    }
}

/// The factored CSAE under the selection protocol: sizes are (factors, hidden units); a start is
/// initialised on the class means of its rows and pretrained on them.
struct Factored<'a> {
    base: &'a FactoredConfig,
    /// Train + validation: the input width and class names of every model.
    all: &'a Dataset,
    observer: FactoredObserver<'a>,
}

impl Factored<'_> {
    /// The model of one size, initialised on the class means of `rows` and pretrained on them.
    fn pretrained_on(&self, (factors, hidden): (usize, usize), rows: &Dataset) -> Result<FactoredCsae> {
        let cfg = FactoredConfig { factors, hidden, ..self.base.clone() };
        let mut m = initial_model(&cfg, self.all, rows)?;
        if let Some(p) = &cfg.pretrain {
            pretrain_factored(&mut m, p, rows, self.observer)?;
        }
        Ok(m)
    }
}

impl Protocol for Factored<'_> {
    type Model = FactoredCsae;
    type Size = (usize, usize);

    fn start(&self, (factors, hidden): (usize, usize), rows: &Dataset) -> Result<FactoredCsae> {
        FactoredConfig { factors, hidden, ..self.base.clone() }.validate()?;
        self.pretrained_on((factors, hidden), rows)
    }

    fn refit_start(
        &self,
        size: (usize, usize),
        all: &Dataset,
        kept: Option<FactoredCsae>,
    ) -> Result<FactoredCsae> {
        match kept {
            Some(m) => Ok(m),
            None => self.pretrained_on(size, all),
        }
    }

    fn finetune(
        &self,
        model: &mut FactoredCsae,
        cfg: &FinetuneConfig,
        train: &Dataset,
        valid: Option<&Dataset>,
    ) -> Result<FinetuneReport> {
        finetune_factored(model, cfg, train, valid, self.observer)
    }
}
