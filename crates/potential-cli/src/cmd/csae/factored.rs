//! `csae train --factors F`: the factored CSAE (Eq. 46–50), pretrained with denoising on all
//! classes together, then finetuned as the plain one; with `--refit`/`--grid-*` the selection
//! protocol of Sec. 4.4 ([`potential_csae::select_and_fit_factored`]).

use super::args::{config_error, TrainArgs};
use super::{check_selection_rows, configs, epoch_line, load_rows, protocol_line, summary, usage, Point};
use crate::error::Result;
use crate::progress;
use potential_csae::{FactoredConfig, FactoredEvent, FactoredGrid, FactoredTrial, PretrainEpoch};
use potential_data::Dataset;
use std::time::Instant;

/// Run `csae train --factors F`.
pub(super) fn run(a: TrainArgs) -> Result<()> {
    // The flags that reach no field of the factored configuration; the library refuses the
    // plain-only fields it has (input masking, hidden dropout, filter renormalisation).
    if a.init_scale != 1.0 || a.pretrain_only || a.pretrained.is_some() {
        return Err(usage(
            "--init-scale, --pretrain-only and --pretrained apply to the plain CSAE, not --factors",
        ));
    }
    let t0 = Instant::now();
    let (pretrain, finetune) = configs(&a)?;
    let cfg = FactoredConfig {
        factors: a.factors.unwrap_or(0),
        hidden: a.hidden,
        activation: a.activation.into(),
        output: a.output.into(),
        pretrain,
        finetune,
        seed: a.seed,
        pretrain_on: a.pretrain_on.into(),
    };
    cfg.validate().map_err(config_error)?;
    check_selection_rows(&a)?;
    let pool = crate::threads::pool(a.threads)?;
    let rows = load_rows(&a)?;
    check_memory(&a, &cfg, &rows)?;
    match &rows.va {
        Some(va) if a.selects() => pool.install(|| select(&a, &cfg, &rows.tr, va, t0)),
        va => pool.install(|| fit(&a, &cfg, &rows.tr, va.as_ref(), t0)),
    }
}

/// One line of pretraining progress.
fn pretrain_line(r: &PretrainEpoch) -> String {
    format!(
        "pretrain epoch {:3}: loss {:.4}, reconstruction error {:.4} ({:.1}s)",
        r.epoch, r.loss, r.reconstruction_error, r.seconds
    )
}

/// Pretraining and finetuning with the validation rows choosing the epoch.
fn fit(a: &TrainArgs, cfg: &FactoredConfig, tr: &Dataset, va: Option<&Dataset>, t0: Instant) -> Result<()> {
    if !a.quiet {
        crate::note!(
            "factored CSAE: {} classes, {} training rows{} of {} values; {} factors, {} {} hiddens per class, \
             denoising {}, variant {}",
            tr.num_classes(),
            tr.n(),
            super::validation_note(va),
            tr.d(),
            cfg.factors,
            a.hidden,
            cfg.activation,
            a.denoise.map_or("none".to_owned(), |p| p.to_string()),
            cfg.finetune.variant
        );
    }
    let steps = tr.n().div_ceil(a.batch.min(tr.n()).max(1));
    let pre_epochs = cfg.pretrain.as_ref().map_or(0, |p| p.epochs);
    let pre_bar = progress::bar((pre_epochs * steps) as u64, "pretraining steps", a.quiet || pre_epochs == 0);
    let ft_bar = progress::bar((a.finetune_epochs * steps) as u64, "finetuning steps", a.quiet);
    let quiet = a.quiet;
    let observer = |e: FactoredEvent<'_>| match e {
        FactoredEvent::PretrainStep { .. } => pre_bar.inc(1),
        FactoredEvent::FinetuneStep { .. } => ft_bar.inc(1),
        FactoredEvent::PretrainEpoch(r) if !quiet => progress::say(&pre_bar, pretrain_line(r)),
        FactoredEvent::FinetuneEpoch(r) if !quiet => progress::say(&ft_bar, epoch_line(r)),
        _ => {}
    };
    let (model, report) = potential_csae::train_factored(cfg, tr, va, &observer)?;
    pre_bar.finish_and_clear();
    ft_bar.finish_and_clear();
    model.save(&a.out)?;
    let rep = &report.finetune;
    summary(a.quiet, rep.best_epoch.zip(rep.best_valid_error), &a.out, t0);
    Ok(())
}

fn point(t: &FactoredTrial) -> Point {
    let trial = potential_csae::Trial {
        hidden: t.hidden,
        learning_rate: t.learning_rate,
        weight_decay: t.weight_decay,
        valid_error: t.valid_error,
        valid_nll: t.valid_nll,
        best_epoch: t.best_epoch,
    };
    Point { factors: Some(t.factors), trial }
}

/// The grid of a selection run: the `--grid-*` values, or the single flag value.
fn grid(a: &TrainArgs, cfg: &FactoredConfig) -> FactoredGrid {
    let or = |v: &[f32], d: f32| if v.is_empty() { vec![d] } else { v.to_vec() };
    let oru = |v: &[usize], d: usize| if v.is_empty() { vec![d] } else { v.to_vec() };
    FactoredGrid {
        factors: oru(&a.grid_factors, cfg.factors),
        hidden: oru(&a.grid_hidden, cfg.hidden),
        learning_rate: or(&a.grid_lr, a.lr),
        weight_decay: or(&a.grid_weight_decay, a.weight_decay),
    }
}

/// `--refit` / `--grid-*`: Sec. 4.4 for the factored CSAE.
fn select(a: &TrainArgs, cfg: &FactoredConfig, tr: &Dataset, va: &Dataset, t0: Instant) -> Result<()> {
    let grid = grid(a, cfg);
    let quiet = a.quiet;
    if !quiet {
        crate::note!(
            "factored CSAE, Sec. 4.4 protocol: {} classes, {} training + {} validation rows of {} values, {} \
             activation; factors {:?}, hidden {:?}, learning rate {:?}, weight decay {:?}",
            tr.num_classes(),
            tr.n(),
            va.n(),
            tr.d(),
            cfg.activation,
            grid.factors,
            grid.hidden,
            grid.learning_rate,
            grid.weight_decay
        );
        crate::note!("{}", protocol_line(cfg.pretrain_on, false));
    }
    let observer = |e: FactoredEvent<'_>| match e {
        FactoredEvent::PretrainEpoch(r) if !quiet => crate::note!("  {}", pretrain_line(r)),
        FactoredEvent::FinetuneEpoch(r) if !quiet => crate::note!("  {}", epoch_line(r)),
        _ => {}
    };
    let mut on_trial = |t: &FactoredTrial| {
        if !quiet {
            crate::note!("{}", point(t).trial());
        }
    };
    let (model, sel) = potential_csae::select_and_fit_factored(cfg, &grid, tr, va, &observer, &mut on_trial)?;
    model.save(&a.out)?;
    if !quiet {
        crate::note!("{}", point(&sel.trials[sel.best]).chosen(tr.n() + va.n(), cfg.pretrain_on));
    }
    summary(quiet, None, &a.out, t0);
    Ok(())
}

/// Refuse a run whose factored model and buffers would not fit in memory ([`crate::memory`]): one
/// run ([`FactoredConfig::training_bytes`]), or a selection over the grid
/// ([`FactoredGrid::selection_bytes`], which also sizes the largest `--grid-hidden`).
fn check_memory(a: &TrainArgs, cfg: &FactoredConfig, rows: &super::Rows) -> Result<()> {
    let (k, d) = (rows.tr.num_classes(), rows.tr.d());
    let g = grid(a, cfg);
    let largest = g.largest(cfg);
    largest.check_size(k, d).map_err(config_error)?;
    let bytes = if a.selects() {
        g.selection_bytes(cfg, k, d, rows.tr.n() + rows.va.as_ref().map_or(0, Dataset::n))
    } else {
        cfg.training_bytes(k, d, rows.tr.n())
    };
    let what = format!(
        "a factored CSAE of {k} classes, {d} inputs, {} factors, {} hidden and its training buffers",
        largest.factors, largest.hidden
    );
    crate::memory::check(&what, bytes)
}
