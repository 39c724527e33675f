//! # potential-models
//!
//! Tied autoencoders as energy models (Kamyshanska & Memisevic, "The Potential Energy of an
//! Autoencoder", TPAMI 2015).
//!
//! ## Overview
//! - [`TiedAutoencoder`]: weight W (H×D), hidden bias b_h, visible bias b_r, an
//!   [`ActivationKind`](potential_activations::ActivationKind) and an [`Output`] kind. Batched over
//!   `[n, D]` matrices (one gemm per block of rows + fused kernels, rows in parallel) with single-sample
//!   conveniences: `encode`, `reconstruct`, **`energy`** (Eq. 11–21; binary output Eq. 28),
//!   `vector_field` (r(x) − x, or B(x)), `jacobian` = `hessian`, **`laplacian`** (Eq. 38),
//!   `contraction` (Eq. 40), `is_absorbing` (Eq. 39), `reconstruction_error`, the reconstruction
//!   [`dynamics`](TiedAutoencoder::dynamics), and parameter gradients of the energy.
//! - [`Precision`]: the batched energy in `f32` or with a bf16 encoder product
//!   ([`TiedAutoencoder::energy_batch_with`]; AVX-512 BF16 CPUs), with a derived error bound
//!   ([`TiedAutoencoder::bf16_energy_error_bound`]).
//! - [`Score`]: the per-sample scores of the command line by name.
//! - [`novelty`]: outlier scores (−E or ‖r(x) − x‖²), PyOD's contamination threshold, ROC AUC,
//!   precision, recall and F1 for novelty detection.
//! - [`KMeansAutoencoder`] (max activation, Sec. 2.3.8), [`UntiedAutoencoder`] (no energy: only an
//!   integrability measure), and `TiedAutoencoder::pca` (linear, ΔE = d − D; Cargo feature `pca`,
//!   which adds `nalgebra` for the eigendecomposition).
//! - Model files: safetensors in the format of the README's *File formats* section
//!   ([`TiedAutoencoder::save`], written atomically with the standard library alone,
//!   [`TiedAutoencoder::load`], and the byte forms), with typed
//!   [`FormatError`]s; [`TensorFile`], the one reader of every safetensors file of the workspace
//!   (models, CSAEs, detectors, checkpoints), and [`safetensors_f32_bytes`], the writer of their
//!   deterministic bytes.
//!
//! ## Sign convention
//! E is defined by ∇ₓE = r(x) − x (Eq. 9). It is a confidence score: higher means the autoencoder
//! represents x better. The dynamics x ← x + ε(r(x) − x) are gradient **ascent** on E.
//!
//! ## Binary output
//! For a binary-output model (sigmoid decoder, data in [0, 1]) the field is B(x) = ξ(r(x)) − ξ(x)
//! = ∇ₓE with ξ the log-odds (Eq. 27–28), so the Jacobian = Hessian is
//! `Wᵀ diag(h′(u)) W − diag(1/(xⱼ(1−xⱼ)))` and `laplacian` is its trace,
//! `Σₖ h′(uₖ)‖wₖ‖² − Σⱼ 1/(xⱼ(1−xⱼ))` (the −D of the real case becomes the entropy's curvature);
//! `absorbing` tests that trace. These are infinite where some xⱼ ∈ {0, 1} and are then reported as
//! [`Error::OnBoundary`]; the energy itself is finite on the closed cube (0·log 0 = 0). `contraction`
//! (Σₖ h′(uₖ)²‖wₖ‖²) involves only the encoder and is the same for both output kinds.
//!
//! ## Parallelism and numbers
//! Batched methods split the rows into fixed blocks of 1024 (one sequential gemm each) and run the
//! blocks on the current rayon pool, so results are bit-identical for any thread count. Storage and
//! gemm are f32; energies, norms and scores are accumulated and returned in f64. Non-finite inputs
//! are errors naming the row and column; a non-finite result is an error naming the row.
//!
//! ## Example
//! ```
//! use potential_activations::ActivationKind;
//! use potential_models::{Output, TiedAutoencoder};
//!
//! // A linear autoencoder with one orthonormal filter: E(x) = −½‖x − WᵀWx‖² (Eq. 16).
//! let model = TiedAutoencoder::new(vec![1.0, 0.0], vec![0.0], vec![0.0, 0.0], ActivationKind::Linear, Output::Real)?;
//! let e = model.energy(&[3.0, 4.0])?;
//! assert!((e - (-8.0)).abs() < 1e-9);
//! // ∇E = r(x) − x, and the Laplacian is d − D = 1 − 2.
//! assert_eq!(model.vector_field(&[3.0, 4.0])?, vec![0.0, -4.0]);
//! assert_eq!(model.laplacian(&[3.0, 4.0])?, -1.0);
//!
//! // Files round-trip.
//! let bytes = model.to_safetensors_bytes()?;
//! let back = TiedAutoencoder::from_safetensors_bytes(&bytes)?;
//! assert_eq!((back.weight(), back.activation(), back.output()), (model.weight(), model.activation(), model.output()));
//! assert_eq!(back.provenance(), Some("{}")); // no provenance is written as an empty JSON object
//! # Ok::<(), potential_models::Error>(())
//! ```
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

mod calculus;
mod dynamics;
mod energy;
mod error;
pub mod explain;
mod file;
mod gradient;
mod kmeans;
pub mod novelty;
mod output;
#[cfg(feature = "pca")]
mod pca;
mod precision;
mod score;
mod tensor_file;
mod tied;
mod untied;

pub use dynamics::{DynamicsOptions, Trajectory};
pub use error::{Error, FormatError, Result};
pub use file::{safetensors_f32_bytes, TIED_FORMAT};
pub use gradient::TiedGradient;
pub use kmeans::KMeansAutoencoder;
pub use novelty::{NoveltyError, NoveltyScore};
pub use output::Output;
pub use precision::{ParsePrecisionError, Precision};
pub use score::{ParseScoreError, Score};
pub use tensor_file::{read_regular_file, TensorFile};
pub use tied::{ParamsMut, TiedAutoencoder};
pub use untied::UntiedAutoencoder;

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctest;
