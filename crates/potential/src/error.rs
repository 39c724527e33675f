//! [`Error`]: everything the estimators can fail with, one type for `?`.

use potential_train::detector::DetectorError;

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Everything the estimators can fail with: the error of the crate that did the work, or
/// [`Error::Interrupted`] when the progress callback said stop.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The [`Monitor`](crate::Monitor) answered `Break`.
    #[error("interrupted by the progress callback")]
    Interrupted,
    /// Data that cannot be read or does not fit (`potential-data`).
    #[error(transparent)]
    Data(#[from] potential_data::DataError),
    /// A slice that is not the matrix it should be.
    #[error(transparent)]
    Shape(#[from] potential_kernels::ShapeError),
    /// A model error: shapes, non-finite values, model files (`potential-models`).
    #[error(transparent)]
    Model(#[from] potential_models::Error),
    /// A training error: configuration, data, divergence (`potential-train`).
    #[error(transparent)]
    Train(#[from] potential_train::Error),
    /// A novelty-detector error (`potential_train::detector`).
    #[error(transparent)]
    Detector(DetectorError),
    /// A classifier error (`potential-csae`).
    #[error(transparent)]
    Csae(potential_csae::Error),
}

impl From<DetectorError> for Error {
    fn from(e: DetectorError) -> Self {
        match e {
            DetectorError::Interrupted => Error::Interrupted,
            e => Error::Detector(e),
        }
    }
}

impl From<potential_csae::Error> for Error {
    fn from(e: potential_csae::Error) -> Self {
        match e {
            potential_csae::Error::Interrupted => Error::Interrupted,
            e => Error::Csae(e),
        }
    }
}
