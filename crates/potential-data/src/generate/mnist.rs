//! The MNIST pool the digit sets draw from, and which digit each sample uses.

use super::error::GenerateError;
use super::rng::{below, stream, Stream};
use super::set::{Split, SplitSizes};
use super::PIXELS;

/// MNIST digits in memory: images `[n, 784]` in [0, 1] (row-major 28×28) and labels 0..=9.
///
/// The standard pool is the 60000 training images followed by the 10000 test images
/// ([`MnistPool::load_dir`]), 70000 in all.
#[derive(Clone, Debug)]
pub struct MnistPool {
    images: Vec<f32>,
    labels: Vec<u8>,
}

impl MnistPool {
    /// A pool from images and labels already in memory.
    ///
    /// # Errors
    /// [`GenerateError::BadMnist`] if `images.len() != 784 · labels.len()`, a value is outside [0, 1]
    /// (NaN included) or a label is above 9.
    pub fn new(images: Vec<f32>, labels: Vec<u8>) -> Result<Self, GenerateError> {
        if images.len() != labels.len() * PIXELS {
            return Err(GenerateError::BadMnist {
                reason: format!(
                    "{} values are not {} images of 28×28 = 784 pixels",
                    images.len(),
                    labels.len()
                ),
            });
        }
        if let Some(i) = images.iter().position(|v| !(0.0..=1.0).contains(v)) {
            return Err(GenerateError::BadMnist {
                reason: format!("image {} pixel {} is {}, outside [0, 1]", i / PIXELS, i % PIXELS, images[i]),
            });
        }
        if let Some(i) = labels.iter().position(|&l| l > 9) {
            return Err(GenerateError::BadMnist { reason: format!("label {i} is {}, above 9", labels[i]) });
        }
        Ok(Self { images, labels })
    }

    /// The standard pool: the 60000 MNIST training digits (pool indices 0..60000) followed by the
    /// 10000 test digits (60000..70000), read from the four standard IDX files (raw or `.gz`) in `dir`
    /// with [`crate::load_mnist`].
    ///
    /// # Errors
    /// The IDX readers' errors ([`GenerateError::Data`]); [`GenerateError::BadMnist`] if the images are
    /// not 28×28.
    pub fn load_dir(dir: impl AsRef<std::path::Path>) -> Result<Self, GenerateError> {
        let (train, test) = crate::load_mnist(dir)?;
        if train.d() != PIXELS || test.d() != PIXELS {
            return Err(GenerateError::BadMnist {
                reason: format!("images have {} and {} pixels, not 784", train.d(), test.d()),
            });
        }
        let mut images = Vec::with_capacity((train.n() + test.n()) * PIXELS);
        images.extend_from_slice(train.features().as_slice());
        images.extend_from_slice(test.features().as_slice());
        let labels =
            train.labels().iter().chain(test.labels()).map(|&l| u8::try_from(l).unwrap_or(u8::MAX)).collect();
        Self::new(images, labels)
    }

    /// Number of digits.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Digit `i`'s 784 pixels.
    ///
    /// # Panics
    /// If `i ≥ len()`.
    pub fn image(&self, i: usize) -> &[f32] {
        &self.images[i * PIXELS..(i + 1) * PIXELS]
    }

    /// Digit `i`'s label.
    ///
    /// # Panics
    /// If `i ≥ len()`.
    pub fn label(&self, i: usize) -> u8 {
        self.labels[i]
    }
}

/// Which pool digit each sample of each split shows: one seeded permutation of the pool (Fisher–Yates
/// with [`below`] on the stream (seed, 0, 0, [`Stream::DigitPermutation`]): for i = n − 1 down to 1,
/// swap positions i and `below(i + 1)`), whose first `train` entries are the training digits, the
/// next `valid` the validation digits and the next `test` the test digits. The splits are therefore
/// disjoint, and every digit set uses the same digits in the same order for a given seed.
#[derive(Clone, Debug)]
pub struct DigitAssignment {
    order: Vec<u32>,
    sizes: SplitSizes,
}

impl DigitAssignment {
    /// The assignment of a pool of `pool_len` digits.
    ///
    /// # Errors
    /// [`GenerateError::MnistTooSmall`] if `pool_len < sizes.total()`.
    pub fn new(pool_len: usize, sizes: SplitSizes, seed: u64) -> Result<Self, GenerateError> {
        if pool_len < sizes.total() {
            return Err(GenerateError::MnistTooSmall { needed: sizes.total(), available: pool_len });
        }
        let mut order: Vec<u32> = (0..pool_len as u32).collect();
        let mut rng = stream(seed, 0, 0, Stream::DigitPermutation);
        for i in (1..pool_len).rev() {
            let j = below(&mut rng, i as u64 + 1) as usize;
            order.swap(i, j);
        }
        order.truncate(sizes.total());
        Ok(Self { order, sizes })
    }

    /// The pool index of sample `index` of `split`.
    ///
    /// # Panics
    /// If `index` is not below the split's size.
    pub fn digit(&self, split: Split, index: usize) -> usize {
        assert!(index < self.sizes.get(split), "DigitAssignment::digit: index {index} out of {split:?}");
        let offset = match split {
            Split::Train => 0,
            Split::Valid => self.sizes.train,
            Split::Test => self.sizes.train + self.sizes.valid,
        };
        self.order[offset + index] as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_are_disjoint_and_seeded() {
        let sizes = SplitSizes { train: 50, valid: 20, test: 25 };
        let a = DigitAssignment::new(100, sizes, 9).unwrap();
        let mut all: Vec<usize> = Split::ALL
            .into_iter()
            .flat_map(|s| (0..sizes.get(s)).map(move |i| (s, i)))
            .map(|(s, i)| a.digit(s, i))
            .collect();
        assert_eq!(all.len(), 95);
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 95, "no digit used twice");
        let b = DigitAssignment::new(100, sizes, 10).unwrap();
        assert_ne!(a.order, b.order);
        assert_eq!(a.order, DigitAssignment::new(100, sizes, 9).unwrap().order);
        assert!(matches!(
            DigitAssignment::new(94, sizes, 9),
            Err(GenerateError::MnistTooSmall { needed: 95, available: 94 })
        ));
    }

    #[test]
    fn pool_validation() {
        assert!(MnistPool::new(vec![0.0; 784], vec![3]).is_ok());
        assert!(matches!(MnistPool::new(vec![0.0; 783], vec![3]), Err(GenerateError::BadMnist { .. })));
        assert!(matches!(MnistPool::new(vec![f32::NAN; 784], vec![3]), Err(GenerateError::BadMnist { .. })));
        assert!(matches!(MnistPool::new(vec![0.0; 784], vec![10]), Err(GenerateError::BadMnist { .. })));
    }
}
