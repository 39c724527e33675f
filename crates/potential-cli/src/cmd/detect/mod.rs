//! `potential detect`: novelty detection — flag the rows whose energy is unusually low (or whose
//! reconstruction error is unusually high), with PyOD's contamination threshold or an explicit one,
//! and with labels the precision, recall, F1 and ROC AUC of the flags.
//!
//! [`model`]: what scores the rows; [`rule`](mod@rule): the threshold; [`report`]: the summary;
//! [`outputs`]: the flag and explanation files.

mod model;
mod outputs;
mod report;
mod rule;

use crate::error::{CliError, Result};
use crate::files::{out_kind, OutKind};
use model::{check_score_kind, open_rows, read_truth, score_rows, Detector};
use outputs::{explain_rows, write_explanations, write_flags, ExplainTo};
use potential_models::novelty::{self, Evaluation, NoveltyScore};
use report::{Report, ScoreScale};
use rule::{default_rule, resolve, rule};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The long help of `potential detect`.
const LONG_ABOUT: &str = "\
Novelty detection with the energy of an autoencoder (Kamyshanska & Memisevic 2015): the energy E(x) \
(Eq. 11-21) is higher where the model represents x better, so rows with unusually LOW energy are \
flagged as outliers. --score reconstruction-error ranks by ||r(x) - x||^2 instead (HIGH = outlier).

Internally every row gets an outlier score, higher = more unusual: -E(x) for energy, ||r(x) - x||^2 \
for reconstruction-error. With --contamination c (default 0.1) the threshold is what PyOD sets for \
contamination c: numpy.percentile(outlier scores, 100 * (1 - c)), linear interpolation, and the rows \
with an outlier score strictly above it are flagged (for n distinct scores that is \
n - 1 - floor((1 - c)(n - 1)) rows, i.e. ceil(c (n - 1)); rows tied with the threshold are not \
flagged). With --threshold t the rule is on the score's own scale, as `potential score` prints it: \
energy < t, or reconstruction-error > t.

With --labels Y --normal-class K, every row whose label is not K is an outlier (the positive class), \
and precision, recall, F1 of the flags and the ranking metrics of the scores are reported: ROC AUC \
(exact, ties counted one half), average precision (scikit-learn's), the false-positive rate at 95% \
true-positive rate, and precision at n (PyOD's, n = the number of outliers).

The model is a tied autoencoder (format potential.tied-autoencoder) or a CSAE classifier (format \
potential.csae or potential.factored-csae), whose \"energy\" is then the log of the normaliser of \
Eq. 45, log sum_i exp(E_i(x) + C_i): low when x is unlike every class.";

/// Arguments of `potential detect`.
#[derive(clap::Args, Debug)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    long_about = LONG_ABOUT,
    after_help = "EXAMPLES:\n  potential detect --model ae3.safetensors --data t10k-images-idx3-ubyte --labels \
t10k-labels-idx1-ubyte --normal-class 3\n  potential detect --model ae.safetensors --data x.npy --contamination 0.05 \
--out flags.csv\n  potential detect --model ae.safetensors --data x.npy --threshold -120.5 --json"
)]
pub struct DetectArgs {
    /// `fit`: fit a detector file on a table (see `potential detect fit --help`).
    #[command(subcommand)]
    pub command: Option<DetectCommand>,
    /// Model file: a detector (from `potential detect fit`), a tied autoencoder, or a (factored)
    /// CSAE classifier (safetensors).
    #[arg(long, value_name = "M.safetensors", required = true)]
    pub model: Option<PathBuf>,
    /// Data matrix [n, D]: .npy, .npz (FILE.npz:NAME), IDX (raw or .gz), .amat, or the digits CSV.
    #[arg(long, value_name = "X", required = true)]
    pub data: Option<PathBuf>,
    /// Expected fraction of outliers, in (0, 0.5]: flags the rows above PyOD's threshold
    /// (default 0.1).
    #[arg(long, value_name = "C", conflicts_with = "threshold", allow_negative_numbers = true)]
    pub contamination: Option<f64>,
    /// Explicit threshold on the score's own scale: flag energy < T, or reconstruction-error > T.
    #[arg(long, value_name = "T", allow_negative_numbers = true)]
    pub threshold: Option<f64>,
    /// Labels of the rows (.npy, IDX labels; or the labels column of an .amat/.csv) for the metrics.
    #[arg(long, value_name = "Y", requires = "normal_class")]
    pub labels: Option<PathBuf>,
    /// The normal class: rows with any other label are outliers (needs --labels).
    #[arg(long, value_name = "K", requires = "labels")]
    pub normal_class: Option<u32>,
    /// The score that ranks the rows (default energy; a detector file stores its own).
    #[arg(long, value_name = "SCORE", value_enum)]
    pub score: Option<crate::values::NoveltyScore>,
    /// Held-out NORMAL rows for a conformal threshold (with --fpr) and a p-value per row.
    #[arg(long, value_name = "XCAL", requires = "fpr", conflicts_with_all = ["threshold", "contamination"])]
    pub calibration: Option<PathBuf>,
    /// Explain these rows (detector files only): `0,5,10-20`, or `flagged` for every flagged row.
    /// Needs --out-explain.
    #[arg(long, value_name = "ROWS", requires = "out_explain")]
    pub explain: Option<String>,
    /// Where to write the explanations: .npy f64 [rows, D] (each row: every feature's share of the
    /// row's outlier score, exact; see README "Novelty detection") or .csv (`row,feature,contribution`).
    #[arg(long, value_name = "E.npy|E.csv", requires = "explain")]
    pub out_explain: Option<PathBuf>,
    /// Also draw the explained rows as images beside their heat maps (red: the pixel raises the
    /// outlier score, blue: lowers it) in this PNG; the first 64 rows. Rows must be images: D a
    /// perfect square, or --shape.
    #[arg(long, value_name = "E.png", requires = "explain")]
    pub explain_png: Option<PathBuf>,
    /// Image shape HxW of the rows for --explain-png (default: square).
    #[arg(long, value_name = "HxW", requires = "explain_png")]
    pub shape: Option<String>,
    /// With --calibration: flag so that at most this fraction of normal rows is flagged, in (0, 1).
    #[arg(long, value_name = "ALPHA", requires = "calibration", allow_negative_numbers = true)]
    pub fpr: Option<f64>,
    /// Print exactly one JSON object on stdout (n, flagged, threshold, precision, recall, f1,
    /// roc_auc, …; metrics null without labels).
    #[arg(long)]
    pub json: bool,
    /// Write the flags: `.npy` (u8, one per row, 1 = outlier) or `.csv` (header `index,<score>,outlier`),
    /// atomically.
    #[arg(long, value_name = "FLAGS.npy|FLAGS.csv")]
    pub out: Option<PathBuf>,
    /// Arithmetic of the energy's product u = Wx: `f32` (default) or `bf16` (x and W rounded to
    /// bfloat16, f32 accumulation; AVX-512 BF16 CPUs, energy of a tied autoencoder only; the energy
    /// moves by at most the bound of the library's `bf16_energy_error_bound`).
    #[arg(long, value_name = "f32|bf16", default_value = "f32")]
    pub precision: potential_models::Precision,
    /// Worker threads (default: all cores; results do not depend on it beyond summation order).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Subcommands of `potential detect`.
#[derive(clap::Subcommand, Debug)]
pub enum DetectCommand {
    /// Fit a detector file on a table without labels (scalers, autoencoders, threshold).
    // The variant's doc comment would replace the arguments' long help: name it here.
    #[command(long_about = super::detect_fit::LONG_ABOUT, after_help = super::detect_fit::AFTER_HELP)]
    Fit(super::detect_fit::FitArgs),
}

/// `--precision bf16` needs `applies` (what it is defined for, named by `needs`) and a CPU with
/// AVX-512 BF16.
pub(crate) fn check_precision(p: potential_models::Precision, applies: bool, needs: &str) -> Result<()> {
    if p == potential_models::Precision::F32 {
        return Ok(());
    }
    if !applies {
        return Err(usage(format!("--precision {p} applies to {needs} only")));
    }
    if !p.is_available() {
        return Err(potential_models::Error::Bf16Unavailable { what: "--precision bf16 (energy)" }.into());
    }
    Ok(())
}

fn usage(msg: impl Into<String>) -> CliError {
    CliError::Usage(msg.into())
}

/// The output files of `a`, checked before any work: kinds by extension, none replacing an input
/// or another output. Returns the kinds of `--out` and `--out-explain`.
fn check_outputs(a: &DetectArgs, inputs: &[&Path]) -> Result<(Option<OutKind>, Option<OutKind>)> {
    let out = a.out.as_deref().map(|p| out_kind("--out", p)).transpose()?;
    let explain = a.out_explain.as_deref().map(|p| out_kind("--out-explain", p)).transpose()?;
    if let Some(p) = &a.explain_png {
        if !p.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("png")) {
            return Err(usage(format!("--explain-png {}: use a .png file name", p.display())));
        }
    }
    let outputs: Vec<(&str, &Path)> =
        [("--out", &a.out), ("--out-explain", &a.out_explain), ("--explain-png", &a.explain_png)]
            .into_iter()
            .filter_map(|(flag, p)| p.as_deref().map(|p| (flag, p)))
            .collect();
    for (i, (flag, p)) in outputs.iter().enumerate() {
        crate::paths::check_output(p, inputs)?;
        if let Some((other, _)) = outputs[..i].iter().find(|(_, q)| crate::paths::same_file(q, p)) {
            return Err(usage(format!("{other} and {flag} are both {}: choose two names", p.display())));
        }
    }
    Ok((out, explain))
}

/// The metrics of the flags against the outliers `truth` of `--labels` / `--normal-class`.
fn evaluate(
    a: &DetectArgs,
    scores: &[f64],
    flags: &[bool],
    truth: Option<&[bool]>,
) -> Result<Option<Evaluation>> {
    let (Some(truth), Some(path), Some(k)) = (truth, &a.labels, a.normal_class) else { return Ok(None) };
    let e = novelty::evaluate(scores, flags, truth)
        .map_err(|e| usage(format!("{} with normal class {k}: {e}", path.display())))?;
    Ok(Some(e))
}

/// Run `potential detect` (or `potential detect fit`).
pub fn run(a: DetectArgs) -> Result<()> {
    if let Some(DetectCommand::Fit(f)) = a.command {
        return super::detect_fit::run(f);
    }
    let (Some(model_path), Some(data_path)) = (a.model.clone(), a.data.clone()) else {
        return Err(usage("potential detect needs --model and --data (or the subcommand `fit`)"));
    };
    let what: NoveltyScore = a.score.map_or(NoveltyScore::Energy, Into::into);
    let rule = rule(&a, what)?;
    let mut inputs = vec![model_path.as_path(), data_path.as_path()];
    inputs.extend(a.labels.as_deref());
    inputs.extend(a.calibration.as_deref());
    let (out_kind, explain_kind) = check_outputs(&a, &inputs)?;
    let pool = crate::threads::pool(a.threads)?;
    let model = Detector::load(&model_path)?;
    check_score_kind(&model, &model_path, a.score.is_some(), what)?;
    check_precision(
        a.precision,
        matches!(model, Detector::Tied(_)) && what == NoveltyScore::Energy,
        "a tied autoencoder's energy",
    )?;
    let rule = rule.unwrap_or_else(|| default_rule(&model));
    let x = open_rows(&data_path, &model, &model_path)?;
    let truth = match (&a.labels, a.normal_class) {
        (Some(path), Some(k)) => Some(read_truth(path, k, x.n(), &data_path)?),
        _ => None,
    };
    let t0 = Instant::now();
    let scores = pool.install(|| score_rows(&model, &x, what, a.precision, &data_path, a.quiet || a.json))?;
    let cal = pool.install(|| resolve(&rule, &model, &model_path, (what, a.precision), &scores))?;
    let secs = t0.elapsed().as_secs_f64();
    let detection = novelty::detect(&scores, cal.threshold)
        .map_err(|e| usage(format!("{}: {e}", data_path.display())))?;
    let eval = evaluate(&a, &scores, &detection.flags, truth.as_deref())?;
    let scale = ScoreScale::of(&model, what);
    if let (Some(spec), Some(path), Some(kind)) = (&a.explain, &a.out_explain, explain_kind) {
        let rows = explain_rows(spec, &detection.flags)?;
        let to = ExplainTo { path, kind, png: a.explain_png.as_deref(), shape: a.shape.as_deref() };
        write_explanations(&model, &model_path, &x, &rows, &to)?;
    }
    if let (Some(path), Some(kind)) = (&a.out, out_kind) {
        write_flags(path, kind, scale, &scores, &detection.flags, cal.p_values.as_deref())?;
    }
    let report = Report {
        model_path: &model_path,
        data_path: &data_path,
        model: &model,
        scale,
        rule: &rule,
        n: x.n(),
        flagged: detection.flagged,
        threshold: scale.to_own(detection.threshold),
        calibration_rows: cal.rows,
        eval: eval.as_ref(),
        normal_class: a.normal_class,
        out: a.out.as_deref(),
        secs,
        threads: pool.current_num_threads(),
    };
    if a.json {
        crate::output::println_stdout(&report.json().to_string())
    } else {
        report.print(a.quiet)
    }
}
