//! Seeded input corruption and the random numbers of a run.

use crate::Noise;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Uniform in [0, 1) from the top 24 bits of a 32-bit draw.
#[inline]
pub(crate) fn unit(bits: u32) -> f32 {
    (bits >> 8) as f32 * (1.0 / (1u32 << 24) as f32)
}

/// `out = corrupt(x)` with fresh draws from `rng` (sequential, so a seed fixes the result on any
/// number of threads). Without noise, a copy.
///
/// # Panics
/// If the slices differ in length.
pub fn corrupt(noise: Option<Noise>, x: &[f32], out: &mut [f32], rng: &mut Xoshiro256PlusPlus) {
    assert_eq!(x.len(), out.len(), "corrupt: {} inputs, {} outputs", x.len(), out.len());
    match noise {
        None => out.copy_from_slice(x),
        Some(Noise::Mask(p)) => {
            for (o, &v) in out.iter_mut().zip(x) {
                *o = if unit(rng.next_u32()) < p { 0.0 } else { v };
            }
        }
        Some(Noise::SaltPepper(p)) => {
            for (o, &v) in out.iter_mut().zip(x) {
                let r = rng.next_u32();
                *o = if unit(r) < p { (r & 1) as f32 } else { v };
            }
        }
        Some(Noise::Gaussian(s)) => {
            for (o, &v) in out.iter_mut().zip(x) {
                let z: f32 = StandardNormal.sample(rng);
                *o = v + s * z;
            }
        }
    }
}

/// Fisher–Yates shuffle of `0..order.len()` (reset to the identity first, so the permutation depends
/// only on the generator's state).
pub(crate) fn shuffled_identity(order: &mut [usize], rng: &mut Xoshiro256PlusPlus) {
    for (i, o) in order.iter_mut().enumerate() {
        *o = i;
    }
    for i in (1..order.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
}

/// The generator of a run's shuffling and corruption for `seed` (independent of the one used for
/// initialisation).
pub(crate) fn run_rng(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x9e37_79b9_7f4a_7c15)
}
