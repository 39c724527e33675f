//! [`AnyCsae`]: either kind of CSAE file, chosen by the metadata `format`.

use super::file::FACTORED_CSAE_FORMAT;
use super::model::FactoredCsae;
use crate::file::read_file;
use crate::{Csae, Evaluation, FormatError, Result, CSAE_FORMAT};
use potential_activations::ActivationKind;
use potential_kernels::MatRef;
use potential_models::TensorFile;
use std::path::Path;

/// A plain ([`Csae`], format `potential.csae`) or factored ([`FactoredCsae`], format
/// `potential.factored-csae`) classifier, with the operations both have.
#[derive(Clone, Debug, PartialEq)]
pub enum AnyCsae {
    /// One full tied autoencoder per class.
    Plain(Csae),
    /// Shared factors (Eq. 46–50).
    Factored(FactoredCsae),
}

impl AnyCsae {
    /// Decode bytes of either format, dispatching on `__metadata__.format`.
    ///
    /// # Errors
    /// [`Error::Format`](crate::Error::Format): [`FormatError::Corrupt`], [`FormatError::MissingMetadata`],
    /// [`FormatError::UnknownFormat`] for any other format, or the loader's error.
    pub fn from_safetensors_bytes(bytes: &[u8]) -> Result<Self> {
        Ok(Self::decode(bytes)?)
    }

    fn decode(bytes: &[u8]) -> std::result::Result<Self, FormatError> {
        let format = TensorFile::parse(bytes)?.meta("format")?.to_owned();
        match format.as_str() {
            CSAE_FORMAT => Csae::decode(bytes).map(AnyCsae::Plain),
            FACTORED_CSAE_FORMAT => FactoredCsae::decode(bytes).map(AnyCsae::Factored),
            _ => Err(FormatError::UnknownFormat {
                expected: "potential.csae or potential.factored-csae",
                found: format,
            }),
        }
    }

    /// Load a file of either format.
    ///
    /// # Errors
    /// [`Error::Io`](crate::Error::Io) if it cannot be read; [`Error::File`](crate::Error::File)
    /// with the path and the [`FormatError`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        read_file(path.as_ref(), Self::decode)
    }

    /// Save in the model's own format.
    ///
    /// # Errors
    /// [`Error::Io`](crate::Error::Io).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        match self {
            AnyCsae::Plain(m) => m.save(path),
            AnyCsae::Factored(m) => m.save(path),
        }
    }

    /// The `format` metadata value of this kind.
    pub fn format(&self) -> &'static str {
        match self {
            AnyCsae::Plain(_) => CSAE_FORMAT,
            AnyCsae::Factored(_) => FACTORED_CSAE_FORMAT,
        }
    }
    /// Number of classes K.
    pub fn num_classes(&self) -> usize {
        match self {
            AnyCsae::Plain(m) => m.num_classes(),
            AnyCsae::Factored(m) => m.num_classes(),
        }
    }
    /// Input dimension D.
    pub fn visible(&self) -> usize {
        match self {
            AnyCsae::Plain(m) => m.visible(),
            AnyCsae::Factored(m) => m.visible(),
        }
    }
    /// The hidden activation.
    pub fn activation(&self) -> ActivationKind {
        match self {
            AnyCsae::Plain(m) => m.activation(),
            AnyCsae::Factored(m) => m.activation(),
        }
    }
    /// Class names.
    pub fn class_names(&self) -> &[String] {
        match self {
            AnyCsae::Plain(m) => m.class_names(),
            AnyCsae::Factored(m) => m.class_names(),
        }
    }
    /// Class energies \[n, K\].
    ///
    /// # Errors
    /// As [`Csae::energies`] / [`FactoredCsae::energies`].
    pub fn energies(&self, x: MatRef<'_>) -> Result<Vec<f64>> {
        match self {
            AnyCsae::Plain(m) => m.energies(x),
            AnyCsae::Factored(m) => m.energies(x),
        }
    }
    /// P(y | x) \[n, K\] (Eq. 45).
    ///
    /// # Errors
    /// As [`AnyCsae::energies`].
    pub fn predict_proba(&self, x: MatRef<'_>) -> Result<Vec<f64>> {
        match self {
            AnyCsae::Plain(m) => m.predict_proba(x),
            AnyCsae::Factored(m) => m.predict_proba(x),
        }
    }
    /// The most probable class of every row.
    ///
    /// # Errors
    /// As [`AnyCsae::energies`].
    pub fn predict(&self, x: MatRef<'_>) -> Result<Vec<u32>> {
        match self {
            AnyCsae::Plain(m) => m.predict(x),
            AnyCsae::Factored(m) => m.predict(x),
        }
    }
    /// Error rate, confusion matrix, per-class error, mean NLL.
    ///
    /// # Errors
    /// As [`Csae::evaluate`].
    pub fn evaluate(&self, x: MatRef<'_>, labels: &[u32]) -> Result<Evaluation> {
        match self {
            AnyCsae::Plain(m) => m.evaluate(x, labels),
            AnyCsae::Factored(m) => m.evaluate(x, labels),
        }
    }
    /// The out-of-distribution score log Σⱼ exp sⱼ(x).
    ///
    /// # Errors
    /// As [`AnyCsae::energies`].
    pub fn ood_score(&self, x: MatRef<'_>) -> Result<Vec<f64>> {
        match self {
            AnyCsae::Plain(m) => m.ood_score(x),
            AnyCsae::Factored(m) => m.ood_score(x),
        }
    }
    /// A plain [`Csae`] (the factored one with its class models materialised, as
    /// [`FactoredCsae::to_csae`]).
    ///
    /// # Errors
    /// As [`FactoredCsae::to_csae`].
    pub fn to_csae(&self) -> Result<Csae> {
        match self {
            AnyCsae::Plain(m) => Ok(m.clone()),
            AnyCsae::Factored(m) => m.to_csae(),
        }
    }
}

impl From<Csae> for AnyCsae {
    fn from(m: Csae) -> Self {
        AnyCsae::Plain(m)
    }
}

impl From<FactoredCsae> for AnyCsae {
    fn from(m: FactoredCsae) -> Self {
        AnyCsae::Factored(m)
    }
}
