//! # potential-models
//!
//! Tied autoencoders as energy models (Kamyshanska & Memisevic, TPAMI 2015): the energy E with
//! ∇ₓE = r(x) − x (Eq. 9), its Hessian, Laplacian (Eq. 38), contraction (Eq. 40), the absorbing test
//! (Eq. 39) and reconstruction dynamics; untied, k-means and PCA autoencoders; safetensors files.
#![forbid(unsafe_code)]
