//! The factored CSAE (Sec. 4.1, Eq. 46–50): K class autoencoders whose D×H weights share two
//! class-independent factor matrices, Wʲ = Wˣ diag(Wᶠⱼ) Wʰ.
//!
//! - [`FactoredCsae`]: parameters, class energies (Eq. 11–21 for class j's tied autoencoder), the
//!   classifier of Eq. 45 on them ([`FactoredCsae::logits`], [`FactoredCsae::predict_proba`],
//!   [`FactoredCsae::predict`], [`FactoredCsae::evaluate`], [`FactoredCsae::ood_score`]), each
//!   class as an ordinary [`TiedAutoencoder`](potential_models::TiedAutoencoder)
//!   ([`FactoredCsae::class_model`]) and the whole as a plain [`Csae`](crate::Csae)
//!   ([`FactoredCsae::to_csae`]).
//! - [`FactoredPretrainer`]: denoising pretraining of all classes together — every row
//!   reconstructs through its own class's autoencoder, shared factors see every row (Sec. 4.3);
//!   [`FactoredFinetuner`]: the negative log of Eq. 45 plus L2 weight decay on Wˣ, Wʰ, Wᶠ. Both
//!   compute exact gradients (derivations in their docs) in buffers allocated once.
//! - [`train_factored`] ([`pretrain_factored`] then [`finetune_factored`]) with
//!   [`FactoredConfig`]; [`select_and_fit_factored`]: the protocol of Sec. 4.4 (grid over factors,
//!   hiddens, learning rate, weight decay on a validation split, refit on train + validation).
//! - Files: safetensors, format [`FACTORED_CSAE_FORMAT`], tensors [`FACTORED_TENSORS`]:
//!   `factor.input` \[D, F\] (Wˣ), `factor.hidden` \[F, H\] (Wʰ), `factor.class` \[K, F\] (Wᶠ),
//!   `class.hidden_bias` \[K, H\] (Bʰ), `class.visible_bias` \[K, D\] (Bʳ), `class_bias` \[K\] (C);
//!   metadata `format`, `classes`, `activation`, `output`, `provenance`. [`AnyCsae`] loads either
//!   kind of CSAE file by its `format`.
//!
//! # Example
//! ```
//! use potential_activations::ActivationKind;
//! use potential_csae::{factored_silent, train_factored, FactoredConfig, FinetuneConfig};
//! use potential_data::embedded_digits;
//! use potential_train::{Noise, TrainConfig};
//!
//! // Digits 0, 1 and 2 of the embedded UCI digits; 16 shared factors, 16 tanh hiddens per class.
//! let data = embedded_digits().subset_classes(&[0, 1, 2]);
//! let (tr, te) = data.split_tail(90)?;
//! let cfg = FactoredConfig {
//!     factors: 16,
//!     hidden: 16,
//!     activation: ActivationKind::Tanh,
//!     pretrain: Some(TrainConfig {
//!         epochs: 10, batch_size: 20, learning_rate: 0.01, noise: Some(Noise::Mask(0.2)), ..TrainConfig::default()
//!     }),
//!     finetune: FinetuneConfig { epochs: 10, batch_size: 20, learning_rate: 0.01, ..FinetuneConfig::default() },
//!     ..FactoredConfig::default()
//! };
//! let (model, _report) = train_factored(&cfg, &tr, None, &factored_silent)?;
//! let x = te.features().as_mat();
//! let eval = model.evaluate(x, te.labels())?;
//! assert!(eval.error_rate < 0.1, "{eval:?}");
//! // Class 1 as an ordinary tied autoencoder (Eq. 48–50): its energy is the model's E₁.
//! let e = model.energies(x)?;
//! let e1 = model.class_model(1)?.energy_batch(x)?;
//! assert!((e[1] - e1[0]).abs() < 1e-3 * (1.0 + e1[0].abs()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod any;
mod file;
mod finetuner;
mod fit;
mod grad;
mod model;
mod pretrainer;
mod select;

pub use any::AnyCsae;
pub use file::{FACTORED_CSAE_FORMAT, FACTORED_TENSORS};
pub use finetuner::FactoredFinetuner;
pub use fit::{
    class_means, factored_silent, finetune_factored, pretrain_factored, train_factored, FactoredConfig,
    FactoredEvent, FactoredObserver, FactoredReport, PretrainEpoch,
};
pub use grad::FactoredGradient;
pub use model::{FactoredCsae, FactoredParams, FactoredParamsMut};
pub use pretrainer::FactoredPretrainer;
pub use select::{select_and_fit_factored, FactoredGrid, FactoredSelection, FactoredTrial};
