//! The error type of `potential-models`.

use std::path::PathBuf;

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong in `potential-models`: bad shapes, non-finite or out-of-domain inputs,
/// invalid parameters, and model files that cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument has the wrong size (`what` names it, e.g. `"input columns"`).
    #[error("{op}: {what} is {found}, expected {expected}")]
    Shape {
        /// The operation.
        op: &'static str,
        /// Which size.
        what: &'static str,
        /// The size the model needs.
        expected: usize,
        /// The size given.
        found: usize,
    },
    /// A non-finite value (NaN or ±∞) in an input or a parameter.
    #[error("non-finite value {value} in {what} at row {row}, column {col}")]
    NonFinite {
        /// `"input"`, `"weight"`, `"hidden_bias"`, `"visible_bias"`, …
        what: &'static str,
        /// Row (sample index for inputs, hidden unit for weights; 0 for vectors).
        row: usize,
        /// Column.
        col: usize,
        /// The offending value.
        value: f32,
    },
    /// An input of a binary-output model outside [0, 1] (Eq. 28 needs x ∈ [0, 1]ᴰ).
    #[error("input row {row}, column {col} is {value}, outside [0, 1] as a binary-output model requires")]
    OutOfRange {
        /// Sample index.
        row: usize,
        /// Column.
        col: usize,
        /// The offending value.
        value: f32,
    },
    /// A quantity of a binary-output model that involves the log-odds ξ(x) = log(x/(1−x)) or its
    /// derivative (vector field B(x), Jacobian, Laplacian, absorbing test) evaluated at an input with
    /// a coordinate exactly 0 or 1, where it is infinite.
    #[error("{what} of a binary-output model is infinite at input row {row}, column {col} = {value} (needs 0 < x < 1)")]
    OnBoundary {
        /// The quantity asked for.
        what: &'static str,
        /// Sample index.
        row: usize,
        /// Column.
        col: usize,
        /// The offending value (0 or 1).
        value: f32,
    },
    /// A computed result is not finite although the inputs were (e.g. overflow of huge inputs).
    #[error("{what} is not finite for row {row}")]
    NonFiniteResult {
        /// The quantity (e.g. `"energy"`).
        what: &'static str,
        /// Sample index.
        row: usize,
    },
    /// A parameter of an operation is invalid.
    #[error("invalid {name}: {reason}")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// A k-means filter of zero length (cannot be normalised).
    #[error("filter {row} has zero length")]
    ZeroFilter {
        /// The filter's index.
        row: usize,
    },
    /// The eigendecomposition of a covariance matrix did not converge.
    #[error("eigendecomposition of the {dim}×{dim} covariance did not converge")]
    Eigen {
        /// Matrix dimension.
        dim: usize,
    },
    /// A model file that cannot be decoded.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: FormatError,
    },
    /// Model bytes that cannot be decoded (see [`FormatError`]).
    #[error("model file: {0}")]
    Format(#[from] FormatError),
    /// Reading or writing a model file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// What is wrong with a model file (safetensors; README, *File formats*).
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
    /// `__metadata__.format` is not `potential.tied-autoencoder`.
    #[error("unknown format `{found}` (expected `{expected}`)")]
    UnknownFormat {
        /// The format this reader accepts.
        expected: &'static str,
        /// The format found.
        found: String,
    },
    /// `__metadata__.activation` is not the name of an `ActivationKind`.
    #[error("unknown activation `{found}`")]
    UnknownActivation {
        /// The name found.
        found: String,
    },
    /// `__metadata__.output` is not `real` or `binary`.
    #[error("unknown output kind `{found}` (expected `real` or `binary`)")]
    UnknownOutput {
        /// The name found.
        found: String,
    },
    /// A required tensor is absent.
    #[error("tensor `{tensor}` is missing")]
    MissingTensor {
        /// Tensor name.
        tensor: &'static str,
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
        tensor: &'static str,
        /// The dtype found (safetensors name).
        found: String,
    },
    /// A tensor has the wrong shape.
    #[error("tensor `{tensor}` has shape {found:?}, expected {expected:?}")]
    WrongShape {
        /// Tensor name.
        tensor: &'static str,
        /// The shape implied by the other tensors (`weight` must be 2-D).
        expected: Vec<usize>,
        /// The shape found.
        found: Vec<usize>,
    },
    /// A tensor holds NaN or ±∞.
    #[error("tensor `{tensor}` holds the non-finite value {value} at flat index {index}")]
    NonFinite {
        /// Tensor name.
        tensor: &'static str,
        /// Flat (row-major) index.
        index: usize,
        /// The value.
        value: f32,
    },
}
