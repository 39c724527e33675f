//! # potential-activations
//!
//! The hidden-unit nonlinearities of Kamyshanska & Memisevic, "The Potential Energy of an
//! Autoencoder" (TPAMI 2015), with everything the energy calculus needs.
//!
//! ## Overview
//! - [`Activation`]: h, h′, h″ and the antiderivative H = ∫h, as scalar specifications, plus batched
//!   slice forms ([`Activation::bias_act`], [`Activation::antiderivative_sum`], …) that run the fused
//!   kernels of `potential-kernels`.
//! - Seven zero-sized activations: [`Sigmoid`], [`Tanh`], [`Linear`], [`Square`], [`Relu`],
//!   [`Modulus`], [`Synchrony`].
//! - [`ActivationKind`]: the closed enum used by model files and configs (`FromStr`/`Display` with
//!   the file names), which also implements [`Activation`] by dispatch.
//!
//! ## Antiderivatives and their constants
//! The energy of a tied autoencoder is `E(x) = Σₖ H(uₖ) − ½‖x − b_r‖²` (Eq. 11), so the constant of
//! H is part of every reported energy. This crate uses exactly the H column of the paper's table:
//!
//! | activation | h(u) | H(u) | H(0) | paper |
//! |---|---|---|---|---|
//! | sigmoid | σ(u) | softplus(u) = max(u,0) + log1p(e^{−\|u\|}) | log 2 | Eq. 12 |
//! | tanh | tanh(u) | log cosh(u) = \|u\| + log1p(e^{−2\|u\|}) − log 2 | 0 | Eq. 14–15 |
//! | linear | u | u²/2 | 0 | Eq. 16 |
//! | square | u² | u³/3 | 0 | Eq. 18 |
//! | relu | max(u,0) | max(u,0)²/2 | 0 | Eq. 19 |
//! | modulus | \|u\| | u·\|u\|/2 | 0 | Eq. 20 |
//! | synchrony | u·σ(u²) | softplus(u²)/2 | log 2 / 2 | Eq. 21 (which is 2× this, no biases) |
//!
//! ## Example
//! ```
//! use potential_activations::{Activation, ActivationKind, Sigmoid};
//!
//! // H′ = h: the antiderivative's slope is the activation.
//! let (u, eps) = (0.3f32, 1e-3f32);
//! let slope = (Sigmoid.antiderivative(u + eps) - Sigmoid.antiderivative(u - eps)) / (2.0 * eps);
//! assert!((slope - Sigmoid.h(u)).abs() < 1e-3);
//!
//! // The closed enum parses model-file names and dispatches.
//! let k: ActivationKind = "tanh".parse().unwrap();
//! assert_eq!(k.to_string(), "tanh");
//! assert_eq!(k.h(0.5), 0.5f32.tanh());
//! assert!("softmax".parse::<ActivationKind>().is_err());
//! ```
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

mod activation;
mod functions;
mod kind;

pub use activation::Activation;
pub use functions::{Linear, Modulus, Relu, Sigmoid, Square, Synchrony, Tanh};
pub use kind::{ActivationKind, ParseActivationError};
