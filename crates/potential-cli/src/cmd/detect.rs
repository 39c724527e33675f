//! `potential detect`: novelty detection — flag the rows whose energy is unusually low (or whose
//! reconstruction error is unusually high), with PyOD's contamination threshold or an explicit one,
//! and with labels the precision, recall, F1 and ROC AUC of the flags.

use crate::error::{CliError, Result};
use crate::progress;
use potential_csae::{AnyCsae, CSAE_FORMAT, FACTORED_CSAE_FORMAT};
use potential_kernels::MatRef;
use potential_models::novelty::{self, Evaluation, NoveltyError, NoveltyScore, Threshold};
use potential_models::{FormatError, TiedAutoencoder};
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
and precision, recall, F1 of the flags and the ROC AUC of the scores (exact, ties counted one half) \
are reported.

The model is a tied autoencoder (format potential.tied-autoencoder) or a CSAE classifier (format \
potential.csae or potential.factored-csae), whose \"energy\" is then the log of the normaliser of \
Eq. 45, log sum_i exp(E_i(x) + C_i): low when x is unlike every class.";

/// Arguments of `potential detect`.
#[derive(clap::Args, Debug)]
#[command(
    long_about = LONG_ABOUT,
    after_help = "EXAMPLES:\n  potential detect --model ae3.safetensors --data t10k-images-idx3-ubyte --labels \
t10k-labels-idx1-ubyte --normal-class 3\n  potential detect --model ae.safetensors --data x.npy --contamination 0.05 \
--out flags.csv\n  potential detect --model ae.safetensors --data x.npy --threshold -120.5 --json"
)]
pub struct DetectArgs {
    /// Model file: a tied autoencoder, or a (factored) CSAE classifier (safetensors).
    #[arg(long, value_name = "M.safetensors")]
    pub model: PathBuf,
    /// Data matrix [n, D]: .npy, IDX (raw or .gz), .amat, or the digits CSV.
    #[arg(long, value_name = "X")]
    pub data: PathBuf,
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
    /// The score that ranks the rows.
    #[arg(long, value_name = "SCORE", default_value = "energy", value_parser = ["energy", "reconstruction-error"])]
    pub score: String,
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

/// A model that can score rows.
enum Detector {
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
            Err(e) => Err(e.into()),
        }
    }

    fn visible(&self) -> usize {
        match self {
            Detector::Tied(m) => m.visible(),
            Detector::Csae(m) => m.visible(),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Detector::Tied(_) => potential_models::TIED_FORMAT,
            Detector::Csae(m) => m.format(),
        }
    }

    /// Outlier scores of a block of rows (higher = more unusual).
    fn outlier_scores(&self, x: MatRef<'_>, what: NoveltyScore) -> std::result::Result<Vec<f64>, BlockError> {
        match self {
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

/// Run `potential detect`.
pub fn run(a: DetectArgs) -> Result<()> {
    let what: NoveltyScore = a.score.parse().map_err(|e: NoveltyError| usage(format!("--score: {e}")))?;
    let rule = match (a.threshold, a.contamination) {
        (Some(t), _) => {
            if t.is_nan() {
                return Err(usage("--threshold is NaN"));
            }
            // The user's threshold is on the score's own scale; the library flags outlier scores.
            Threshold::Explicit(what.to_outlier(t))
        }
        (None, c) => {
            let c = c.unwrap_or(novelty::DEFAULT_CONTAMINATION);
            novelty::check_contamination(c).map_err(|e| usage(format!("--contamination: {e}")))?;
            Threshold::Contamination(c)
        }
    };
    let out = a.out.as_deref().map(|p| out_kind(p).map(|k| (p, k))).transpose()?;
    let pool = crate::threads::pool(a.threads)?;
    let model = Detector::load(&a.model)?;
    if matches!(model, Detector::Csae(_)) && what != NoveltyScore::Energy {
        return Err(usage(format!(
            "--score {what}: {} is a CSAE classifier ({}); only --score energy (log Σᵢ exp(Eᵢ + Cᵢ)) is \
defined for it",
            a.model.display(),
            model.kind()
        )));
    }
    let x = potential_data::open_features(&a.data)?;
    let (n, d) = (x.n(), x.d());
    if d != model.visible() {
        return Err(usage(format!(
            "{}: rows have {d} values but the model {} expects {} (its visible size)",
            a.data.display(),
            a.model.display(),
            model.visible()
        )));
    }
    if n == 0 {
        return Err(usage(format!("{}: no rows to score", a.data.display())));
    }
    let truth = match (&a.labels, a.normal_class) {
        (Some(path), Some(k)) => {
            let labels = potential_data::open_labels(path)?;
            if labels.len() != n {
                return Err(usage(format!(
                    "{}: {} labels, but {} has {n} rows",
                    path.display(),
                    labels.len(),
                    a.data.display()
                )));
            }
            Some(novelty::outliers_from_labels(&labels, k))
        }
        _ => None,
    };

    let t0 = Instant::now();
    let bar = progress::bar(n as u64, "rows", a.quiet || a.json);
    let block = 8192;
    let mut scores = Vec::with_capacity(n);
    pool.install(|| -> Result<()> {
        let data = x.as_slice();
        let mut r0 = 0;
        while r0 < n {
            let nr = block.min(n - r0);
            let view = MatRef::from_row_major(&data[r0 * d..(r0 + nr) * d], nr, d);
            match model.outlier_scores(view, what) {
                Ok(part) => scores.extend_from_slice(&part),
                Err(BlockError::Novelty(NoveltyError::Model(e))) => {
                    return Err(CliError::scoring(&a.data, r0, e))
                }
                Err(BlockError::Novelty(e)) => return Err(usage(format!("{}: {e}", a.data.display()))),
                Err(BlockError::Csae(potential_csae::Error::Model(e))) => {
                    return Err(CliError::scoring(&a.data, r0, e))
                }
                Err(BlockError::Csae(e)) => return Err(e.into()),
            }
            r0 += nr;
            bar.inc(nr as u64);
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    let secs = t0.elapsed().as_secs_f64();

    let detection =
        novelty::detect(&scores, rule).map_err(|e| usage(format!("{}: {e}", a.data.display())))?;
    let eval: Option<Evaluation> = match &truth {
        Some(is_outlier) => Some(novelty::evaluate(&scores, &detection.flags, is_outlier).map_err(|e| {
            usage(format!(
                "{} with normal class {}: {e}",
                a.labels.as_deref().unwrap_or(Path::new("")).display(),
                a.normal_class.unwrap_or(0)
            ))
        })?),
        None => None,
    };
    // The threshold on the score's own scale (−t for the energy: exact).
    let threshold = what.to_outlier(detection.threshold);

    if let Some((path, kind)) = &out {
        match kind {
            OutKind::Npy => {
                let flags: Vec<u32> = detection.flags.iter().map(|&f| u32::from(f)).collect();
                potential_data::write_npy_labels(path, &flags)?;
            }
            OutKind::Csv => write_flags_csv(path, what, &scores, &detection.flags)?,
        }
    }

    let contamination = match rule {
        Threshold::Contamination(c) => Some(c),
        Threshold::Explicit(_) => None,
    };
    if a.json {
        let m = |f: fn(&Evaluation) -> f64| num(eval.as_ref().map(f));
        let cnt = |f: fn(&Evaluation) -> usize| eval.as_ref().map(f);
        let obj = serde_json::json!({
            "model": a.model.display().to_string(),
            "model_format": model.kind(),
            "data": a.data.display().to_string(),
            "score": what.name(),
            "rule": what.rule(),
            "n": n,
            "flagged": detection.flagged,
            "threshold": num(Some(threshold)),
            "contamination": num(contamination),
            "normal_class": a.normal_class,
            "outliers": cnt(|e| e.outliers),
            "true_positives": cnt(|e| e.confusion.true_positives),
            "false_positives": cnt(|e| e.confusion.false_positives),
            "true_negatives": cnt(|e| e.confusion.true_negatives),
            "false_negatives": cnt(|e| e.confusion.false_negatives),
            "precision": m(|e| e.precision),
            "recall": m(|e| e.recall),
            "f1": m(|e| e.f1),
            "roc_auc": m(|e| e.roc_auc),
            "seconds": secs,
        });
        println!("{obj}");
        return Ok(());
    }
    let mut o = std::io::stdout().lock();
    let w = |r: std::io::Result<()>| r.map_err(|e| CliError::Io { path: "<stdout>".into(), source: e });
    let pct = 100.0 * detection.flagged as f64 / n as f64;
    w(writeln!(o, "score: {what} (flag rule: {})", what.rule()))?;
    match contamination {
        Some(c) => w(writeln!(o, "threshold: {threshold} (contamination {c}, PyOD percentile rule)"))?,
        None => w(writeln!(o, "threshold: {threshold} (given)"))?,
    }
    w(writeln!(o, "flagged: {} of {n} rows ({pct:.2}%)", detection.flagged))?;
    if let (Some(e), Some(k)) = (&eval, a.normal_class) {
        let c = &e.confusion;
        w(writeln!(o, "labels: normal class {k}; {} outliers, {} normal rows", e.outliers, n - e.outliers))?;
        w(writeln!(
            o,
            "tp {} fp {} tn {} fn {}",
            c.true_positives, c.false_positives, c.true_negatives, c.false_negatives
        ))?;
        w(writeln!(
            o,
            "precision {:.4}  recall {:.4}  f1 {:.4}  roc_auc {:.4}",
            e.precision, e.recall, e.f1, e.roc_auc
        ))?;
    }
    if let Some((path, _)) = &out {
        w(writeln!(o, "flags -> {}", path.display()))?;
    }
    if !a.quiet {
        eprintln!(
            "{n} samples scored in {secs:.3} s ({:.0} samples/s, {} threads)",
            n as f64 / secs.max(1e-9),
            pool.current_num_threads()
        );
    }
    Ok(())
}

/// CSV with the header `index,<score>,outlier`: the score on its own scale and the flag (0/1).
fn write_flags_csv(path: &Path, what: NoveltyScore, outlier_scores: &[f64], flags: &[bool]) -> Result<()> {
    let mut f = potential_data::AtomicFile::create(path)?;
    let tmp = f.tmp_path().to_path_buf();
    let io = |e| CliError::Io { path: tmp.clone(), source: e };
    let wr = f.writer();
    writeln!(wr, "index,{},outlier", what.name()).map_err(io)?;
    for (i, (&s, &fl)) in outlier_scores.iter().zip(flags).enumerate() {
        // `{}` on f64 prints the shortest representation that round-trips.
        writeln!(wr, "{i},{},{}", what.to_outlier(s), u8::from(fl)).map_err(io)?;
    }
    f.commit()?;
    Ok(())
}
