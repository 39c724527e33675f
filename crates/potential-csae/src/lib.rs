//! # potential-csae
//!
//! The class-specific autoencoder classifier (CSAE) of Kamyshanska & Memisevic, "The Potential
//! Energy of an Autoencoder" (TPAMI 2015, Sec. 4): one tied autoencoder per class, whose energy
//! Eᵢ(x) (Eq. 11–21) scores how well class i's model represents x, turned into a classifier by
//!
//! `P(y = i | x) = exp(Eᵢ(x) + Cᵢ) / Σⱼ exp(Eⱼ(x) + Cⱼ)`   (Eq. 45)
//!
//! with learned class biases Cᵢ (the unknown log normalising constants).
//!
//! ## Overview
//! - [`Csae`]: the classifier — [`Csae::energies`], [`Csae::logits`], [`Csae::predict_proba`],
//!   [`Csae::predict`], [`Csae::ood_score`] (log Σᵢ exp(Eᵢ + Cᵢ)), [`Csae::evaluate`] (error rate,
//!   confusion matrix, per-class error; [`Csae::evaluate_dataset`] with classes matched by name),
//!   [`Csae::add_class`] (a new class without retraining the
//!   others; then [`fit_class_biases`]).
//! - Training ([`train`], or [`train_with`] reporting to the one progress and cancellation
//!   callback [`Monitor`](potential_train::Monitor)): [`pretrain_classes`] trains each class model on its own class with
//!   `potential-train` (classes in parallel on rayon), then [`finetune`] minimises the negative log
//!   of Eq. 45 plus L2 weight decay over every parameter with exact gradients from ∂E/∂θ
//!   ([`Finetuner`]: two gemms per class per minibatch), keeping the best validation epoch.
//!   [`pretrain_class`] (one class) and [`train_from_classes`] (the finetuning after it) split
//!   [`train`] so that classes can be pretrained apart, with the same bits.
//! - [`Variant`]s of Table 4: `log` (the CSAE), `hinge`, `normalize-only` (learn C alone),
//!   `energies` (multinomial logistic regression on the energy vector); no pretraining is
//!   `CsaeConfig::pretrain = None`.
//! - [`select_and_fit`]: the protocol of Sec. 4.4 — pretraining, a grid over hidden units,
//!   learning rate and weight decay scored on the validation split, a final fit on train +
//!   validation. [`PretrainOn`] says where the selection runs pretrain: on the training rows only
//!   (the default; the final fit pretrains again on train + validation) or, the paper's reading,
//!   once on train + validation (which shows each class model its class's validation rows).
//! - Files: one safetensors file per classifier ([`Csae::save`], [`Csae::load`]), format
//!   [`CSAE_FORMAT`]: tensors `class.{i}.weight` \[Hᵢ, D\], `class.{i}.hidden_bias` \[Hᵢ\],
//!   `class.{i}.visible_bias` \[D\], `class_bias` \[K\] (and `readout` \[K, K\] for the energies
//!   variant), all F32; metadata `format` = `potential.csae`, `classes` (JSON array of label
//!   names), `activation`, `output`, `provenance` (JSON). Written atomically; load errors are typed
//!   ([`FormatError`]).
//! - The factored CSAE (Sec. 4.1, Eq. 46–50): [`FactoredCsae`] — shared factors Wˣ \[D, F\] and
//!   Wʰ \[F, H\], class factor weights Wᶠ, class biases; class j's weight is Wˣ diag(Wᶠⱼ) Wʰ.
//!   Denoising pretraining of all classes together ([`pretrain_factored`], [`FactoredPretrainer`]),
//!   finetuning by Eq. 45 ([`finetune_factored`], [`FactoredFinetuner`]), [`train_factored`];
//!   files of format [`FACTORED_CSAE_FORMAT`] with the tensors [`FACTORED_TENSORS`]
//!   (`factor.input` \[D, F\], `factor.hidden` \[F, H\], `factor.class` \[K, F\],
//!   `class.hidden_bias` \[K, H\], `class.visible_bias` \[K, D\], `class_bias` \[K\]);
//!   [`AnyCsae`] loads either kind by its `format`.
//!
//! ## Numbers and threads
//! Energies, logits, losses and probabilities are `f64` (stable log-sum-exp); parameters and gemms
//! are `f32`. Classes run in parallel on the current rayon pool; results do not depend on its size.
//!
//! ## Example
//! ```
//! use potential_csae::{train, CsaeConfig, FinetuneConfig, silent};
//! use potential_data::embedded_digits;
//! use potential_train::TrainConfig;
//!
//! // Two digit classes (0 and 1) of the embedded UCI digits, small models, a few epochs.
//! let data = embedded_digits().subset_classes(&[0, 1]);
//! let (tr, te) = data.split_tail(60)?;
//! let cfg = CsaeConfig {
//!     hidden: 16,
//!     pretrain: Some(TrainConfig { epochs: 5, batch_size: 20, learning_rate: 0.05, ..TrainConfig::default() }),
//!     finetune: FinetuneConfig { epochs: 5, batch_size: 20, learning_rate: 0.01, ..FinetuneConfig::default() },
//!     ..CsaeConfig::default()
//! };
//! let (model, _report) = train(&cfg, &tr, None, &silent)?;
//! let x = te.features().as_mat();
//! let eval = model.evaluate(x, te.labels())?;
//! assert!(eval.error_rate < 0.1, "{eval:?}");
//! let p = model.predict_proba(x)?;
//! assert!((p[0] + p[1] - 1.0).abs() < 1e-12);
//! # Ok::<(), potential_csae::Error>(())
//! ```
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

mod config;
mod error;
mod factored;
mod file;
mod finetune;
mod fit;
mod model;
mod monitor;
pub mod presets;
mod readout;
mod select;
mod training;

pub use config::{CsaeConfig, FinetuneConfig, Optimizer, PretrainOn, Variant};
pub use error::{Error, FormatError, Result};
pub use factored::{
    class_means, factored_silent, finetune_factored, pretrain_factored, select_and_fit_factored,
    train_factored, AnyCsae, FactoredConfig, FactoredCsae, FactoredEvent, FactoredFinetuner,
    FactoredGradient, FactoredGrid, FactoredObserver, FactoredParams, FactoredParamsMut, FactoredPretrainer,
    FactoredReport, FactoredSelection, FactoredTrial, PretrainEpoch, FACTORED_CSAE_FORMAT, FACTORED_TENSORS,
};
pub use file::CSAE_FORMAT;
pub use finetune::{ClassGrad, CsaeGradient, Finetuner};
pub use fit::{
    class_features, features_view, finetune, fit_class_biases, init_class_model, init_classes,
    pretrain_class, pretrain_classes, pretrain_parallelism, silent, train, train_from_classes, train_with,
    Event, Observer,
};
pub use model::{log_sum_exp, Csae, Evaluation};
pub use select::{
    check_pretrained, concat, pretrain_csae, select_and_fit, select_and_fit_from, Grid, Pretrained,
    Selection, Trial,
};
pub use training::epochs::{FinetuneEpoch, FinetuneReport};

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctest;
