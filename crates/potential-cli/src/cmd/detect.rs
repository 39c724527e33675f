//! `potential detect`: novelty detection — flag the rows whose energy is unusually low (or whose
//! reconstruction error is unusually high), with PyOD's contamination threshold or an explicit one,
//! and with labels the precision, recall, F1 and ROC AUC of the flags.

use crate::error::{CliError, Result};
use crate::progress;
use potential_csae::{AnyCsae, CSAE_FORMAT, FACTORED_CSAE_FORMAT};
use potential_kernels::MatRef;
use potential_models::novelty::{self, Evaluation, NoveltyError, NoveltyScore, Threshold};
use potential_models::{FormatError, TiedAutoencoder};
use potential_train::detector::{Detector as FittedDetector, DetectorError, DETECTOR_FORMAT};
use std::io::Write;
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
    #[arg(long, value_name = "SCORE", value_parser = ["energy", "reconstruction-error"])]
    pub score: Option<String>,
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
    Fit(super::detect_fit::FitArgs),
}

/// A model that can score rows.
enum Detector {
    Fitted(Box<FittedDetector>),
    Tied(TiedAutoencoder),
    Csae(AnyCsae),
}

impl Detector {
    /// Load a tied autoencoder, or a CSAE file when the format says so.
    fn load(path: &Path) -> Result<Self> {
        match TiedAutoencoder::load(path) {
            Ok(m) => Ok(Detector::Tied(m)),
            Err(potential_models::Error::File {
                source: FormatError::UnknownFormat { found, .. }, ..
            }) if found == CSAE_FORMAT || found == FACTORED_CSAE_FORMAT => {
                Ok(Detector::Csae(AnyCsae::load(path)?))
            }
            Err(potential_models::Error::File {
                source: FormatError::UnknownFormat { found, .. }, ..
            }) if found == DETECTOR_FORMAT => {
                let d = FittedDetector::load(path).map_err(|e| CliError::detector(path, e))?;
                Ok(Detector::Fitted(Box::new(d)))
            }
            Err(e) => Err(e.into()),
        }
    }

    fn visible(&self) -> usize {
        match self {
            Detector::Fitted(d) => d.dim(),
            Detector::Tied(m) => m.visible(),
            Detector::Csae(m) => m.visible(),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Detector::Fitted(_) => DETECTOR_FORMAT,
            Detector::Tied(_) => potential_models::TIED_FORMAT,
            Detector::Csae(m) => m.format(),
        }
    }

    /// Outlier scores of a block of rows (higher = more unusual).
    fn outlier_scores(&self, x: MatRef<'_>, what: NoveltyScore) -> std::result::Result<Vec<f64>, BlockError> {
        match self {
            Detector::Fitted(d) => d.outlier_scores(x.as_slice()).map_err(BlockError::Detector),
            Detector::Tied(m) => novelty::outlier_scores(m, x, what).map_err(BlockError::Novelty),
            Detector::Csae(m) => {
                // Only the energy is defined for a classifier: −log Σᵢ exp(Eᵢ + Cᵢ).
                let s = m.ood_score(x).map_err(BlockError::Csae)?;
                Ok(NoveltyScore::Energy.to_outlier_scores(&s))
            }
        }
    }
}

enum BlockError {
    Detector(potential_train::detector::DetectorError),
    Novelty(NoveltyError),
    Csae(potential_csae::Error),
}

fn usage(msg: impl Into<String>) -> CliError {
    CliError::Usage(msg.into())
}

/// Output file kinds of `--out`.
enum OutKind {
    Npy,
    Csv,
}

fn out_kind(path: &Path) -> Result<OutKind> {
    match path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).as_deref() {
        Some("npy") => Ok(OutKind::Npy),
        Some("csv") => Ok(OutKind::Csv),
        _ => Err(usage(format!(
            "--out {}: unknown output format (use a .npy or .csv file name)",
            path.display()
        ))),
    }
}

/// JSON number or null (JSON has no NaN).
fn num(v: Option<f64>) -> serde_json::Value {
    v.and_then(serde_json::Number::from_f64).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

/// How the threshold is set.
enum Rule {
    /// PyOD's contamination rule on the scored rows, or an explicit outlier-scale threshold.
    Batch(Threshold),
    /// The threshold stored in a detector file.
    Stored(f64),
    /// Conformal: at most `fpr` of the calibration rows (held-out normal rows) flagged.
    Calibrated { path: PathBuf, fpr: f64 },
}

/// The rule the flags of `a` ask for, checked before any work.
fn rule(a: &DetectArgs, what: NoveltyScore) -> Result<Option<Rule>> {
    if let Some(fpr) = a.fpr {
        if !(fpr > 0.0 && fpr < 1.0) {
            return Err(usage(format!(
                "--fpr {fpr}: must lie in (0, 1) (the largest fraction of normal rows flagged)"
            )));
        }
    }
    Ok(match (a.threshold, a.contamination, &a.calibration, a.fpr) {
        (Some(t), _, _, _) if t.is_nan() => return Err(usage("--threshold is NaN")),
        // The user's threshold is on the score's own scale; the library flags outlier scores.
        (Some(t), _, _, _) => Some(Rule::Batch(Threshold::Explicit(what.to_outlier(t)))),
        (None, Some(c), _, _) => {
            novelty::check_contamination(c).map_err(|e| usage(format!("--contamination: {e}")))?;
            Some(Rule::Batch(Threshold::Contamination(c)))
        }
        (None, None, Some(p), Some(fpr)) => Some(Rule::Calibrated { path: p.clone(), fpr }),
        (None, None, Some(_), None) => return Err(usage("--calibration needs --fpr (e.g. --fpr 0.05)")),
        (None, None, None, Some(_)) => return Err(usage("--fpr needs --calibration (held-out normal rows)")),
        // Decided once the model is loaded: a detector file's stored threshold, else contamination 0.1.
        (None, None, None, None) => None,
    })
}

/// Run `potential detect` (or `potential detect fit`).
pub fn run(a: DetectArgs) -> Result<()> {
    if let Some(DetectCommand::Fit(f)) = a.command {
        return super::detect_fit::run(f);
    }
    let (Some(model_path), Some(data_path)) = (a.model.clone(), a.data.clone()) else {
        return Err(usage("potential detect needs --model and --data (or the subcommand `fit`)"));
    };
    let what: NoveltyScore = match &a.score {
        Some(s) => s.parse().map_err(|e: NoveltyError| usage(format!("--score: {e}")))?,
        None => NoveltyScore::Energy,
    };
    let rule = rule(&a, what)?;
    let out = a.out.as_deref().map(|p| out_kind(p).map(|k| (p, k))).transpose()?;
    if let Some(e) = &a.out_explain {
        out_kind(e)?; // .npy or .csv, checked before any work
    }
    let mut inputs = vec![model_path.as_path(), data_path.as_path()];
    inputs.extend(a.labels.as_deref());
    inputs.extend(a.calibration.as_deref());
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
        crate::paths::check_output(p, &inputs)?;
        if let Some((other, _)) = outputs[..i].iter().find(|(_, q)| crate::paths::same_file(q, p)) {
            return Err(usage(format!("{other} and {flag} are both {}: choose two names", p.display())));
        }
    }
    let pool = crate::threads::pool(a.threads)?;
    let model = Detector::load(&model_path)?;
    check_score_kind(&model, &model_path, a.score.is_some(), what)?;
    let rule = match (rule, &model) {
        (Some(r), _) => r,
        (None, Detector::Fitted(d)) => Rule::Stored(d.threshold()),
        (None, _) => Rule::Batch(Threshold::Contamination(novelty::DEFAULT_CONTAMINATION)),
    };
    let x = open_rows(&data_path, &model, &model_path)?;
    let n = x.n();
    let truth = match (&a.labels, a.normal_class) {
        (Some(path), Some(k)) => Some(read_truth(path, k, n, &data_path)?),
        _ => None,
    };
    let t0 = Instant::now();
    let scores = pool.install(|| score_rows(&model, &x, what, &data_path, a.quiet || a.json))?;
    let (threshold_outlier, p_values, calibration_rows) = match &rule {
        Rule::Batch(_) | Rule::Stored(_) => (None, None, None),
        Rule::Calibrated { path, fpr } => {
            let c = open_rows(path, &model, &model_path)?;
            let cs = pool.install(|| score_rows(&model, &c, what, path, true))?;
            let t = conformal_threshold(&cs, *fpr).map_err(|e| usage(format!("{}: {e}", path.display())))?;
            (Some(t), Some(conformal_p_values(&cs, &scores)), Some(c.n()))
        }
    };
    let secs = t0.elapsed().as_secs_f64();
    let threshold_rule = match (&rule, threshold_outlier) {
        (Rule::Batch(t), _) => *t,
        (Rule::Stored(t), _) => Threshold::Explicit(*t),
        (Rule::Calibrated { .. }, Some(t)) => Threshold::Explicit(t),
        (Rule::Calibrated { .. }, None) => unreachable!("a calibrated rule always has its threshold"),
    };
    let detection = novelty::detect(&scores, threshold_rule)
        .map_err(|e| usage(format!("{}: {e}", data_path.display())))?;
    let eval = match &truth {
        Some(is_outlier) => Some(novelty::evaluate(&scores, &detection.flags, is_outlier).map_err(|e| {
            let labels = a.labels.as_deref().unwrap_or(Path::new(""));
            usage(format!("{} with normal class {}: {e}", labels.display(), a.normal_class.unwrap_or(0)))
        })?),
        None => None,
    };
    let scale = ScoreScale::of(&model, what);
    if let (Some(spec), Some(path)) = (&a.explain, &a.out_explain) {
        let rows = explain_rows(spec, &detection.flags)?;
        write_explanations(
            &model,
            &model_path,
            &x,
            &rows,
            path,
            a.explain_png.as_deref(),
            a.shape.as_deref(),
        )?;
    }
    if let Some((path, kind)) = &out {
        write_flags(path, kind, scale, &scores, &detection.flags, p_values.as_deref())?;
    }
    let report = Report {
        model_path: &model_path,
        data_path: &data_path,
        model: &model,
        scale,
        rule: &rule,
        n,
        flagged: detection.flagged,
        threshold: scale.to_own(detection.threshold),
        calibration_rows,
        eval: eval.as_ref(),
        normal_class: a.normal_class,
        out: out.as_ref().map(|(p, _)| *p),
        secs,
        threads: pool.current_num_threads(),
    };
    if a.json {
        let obj = report.json();
        crate::output::println_stdout(&obj.to_string())
    } else {
        report.print(a.quiet)
    }
}

/// A score kind other than energy is refused for classifiers, and any `--score` for a detector
/// file (it stores its own).
fn check_score_kind(model: &Detector, path: &Path, given: bool, what: NoveltyScore) -> Result<()> {
    match model {
        Detector::Csae(_) if what != NoveltyScore::Energy => Err(usage(format!(
            "--score {what}: {} is a CSAE classifier ({}); only --score energy (log Σᵢ exp(Eᵢ + Cᵢ)) is \
defined for it",
            path.display(),
            model.kind()
        ))),
        Detector::Fitted(d) if given && what != d.score_kind() => Err(usage(format!(
            "--score {what}: {} is a detector fitted with --score {}; its score cannot be changed",
            path.display(),
            d.score_kind()
        ))),
        _ => Ok(()),
    }
}

/// Open a data file to score and check its width against the model.
fn open_rows(path: &Path, model: &Detector, model_path: &Path) -> Result<potential_data::Features> {
    let x = potential_data::open_features(path)?;
    if x.d() != model.visible() {
        return Err(usage(format!(
            "{}: rows have {} values but the model {} expects {} (its visible size)",
            path.display(),
            x.d(),
            model_path.display(),
            model.visible()
        )));
    }
    if x.n() == 0 {
        return Err(usage(format!("{}: no rows to score", path.display())));
    }
    Ok(x)
}

/// Labels as outlier flags (every label other than `normal` is an outlier).
fn read_truth(path: &Path, normal: u32, n: usize, data: &Path) -> Result<Vec<bool>> {
    let labels = potential_data::open_labels(path)?;
    if labels.len() != n {
        return Err(usage(format!(
            "{}: {} labels, but {} has {n} rows",
            path.display(),
            labels.len(),
            data.display()
        )));
    }
    Ok(novelty::outliers_from_labels(&labels, normal))
}

/// Outlier scores of every row, in blocks, with a progress bar; errors name the file and row.
fn score_rows(
    model: &Detector,
    x: &potential_data::Features,
    what: NoveltyScore,
    path: &Path,
    quiet: bool,
) -> Result<Vec<f64>> {
    let (n, d) = (x.n(), x.d());
    let bar = progress::bar(n as u64, "rows", quiet);
    let block = 8192;
    let mut scores = Vec::with_capacity(n);
    let data = x.as_slice();
    let mut r0 = 0;
    while r0 < n {
        let nr = block.min(n - r0);
        let view = MatRef::from_row_major(&data[r0 * d..(r0 + nr) * d], nr, d);
        match model.outlier_scores(view, what) {
            Ok(part) => scores.extend_from_slice(&part),
            Err(BlockError::Novelty(NoveltyError::Model(e))) => return Err(CliError::scoring(path, r0, e)),
            Err(BlockError::Novelty(e)) => return Err(usage(format!("{}: {e}", path.display()))),
            Err(BlockError::Csae(potential_csae::Error::Model(e))) => {
                return Err(CliError::scoring(path, r0, e))
            }
            Err(BlockError::Csae(e)) => return Err(e.into()),
            Err(BlockError::Detector(DetectorError::NonFinite { row, column, value })) => {
                let e = DetectorError::NonFinite { row: row + r0, column, value };
                return Err(CliError::detector(path, e));
            }
            Err(BlockError::Detector(e)) => return Err(CliError::detector(path, e)),
        }
        r0 += nr;
        bar.inc(nr as u64);
    }
    bar.finish_and_clear();
    Ok(scores)
}

/// The conformal threshold for false-positive rate `fpr` from the calibration rows' outlier scores
/// `cal` (held-out normal rows): the k-th smallest with k = ⌈(1 − fpr)(m + 1)⌉, so that a row is
/// flagged (score > threshold) exactly when its conformal p-value is ≤ fpr, and at most fpr·m of the
/// calibration rows are flagged.
///
/// # Errors
/// A message when there are too few calibration rows for `fpr` (k > m).
pub fn conformal_threshold(cal: &[f64], fpr: f64) -> std::result::Result<f64, String> {
    let m = cal.len();
    if m == 0 {
        return Err("the calibration set has no rows".into());
    }
    let k = ((1.0 - fpr) * (m as f64 + 1.0)).ceil() as usize;
    if k > m {
        return Err(format!(
            "{m} calibration rows are too few for --fpr {fpr}: at least {} are needed",
            ((1.0 / fpr) - 1.0).ceil()
        ));
    }
    let mut s = cal.to_vec();
    s.sort_unstable_by(f64::total_cmp);
    Ok(s[k.max(1) - 1])
}

/// Conformal p-values of `scores` against the calibration scores `cal`:
/// p(x) = (1 + #{j : cal_j ≥ s(x)}) / (m + 1). Small p = unlike the normal rows.
pub fn conformal_p_values(cal: &[f64], scores: &[f64]) -> Vec<f64> {
    let mut s = cal.to_vec();
    s.sort_unstable_by(f64::total_cmp);
    let m = s.len() as f64;
    scores
        .iter()
        .map(|&v| {
            let below = s.partition_point(|&c| c < v);
            (1.0 + (s.len() - below) as f64) / (m + 1.0)
        })
        .collect()
}

/// The scale scores are printed on: a detector's own outlier score, or a model's score kind.
#[derive(Clone, Copy)]
enum ScoreScale {
    Detector,
    Model(NoveltyScore),
}

impl ScoreScale {
    fn of(model: &Detector, what: NoveltyScore) -> Self {
        match model {
            Detector::Fitted(_) => ScoreScale::Detector,
            _ => ScoreScale::Model(what),
        }
    }
    fn name(self) -> &'static str {
        match self {
            ScoreScale::Detector => "outlier_score",
            ScoreScale::Model(w) => w.name(),
        }
    }
    fn rule(self) -> &'static str {
        match self {
            ScoreScale::Detector => "outlier_score > threshold",
            ScoreScale::Model(w) => w.rule(),
        }
    }
    /// From the outlier scale to the printed one (exact: a negation at most).
    fn to_own(self, v: f64) -> f64 {
        match self {
            ScoreScale::Detector => v,
            ScoreScale::Model(w) => w.to_outlier(v),
        }
    }
}

/// Everything `detect` reports.
struct Report<'a> {
    model_path: &'a Path,
    data_path: &'a Path,
    model: &'a Detector,
    scale: ScoreScale,
    rule: &'a Rule,
    n: usize,
    flagged: usize,
    threshold: f64,
    calibration_rows: Option<usize>,
    eval: Option<&'a Evaluation>,
    normal_class: Option<u32>,
    out: Option<&'a Path>,
    secs: f64,
    threads: usize,
}

impl Report<'_> {
    fn contamination(&self) -> Option<f64> {
        match (self.rule, self.model) {
            (Rule::Batch(Threshold::Contamination(c)), _) => Some(*c),
            (Rule::Stored(_), Detector::Fitted(d)) => Some(d.contamination()),
            _ => None,
        }
    }

    fn json(&self) -> serde_json::Value {
        let m = |f: fn(&Evaluation) -> f64| num(self.eval.map(f));
        let cnt = |f: fn(&Evaluation) -> usize| self.eval.map(f);
        let source = match self.rule {
            Rule::Batch(Threshold::Contamination(_)) => "contamination of the scored rows",
            Rule::Batch(Threshold::Explicit(_)) => "given",
            Rule::Stored(_) => "stored in the detector (fitted on its training rows)",
            Rule::Calibrated { .. } => "conformal, from the calibration rows",
        };
        serde_json::json!({
            "model": self.model_path.display().to_string(),
            "model_format": self.model.kind(),
            "data": self.data_path.display().to_string(),
            "score": self.scale.name(),
            "rule": self.scale.rule(),
            "n": self.n,
            "flagged": self.flagged,
            "threshold": num(Some(self.threshold)),
            "threshold_source": source,
            "contamination": num(self.contamination()),
            "fpr": num(match self.rule { Rule::Calibrated { fpr, .. } => Some(*fpr), _ => None }),
            "calibration_rows": self.calibration_rows,
            "normal_class": self.normal_class,
            "outliers": cnt(|e| e.outliers),
            "true_positives": cnt(|e| e.confusion.true_positives),
            "false_positives": cnt(|e| e.confusion.false_positives),
            "true_negatives": cnt(|e| e.confusion.true_negatives),
            "false_negatives": cnt(|e| e.confusion.false_negatives),
            "precision": m(|e| e.precision),
            "recall": m(|e| e.recall),
            "f1": m(|e| e.f1),
            "roc_auc": m(|e| e.roc_auc),
            "average_precision": m(|e| e.average_precision),
            "fpr_at_95_tpr": m(|e| e.fpr_at_95_tpr),
            "precision_at_n": m(|e| e.precision_at_n),
            "seconds": self.secs,
        })
    }

    fn print(&self, quiet: bool) -> Result<()> {
        let mut t = String::new();
        use std::fmt::Write as _;
        let _ = writeln!(t, "score: {} (flag rule: {})", self.scale.name(), self.scale.rule());
        let _ = match (self.rule, self.contamination()) {
            (Rule::Batch(Threshold::Contamination(c)), _) => {
                writeln!(
                    t,
                    "threshold: {} (contamination {c} of these rows, PyOD percentile rule)",
                    self.threshold
                )
            }
            (Rule::Stored(_), c) => writeln!(
                t,
                "threshold: {} (stored in the detector: contamination {} of its training rows)",
                self.threshold,
                c.unwrap_or(f64::NAN)
            ),
            (Rule::Calibrated { path, fpr }, _) => writeln!(
                t,
                "threshold: {} (conformal: at most {fpr} of the {} rows of {} flagged)",
                self.threshold,
                self.calibration_rows.unwrap_or(0),
                path.display()
            ),
            _ => writeln!(t, "threshold: {} (given)", self.threshold),
        };
        let pct = 100.0 * self.flagged as f64 / self.n as f64;
        let _ = writeln!(t, "flagged: {} of {} rows ({pct:.2}%)", self.flagged, self.n);
        if let (Some(e), Some(k)) = (self.eval, self.normal_class) {
            let c = &e.confusion;
            let _ = writeln!(
                t,
                "labels: normal class {k}; {} outliers, {} normal rows",
                e.outliers,
                self.n - e.outliers
            );
            let _ = writeln!(
                t,
                "tp {} fp {} tn {} fn {}",
                c.true_positives, c.false_positives, c.true_negatives, c.false_negatives
            );
            let _ = writeln!(
                t,
                "precision {:.4}  recall {:.4}  f1 {:.4}  roc_auc {:.4}",
                e.precision, e.recall, e.f1, e.roc_auc
            );
            let _ = writeln!(
                t,
                "average_precision {:.4}  fpr_at_95_tpr {:.4}  precision_at_n {:.4}",
                e.average_precision, e.fpr_at_95_tpr, e.precision_at_n
            );
        }
        if let Some(p) = self.out {
            let _ = writeln!(t, "flags -> {}", p.display());
        }
        crate::output::print_stdout(&t)?;
        if !quiet {
            eprintln!(
                "{} samples scored in {:.3} s ({:.0} samples/s, {} threads)",
                self.n,
                self.secs,
                self.n as f64 / self.secs.max(1e-9),
                self.threads
            );
        }
        Ok(())
    }
}

/// The rows `--explain` names: `flagged`, or comma-separated indices and `a-b` ranges (inclusive).
fn explain_rows(spec: &str, flags: &[bool]) -> Result<Vec<usize>> {
    if spec.trim() == "flagged" {
        return Ok((0..flags.len()).filter(|&i| flags[i]).collect());
    }
    let mut rows = Vec::new();
    for part in spec.split(',').map(str::trim) {
        let num = |v: &str| -> Result<usize> {
            let r: usize =
                v.trim().parse().map_err(|_| usage(format!("--explain: `{v}` is not a row number")))?;
            if r >= flags.len() {
                return Err(usage(format!("--explain: row {r} is past the last row ({})", flags.len() - 1)));
            }
            Ok(r)
        };
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (num(a)?, num(b)?);
                if a > b {
                    return Err(usage(format!("--explain: range {a}-{b} is decreasing")));
                }
                rows.extend(a..=b);
            }
            None => rows.push(num(part)?),
        }
    }
    Ok(rows)
}

/// Explain `rows` of `x` under a detector file and write them to `path` (.npy f64 [k, D] or CSV),
/// and as a heat-map picture to `png` (rows of `shape` HxW, default square).
fn write_explanations(
    model: &Detector,
    model_path: &Path,
    x: &potential_data::Features,
    rows: &[usize],
    path: &Path,
    png: Option<&Path>,
    shape: Option<&str>,
) -> Result<()> {
    let Detector::Fitted(det) = model else {
        return Err(usage(format!(
            "--explain: {} is not a detector file; explanations need the reference point that \
`potential detect fit` stores",
            model_path.display()
        )));
    };
    let d = x.d();
    let image = png.map(|_| super::data::image_shape(d, shape)).transpose()?;
    let picked: Vec<f32> = rows.iter().flat_map(|&r| x.row(r).iter().copied()).collect();
    let (c, _) = det.explain(&picked, 8).map_err(|e| CliError::detector(model_path, e))?;
    if let (Some(png), Some((h, w))) = (png, image) {
        if rows.is_empty() {
            eprintln!("explain: no rows to explain, so no picture written to {}", png.display());
        } else {
            crate::png_out::write_explanation_png(png, &picked, &c, h, w)?;
        }
    }
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("npy") => potential_data::write_npy_f64(path, &c, &[rows.len(), d])?,
        Some("csv") => {
            let mut f = potential_data::AtomicFile::create(path)?;
            let tmp = f.tmp_path().to_path_buf();
            let io = |e| CliError::Io { path: tmp.clone(), source: e };
            writeln!(f.writer(), "row,feature,contribution").map_err(io)?;
            for (k, &r) in rows.iter().enumerate() {
                for j in 0..d {
                    writeln!(f.writer(), "{r},{j},{}", c[k * d + j]).map_err(io)?;
                }
            }
            f.commit()?;
        }
        _ => return Err(usage(format!("--out-explain {}: use a .npy or .csv file name", path.display()))),
    }
    Ok(())
}

/// Write the flags: `.npy` u8 flags \[n\] (f64 \[n, 2\] of flag and p-value with calibration), or CSV
/// `index,<score>,outlier[,p_value]`.
fn write_flags(
    path: &Path,
    kind: &OutKind,
    scale: ScoreScale,
    scores: &[f64],
    flags: &[bool],
    p_values: Option<&[f64]>,
) -> Result<()> {
    match (kind, p_values) {
        (OutKind::Npy, None) => {
            let f: Vec<u32> = flags.iter().map(|&f| u32::from(f)).collect();
            potential_data::write_npy_labels(path, &f)?;
        }
        (OutKind::Npy, Some(p)) => {
            let data: Vec<f64> =
                flags.iter().zip(p).flat_map(|(&f, &p)| [f64::from(u8::from(f)), p]).collect();
            potential_data::write_npy_f64(path, &data, &[flags.len(), 2])?;
        }
        (OutKind::Csv, p) => write_flags_csv(path, scale, scores, flags, p)?,
    }
    Ok(())
}

/// CSV with the header `index,<score>,outlier[,p_value]`: the score on its own scale, the flag
/// (0/1) and the conformal p-value.
fn write_flags_csv(
    path: &Path,
    scale: ScoreScale,
    outlier_scores: &[f64],
    flags: &[bool],
    p_values: Option<&[f64]>,
) -> Result<()> {
    let mut f = potential_data::AtomicFile::create(path)?;
    let tmp = f.tmp_path().to_path_buf();
    let io = |e| CliError::Io { path: tmp.clone(), source: e };
    let wr = f.writer();
    let extra = if p_values.is_some() { ",p_value" } else { "" };
    writeln!(wr, "index,{},outlier{extra}", scale.name()).map_err(io)?;
    for (i, (&s, &fl)) in outlier_scores.iter().zip(flags).enumerate() {
        // `{}` on f64 prints the shortest representation that round-trips.
        match p_values {
            Some(p) => writeln!(wr, "{i},{},{},{}", scale.to_own(s), u8::from(fl), p[i]).map_err(io)?,
            None => writeln!(wr, "{i},{},{}", scale.to_own(s), u8::from(fl)).map_err(io)?,
        }
    }
    f.commit()?;
    Ok(())
}
