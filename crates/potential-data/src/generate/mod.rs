#![doc = include_str!("README.md")]

pub mod background;
pub mod convex;
pub mod error;
pub mod generator;
pub mod mnist;
pub mod rectangles;
pub mod rng;
pub mod rotate;
pub mod set;
pub mod write;

pub use background::{BackgroundPool, Composite, GreyImage, MIN_PATCH_VARIANCE};
pub use error::GenerateError;
pub use generator::{Generator, Samples, Sources};
pub use mnist::{DigitAssignment, MnistPool};
pub use set::{BenchmarkSet, Split, SplitSizes};
#[cfg(feature = "images")]
pub use write::write_grid_png;
pub use write::{write_amat, write_npy_split, write_set, OutputFormat, WrittenSet};

/// Side of every generated image.
pub const SIDE: usize = 28;
/// Pixels of every generated image (28 × 28).
pub const PIXELS: usize = SIDE * SIDE;
