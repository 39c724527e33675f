//! The error type of `potential-train`.

use std::path::PathBuf;

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Everything training can fail with: an invalid configuration (caught before anything runs),
/// data that does not fit the model, a diverged run, and checkpoints that cannot be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value out of its domain ([`TrainConfig::validate`](crate::TrainConfig::validate)).
    #[error("invalid training configuration: {field} = {value}: {reason}")]
    InvalidConfig {
        /// The field, as named in [`TrainConfig`](crate::TrainConfig).
        field: &'static str,
        /// The value given, formatted.
        value: String,
        /// What the value must satisfy.
        reason: &'static str,
    },
    /// Training data that does not fit the model or the configuration.
    #[error("{what}: {reason}")]
    Data {
        /// Which data (`"training data"`, `"validation data"`).
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The loss or a parameter became NaN or infinite. Nothing was written for this epoch: the last
    /// checkpoint on disk is the last good state.
    #[error("training diverged at epoch {epoch}, step {step}: {parameter} is not finite (try a smaller learning rate)")]
    Diverged {
        /// The epoch (0-based) in which it happened.
        epoch: usize,
        /// The step within the epoch (0-based).
        step: usize,
        /// What went non-finite: `loss`, `weight`, `hidden_bias` or `visible_bias`.
        parameter: &'static str,
    },
    /// A checkpoint that cannot be decoded or does not match the run.
    #[error("checkpoint {}: {reason}", path.display())]
    Checkpoint {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Writing or reading a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An error of the model crate (shapes, non-finite values, model files).
    #[error(transparent)]
    Model(#[from] potential_models::Error),
    /// An error of the data crate (atomic writes, datasets).
    #[error(transparent)]
    Dataset(#[from] potential_data::DataError),
}
