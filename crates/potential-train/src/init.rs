//! Seeded initialisation of a tied autoencoder.

use crate::noise::unit;
use crate::Result;
use potential_activations::ActivationKind;
use potential_models::{Output, TiedAutoencoder};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

/// Most weights (H·D) [`init_model`] allocates: 2²⁸ f32 entries, 1 GiB, about four times that with
/// the training state — far beyond any model of the paper (784 × 500 = 392 000), small enough to
/// fail with a clear error instead of exhausting memory.
pub const MAX_PARAMETERS: usize = 1 << 28;

/// How the initial weights of a tied autoencoder are drawn: W uniform on ±s·√(6/(H + D)) (Glorot &
/// Bengio 2010's bound for H hidden and D visible units), biases zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "scale", rename_all = "kebab-case")]
pub enum Init {
    /// s = 1 for every activation (the default). For tied autoencoders with sigmoid hiddens this
    /// is the better start: the ×4 bound of [`Init::GlorotSigmoidX4`] makes most units saturate
    /// from the first step, where h′ ≈ 0 and the gradient is small (measured on MNIST, digit 0
    /// against the other nine digits, 100 sigmoid hiddens: README, *Use as a library*, gives the
    /// ROC AUC of both starts).
    #[default]
    Glorot,
    /// s = 4 for sigmoid hiddens and 1 otherwise: Glorot & Bengio's advice for sigmoid networks,
    /// what [`init_model`] draws and so what every command-line run and every recorded result
    /// used. Kept so that their seeded streams stay bit for bit.
    GlorotSigmoidX4,
    /// s given (finite, > 0), for every activation.
    Scaled(f32),
}

impl Init {
    /// The factor s for `activation`.
    pub fn factor(self, activation: ActivationKind) -> f32 {
        match self {
            Init::Glorot => 1.0,
            Init::GlorotSigmoidX4 if activation == ActivationKind::Sigmoid => 4.0,
            Init::GlorotSigmoidX4 => 1.0,
            Init::Scaled(s) => s,
        }
    }
}

/// A new `hidden`×`visible` model with W uniform in ±√(6/(H + D)) (Glorot; ×4 for sigmoid hiddens)
/// and zero biases, drawn from a Xoshiro256++ generator seeded with `seed`:
/// [`init_model_with`] with [`Init::GlorotSigmoidX4`].
///
/// # Errors
/// As [`init_model_with`].
pub fn init_model(
    hidden: usize,
    visible: usize,
    activation: ActivationKind,
    output: Output,
    seed: u64,
) -> Result<TiedAutoencoder> {
    init_model_with(hidden, visible, activation, output, Init::GlorotSigmoidX4, seed)
}

/// A new `hidden`×`visible` model with W uniform in ±s·√(6/(H + D)), s = `init.factor(activation)`,
/// and zero biases, drawn from a Xoshiro256++ generator seeded with `seed`.
///
/// # Errors
/// [`crate::Error::InvalidConfig`] (field `hidden`) for 0 hidden units, or when H·D overflows or
/// exceeds [`MAX_PARAMETERS`], checked before allocating; (field `init`) for a scale that is not
/// finite and > 0; [`potential_models::Error::Shape`] (wrapped) if `visible` is 0.
pub fn init_model_with(
    hidden: usize,
    visible: usize,
    activation: ActivationKind,
    output: Output,
    init: Init,
    seed: u64,
) -> Result<TiedAutoencoder> {
    crate::memory::check_shape(visible, hidden)?;
    let factor = init.factor(activation);
    if !(factor.is_finite() && factor > 0.0) {
        return Err(crate::Error::InvalidConfig {
            field: "init",
            value: factor.to_string(),
            reason: "the scale of the initial weights must be finite and > 0",
        });
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut scale = (6.0 / (hidden + visible).max(1) as f64).sqrt() as f32;
    // ×1 leaves the bound as it is, ×4 is what init_model always did: the streams of every
    // existing run stay bit for bit.
    scale *= factor;
    let weight: Vec<f32> =
        (0..hidden * visible).map(|_| (2.0 * unit(rng.next_u32()) - 1.0) * scale).collect();
    Ok(TiedAutoencoder::new(weight, vec![0.0; hidden], vec![0.0; visible], activation, output)?)
}
