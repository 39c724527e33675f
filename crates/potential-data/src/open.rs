//! Format detection and the one-call openers: [`open_features`], [`open_labels`], [`open_dataset`].

use crate::amat::{for_each_amat_row, read_amat};
use crate::csv::read_digits_csv;
use crate::dataset::Dataset;
use crate::error::{io_err, DataError, Result};
use crate::features::Features;
use crate::idx::{read_idx_images, read_idx_labels};
use crate::labels::companion_labels_path;
use crate::npy::{map_npy_features, read_npy_features, read_npy_labels, NPY_MAGIC};
use std::io::Read;
use std::path::{Path, PathBuf};

/// A data file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// NumPy `.npy`.
    Npy,
    /// IDX (MNIST), raw or `.gz`.
    Idx,
    /// Larochelle `.amat` text, raw, `.gz` or inside a `.zip`.
    Amat,
    /// UCI digits CSV, raw or `.gz`.
    Csv,
    /// NumPy `.npz` archive (`table.npz`, or `table.npz:NAME` for one member).
    Npz,
}

/// Detect the format of `path`: a name ending in `.npz` (or `.npz:NAME`) is an `.npz` archive;
/// otherwise from its first bytes (decompressing gzip), then its extension:
/// `\x93NUMPY` is `.npy`; `00 00 <type> <ndim>` is IDX; `PK` is a zip of `.amat`; otherwise
/// `*.amat[.gz]` / `*.csv[.gz]` by name. Only regular files are read: a pipe or a device is
/// refused (see [`crate::check_regular_file`]).
///
/// # Errors
/// [`DataError::Io`]; [`DataError::NotAFile`]; [`DataError::UnknownFormat`].
pub fn detect_format(path: impl AsRef<Path>) -> Result<Format> {
    let path = path.as_ref();
    if crate::npz::split_npz_path(path).is_some() {
        return Ok(Format::Npz);
    }
    crate::bounded::check_regular_file(path)?;
    let mut raw = Vec::with_capacity(8);
    std::fs::File::open(path).map_err(io_err(path))?.take(8).read_to_end(&mut raw).map_err(io_err(path))?;
    let head = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(8);
        let file = std::fs::File::open(path).map_err(io_err(path))?;
        // A corrupt stream shows up later as an I/O error of the reader; here it just means "unknown".
        let _ = flate2::read::MultiGzDecoder::new(file).take(8).read_to_end(&mut out);
        out
    } else {
        raw
    };
    if head.starts_with(NPY_MAGIC) {
        return Ok(Format::Npy);
    }
    if head.starts_with(b"PK\x03\x04") {
        return Ok(Format::Amat);
    }
    if head.len() >= 4 && head[0] == 0 && head[1] == 0 && matches!(head[2], 0x08..=0x0E) && head[3] > 0 {
        return Ok(Format::Idx);
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    if name.ends_with(".amat") {
        Ok(Format::Amat)
    } else if name.ends_with(".csv") {
        Ok(Format::Csv)
    } else if name.contains("-ubyte") || name.ends_with(".idx") {
        Ok(Format::Idx)
    } else {
        Err(DataError::UnknownFormat { path: path.into() })
    }
}

/// Open a features file of any supported format as an owned [n, d] f32 matrix, with every value
/// checked finite. An `.npz` archive gives its member `X`; `table.npz:NAME` names another member. Safe: copies. For zero-copy `.npy` use [`open_features_mapped`].
///
/// `.amat` and `.csv` files also hold labels (last column); they are read and dropped here.
///
/// # Errors
/// [`DataError::UnknownFormat`] and the errors of each reader; [`DataError::NonFinite`].
pub fn open_features(path: impl AsRef<Path>) -> Result<Features> {
    let path = path.as_ref();
    let f = match detect_format(path)? {
        Format::Npy => return read_npy_features(path),
        Format::Npz => return npz_read(path, npz_features),
        Format::Idx => read_idx_images(path)?,
        Format::Amat => read_amat(path)?.0,
        Format::Csv => read_digits_csv(path)?.0,
    };
    f.check_finite(path)?;
    Ok(f)
}

/// As [`open_features`], but a `<f4` `.npy` is memory-mapped (no copy; values not checked finite,
/// see [`map_npy_features`]).
///
/// # Safety
/// As [`map_npy_features`]: the file must not be modified or truncated while the result lives.
///
/// # Errors
/// As [`open_features`].
pub unsafe fn open_features_mapped(path: impl AsRef<Path>) -> Result<Features> {
    let path = path.as_ref();
    match detect_format(path)? {
        // SAFETY: forwarded to the caller by this function's `# Safety` contract.
        Format::Npy => unsafe { map_npy_features(path) },
        _ => open_features(path),
    }
}

/// Open the labels of a file: a label `.npy` (integer `[n]` or `[n, 1]`), an `.npz` member
/// (`table.npz` → its `y`, `table.npz:NAME`), an IDX label file
/// (`*-labels-idx1-ubyte[.gz]`), or the last column of an `.amat` / `.csv`.
///
/// # Errors
/// [`DataError::UnknownFormat`] and the errors of each reader.
pub fn open_labels(path: impl AsRef<Path>) -> Result<Vec<u32>> {
    let path = path.as_ref();
    match detect_format(path)? {
        Format::Npy => read_npy_labels(path),
        Format::Npz => npz_read(path, npz_labels),
        Format::Idx => read_idx_labels(path),
        Format::Amat => {
            let mut labels = Vec::new();
            for_each_amat_row(path, |_, l| {
                labels.push(l);
                Ok(())
            })?;
            Ok(labels)
        }
        Format::Csv => Ok(read_digits_csv(path)?.1),
    }
}

/// Open a labelled dataset. Labels come from `labels` if given, else from the file itself
/// (`.amat`, `.csv`), else from the companion file ([`companion_labels_path`]).
///
/// # Errors
/// As [`open_features`] and [`open_labels`]; [`DataError::NotApplicable`] when no labels are found;
/// [`DataError::LengthMismatch`] naming both files.
pub fn open_dataset(features: &Path, labels: Option<&Path>) -> Result<Dataset> {
    let format = detect_format(features)?;
    let (f, l, lpath) = match (format, labels) {
        (Format::Amat, None) => {
            let (f, l) = read_amat(features)?;
            (f, l, features.to_path_buf())
        }
        (Format::Csv, None) => {
            let (f, l) = read_digits_csv(features)?;
            (f, l, features.to_path_buf())
        }
        (_, Some(lp)) => (open_features(features)?, open_labels(lp)?, lp.to_path_buf()),
        (_, None) => {
            let lp = companion_labels_path(features).ok_or(DataError::NotApplicable {
                path: features.into(),
                reason: "no labels given and no companion labels file found",
            })?;
            (open_features(features)?, open_labels(&lp)?, lp)
        }
    };
    if let Some((row, label)) = crate::labels::label_beyond_classes(&l) {
        return Err(DataError::BadLabel {
            path: lpath,
            row,
            value: f64::from(label),
            max: (l.len().max(crate::labels::MAX_CLASSES) - 1) as u32,
        });
    }
    if f.n() != l.len() {
        return Err(DataError::LengthMismatch {
            features_path: features.into(),
            features: f.n(),
            labels_path: lpath,
            labels: l.len(),
        });
    }
    Dataset::new(f, l, None)
}

/// Load MNIST from a folder holding the four standard files, raw or `.gz`:
/// `(train, test)` with 60000 and 10000 rows of 784 values in [0, 1].
///
/// # Errors
/// [`DataError::Io`] when a file is missing, and the IDX reader's errors.
pub fn load_mnist(dir: impl AsRef<Path>) -> Result<(Dataset, Dataset)> {
    let dir = dir.as_ref();
    let find = |stem: &str| {
        let raw = dir.join(stem);
        let gz = dir.join(format!("{stem}.gz"));
        if raw.is_file() || !gz.is_file() {
            raw
        } else {
            gz
        }
    };
    let load = |img: &str, lab: &str| open_dataset(&find(img), Some(&find(lab)));
    Ok((
        load("train-images-idx3-ubyte", "train-labels-idx1-ubyte")?,
        load("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")?,
    ))
}

#[cfg(not(feature = "zip"))]
use crate::npz::{not_compiled as npz_features, not_compiled as npz_labels};
#[cfg(feature = "zip")]
use crate::npz::{read_npz_features as npz_features, read_npz_labels as npz_labels};

/// Apply an `.npz` reader to the archive and member `path` names.
fn npz_read<T>(path: &Path, read: fn(PathBuf, Option<&str>) -> Result<T>) -> Result<T> {
    let (archive, member) =
        crate::npz::split_npz_path(path).ok_or(DataError::UnknownFormat { path: path.into() })?;
    read(archive, member.as_deref())
}
