//! What `detect` reports: the summary on stdout (text or one JSON object).

use super::model::Detector;
use super::rule::Rule;
use crate::error::Result;
use potential_models::novelty::{Evaluation, NoveltyScore, Threshold};
use std::path::Path;

/// JSON number or null (JSON has no NaN).
fn num(v: Option<f64>) -> serde_json::Value {
    v.and_then(serde_json::Number::from_f64).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

/// The scale scores are printed on: a detector's own outlier score, or a model's score kind.
#[derive(Clone, Copy)]
pub(super) enum ScoreScale {
    Detector,
    Model(NoveltyScore),
}

impl ScoreScale {
    pub(super) fn of(model: &Detector, what: NoveltyScore) -> Self {
        match model {
            Detector::Fitted(_) => ScoreScale::Detector,
            _ => ScoreScale::Model(what),
        }
    }
    pub(super) fn name(self) -> &'static str {
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
    pub(super) fn to_own(self, v: f64) -> f64 {
        match self {
            ScoreScale::Detector => v,
            ScoreScale::Model(w) => w.to_outlier(v),
        }
    }
}

/// Everything `detect` reports.
pub(super) struct Report<'a> {
    pub model_path: &'a Path,
    pub data_path: &'a Path,
    pub model: &'a Detector,
    pub scale: ScoreScale,
    pub rule: &'a Rule,
    pub n: usize,
    pub flagged: usize,
    pub threshold: f64,
    pub calibration_rows: Option<usize>,
    pub eval: Option<&'a Evaluation>,
    pub normal_class: Option<u32>,
    pub out: Option<&'a Path>,
    pub secs: f64,
    pub threads: usize,
}

impl Report<'_> {
    fn contamination(&self) -> Option<f64> {
        match (self.rule, self.model) {
            (Rule::Batch(Threshold::Contamination(c)), _) => Some(*c),
            (Rule::Stored(_), Detector::Fitted(d)) => Some(d.contamination()),
            _ => None,
        }
    }

    pub(super) fn json(&self) -> serde_json::Value {
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

    pub(super) fn print(&self, quiet: bool) -> Result<()> {
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
            crate::note!(
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
