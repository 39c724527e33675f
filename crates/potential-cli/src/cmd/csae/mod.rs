//! `potential csae train|eval|predict|plot`: the class-specific autoencoder classifier (Eq. 45),
//! plain (format `potential.csae`) or factored (`--factors F`, Eq. 46–50, format
//! `potential.factored-csae`). `eval`, `predict` and `plot` read either kind of file, choosing by
//! its metadata `format`.
//!
//! - [`args`]: the flags of every subcommand;
//! - [`train`] (plain), [`pretrained`] (`--pretrained` files) and [`factored`] (`--factors`): the
//!   training drivers, on what this module reads from the flags ([`configs`], [`load_rows`]);
//! - [`eval`]: `eval` and `predict`; [`plot`]: the PNGs.

pub mod args;
mod eval;
mod factored;
mod plot;
mod pretrained;
mod train;

pub use args::CsaeArgs;
use args::{CsaeCmd, TrainArgs};

use crate::error::{CliError, Result};
use potential_csae::{FinetuneConfig, FinetuneEpoch, PretrainOn};
use potential_data::Dataset;
use potential_train::{Noise, TrainConfig};
use std::path::Path;
use std::time::Instant;

/// Run `potential csae`.
pub fn run(a: CsaeArgs) -> Result<()> {
    match a.cmd {
        CsaeCmd::Train(t) => train::run(*t),
        CsaeCmd::Eval(e) => eval::eval(e),
        CsaeCmd::Predict(p) => eval::predict(p),
        CsaeCmd::Plot(p) => plot::plot(p),
    }
}

fn usage(s: impl Into<String>) -> CliError {
    CliError::Usage(s.into())
}

fn open(data: &Path, labels: Option<&Path>) -> Result<Dataset> {
    Ok(potential_data::open_dataset(data, labels)?)
}

/// The pretraining (`None` with `--no-pretrain`) and finetuning settings of `csae train`, from the
/// flags alone (checked by the library's `validate` before any data is read).
fn configs(a: &TrainArgs) -> Result<(Option<TrainConfig>, FinetuneConfig)> {
    let pretrain = (!a.no_pretrain).then(|| TrainConfig {
        epochs: a.pretrain_epochs,
        batch_size: a.batch,
        learning_rate: a.pretrain_lr,
        contractive: a.contractive.unwrap_or(0.0),
        noise: a.denoise.map(Noise::Mask),
        renormalize: a.pretrain_renormalize,
        seed: a.seed,
        ..TrainConfig::default()
    });
    let finetune = FinetuneConfig {
        epochs: a.finetune_epochs,
        batch_size: a.batch,
        learning_rate: a.lr,
        weight_decay: a.weight_decay,
        variant: a.variant.into(),
        seed: a.seed,
        patience: a.patience,
        optimizer: a.optimizer.into(),
        input_mask: a.finetune_mask,
        hidden_dropout: a.finetune_dropout,
        schedule: crate::cmd::train::schedule(&a.lr_schedule)?,
        ..FinetuneConfig::default()
    };
    Ok((pretrain, finetune))
}

/// The rows of a `csae train` run: the training rows, and the validation rows (`--valid-rows`
/// held out from the data, or `--valid-data`).
struct Rows {
    tr: Dataset,
    va: Option<Dataset>,
}

/// Refuse `--refit`/`--grid-*` without validation rows (before any data is read).
fn check_selection_rows(a: &TrainArgs) -> Result<()> {
    if a.selects() && a.valid_rows == 0 && a.valid_data.is_none() {
        return Err(usage(
            "--refit and --grid-* choose on validation rows: give --valid-rows N or --valid-data X",
        ));
    }
    Ok(())
}

/// Read `--data` (and `--labels`) and split off the validation rows.
fn load_rows(a: &TrainArgs) -> Result<Rows> {
    let inputs: Vec<&Path> = [Some(a.data.as_path()), a.labels.as_deref(), a.valid_data.as_deref()]
        .into_iter()
        .chain([a.valid_labels.as_deref(), a.pretrained.as_deref(), a.pretrained_all.as_deref()])
        .flatten()
        .collect();
    crate::paths::check_output(&a.out, &inputs)?;
    let all = open(&a.data, a.labels.as_deref())?;
    if all.num_classes() < 2 && !a.pretrain_only {
        return Err(usage(format!(
            "{}: {} class in the labels: a classifier needs at least two",
            a.labels.as_deref().unwrap_or(&a.data).display(),
            all.num_classes()
        )));
    }
    Ok(if let Some(path) = &a.valid_data {
        let va = validation_file(&all, path, a.valid_labels.as_deref())?;
        Rows { tr: all, va: Some(va) }
    } else if a.valid_rows > 0 {
        let (t, v) = all.split_tail(a.valid_rows)?;
        Rows { tr: t, va: Some(v) }
    } else {
        Rows { tr: all, va: None }
    })
}

/// Validation rows read from their own file (`--valid-data`): same width as the training data,
/// labels within the training classes, which name them.
fn validation_file(tr: &Dataset, path: &Path, labels: Option<&Path>) -> Result<Dataset> {
    let va = open(path, labels)?;
    if va.d() != tr.d() {
        return Err(usage(format!(
            "--valid-data {}: rows of {} values, but the training data has {}",
            path.display(),
            va.d(),
            tr.d()
        )));
    }
    let k = tr.num_classes();
    if let Some(&bad) = va.labels().iter().find(|&&l| l as usize >= k) {
        return Err(usage(format!(
            "--valid-data {}: label {bad}, but the training data has only {k} classes",
            path.display()
        )));
    }
    let (features, labels, _) = va.into_parts();
    Ok(Dataset::new(features, labels, Some(tr.class_names().to_vec()))?)
}

/// The `(+N validation)` part of a run's first line.
fn validation_note(va: Option<&Dataset>) -> String {
    va.map_or(String::new(), |v| format!(" (+{} validation)", v.n()))
}

/// One line of finetuning progress.
fn epoch_line(r: &FinetuneEpoch) -> String {
    format!(
        "finetune epoch {:3}: loss {:.4}, train error {:.2}%{} ({:.1}s)",
        r.epoch,
        r.loss,
        100.0 * r.train_error,
        r.valid_error.map_or(String::new(), |v| format!(", validation error {:.2}%", 100.0 * v)),
        r.seconds
    )
}

/// How a selection run pretrains, for its first lines of output.
fn protocol_line(on: PretrainOn, from_files: bool) -> String {
    let source = if from_files { "from the --pretrained file(s)" } else { "pretrained" };
    match on {
        PretrainOn::Train => format!(
            "--pretrain-on train: the selection runs start {source} on the training rows only, the refit {source} \
             on train + validation"
        ),
        PretrainOn::All => format!(
            "--pretrain-on all (the paper's reading): the selection runs and the refit start {source} on train + \
             validation (validation errors are optimistic)"
        ),
    }
}

/// The end of the `chosen:` line.
fn refit_note(on: PretrainOn) -> &'static str {
    match on {
        PretrainOn::Train => " (pretrained again on them)",
        PretrainOn::All => "",
    }
}

/// What a selection point reached (`trial`), with its number of factors for a factored model.
struct Point {
    factors: Option<usize>,
    trial: potential_csae::Trial,
}

impl Point {
    /// `factors F, hidden H` or `hidden H`, each number right-aligned in `w` columns.
    fn sizes(&self, w: usize) -> String {
        let h = format!("hidden {:w$}", self.trial.hidden);
        self.factors.map_or(h.clone(), |f| format!("factors {f:w$}, {h}"))
    }

    /// The progress line of a finished point.
    fn trial(&self) -> String {
        format!(
            "{}, lr {:<8}, weight decay {:<8}: validation error {:.2}% (NLL {:.4}) at epoch {}",
            self.sizes(4),
            self.trial.learning_rate,
            self.trial.weight_decay,
            100.0 * self.trial.valid_error,
            self.trial.valid_nll,
            self.trial.best_epoch
        )
    }

    /// The `chosen:` line of the selected point, refit on `rows` rows.
    fn chosen(&self, rows: usize, on: PretrainOn) -> String {
        format!(
            "chosen: {}, lr {}, weight decay {}, {} epochs (validation error {:.2}%); refit on all {rows} rows{}",
            self.sizes(0),
            self.trial.learning_rate,
            self.trial.weight_decay,
            self.trial.best_epoch,
            100.0 * self.trial.valid_error,
            refit_note(on)
        )
    }
}

/// The last lines of a run: the kept epoch (with validation rows) and the file written.
fn summary(quiet: bool, best: Option<(usize, f64)>, out: &Path, t0: Instant) {
    if quiet {
        return;
    }
    if let Some((e, v)) = best {
        crate::note!("kept epoch {e} (validation error {:.2}%)", 100.0 * v);
    }
    crate::note!("wrote {} in {:.1}s", out.display(), t0.elapsed().as_secs_f64());
}

#[cfg(test)]
mod tests;
