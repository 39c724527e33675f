//! The error type of `potential-csae`. File format errors are those of every safetensors file of
//! the workspace, [`FormatError`] (re-exported from `potential-models`).

pub use potential_models::FormatError;
use std::path::PathBuf;

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Everything building, training, applying or storing a CSAE can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value out of its domain (checked before anything runs).
    #[error("invalid CSAE configuration: {field} = {value}: {reason}")]
    InvalidConfig {
        /// The field, as named in the configuration structs.
        field: &'static str,
        /// The value given, formatted.
        value: String,
        /// What the value must satisfy.
        reason: &'static str,
    },
    /// Data that does not fit the model (dimension, labels, empty classes, non-finite values).
    #[error("{what}: {reason}")]
    Data {
        /// Which data (`"training data"`, `"validation data"`, `"input"`).
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// Class models that cannot form one classifier (different input sizes, activations, …).
    #[error("incompatible class model {class}: {reason}")]
    Incompatible {
        /// Index of the offending class.
        class: usize,
        /// What differs.
        reason: String,
    },
    /// The finetuning loss or a parameter became NaN or infinite.
    #[error("finetuning diverged at epoch {epoch}, step {step}: {parameter} is not finite (try a smaller learning rate)")]
    Diverged {
        /// Epoch (0-based).
        epoch: usize,
        /// Step within the epoch (0-based).
        step: usize,
        /// What went non-finite (`loss`, `class.{i}.weight`, `class_bias`, …).
        parameter: String,
    },
    /// A parameter or the loss of the factored CSAE's denoising pretraining became NaN or infinite.
    #[error("pretraining diverged at epoch {epoch}, step {step}: {parameter} is not finite (try a smaller learning rate)")]
    PretrainDiverged {
        /// Epoch (0-based).
        epoch: usize,
        /// Step within the epoch (0-based).
        step: usize,
        /// What went non-finite (`loss`, `factor.input`, …).
        parameter: String,
    },
    /// The progress callback stopped the run ([`train_with`](crate::train_with),
    /// [`pretrain_class`](crate::pretrain_class), [`train_from_classes`](crate::train_from_classes)).
    #[error("interrupted")]
    Interrupted,
    /// A CSAE file whose contents are not a valid model, with its path.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: FormatError,
    },
    /// CSAE bytes that are not a valid model (no path: decoded from memory).
    #[error(transparent)]
    Format(#[from] FormatError),
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An error of a class autoencoder (shapes, non-finite inputs or results).
    #[error(transparent)]
    Model(#[from] potential_models::Error),
    /// An error while pretraining a class autoencoder.
    #[error(transparent)]
    Train(#[from] potential_train::Error),
    /// An error of the data crate.
    #[error(transparent)]
    Dataset(#[from] potential_data::DataError),
}
