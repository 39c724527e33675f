//! Per-sample random streams and the few distributions the recipes use, written out so that the
//! recipe can be re-implemented bit for bit elsewhere (e.g. in NumPy).
//!
//! Every random draw of a generated sample comes from one *stream*: a [`Xoshiro256PlusPlus`] seeded
//! (through `seed_from_u64`, i.e. SplitMix64 state expansion) with [`stream_key`]`(seed, split,
//! index, stream)`. A sample therefore never depends on any other sample, on the order in which
//! samples are produced, or on the number of threads.

use rand_xoshiro::rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator behind every stream.
pub type SampleRng = Xoshiro256PlusPlus;

/// Which factor of variation a stream drives. Distinct factors use distinct streams, so that e.g.
/// sample *i* of `mnist-rot-back-image` has the angle of sample *i* of `mnist-rot` and the background of
/// sample *i* of `mnist-back-image` (for the same seed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Stream {
    /// The permutation of the MNIST pool (one stream per seed; split and index are 0).
    DigitPermutation = 1,
    /// The rotation angle.
    Angle = 2,
    /// Background pixels or background patches.
    Background = 3,
    /// Shapes: rectangles and convex/non-convex regions, with their labels.
    Shape = 4,
}

/// SplitMix64's output function applied to `z + 0x9E3779B97F4A7C15` (one SplitMix64 step).
#[inline]
pub fn splitmix64(z: u64) -> u64 {
    let mut z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The 64-bit key of a stream: `k = splitmix64(seed)`, then `k = splitmix64(k ^ v)` for
/// `v` = split id (train 0, valid 1, test 2), sample index, stream id in turn.
pub fn stream_key(seed: u64, split: u64, index: u64, stream: Stream) -> u64 {
    let mut k = splitmix64(seed);
    k = splitmix64(k ^ split);
    k = splitmix64(k ^ index);
    splitmix64(k ^ stream as u64)
}

/// The random stream of one sample and factor.
pub fn stream(seed: u64, split: u64, index: u64, stream: Stream) -> SampleRng {
    SampleRng::seed_from_u64(stream_key(seed, split, index, stream))
}

/// Uniform in [0, 1): the top 53 bits of one `next_u64`, times 2⁻⁵³.
#[inline]
pub fn unit(rng: &mut SampleRng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Uniform integer in `0..n` without bias: draw `x = next_u64` until `x ≥ (2⁶⁴ − n) mod n`, return
/// `x mod n` (the OpenBSD `arc4random_uniform` rule).
///
/// # Panics
/// If `n == 0`.
#[inline]
pub fn below(rng: &mut SampleRng, n: u64) -> u64 {
    assert!(n > 0, "below: empty range");
    let min = n.wrapping_neg() % n;
    loop {
        let x = rng.next_u64();
        if x >= min {
            return x % n;
        }
    }
}

/// Geometric number of Bernoulli(p) trials up to and including the first success (support 1, 2, …,
/// mean 1/p), by inversion: `1 + ⌊ln(1 − u) / ln(1 − p)⌋` with `u = unit()`.
///
/// # Panics
/// If `p` is not in (0, 1).
pub fn geometric_trials(rng: &mut SampleRng, p: f64) -> u32 {
    assert!(p > 0.0 && p < 1.0, "geometric_trials: p = {p} not in (0, 1)");
    let u = unit(rng);
    let k = ((1.0 - u).ln() / (1.0 - p).ln()).floor();
    1 + k.min(u32::MAX as f64 - 1.0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_is_in_range_and_hits_every_value() {
        let mut rng = stream(7, 0, 0, Stream::Shape);
        let mut seen = [0u32; 5];
        for _ in 0..5000 {
            seen[below(&mut rng, 5) as usize] += 1;
        }
        // Each count is Binomial(5000, 0.2): mean 1000, sd 28.
        assert!(seen.iter().all(|&c| (850..1150).contains(&c)), "{seen:?}");
    }

    #[test]
    fn geometric_mean_matches_one_over_p() {
        let mut rng = stream(7, 0, 0, Stream::Shape);
        let n = 20000;
        let mean = (0..n).map(|_| geometric_trials(&mut rng, 0.195) as f64).sum::<f64>() / n as f64;
        // mean 1/p = 5.128, sd sqrt(1-p)/p = 4.60, standard error 0.033.
        assert!((mean - 1.0 / 0.195).abs() < 0.15, "mean {mean}");
        assert_eq!((0..1000).map(|_| geometric_trials(&mut rng, 0.5)).min(), Some(1), "support starts at 1");
    }

    #[test]
    fn keys_differ_per_component() {
        let base = stream_key(1, 0, 0, Stream::Angle);
        assert_ne!(base, stream_key(2, 0, 0, Stream::Angle));
        assert_ne!(base, stream_key(1, 1, 0, Stream::Angle));
        assert_ne!(base, stream_key(1, 0, 1, Stream::Angle));
        assert_ne!(base, stream_key(1, 0, 0, Stream::Background));
        assert_eq!(base, stream_key(1, 0, 0, Stream::Angle));
    }
}
