//! The error type of the generators.

use std::path::PathBuf;

/// Everything generating a benchmark set can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    /// A set name that is none of the eight (nor `all`, where that is accepted).
    #[error("unknown benchmark set `{name}` (expected one of: {expected})")]
    UnknownSet {
        /// The name given.
        name: String,
        /// The accepted names.
        expected: String,
    },
    /// A set built from MNIST digits was asked for without an MNIST pool.
    #[error("{set} is built from MNIST digits: give the MNIST images (e.g. --mnist DIR)")]
    MissingMnist {
        /// The set.
        set: &'static str,
    },
    /// A set with image backgrounds was asked for without background images.
    #[error("{set} needs background images: give a folder of PNG/JPEG images (e.g. --backgrounds DIR)")]
    MissingBackgrounds {
        /// The set.
        set: &'static str,
    },
    /// The MNIST pool is smaller than the three splits together.
    #[error("the MNIST pool has {available} images but the splits need {needed} distinct digits")]
    MnistTooSmall {
        /// Digits needed (train + valid + test).
        needed: usize,
        /// Digits in the pool.
        available: usize,
    },
    /// MNIST images that are not 28×28, or a label count that differs from the image count.
    #[error("bad MNIST pool: {reason}")]
    BadMnist {
        /// What was wrong.
        reason: String,
    },
    /// A background folder without any `.png`/`.jpg`/`.jpeg` file.
    #[error("{dir}: no background images (.png, .jpg, .jpeg) found")]
    NoBackgrounds {
        /// The folder.
        dir: PathBuf,
    },
    /// A background image smaller than 28×28.
    #[error("{name}: background image is {width}×{height}, smaller than 28×28")]
    BackgroundTooSmall {
        /// The image.
        name: String,
        /// Its width.
        width: usize,
        /// Its height.
        height: usize,
    },
    /// A background image that does not decode (feature `images`).
    #[cfg(feature = "images")]
    #[error("{path}: cannot decode image: {source}")]
    Image {
        /// The file.
        path: PathBuf,
        /// The decoder's error.
        #[source]
        source: image::ImageError,
    },
    /// No patch with enough texture was found (the background images are too flat).
    #[error(
        "no background patch with pixel variance ≥ {threshold} in {attempts} draws: the background images are too flat",
        threshold = super::background::MIN_PATCH_VARIANCE
    )]
    NoTexturedPatch {
        /// Draws made.
        attempts: usize,
    },
    /// A request that makes no sense (e.g. a sample index past the split's size).
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// The argument.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// Reading MNIST or writing an output file failed.
    #[error(transparent)]
    Data(#[from] crate::DataError),
    /// An I/O failure on a named file or folder.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}
