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
    /// Arguments that parse but do not make sense together.
    #[error("{0}")]
    Usage(String),
}

/// Result alias for the CLI.
pub type Result<T> = std::result::Result<T, CliError>;
