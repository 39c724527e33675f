//! Seeded initialisation of a tied autoencoder.

use crate::noise::unit;
use crate::Result;
use potential_activations::ActivationKind;
use potential_models::{Output, TiedAutoencoder};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Most weights (H·D) [`init_model`] allocates: 2²⁸ f32 entries, 1 GiB, about four times that with
/// the training state — far beyond any model of the paper (784 × 500 = 392 000), small enough to
/// fail with a clear error instead of exhausting memory.
pub const MAX_PARAMETERS: usize = 1 << 28;

/// A new `hidden`×`visible` model with W uniform in ±√(6/(H + D)) (Glorot; ×4 for sigmoid hiddens)
/// and zero biases, drawn from a Xoshiro256++ generator seeded with `seed`.
///
/// # Errors
/// [`potential_models::Error::Shape`] (wrapped) if `visible` is 0; [`crate::Error::InvalidConfig`]
/// (field `hidden`) when H·D overflows or exceeds [`MAX_PARAMETERS`], checked before allocating.
pub fn init_model(
    hidden: usize,
    visible: usize,
    activation: ActivationKind,
    output: Output,
    seed: u64,
) -> Result<TiedAutoencoder> {
    match hidden.checked_mul(visible) {
        Some(p) if p <= MAX_PARAMETERS => {}
        _ => {
            return Err(crate::Error::InvalidConfig {
                field: "hidden",
                value: format!("{hidden} (× {visible} inputs)"),
                reason: "the weight matrix would exceed 2^28 entries (1 GiB of f32, about 4 GiB to train)",
            })
        }
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut scale = (6.0 / (hidden + visible).max(1) as f64).sqrt() as f32;
    if activation == ActivationKind::Sigmoid {
        scale *= 4.0;
    }
    let weight: Vec<f32> =
        (0..hidden * visible).map(|_| (2.0 * unit(rng.next_u32()) - 1.0) * scale).collect();
    Ok(TiedAutoencoder::new(weight, vec![0.0; hidden], vec![0.0; visible], activation, output)?)
}
