//! [`CsaeClassifier`]: the class-specific autoencoder classifier (Eq. 45) as an estimator.

use crate::estimator::Fit;
use crate::matrix::{shaped, Matrix};
use crate::Result;
use potential_csae::{train_with, Csae, CsaeConfig, Evaluation, FinetuneReport};
use potential_data::Dataset;
use potential_kernels::MatRef;
use potential_train::Monitor;
use std::path::Path;

/// A fitted class-specific autoencoder classifier (Sec. 4): one tied autoencoder per class and the
/// class biases C of `P(y = i | x) = exp(Eᵢ(x) + Cᵢ) / Σⱼ exp(Eⱼ(x) + Cⱼ)` (Eq. 45). It wraps a
/// [`Csae`] trained by [`potential_csae::train_with`], with shaped outputs; classes keep the
/// names of the training data and are matched by name ([`CsaeClassifier::evaluate`]).
#[derive(Clone, Debug, PartialEq)]
pub struct CsaeClassifier {
    model: Csae,
}

impl Fit<Dataset> for CsaeConfig {
    type Fitted = CsaeClassifier;

    /// [`potential_csae::train_with`] without validation data: pretraining of each class model on
    /// its class (reports with `model` = the class), then finetuning by Eq. 45.
    ///
    /// # Errors
    /// [`Error::Csae`](crate::Error::Csae) (configuration, data, a class without rows, divergence),
    /// [`Error::Interrupted`](crate::Error::Interrupted).
    fn fit_with(&self, data: &Dataset, monitor: Monitor<'_>) -> Result<CsaeClassifier> {
        Ok(CsaeClassifier::fit_report(self, data, None, monitor)?.0)
    }
}

impl CsaeClassifier {
    /// Train as `config` says on `train`; with `valid`, finetuning keeps the epoch of the lowest
    /// validation error (and `patience` may stop it early). Returns the finetuning's report too.
    ///
    /// # Errors
    /// As [`Fit::fit_with`].
    pub fn fit_report(
        config: &CsaeConfig,
        train: &Dataset,
        valid: Option<&Dataset>,
        monitor: Monitor<'_>,
    ) -> Result<(Self, FinetuneReport)> {
        let (model, report) = train_with(config, train, valid, monitor)?;
        Ok((Self { model }, report))
    }

    /// The most probable class of every row of `x` (\[n, D\]; a `&Features`, a [`MatRef`] or a
    /// `&Matrix<f32>`), as an index into [`CsaeClassifier::class_names`].
    ///
    /// # Errors
    /// [`Error::Csae`](crate::Error::Csae): a width other than the training rows', non-finite
    /// values.
    pub fn predict<'a>(&self, x: impl Into<MatRef<'a>>) -> Result<Vec<u32>> {
        Ok(self.model.predict(x.into())?)
    }

    /// P(y = i | x) of Eq. 45, \[n, K\]: each row sums to 1.
    ///
    /// # Errors
    /// As [`CsaeClassifier::predict`].
    pub fn predict_proba<'a>(&self, x: impl Into<MatRef<'a>>) -> Result<Matrix<f64>> {
        let x = x.into();
        Ok(shaped(self.model.predict_proba(x)?, x.rows(), self.num_classes()))
    }

    /// The class energies Eᵢ(x) (Eq. 11–21; higher = better represented by class i's model),
    /// \[n, K\].
    ///
    /// # Errors
    /// As [`CsaeClassifier::predict`].
    pub fn energies<'a>(&self, x: impl Into<MatRef<'a>>) -> Result<Matrix<f64>> {
        let x = x.into();
        Ok(shaped(self.model.energies(x)?, x.rows(), self.num_classes()))
    }

    /// The out-of-distribution score log Σᵢ exp(Eᵢ(x) + Cᵢ) of every row: low = unlike every
    /// class.
    ///
    /// # Errors
    /// As [`CsaeClassifier::predict`].
    pub fn ood_score<'a>(&self, x: impl Into<MatRef<'a>>) -> Result<Vec<f64>> {
        Ok(self.model.ood_score(x.into())?)
    }

    /// Error rate, confusion matrix, per-class error and mean −log P(y|x) on labelled rows whose
    /// classes are named as this classifier's ([`Csae::evaluate_dataset`]).
    ///
    /// # Errors
    /// [`Error::Csae`](crate::Error::Csae): a class named differently, a label beyond the classes,
    /// as [`CsaeClassifier::predict`].
    pub fn evaluate(&self, data: &Dataset) -> Result<Evaluation> {
        Ok(self.model.evaluate_dataset(data)?)
    }

    /// Number of classes K.
    pub fn num_classes(&self) -> usize {
        self.model.num_classes()
    }

    /// The class names, indexed by class.
    pub fn class_names(&self) -> &[String] {
        self.model.class_names()
    }

    /// The classifier, for everything else (class models, biases, adding a class).
    pub fn model(&self) -> &Csae {
        &self.model
    }

    /// The classifier, by value.
    pub fn into_model(self) -> Csae {
        self.model
    }

    /// Read a CSAE file (README, *File formats*).
    ///
    /// # Errors
    /// [`Error::Csae`](crate::Error::Csae) naming the file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        Ok(Self { model: Csae::load(path)? })
    }

    /// Write the CSAE file atomically; `potential csae eval` reads it.
    ///
    /// # Errors
    /// [`Error::Csae`](crate::Error::Csae) naming the file.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        Ok(self.model.save(path)?)
    }
}

impl From<Csae> for CsaeClassifier {
    fn from(model: Csae) -> Self {
        Self { model }
    }
}
