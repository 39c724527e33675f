//! Class labels: validation, histograms and where a features file keeps its labels.

use crate::error::{DataError, Result};
use std::path::{Path, PathBuf};

/// The largest label accepted (class indices are `u32`, kept small enough to index a histogram).
pub const MAX_LABEL: u32 = (1 << 24) - 1;

/// Most classes a [`Dataset`](crate::Dataset) of few rows may have: its class count is the
/// largest label + 1 (one name, and in a classifier one model, per class), so the labels of a
/// dataset of `n` rows must stay below `max(n, MAX_CLASSES)` — a stray label 16777215 must not
/// cost 16 million classes.
pub const MAX_CLASSES: usize = 1 << 16;

/// The first label at or above `max(labels.len(), MAX_CLASSES)` ([`MAX_CLASSES`]), as (row, label).
pub fn label_beyond_classes(labels: &[u32]) -> Option<(usize, u32)> {
    let bound = labels.len().max(MAX_CLASSES);
    labels.iter().position(|&l| l as usize >= bound).map(|i| (i, labels[i]))
}

/// Convert numeric values to class indices: each must be an integer in `0..=MAX_LABEL`.
pub(crate) fn labels_from_f64(values: impl Iterator<Item = f64>, path: &Path) -> Result<Vec<u32>> {
    values
        .enumerate()
        .map(|(row, v)| {
            if v.fract() == 0.0 && (0.0..=MAX_LABEL as f64).contains(&v) {
                Ok(v as u32)
            } else {
                Err(DataError::BadLabel { path: path.to_path_buf(), row, value: v, max: MAX_LABEL })
            }
        })
        .collect()
}

/// `size × ∏ dims` over the non-zero dims, if it fits in `isize` (so every sub-product of a shape
/// fits as well, even when a zero dimension makes the total 0).
pub(crate) fn nonzero_product(dims: &[usize], size: usize) -> Option<usize> {
    dims.iter()
        .filter(|&&v| v > 0)
        .try_fold(size, |acc, &v| acc.checked_mul(v))
        .filter(|&v| v <= isize::MAX as usize)
}

/// Count how often each class occurs: `hist[c]` = number of labels equal to `c`
/// (length = largest label + 1; empty for no labels).
pub fn label_histogram(labels: &[u32]) -> Vec<usize> {
    let len = labels.iter().max().map_or(0, |&m| m as usize + 1);
    let mut hist = vec![0; len];
    for &l in labels {
        hist[l as usize] += 1;
    }
    hist
}

/// The labels file conventionally paired with a features file, if one exists on disk:
///
/// - IDX: `…-images-idx3-ubyte[.gz]` ↦ `…-labels-idx1-ubyte[.gz]` (either compression);
/// - `.npy`: `X_images.npy` ↦ `X_labels.npy` (the generators' convention); `X.npy` ↦
///   `X-labels.npy` (the convention of `potential data convert`), else `X.labels.npy`;
/// - `.amat`, `.csv`: none (the labels are the last column of the same file).
pub fn companion_labels_path(features: &Path) -> Option<PathBuf> {
    let name = features.file_name()?.to_str()?;
    let dir = features.parent().unwrap_or(Path::new(""));
    let mut candidates = Vec::new();
    if name.contains("images-idx3-ubyte") {
        let base = name.replace("images-idx3-ubyte", "labels-idx1-ubyte");
        let stem = base.trim_end_matches(".gz").to_string();
        candidates.push(base);
        candidates.push(stem.clone());
        candidates.push(format!("{stem}.gz"));
    } else if let Some(stem) = name.strip_suffix(".npy") {
        if let Some(base) = stem.strip_suffix("_images") {
            candidates.push(format!("{base}_labels.npy"));
        }
        candidates.push(format!("{stem}-labels.npy"));
        candidates.push(format!("{stem}.labels.npy"));
    }
    candidates.into_iter().map(|c| dir.join(c)).find(|p| p.is_file())
}

/// The path `potential data convert` writes labels to for a features output `X.npy`: `X-labels.npy`.
pub fn labels_path_for(features_out: &Path) -> PathBuf {
    let name = features_out.file_name().and_then(|n| n.to_str()).unwrap_or("features.npy");
    let stem = name.strip_suffix(".npy").unwrap_or(name);
    features_out.with_file_name(format!("{stem}-labels.npy"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_counts() {
        assert_eq!(label_histogram(&[2, 0, 2, 2]), vec![1, 0, 3]);
        assert!(label_histogram(&[]).is_empty());
    }

    #[test]
    fn bad_labels() {
        let p = Path::new("l");
        assert_eq!(labels_from_f64([0.0, 3.0].into_iter(), p).unwrap(), vec![0, 3]);
        assert!(matches!(labels_from_f64([1.5].into_iter(), p), Err(DataError::BadLabel { row: 0, .. })));
        assert!(matches!(
            labels_from_f64([0.0, -1.0].into_iter(), p),
            Err(DataError::BadLabel { row: 1, .. })
        ));
        assert!(matches!(labels_from_f64([f64::NAN].into_iter(), p), Err(DataError::BadLabel { .. })));
    }

    #[test]
    fn labels_path_convention() {
        assert_eq!(labels_path_for(Path::new("a/train.npy")), PathBuf::from("a/train-labels.npy"));
        let dir = tempfile::tempdir().unwrap();
        for (x, l) in [("train_images.npy", "train_labels.npy"), ("x.npy", "x-labels.npy")] {
            std::fs::write(dir.path().join(l), b"").unwrap();
            assert_eq!(companion_labels_path(&dir.path().join(x)), Some(dir.path().join(l)));
        }
        assert_eq!(companion_labels_path(&dir.path().join("y.npy")), None);
    }
}
