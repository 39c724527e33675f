//! `potential csae train|eval|predict|plot`: the class-specific autoencoder classifier (Eq. 45),
//! plain (format `potential.csae`) or factored (`--factors F`, Eq. 46–50, format
//! `potential.factored-csae`). `eval`, `predict` and `plot` read either kind of file, choosing by
//! its metadata `format`.

use crate::error::{CliError, Result};
use crate::progress;
use potential_activations::ActivationKind;
use potential_csae::{
    features_view, AnyCsae, Csae, CsaeConfig, Event, FactoredConfig, FactoredEvent, FinetuneConfig, Grid,
    PretrainOn, Pretrained, Variant,
};
use potential_data::Dataset;
use potential_kernels::MatRef;
use potential_models::Output;
use potential_train::{Noise, TrainConfig};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `potential csae`.
#[derive(clap::Args, Debug)]
pub struct CsaeArgs {
    /// What to do.
    #[command(subcommand)]
    pub cmd: CsaeCmd,
}

/// The `csae` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum CsaeCmd {
    /// Train a CSAE: pretrain one autoencoder per class, then finetune every parameter by the
    /// negative log of Eq. 45 (or a variant of Table 4). With --factors: the factored CSAE.
    Train(Box<TrainArgs>),
    /// Error rate, confusion matrix and per-class error on labelled data.
    Eval(EvalArgs),
    /// Predicted classes (or class probabilities with --proba) of every row.
    Predict(PredictArgs),
    /// PNGs: each class model's filters (Fig. 5, 7) and energy histograms (Fig. 3).
    Plot(PlotArgs),
}

/// `--pretrain-on`: the rows the class models are pretrained on when a run chooses on validation
/// rows (Sec. 4.4).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PretrainOnArg {
    /// The clean protocol (default): the selection runs pretrain on the training rows only; the
    /// chosen configuration is pretrained again on train + validation for the refit.
    Train,
    /// The paper's reading of Sec. 4.4 (every run before this option): one pretraining on train +
    /// validation for the selection runs and the refit; each class model then sees its class's
    /// validation rows, so validation errors are optimistic.
    All,
}

impl From<PretrainOnArg> for PretrainOn {
    fn from(a: PretrainOnArg) -> Self {
        match a {
            PretrainOnArg::Train => PretrainOn::Train,
            PretrainOnArg::All => PretrainOn::All,
        }
    }
}

/// Arguments of `potential csae train`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "EXAMPLE:\n  potential csae train --data train-images-idx3-ubyte.gz --labels train-labels-idx1-ubyte.gz \\\n    \
--activation sigmoid --hidden 500 --contractive 0.5 --valid-rows 10000 --out mnist-csae.safetensors\n\n\
FACTORED (Sec. 4.1, shared factors, all classes pretrained together with denoising):\n  \
potential csae train --data train-images-idx3-ubyte.gz --labels train-labels-idx1-ubyte.gz \\\n    \
--activation tanh --factors 500 --hidden 500 --denoise 0.5 --valid-rows 10000 --out mnist-fcsae.safetensors"
)]
pub struct TrainArgs {
    /// Training data [n, D] (.npy, IDX raw or .gz, .amat, digits CSV).
    #[arg(long, value_name = "X")]
    pub data: PathBuf,
    /// Labels (default: inside the data file or its companion labels file).
    #[arg(long, value_name = "Y")]
    pub labels: Option<PathBuf>,
    /// Hidden activation of every class model.
    #[arg(long, default_value = "sigmoid")]
    pub activation: String,
    /// Hidden units per class.
    #[arg(long, default_value_t = 100)]
    pub hidden: usize,
    /// Train a factored CSAE (Eq. 46–50) with F shared factors: class j's weight is
    /// Wˣ diag(Wᶠⱼ) Wʰ; pretraining runs on all classes together (use --denoise, not --contractive).
    #[arg(long, value_name = "F")]
    pub factors: Option<usize>,
    /// Output kind of the class models: real (squared error) or binary (cross-entropy; data in [0, 1]).
    #[arg(long, default_value = "real", value_parser = ["real", "binary"])]
    pub output: String,
    /// Contractive penalty λ of pretraining (Eq. 40).
    #[arg(long, value_name = "L", conflicts_with = "denoise")]
    pub contractive: Option<f32>,
    /// Denoising corruption of pretraining (zero-masking probability).
    #[arg(long, value_name = "P")]
    pub denoise: Option<f32>,
    /// Pretraining epochs per class.
    #[arg(long, default_value_t = 10)]
    pub pretrain_epochs: usize,
    /// Pretraining learning rate.
    #[arg(long, default_value_t = 0.01)]
    pub pretrain_lr: f32,
    /// Rescale each class model's filters to their mean norm after every pretraining step (the
    /// optional stabiliser of Sec. 4.3). Plain CSAE only.
    #[arg(long)]
    pub pretrain_renormalize: bool,
    /// Finetuning epochs.
    #[arg(long, default_value_t = 20)]
    pub finetune_epochs: usize,
    /// Finetuning learning rate.
    #[arg(long, default_value_t = 0.01)]
    pub lr: f32,
    /// Finetuning learning-rate schedule per epoch: `constant`, `exp:GAMMA` (lr·GAMMA^epoch) or
    /// `inv:TAU` (lr/(1 + epoch/TAU)). With --refit the final fit follows the same schedule.
    #[arg(long, value_name = "S", default_value = "constant")]
    pub lr_schedule: String,
    /// L2 weight decay on every class's W during finetuning.
    #[arg(long, default_value_t = 0.0)]
    pub weight_decay: f32,
    /// Minibatch size (pretraining and finetuning).
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    /// What finetuning optimises (Table 4).
    #[arg(long, default_value = "log", value_parser = ["log", "hinge", "normalize-only", "energies"])]
    pub variant: String,
    /// Skip pretraining (random initialisation; only with --variant log or hinge).
    #[arg(long)]
    pub no_pretrain: bool,
    /// Finetuning update rule: the paper's momentum SGD, or Adam (β₁ = 0.9, β₂ = 0.999; use a
    /// smaller --lr, e.g. 0.003).
    #[arg(long, default_value = "momentum", value_parser = ["momentum", "adam"])]
    pub optimizer: String,
    /// Zero-masking probability of the inputs during finetuning (not in the paper; 0.2 regularises
    /// well on MNIST). Plain CSAE only.
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub finetune_mask: f32,
    /// Hidden-unit dropout during finetuning: each class model's hidden units are dropped with
    /// probability P in every training row and the kept ones scaled by 1/(1 − P), so the expected
    /// energy is Eq. 45's (not in the paper). On MNIST it hurt: the noise of a sum of 500 masked
    /// terms swamps the class logits (RESULTS.md). Plain CSAE only.
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub finetune_dropout: f32,
    /// Initial weights uniform on ±S·√(6/(H+D)); 4 is Glorot & Bengio's sigmoid bound (too
    /// saturated for tied autoencoders on pixels), 1 the plain Glorot bound. Plain CSAE only.
    #[arg(long, value_name = "S", default_value_t = 1.0)]
    pub init_scale: f32,
    /// Stop after pretraining and write the pretrained class models (class biases 0) to --out,
    /// pretrained on the rows --pretrain-on names: with --valid-rows/--valid-data on the training
    /// rows only (train) or on training and validation rows together (all). Finetuning runs then
    /// start from it with --pretrained (or --pretrained-all). The file records its row count.
    /// Plain CSAE only.
    #[arg(long, conflicts_with = "pretrained")]
    pub pretrain_only: bool,
    /// Start finetuning on the training rows from the class models of this file (written by
    /// --pretrain-only with the same --pretrain-on and validation rows) instead of pretraining;
    /// its hidden size, activation and output kind must match --hidden, --activation and
    /// --output, and its row count the rows --pretrain-on names. With --pretrain-on train a
    /// selection run also needs --pretrained-all for its refit. Plain CSAE only.
    #[arg(long, value_name = "P.safetensors", conflicts_with = "no_pretrain")]
    pub pretrained: Option<PathBuf>,
    /// With --pretrain-on train and --refit/--grid-*: the class models the final fit on train +
    /// validation starts from, written by --pretrain-only --pretrain-on all with the same
    /// pretraining settings as --pretrained (so one pretraining on the training rows and one on
    /// train + validation serve any number of finetuning runs). Plain CSAE only.
    #[arg(long, value_name = "P.safetensors", requires = "pretrained")]
    pub pretrained_all: Option<PathBuf>,
    /// Which rows pretraining uses when the run chooses on validation rows (--refit, --grid-*),
    /// and which rows --pretrain-only pretrains on. Runs without selection pretrain on the
    /// training rows either way.
    #[arg(long, value_enum, value_name = "ROWS", default_value_t = PretrainOnArg::Train)]
    pub pretrain_on: PretrainOnArg,
    /// Hold out the last N training rows for validation: early stopping and the best epoch.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub valid_rows: usize,
    /// Validation rows from their own file instead of --valid-rows (e.g. a Larochelle set's
    /// valid_images.npy): used exactly as held-out rows would be, and with --refit they join the
    /// training rows for pretraining and the final fit.
    #[arg(long, value_name = "X", conflicts_with = "valid_rows")]
    pub valid_data: Option<PathBuf>,
    /// Labels of --valid-data (default: inside that file or its companion labels file).
    #[arg(long, value_name = "Y", requires = "valid_data")]
    pub valid_labels: Option<PathBuf>,
    /// The protocol of Sec. 4.4 (needs --valid-rows or --valid-data): pretrain (on the rows
    /// --pretrain-on names), finetune on the training part choosing the epoch (and the --grid-*
    /// values) on the validation rows, then finetune the chosen configuration's models
    /// pretrained on all rows again on all rows for the chosen number of epochs.
    #[arg(long)]
    pub refit: bool,
    /// Numbers of factors to choose from on the validation rows (with --factors; implies --refit).
    #[arg(long, value_name = "F,...", value_delimiter = ',', num_args = 1..)]
    pub grid_factors: Vec<usize>,
    /// Hidden sizes to choose from on the validation rows (implies --refit), e.g. 100,200,300,500.
    #[arg(long, value_name = "H,...", value_delimiter = ',', num_args = 1..)]
    pub grid_hidden: Vec<usize>,
    /// Finetuning learning rates to choose from (implies --refit).
    #[arg(long, value_name = "LR,...", value_delimiter = ',', num_args = 1..)]
    pub grid_lr: Vec<f32>,
    /// Weight decays to choose from (implies --refit).
    #[arg(long, value_name = "WD,...", value_delimiter = ',', num_args = 1..)]
    pub grid_weight_decay: Vec<f32>,
    /// Finetuning patience in epochs (with --valid-rows).
    #[arg(long)]
    pub patience: Option<usize>,
    /// Seed of everything random.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Output model file (safetensors, format potential.csae or, with --factors,
    /// potential.factored-csae), written atomically.
    #[arg(long, value_name = "C.safetensors")]
    pub out: PathBuf,
    /// No progress bars or summary.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Arguments of `potential csae eval`.
#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    /// Model file.
    #[arg(long, value_name = "C.safetensors")]
    pub model: PathBuf,
    /// Data [n, D].
    #[arg(long, value_name = "X")]
    pub data: PathBuf,
    /// Labels (default: inside the data file or its companion labels file).
    #[arg(long, value_name = "Y")]
    pub labels: Option<PathBuf>,
    /// One JSON object on stdout (`error_rate` is a fraction).
    #[arg(long)]
    pub json: bool,
    /// Worker threads.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

/// Arguments of `potential csae predict`.
#[derive(clap::Args, Debug)]
pub struct PredictArgs {
    /// Model file.
    #[arg(long, value_name = "C.safetensors")]
    pub model: PathBuf,
    /// Data [n, D].
    #[arg(long, value_name = "X")]
    pub data: PathBuf,
    /// Output: `.npy` (class indices as labels, or f64 [n, K] probabilities) or `.csv`.
    #[arg(long, value_name = "P.npy|P.csv")]
    pub out: PathBuf,
    /// Write P(y = i | x) for every class instead of the predicted class.
    #[arg(long)]
    pub proba: bool,
    /// Worker threads.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

/// Arguments of `potential csae plot`.
#[derive(clap::Args, Debug)]
pub struct PlotArgs {
    /// Model file.
    #[arg(long, value_name = "C.safetensors")]
    pub model: PathBuf,
    /// Output directory (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Labelled data for the energy histograms (Fig. 3).
    #[arg(long, value_name = "X")]
    pub data: Option<PathBuf>,
    /// Labels of --data.
    #[arg(long, value_name = "Y")]
    pub labels: Option<PathBuf>,
    /// The two classes whose energies are compared, by name or index (default: the first two).
    #[arg(long, value_name = "A,B")]
    pub classes: Option<String>,
    /// Filters shown per class (the largest-norm ones).
    #[arg(long, default_value_t = 100)]
    pub filters: usize,
    /// Image width of 1-D inputs in the filter grid (default: √D when D is a square).
    #[arg(long)]
    pub width: Option<usize>,
}

/// Run `potential csae`.
pub fn run(a: CsaeArgs) -> Result<()> {
    match a.cmd {
        CsaeCmd::Train(t) => train(*t),
        CsaeCmd::Eval(e) => eval(e),
        CsaeCmd::Predict(p) => predict(p),
        CsaeCmd::Plot(p) => plot(p),
    }
}

fn usage(s: impl Into<String>) -> CliError {
    CliError::Usage(s.into())
}

fn open(data: &Path, labels: Option<&Path>) -> Result<Dataset> {
    Ok(potential_data::open_dataset(data, labels)?)
}

/// What both kinds of `csae train` read from the arguments: parsed names, the thread pool, the
/// data split into training and validation rows, and the pretraining and finetuning settings.
struct Setup {
    activation: ActivationKind,
    output: Output,
    pool: rayon::ThreadPool,
    tr: Dataset,
    va: Option<Dataset>,
    pretrain: Option<TrainConfig>,
    finetune: FinetuneConfig,
}

fn setup(a: &TrainArgs) -> Result<Setup> {
    let activation: ActivationKind = a.activation.parse().map_err(|e| usage(format!("--activation: {e}")))?;
    let output: Output = a.output.parse().map_err(|e| usage(format!("--output: {e}")))?;
    let variant: Variant = a.variant.parse()?;
    let pool = crate::threads::pool(a.threads)?;
    let all = open(&a.data, a.labels.as_deref())?;
    let (tr, va) = if let Some(path) = &a.valid_data {
        let va = validation_file(&all, path, a.valid_labels.as_deref())?;
        (all, Some(va))
    } else if a.valid_rows > 0 {
        let (t, v) = all.split_tail(a.valid_rows)?;
        (t, Some(v))
    } else {
        (all, None)
    };
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
        variant,
        seed: a.seed,
        patience: a.patience,
        optimizer: a.optimizer.parse()?,
        input_mask: a.finetune_mask,
        hidden_dropout: a.finetune_dropout,
        schedule: crate::cmd::train::schedule(&a.lr_schedule)?,
        ..FinetuneConfig::default()
    };
    Ok(Setup { activation, output, pool, tr, va, pretrain, finetune })
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

impl TrainArgs {
    /// Whether the run chooses on validation rows and refits (Sec. 4.4).
    fn selects(&self) -> bool {
        self.refit
            || !self.grid_factors.is_empty()
            || !self.grid_hidden.is_empty()
            || !self.grid_lr.is_empty()
            || !self.grid_weight_decay.is_empty()
    }
}

fn train(a: TrainArgs) -> Result<()> {
    if a.factors.is_some() {
        if a.finetune_mask != 0.0
            || a.finetune_dropout != 0.0
            || a.init_scale != 1.0
            || a.pretrain_only
            || a.pretrained.is_some()
            || a.pretrain_renormalize
        {
            return Err(usage(
                "--finetune-mask, --finetune-dropout, --init-scale, --pretrain-only, --pretrained and --pretrain-renormalize apply to the plain CSAE, not --factors",
            ));
        }
        return train_factored(a);
    }
    if !a.grid_factors.is_empty() {
        return Err(usage("--grid-factors needs --factors F"));
    }
    let t0 = Instant::now();
    let Setup { activation, output, pool, tr, va, pretrain, finetune } = setup(&a)?;
    let variant = finetune.variant;
    let cfg = CsaeConfig {
        hidden: a.hidden,
        activation,
        output,
        pretrain,
        finetune,
        seed: a.seed,
        init_scale: Some(a.init_scale),
        pretrain_on: a.pretrain_on.into(),
    };
    cfg.validate()?;
    if a.pretrain_only {
        if a.selects() || a.no_pretrain {
            return Err(usage(
                "--pretrain-only pretrains one model (--hidden) and stops: drop --refit, --grid-* and --no-pretrain",
            ));
        }
        return pretrain_only(&a, &cfg, &tr, va.as_ref(), &pool, t0);
    }
    if a.selects() && va.is_none() {
        return Err(usage(
            "--refit and --grid-* choose on validation rows: give --valid-rows N or --valid-data X",
        ));
    }
    let (pretrained, pretrained_all) = pretrained_files(&a, &cfg, &tr, va.as_ref())?;
    if let Some(va) = va.as_ref().filter(|_| a.selects()) {
        let starts = match (&pretrained, &pretrained_all) {
            (Some(s), Some(r)) => Some(Pretrained { selection: s, refit: r }),
            (Some(s), None) => Some(Pretrained::same(s)),
            _ => None,
        };
        return train_select(&a, &cfg, &tr, va, starts, &pool, t0);
    }
    let k = tr.num_classes();
    if !a.quiet {
        eprintln!(
            "CSAE: {} classes, {} training rows{} of {} values; {} {} hiddens per class, variant {}",
            k,
            tr.n(),
            va.as_ref().map_or(String::new(), |v| format!(" (+{} validation)", v.n())),
            tr.d(),
            a.hidden,
            activation,
            variant
        );
    }
    let pre_epochs = cfg.pretrain.as_ref().map_or(0, |p| p.epochs);
    let pre_bar =
        progress::bar((k * pre_epochs) as u64, "class-epochs pretrained", a.quiet || pre_epochs == 0);
    let steps = tr.n().div_ceil(a.batch.min(tr.n()).max(1));
    let ft_bar = progress::bar((a.finetune_epochs * steps) as u64, "finetuning steps", true);
    let ft_bar = if a.quiet {
        ft_bar
    } else {
        progress::bar((a.finetune_epochs * steps) as u64, "finetuning steps", false)
    };
    ft_bar.set_position(0);
    let quiet = a.quiet;
    let observer = |e: Event<'_>| match e {
        Event::PretrainEpoch { .. } => pre_bar.inc(1),
        Event::PretrainDone { .. } => {}
        Event::FinetuneStep { .. } => ft_bar.inc(1),
        Event::FinetuneEpoch(r) if !quiet => progress::say(&ft_bar, epoch_line(r)),
        _ => {}
    };
    let (model, report) = match pretrained {
        Some(mut m) => {
            m.class_bias_mut().iter_mut().for_each(|c| *c = 0.0);
            let rep = pool
                .install(|| potential_csae::finetune(&mut m, &cfg.finetune, &tr, va.as_ref(), &observer))?;
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
            (m, rep)
        }
        None => pool.install(|| potential_csae::train(&cfg, &tr, va.as_ref(), &observer))?,
    };
    pre_bar.finish_and_clear();
    ft_bar.finish_and_clear();
    model.save(&a.out)?;
    if !a.quiet {
        if let (Some(e), Some(v)) = (report.best_epoch, report.best_valid_error) {
            eprintln!("kept epoch {e} (validation error {:.2}%)", 100.0 * v);
        }
        eprintln!("wrote {} in {:.1}s", a.out.display(), t0.elapsed().as_secs_f64());
    }
    Ok(())
}

/// One line of finetuning progress.
fn epoch_line(r: &potential_csae::FinetuneEpoch) -> String {
    format!(
        "finetune epoch {:3}: loss {:.4}, train error {:.2}%{} ({:.1}s)",
        r.epoch,
        r.loss,
        100.0 * r.train_error,
        r.valid_error.map_or(String::new(), |v| format!(", validation error {:.2}%", 100.0 * v)),
        r.seconds
    )
}

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

/// `--pretrained` and `--pretrained-all`, loaded and checked against the run. What a file means:
/// `--pretrained` starts finetuning on the training rows, so it must hold a pretraining on the
/// rows `--pretrain-on` names (the training rows for `train`, train + validation for `all`);
/// `--pretrained-all` starts the refit of a `--pretrain-on train` selection run on train +
/// validation. Both are checked by the row count the file records.
fn pretrained_files(
    a: &TrainArgs,
    cfg: &CsaeConfig,
    tr: &Dataset,
    va: Option<&Dataset>,
) -> Result<(Option<Csae>, Option<Csae>)> {
    let Some(path) = &a.pretrained else { return Ok((None, None)) };
    let train_only = cfg.pretrain_on == PretrainOn::Train;
    let with_valid = va.is_some();
    match &a.pretrained_all {
        Some(_) if !a.selects() => {
            return Err(usage("--pretrained-all starts the refit of --refit / --grid-*: this run does not refit"))
        }
        Some(_) if !train_only => {
            return Err(usage(
                "--pretrained-all: with --pretrain-on all, --pretrained (pretrained on train + validation) starts \
                 both the selection runs and the refit; give it alone",
            ))
        }
        None if train_only && a.selects() => {
            return Err(usage(
                "--pretrain-on train: the selection runs start from --pretrained (pretrained on the training rows, \
                 --pretrain-only --pretrain-on train) and the refit from --pretrained-all (pretrained on train + \
                 validation, --pretrain-only --pretrain-on all); give both files, or --pretrain-on all for the \
                 paper's reading (one pretraining on train + validation for both)",
            ))
        }
        _ => {}
    }
    let hidden = if a.grid_hidden.is_empty() { vec![a.hidden] } else { a.grid_hidden.clone() };
    let all_rows = tr.n() + va.map_or(0, Dataset::n);
    let load = |flag: &str, path: &Path, want: usize, role: String| -> Result<Csae> {
        let m = Csae::load(path)?;
        // Width and class names are the training rows' (validation rows share them), so the
        // check needs no copy of train + validation.
        potential_csae::check_pretrained(&m, cfg, &hidden, tr)
            .map_err(|e| usage(format!("{flag} {}: {e}", path.display())))?;
        let rows = pretrained_rows(&m);
        // A file without a row count holds the pretraining on all rows of its data.
        if rows.map_or(want != all_rows, |r| r != want) {
            let got = rows.map_or_else(
                || "written before --pretrain-on, it holds a pretraining on training and validation rows together".to_owned(),
                |r| format!("pretrained on {r} rows"),
            );
            return Err(usage(format!("{flag} {}: {got}, but {role}", path.display())));
        }
        Ok(m)
    };
    let role = if !with_valid {
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
    let start_rows = if train_only && with_valid { tr.n() } else { all_rows };
    let start = load("--pretrained", path, start_rows, role)?;
    let refit = match &a.pretrained_all {
        Some(p) => {
            let role = format!(
                "the refit starts from a pretraining on train + validation ({all_rows} rows, --pretrain-only \
                 --pretrain-on all)"
            );
            let m = load("--pretrained-all", p, all_rows, role)?;
            if let (Some(x), Some(y)) = (pretraining_settings(&start), pretraining_settings(&m)) {
                if x != y {
                    return Err(usage(format!(
                        "--pretrained {} and --pretrained-all {} were pretrained with different settings ({x} vs {y}): \
                         the refit's pretraining must be the selection's on more rows",
                        path.display(),
                        p.display()
                    )));
                }
            }
            Some(m)
        }
        None => None,
    };
    Ok((Some(start), refit))
}

/// `csae train --pretrain-only`: the pretrained class models of the rows `--pretrain-on` names
/// (the training rows, or training and validation rows together), written for later
/// `--pretrained` / `--pretrained-all` runs.
fn pretrain_only(
    a: &TrainArgs,
    cfg: &CsaeConfig,
    tr: &Dataset,
    va: Option<&Dataset>,
    pool: &rayon::ThreadPool,
    t0: Instant,
) -> Result<()> {
    let (all, which) = match (va, cfg.pretrain_on) {
        (Some(v), PretrainOn::All) => {
            (potential_csae::concat(tr, v)?, "training and validation rows (--pretrain-on all)")
        }
        (Some(_), PretrainOn::Train) => (tr.clone(), "the training rows only (--pretrain-on train)"),
        (None, _) => (tr.clone(), "every row (no validation rows)"),
    };
    let k = all.num_classes();
    let pre_epochs = cfg.pretrain.as_ref().map_or(0, |p| p.epochs);
    if !a.quiet {
        eprintln!(
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
    let mut m = pool.install(|| potential_csae::pretrain_csae(cfg, &all, &observer))?;
    bar.finish_and_clear();
    if let Some(mut v) = m.provenance().and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok()) {
        v["pretrained_on"] = which.into();
        m.set_provenance(Some(v.to_string()));
    }
    m.save(&a.out)?;
    if !a.quiet {
        eprintln!(
            "wrote {} (pretrained, not finetuned) in {:.1}s",
            a.out.display(),
            t0.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// `csae train --refit` / `--grid-*`: choose on the validation rows, then refit on all rows
/// ([`potential_csae::select_and_fit`], Sec. 4.4).
fn train_select(
    a: &TrainArgs,
    cfg: &CsaeConfig,
    tr: &Dataset,
    va: &Dataset,
    pretrained: Option<Pretrained<'_>>,
    pool: &rayon::ThreadPool,
    t0: Instant,
) -> Result<()> {
    let or = |v: &[f32], d: f32| if v.is_empty() { vec![d] } else { v.to_vec() };
    let grid = Grid {
        hidden: if a.grid_hidden.is_empty() { vec![a.hidden] } else { a.grid_hidden.clone() },
        learning_rate: or(&a.grid_lr, a.lr),
        weight_decay: or(&a.grid_weight_decay, a.weight_decay),
    };
    let k = tr.num_classes();
    let points = grid.hidden.len() * grid.learning_rate.len() * grid.weight_decay.len();
    if !a.quiet {
        eprintln!(
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
        eprintln!("{}", protocol_line(cfg.pretrain_on, pretrained.is_some()));
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
            eprintln!(
                "hidden {:4}, lr {:<8}, weight decay {:<8}: validation error {:.2}% (NLL {:.4}) at epoch {} [{:.0}s]",
                t.hidden,
                t.learning_rate,
                t.weight_decay,
                100.0 * t.valid_error,
                t.valid_nll,
                t.best_epoch,
                t_phase.lock().map_or(0.0, |t| t.elapsed().as_secs_f64())
            );
            if let Ok(mut t) = t_phase.lock() {
                *t = Instant::now();
            }
        }
    };
    let (model, sel) = pool.install(|| {
        potential_csae::select_and_fit_from(cfg, &grid, tr, va, pretrained, &observer, &mut on_trial)
    })?;
    pre_bar.finish_and_clear();
    model.save(&a.out)?;
    if !quiet {
        let t = &sel.trials[sel.best];
        eprintln!(
            "chosen: hidden {}, lr {}, weight decay {}, {} epochs (validation error {:.2}%); refit on all {} rows{}",
            t.hidden,
            t.learning_rate,
            t.weight_decay,
            t.best_epoch,
            100.0 * t.valid_error,
            tr.n() + va.n(),
            refit_note(cfg.pretrain_on)
        );
        eprintln!("wrote {} in {:.1}s", a.out.display(), t0.elapsed().as_secs_f64());
    }
    Ok(())
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

/// `csae train --factors F`: the factored CSAE (Eq. 46–50), pretrained with denoising on all
/// classes together, then finetuned as the plain one.
fn train_factored(a: TrainArgs) -> Result<()> {
    let t0 = Instant::now();
    let factors = a.factors.unwrap_or(0);
    if a.contractive.is_some() {
        return Err(usage(
            "--contractive: the factored CSAE is pretrained with denoising (--denoise P), Sec. 4.2",
        ));
    }
    // --contractive and --finetune-mask are rejected above, so the shared setup's contraction and
    // input mask are 0 here.
    let Setup { activation, output, pool, tr, va, pretrain, finetune } = setup(&a)?;
    let variant = finetune.variant;
    let cfg = FactoredConfig {
        factors,
        hidden: a.hidden,
        activation,
        output,
        pretrain,
        finetune,
        seed: a.seed,
        pretrain_on: a.pretrain_on.into(),
    };
    cfg.validate()?;
    if a.selects() {
        let Some(va) = va.as_ref() else {
            return Err(usage(
                "--refit and --grid-* choose on validation rows: give --valid-rows N or --valid-data X",
            ));
        };
        return train_factored_select(&a, &cfg, &tr, va, &pool, t0);
    }
    let k = tr.num_classes();
    if !a.quiet {
        eprintln!(
            "factored CSAE: {} classes, {} training rows{} of {} values; {} factors, {} {} hiddens per class, \
             denoising {}, variant {}",
            k,
            tr.n(),
            va.as_ref().map_or(String::new(), |v| format!(" (+{} validation)", v.n())),
            tr.d(),
            factors,
            a.hidden,
            activation,
            a.denoise.map_or("none".to_owned(), |p| p.to_string()),
            variant
        );
    }
    let steps = tr.n().div_ceil(a.batch.min(tr.n()).max(1));
    let pre_epochs = cfg.pretrain.as_ref().map_or(0, |p| p.epochs);
    let pre_bar = progress::bar((pre_epochs * steps) as u64, "pretraining steps", a.quiet || pre_epochs == 0);
    let ft_bar = progress::bar((a.finetune_epochs * steps) as u64, "finetuning steps", a.quiet);
    let quiet = a.quiet;
    let say = progress::say;
    let observer = |e: FactoredEvent<'_>| match e {
        FactoredEvent::PretrainStep { .. } => pre_bar.inc(1),
        FactoredEvent::FinetuneStep { .. } => ft_bar.inc(1),
        FactoredEvent::PretrainEpoch(r) if !quiet => say(
            &pre_bar,
            format!(
                "pretrain epoch {:3}: loss {:.4}, reconstruction error {:.4} ({:.1}s)",
                r.epoch, r.loss, r.reconstruction_error, r.seconds
            ),
        ),
        FactoredEvent::FinetuneEpoch(r) if !quiet => say(&ft_bar, epoch_line(r)),
        _ => {}
    };
    let (model, report) =
        pool.install(|| potential_csae::train_factored(&cfg, &tr, va.as_ref(), &observer))?;
    pre_bar.finish_and_clear();
    ft_bar.finish_and_clear();
    model.save(&a.out)?;
    if !a.quiet {
        if let (Some(e), Some(v)) = (report.finetune.best_epoch, report.finetune.best_valid_error) {
            eprintln!("kept epoch {e} (validation error {:.2}%)", 100.0 * v);
        }
        eprintln!("wrote {} in {:.1}s", a.out.display(), t0.elapsed().as_secs_f64());
    }
    Ok(())
}

/// `csae train --factors F --refit` / `--grid-*`: Sec. 4.4 for the factored CSAE
/// ([`potential_csae::select_and_fit_factored`]).
fn train_factored_select(
    a: &TrainArgs,
    cfg: &FactoredConfig,
    tr: &Dataset,
    va: &Dataset,
    pool: &rayon::ThreadPool,
    t0: Instant,
) -> Result<()> {
    let or = |v: &[f32], d: f32| if v.is_empty() { vec![d] } else { v.to_vec() };
    let oru = |v: &[usize], d: usize| if v.is_empty() { vec![d] } else { v.to_vec() };
    let grid = potential_csae::FactoredGrid {
        factors: oru(&a.grid_factors, cfg.factors),
        hidden: oru(&a.grid_hidden, cfg.hidden),
        learning_rate: or(&a.grid_lr, a.lr),
        weight_decay: or(&a.grid_weight_decay, a.weight_decay),
    };
    let quiet = a.quiet;
    if !quiet {
        eprintln!(
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
        eprintln!("{}", protocol_line(cfg.pretrain_on, false));
    }
    let observer = |e: FactoredEvent<'_>| match e {
        FactoredEvent::PretrainEpoch(r) if !quiet => eprintln!(
            "  pretrain epoch {:3}: loss {:.4}, reconstruction error {:.4} ({:.1}s)",
            r.epoch, r.loss, r.reconstruction_error, r.seconds
        ),
        FactoredEvent::FinetuneEpoch(r) if !quiet => eprintln!("  {}", epoch_line(r)),
        _ => {}
    };
    let mut on_trial = |t: &potential_csae::FactoredTrial| {
        if !quiet {
            eprintln!(
                "factors {:4}, hidden {:4}, lr {:<8}, weight decay {:<8}: validation error {:.2}% (NLL {:.4}) at epoch {}",
                t.factors,
                t.hidden,
                t.learning_rate,
                t.weight_decay,
                100.0 * t.valid_error,
                t.valid_nll,
                t.best_epoch
            );
        }
    };
    let (model, sel) = pool
        .install(|| potential_csae::select_and_fit_factored(cfg, &grid, tr, va, &observer, &mut on_trial))?;
    model.save(&a.out)?;
    if !quiet {
        let t = &sel.trials[sel.best];
        eprintln!(
            "chosen: factors {}, hidden {}, lr {}, weight decay {}, {} epochs (validation error {:.2}%); refit on all {} rows{}",
            t.factors,
            t.hidden,
            t.learning_rate,
            t.weight_decay,
            t.best_epoch,
            100.0 * t.valid_error,
            tr.n() + va.n(),
            refit_note(cfg.pretrain_on)
        );
        eprintln!("wrote {} in {:.1}s", a.out.display(), t0.elapsed().as_secs_f64());
    }
    Ok(())
}

fn check_dim(model: &AnyCsae, path: &Path, d: usize) -> Result<()> {
    if d != model.visible() {
        return Err(usage(format!(
            "{}: rows have {d} values but the classifier expects {}",
            path.display(),
            model.visible()
        )));
    }
    Ok(())
}

fn eval(a: EvalArgs) -> Result<()> {
    let pool = crate::threads::pool(a.threads)?;
    let model = AnyCsae::load(&a.model)?;
    let data = open(&a.data, a.labels.as_deref())?;
    check_dim(&model, &a.data, data.d())?;
    let ev = pool.install(|| model.evaluate(features_view(&data), data.labels()))?;
    if a.json {
        let v = serde_json::json!({
            "model": a.model.display().to_string(),
            "format": model.format(),
            "data": a.data.display().to_string(),
            "classes": model.class_names(),
            "n": ev.n,
            "errors": ev.errors,
            "error_rate": ev.error_rate,
            "mean_nll": ev.mean_nll,
            "per_class_error": ev.per_class_error,
            "confusion": ev.confusion,
        });
        println!("{v}");
        return Ok(());
    }
    println!(
        "error rate {:.2}% ({} of {} rows), mean −log P(y|x) {:.4}",
        100.0 * ev.error_rate,
        ev.errors,
        ev.n,
        ev.mean_nll
    );
    let names = model.class_names();
    let w = names.iter().map(|s| s.len()).max().unwrap_or(1).max(5);
    println!("confusion (rows: true class, columns: predicted):");
    print!("{:>w$} ", "");
    for n in names {
        print!("{n:>w$} ");
    }
    println!(" error");
    for (t, row) in ev.confusion.iter().enumerate() {
        print!("{:>w$} ", names[t]);
        for c in row {
            print!("{c:>w$} ");
        }
        match ev.per_class_error[t] {
            Some(e) => println!(" {:.2}%", 100.0 * e),
            None => println!("  -"),
        }
    }
    Ok(())
}

fn predict(a: PredictArgs) -> Result<()> {
    let ext = a.out.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase());
    let csv = match ext.as_deref() {
        Some("npy") => false,
        Some("csv") => true,
        _ => return Err(usage(format!("--out {}: use a .npy or .csv file name", a.out.display()))),
    };
    let pool = crate::threads::pool(a.threads)?;
    let model = AnyCsae::load(&a.model)?;
    let x = potential_data::open_features(&a.data)?;
    check_dim(&model, &a.data, x.d())?;
    let xv = MatRef::from_row_major(x.as_slice(), x.n(), x.d());
    let k = model.num_classes();
    let io = |source| CliError::Io { path: a.out.clone(), source };
    if a.proba {
        let p = pool.install(|| model.predict_proba(xv))?;
        if csv {
            let mut s = String::from("index");
            for n in model.class_names() {
                s.push_str(&format!(",p_{n}"));
            }
            s.push('\n');
            for (i, r) in p.chunks_exact(k).enumerate() {
                s.push_str(&i.to_string());
                for v in r {
                    s.push_str(&format!(",{v}"));
                }
                s.push('\n');
            }
            write_atomic(&a.out, s.as_bytes()).map_err(io)?;
        } else {
            potential_data::write_npy_f64(&a.out, &p, &[x.n(), k])?;
        }
    } else {
        let y = pool.install(|| model.predict(xv))?;
        if csv {
            let mut s = String::from("index,class,name\n");
            for (i, &c) in y.iter().enumerate() {
                s.push_str(&format!("{i},{c},{}\n", model.class_names()[c as usize]));
            }
            write_atomic(&a.out, s.as_bytes()).map_err(io)?;
        } else {
            potential_data::write_npy_labels(&a.out, &y)?;
        }
    }
    eprintln!("wrote {} ({} rows)", a.out.display(), x.n());
    Ok(())
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new().prefix(".potential-").suffix(".tmp").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Plots

/// An RGB canvas.
struct Canvas {
    w: usize,
    h: usize,
    px: Vec<[u8; 3]>,
}

/// 3×5 bitmap digits (rows top to bottom, 3 bits each, MSB = left).
const GLYPHS: [[u8; 5]; 10] = [
    [7, 5, 5, 5, 7],
    [2, 6, 2, 2, 7],
    [7, 1, 7, 4, 7],
    [7, 1, 7, 1, 7],
    [5, 5, 7, 1, 1],
    [7, 4, 7, 1, 7],
    [7, 4, 7, 5, 7],
    [7, 1, 1, 1, 1],
    [7, 5, 7, 5, 7],
    [7, 5, 7, 1, 7],
];

impl Canvas {
    fn new(w: usize, h: usize, bg: [u8; 3]) -> Self {
        Self { w, h, px: vec![bg; w * h] }
    }
    fn set(&mut self, x: usize, y: usize, c: [u8; 3]) {
        if x < self.w && y < self.h {
            self.px[y * self.w + x] = c;
        }
    }
    fn rect(&mut self, x0: usize, y0: usize, w: usize, h: usize, c: [u8; 3]) {
        for y in y0..y0 + h {
            for x in x0..x0 + w {
                self.set(x, y, c);
            }
        }
    }
    /// A number drawn with the 3×5 digits, each pixel `scale`² screen pixels.
    fn number(&mut self, x0: usize, y0: usize, n: usize, scale: usize, c: [u8; 3]) {
        for (i, ch) in n.to_string().bytes().enumerate() {
            let g = GLYPHS[(ch - b'0') as usize];
            for (r, bits) in g.iter().enumerate() {
                for col in 0..3 {
                    if bits >> (2 - col) & 1 == 1 {
                        self.rect(x0 + (i * 4 + col) * scale, y0 + r * scale, scale, scale, c);
                    }
                }
            }
        }
    }
    fn save(&self, path: &Path) -> Result<()> {
        let io = |source: std::io::Error| CliError::Io { path: path.to_owned(), source };
        let mut buf = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut buf, self.w as u32, self.h as u32);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut wr = enc.write_header().map_err(|e| io(std::io::Error::other(e)))?;
            let data: Vec<u8> = self.px.iter().flatten().copied().collect();
            wr.write_image_data(&data).map_err(|e| io(std::io::Error::other(e)))?;
        }
        write_atomic(path, &buf).map_err(io)
    }
}

fn plot(a: PlotArgs) -> Result<()> {
    let any = AnyCsae::load(&a.model)?;
    std::fs::create_dir_all(&a.out).map_err(|source| CliError::Io { path: a.out.clone(), source })?;
    // A factored model plots its materialised class filters (Eq. 50) and its shared factors.
    let model = any.to_csae()?;
    let d = model.visible();
    let side = (d as f64).sqrt().round() as usize;
    let (iw, ih) = match a.width {
        Some(w) if w > 0 && d % w == 0 => (w, d / w),
        Some(w) => return Err(usage(format!("--width {w} does not divide the input size {d}"))),
        None if side * side == d => (side, side),
        None => (d, 1),
    };
    let mut written = Vec::new();
    for (c, m) in model.class_models().iter().enumerate() {
        let path = a.out.join(format!("filters_class{c}.png"));
        filter_grid(m.weight(), m.hidden(), d, iw, ih, a.filters, &m.filter_norms_sq()).save(&path)?;
        written.push(path);
    }
    if let AnyCsae::Factored(fm) = &any {
        // Column c of Wˣ [D, F] is factor c's input filter (the shared features of Fig. 7).
        let f = fm.factors();
        let wx = fm.input_factors();
        let cols: Vec<f32> = (0..f).flat_map(|c| (0..d).map(move |i| wx[i * f + c])).collect();
        let norms: Vec<f64> =
            cols.chunks_exact(d).map(|c| c.iter().map(|&v| (v as f64).powi(2)).sum()).collect();
        let path = a.out.join("factors.png");
        filter_grid(&cols, f, d, iw, ih, a.filters, &norms).save(&path)?;
        written.push(path);
    }
    if let Some(data) = &a.data {
        let ds = open(data, a.labels.as_deref())?;
        check_dim(&any, data, ds.d())?;
        let names = model.class_names();
        let pick = |s: &str| -> Result<usize> {
            names
                .iter()
                .position(|n| n == s)
                .or_else(|| s.parse::<usize>().ok().filter(|&i| i < names.len()))
                .ok_or_else(|| usage(format!("--classes: no class {s:?} (classes: {})", names.join(","))))
        };
        let (ca, cb) = match &a.classes {
            Some(s) => {
                let parts: Vec<&str> = s.split(',').collect();
                if parts.len() != 2 {
                    return Err(usage("--classes takes two classes, e.g. --classes 3,5"));
                }
                (pick(parts[0])?, pick(parts[1])?)
            }
            None => (0, 1.min(names.len() - 1)),
        };
        let e = any.energies(features_view(&ds))?;
        let k = model.num_classes();
        let path = a.out.join(format!("energies_{ca}_vs_{cb}.png"));
        energy_histograms(&e, k, ds.labels(), ca as u32, cb as u32).save(&path)?;
        written.push(path);
    }
    for p in &written {
        eprintln!("wrote {}", p.display());
    }
    Ok(())
}

/// Filters as a grid of images, each scaled to its own ±max (grey = 0, white positive, black
/// negative), the `count` largest-norm filters first.
fn filter_grid(w: &[f32], h: usize, d: usize, iw: usize, ih: usize, count: usize, norms: &[f64]) -> Canvas {
    let mut order: Vec<usize> = (0..h).collect();
    order.sort_by(|&a, &b| norms[b].total_cmp(&norms[a]));
    order.truncate(count.max(1));
    let n = order.len();
    let cols = (n as f64).sqrt().ceil() as usize;
    let rows = n.div_ceil(cols);
    let scale = if iw * ih <= 100 {
        8
    } else if iw <= 32 {
        3
    } else {
        1
    };
    let (cw, chh) = (iw * scale + 2, ih * scale + 2);
    let mut cv = Canvas::new(cols * cw + 2, rows * chh + 2, [40, 40, 60]);
    for (slot, &k) in order.iter().enumerate() {
        let f = &w[k * d..(k + 1) * d];
        let m = f.iter().fold(0.0f32, |m, &v| m.max(v.abs())).max(1e-12);
        let (ox, oy) = (2 + (slot % cols) * cw, 2 + (slot / cols) * chh);
        for (j, &v) in f.iter().enumerate() {
            let g = (127.5 + 127.5 * v / m).round().clamp(0.0, 255.0) as u8;
            cv.rect(ox + (j % iw) * scale, oy + (j / iw) * scale, scale, scale, [g, g, g]);
        }
    }
    cv
}

/// One panel per class model i: histograms of Eᵢ(x) over the rows of class `a` (orange) and of
/// class `b` (blue), on a common energy axis per panel; the panel's class index in the corner
/// (green when i is a or b). Fig. 3 of the paper.
fn energy_histograms(e: &[f64], k: usize, labels: &[u32], a: u32, b: u32) -> Canvas {
    const PW: usize = 260;
    const PH: usize = 160;
    const BINS: usize = 40;
    let cols = k.min(4);
    let rows = k.div_ceil(cols);
    let mut cv = Canvas::new(cols * (PW + 10) + 10, rows * (PH + 10) + 10, [255, 255, 255]);
    let (ca, cb) = ([230u8, 120, 20], [30u8, 90, 200]);
    for i in 0..k {
        let (ox, oy) = (10 + (i % cols) * (PW + 10), 10 + (i / cols) * (PH + 10));
        cv.rect(ox, oy, PW, PH, [245, 245, 245]);
        let vals = |c: u32| -> Vec<f64> {
            labels.iter().enumerate().filter(|(_, &l)| l == c).map(|(r, _)| e[r * k + i]).collect()
        };
        let (va, vb) = (vals(a), vals(b));
        let lo = va.iter().chain(&vb).copied().fold(f64::INFINITY, f64::min);
        let hi = va.iter().chain(&vb).copied().fold(f64::NEG_INFINITY, f64::max);
        if !(lo.is_finite() && hi.is_finite()) {
            continue;
        }
        let span = (hi - lo).max(1e-9);
        let hist = |v: &[f64]| {
            let mut hgram = [0usize; BINS];
            for &x in v {
                hgram[(((x - lo) / span) * BINS as f64).floor().clamp(0.0, (BINS - 1) as f64) as usize] += 1;
            }
            hgram
        };
        let (ha, hb) = (hist(&va), hist(&vb));
        let top = ha.iter().chain(&hb).copied().max().unwrap_or(1).max(1);
        let bw = PW / BINS;
        let base = oy + PH - 4;
        for bin in 0..BINS {
            for (hg, col, off) in [(&ha, ca, 0usize), (&hb, cb, bw / 2)] {
                let hpx = hg[bin] * (PH - 30) / top;
                cv.rect(ox + bin * bw + off, base - hpx, bw / 2, hpx, col);
            }
        }
        cv.rect(ox, base, PW, 1, [0, 0, 0]);
        let label = if i as u32 == a || i as u32 == b { [0, 150, 0] } else { [0, 0, 0] };
        cv.number(ox + 4, oy + 4, i, 3, label);
    }
    cv
}

#[cfg(test)]
mod tests {
    use super::*;

    /// train → eval (--json) → predict (.npy, .csv, --proba) → plot, on two digit classes written
    /// as .npy files.
    #[test]
    fn csae_commands_round_trip_on_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = potential_data::embedded_digits().subset_classes(&[3, 8]);
        let y = d.labels().to_vec(); // 3 → 0, 8 → 1
        let x = dir.path().join("x.npy");
        let yp = dir.path().join("y.npy");
        potential_data::write_npy_f32(&x, d.features().as_slice(), &[d.n(), d.d()]).unwrap();
        potential_data::write_npy_labels(&yp, &y).unwrap();
        let model = dir.path().join("c.safetensors");
        let args = TrainArgs {
            data: x.clone(),
            labels: Some(yp.clone()),
            activation: "sigmoid".into(),
            hidden: 16,
            factors: None,
            grid_factors: Vec::new(),
            output: "real".into(),
            contractive: Some(0.2),
            denoise: None,
            pretrain_epochs: 10,
            pretrain_lr: 0.1,
            pretrain_renormalize: false,
            finetune_epochs: 5,
            lr: 0.03,
            weight_decay: 0.0,
            batch: 20,
            variant: "log".into(),
            no_pretrain: false,
            optimizer: "momentum".into(),
            finetune_mask: 0.0,
            finetune_dropout: 0.0,
            init_scale: 1.0,
            valid_rows: 50,
            valid_data: None,
            valid_labels: None,
            pretrain_only: false,
            pretrained: None,
            pretrained_all: None,
            pretrain_on: PretrainOnArg::Train,
            lr_schedule: "exp:0.9".into(),
            refit: false,
            grid_hidden: Vec::new(),
            grid_lr: Vec::new(),
            grid_weight_decay: Vec::new(),
            patience: None,
            seed: 3,
            threads: Some(2),
            out: model.clone(),
            quiet: true,
        };
        train(args).unwrap();
        let m = potential_csae::Csae::load(&model).unwrap();
        assert_eq!(m.num_classes(), 2);
        eval(EvalArgs {
            model: model.clone(),
            data: x.clone(),
            labels: Some(yp.clone()),
            json: true,
            threads: None,
        })
        .unwrap();
        let ev = m.evaluate(MatRef::from_row_major(d.features().as_slice(), d.n(), d.d()), &y).unwrap();
        assert!(ev.error_rate < 0.1, "{ev:?}");
        for (name, proba) in [("p.npy", false), ("p.csv", true), ("q.npy", true)] {
            let out = dir.path().join(name);
            predict(PredictArgs {
                model: model.clone(),
                data: x.clone(),
                out: out.clone(),
                proba,
                threads: None,
            })
            .unwrap();
            assert!(out.metadata().unwrap().len() > 0);
        }
        let pred = potential_data::open_labels(dir.path().join("p.npy")).unwrap();
        assert_eq!(pred, m.predict(MatRef::from_row_major(d.features().as_slice(), d.n(), d.d())).unwrap());
        let csv = std::fs::read_to_string(dir.path().join("p.csv")).unwrap();
        assert_eq!(csv.lines().count(), d.n() + 1);
        assert!(predict(PredictArgs {
            model: model.clone(),
            data: x.clone(),
            out: dir.path().join("p.txt"),
            proba: false,
            threads: None
        })
        .is_err());
        let plots = dir.path().join("plots");
        plot(PlotArgs {
            model: model.clone(),
            out: plots.clone(),
            data: Some(x.clone()),
            labels: Some(yp.clone()),
            classes: Some("0,1".into()),
            filters: 16,
            width: None,
        })
        .unwrap();
        for f in ["filters_class0.png", "filters_class1.png", "energies_0_vs_1.png"] {
            let file = std::fs::File::open(plots.join(f)).unwrap();
            let dec = png::Decoder::new(std::io::BufReader::new(file)).read_info().unwrap();
            assert!(dec.info().width > 20 && dec.info().height > 20, "{f}");
        }
        let bad = PlotArgs {
            model,
            out: plots,
            data: Some(x),
            labels: Some(yp),
            classes: Some("0,7".into()),
            filters: 4,
            width: None,
        };
        assert!(matches!(plot(bad), Err(CliError::Usage(_))));
    }
}
