//! # potential-csae
//!
//! The class-specific autoencoder classifier (CSAE, Eq. 45 of Kamyshanska & Memisevic, TPAMI 2015):
//! one autoencoder per class, P(y = i | x) ∝ exp(Eᵢ(x) + Cᵢ), and its variants (Sec. 4, Table 4).
//! Filled by the CSAE issue; this crate currently only reserves its place in the workspace.
#![forbid(unsafe_code)]
