//! The CLI's error type: every failure names what was wrong and where.

use std::path::PathBuf;

/// Everything a `potential` subcommand can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// An I/O failure on a named file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A dataset that cannot be read, written or fetched (`potential data`, inputs of `score`).
    #[error(transparent)]
    Data(#[from] potential_data::DataError),
    /// A benchmark set that cannot be generated (`potential data generate`).
    #[error(transparent)]
    Generate(#[from] potential_data::generate::GenerateError),
    /// A model file that cannot be read or written, or a model that cannot be built.
    #[error(transparent)]
    Model(#[from] potential_models::Error),
    /// A model operation that failed on a row of a data file (row numbers count from 0 in the file).
    #[error("{path}: {source}")]
    Scoring {
        /// The data file.
        path: PathBuf,
        /// What went wrong, with the row counted from the start of the file.
        #[source]
        source: potential_models::Error,
    },
    /// Training failed (configuration, divergence, checkpoints), or a model operation of a demo.
    #[error(transparent)]
    Train(#[from] potential_train::Error),
    /// A CSAE that cannot be trained, applied, read or written.
    #[error(transparent)]
    Csae(#[from] potential_csae::Error),
    /// A detector that cannot be fitted, applied, read or written; `path` is the file concerned.
    #[error("{path}: {source}")]
    Detector {
        /// The data or detector file.
        path: PathBuf,
        /// What went wrong (boxed: it is the largest error and would make every `Result` large).
        #[source]
        source: Box<potential_train::detector::DetectorError>,
    },
    /// Arguments that parse but do not make sense together.
    #[error("{0}")]
    Usage(String),
}

/// Result alias for the CLI.
pub type Result<T> = std::result::Result<T, CliError>;

impl CliError {
    /// A scoring error on the block of `path` that starts at row `offset`, with its row number made
    /// absolute.
    pub fn scoring(path: &std::path::Path, offset: usize, source: potential_models::Error) -> Self {
        use potential_models::Error as E;
        let source = match source {
            E::NonFinite { what: "input", row, col, value } => {
                E::NonFinite { what: "input", row: row + offset, col, value }
            }
            E::OutOfRange { row, col, value } => E::OutOfRange { row: row + offset, col, value },
            E::OnBoundary { what, row, col, value } => E::OnBoundary { what, row: row + offset, col, value },
            E::NonFiniteResult { what, row } => E::NonFiniteResult { what, row: row + offset },
            other => other,
        };
        CliError::Scoring { path: path.to_path_buf(), source }
    }
}

impl CliError {
    /// A detector error about the file `path`.
    pub fn detector(path: &std::path::Path, source: potential_train::detector::DetectorError) -> Self {
        CliError::Detector { path: path.to_path_buf(), source: Box::new(source) }
    }
}
