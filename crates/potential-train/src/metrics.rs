//! Per-epoch metrics (one JSON object per line in a metrics log).

use serde::Serialize;

/// What one finished epoch measured. Means are per sample; sums ran in `f64`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EpochMetrics {
    /// Completed epochs (1 after the first).
    pub epoch: usize,
    /// Learning rate used in this epoch.
    pub learning_rate: f32,
    /// Mean training objective seen by the steps of this epoch (corrupted inputs, penalty
    /// included, parameters as they were before each step's update).
    pub loss: f64,
    /// Mean reconstruction error ‖r(x) − x‖² on the metric rows (clean inputs, final parameters).
    pub reconstruction_error: f64,
    /// Mean contraction Σₖ h′(uₖ)²‖wₖ‖² (Eq. 40) on the metric rows.
    pub contraction: f64,
    /// Mean energy E(x) (Eq. 11–21, binary output Eq. 28) on the metric rows.
    pub energy: f64,
    /// Fraction of the metric rows where the model is absorbing, ΔE(x) < 0 (Eq. 39). `None` for a
    /// binary-output model when some row has a coordinate exactly 0 or 1 (where ΔE = −∞).
    pub absorbing_fraction: Option<f64>,
    /// Mean validation loss (reconstruction term only, clean inputs), with validation data.
    pub valid_loss: Option<f64>,
    /// Rows the metrics were measured on.
    pub metric_rows: usize,
    /// Wall-clock seconds of the epoch's steps.
    pub seconds: f64,
    /// Training samples per second of the epoch's steps.
    pub samples_per_second: f64,
}

impl EpochMetrics {
    /// The metrics as one line of JSON (no trailing newline).
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}
