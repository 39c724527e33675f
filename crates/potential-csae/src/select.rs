//! Hyperparameter selection on a validation split, then a final fit on train + validation
//! (the protocol of Sec. 4.4).

use crate::fit::{finetune, init_classes, pretrain_sink, Observer};
use crate::monitor::{ObserverSink, Sink};
use crate::training::batch::check_data;
use crate::training::select::{all_rows, check_grid, select, Protocol};
use crate::{Csae, CsaeConfig, Error, FinetuneConfig, FinetuneReport, PretrainOn, Result};
use potential_data::{Dataset, Features};
use serde::Serialize;

/// The values tried: every combination of hidden units, learning rate and weight decay.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Grid {
    /// Hidden units per class model (the paper: 100, 200, 300, 500).
    pub hidden: Vec<usize>,
    /// Finetuning learning rates.
    pub learning_rate: Vec<f32>,
    /// Finetuning weight decays.
    pub weight_decay: Vec<f32>,
}

impl Default for Grid {
    fn default() -> Self {
        Self {
            hidden: vec![100, 200, 300, 500],
            learning_rate: vec![0.01, 0.001],
            weight_decay: vec![0.0, 1e-4],
        }
    }
}

impl Grid {
    /// Peak bytes [`select_and_fit`] over this grid allocates beyond its data (`None` on
    /// overflow), for `k` classes of `visible` inputs, `rows` rows (train + validation, the refit's)
    /// and `concurrent` classes pretrained at once: a run of `base` with the largest hidden size
    /// ([`CsaeConfig::training_bytes`]) plus the best candidate's `k` class models, which the
    /// selection keeps while it tries the others. With an empty `hidden` list, `base.hidden`.
    pub fn selection_bytes(
        &self,
        base: &CsaeConfig,
        k: usize,
        visible: usize,
        rows: usize,
        concurrent: usize,
    ) -> Option<u64> {
        let hidden = self.hidden.iter().copied().max().unwrap_or(base.hidden);
        let largest = CsaeConfig { hidden, ..base.clone() };
        let kept = potential_train::memory::model_bytes(visible, hidden)?.checked_mul(k as u64)?;
        largest.training_bytes(k, visible, rows, concurrent)?.checked_add(kept)
    }
}

/// One point of the grid and what it reached on the validation set.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trial {
    /// Hidden units.
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

/// The outcome of [`select_and_fit`] (and, with [`FactoredTrial`](crate::FactoredTrial)s, of
/// [`select_and_fit_factored`](crate::select_and_fit_factored)).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Selection<T = Trial> {
    /// Every grid point, in the order tried.
    pub trials: Vec<T>,
    /// Index of the chosen trial.
    pub best: usize,
    /// The final fit on train + validation.
    pub final_fit: FinetuneReport,
}

/// Rows of `a` followed by the rows of `b` (same columns and class names).
///
/// # Errors
/// [`Error::Data`] when the column counts differ.
pub fn concat(a: &Dataset, b: &Dataset) -> Result<Dataset> {
    if a.d() != b.d() {
        return Err(Error::Data {
            what: "validation data",
            reason: format!("{} vs {} columns", b.d(), a.d()),
        });
    }
    let mut x = a.features().as_slice().to_vec();
    x.extend_from_slice(b.features().as_slice());
    let mut y = a.labels().to_vec();
    y.extend_from_slice(b.labels());
    let names = if a.num_classes() >= b.num_classes() { a.class_names() } else { b.class_names() };
    Ok(Dataset::new(Features::from_vec(x, a.n() + b.n(), a.d())?, y, Some(names.to_vec()))?)
}

/// Pretrained class models that [`select_and_fit_from`] starts from instead of pretraining.
///
/// With [`PretrainOn::Train`] these are two pretrainings with the same settings: `selection` on
/// the training rows, `refit` on train + validation. With [`PretrainOn::All`] one pretraining on
/// train + validation serves both ([`Pretrained::same`]).
#[derive(Clone, Copy, Debug)]
pub struct Pretrained<'a> {
    /// The start of every selection run (finetuning on the training rows): pretrained on the rows
    /// [`CsaeConfig::pretrain_on`] names.
    pub selection: &'a Csae,
    /// The start of the final fit on train + validation: pretrained on train + validation.
    pub refit: &'a Csae,
}

impl<'a> Pretrained<'a> {
    /// One pretraining on train + validation for both the selection and the final fit
    /// ([`PretrainOn::All`]).
    pub fn same(model: &'a Csae) -> Self {
        Self { selection: model, refit: model }
    }
}

/// Sec. 4.4: pretrain the class models (once per hidden size, on the rows `base.pretrain_on`
/// names: the training rows or train + valid), finetune every grid point on `train` with early
/// stopping on `valid`, pick the lowest validation error (then NLL), and finetune the chosen
/// configuration's models pretrained on train + valid — pretrained again for
/// [`PretrainOn::Train`], the same ones for [`PretrainOn::All`] — on train + valid for the chosen
/// number of epochs. `base` supplies everything not in the grid. `on_trial` sees each finished
/// trial.
///
/// # Errors
/// [`Error::InvalidConfig`] for an empty grid; as [`crate::train`].
pub fn select_and_fit(
    base: &CsaeConfig,
    grid: &Grid,
    train: &Dataset,
    valid: &Dataset,
    observer: Observer<'_>,
    on_trial: &mut dyn FnMut(&Trial),
) -> Result<(Csae, Selection)> {
    select_and_fit_from(base, grid, train, valid, None, observer, on_trial)
}

/// [`select_and_fit`], optionally starting from the class models of `pretrained` (e.g. written
/// by earlier runs of [`pretrain_csae`] with the same pretraining) instead of pretraining: the
/// selection runs from [`Pretrained::selection`], the final fit from [`Pretrained::refit`].
/// `base.pretrain` is then ignored, the grid's hidden sizes must be the models', and their
/// activation, output kind, input width and class names must fit `base` and the data. Their class
/// biases are reset to 0. Which rows they were pretrained on is the caller's responsibility (see
/// [`Pretrained`]).
///
/// # Errors
/// [`Error::InvalidConfig`] for an empty grid or a `pretrained` model that does not fit; as
/// [`crate::train`].
pub fn select_and_fit_from(
    base: &CsaeConfig,
    grid: &Grid,
    train: &Dataset,
    valid: &Dataset,
    pretrained: Option<Pretrained<'_>>,
    observer: Observer<'_>,
    on_trial: &mut dyn FnMut(&Trial),
) -> Result<(Csae, Selection)> {
    base.validate()?;
    let lists = [grid.hidden.len(), grid.learning_rate.len(), grid.weight_decay.len()];
    check_grid(grid, &lists, &base.finetune)?;
    let all = all_rows(train, valid)?;
    if let Some(p) = pretrained {
        check_pretrained(p.selection, base, &grid.hidden, &all)?;
        check_pretrained(p.refit, base, &grid.hidden, &all)?;
    }
    let plain = Plain { base, pretrained, observer };
    let c = select(
        &plain,
        &grid.hidden,
        &grid.learning_rate,
        &grid.weight_decay,
        &base.finetune,
        base.pretrain_on,
        (train, valid, &all),
        &mut |p| on_trial(&trial(p)),
    )?;
    let trials: Vec<Trial> = c.points.iter().map(trial).collect();
    let mut model = c.model;
    let cfg = CsaeConfig { hidden: trials[c.best].hidden, finetune: c.finetune, ..base.clone() };
    model.set_provenance(Some(
        serde_json::json!({
            "trainer": "potential-csae",
            "version": env!("CARGO_PKG_VERSION"),
            "protocol": protocol(base.pretrain_on),
            "config": cfg,
            "trials": trials,
        })
        .to_string(),
    ));
    Ok((model, Selection { trials, best: c.best, final_fit: c.final_fit }))
}

fn trial(p: &crate::training::select::Point<usize>) -> Trial {
    Trial {
        hidden: p.size,
        learning_rate: p.learning_rate,
        weight_decay: p.weight_decay,
        valid_error: p.valid_error,
        valid_nll: p.valid_nll,
        best_epoch: p.best_epoch,
    }
}

/// The plain CSAE under the selection protocol: sizes are hidden units; the starts are
/// pretrained (or taken from `pretrained`, class biases reset to 0).
struct Plain<'a> {
    base: &'a CsaeConfig,
    pretrained: Option<Pretrained<'a>>,
    observer: Observer<'a>,
}

impl Plain<'_> {
    fn config(&self, hidden: usize) -> CsaeConfig {
        CsaeConfig { hidden, ..self.base.clone() }
    }
}

/// A copy of `m` with its class biases reset to 0.
fn unfinetuned(m: &Csae) -> Csae {
    let mut m = m.clone();
    m.class_bias_mut().iter_mut().for_each(|c| *c = 0.0);
    m
}

impl Protocol for Plain<'_> {
    type Model = Csae;
    type Size = usize;

    fn start(&self, hidden: usize, rows: &Dataset) -> Result<Csae> {
        let cfg = self.config(hidden);
        cfg.validate()?;
        match self.pretrained {
            Some(p) => Ok(unfinetuned(p.selection)),
            None => pretrain_csae(&cfg, rows, self.observer),
        }
    }

    fn refit_start(&self, hidden: usize, all: &Dataset, kept: Option<Csae>) -> Result<Csae> {
        match (self.pretrained, kept) {
            (Some(p), _) => Ok(unfinetuned(p.refit)),
            (None, Some(m)) => Ok(m),
            (None, None) => pretrain_csae(&self.config(hidden), all, self.observer),
        }
    }

    fn finetune(
        &self,
        model: &mut Csae,
        cfg: &FinetuneConfig,
        train: &Dataset,
        valid: Option<&Dataset>,
    ) -> Result<FinetuneReport> {
        finetune(model, cfg, train, valid, self.observer)
    }
}

/// The protocol a selection run records in its model's provenance.
pub(crate) fn protocol(pretrain_on: PretrainOn) -> &'static str {
    match pretrain_on {
        PretrainOn::Train => {
            "select on validation (pretrained on the training rows), refit on train+validation (pretrained again there) (Sec. 4.4)"
        }
        PretrainOn::All => "select on validation, refit on train+validation (Sec. 4.4)",
    }
}

/// The class models of `cfg` before finetuning, as a CSAE with zero class biases: each class's
/// autoencoder pretrained on its own rows of `data` (or initialised, without `cfg.pretrain`).
/// [`select_and_fit_from`] and [`crate::finetune`] start from it, so one pretraining can serve many
/// finetuning runs. Its provenance records the configuration and the number of rows (`rows`).
///
/// # Errors
/// As [`crate::train`].
pub fn pretrain_csae(cfg: &CsaeConfig, data: &Dataset, observer: Observer<'_>) -> Result<Csae> {
    pretrain_csae_sink(cfg, data, &ObserverSink(observer))
}

/// [`pretrain_csae`] sending its events to `sink`; [`Error::Interrupted`] when it says stop.
pub(crate) fn pretrain_csae_sink(cfg: &CsaeConfig, data: &Dataset, sink: &dyn Sink) -> Result<Csae> {
    cfg.validate()?;
    let k = data.num_classes();
    check_data("training data", data, data.d(), k)?;
    let classes = match &cfg.pretrain {
        Some(p) => pretrain_sink(data, k, cfg, p, sink)?,
        None => init_classes(data, k, cfg)?,
    };
    let mut m = Csae::new(classes, data.class_names().to_vec(), vec![0.0; k])?;
    m.set_provenance(Some(
        serde_json::json!({
            "trainer": "potential-csae",
            "version": env!("CARGO_PKG_VERSION"),
            "stage": "pretrained class models, class biases 0 (not finetuned)",
            "rows": data.n(),
            "config": cfg,
        })
        .to_string(),
    ));
    Ok(m)
}

/// Whether a pretrained CSAE can start finetuning for `cfg` (with these hidden sizes) on `data`:
/// same hidden size, activation, output kind, input width and class names.
///
/// # Errors
/// [`Error::InvalidConfig`] naming what differs.
pub fn check_pretrained(m: &Csae, cfg: &CsaeConfig, hidden: &[usize], data: &Dataset) -> Result<()> {
    let bad = |what: String| Err(crate::config::bad("pretrained", what, "does not fit the run"));
    let h = m.class_model(0).hidden();
    if hidden.iter().any(|&x| x != h) {
        return bad(format!("{h} hiddens per class, but the run asks for {hidden:?}"));
    }
    if m.activation() != cfg.activation || m.output() != cfg.output {
        return bad(format!(
            "{} activation, {:?} output, but the run asks for {}, {:?}",
            m.activation(),
            m.output(),
            cfg.activation,
            cfg.output
        ));
    }
    if m.visible() != data.d() || m.class_names() != data.class_names() {
        return bad(format!(
            "{} inputs, classes {:?}, but the data has {} and {:?}",
            m.visible(),
            m.class_names(),
            data.d(),
            data.class_names()
        ));
    }
    Ok(())
}
