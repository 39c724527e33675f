//! `--pretrained` and `--pretrained-all`: class models pretrained by earlier `--pretrain-only`
//! runs, loaded and checked against the run (settings, and the rows they were pretrained on).

use super::args::TrainArgs;
use super::usage;
use crate::error::Result;
use potential_csae::{Csae, CsaeConfig, PretrainOn};
use potential_data::Dataset;
use std::path::Path;

/// The number of rows a pretrained file's class models saw, from its provenance (`rows`, recorded
/// by `--pretrain-only` since `--pretrain-on` exists); `None` for older files, which hold the
/// pretraining on every row of their data (training and validation rows).
fn pretrained_rows(m: &Csae) -> Option<usize> {
    let v: serde_json::Value = serde_json::from_str(m.provenance()?).ok()?;
    v.get("rows")?.as_u64().and_then(|n| usize::try_from(n).ok())
}

/// The pretraining settings a file records (`config` of its provenance): what `--pretrained` and
/// `--pretrained-all` must share.
fn pretraining_settings(m: &Csae) -> Option<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_str(m.provenance()?).ok()?;
    let c = v.get("config")?;
    let keys = ["pretrain", "seed", "init_scale", "hidden", "activation", "output"];
    Some(serde_json::Value::Object(
        keys.iter().map(|&k| (k.to_owned(), c.get(k).cloned().unwrap_or_default())).collect(),
    ))
}

/// Which combinations of `--pretrained-all`, `--pretrain-on` and a selection make sense.
fn check_combination(a: &TrainArgs, train_only: bool) -> Result<()> {
    match &a.pretrained_all {
        Some(_) if !a.selects() => {
            Err(usage("--pretrained-all starts the refit of --refit / --grid-*: this run does not refit"))
        }
        Some(_) if !train_only => Err(usage(
            "--pretrained-all: with --pretrain-on all, --pretrained (pretrained on train + validation) starts \
             both the selection runs and the refit; give it alone",
        )),
        None if train_only && a.selects() => Err(usage(
            "--pretrain-on train: the selection runs start from --pretrained (pretrained on the training rows, \
             --pretrain-only --pretrain-on train) and the refit from --pretrained-all (pretrained on train + \
             validation, --pretrain-only --pretrain-on all); give both files, or --pretrain-on all for the \
             paper's reading (one pretraining on train + validation for both)",
        )),
        _ => Ok(()),
    }
}

/// What every pretrained file must fit: the run's configuration, hidden sizes and training rows,
/// and the number of training and validation rows together (`all_rows`).
struct Expected<'a> {
    cfg: &'a CsaeConfig,
    hidden: &'a [usize],
    tr: &'a Dataset,
    all_rows: usize,
}

impl Expected<'_> {
    /// Load the file `path` given with `flag`: it must fit the run and hold a pretraining on `want`
    /// rows (`role` says what for, in the error).
    fn load(&self, flag: &str, path: &Path, want: usize, role: &str) -> Result<Csae> {
        let m = Csae::load(path)?;
        // Width and class names are the training rows' (validation rows share them), so the
        // check needs no copy of train + validation.
        potential_csae::check_pretrained(&m, self.cfg, self.hidden, self.tr)
            .map_err(|e| usage(format!("{flag} {}: {e}", path.display())))?;
        let rows = pretrained_rows(&m);
        // A file without a row count holds the pretraining on all rows of its data.
        if rows.map_or(want != self.all_rows, |r| r != want) {
            let got = rows.map_or_else(
                || "written before --pretrain-on, it holds a pretraining on training and validation rows together".to_owned(),
                |r| format!("pretrained on {r} rows"),
            );
            return Err(usage(format!("{flag} {}: {got}, but {role}", path.display())));
        }
        Ok(m)
    }
}

/// `--pretrained` and `--pretrained-all`, loaded and checked against the run. What a file means:
/// `--pretrained` starts finetuning on the training rows, so it must hold a pretraining on the
/// rows `--pretrain-on` names (the training rows for `train`, train + validation for `all`);
/// `--pretrained-all` starts the refit of a `--pretrain-on train` selection run on train +
/// validation. Both are checked by the row count the file records.
pub(super) fn files(
    a: &TrainArgs,
    cfg: &CsaeConfig,
    tr: &Dataset,
    va: Option<&Dataset>,
) -> Result<(Option<Csae>, Option<Csae>)> {
    let Some(path) = &a.pretrained else { return Ok((None, None)) };
    let train_only = cfg.pretrain_on == PretrainOn::Train;
    check_combination(a, train_only)?;
    let hidden = if a.grid_hidden.is_empty() { vec![a.hidden] } else { a.grid_hidden.clone() };
    let all_rows = tr.n() + va.map_or(0, Dataset::n);
    let expected = Expected { cfg, hidden: &hidden, tr, all_rows };
    let role = if va.is_none() {
        format!("this run finetunes on {} rows without validation rows", tr.n())
    } else if train_only {
        format!(
            "with --pretrain-on train finetuning on the training rows starts from a pretraining on those {} rows \
             only (--pretrain-only --pretrain-on train)",
            tr.n()
        )
    } else {
        format!(
            "with --pretrain-on all finetuning starts from a pretraining on train + validation ({all_rows} rows, \
             --pretrain-only --pretrain-on all)"
        )
    };
    let start_rows = if train_only && va.is_some() { tr.n() } else { all_rows };
    let start = expected.load("--pretrained", path, start_rows, &role)?;
    let Some(p) = &a.pretrained_all else { return Ok((Some(start), None)) };
    let role = format!(
        "the refit starts from a pretraining on train + validation ({all_rows} rows, --pretrain-only \
         --pretrain-on all)"
    );
    let refit = expected.load("--pretrained-all", p, all_rows, &role)?;
    if let (Some(x), Some(y)) = (pretraining_settings(&start), pretraining_settings(&refit)) {
        if x != y {
            return Err(usage(format!(
                "--pretrained {} and --pretrained-all {} were pretrained with different settings ({x} vs {y}): \
                 the refit's pretraining must be the selection's on more rows",
                path.display(),
                p.display()
            )));
        }
    }
    Ok((Some(start), Some(refit)))
}
