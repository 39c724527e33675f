//! Seeded initialisation of a tied autoencoder.

use crate::noise::unit;
use crate::Result;
use potential_activations::ActivationKind;
use potential_models::{Output, TiedAutoencoder};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// A new `hidden`×`visible` model with W uniform in ±√(6/(H + D)) (Glorot; ×4 for sigmoid hiddens)
/// and zero biases, drawn from a Xoshiro256++ generator seeded with `seed`.
///
/// # Errors
/// [`potential_models::Error::Shape`] (wrapped) if `visible` is 0.
pub fn init_model(
    hidden: usize,
    visible: usize,
    activation: ActivationKind,
    output: Output,
    seed: u64,
) -> Result<TiedAutoencoder> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut scale = (6.0 / (hidden + visible).max(1) as f64).sqrt() as f32;
    if activation == ActivationKind::Sigmoid {
        scale *= 4.0;
    }
    let weight: Vec<f32> =
        (0..hidden * visible).map(|_| (2.0 * unit(rng.next_u32()) - 1.0) * scale).collect();
    Ok(TiedAutoencoder::new(weight, vec![0.0; hidden], vec![0.0; visible], activation, output)?)
}
