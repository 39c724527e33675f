//! # potential-data
//!
//! Datasets for the potential workspace: memory-mapped NumPy `.npy`, MNIST IDX (raw or `.gz`),
//! Larochelle et al. (2007) `.amat` text (also inside `.zip`), the UCI digits CSV; splits, class
//! subsets, seeded minibatches; the embedded digits; fetching MNIST over HTTP with checksums.
//!
//! ## Overview
//! - [`open_features`] / [`open_labels`] / [`open_dataset`] detect the format ([`detect_format`])
//!   and return a [`Features`] matrix [n, d] of f32 (row-major), labels as class indices `u32`, or a
//!   [`Dataset`]. [`open_features_mapped`] maps an `<f4` `.npy` with no copy (an `unsafe fn`:
//!   the file must not change underneath).
//! - Readers per format: [`read_idx_images`], [`read_idx_labels`], [`read_npy_features`],
//!   [`map_npy_features`], [`read_npy_labels`], [`read_amat`] / [`for_each_amat_row`] (streaming),
//!   [`read_digits_csv`]. Writers: [`write_npy_f32`], [`write_npy_f64`], [`write_npy_labels`], [`NpyRowWriter`]
//!   (streaming, unknown row count), all atomic ([`AtomicFile`], [`write_atomic`]: temporary file,
//!   fsync, rename, directory fsync) with the payload 64-byte aligned; `write_png` (feature
//!   `images`).
//! - [`Dataset::split_tail`] (the benchmark convention: validation = last rows of the training
//!   file), [`Dataset::subset_classes`], [`Minibatches`] (seeded shuffle, reused buffer).
//! - [`embedded_digits`]: 1797 UCI digits compiled in (CC BY 4.0), the default data of the demo.
//! - `fetch_mnist` (feature `fetch`): download the four MNIST `.gz` files with resumable, verified, atomic
//!   transfers (plain `http://` only).
//! - [`datasets_dir`] / [`shared_data`]: locate the datasets folder (`$POTENTIAL_DATASETS`, or a
//!   `shared/datasets` directory above the working directory); tests skip (or fail with
//!   `POTENTIAL_REQUIRE_DATA=1`) when it is absent.
//!
//! [`Features::as_mat`] (or `MatRef::from(&features)`) views a matrix as the
//! [`MatRef`](potential_kernels::MatRef) every batched model method takes.
//!
//! ## Cargo features
//! | feature | default | what it adds |
//! |---|---|---|
//! | `zip` | yes | `.npz` archives (`read_npz_features`, `open_features("t.npz")`) and `.amat` inside `.zip` (the `zip` crate, deflate only); without it both are a [`DataError::Zip`] naming the feature |
//! | `fetch` | no | `fetch_mnist`: the MNIST download (plain HTTP, md5 and sha256 through `md-5` and `sha2`) |
//! | `generators` | no | `generate`: the eight Larochelle et al. (2007) benchmark sets |
//! | `images` | no | `generators` plus pictures: background folders of PNG/JPEG files (the `image` crate), `write_png` (the `png` crate) and PNG previews |
//!
//! Crates that need only [`Features`] and [`Dataset`] (as `potential-train` does) depend on this one
//! with `default-features = false`.
//!
//! Every failure is a [`DataError`] naming the file and, where it applies, line, row or shape.
//! Values are the inputs x of the paper (Kamyshanska & Memisevic 2015, Eq. 9 and on); nothing here
//! depends on the model.
//!
//! ## Example
//! ```
//! use potential_data::{embedded_digits, Features};
//!
//! let digits = embedded_digits();
//! assert_eq!((digits.n(), digits.d()), (1797, 64));
//! let (train, valid) = digits.split_tail(297)?;
//! let mut batches = train.minibatches(100, 42)?;
//! let first = batches.next_batch().expect("1500 rows");
//! assert_eq!(first.x.len(), 100 * 64);
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("valid.npy");
//! potential_data::write_npy_f32(&path, valid.features().as_slice(), &[valid.n(), valid.d()])?;
//! let back: Features = potential_data::open_features(&path)?;
//! assert_eq!(back.row(3), valid.features().row(3));
//! # Ok::<(), potential_data::DataError>(())
//! ```
#![doc(test(attr(deny(warnings))))]

mod amat;
mod atomic;
mod bounded;
mod csv;
mod dataset;
mod embedded;
mod error;
mod features;
#[cfg(feature = "fetch")]
mod fetch;
#[cfg(feature = "generators")]
pub mod generate;
#[cfg(feature = "fetch")]
mod http;
mod idx;
mod labels;
mod locate;
mod minibatch;
mod npy;
mod npy_write;
mod npz;
mod open;
#[cfg(feature = "images")]
mod picture;

pub use amat::{for_each_amat_row, parse_amat_line, read_amat, AmatReader, AmatSummary};
pub use atomic::{write_atomic, AtomicFile};
pub use bounded::{check_regular_file, MAX_DEFLATE_RATIO, MAX_LINE_BYTES};
pub use csv::{parse_digits_csv, read_digits_csv, DIGITS_MAX};
pub use dataset::{Dataset, Splits};
pub use embedded::{embedded_digits, DIGITS_SIDE, EMBEDDED_DIGITS_CSV_GZ};
pub use error::{DataError, Result};
pub use features::Features;
#[cfg(feature = "fetch")]
pub use fetch::{fetch_mnist, mnist_checksums, FetchEvent, FetchOptions, MnistFile, MNIST_FILES};
pub use idx::{
    parse_idx, parse_idx_header, read_idx, read_idx_images, read_idx_labels, IdxArray, IdxHeader, IdxType,
};
pub use labels::{
    companion_labels_path, label_beyond_classes, label_histogram, labels_path_for, MAX_CLASSES, MAX_LABEL,
};
pub use locate::{data_required, datasets_dir, shared_data, DATASETS_ENV, REQUIRE_DATA_ENV};
pub use minibatch::{Batch, Minibatches};
pub use npy::{
    map_npy_features, parse_npy_header, read_npy_features, read_npy_header, read_npy_labels, NpyDtype,
    NpyHeader, NpyKind, NPY_MAGIC,
};
pub use npy_write::{write_npy_f32, write_npy_f64, write_npy_labels, NpyRowWriter};
#[cfg(feature = "zip")]
pub use npz::{read_npz_features, read_npz_labels, read_npz_member};
pub use npz::{split_npz_path, NPZ_FEATURES, NPZ_LABELS};
pub use open::{
    detect_format, load_mnist, open_dataset, open_features, open_features_mapped, open_labels, Format,
};
#[cfg(feature = "images")]
pub use picture::{write_png, PngColor};

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctest;
