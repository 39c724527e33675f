//! `csae train` of the plain CSAE: pretraining and finetuning (from pretrained files with
//! `--pretrained`), `--pretrain-only`, and the selection protocol of Sec. 4.4 (`--refit`,
//! `--grid-*`); `--factors` hands over to [`super::factored`].

use super::args::{config_error, TrainArgs};
use super::{
    check_selection_rows, configs, epoch_line, load_rows, protocol_line, summary, usage, Point, Rows,
};
use crate::error::Result;
use crate::progress;
use potential_csae::{Csae, CsaeConfig, Event, FinetuneReport, Grid, PretrainOn, Pretrained};
use potential_data::Dataset;
use std::time::Instant;

/// Run `csae train`.
pub(super) fn run(a: TrainArgs) -> Result<()> {
    if a.factors.is_some() {
        return super::factored::run(a);
    }
    if !a.grid_factors.is_empty() {
        return Err(usage("--grid-factors needs --factors F"));
    }
    let t0 = Instant::now();
    let (pretrain, finetune) = configs(&a)?;
    let cfg = CsaeConfig {
        hidden: a.hidden,
        activation: a.activation.into(),
        output: a.output.into(),
        pretrain,
        finetune,
        seed: a.seed,
        init_scale: Some(a.init_scale),
        pretrain_on: a.pretrain_on.into(),
    };
    cfg.validate().map_err(config_error)?;
    if a.pretrain_only && (a.selects() || a.no_pretrain) {
        return Err(usage(
            "--pretrain-only pretrains one model (--hidden) and stops: drop --refit, --grid-* and --no-pretrain",
        ));
    }
    check_selection_rows(&a)?;
    let pool = crate::threads::pool(a.threads)?;
    let rows = load_rows(&a)?;
    check_memory(&a, &cfg, &rows, pool.current_num_threads())?;
    if a.pretrain_only {
        return pool.install(|| pretrain_only(&a, &cfg, &rows, t0));
    }
    let (start, refit) = super::pretrained::files(&a, &cfg, &rows.tr, rows.va.as_ref())?;
    match (&rows.va, a.selects()) {
        (Some(va), true) => {
            let starts = match (&start, &refit) {
                (Some(s), Some(r)) => Some(Pretrained { selection: s, refit: r }),
                (Some(s), None) => Some(Pretrained::same(s)),
                _ => None,
            };
            pool.install(|| select(&a, &cfg, &rows.tr, va, starts, t0))
        }
        _ => pool.install(|| fit(&a, &cfg, &rows, start, t0)),
    }
}

/// Pretraining (or `--pretrained`) and finetuning with the validation rows choosing the epoch.
fn fit(a: &TrainArgs, cfg: &CsaeConfig, rows: &Rows, start: Option<Csae>, t0: Instant) -> Result<()> {
    let (tr, va) = (&rows.tr, rows.va.as_ref());
    let k = tr.num_classes();
    if !a.quiet {
        crate::note!(
            "CSAE: {k} classes, {} training rows{} of {} values; {} {} hiddens per class, variant {}",
            tr.n(),
            super::validation_note(va),
            tr.d(),
            a.hidden,
            cfg.activation,
            cfg.finetune.variant
        );
    }
    let pre_epochs = if start.is_some() { 0 } else { cfg.pretrain.as_ref().map_or(0, |p| p.epochs) };
    let pre_bar =
        progress::bar((k * pre_epochs) as u64, "class-epochs pretrained", a.quiet || pre_epochs == 0);
    let steps = tr.n().div_ceil(a.batch.min(tr.n()).max(1));
    let ft_bar = progress::bar((a.finetune_epochs * steps) as u64, "finetuning steps", a.quiet);
    let quiet = a.quiet;
    let observer = |e: Event<'_>| match e {
        Event::PretrainEpoch { .. } => pre_bar.inc(1),
        Event::FinetuneStep { .. } => ft_bar.inc(1),
        Event::FinetuneEpoch(r) if !quiet => progress::say(&ft_bar, epoch_line(r)),
        _ => {}
    };
    let (model, report) = match start {
        Some(m) => finetune_pretrained(a, cfg, m, tr, va, &observer)?,
        None => potential_csae::train(cfg, tr, va, &observer)?,
    };
    pre_bar.finish_and_clear();
    ft_bar.finish_and_clear();
    model.save(&a.out)?;
    summary(a.quiet, report.best_epoch.zip(report.best_valid_error), &a.out, t0);
    Ok(())
}

/// Finetuning from the class models of a `--pretrained` file (class biases reset to 0); the
/// provenance names the file.
fn finetune_pretrained(
    a: &TrainArgs,
    cfg: &CsaeConfig,
    mut m: Csae,
    tr: &Dataset,
    va: Option<&Dataset>,
    observer: &(dyn Fn(Event<'_>) + Sync),
) -> Result<(Csae, FinetuneReport)> {
    m.class_bias_mut().iter_mut().for_each(|c| *c = 0.0);
    let rep = potential_csae::finetune(&mut m, &cfg.finetune, tr, va, observer)?;
    m.set_provenance(Some(
        serde_json::json!({
            "trainer": "potential-csae",
            "version": env!("CARGO_PKG_VERSION"),
            "pretrained": a.pretrained.as_ref().map(|p| p.display().to_string()),
            "config": cfg,
            "best_epoch": rep.best_epoch,
            "best_valid_error": rep.best_valid_error,
            "epochs_run": rep.history.len(),
        })
        .to_string(),
    ));
    Ok((m, rep))
}

/// `csae train --pretrain-only`: the pretrained class models of the rows `--pretrain-on` names
/// (the training rows, or training and validation rows together), written for later
/// `--pretrained` / `--pretrained-all` runs.
fn pretrain_only(a: &TrainArgs, cfg: &CsaeConfig, rows: &Rows, t0: Instant) -> Result<()> {
    let tr = &rows.tr;
    let (all, which) = match (&rows.va, cfg.pretrain_on) {
        (Some(v), PretrainOn::All) => {
            (potential_csae::concat(tr, v)?, "training and validation rows (--pretrain-on all)")
        }
        (Some(_), PretrainOn::Train) => (tr.clone(), "the training rows only (--pretrain-on train)"),
        (None, _) => (tr.clone(), "every row (no validation rows)"),
    };
    let k = all.num_classes();
    let pre_epochs = cfg.pretrain.as_ref().map_or(0, |p| p.epochs);
    if !a.quiet {
        crate::note!(
            "CSAE pretraining only: {k} classes, {} rows of {} values ({which}); {} {} hiddens per class, \
             {pre_epochs} epochs",
            all.n(),
            all.d(),
            a.hidden,
            cfg.activation
        );
    }
    let bar = progress::bar((k * pre_epochs) as u64, "class-epochs pretrained", a.quiet || pre_epochs == 0);
    let observer = |e: Event<'_>| {
        if let Event::PretrainEpoch { .. } = e {
            bar.inc(1)
        }
    };
    let mut m = potential_csae::pretrain_csae(cfg, &all, &observer)?;
    bar.finish_and_clear();
    if let Some(mut v) = m.provenance().and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok()) {
        v["pretrained_on"] = which.into();
        m.set_provenance(Some(v.to_string()));
    }
    m.save(&a.out)?;
    if !a.quiet {
        crate::note!(
            "wrote {} (pretrained, not finetuned) in {:.1}s",
            a.out.display(),
            t0.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn point(t: &potential_csae::Trial) -> Point {
    Point { factors: None, trial: t.clone() }
}

/// The grid of a selection run: the `--grid-*` values, or the single flag value.
fn grid(a: &TrainArgs) -> Grid {
    let or = |v: &[f32], d: f32| if v.is_empty() { vec![d] } else { v.to_vec() };
    Grid {
        hidden: if a.grid_hidden.is_empty() { vec![a.hidden] } else { a.grid_hidden.clone() },
        learning_rate: or(&a.grid_lr, a.lr),
        weight_decay: or(&a.grid_weight_decay, a.weight_decay),
    }
}

/// `csae train --refit` / `--grid-*`: choose on the validation rows, then refit on all rows
/// ([`potential_csae::select_and_fit_from`], Sec. 4.4).
fn select(
    a: &TrainArgs,
    cfg: &CsaeConfig,
    tr: &Dataset,
    va: &Dataset,
    pretrained: Option<Pretrained<'_>>,
    t0: Instant,
) -> Result<()> {
    let grid = grid(a);
    let k = tr.num_classes();
    let points = grid.hidden.len() * grid.learning_rate.len() * grid.weight_decay.len();
    if !a.quiet {
        crate::note!(
            "CSAE, Sec. 4.4 protocol: {k} classes, {} training + {} validation rows of {} values, {} activation, \
             variant {}; {points} setting(s): hidden {:?}, learning rate {:?}, weight decay {:?}",
            tr.n(),
            va.n(),
            tr.d(),
            cfg.activation,
            cfg.finetune.variant,
            grid.hidden,
            grid.learning_rate,
            grid.weight_decay
        );
        crate::note!("{}", protocol_line(cfg.pretrain_on, pretrained.is_some()));
    }
    let quiet = a.quiet;
    let pre_epochs = if pretrained.is_some() { 0 } else { cfg.pretrain.as_ref().map_or(0, |p| p.epochs) };
    let pretrainings = grid.hidden.len() + usize::from(cfg.pretrain_on == PretrainOn::Train);
    let pre_bar = progress::bar(
        (k * pre_epochs * pretrainings) as u64,
        "class-epochs pretrained",
        quiet || pre_epochs == 0,
    );
    let t_phase = std::sync::Mutex::new(Instant::now());
    let observer = |e: Event<'_>| match e {
        Event::PretrainEpoch { .. } => pre_bar.inc(1),
        Event::FinetuneEpoch(r) if !quiet => progress::say(&pre_bar, format!("  {}", epoch_line(r))),
        _ => {}
    };
    let mut on_trial = |t: &potential_csae::Trial| {
        if !quiet {
            let secs = t_phase.lock().map_or(0.0, |t| t.elapsed().as_secs_f64());
            crate::note!("{} [{secs:.0}s]", point(t).trial());
            if let Ok(mut t) = t_phase.lock() {
                *t = Instant::now();
            }
        }
    };
    let (model, sel) =
        potential_csae::select_and_fit_from(cfg, &grid, tr, va, pretrained, &observer, &mut on_trial)?;
    pre_bar.finish_and_clear();
    model.save(&a.out)?;
    if !quiet {
        crate::note!("{}", point(&sel.trials[sel.best]).chosen(tr.n() + va.n(), cfg.pretrain_on));
    }
    summary(quiet, None, &a.out, t0);
    Ok(())
}

/// Refuse a run whose class models and buffers would not fit in memory ([`crate::memory`]): one
/// run ([`CsaeConfig::training_bytes`]), or a selection over the grid ([`Grid::selection_bytes`]).
fn check_memory(a: &TrainArgs, cfg: &CsaeConfig, rows: &super::Rows, threads: usize) -> Result<()> {
    let (k, d) = (rows.tr.num_classes(), rows.tr.d());
    let g = grid(a);
    let hidden = g.hidden.iter().copied().max().unwrap_or(a.hidden);
    potential_train::memory::check_shape(d, hidden)?;
    let bytes = if a.selects() {
        g.selection_bytes(cfg, k, d, rows.tr.n() + rows.va.as_ref().map_or(0, Dataset::n), threads)
    } else {
        cfg.training_bytes(k, d, rows.tr.n(), threads)
    };
    crate::memory::check(&format!("{k} class models of {d}×{hidden} and their training buffers"), bytes)
}
