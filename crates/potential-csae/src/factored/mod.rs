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
//!   [`FactoredConfig`].
//! - Files: safetensors, format [`FACTORED_CSAE_FORMAT`], tensors [`FACTORED_TENSORS`]:
//!   `factor.input` \[D, F\] (Wˣ), `factor.hidden` \[F, H\] (Wʰ), `factor.class` \[K, F\] (Wᶠ),
//!   `class.hidden_bias` \[K, H\] (Bʰ), `class.visible_bias` \[K, D\] (Bʳ), `class_bias` \[K\] (C);
//!   metadata `format`, `classes`, `activation`, `output`, `provenance`. [`AnyCsae`] loads either
//!   kind of CSAE file by its `format`.

mod any;
mod file;
mod fit;
mod grad;
mod model;

pub use any::AnyCsae;
pub use file::{FACTORED_CSAE_FORMAT, FACTORED_TENSORS};
pub use fit::{
    class_means, factored_silent, finetune_factored, pretrain_factored, train_factored, FactoredConfig,
    FactoredEvent, FactoredObserver, FactoredReport, PretrainEpoch,
};
pub use grad::{FactoredFinetuner, FactoredGradient, FactoredPretrainer};
pub use model::{FactoredCsae, FactoredParams, FactoredParamsMut};
