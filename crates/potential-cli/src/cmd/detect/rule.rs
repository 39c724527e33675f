//! How `detect` sets its threshold: PyOD's contamination rule, an explicit threshold, the one a
//! detector file stores, or a conformal one from held-out normal rows.

use super::model::{open_rows, score_rows, Detector};
use super::{usage, DetectArgs};
use crate::error::Result;
use potential_models::novelty::{self, NoveltyScore, Threshold};
use potential_models::Precision;
use std::path::{Path, PathBuf};

/// How the threshold is set.
pub(super) enum Rule {
    /// PyOD's contamination rule on the scored rows, or an explicit outlier-scale threshold.
    Batch(Threshold),
    /// The threshold stored in a detector file.
    Stored(f64),
    /// Conformal: at most `fpr` of the calibration rows (held-out normal rows) flagged.
    Calibrated { path: PathBuf, fpr: f64 },
}

/// The rule the flags of `a` ask for, checked before any work.
pub(super) fn rule(a: &DetectArgs, what: NoveltyScore) -> Result<Option<Rule>> {
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

/// The rule of a run without a threshold flag: a detector file's stored threshold, else PyOD's
/// contamination rule at the default contamination.
pub(super) fn default_rule(model: &Detector) -> Rule {
    match model {
        Detector::Fitted(d) => Rule::Stored(d.threshold()),
        _ => Rule::Batch(Threshold::Contamination(novelty::DEFAULT_CONTAMINATION)),
    }
}

/// What a rule gives on the scored rows: the threshold rule of the flags, and for a calibrated
/// rule the rows' conformal p-values and the number of calibration rows.
pub(super) struct Calibrated {
    pub threshold: Threshold,
    pub p_values: Option<Vec<f64>>,
    pub rows: Option<usize>,
}

/// Resolve `rule` for rows with outlier scores `scores` (a calibrated rule scores its calibration
/// rows with `model`, read as `model_path`'s rows are).
pub(super) fn resolve(
    rule: &Rule,
    model: &Detector,
    model_path: &Path,
    (what, precision): (NoveltyScore, Precision),
    scores: &[f64],
) -> Result<Calibrated> {
    let (threshold, p_values, rows) = match rule {
        Rule::Batch(t) => (*t, None, None),
        Rule::Stored(t) => (Threshold::Explicit(*t), None, None),
        Rule::Calibrated { path, fpr } => {
            let c = open_rows(path, model, model_path)?;
            let cs = score_rows(model, &c, what, precision, path, true)?;
            let t = conformal_threshold(&cs, *fpr).map_err(|e| usage(format!("{}: {e}", path.display())))?;
            (Threshold::Explicit(t), Some(conformal_p_values(&cs, scores)), Some(c.n()))
        }
    };
    Ok(Calibrated { threshold, p_values, rows })
}

/// The conformal threshold for false-positive rate `fpr` from the calibration rows' outlier scores
/// `cal` (held-out normal rows): the k-th smallest with k = ⌈(1 − fpr)(m + 1)⌉, so that a row is
/// flagged (score > threshold) exactly when its conformal p-value is ≤ fpr, and at most fpr·m of the
/// calibration rows are flagged.
///
/// # Errors
/// A message when there are too few calibration rows for `fpr` (k > m).
fn conformal_threshold(cal: &[f64], fpr: f64) -> std::result::Result<f64, String> {
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
fn conformal_p_values(cal: &[f64], scores: &[f64]) -> Vec<f64> {
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
