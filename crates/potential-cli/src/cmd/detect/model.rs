//! The model `detect` scores rows with: a detector file, a tied autoencoder, or a (factored) CSAE
//! classifier, chosen by the file's `format`; and the rows it scores.

use super::usage;
use crate::error::{CliError, Result};
use potential_csae::{AnyCsae, CSAE_FORMAT, FACTORED_CSAE_FORMAT};
use potential_data::Features;
use potential_kernels::MatRef;
use potential_models::novelty::{self, NoveltyError, NoveltyScore};
use potential_models::{FormatError, Precision, TiedAutoencoder};
use potential_train::detector::{Detector as FittedDetector, DetectorError, DETECTOR_FORMAT};
use std::path::Path;

/// A model that can score rows.
pub(super) enum Detector {
    Fitted(Box<FittedDetector>),
    Tied(TiedAutoencoder),
    Csae(AnyCsae),
}

impl Detector {
    /// Load a tied autoencoder, or a CSAE or detector file when the format says so.
    pub(super) fn load(path: &Path) -> Result<Self> {
        match TiedAutoencoder::load(path) {
            Ok(m) => Ok(Detector::Tied(m)),
            Err(potential_models::Error::File {
                source: FormatError::UnknownFormat { found, .. }, ..
            }) if found == CSAE_FORMAT || found == FACTORED_CSAE_FORMAT => {
                Ok(Detector::Csae(AnyCsae::load(path)?))
            }
            Err(potential_models::Error::File {
                source: FormatError::UnknownFormat { found, .. }, ..
            }) if found == DETECTOR_FORMAT => {
                let d = FittedDetector::load(path).map_err(|e| CliError::detector(path, e))?;
                Ok(Detector::Fitted(Box::new(d)))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Input width.
    pub(super) fn visible(&self) -> usize {
        match self {
            Detector::Fitted(d) => d.dim(),
            Detector::Tied(m) => m.visible(),
            Detector::Csae(m) => m.visible(),
        }
    }

    /// The file format.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Detector::Fitted(_) => DETECTOR_FORMAT,
            Detector::Tied(_) => potential_models::TIED_FORMAT,
            Detector::Csae(m) => m.format(),
        }
    }

    /// Outlier scores of a block of rows of `path` that starts at row `r0` (higher = more
    /// unusual); errors name the file and the row counted from its start.
    fn outlier_scores(
        &self,
        x: MatRef<'_>,
        (what, precision): (NoveltyScore, Precision),
        path: &Path,
        r0: usize,
    ) -> Result<Vec<f64>> {
        match self {
            Detector::Fitted(d) => d.outlier_scores(x.as_slice()).map_err(|e| match e {
                DetectorError::NonFinite { row, column, value } => {
                    CliError::detector(path, DetectorError::NonFinite { row: row + r0, column, value })
                }
                e => CliError::detector(path, e),
            }),
            Detector::Tied(m) => novelty::outlier_scores_with(m, x, what, precision).map_err(|e| match e {
                NoveltyError::Model(e) => CliError::scoring(path, r0, e),
                e => usage(format!("{}: {e}", path.display())),
            }),
            Detector::Csae(m) => {
                // Only the energy is defined for a classifier: −log Σᵢ exp(Eᵢ + Cᵢ).
                let s = m.ood_score(x).map_err(|e| match e {
                    potential_csae::Error::Model(e) => CliError::scoring(path, r0, e),
                    e => e.into(),
                })?;
                Ok(NoveltyScore::Energy.to_outlier_scores(&s))
            }
        }
    }
}

/// Outlier scores of every row of `x` (the rows of `path`), in blocks, with a progress bar.
pub(super) fn score_rows(
    model: &Detector,
    x: &Features,
    what: NoveltyScore,
    precision: Precision,
    path: &Path,
    quiet: bool,
) -> Result<Vec<f64>> {
    crate::rows::score_blocks(x, 8192, quiet, |view, r0| {
        model.outlier_scores(view, (what, precision), path, r0)
    })
}

/// A score kind other than energy is refused for classifiers, and any `--score` for a detector
/// file (it stores its own).
pub(super) fn check_score_kind(model: &Detector, path: &Path, given: bool, what: NoveltyScore) -> Result<()> {
    match model {
        Detector::Csae(_) if what != NoveltyScore::Energy => Err(usage(format!(
            "--score {what}: {} is a CSAE classifier ({}); only --score energy (log Σᵢ exp(Eᵢ + Cᵢ)) is \
defined for it",
            path.display(),
            model.kind()
        ))),
        Detector::Fitted(d) if given && what != d.score_kind() => Err(usage(format!(
            "--score {what}: {} is a detector fitted with --score {}; its score cannot be changed",
            path.display(),
            d.score_kind()
        ))),
        _ => Ok(()),
    }
}

/// Open a data file to score and check its width against the model.
pub(super) fn open_rows(path: &Path, model: &Detector, model_path: &Path) -> Result<Features> {
    let x = potential_data::open_features(path)?;
    crate::rows::check_width(path, x.d(), model_path, model.visible())?;
    if x.n() == 0 {
        return Err(usage(format!("{}: no rows to score", path.display())));
    }
    Ok(x)
}

/// Labels as outlier flags (every label other than `normal` is an outlier).
pub(super) fn read_truth(path: &Path, normal: u32, n: usize, data: &Path) -> Result<Vec<bool>> {
    let labels = potential_data::open_labels(path)?;
    if labels.len() != n {
        return Err(usage(format!(
            "{}: {} labels, but {} has {n} rows",
            path.display(),
            labels.len(),
            data.display()
        )));
    }
    Ok(novelty::outliers_from_labels(&labels, normal))
}
