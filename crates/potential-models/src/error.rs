//! The error type of `potential-models`.

use std::path::PathBuf;

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong in `potential-models`: bad shapes, non-finite or out-of-domain inputs,
/// invalid parameters, and model files that cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// bf16 arithmetic asked for on a CPU (or in a process) without it.
    #[error(
        "{what} in bf16 needs a CPU with AVX-512 BF16 (avx512f and avx512bf16); this one lacks it, or \
POTENTIAL_FORCE_PORTABLE is set (use f32)"
    )]
    Bf16Unavailable {
        /// The computation asked for.
        what: &'static str,
    },
    /// A score asked for in a precision it has no path for.
    #[error("{score} has no {precision} path: only the energy can be computed in {precision}")]
    PrecisionUnsupported {
        /// The score.
        score: &'static str,
        /// The precision asked for.
        precision: &'static str,
    },
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

/// What is wrong with a safetensors file of the workspace: a model, CSAE or detector file, or a
/// training checkpoint (README, *File formats*). Read by [`TensorFile`](crate::TensorFile).
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
    /// `__metadata__.format` is not one the reader accepts.
    #[error("unknown format `{found}` (expected `{expected}`)")]
    UnknownFormat {
        /// The format (or formats) the reader accepts.
        expected: &'static str,
        /// The format found.
        found: String,
    },
    /// `__metadata__.format` names another model kind of the same family than the loader reads
    /// (e.g. a plain CSAE file given to the factored-CSAE loader).
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
        tensor: String,
    },
    /// A tensor the format does not define.
    #[error("unexpected tensor `{tensor}`")]
    UnexpectedTensor {
        /// Tensor name.
        tensor: String,
    },
    /// A tensor of another dtype than the format's.
    #[error("tensor `{tensor}` has dtype {found}, expected {expected}")]
    WrongDtype {
        /// Tensor name.
        tensor: String,
        /// The dtype the format defines (`F32`, `U8`).
        expected: &'static str,
        /// The dtype found (safetensors name).
        found: String,
    },
    /// A tensor has the wrong shape.
    #[error("tensor `{tensor}` has shape {found:?}, expected {expected:?}")]
    WrongShape {
        /// Tensor name.
        tensor: String,
        /// The shape implied by the format and the other tensors (`[0]`-style placeholders where
        /// only the rank is fixed).
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
