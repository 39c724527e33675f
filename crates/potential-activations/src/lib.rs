//! # potential-activations
//!
//! The hidden-unit nonlinearities of Kamyshanska & Memisevic, "The Potential Energy of an
//! Autoencoder" (TPAMI 2015), with everything the energy calculus needs.
//!
//! ## Overview
//! - [`ActivationKind`]: the closed set of hidden activations — the paper's seven (sigmoid, tanh,
//!   linear, square, relu, modulus, synchrony; Eq. 11–21) and any added since, listed in its docs —
//!   as named in model files and configs (`FromStr`/`Display`, [`ParseActivationError`]).
//! - The scalar specification of each: [`ActivationKind::h`], [`ActivationKind::h_prime`],
//!   [`ActivationKind::h_second`] (and [`ActivationKind::h_second_factors`] for callers holding h
//!   and h′), and the antiderivative [`ActivationKind::antiderivative`] H = ∫h, whose constants are
//!   tabulated in the [`ActivationKind`] docs (the energy `E(x) = Σₖ H(uₖ) − ½‖x − b_r‖²` of
//!   Eq. 11 keeps them).
//! - The batched forms are the fused SIMD kernels of `potential-kernels`:
//!   [`bias_act`](potential_kernels::bias_act) (u ← u + b, h, h′ in one sweep),
//!   [`antiderivative_sum`](potential_kernels::antiderivative_sum) (Σₖ H(uₖ)) and
//!   [`antiderivative_sum_bias`](potential_kernels::antiderivative_sum_bias) (Σₖ H(uₖ + bₖ)); they
//!   agree with the scalar specification to a few ulps (bounds in the [`ActivationKind`] docs).
//!
//! `ActivationKind` is defined in `potential-kernels`, next to the SIMD bodies it selects, so each
//! activation is written in one place; this crate is its documented home for the crates above the
//! kernels.
//!
//! ## Example
//! ```
//! use potential_activations::ActivationKind;
//! use potential_kernels::antiderivative_sum;
//!
//! // H′ = h: the antiderivative's slope is the activation.
//! let k = ActivationKind::Sigmoid;
//! let (u, eps) = (0.3f32, 1e-3f32);
//! let slope = (k.antiderivative(u + eps) - k.antiderivative(u - eps)) / (2.0 * eps);
//! assert!((slope - k.h(u)).abs() < 1e-3);
//!
//! // The closed enum parses model-file names.
//! let k: ActivationKind = "tanh".parse()?;
//! assert_eq!(k.to_string(), "tanh");
//! assert_eq!(k.h_prime(0.0), 1.0); // tanh′ = sech²
//! assert!("softmax".parse::<ActivationKind>().is_err());
//!
//! // The batched sum of H agrees with the scalar specification.
//! let u = [-1.0f32, 0.0, 2.0];
//! let s: f64 = u.iter().map(|&v| k.antiderivative(v) as f64).sum();
//! assert!((antiderivative_sum(&u, k) - s).abs() < 1e-5);
//! # Ok::<(), potential_activations::ParseActivationError>(())
//! ```
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

pub use potential_kernels::{ActivationKind, ParseActivationError};

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctest;
