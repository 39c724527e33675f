//! A novelty detector built from autoencoder energies, fitted on a table without labels: input
//! scalers, denoising autoencoders, and a decision threshold fitted on the training rows, all in
//! one file ([`DETECTOR_FORMAT`]).
//!
//! The energy is the autoencoder's confidence score (Sec. 2, Eq. 9): ∇E = r(x) − x, and for a tied
//! autoencoder trained with Gaussian denoising at noise σ, r(x) − x ≈ σ²∇log p_σ(x), so E estimates
//! σ² log p_σ(x) up to a constant. Rows of unusually low energy are the outliers.
//! [`DetectorConfig`] documents the default rule; every default is derived from the table (its
//! size, and whether its columns are mode-dominated) and can be overridden. [`Detector::explain`]
//! splits a row's outlier score exactly over its features.
//!
//! # Example
//! ```
//! use potential_data::Features;
//! use potential_train::detector::{Detector, DetectorConfig};
//!
//! // 300 points on the segment from (0, 0) to (1, 2).
//! let rows: Vec<f32> = (0..300).flat_map(|i| { let t = i as f32 / 300.0; [t, 2.0 * t] }).collect();
//! let x = Features::from_vec(rows, 300, 2)?;
//! let config = DetectorConfig { epochs: Some(40), ..DetectorConfig::default() };
//! let det = Detector::fit(&x, &config, &mut |_, _| std::ops::ControlFlow::Continue(()))?;
//! let s = det.outlier_scores(&[0.5, 1.0, 0.5, -3.0])?;
//! assert!(s[1] > s[0]); // a point far off the segment is stranger than one on it
//! assert_eq!(det.predict(&[0.5, -3.0])?, [true]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod config;
mod file;
mod fit;
mod scaler;

pub use config::{
    default_epochs, default_views, mode_dominated, set_aside, Combine, DetectorConfig, Resolved, View,
    DEFAULT_TRIM, DEFAULT_UPDATES, DEFAULT_VIEWS, MAX_DEFAULT_EPOCHS, MAX_DEFAULT_HIDDEN, MAX_TRIM,
    MEMBER_BUDGET, MIN_ROWS, MODE_DOMINATED_VIEWS, MODE_SHARE,
};
pub use file::DETECTOR_FORMAT;
pub use fit::{Detector, Member};
pub use scaler::{probit, Scaler, ScalerKind, MAX_QUANTILES};

/// `Result` with [`DetectorError`].
pub type Result<T> = std::result::Result<T, DetectorError>;

/// What fitting, applying, reading or writing a detector can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DetectorError {
    /// A setting out of its domain.
    #[error("detector setting {field} = {value}: {reason}")]
    Config {
        /// The setting.
        field: &'static str,
        /// Its value.
        value: String,
        /// What it must satisfy.
        reason: String,
    },
    /// Too few training rows.
    #[error("{found} training rows: a detector needs at least {needed}")]
    TooFewRows {
        /// Rows given.
        found: usize,
        /// Rows needed.
        needed: usize,
    },
    /// A NaN or infinite value.
    #[error("row {row}, column {column} is {value}: every value must be finite")]
    NonFinite {
        /// Row (0-based).
        row: usize,
        /// Column (0-based).
        column: usize,
        /// The value.
        value: f32,
    },
    /// Rows of the wrong width.
    #[error("the detector expects rows of {expected} columns, got {found} values (not a multiple)")]
    Width {
        /// Columns the detector was fitted on.
        expected: usize,
        /// Values given.
        found: usize,
    },
    /// A detector file that cannot be decoded.
    #[error("detector file: {0}")]
    Format(String),
    /// The observer stopped the fit.
    #[error("interrupted")]
    Interrupted,
    /// Training a member failed.
    #[error(transparent)]
    Train(#[from] crate::Error),
    /// A model error.
    #[error(transparent)]
    Model(#[from] potential_models::Error),
    /// A threshold or score error.
    #[error(transparent)]
    Novelty(#[from] potential_models::NoveltyError),
    /// A data error.
    #[error(transparent)]
    Data(#[from] potential_data::DataError),
    /// Reading or writing a file.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// numpy.percentile(v, 100 q) with linear interpolation, `v` sorted ascending and non-empty.
pub(crate) fn percentile_sorted(v: &[f64], q: f64) -> f64 {
    let pos = q * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    v[lo] + (pos - lo as f64) * (v[hi] - v[lo])
}
