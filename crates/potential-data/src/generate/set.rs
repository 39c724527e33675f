//! The eight sets of the benchmark, their splits and sizes.

use std::fmt;
use std::str::FromStr;

use super::error::GenerateError;

/// One of the eight sets of Larochelle et al. (2007).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BenchmarkSet {
    /// MNIST digits as they are.
    MnistBasic,
    /// Digits rotated by an angle uniform in [0, 2π).
    MnistRot,
    /// Digits over uniform noise.
    MnistBackRand,
    /// Digits over a natural-image patch.
    MnistBackImage,
    /// Rotated digits over a natural-image patch.
    MnistRotBackImage,
    /// Rectangle outlines: taller than wide or not.
    Rectangles,
    /// Rectangles filled with one image patch over another.
    RectanglesImage,
    /// Convex or non-convex white regions.
    Convex,
}

/// Train, validation and test split.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Split {
    /// Training rows.
    Train,
    /// Validation rows (in the original `.amat` files, the last rows of the train file).
    Valid,
    /// Test rows.
    Test,
}

impl Split {
    /// The three splits in file order.
    pub const ALL: [Split; 3] = [Split::Train, Split::Valid, Split::Test];

    /// `train`, `valid` or `test` (the file-name prefix).
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Valid => "valid",
            Split::Test => "test",
        }
    }

    /// The split's number in stream keys: train 0, valid 1, test 2.
    pub fn id(self) -> u64 {
        match self {
            Split::Train => 0,
            Split::Valid => 1,
            Split::Test => 2,
        }
    }
}

/// Number of samples in each split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SplitSizes {
    /// Training samples.
    pub train: usize,
    /// Validation samples.
    pub valid: usize,
    /// Test samples.
    pub test: usize,
}

impl SplitSizes {
    /// The size of one split.
    pub fn get(&self, split: Split) -> usize {
        match split {
            Split::Train => self.train,
            Split::Valid => self.valid,
            Split::Test => self.test,
        }
    }

    /// train + valid + test.
    pub fn total(&self) -> usize {
        self.train + self.valid + self.test
    }

    /// Each split cut to at most `limit` samples.
    pub fn limited(&self, limit: usize) -> SplitSizes {
        SplitSizes { train: self.train.min(limit), valid: self.valid.min(limit), test: self.test.min(limit) }
    }
}

impl BenchmarkSet {
    /// All eight, in the order of the original paper's table.
    pub const ALL: [BenchmarkSet; 8] = [
        BenchmarkSet::MnistBasic,
        BenchmarkSet::MnistRot,
        BenchmarkSet::MnistBackRand,
        BenchmarkSet::MnistBackImage,
        BenchmarkSet::MnistRotBackImage,
        BenchmarkSet::Rectangles,
        BenchmarkSet::RectanglesImage,
        BenchmarkSet::Convex,
    ];

    /// The set's name: `mnist-basic`, `mnist-rot`, `mnist-back-rand`, `mnist-back-image`,
    /// `mnist-rot-back-image`, `rectangles`, `rectangles-image`, `convex`.
    pub fn name(self) -> &'static str {
        match self {
            BenchmarkSet::MnistBasic => "mnist-basic",
            BenchmarkSet::MnistRot => "mnist-rot",
            BenchmarkSet::MnistBackRand => "mnist-back-rand",
            BenchmarkSet::MnistBackImage => "mnist-back-image",
            BenchmarkSet::MnistRotBackImage => "mnist-rot-back-image",
            BenchmarkSet::Rectangles => "rectangles",
            BenchmarkSet::RectanglesImage => "rectangles-image",
            BenchmarkSet::Convex => "convex",
        }
    }

    /// The original split sizes: 10000/2000/50000 for the MNIST sets and `rectangles-image`,
    /// 1000/200/50000 for `rectangles`, 6000/2000/50000 for `convex`.
    pub fn sizes(self) -> SplitSizes {
        let (train, valid) = match self {
            BenchmarkSet::Rectangles => (1000, 200),
            BenchmarkSet::Convex => (6000, 2000),
            _ => (10000, 2000),
        };
        SplitSizes { train, valid, test: 50000 }
    }

    /// Whether the set is built from MNIST digits.
    pub fn needs_mnist(self) -> bool {
        matches!(
            self,
            BenchmarkSet::MnistBasic
                | BenchmarkSet::MnistRot
                | BenchmarkSet::MnistBackRand
                | BenchmarkSet::MnistBackImage
                | BenchmarkSet::MnistRotBackImage
        )
    }

    /// Whether the set cuts patches from background images.
    pub fn needs_backgrounds(self) -> bool {
        matches!(
            self,
            BenchmarkSet::MnistBackImage | BenchmarkSet::MnistRotBackImage | BenchmarkSet::RectanglesImage
        )
    }

    /// Number of classes: 10 for the digit sets, 2 otherwise.
    pub fn classes(self) -> usize {
        if self.needs_mnist() {
            10
        } else {
            2
        }
    }
}

impl fmt::Display for BenchmarkSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for BenchmarkSet {
    type Err = GenerateError;

    /// Parses a set name; `_` is accepted for `-` (`mnist_rot`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace('_', "-");
        BenchmarkSet::ALL.into_iter().find(|b| b.name() == norm).ok_or_else(|| GenerateError::UnknownSet {
            name: s.to_string(),
            expected: BenchmarkSet::ALL.map(|b| b.name()).join(", "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for set in BenchmarkSet::ALL {
            assert_eq!(set.name().parse::<BenchmarkSet>().unwrap(), set);
        }
        assert_eq!("MNIST_ROT".parse::<BenchmarkSet>().unwrap(), BenchmarkSet::MnistRot);
        assert!(matches!("mnist-shear".parse::<BenchmarkSet>(), Err(GenerateError::UnknownSet { .. })));
    }

    #[test]
    fn original_sizes() {
        assert_eq!(BenchmarkSet::Rectangles.sizes().total(), 51200);
        assert_eq!(BenchmarkSet::Convex.sizes().total(), 58000);
        assert_eq!(BenchmarkSet::MnistRotBackImage.sizes().total(), 62000);
        assert_eq!(BenchmarkSet::RectanglesImage.sizes().total(), 62000);
        assert_eq!(BenchmarkSet::MnistBasic.sizes().limited(100).total(), 300);
    }
}
