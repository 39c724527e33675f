//! `potential detect fit`: fit a detector file on a table without labels.

use crate::error::{CliError, Result};
use crate::progress;
use crate::values::{Activation, NoveltyScore};
use potential_train::detector::{Combine, Detector, DetectorConfig, ScalerKind, View};
use potential_train::Event;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Instant;

/// The long help of `potential detect fit`.
pub(crate) const LONG_ABOUT: &str = "\
Fit a novelty detector on the rows of a table (no labels) and write it as one detector file \
(safetensors, format potential.detector): the input scalers fitted on these rows, the autoencoders, \
and the decision threshold fitted on these rows' scores. `potential detect --model D --data X` then \
scores new rows with nothing else.

Why it works: a tied autoencoder trained with Gaussian denoising at noise sigma is a score-matching \
model, r(x) - x ~ sigma^2 grad log p(x) (Vincent 2011; Alain & Bengio 2014), and since the energy's \
gradient is r(x) - x (Eq. 9), the energy estimates sigma^2 log p(x) up to a constant: rows of low \
energy lie where the data is thin.

The default rule (no flag needed; every part can be overridden):
  * three views of the columns, one autoencoder each: min-max scaling with sigma = 0.8, the \
normal quantile transform (each column made standard normal on the training rows) with sigma = 0.5, \
and standardisation (mean 0, sd 1) with sigma = 0.5;
  * except on a mode-dominated table (in more than half of the columns one value fills at least half \
of the rows: image backgrounds, counts, sparse indicators): min-max scaling alone with sigma = 0.2, \
since the quantile and standard scalers blow a column's rare departures from its mode up into huge \
values that decide every score;
  * relu hiddens, 2 x columns of them (at most 512);
  * Adam, learning rate 0.001, minibatches of 100 rows (a tenth of the rows under 1000 rows), about \
5000 updates per member over the two stages below (each stage's epochs = ceil(2500 / steps per \
epoch), at most 500, and at most 0.6e10 / (rows x hidden x columns) so that a wide table such as \
images trains in seconds);
  * two stages (--trim 0.1; one stage on a mode-dominated table, where the budget above, not the \
updates, sets the epochs and halving it cost more than trimming gained): the training rows of an unsupervised detector hold the very anomalies \
it must find, and an autoencoder with capacity learns them too; so a first detector is fitted, the \
tenth of the training rows it finds strangest is set aside, and the detector is fitted again from \
scratch on the rest (a trimmed-likelihood fit, robust to that much contamination);
  * each member's outlier score (-energy) is centred on its training median and divided by its \
training interquartile range (z); the detector's score is the mean of softplus(z) = ln(1 + e^z), so \
one view's calm about a row cannot cancel another view's alarm;
  * threshold: PyOD's contamination rule on all the training rows, contamination 0.1.
These defaults were chosen on validation rows carved from the training parts of twelve ADBench sets \
and serve every table alike (README, section \"Novelty detection\").";

/// The examples of `potential detect fit --help`.
pub(crate) const AFTER_HELP: &str = "EXAMPLES:\n  potential detect fit --data train.npy --out det.safetensors\n  potential detect \
--model det.safetensors --data new.npy --out flags.csv\n  potential detect fit --data table.npz --contamination \
0.05 --seed 3 --out det.safetensors";

/// Arguments of `potential detect fit`.
#[derive(clap::Args, Debug)]
#[command(
    long_about = LONG_ABOUT,
    after_help = AFTER_HELP
)]
pub struct FitArgs {
    /// Training rows [n, D] (no labels): .npy, .npz (array X, or FILE.npz:NAME), IDX, .amat or CSV.
    #[arg(long, value_name = "X")]
    pub data: PathBuf,
    /// Where to write the detector file (safetensors), atomically.
    #[arg(long, value_name = "D.safetensors")]
    pub out: PathBuf,
    /// Expected fraction of outliers among the training rows, in (0, 0.5]: sets the stored threshold.
    #[arg(long, value_name = "C", default_value_t = potential_models::novelty::DEFAULT_CONTAMINATION)]
    pub contamination: f64,
    /// The score the autoencoders rank rows by.
    #[arg(long, value_enum, default_value = "energy")]
    pub score: NoveltyScore,
    /// Hidden activation of every member.
    #[arg(long, value_name = "A", value_enum, default_value = "relu")]
    pub activation: Activation,
    /// Hidden units per member (default: 2 x columns, at most 512).
    #[arg(long, value_name = "H")]
    pub hidden: Option<usize>,
    /// Epochs per member (default: about 5000 updates).
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,
    /// Rows per minibatch (default: 100, or a tenth of the rows under 1000 rows).
    #[arg(long, value_name = "B")]
    pub batch_size: Option<usize>,
    /// Adam's learning rate.
    #[arg(long, value_name = "LR", default_value_t = 1e-3)]
    pub lr: f32,
    /// Views as SCALER:SIGMA pairs, comma-separated (scalers: min-max, standard, quantile);
    /// default `min-max:0.8,quantile:0.5,standard:0.5`, or `min-max:0.2` on a mode-dominated table.
    #[arg(long, value_name = "VIEWS")]
    pub views: Option<String>,
    /// How the members' normalised scores z (centred on the training median, divided by the
    /// training IQR) make the outlier score: the mean of softplus(z), or the plain mean of z.
    #[arg(long, value_enum, default_value_t = CombineArg::Softplus)]
    pub combine: CombineArg,
    /// Fraction of the training rows the first stage sets aside before the detector is fitted again
    /// on the rest (a trimmed refit, robust to outliers among the training rows), in [0, 0.5);
    /// 0 fits one stage on every row (default: 0.1, or 0 on a mode-dominated table).
    #[arg(long, value_name = "F")]
    pub trim: Option<f64>,
    /// Autoencoders per view, each with its own seed.
    #[arg(long, value_name = "K", default_value_t = 1)]
    pub members: usize,
    /// Seed of every member's initialisation, shuffling and noise.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// No progress bar or summary.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `--combine` values.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CombineArg {
    /// Mean of softplus(z): one view's calm cannot cancel another view's alarm.
    Softplus,
    /// Mean of z.
    Mean,
}

fn usage(msg: impl Into<String>) -> CliError {
    CliError::Usage(msg.into())
}

/// Parse `--views`: `SCALER:SIGMA[,SCALER:SIGMA…]`.
fn parse_views(s: &str) -> Result<Vec<View>> {
    s.split(',')
        .map(|part| {
            let (name, sigma) = part
                .split_once(':')
                .ok_or_else(|| usage(format!("--views: `{part}` is not SCALER:SIGMA (e.g. min-max:0.2)")))?;
            let scaler = ScalerKind::from_name(name.trim()).map_err(|e| usage(format!("--views: {e}")))?;
            let noise: f32 = sigma
                .trim()
                .parse()
                .map_err(|_| usage(format!("--views: sigma `{sigma}` is not a number")))?;
            Ok(View { scaler, noise })
        })
        .collect()
}

fn config(a: &FitArgs) -> Result<DetectorConfig> {
    let views = a.views.as_deref().map(parse_views).transpose()?;
    Ok(DetectorConfig {
        views,
        members_per_view: a.members,
        activation: a.activation.into(),
        hidden: a.hidden,
        epochs: a.epochs,
        batch_size: a.batch_size,
        learning_rate: a.lr,
        score: a.score.into(),
        contamination: a.contamination,
        seed: a.seed,
        trim: a.trim,
        combine: match a.combine {
            CombineArg::Softplus => Combine::Softplus,
            CombineArg::Mean => Combine::Mean,
        },
    })
}

/// Run `potential detect fit`.
pub fn run(a: FitArgs) -> Result<()> {
    let cfg = config(&a)?;
    crate::paths::check_output(&a.out, &[&a.data])?;
    let pool = crate::threads::pool(a.threads)?;
    let x = potential_data::open_features(&a.data)?;
    let r = cfg.resolve(&x).map_err(|e| CliError::detector(&a.data, e))?;
    potential_train::memory::check_shape(x.d(), r.hidden)?;
    let what = format!("{} autoencoders of {}×{} and their training buffers", r.members(), x.d(), r.hidden);
    crate::memory::check(&what, r.fit_bytes(x.n(), x.d()))?;
    let steps = r.total_steps(x.n());
    let bar = progress::bar(steps as u64, "steps", a.quiet);
    let t0 = Instant::now();
    let det = pool
        .install(|| {
            Detector::fit_resolved(&x, &r, &mut |_, e| {
                if let Event::Step(_) = e {
                    bar.inc(1);
                }
                ControlFlow::Continue(())
            })
        })
        .map_err(|e| CliError::detector(&a.data, e))?;
    bar.finish_and_clear();
    det.save(&a.out).map_err(|e| CliError::detector(&a.out, e))?;
    if !a.quiet {
        crate::note!(
            "detector: {} rows x {} columns, views {}, {} members ({} hidden, {} epochs, batch {}), {}, threshold \
{:.6} (contamination {}), fitted in {:.2} s -> {}",
            x.n(),
            x.d(),
            r.views.iter().map(|v| format!("{}:{}", v.scaler.name(), v.noise)).collect::<Vec<_>>().join(","),
            det.members().len(),
            r.hidden,
            r.epochs,
            r.batch_size,
            match r.stage_rows(x.n()).as_slice() {
                [_, kept] => format!("refitted on {kept} rows after setting {} aside", x.n() - kept),
                _ => "one stage".to_owned(),
            },
            det.threshold(),
            det.contamination(),
            t0.elapsed().as_secs_f64(),
            a.out.display()
        );
    }
    Ok(())
}
