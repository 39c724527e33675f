//! One sample, one split: the recipes put together, in parallel and deterministically.

use rayon::prelude::*;

use super::background::{uniform_noise, BackgroundPool, Composite};
use super::convex::{draw_mask, sample_convex, sample_non_convex_matched};
use super::error::GenerateError;
use super::mnist::{DigitAssignment, MnistPool};
use super::rectangles::Rectangle;
use super::rng::{below, stream, unit, Stream};
use super::rotate::rotate_bilinear;
use super::set::{BenchmarkSet, Split, SplitSizes};
use super::PIXELS;

/// Where the digit and background sets take their material from.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sources<'a> {
    /// MNIST digits (needed by the five `mnist-*` sets).
    pub mnist: Option<&'a MnistPool>,
    /// Background images (needed by `mnist-back-image`, `mnist-rot-back-image`, `rectangles-image`).
    pub backgrounds: Option<&'a BackgroundPool>,
}

/// Generated samples of one split: `images` `[n, 784]` row-major in [0, 1], `labels` `[n]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Samples {
    /// `n × 784` pixel values.
    pub images: Vec<f32>,
    /// `n` class labels.
    pub labels: Vec<u8>,
}

impl Samples {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there is no sample.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Sample `i`'s pixels.
    ///
    /// # Panics
    /// If `i ≥ len()`.
    pub fn image(&self, i: usize) -> &[f32] {
        &self.images[i * PIXELS..(i + 1) * PIXELS]
    }
}

/// Generates the samples of one benchmark set for one seed.
///
/// Sample `index` of `split` depends only on (set, seed, split, index), the sources, the split sizes
/// (through the digit assignment) and the compositing rule — never on other samples or the thread
/// count. See the [module documentation](super) for every recipe.
#[derive(Clone, Debug)]
pub struct Generator<'a> {
    set: BenchmarkSet,
    seed: u64,
    composite: Composite,
    sizes: SplitSizes,
    mnist: Option<(&'a MnistPool, DigitAssignment)>,
    backgrounds: Option<&'a BackgroundPool>,
}

impl<'a> Generator<'a> {
    /// A generator with the set's original split sizes and [`Composite::Max`].
    ///
    /// # Errors
    /// [`GenerateError::MissingMnist`] / [`GenerateError::MissingBackgrounds`] if the set needs a
    /// source that is `None`; [`GenerateError::MnistTooSmall`] if the pool has fewer digits than the
    /// three splits together.
    pub fn new(set: BenchmarkSet, seed: u64, sources: Sources<'a>) -> Result<Self, GenerateError> {
        Self::with_sizes(set, seed, sources, set.sizes())
    }

    /// A generator with other split sizes (e.g. for a small pool in tests). The sizes fix which digits
    /// each split uses; to make *fewer* samples of the standard sets, keep the standard sizes and ask
    /// [`Generator::generate`] for a prefix.
    ///
    /// # Errors
    /// As [`Generator::new`].
    pub fn with_sizes(
        set: BenchmarkSet,
        seed: u64,
        sources: Sources<'a>,
        sizes: SplitSizes,
    ) -> Result<Self, GenerateError> {
        let mnist = if set.needs_mnist() {
            let pool = sources.mnist.ok_or(GenerateError::MissingMnist { set: set.name() })?;
            Some((pool, DigitAssignment::new(pool.len(), sizes, seed)?))
        } else {
            None
        };
        let backgrounds = if set.needs_backgrounds() {
            Some(sources.backgrounds.ok_or(GenerateError::MissingBackgrounds { set: set.name() })?)
        } else {
            None
        };
        Ok(Self { set, seed, composite: Composite::default(), sizes, mnist, backgrounds })
    }

    /// The same generator with another compositing rule for the digit-over-background sets.
    pub fn composite(mut self, composite: Composite) -> Self {
        self.composite = composite;
        self
    }

    /// The set.
    pub fn set(&self) -> BenchmarkSet {
        self.set
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The split sizes.
    pub fn sizes(&self) -> SplitSizes {
        self.sizes
    }

    /// Writes sample `index` of `split` into `out` (784 values) and returns its label.
    ///
    /// # Errors
    /// [`GenerateError::Invalid`] if `index` is not below the split's size;
    /// [`GenerateError::NoTexturedPatch`] if the background images are too flat.
    ///
    /// # Panics
    /// If `out` is not 784 long.
    pub fn sample(&self, split: Split, index: usize, out: &mut [f32]) -> Result<u8, GenerateError> {
        assert_eq!(out.len(), PIXELS, "Generator::sample: out must be 28×28");
        let size = self.sizes.get(split);
        if index >= size {
            return Err(GenerateError::Invalid {
                what: "sample index",
                reason: format!("{index} is past the {size} samples of {} {}", self.set, split.name()),
            });
        }
        let rng = |s| stream(self.seed, split.id(), index as u64, s);
        let digit = |out: &mut [f32]| -> u8 {
            let (pool, assignment) = self.mnist.as_ref().expect("checked in Generator::with_sizes");
            let k = assignment.digit(split, index);
            out.copy_from_slice(pool.image(k));
            pool.label(k)
        };
        let rotated_digit = |out: &mut [f32]| -> u8 {
            let mut upright = [0.0f32; PIXELS];
            let label = digit(&mut upright);
            let angle = std::f64::consts::TAU * unit(&mut rng(Stream::Angle));
            rotate_bilinear(&upright, angle, out);
            label
        };
        let backgrounds = || self.backgrounds.expect("checked in Generator::with_sizes");
        let over_patch = |out: &mut [f32], fg: &[f32]| -> Result<(), GenerateError> {
            backgrounds().sample_patch(&mut rng(Stream::Background), out)?;
            self.composite.apply(fg, out);
            Ok(())
        };
        let mut fg = [0.0f32; PIXELS];
        let label = match self.set {
            BenchmarkSet::MnistBasic => digit(out),
            BenchmarkSet::MnistRot => rotated_digit(out),
            BenchmarkSet::MnistBackRand => {
                let label = digit(&mut fg);
                uniform_noise(&mut rng(Stream::Background), out);
                self.composite.apply(&fg, out);
                label
            }
            BenchmarkSet::MnistBackImage => {
                let label = digit(&mut fg);
                over_patch(out, &fg)?;
                label
            }
            BenchmarkSet::MnistRotBackImage => {
                let label = rotated_digit(&mut fg);
                over_patch(out, &fg)?;
                label
            }
            BenchmarkSet::Rectangles => {
                let rect = Rectangle::sample(&mut rng(Stream::Shape));
                rect.draw_outline(out);
                rect.label()
            }
            BenchmarkSet::RectanglesImage => {
                let rect = Rectangle::sample(&mut rng(Stream::Shape));
                let mut bg_rng = rng(Stream::Background);
                let outside = backgrounds().sample_patch(&mut bg_rng, out)?;
                let inside = loop {
                    let at = backgrounds().sample_patch(&mut bg_rng, &mut fg)?;
                    if at != outside {
                        break at;
                    }
                };
                debug_assert_ne!(inside, outside);
                for (i, o) in out.iter_mut().enumerate() {
                    if rect.contains(i / super::SIDE, i % super::SIDE) {
                        *o = fg[i];
                    }
                }
                rect.label()
            }
            BenchmarkSet::Convex => {
                let mut shape_rng = rng(Stream::Shape);
                let label = below(&mut shape_rng, 2) as u8;
                let mask = if label == 1 {
                    sample_convex(&mut shape_rng)
                } else {
                    sample_non_convex_matched(&mut shape_rng)
                };
                draw_mask(&mask, out);
                label
            }
        };
        Ok(label)
    }

    /// Generates samples `0..count` of `split` in parallel (rayon, one task per sample), calling
    /// `progress(1)` after each sample.
    ///
    /// # Errors
    /// [`GenerateError::Invalid`] if `count` exceeds the split's size; the first error of
    /// [`Generator::sample`].
    pub fn generate(
        &self,
        split: Split,
        count: usize,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Samples, GenerateError> {
        let size = self.sizes.get(split);
        if count > size {
            return Err(GenerateError::Invalid {
                what: "sample count",
                reason: format!("{count} samples asked of {} {}, which has {size}", self.set, split.name()),
            });
        }
        let mut images = vec![0.0f32; count * PIXELS];
        let mut labels = vec![0u8; count];
        images.par_chunks_mut(PIXELS).zip(labels.par_iter_mut()).enumerate().try_for_each(
            |(i, (img, label))| {
                *label = self.sample(split, i, img)?;
                progress(1);
                Ok::<(), GenerateError>(())
            },
        )?;
        Ok(Samples { images, labels })
    }
}
