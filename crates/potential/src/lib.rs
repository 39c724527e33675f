#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

mod classifier;
mod detector;
mod error;
mod estimator;
mod matrix;

/// `potential-kernels`: matrix views, gemm, the activations' SIMD bodies.
pub use potential_kernels as kernels;

/// `potential-activations`: the hidden activations with h, h′, h″ and H = ∫h.
pub use potential_activations as activations;

/// `potential-models`: tied autoencoders as energy models, novelty scores, model files.
pub use potential_models as models;

/// `potential-data`: datasets, file formats, splits, minibatches, the embedded digits.
pub use potential_data as data;

/// `potential-train`: training, checkpoints, the novelty detector, progress callbacks.
pub use potential_train as train;

/// `potential-csae`: the class-specific autoencoder classifier, plain and factored.
pub use potential_csae as csae;

pub use classifier::CsaeClassifier;
pub use detector::NoveltyDetector;
pub use error::{Error, Result};
pub use estimator::{AutoencoderConfig, Fit};
pub use matrix::Matrix;

pub use potential_activations::ActivationKind;
pub use potential_csae::{Csae, CsaeConfig, Evaluation, FinetuneConfig, FinetuneReport, Variant};
pub use potential_data::{embedded_digits, open_dataset, open_features, Dataset, Features};
pub use potential_kernels::{MatRef, ShapeError};
pub use potential_models::{Output, TiedAutoencoder};
pub use potential_train::detector::{Detector, DetectorConfig};
pub use potential_train::{
    silent, EpochMetrics, FitReport, Init, Monitor, Noise, Progress, Schedule, TrainConfig,
};

/// Everything the two examples of the crate docs use: `use potential::prelude::*;`.
pub mod prelude {
    pub use crate::{
        embedded_digits, open_dataset, open_features, silent, ActivationKind, AutoencoderConfig,
        CsaeClassifier, CsaeConfig, Dataset, DetectorConfig, Features, FinetuneConfig, Fit, Init, MatRef,
        Matrix, Monitor, Noise, NoveltyDetector, Output, Progress, TiedAutoencoder, TrainConfig,
    };
}
