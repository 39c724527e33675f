//! The one error type of `potential-data`: every variant names the file and, where it applies, the
//! line, row or shape that was wrong.

use std::path::PathBuf;

/// Everything reading, writing, splitting or fetching a dataset can fail with.
///
/// Variants carry their context in fields (file, line, shape) so the message alone says what to fix.
/// Parsers that work on bytes without a file (the fuzz entry points) report the path as `<memory>`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// An I/O failure on a named file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file ends before its header says it should.
    #[error("{path}: truncated: expected {expected} bytes of {what}, found {found}")]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Which part was short (header, payload, …).
        what: &'static str,
        /// Bytes the header announces.
        expected: u64,
        /// Bytes actually present.
        found: u64,
    },
    /// The file is longer than its header says (trailing garbage, or a wrong header).
    #[error("{path}: {extra} unexpected trailing bytes after the payload")]
    TrailingBytes {
        /// The file.
        path: PathBuf,
        /// How many bytes were left over.
        extra: u64,
    },
    /// The magic number does not identify the expected format.
    #[error("{path}: bad magic for {format}: found {found:02x?}")]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The format that was expected.
        format: &'static str,
        /// The first bytes found.
        found: Vec<u8>,
    },
    /// A header that is syntactically or semantically invalid.
    #[error("{path}: bad {format} header: {reason}")]
    BadHeader {
        /// The file.
        path: PathBuf,
        /// The format.
        format: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// An element type this crate cannot read (e.g. a `.npy` dtype of complex or float16, IDX type 0x0A).
    #[error("{path}: unsupported {format} element type {dtype}")]
    UnsupportedDtype {
        /// The file.
        path: PathBuf,
        /// The format.
        format: &'static str,
        /// The type as written in the file.
        dtype: String,
    },
    /// A `.npy` array stored in Fortran (column-major) order with more than two dimensions.
    #[error("{path}: unsupported .npy order: fortran_order=True for shape {shape:?} (Fortran order is read for 2-D arrays only; save it C-contiguous)")]
    UnsupportedOrder {
        /// The file.
        path: PathBuf,
        /// The array shape.
        shape: Vec<usize>,
    },
    /// The shape is not what the caller asked for (wrong rank, zero-sized, overflowing).
    #[error("{path}: bad shape {shape:?}: {reason}")]
    BadShape {
        /// The file.
        path: PathBuf,
        /// The shape found.
        shape: Vec<usize>,
        /// What was expected.
        reason: &'static str,
    },
    /// A text line that does not parse (a bad token or the wrong number of columns).
    #[error("{path}:{line}: {reason}")]
    Parse {
        /// The file (for an entry of a zip archive: `archive.zip/entry`).
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What was wrong, with the offending token.
        reason: String,
    },
    /// A NaN or infinite value where finite values are required.
    #[error("{path}: non-finite value {value} at row {row}, column {col}")]
    NonFinite {
        /// The file.
        path: PathBuf,
        /// 0-based row.
        row: usize,
        /// 0-based column.
        col: usize,
        /// The value.
        value: f32,
    },
    /// A label that is negative, fractional or too large to be a class index.
    #[error("{path}: row {row}: bad label {value} (labels must be integers in 0..={max})")]
    BadLabel {
        /// The file.
        path: PathBuf,
        /// 0-based row.
        row: usize,
        /// The value as read.
        value: f64,
        /// The largest accepted label.
        max: u32,
    },
    /// Features and labels disagree on the number of rows.
    #[error("{features_path} has {features} rows but {labels_path} has {labels} labels")]
    LengthMismatch {
        /// The features file.
        features_path: PathBuf,
        /// Its number of rows.
        features: usize,
        /// The labels file.
        labels_path: PathBuf,
        /// Its number of labels.
        labels: usize,
    },
    /// The file's extension and first bytes match none of the known formats.
    #[error("{path}: unknown data format (expected .npy, IDX (.gz), .amat (.zip) or .csv (.gz))")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// A pipe, FIFO, device or socket given where a data file is expected: readers detect the
    /// format from the first bytes and then read the file again, which a stream cannot do.
    #[error("{path}: is a {kind}, not a regular file; reading data from pipes and devices is not supported (save it to a file first)")]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is: "FIFO (named pipe)", "character device", …
        kind: &'static str,
    },
    /// A text line longer than [`crate::MAX_LINE_BYTES`] (a binary file read as text, or no
    /// line breaks).
    #[error("{path}:{line}: line longer than {max} bytes (not a text data file?)")]
    LineTooLong {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// The limit.
        max: usize,
    },
    /// A compressed stream that decompresses to more than its header's shape (or the deflate
    /// format's ratio) allows: a decompression bomb or a corrupt file.
    #[error("{path}: decompresses to more than {limit} bytes, the most its {reason} allows")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The largest accepted decompressed size.
        limit: u64,
        /// What sets the limit.
        reason: &'static str,
    },
    /// A file format that holds no labels was asked for labels, or vice versa.
    #[error("{path}: {reason}")]
    NotApplicable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: &'static str,
    },
    /// A zip archive that cannot be read or has no `.amat` entry.
    #[error("{path}: zip: {reason}")]
    Zip {
        /// The archive.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// An invalid request on an in-memory dataset (split larger than the data, batch size 0, …).
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// The argument.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// A downloaded file whose checksum does not match the committed one.
    #[error("{path}: {algorithm} mismatch: expected {expected}, got {actual}")]
    Checksum {
        /// The file.
        path: PathBuf,
        /// `md5` or `sha256`.
        algorithm: &'static str,
        /// The committed digest (hex).
        expected: String,
        /// The computed digest (hex).
        actual: String,
    },
    /// An HTTP exchange that failed (bad status, malformed response, connection cut short).
    #[error("{url}: {reason}")]
    Http {
        /// The URL requested.
        url: String,
        /// What went wrong.
        reason: String,
    },
}

/// Result alias of `potential-data`.
pub type Result<T> = std::result::Result<T, DataError>;

/// The path used in errors from parsers that work on in-memory bytes.
pub(crate) fn memory_path() -> PathBuf {
    PathBuf::from("<memory>")
}

/// Attach a path to an I/O error.
pub(crate) fn io_err(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> DataError {
    let path = path.into();
    move |source| DataError::Io { path, source }
}
