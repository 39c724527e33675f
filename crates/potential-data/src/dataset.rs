//! [`Dataset`]: features, labels and class names, with splits and class subsets.

use crate::error::{DataError, Result};
use crate::features::Features;
use crate::minibatch::Minibatches;
use std::path::Path;

/// A labelled dataset: features [n, d] (owned or mapped), one label per row, and the class names.
///
/// Labels are class indices `0..num_classes()`; `class_names[c]` names class `c`.
#[derive(Debug, Clone)]
pub struct Dataset {
    features: Features,
    labels: Vec<u32>,
    class_names: Vec<String>,
}

impl Dataset {
    /// Rows [`Dataset::with_shifts`] makes of each row: the row and its four one-pixel shifts.
    pub const SHIFTED_COPIES: usize = SHIFTS.len();

    /// Bundle features and labels. Class names default to `"0"`, `"1"`, … up to the largest label.
    ///
    /// # Errors
    /// [`DataError::LengthMismatch`] when the label count differs from the row count;
    /// [`DataError::Invalid`] when a label has no class name, or is so large that the classes
    /// would outnumber both the rows and [`MAX_CLASSES`](crate::MAX_CLASSES).
    pub fn new(features: Features, labels: Vec<u32>, class_names: Option<Vec<String>>) -> Result<Self> {
        if labels.len() != features.n() {
            return Err(DataError::LengthMismatch {
                features_path: "<features>".into(),
                features: features.n(),
                labels_path: "<labels>".into(),
                labels: labels.len(),
            });
        }
        if let Some((row, label)) = crate::labels::label_beyond_classes(&labels) {
            return Err(DataError::Invalid {
                what: "labels",
                reason: format!(
                    "row {row}: label {label} would make {} classes for {} rows (labels must be below {})",
                    label as u64 + 1,
                    labels.len(),
                    labels.len().max(crate::labels::MAX_CLASSES)
                ),
            });
        }
        let k = labels.iter().max().map_or(0, |&m| m as usize + 1);
        let class_names = match class_names {
            Some(names) if names.len() < k => {
                return Err(DataError::Invalid {
                    what: "class names",
                    reason: format!("{} names but labels go up to {}", names.len(), k - 1),
                })
            }
            Some(names) => names,
            None => (0..k).map(|c| c.to_string()).collect(),
        };
        Ok(Self { features, labels, class_names })
    }

    /// Load features and labels from files; see [`crate::open_dataset`].
    ///
    /// # Errors
    /// As [`crate::open_dataset`].
    pub fn open(features: impl AsRef<Path>, labels: Option<&Path>) -> Result<Self> {
        crate::open::open_dataset(features.as_ref(), labels)
    }

    /// Number of rows.
    pub fn n(&self) -> usize {
        self.features.n()
    }

    /// Number of feature columns.
    pub fn d(&self) -> usize {
        self.features.d()
    }

    /// The feature matrix.
    pub fn features(&self) -> &Features {
        &self.features
    }

    /// One label per row.
    pub fn labels(&self) -> &[u32] {
        &self.labels
    }

    /// Class names, indexed by label.
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// Number of classes (`class_names().len()`).
    pub fn num_classes(&self) -> usize {
        self.class_names.len()
    }

    /// Split off the features and labels.
    pub fn into_parts(self) -> (Features, Vec<u32>, Vec<String>) {
        (self.features, self.labels, self.class_names)
    }

    /// Rows `range` (features shared, no copy).
    ///
    /// # Panics
    /// If the range is out of bounds.
    pub fn rows(&self, range: std::ops::Range<usize>) -> Dataset {
        Dataset {
            features: self.features.rows(range.clone()),
            labels: self.labels[range].to_vec(),
            class_names: self.class_names.clone(),
        }
    }

    /// The benchmark convention of Larochelle et al. (2007): the validation set is the **last**
    /// `n_valid` rows of the training file. Returns `(train, valid)` sharing this one's storage.
    ///
    /// # Errors
    /// [`DataError::Invalid`] when `n_valid > n`.
    pub fn split_tail(&self, n_valid: usize) -> Result<(Dataset, Dataset)> {
        if n_valid > self.n() {
            return Err(DataError::Invalid {
                what: "validation size",
                reason: format!("{n_valid} validation rows requested from {} rows", self.n()),
            });
        }
        let cut = self.n() - n_valid;
        Ok((self.rows(0..cut), self.rows(cut..self.n())))
    }

    /// Indices of the rows of class `c`, in order.
    pub fn class_indices(&self, c: u32) -> Vec<usize> {
        self.labels.iter().enumerate().filter(|(_, &l)| l == c).map(|(i, _)| i).collect()
    }

    /// The rows whose label is in `classes`, in their original order (owned copy), **relabelled**:
    /// class `classes[i]` becomes class `i` and keeps its name, so the subset has exactly
    /// `classes.len()` classes (digits 0–8 of the UCI digits are nine classes named "0".."8", and
    /// `&[3, 8]` gives classes 0 and 1 named "3" and "8"). A class listed twice counts once (its
    /// first place); a class beyond [`Dataset::num_classes`] has no rows and is named by its number.
    pub fn subset_classes(&self, classes: &[u32]) -> Dataset {
        let mut kept: Vec<u32> = Vec::with_capacity(classes.len());
        for &c in classes {
            if !kept.contains(&c) {
                kept.push(c);
            }
        }
        let mut new_label = vec![None; self.class_names.len()];
        for (i, &c) in kept.iter().enumerate() {
            if let Some(slot) = new_label.get_mut(c as usize) {
                *slot = Some(i as u32);
            }
        }
        let idx: Vec<usize> =
            (0..self.n()).filter(|&i| new_label[self.labels[i] as usize].is_some()).collect();
        Dataset {
            features: self.features.gather(&idx),
            labels: idx.iter().filter_map(|&i| new_label[self.labels[i] as usize]).collect(),
            class_names: kept
                .iter()
                .map(|&c| self.class_names.get(c as usize).cloned().unwrap_or_else(|| c.to_string()))
                .collect(),
        }
    }

    /// The rows `indices` in that order (owned copy).
    ///
    /// # Panics
    /// If an index is out of range.
    pub fn select(&self, indices: &[usize]) -> Dataset {
        Dataset {
            features: self.features.gather(indices),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            class_names: self.class_names.clone(),
        }
    }

    /// The rows with their one-pixel shifts, for images of `height` × `width` pixels stored row by
    /// row: each row followed by its copies moved one pixel down, up, right and left (the pixels
    /// moved in are 0, the background of the embedded digits and of MNIST), each with the row's
    /// label — five times the rows (owned copy). Not in the paper: the classic augmentation that
    /// makes a classifier of handwriting tolerant to where a writer puts the stroke (the demo's
    /// writer-disjoint split, RESULTS.md).
    ///
    /// # Errors
    /// [`DataError::Invalid`] when `height × width` is not the row width, or when five times the
    /// feature values would overflow `usize`.
    pub fn with_shifts(&self, height: usize, width: usize) -> Result<Dataset> {
        let d = self.d();
        if height.checked_mul(width) != Some(d) || d == 0 {
            return Err(DataError::Invalid {
                what: "image shape",
                reason: format!("{height}×{width} pixels do not make rows of {d} values"),
            });
        }
        let n =
            self.n().checked_mul(SHIFTS.len()).filter(|n| n.checked_mul(d).is_some()).ok_or_else(|| {
                DataError::Invalid {
                    what: "shifted copies",
                    reason: format!("{} rows × {} copies × {d} values overflow", self.n(), SHIFTS.len()),
                }
            })?;
        let mut x = Vec::with_capacity(n * d);
        for row in self.features.iter_rows() {
            for (dy, dx) in SHIFTS {
                for r in 0..height {
                    for c in 0..width {
                        let (sr, sc) = (r.wrapping_add_signed(-dy), c.wrapping_add_signed(-dx));
                        x.push(if sr < height && sc < width { row[sr * width + sc] } else { 0.0 });
                    }
                }
            }
        }
        let labels = self.labels.iter().flat_map(|&l| [l; SHIFTS.len()]).collect();
        Ok(Dataset { features: Features::from_vec(x, n, d)?, labels, class_names: self.class_names.clone() })
    }

    /// A seeded, shuffled minibatch iterator over this dataset; see [`Minibatches`].
    ///
    /// # Errors
    /// [`DataError::Invalid`] when `batch_size == 0`.
    pub fn minibatches(&self, batch_size: usize, seed: u64) -> Result<Minibatches<'_>> {
        Minibatches::new(&self.features, Some(&self.labels), batch_size, seed)
    }
}

/// The moves of [`Dataset::with_shifts`], (rows down, columns right): none, then one pixel down,
/// up, right and left.
const SHIFTS: [(isize, isize); 5] = [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)];

/// The three parts of a benchmark: training, validation and test sets.
#[derive(Debug, Clone)]
pub struct Splits {
    /// Training rows.
    pub train: Dataset,
    /// Validation rows (the last rows of the training file, by the benchmark convention).
    pub valid: Dataset,
    /// Test rows.
    pub test: Dataset,
}

impl Splits {
    /// Apply the benchmark convention: `valid` = the last `n_valid` rows of `train_file`.
    ///
    /// # Errors
    /// As [`Dataset::split_tail`].
    pub fn from_train_file(train_file: &Dataset, test: Dataset, n_valid: usize) -> Result<Self> {
        let (train, valid) = train_file.split_tail(n_valid)?;
        Ok(Self { train, valid, test })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds() -> Dataset {
        let f = Features::from_vec((0..10).map(|v| v as f32).collect(), 5, 2).unwrap();
        Dataset::new(f, vec![0, 1, 2, 1, 0], None).unwrap()
    }

    #[test]
    fn splits_and_subsets() {
        let d = ds();
        assert_eq!(d.class_names(), &["0", "1", "2"]);
        let (tr, va) = d.split_tail(2).unwrap();
        assert_eq!((tr.n(), va.n()), (3, 2));
        assert_eq!(va.features().row(0), &[6.0, 7.0]);
        assert_eq!(va.labels(), &[1, 0]);
        assert!(d.split_tail(6).is_err());
        let s = d.subset_classes(&[1]);
        assert_eq!(s.labels(), &[0, 0]);
        assert_eq!(s.class_names(), &["1"]);
        assert_eq!(s.features().as_slice(), &[2.0, 3.0, 6.0, 7.0]);
        // Relabelled in the order given, names kept, duplicates and unknown classes handled.
        let s = d.subset_classes(&[2, 0, 2, 7]);
        assert_eq!(s.labels(), &[1, 0, 1]);
        assert_eq!(s.class_names(), &["2", "0", "7"]);
        assert_eq!(s.features().as_slice(), &[0.0, 1.0, 4.0, 5.0, 8.0, 9.0]);
        assert_eq!(d.class_indices(0), vec![0, 4]);
    }

    /// Each 2×3 image is followed by its four one-pixel shifts, worked by hand; labels and class
    /// names follow; a shape that is not the row width is refused.
    #[test]
    fn shifted_copies_move_each_image_one_pixel() {
        // Image a b c / d e f with a..f = 1..6, and a second row of zeros with label 1.
        let f = Features::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], 2, 6)
            .unwrap();
        let d = Dataset::new(f, vec![2, 1], None).unwrap();
        let s = d.with_shifts(2, 3).unwrap();
        assert_eq!((s.n(), s.d()), (10, 6));
        let rows: Vec<&[f32]> = s.features().iter_rows().collect();
        assert_eq!(rows[0], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]); // as it was
        assert_eq!(rows[1], &[0.0, 0.0, 0.0, 1.0, 2.0, 3.0]); // down
        assert_eq!(rows[2], &[4.0, 5.0, 6.0, 0.0, 0.0, 0.0]); // up
        assert_eq!(rows[3], &[0.0, 1.0, 2.0, 0.0, 4.0, 5.0]); // right
        assert_eq!(rows[4], &[2.0, 3.0, 0.0, 5.0, 6.0, 0.0]); // left
        assert!(rows[5..].iter().all(|r| r.iter().all(|&v| v == 0.0)));
        assert_eq!(s.labels(), &[2, 2, 2, 2, 2, 1, 1, 1, 1, 1]);
        assert_eq!(s.class_names(), d.class_names());
        assert!(matches!(d.with_shifts(3, 3), Err(DataError::Invalid { what: "image shape", .. })));
        assert!(matches!(d.with_shifts(usize::MAX, 2), Err(DataError::Invalid { .. })));
    }

    #[test]
    fn mismatched_lengths_and_names() {
        let f = Features::from_vec(vec![0.0; 4], 2, 2).unwrap();
        assert!(matches!(Dataset::new(f.clone(), vec![0], None), Err(DataError::LengthMismatch { .. })));
        assert!(matches!(
            Dataset::new(f, vec![0, 3], Some(vec!["a".into()])),
            Err(DataError::Invalid { .. })
        ));
    }
}
