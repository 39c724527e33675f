//! The arguments of `potential csae train|eval|predict|plot`, and the flags that name the fields
//! of the library's configurations (so its typed errors can name the flag).

use crate::values::{Activation, Optimizer, OutputKind, Variant};
use potential_csae::PretrainOn;
use std::path::PathBuf;

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
    #[arg(long, value_enum, default_value = "sigmoid")]
    pub activation: Activation,
    /// Hidden units per class.
    #[arg(long, default_value_t = 100)]
    pub hidden: usize,
    /// Train a factored CSAE (Eq. 46–50) with F shared factors: class j's weight is
    /// Wˣ diag(Wᶠⱼ) Wʰ; pretraining runs on all classes together (use --denoise, not --contractive).
    #[arg(long, value_name = "F")]
    pub factors: Option<usize>,
    /// Output kind of the class models: real (squared error) or binary (cross-entropy; data in [0, 1]).
    #[arg(long, value_enum, default_value = "real")]
    pub output: OutputKind,
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
    #[arg(long, value_enum, default_value = "log")]
    pub variant: Variant,
    /// Skip pretraining (random initialisation; only with --variant log or hinge).
    #[arg(long)]
    pub no_pretrain: bool,
    /// Finetuning update rule: the paper's momentum SGD, or Adam (β₁ = 0.9, β₂ = 0.999; use a
    /// smaller --lr, e.g. 0.003).
    #[arg(long, value_enum, default_value = "momentum")]
    pub optimizer: Optimizer,
    /// Zero-masking probability of the inputs during finetuning (not in the paper; 0.2 regularises
    /// well on MNIST). Plain CSAE only.
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub finetune_mask: f32,
    /// Hidden-unit dropout during finetuning: each class model's hidden units are dropped with
    /// probability P in every training row and the kept ones scaled by 1/(1 − P), so the expected
    /// energy is Eq. 45's (not in the paper). It did not help on the digits demo's validation
    /// rows (RESULTS.md, "The main job"): the noise of a sum of masked softplus terms swamps the
    /// differences between the class logits. Plain CSAE only.
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

impl TrainArgs {
    /// Whether the run chooses on validation rows and refits (Sec. 4.4).
    pub fn selects(&self) -> bool {
        self.refit
            || !self.grid_factors.is_empty()
            || !self.grid_hidden.is_empty()
            || !self.grid_lr.is_empty()
            || !self.grid_weight_decay.is_empty()
    }
}

/// The flag of `csae train` that sets a configuration field of the library (`CsaeConfig`,
/// `FactoredConfig`, `FinetuneConfig`, and the pretraining `TrainConfig` under `pretrain.`).
pub fn flag_of(field: &str) -> Option<&'static str> {
    Some(match field {
        "hidden" => "--hidden",
        "factors" => "--factors",
        "init_scale" => "--init-scale",
        "pretrain" => "--no-pretrain",
        "pretrain_on" => "--pretrain-on",
        "finetune.epochs" => "--finetune-epochs",
        "finetune.batch_size" | "pretrain.batch_size" | "batch_size" => "--batch",
        "finetune.learning_rate" => "--lr",
        "finetune.schedule" => "--lr-schedule",
        "finetune.weight_decay" => "--weight-decay",
        "finetune.input_mask" => "--finetune-mask",
        "finetune.hidden_dropout" => "--finetune-dropout",
        "finetune.patience" => "--patience",
        "finetune.variant" | "variant" => "--variant",
        "finetune.optimizer" | "optimizer" => "--optimizer",
        "pretrain.epochs" | "epochs" => "--pretrain-epochs",
        "pretrain.learning_rate" | "learning_rate" => "--pretrain-lr",
        "pretrain.contractive" | "contractive" => "--contractive",
        "pretrain.renormalize" => "--pretrain-renormalize",
        "noise.level" => "--denoise",
        "grid" => "--grid-*",
        _ => return None,
    })
}

/// A configuration error of the library, naming the flag that set the field when there is one.
pub fn config_error(e: potential_csae::Error) -> crate::error::CliError {
    let field = match &e {
        potential_csae::Error::InvalidConfig { field, .. } => *field,
        potential_csae::Error::Train(potential_train::Error::InvalidConfig { field, .. }) => field,
        _ => return e.into(),
    };
    match flag_of(field) {
        Some(flag) => crate::error::CliError::Usage(format!("{flag}: {e}")),
        None => e.into(),
    }
}
