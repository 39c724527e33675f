//! # potential-train
//!
//! Training tied autoencoders the way the paper does (Sec. 4.2): squared-error and cross-entropy
//! losses, contractive (Eq. 40) and denoising regularisers, momentum SGD, atomic checkpoints.
//! Filled by the training issue; this crate currently only reserves its place in the workspace.
#![forbid(unsafe_code)]
