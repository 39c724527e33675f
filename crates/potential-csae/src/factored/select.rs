//! The protocol of Sec. 4.4 for the factored CSAE: pretraining (once per size, on the training
//! rows or on train + validation, [`PretrainOn`]), a grid over factors, hidden units, learning
//! rate and weight decay scored on the validation split, then the chosen configuration finetuned
//! again on train + validation.

use super::fit::{
    check_data, class_means, finetune_factored, pretrain_factored, FactoredConfig, FactoredObserver,
};
use super::model::FactoredCsae;
use crate::{concat, Error, FinetuneConfig, FinetuneReport, PretrainOn, Result};
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
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FactoredSelection {
    /// Every grid point, in the order tried.
    pub trials: Vec<FactoredTrial>,
    /// Index of the chosen trial.
    pub best: usize,
    /// The final fit on train + validation.
    pub final_fit: FinetuneReport,
}

/// Sec. 4.4 for the factored model: for each (F, H) initialise ([`FactoredCsae::init`], visible
/// biases at the class means) and pretrain (`base.pretrain`) on the rows `base.pretrain_on` names —
/// the training rows ([`PretrainOn::Train`]) or train + valid ([`PretrainOn::All`]), the class means
/// taken over the same rows; finetune a copy for every (learning rate, weight decay) on `train`,
/// keeping the best validation epoch; choose the lowest validation error (then NLL); finetune the
/// chosen size's model pretrained on train + valid — initialised and pretrained again for
/// [`PretrainOn::Train`], the same one for [`PretrainOn::All`] — on train + valid for the chosen
/// number of epochs. `base` supplies everything not in the grid (its `factors` and `hidden` are
/// ignored). `on_trial` sees each finished trial.
///
/// # Errors
/// [`Error::InvalidConfig`] for an empty grid; as [`super::train_factored`].
pub fn select_and_fit_factored(
    base: &FactoredConfig,
    grid: &FactoredGrid,
    train: &Dataset,
    valid: &Dataset,
    observer: FactoredObserver<'_>,
    on_trial: &mut dyn FnMut(&FactoredTrial),
) -> Result<(FactoredCsae, FactoredSelection)> {
    base.validate()?;
    if grid.factors.is_empty()
        || grid.hidden.is_empty()
        || grid.learning_rate.is_empty()
        || grid.weight_decay.is_empty()
    {
        return Err(Error::InvalidConfig {
            field: "grid",
            value: format!("{grid:?}"),
            reason: "every list needs at least one value",
        });
    }
    let all = concat(train, valid)?;
    let k = all.num_classes();
    check_data("training data", &all, all.d(), k)?;
    let pretrain_rows = match base.pretrain_on {
        PretrainOn::Train => train,
        PretrainOn::All => &all,
    };
    // The model of one size, initialised on the class means of `rows` and pretrained on them.
    let pretrained_on = |rows: &Dataset, cfg: &FactoredConfig| -> Result<FactoredCsae> {
        let mut m = FactoredCsae::init(
            all.d(),
            cfg.factors,
            cfg.hidden,
            all.class_names().to_vec(),
            cfg.activation,
            cfg.output,
            Some(&class_means(rows, k)),
            cfg.seed,
        )?;
        if let Some(p) = &cfg.pretrain {
            pretrain_factored(&mut m, p, rows, observer)?;
        }
        Ok(m)
    };
    let mut trials = Vec::new();
    // PretrainOn::All: each size's pretraining on train + valid, kept for the final fit.
    let mut pretrained: Vec<((usize, usize), FactoredCsae)> = Vec::new();
    for &factors in &grid.factors {
        for &hidden in &grid.hidden {
            let cfg = FactoredConfig { factors, hidden, ..base.clone() };
            cfg.validate()?;
            let start = pretrained_on(pretrain_rows, &cfg)?;
            for &learning_rate in &grid.learning_rate {
                for &weight_decay in &grid.weight_decay {
                    let ft = FinetuneConfig { learning_rate, weight_decay, ..base.finetune.clone() };
                    let mut m = start.clone();
                    let rep = finetune_factored(&mut m, &ft, train, Some(valid), observer)?;
                    let best = rep.best_epoch.unwrap_or(rep.history.len()).max(1);
                    let h = &rep.history[best - 1];
                    let t = FactoredTrial {
                        factors,
                        hidden,
                        learning_rate,
                        weight_decay,
                        valid_error: h.valid_error.unwrap_or(f64::NAN),
                        valid_nll: h.valid_nll.unwrap_or(f64::NAN),
                        best_epoch: best,
                    };
                    on_trial(&t);
                    trials.push(t);
                }
            }
            if base.pretrain_on == PretrainOn::All {
                pretrained.push(((factors, hidden), start));
            }
        }
    }
    let best = (0..trials.len())
        .min_by(|&a, &b| {
            let (ta, tb) = (&trials[a], &trials[b]);
            ta.valid_error.total_cmp(&tb.valid_error).then(ta.valid_nll.total_cmp(&tb.valid_nll))
        })
        .unwrap_or(0);
    let t = trials[best].clone();
    let cfg = FactoredConfig { factors: t.factors, hidden: t.hidden, ..base.clone() };
    let mut model = match base.pretrain_on {
        PretrainOn::Train => pretrained_on(&all, &cfg)?,
        PretrainOn::All => {
            pretrained.into_iter().find(|(s, _)| *s == (t.factors, t.hidden)).map(|(_, m)| m).ok_or_else(
                || Error::InvalidConfig {
                    field: "grid",
                    value: format!("{}×{}", t.factors, t.hidden),
                    reason: "internal: the chosen size has no pretrained model",
                },
            )?
        }
    };
    let ft = FinetuneConfig {
        learning_rate: t.learning_rate,
        weight_decay: t.weight_decay,
        epochs: t.best_epoch,
        ..base.finetune.clone()
    };
    let final_fit = finetune_factored(&mut model, &ft, &all, None, observer)?;
    let cfg = FactoredConfig { finetune: ft, ..cfg };
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
    Ok((model, FactoredSelection { trials, best, final_fit }))
}
