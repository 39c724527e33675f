//! Seeded, shuffled minibatches gathered into a reused buffer.

use crate::error::{DataError, Result};
use crate::features::Features;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// One minibatch: `rows` rows of `d` features (row-major), their labels and their indices in the
/// dataset. Borrowed from the iterator's buffers, valid until the next call.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    /// Row-major [rows, d] features.
    pub x: &'a [f32],
    /// Labels of the rows (empty when the iterator has no labels).
    pub labels: &'a [u32],
    /// Row indices in the underlying dataset.
    pub indices: &'a [usize],
    /// Number of rows (the last batch of an epoch may be short).
    pub rows: usize,
    /// Features per row.
    pub d: usize,
}

/// A lending iterator over shuffled minibatches.
///
/// Each epoch visits every row exactly once in an order drawn from a Xoshiro256++ generator seeded
/// with `seed` (so a seed fixes the whole sequence of epochs, independent of the `rand` version's
/// `StdRng`). Rows are copied into one buffer allocated at construction: [`Minibatches::next_batch`]
/// never allocates.
///
/// ```
/// # use potential_data::{Features, Minibatches};
/// let f = Features::from_vec((0..20).map(|v| v as f32).collect(), 10, 2)?;
/// let mut mb = Minibatches::new(&f, None, 4, 7)?;
/// let mut seen = 0;
/// while let Some(b) = mb.next_batch() {
///     seen += b.rows;
/// }
/// assert_eq!(seen, 10);
/// mb.next_epoch(); // reshuffle and start again
/// # Ok::<(), potential_data::DataError>(())
/// ```
#[derive(Debug)]
pub struct Minibatches<'a> {
    features: &'a Features,
    labels: Option<&'a [u32]>,
    batch_size: usize,
    order: Vec<usize>,
    pos: usize,
    epoch: usize,
    rng: Xoshiro256PlusPlus,
    x: Vec<f32>,
    y: Vec<u32>,
}

impl<'a> Minibatches<'a> {
    /// Batches of `batch_size` rows of `features` (and `labels`, if given), order seeded by `seed`.
    /// The first epoch is shuffled already.
    ///
    /// # Errors
    /// [`DataError::Invalid`] when `batch_size == 0` or the label count differs from the row count.
    pub fn new(
        features: &'a Features,
        labels: Option<&'a [u32]>,
        batch_size: usize,
        seed: u64,
    ) -> Result<Self> {
        if batch_size == 0 {
            return Err(DataError::Invalid { what: "batch size", reason: "must be at least 1".into() });
        }
        if let Some(l) = labels {
            if l.len() != features.n() {
                return Err(DataError::Invalid {
                    what: "labels",
                    reason: format!("{} labels for {} rows", l.len(), features.n()),
                });
            }
        }
        let cap = batch_size.min(features.n());
        let mut s = Self {
            features,
            labels,
            batch_size,
            order: (0..features.n()).collect(),
            pos: 0,
            epoch: 0,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            x: Vec::with_capacity(cap * features.d()),
            y: Vec::with_capacity(if labels.is_some() { cap } else { 0 }),
        };
        s.order.shuffle(&mut s.rng);
        Ok(s)
    }

    /// The current epoch (0-based).
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// Batches per epoch (the last one may be short).
    pub fn batches_per_epoch(&self) -> usize {
        self.order.len().div_ceil(self.batch_size)
    }

    /// Reshuffle and start the next epoch.
    pub fn next_epoch(&mut self) {
        self.order.shuffle(&mut self.rng);
        self.pos = 0;
        self.epoch += 1;
    }

    /// The next batch of this epoch, or `None` when the epoch is over (call
    /// [`Minibatches::next_epoch`] to continue).
    pub fn next_batch(&mut self) -> Option<Batch<'_>> {
        if self.pos >= self.order.len() {
            return None;
        }
        let end = (self.pos + self.batch_size).min(self.order.len());
        let idx = &self.order[self.pos..end];
        self.pos = end;
        self.x.clear();
        self.y.clear();
        for &i in idx {
            self.x.extend_from_slice(self.features.row(i));
        }
        if let Some(l) = self.labels {
            self.y.extend(idx.iter().map(|&i| l[i]));
        }
        Some(Batch { x: &self.x, labels: &self.y, indices: idx, rows: idx.len(), d: self.features.d() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feats(n: usize) -> Features {
        Features::from_vec((0..n * 3).map(|v| v as f32).collect(), n, 3).unwrap()
    }

    #[test]
    fn epochs_cover_every_row_once_and_gather_matches() {
        let f = feats(23);
        let labels: Vec<u32> = (0..23).map(|i| i % 4).collect();
        let mut mb = Minibatches::new(&f, Some(&labels), 5, 1).unwrap();
        assert_eq!(mb.batches_per_epoch(), 5);
        for _ in 0..3 {
            let mut seen = [0; 23];
            let x_ptr = mb.x.as_ptr();
            while let Some(b) = mb.next_batch() {
                assert_eq!(b.x.len(), b.rows * 3);
                for (k, &i) in b.indices.iter().enumerate() {
                    seen[i] += 1;
                    assert_eq!(&b.x[k * 3..k * 3 + 3], f.row(i));
                    assert_eq!(b.labels[k], labels[i]);
                }
            }
            assert!(seen.iter().all(|&s| s == 1));
            assert_eq!(mb.x.as_ptr(), x_ptr, "the buffer is reused, never reallocated");
            mb.next_epoch();
        }
    }

    #[test]
    fn seeded_and_shuffled() {
        let f = feats(50);
        let order = |seed| {
            let mut mb = Minibatches::new(&f, None, 50, seed).unwrap();
            mb.next_batch().unwrap().indices.to_vec()
        };
        assert_eq!(order(3), order(3));
        assert_ne!(order(3), order(4));
        assert_ne!(order(3), (0..50).collect::<Vec<_>>());
        assert!(Minibatches::new(&f, None, 0, 0).is_err());
        assert!(Minibatches::new(&f, Some(&[1, 2]), 2, 0).is_err());
    }
}
