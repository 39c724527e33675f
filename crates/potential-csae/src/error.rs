//! The error type of `potential-csae`.

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
    /// The observer stopped the run (e.g. Ctrl-C).
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

/// What is wrong with a CSAE file (safetensors, format `potential.csae`; see the crate docs).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// Not a readable safetensors file: truncated, garbage, or an inconsistent header.
    #[error("not a valid safetensors file: {0}")]
    Corrupt(#[source] safetensors::SafeTensorError),
    /// A required `__metadata__` key is absent.
    #[error("metadata key `{key}` is missing")]
    MissingMetadata {
        /// The key.
        key: &'static str,
    },
    /// `__metadata__.format` is not `potential.csae`.
    #[error("unknown format `{found}` (expected `potential.csae`)")]
    UnknownFormat {
        /// The format found.
        found: String,
    },
    /// `__metadata__.format` names another model kind than the loader reads (e.g. a plain CSAE
    /// file given to the factored-CSAE loader).
    #[error("format `{found}`, expected `{expected}`")]
    WrongFormat {
        /// The format found.
        found: String,
        /// The format this loader reads.
        expected: &'static str,
    },
    /// A metadata value that cannot be parsed.
    #[error("metadata `{key}` = {value:?}: {reason}")]
    BadMetadata {
        /// The key.
        key: &'static str,
        /// The value found.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// A required tensor is absent.
    #[error("tensor `{tensor}` is missing")]
    MissingTensor {
        /// Tensor name.
        tensor: String,
    },
    /// A tensor the format does not define.
    #[error("unexpected tensor `{tensor}`")]
    UnexpectedTensor {
        /// Tensor name.
        tensor: String,
    },
    /// A tensor is not `F32`.
    #[error("tensor `{tensor}` has dtype {found}, expected F32")]
    WrongDtype {
        /// Tensor name.
        tensor: String,
        /// The dtype found.
        found: String,
    },
    /// A tensor has the wrong shape.
    #[error("tensor `{tensor}` has shape {found:?}, expected {expected:?}")]
    WrongShape {
        /// Tensor name.
        tensor: String,
        /// The expected shape (`[0]`-style placeholders where only the rank is fixed).
        expected: Vec<usize>,
        /// The shape found.
        found: Vec<usize>,
    },
    /// A tensor holds NaN or ±∞.
    #[error("tensor `{tensor}` holds the non-finite value {value} at flat index {index}")]
    NonFinite {
        /// Tensor name.
        tensor: String,
        /// Flat (row-major) index.
        index: usize,
        /// The value.
        value: f32,
    },
}
