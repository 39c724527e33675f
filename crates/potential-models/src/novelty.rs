//! Novelty (outlier) detection with the energy of a tied autoencoder: outlier scores, a threshold
//! from a contamination rate as PyOD sets it, and the metrics of a labelled evaluation (ROC AUC,
//! precision, recall, F1).
//!
//! # Sign convention
//! Every function here works on **outlier scores: higher means more unusual**, the convention of
//! PyOD's `decision_scores_` and of ROC AUC with the outlier as the positive class.
//! [`NoveltyScore`] turns a model's per-sample score into one:
//!
//! | [`NoveltyScore`] | per-sample score (README, *File formats*) | outlier score |
//! |---|---|---|
//! | [`Energy`](NoveltyScore::Energy) | E(x), Eq. 11–21 (28 for binary output): **higher = more typical** (∇ₓE = r(x) − x, Eq. 9) | −E(x) |
//! | [`ReconstructionError`](NoveltyScore::ReconstructionError) | ‖r(x) − x‖²: higher = worse represented | ‖r(x) − x‖² |
//!
//! So "energy unusually low" and "outlier score above the threshold" are the same statement, and a
//! threshold t on the outlier scale is the energy threshold −t (negation is exact in floating point).
//!
//! # Thresholds
//! - [`contamination_threshold`]`(s, c)` is what PyOD computes after fitting a detector with
//!   `contamination = c`: `numpy.percentile(s, 100 * (1 - c))` with numpy's default linear
//!   interpolation (same arithmetic, including numpy's two-sided `lerp`). c must lie in (0, 0.5],
//!   PyOD's range.
//! - [`flag`]: a row is flagged when its outlier score is **strictly greater** than the threshold
//!   (PyOD: `labels_ = (decision_scores_ > threshold_)`). Rows *equal* to the threshold are not
//!   flagged.
//! - How many rows the contamination threshold flags: with the n scores sorted ascending
//!   s₍₀₎ ≤ … ≤ s₍ₙ₋₁₎ and k = ⌊(1 − c)(n − 1)⌋ (computed as numpy does, see
//!   [`contamination_threshold`]), **at most n − 1 − k rows are flagged, and exactly n − 1 − k when
//!   s₍ₖ₎ < s₍ₖ₊₁₎** — in particular whenever the scores are distinct. n − 1 − k = ⌈c(n − 1)⌉ up to the
//!   rounding of the product: 100 of 1000 rows at c = 0.1, 300 of 1000 at c = 0.3, 1 of 10 at
//!   c = 0.1. Ties at s₍ₖ₎ = s₍ₖ₊₁₎ make the threshold equal to that tied value, and the tied rows
//!   are then not flagged, so fewer rows are. (The threshold is clamped into
//!   [s₍ₖ₎, s₍ₖ₊₁₎]; numpy's formula can leave that bracket by one rounding only for adjacent
//!   scores of wildly different magnitude, the one case where the value may differ from numpy's.)
//!
//! # Metrics
//! The outlier is the **positive** class. [`roc_auc`] is exact: the Mann–Whitney U statistic with
//! tied scores given their average rank, U / (n₊ n₋), which equals the pairwise definition
//! (#{outlier scored above normal} + ½ #{ties}) / (n₊ n₋) bit for bit. [`Confusion`] gives
//! precision tp/(tp + fp), recall tp/(tp + fn) and F1 = 2tp/(2tp + fp + fn) (the harmonic mean of
//! the two), each 0 when its denominator is 0 (scikit-learn's `zero_division=0`).
//!
//! All in `f64`. Bad input is a [`NoveltyError`]: a contamination outside (0, 0.5], a NaN
//! threshold, a non-finite score (with its index), label/flag vectors of another length, no rows,
//! or a label set with a single class for ROC AUC.
//!
//! # Example
//! ```
//! use potential_activations::ActivationKind;
//! use potential_kernels::MatRef;
//! use potential_models::novelty::{self, NoveltyScore};
//! use potential_models::{Output, TiedAutoencoder};
//!
//! // A linear autoencoder with the filter (1, 0): E(x) = −½ x₂² (Eq. 16), so points far from the
//! // first axis have low energy and are the outliers.
//! let model = TiedAutoencoder::new(vec![1.0, 0.0], vec![0.0], vec![0.0, 0.0], ActivationKind::Linear, Output::Real)?;
//! let x = [0.0f32, 0.1, 1.0, -0.2, 2.0, 3.0, -1.0, 0.05, 0.5, 0.0];
//! let scores = novelty::outlier_scores(&model, MatRef::from_row_major(&x, 5, 2), NoveltyScore::Energy)?;
//! assert_eq!(scores[2], 4.5); // −E = ½ · 3²
//!
//! let t = novelty::contamination_threshold(&scores, 0.25)?; // numpy.percentile(scores, 75)
//! let flags = novelty::flag(&scores, t)?;
//! assert_eq!(flags, [false, false, true, false, false]); // ⌈0.25 · 4⌉ = 1 row
//!
//! let is_outlier = [false, true, true, false, false];
//! assert_eq!(novelty::roc_auc(&scores, &is_outlier)?, 1.0);
//! let m = novelty::Confusion::new(&flags, &is_outlier)?;
//! assert_eq!((m.precision(), m.recall()), (1.0, 0.5));
//! # Ok::<(), novelty::NoveltyError>(())
//! ```

use crate::{Precision, Score, TiedAutoencoder};
use potential_kernels::MatRef;

/// PyOD's default contamination rate (the fraction of rows flagged), 0.1.
pub const DEFAULT_CONTAMINATION: f64 = 0.1;

/// `Result` with [`NoveltyError`].
pub type Result<T> = std::result::Result<T, NoveltyError>;

/// What can go wrong in novelty detection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NoveltyError {
    /// A contamination rate outside (0, 0.5] (or NaN).
    #[error("contamination {value} is outside (0, 0.5] (the fraction of rows expected to be outliers)")]
    Contamination {
        /// The rate given.
        value: f64,
    },
    /// An explicit threshold that is NaN.
    #[error("the threshold is NaN")]
    NanThreshold,
    /// A score that is NaN or ±∞.
    #[error("score of row {index} is {value}; scores must be finite")]
    NonFiniteScore {
        /// Row index.
        index: usize,
        /// The value.
        value: f64,
    },
    /// A vector whose length differs from the number of scores.
    #[error("{what} has {found} entries but there are {expected} scores")]
    LengthMismatch {
        /// Which vector (`"labels"`, `"flags"`).
        what: &'static str,
        /// The number of scores.
        expected: usize,
        /// Its length.
        found: usize,
    },
    /// No rows at all.
    #[error("no scores: a threshold or metric needs at least one row")]
    Empty,
    /// ROC AUC of a label set with only one class.
    #[error("ROC AUC needs both outliers and normal rows, but all {n} rows are {}", if *.outliers { "outliers" } else { "normal" })]
    SingleClass {
        /// Number of rows.
        n: usize,
        /// Whether they are all outliers (else all normal).
        outliers: bool,
    },
    /// An unknown score name.
    #[error("unknown novelty score `{name}` (expected energy or reconstruction-error)")]
    UnknownScore {
        /// The name given.
        name: String,
    },
    /// The model could not score the data (shape, non-finite input, …).
    #[error(transparent)]
    Model(#[from] crate::Error),
}

/// Which per-sample score ranks the rows, and how it becomes an outlier score (higher = more unusual).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NoveltyScore {
    /// The energy E(x) (higher = more typical); outlier score −E(x).
    Energy,
    /// The reconstruction error ‖r(x) − x‖² (higher = more unusual); outlier score as is.
    ReconstructionError,
}

impl NoveltyScore {
    /// Both scores.
    pub const ALL: [NoveltyScore; 2] = [NoveltyScore::Energy, NoveltyScore::ReconstructionError];

    /// The command-line name: `energy` or `reconstruction-error` (as `potential score --what`).
    pub const fn name(self) -> &'static str {
        self.score().name()
    }

    /// The per-sample [`Score`] this ranks by.
    pub const fn score(self) -> Score {
        match self {
            NoveltyScore::Energy => Score::Energy,
            NoveltyScore::ReconstructionError => Score::ReconstructionError,
        }
    }

    /// The outlier score of a per-sample score `raw`: −raw for the energy, raw for the
    /// reconstruction error. Its own inverse (negation is exact), so it also maps an outlier-scale
    /// threshold back to the score's own scale.
    pub fn to_outlier(self, raw: f64) -> f64 {
        match self {
            NoveltyScore::Energy => -raw,
            NoveltyScore::ReconstructionError => raw,
        }
    }

    /// Outlier scores of a slice of per-sample scores (see [`NoveltyScore::to_outlier`]).
    pub fn to_outlier_scores(self, raw: &[f64]) -> Vec<f64> {
        raw.iter().map(|&r| self.to_outlier(r)).collect()
    }

    /// The flag rule on the score's own scale: `"energy < threshold"` or
    /// `"reconstruction-error > threshold"`.
    pub const fn rule(self) -> &'static str {
        match self {
            NoveltyScore::Energy => "energy < threshold",
            NoveltyScore::ReconstructionError => "reconstruction-error > threshold",
        }
    }
}

impl core::fmt::Display for NoveltyScore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

impl core::str::FromStr for NoveltyScore {
    type Err = NoveltyError;
    fn from_str(s: &str) -> Result<Self> {
        NoveltyScore::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| NoveltyError::UnknownScore { name: s.to_owned() })
    }
}

/// The outlier scores of every row of `x` (\[n, D\]) under `model`: −E(x) or ‖r(x) − x‖²
/// (see the [module docs](self)).
///
/// # Errors
/// [`NoveltyError::Model`] with the model's error (wrong width, non-finite input, …).
pub fn outlier_scores(model: &TiedAutoencoder, x: MatRef<'_>, what: NoveltyScore) -> Result<Vec<f64>> {
    outlier_scores_with(model, x, what, Precision::F32)
}

/// [`outlier_scores`] with the energy in the given [`Precision`] (bf16 applies to the energy only).
///
/// # Errors
/// As [`outlier_scores`], and those of [`TiedAutoencoder::score_batch_with`].
pub fn outlier_scores_with(
    model: &TiedAutoencoder,
    x: MatRef<'_>,
    what: NoveltyScore,
    precision: Precision,
) -> Result<Vec<f64>> {
    let mut s = model.score_batch_with(x, what.score(), precision)?;
    if what == NoveltyScore::Energy {
        s.iter_mut().for_each(|v| *v = -*v);
    }
    Ok(s)
}

/// Check that every score is finite and that there is at least one.
fn check_scores(scores: &[f64]) -> Result<()> {
    if scores.is_empty() {
        return Err(NoveltyError::Empty);
    }
    match scores.iter().position(|s| !s.is_finite()) {
        Some(index) => Err(NoveltyError::NonFiniteScore { index, value: scores[index] }),
        None => Ok(()),
    }
}

fn check_len(what: &'static str, expected: usize, found: usize) -> Result<()> {
    if expected != found {
        return Err(NoveltyError::LengthMismatch { what, expected, found });
    }
    Ok(())
}

/// Check a contamination rate: in (0, 0.5].
///
/// # Errors
/// [`NoveltyError::Contamination`].
pub fn check_contamination(c: f64) -> Result<()> {
    if c > 0.0 && c <= 0.5 {
        Ok(())
    } else {
        Err(NoveltyError::Contamination { value: c })
    }
}

/// numpy's `_lerp(a, b, t)`: `a + (b − a)t`, or `b − (b − a)(1 − t)` when t ≥ ½.
fn numpy_lerp(a: f64, b: f64, t: f64) -> f64 {
    let d = b - a;
    if t >= 0.5 {
        b - d * (1.0 - t)
    } else {
        a + d * t
    }
}

/// The threshold PyOD sets for contamination `c`: `numpy.percentile(scores, 100 * (1 - c))`
/// (linear interpolation) of the outlier scores. With q = (100(1 − c))/100 and v = (n − 1)q as
/// numpy computes them, k = ⌊v⌋: s₍ₙ₋₁₎ if v ≥ n − 1, else numpy's lerp of s₍ₖ₎ and s₍ₖ₊₁₎ at
/// v − k, clamped into [s₍ₖ₎, s₍ₖ₊₁₎]. The [module docs](self) state how many rows it flags.
///
/// # Errors
/// [`NoveltyError::Contamination`], [`NoveltyError::Empty`], [`NoveltyError::NonFiniteScore`].
pub fn contamination_threshold(scores: &[f64], c: f64) -> Result<f64> {
    check_contamination(c)?;
    check_scores(scores)?;
    let mut s = scores.to_vec();
    s.sort_unstable_by(f64::total_cmp);
    Ok(percentile_sorted(&s, 1.0 - c))
}

/// `numpy.percentile(s, 100 q)` of the ascending `s` (non-empty), q ∈ [0, 1], with numpy's linear
/// interpolation (the arithmetic of [`contamination_threshold`]).
fn percentile_sorted(s: &[f64], q: f64) -> f64 {
    let n = s.len();
    let q = (100.0 * q) / 100.0;
    let v = (n - 1) as f64 * q;
    if v >= (n - 1) as f64 {
        return s[n - 1];
    }
    let k = v.floor() as usize; // v ∈ [0, n − 1): 0 ≤ k ≤ n − 2
    let (a, b) = (s[k], s[k + 1]);
    numpy_lerp(a, b, v - k as f64).clamp(a, b)
}

/// Flag every row whose outlier score is strictly greater than `threshold` (rows equal to it are
/// not flagged). `threshold` may be ±∞ (nothing / everything flagged).
///
/// # Errors
/// [`NoveltyError::NanThreshold`], [`NoveltyError::Empty`], [`NoveltyError::NonFiniteScore`].
pub fn flag(scores: &[f64], threshold: f64) -> Result<Vec<bool>> {
    if threshold.is_nan() {
        return Err(NoveltyError::NanThreshold);
    }
    check_scores(scores)?;
    Ok(scores.iter().map(|&s| s > threshold).collect())
}

/// How the threshold is chosen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Threshold {
    /// From a contamination rate in (0, 0.5] ([`contamination_threshold`]).
    Contamination(f64),
    /// An explicit threshold on the outlier-score scale.
    Explicit(f64),
}

/// The outcome of thresholding: the threshold (outlier-score scale), one flag per row, and how
/// many are flagged.
#[derive(Clone, Debug, PartialEq)]
pub struct Detection {
    /// The threshold on the outlier-score scale; rows with a score above it are flagged.
    pub threshold: f64,
    /// One flag per row (true = outlier).
    pub flags: Vec<bool>,
    /// Number of flagged rows.
    pub flagged: usize,
}

/// Threshold the outlier scores by `rule` and flag the rows above it.
///
/// # Errors
/// Those of [`contamination_threshold`] and [`flag`].
pub fn detect(scores: &[f64], rule: Threshold) -> Result<Detection> {
    let threshold = match rule {
        Threshold::Contamination(c) => contamination_threshold(scores, c)?,
        Threshold::Explicit(t) => t,
    };
    let flags = flag(scores, threshold)?;
    let flagged = flags.iter().filter(|&&f| f).count();
    Ok(Detection { threshold, flags, flagged })
}

/// Which rows are outliers when `normal` is the one normal class: every other label.
pub fn outliers_from_labels(labels: &[u32], normal: u32) -> Vec<bool> {
    labels.iter().map(|&l| l != normal).collect()
}

/// The exact ROC AUC of outlier scores against `is_outlier` (the outlier is the positive class):
/// U / (n₊ n₋) with U = R₊ − n₊(n₊ + 1)/2, R₊ the sum of the outliers' ranks (1-based, ascending
/// score, tied scores sharing their average rank). Equals the probability that a random outlier
/// scores above a random normal row, ties counting ½. O(n log n).
///
/// # Errors
/// [`NoveltyError::Empty`], [`NoveltyError::NonFiniteScore`], [`NoveltyError::LengthMismatch`],
/// [`NoveltyError::SingleClass`].
pub fn roc_auc(scores: &[f64], is_outlier: &[bool]) -> Result<f64> {
    let pos = check_ranking(scores, is_outlier)?;
    let n = scores.len();
    let neg = n - pos;
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by(|&i, &j| scores[i].total_cmp(&scores[j]));
    // Twice the rank sum, so that average ranks (half-integers) stay integers: exact in u128.
    let mut twice_rank_sum: u128 = 0;
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        // total_cmp puts −0.0 right before +0.0, so equal values are adjacent.
        while j < n && scores[order[j]] == scores[order[i]] {
            j += 1;
        }
        // Ranks i+1 ..= j share the average (i + 1 + j)/2; twice that is i + 1 + j.
        let group_pos = order[i..j].iter().filter(|&&r| is_outlier[r]).count() as u128;
        twice_rank_sum += group_pos * (i + 1 + j) as u128;
        i = j;
    }
    let (p, q) = (pos as u128, neg as u128);
    // 2U = 2R₊ − n₊(n₊ + 1): an integer, ≤ 2 n₊ n₋.
    let twice_u = twice_rank_sum - p * (p + 1);
    Ok(twice_u as f64 / (2 * p * q) as f64)
}

/// The checks shared by the ranking metrics: finite scores, matching lengths, both classes present.
/// Returns the number of outliers.
fn check_ranking(scores: &[f64], is_outlier: &[bool]) -> Result<usize> {
    check_scores(scores)?;
    let n = scores.len();
    check_len("labels", n, is_outlier.len())?;
    let pos = is_outlier.iter().filter(|&&o| o).count();
    if pos == 0 || pos == n {
        return Err(NoveltyError::SingleClass { n, outliers: pos == n });
    }
    Ok(pos)
}

/// The ROC/PR curve's points: for each distinct score, from the highest down, the cumulative
/// (true positives, false positives) of flagging every row scoring at least that much (tied rows
/// enter together, as scikit-learn's `_binary_clf_curve` does).
fn curve(scores: &[f64], is_outlier: &[bool]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_unstable_by(|&i, &j| scores[j].total_cmp(&scores[i]));
    let (mut tp, mut fp, mut out) = (0usize, 0usize, Vec::new());
    for (k, &i) in order.iter().enumerate() {
        if is_outlier[i] {
            tp += 1;
        } else {
            fp += 1;
        }
        if order.get(k + 1).is_none_or(|&j| scores[j] != scores[i]) {
            out.push((tp, fp));
        }
    }
    out
}

/// Average precision (the area under the precision–recall curve as scikit-learn's
/// `average_precision_score` computes it): AP = Σₖ (Rₖ − Rₖ₋₁)·Pₖ over the distinct scores from the
/// highest down, Pₖ and Rₖ the precision and recall of flagging the rows scoring at least the k-th
/// one (tied rows enter together; R₀ = 0). The outlier is the positive class.
///
/// # Errors
/// As [`roc_auc`].
pub fn average_precision(scores: &[f64], is_outlier: &[bool]) -> Result<f64> {
    let pos = check_ranking(scores, is_outlier)? as f64;
    let (mut ap, mut last_recall) = (0.0f64, 0.0f64);
    for (tp, fp) in curve(scores, is_outlier) {
        let recall = tp as f64 / pos;
        ap += (recall - last_recall) * (tp as f64 / (tp + fp) as f64);
        last_recall = recall;
    }
    Ok(ap)
}

/// The false-positive rate at the first threshold (distinct scores, from the highest down; tied rows
/// enter together) whose true-positive rate reaches `tpr`: the fraction of normal rows one must flag
/// to catch that fraction of the outliers. `fpr_at_tpr(s, y, 0.95)` is the usual "FPR at 95 % TPR".
///
/// # Errors
/// As [`roc_auc`]; [`NoveltyError::Contamination`] is not used: a `tpr` outside (0, 1] is clamped.
pub fn fpr_at_tpr(scores: &[f64], is_outlier: &[bool], tpr: f64) -> Result<f64> {
    let pos = check_ranking(scores, is_outlier)?;
    let neg = (scores.len() - pos) as f64;
    let target = tpr.clamp(f64::MIN_POSITIVE, 1.0);
    for (tp, fp) in curve(scores, is_outlier) {
        if tp as f64 / pos as f64 >= target {
            return Ok(fp as f64 / neg);
        }
    }
    Ok(1.0)
}

/// Precision at n, PyOD's `precision_n_scores` with n = the number of outliers: the threshold is
/// `numpy.percentile(scores, 100·(1 − n/len))` and the rows scoring strictly above it are the
/// predicted outliers (ties at the threshold are not, so fewer than n rows may be predicted);
/// returns tp / predicted (0 when nothing is predicted).
///
/// # Errors
/// As [`roc_auc`].
pub fn precision_at_n(scores: &[f64], is_outlier: &[bool]) -> Result<f64> {
    let pos = check_ranking(scores, is_outlier)?;
    let mut s = scores.to_vec();
    s.sort_unstable_by(f64::total_cmp);
    let t = percentile_sorted(&s, 1.0 - pos as f64 / scores.len() as f64);
    let flags: Vec<bool> = scores.iter().map(|&v| v > t).collect();
    Ok(Confusion::new(&flags, is_outlier)?.precision())
}

/// Counts of flagged/unflagged outlier/normal rows (the outlier is the positive class).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Confusion {
    /// Flagged outliers.
    pub true_positives: usize,
    /// Flagged normal rows.
    pub false_positives: usize,
    /// Unflagged normal rows.
    pub true_negatives: usize,
    /// Unflagged outliers.
    pub false_negatives: usize,
}

impl Confusion {
    /// Count `flags` against `is_outlier`.
    ///
    /// # Errors
    /// [`NoveltyError::LengthMismatch`] if the lengths differ.
    pub fn new(flags: &[bool], is_outlier: &[bool]) -> Result<Self> {
        check_len("labels", flags.len(), is_outlier.len())?;
        let mut c = Confusion::default();
        for (&f, &o) in flags.iter().zip(is_outlier) {
            match (f, o) {
                (true, true) => c.true_positives += 1,
                (true, false) => c.false_positives += 1,
                (false, false) => c.true_negatives += 1,
                (false, true) => c.false_negatives += 1,
            }
        }
        Ok(c)
    }

    /// tp / (tp + fp); 0 when nothing is flagged.
    pub fn precision(&self) -> f64 {
        ratio(self.true_positives, self.true_positives + self.false_positives)
    }

    /// tp / (tp + fn); 0 when there are no outliers.
    pub fn recall(&self) -> f64 {
        ratio(self.true_positives, self.true_positives + self.false_negatives)
    }

    /// 2tp / (2tp + fp + fn), the harmonic mean of precision and recall; 0 when there are no
    /// outliers and nothing is flagged.
    pub fn f1(&self) -> f64 {
        ratio(2 * self.true_positives, 2 * self.true_positives + self.false_positives + self.false_negatives)
    }
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// A labelled evaluation: the counts, precision, recall, F1 of the flags and the ranking metrics
/// of the scores (ROC AUC, average precision, FPR at 95 % TPR, precision at n).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    /// Number of rows.
    pub n: usize,
    /// Number of outliers (positives) among them.
    pub outliers: usize,
    /// Number of flagged rows.
    pub flagged: usize,
    /// The confusion counts.
    pub confusion: Confusion,
    /// [`Confusion::precision`].
    pub precision: f64,
    /// [`Confusion::recall`].
    pub recall: f64,
    /// [`Confusion::f1`].
    pub f1: f64,
    /// [`roc_auc`] of the scores.
    pub roc_auc: f64,
    /// [`average_precision`] of the scores.
    pub average_precision: f64,
    /// [`fpr_at_tpr`] of the scores at 95 % TPR.
    pub fpr_at_95_tpr: f64,
    /// [`precision_at_n`] of the scores.
    pub precision_at_n: f64,
}

/// Evaluate flags and outlier scores against the truth.
///
/// # Errors
/// Those of [`roc_auc`]; [`NoveltyError::LengthMismatch`] when `flags` has another length.
pub fn evaluate(scores: &[f64], flags: &[bool], is_outlier: &[bool]) -> Result<Evaluation> {
    let roc_auc = roc_auc(scores, is_outlier)?;
    check_len("flags", scores.len(), flags.len())?;
    let confusion = Confusion::new(flags, is_outlier)?;
    Ok(Evaluation {
        n: scores.len(),
        outliers: is_outlier.iter().filter(|&&o| o).count(),
        flagged: flags.iter().filter(|&&f| f).count(),
        confusion,
        precision: confusion.precision(),
        recall: confusion.recall(),
        f1: confusion.f1(),
        roc_auc,
        average_precision: average_precision(scores, is_outlier)?,
        fpr_at_95_tpr: fpr_at_tpr(scores, is_outlier, 0.95)?,
        precision_at_n: precision_at_n(scores, is_outlier)?,
    })
}
