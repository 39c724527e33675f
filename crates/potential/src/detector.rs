//! [`NoveltyDetector`]: `potential detect fit`'s detector as an estimator.

use crate::estimator::{row_major, Fit};
use crate::Result;
use potential_data::Features;
use potential_kernels::MatRef;
use potential_train::detector::{Detector, DetectorConfig};
use potential_train::Monitor;
use std::path::Path;

/// A fitted novelty detector: scalers, denoising autoencoders and a threshold, fitted on rows
/// without labels ([`DetectorConfig`] documents the default rule; README, *Novelty detection*).
/// It is [`Detector`], the detector of `potential detect fit`, fitted by the same code
/// ([`Detector::fit_with`]): the same configuration and rows give the same file bytes.
///
/// ```
/// use potential::{DetectorConfig, Features, Fit};
///
/// // 300 points on the segment from (0, 0) to (1, 2); a point off it is unusual.
/// let rows: Vec<f32> = (0..300).flat_map(|i| { let t = i as f32 / 300.0; [t, 2.0 * t] }).collect();
/// let x = Features::from_vec(rows, 300, 2)?;
/// let det = DetectorConfig { epochs: Some(40), ..DetectorConfig::default() }.fit(&x)?;
/// let new = Features::from_vec(vec![0.5, 1.0, 0.5, -3.0], 2, 2)?;
/// let s = det.score(&new)?;
/// assert!(s[1] > s[0]);
/// assert_eq!(det.predict(&new)?, [false, true]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct NoveltyDetector {
    detector: Detector,
}

impl Fit<Features> for DetectorConfig {
    type Fitted = NoveltyDetector;

    /// [`Detector::fit_with`]: member i's steps and epochs are reported with `model` = i.
    ///
    /// # Errors
    /// [`Error::Detector`](crate::Error::Detector) (settings, too few rows, non-finite values
    /// naming row and column, a diverged member), [`Error::Interrupted`](crate::Error::Interrupted).
    fn fit_with(&self, data: &Features, monitor: Monitor<'_>) -> Result<NoveltyDetector> {
        Ok(NoveltyDetector { detector: Detector::fit_with(data, self, monitor)? })
    }
}

impl NoveltyDetector {
    /// Outlier scores of the rows of `x` (\[n, D\]; a `&Features`, a [`MatRef`] or a
    /// `&Matrix<f32>`): higher = more unusual ([`Detector::outlier_scores`]).
    ///
    /// # Errors
    /// [`Error::Detector`](crate::Error::Detector): a width other than the training rows', a
    /// non-finite value naming row and column.
    pub fn score<'a>(&self, x: impl Into<MatRef<'a>>) -> Result<Vec<f64>> {
        Ok(self.detector.outlier_scores(&row_major(x.into()))?)
    }

    /// Flags (true = outlier): the outlier score strictly above [`NoveltyDetector::threshold`].
    ///
    /// # Errors
    /// As [`NoveltyDetector::score`].
    pub fn predict<'a>(&self, x: impl Into<MatRef<'a>>) -> Result<Vec<bool>> {
        Ok(self.detector.predict(&row_major(x.into()))?)
    }

    /// The decision threshold on the outlier-score scale (PyOD's contamination rule on the
    /// training rows, unless set otherwise).
    pub fn threshold(&self) -> f64 {
        self.detector.threshold()
    }

    /// The detector, for everything else ([`Detector::explain`], calibration, members).
    pub fn detector(&self) -> &Detector {
        &self.detector
    }

    /// The detector, by value.
    pub fn into_detector(self) -> Detector {
        self.detector
    }

    /// Read a detector file (README, *File formats*).
    ///
    /// # Errors
    /// [`Error::Detector`](crate::Error::Detector) naming the file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        Ok(Self { detector: Detector::load(path)? })
    }

    /// Write the detector file atomically; `potential detect --model` reads it.
    ///
    /// # Errors
    /// [`Error::Detector`](crate::Error::Detector) naming the file.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        Ok(self.detector.save(path)?)
    }
}

impl From<Detector> for NoveltyDetector {
    fn from(detector: Detector) -> Self {
        Self { detector }
    }
}
