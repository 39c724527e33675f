//! Shared helpers of the integration tests: seeded proptest runners and random small models.
#![allow(dead_code)]

use potential_activations::ActivationKind;
use potential_models::{Output, TiedAutoencoder};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// A proptest runner with a fixed seed (derived from `name`) and `cases` cases.
pub fn runner(name: &str, cases: u32) -> TestRunner {
    let mut seed = [7u8; 32];
    for (i, b) in name.bytes().enumerate() {
        seed[i % 32] ^= b.wrapping_mul(31).wrapping_add(i as u8);
    }
    TestRunner::new_with_rng(
        Config { cases, failure_persistence: None, ..Config::default() },
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
    )
}

/// A random small model and input: D, H ∈ 1..=33, weights bounded by 1.2/√D (so |u| stays O(1)),
/// biases in [−0.5, 0.5]; x in [−2, 2] (real) or [lo, 1 − lo] (binary).
#[derive(Clone, Debug)]
pub struct Case {
    /// The model.
    pub model: TiedAutoencoder,
    /// One input of length D.
    pub x: Vec<f32>,
}

/// Strategy of [`Case`]s over the given activations and output kinds.
pub fn case(
    kinds: &'static [ActivationKind],
    outputs: &'static [Output],
    binary_lo: f32,
) -> impl Strategy<Value = Case> {
    (1usize..=33, 1usize..=33, 0..kinds.len(), 0..outputs.len()).prop_flat_map(move |(d, h, a, o)| {
        let s = 1.2 / (d as f32).sqrt();
        let output = outputs[o];
        let x = if output == Output::Binary {
            proptest::collection::vec(binary_lo..(1.0 - binary_lo), d).boxed()
        } else {
            proptest::collection::vec(-2.0f32..2.0, d).boxed()
        };
        (
            proptest::collection::vec(-s..s, h * d),
            proptest::collection::vec(-0.5f32..0.5, h),
            proptest::collection::vec(-0.5f32..0.5, d),
            x,
        )
            .prop_map(move |(w, bh, br, x)| Case {
                model: TiedAutoencoder::new(w, bh, br, kinds[a], output).unwrap(),
                x,
            })
    })
}

/// Every activation.
pub const ALL_KINDS: &[ActivationKind] = &ActivationKind::ALL;
/// Both output kinds.
pub const BOTH: &[Output] = &[Output::Real, Output::Binary];
/// Real output only.
pub const REAL: &[Output] = &[Output::Real];

/// u = Wx + b_h in f64.
pub fn net_input(m: &TiedAutoencoder, x: &[f32]) -> Vec<f64> {
    let d = m.visible();
    (0..m.hidden())
        .map(|k| {
            m.hidden_bias()[k] as f64
                + (0..d).map(|j| m.weight()[k * d + j] as f64 * x[j] as f64).sum::<f64>()
        })
        .collect()
}
