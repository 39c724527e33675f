//! # potential-activations
//!
//! The [`Activation`] trait — h, h′, h″ and the antiderivative H = ∫h — and every hidden activation
//! of Kamyshanska & Memisevic (TPAMI 2015), Eq. 11–21: sigmoid, tanh, linear, square, relu, modulus
//! and synchrony, with a closed `ActivationKind` enum for files and configs.
#![forbid(unsafe_code)]
