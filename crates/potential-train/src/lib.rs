//! # potential-train
//!
//! Training tied autoencoders the way "The Potential Energy of an Autoencoder" (Kamyshanska &
//! Memisevic, TPAMI 2015, Sec. 4.2) does, fast and without ever losing a run.
//!
//! ## Overview
//! - [`TrainConfig`]: epochs, minibatch size (100), learning rate and [`Schedule`], momentum (0.9),
//!   L2 weight decay, the contractive penalty λ·Σₖ h′(uₖ)²‖wₖ‖² (Eq. 40) with its exact gradient,
//!   denoising [`Noise`] (zero-masking, Gaussian, salt-and-pepper), filter renormalisation, seed,
//!   early stopping — validated before anything runs ([`TrainConfig::validate`]).
//! - The loss follows the model's output: squared error ½‖r − x‖² for real output, cross-entropy for
//!   binary (sigmoid) output.
//! - [`Workspace`]: one training step — five gemms through `potential_kernels::gemm` and fused
//!   elementwise passes over buffers allocated once; [`momentum_update`], [`renormalize_filters`].
//!   The derivation of the gradient is in the [`Workspace`] docs. [`Workspace::momentum_step`]
//!   (the trainer's step) fuses the weight gradient, its decay terms and the momentum update into
//!   the store of the last gemm.
//! - [`Trainer`]: the epoch loop, per-epoch [`EpochMetrics`] (loss, reconstruction error,
//!   contraction, mean energy, fraction of absorbing points, Eq. 39), early stopping that restores
//!   the best model, atomic per-epoch checkpoints and [`Trainer::resume`], bit for bit.
//! - [`init_model`] / [`init_model_with`]: seeded initial models; [`Init`] says how the weights
//!   are scaled (the ×4 bound of Glorot & Bengio's advice for sigmoid networks, which
//!   [`init_model`] keeps, or the plain bound, better for tied sigmoid autoencoders).
//! - [`Progress`] and [`Monitor`]: the one progress and cancellation callback of the long-running
//!   calls ([`Trainer::fit_with`], [`detector::Detector::fit_with`], the CSAE's and the `potential`
//!   estimators'), [`silent`] the default; [`Trainer::fit`] keeps its own event callback.
//! - [`memory`]: what a training run will allocate, estimated before it allocates
//!   ([`memory::training_bytes`], [`memory::check_shape`]; the detector's
//!   [`detector::Resolved::fit_bytes`]), so a caller can refuse a run that would not fit.
//! - [`SphericalKMeans`]: the k-means autoencoder (max activation, Sec. 2.3.8) trained by spherical
//!   k-means.
//!
//! ## Checkpoints
//! A safetensors file with `format` = [`CHECKPOINT_FORMAT`]: the model tensors of a model file
//! (README, *File formats*: `weight`, `hidden_bias`, `visible_bias`), `velocity.weight`, `velocity.hidden_bias`,
//! `velocity.visible_bias`, `rng_state` (U8 \[32\], the Xoshiro256++ state), and with validation data
//! `best.weight`, `best.hidden_bias`, `best.visible_bias`; metadata `activation`, `output`,
//! `provenance`, `epoch`, `bad_epochs`, `config` (JSON), `best_epoch`, `best_valid_loss` (f64 bits in
//! hex). Written atomically after every epoch; a resumed run equals the uninterrupted one bit for bit.
//!
//! ## Example
//! ```
//! use potential_activations::ActivationKind;
//! use potential_data::Features;
//! use potential_models::Output;
//! use potential_train::{init_model, TrainConfig, Trainer};
//!
//! // 200 points on a line in 3-D; a contractive autoencoder with 8 sigmoid hiddens.
//! let data: Vec<f32> = (0..200).flat_map(|i| { let t = i as f32 / 200.0; [t, 2.0 * t, -t] }).collect();
//! let x = Features::from_vec(data, 200, 3)?;
//! let model = init_model(8, 3, ActivationKind::Sigmoid, Output::Real, 7)?;
//! let config = TrainConfig { epochs: 20, batch_size: 20, learning_rate: 0.05, contractive: 0.1, ..TrainConfig::default() };
//! let mut trainer = Trainer::new(model, config)?;
//! let report = trainer.fit_with(&x, None, &potential_train::silent)?;
//! let (first, last) = (&report.history[0], report.history.last().unwrap());
//! assert!(last.reconstruction_error < first.reconstruction_error);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

mod checkpoint;
mod config;
pub mod detector;
mod error;
mod init;
mod kmeans;
pub mod memory;
mod metrics;
mod noise;
mod progress;
mod step;
mod trainer;

pub use checkpoint::CHECKPOINT_FORMAT;
pub use config::{Noise, Optimizer, Schedule, TrainConfig};
pub use error::{Error, Result};
pub use init::{init_model, init_model_with, Init, MAX_PARAMETERS};
pub use kmeans::SphericalKMeans;
pub use metrics::EpochMetrics;
pub use noise::corrupt;
pub use progress::{silent, Monitor, Progress};
pub use step::{adam_update, momentum_update, renormalize_filters, BatchLoss, Params, Workspace};
pub use trainer::{Event, FitReport, Outcome, StepInfo, Trainer};

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctest;
