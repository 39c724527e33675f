//! Training data: the checks every entry point makes, seeded shuffled minibatches, and the
//! buffer a minibatch's rows are gathered into.

use crate::{Error, Result};
use potential_data::Dataset;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// `data` fits a classifier of `d` inputs and `k` classes: width, at least one row, at least two
/// classes, labels below `k`, finite values.
///
/// # Errors
/// [`Error::Data`] naming `what` and the first problem (the row of a non-finite value).
pub(crate) fn check_data(what: &'static str, data: &Dataset, d: usize, k: usize) -> Result<()> {
    if data.d() != d {
        return Err(Error::Data {
            what,
            reason: format!("{} columns, the classifier has {d} inputs", data.d()),
        });
    }
    if data.n() == 0 {
        return Err(Error::Data { what, reason: "no rows".into() });
    }
    if k < 2 {
        return Err(Error::Data {
            what,
            reason: format!("{k} class: a classifier needs at least two classes (labels 0 and 1 at least)"),
        });
    }
    crate::model::check_labels(what, data.labels(), data.n(), k)?;
    if let Some(i) = data.features().as_slice().iter().position(|v| !v.is_finite()) {
        return Err(Error::Data { what, reason: format!("non-finite value at row {}", i / d) });
    }
    Ok(())
}

/// `data` fits a classifier of `d` inputs whose classes are `names`: [`check_data`], and its classes
/// are the classifier's by name (`crate::model::check_class_names`), so a class added as "nine" is
/// never refitted against data that calls it "9".
///
/// # Errors
/// [`Error::Data`] naming `what` and the first problem.
pub(crate) fn check_named_data(what: &'static str, data: &Dataset, d: usize, names: &[String]) -> Result<()> {
    check_data(what, data, d, names.len())?;
    crate::model::check_class_names(what, names, data.class_names())
}

/// The training rows and the optional validation rows of a classifier of `d` inputs and classes
/// `names` ([`check_named_data`]).
///
/// # Errors
/// [`Error::Data`] naming the training or the validation data.
pub(crate) fn check_fit_data(
    names: &[String],
    d: usize,
    train: &Dataset,
    valid: Option<&Dataset>,
) -> Result<()> {
    check_named_data("training data", train, d, names)?;
    match valid {
        Some(v) => check_named_data("validation data", v, d, names),
        None => Ok(()),
    }
}

/// The rows 0..n visited in minibatches of `batch` rows, in a new seeded order every epoch
/// (Fisher–Yates on a Xoshiro256++ stream, which the steps may draw from too: input masking,
/// corruption).
pub(crate) struct Minibatches {
    order: Vec<usize>,
    batch: usize,
    rng: Xoshiro256PlusPlus,
}

impl Minibatches {
    /// Minibatches of min(`batch_size`, n) rows over n rows, the stream seeded with `seed`.
    pub(crate) fn new(n: usize, batch_size: usize, seed: u64) -> Self {
        Self {
            order: (0..n).collect(),
            batch: batch_size.min(n),
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
        }
    }

    /// Rows per minibatch (the last one may hold fewer).
    pub(crate) fn batch(&self) -> usize {
        self.batch
    }

    /// Minibatches per epoch.
    pub(crate) fn steps(&self) -> usize {
        self.order.len().div_ceil(self.batch)
    }

    /// One epoch: shuffle the rows, then `f(step, rows, stream)` for every minibatch in order.
    ///
    /// # Errors
    /// The first error of `f`.
    pub(crate) fn epoch(
        &mut self,
        mut f: impl FnMut(usize, &[usize], &mut Xoshiro256PlusPlus) -> Result<()>,
    ) -> Result<()> {
        let order = &mut self.order;
        for i in (1..order.len()).rev() {
            let j = (self.rng.next_u64() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        for (step, rows) in order.chunks(self.batch).enumerate() {
            f(step, rows, &mut self.rng)?;
        }
        Ok(())
    }
}

/// A minibatch's features \[nb, D\] and labels, gathered from the rows of a data set.
pub(crate) struct Batch {
    x: Vec<f32>,
    y: Vec<u32>,
    d: usize,
}

impl Batch {
    /// Room for `batch` rows of `d` values.
    pub(crate) fn new(batch: usize, d: usize) -> Self {
        Self { x: vec![0.0; batch * d], y: vec![0; batch], d }
    }

    /// The rows `rows` of `data` (at most `batch` of them), as (features, labels).
    pub(crate) fn gather(&mut self, data: &Dataset, rows: &[usize]) -> (&mut [f32], &[u32]) {
        let (d, nb) = (self.d, rows.len());
        let xs = data.features().as_slice();
        for (i, &r) in rows.iter().enumerate() {
            self.x[i * d..(i + 1) * d].copy_from_slice(&xs[r * d..(r + 1) * d]);
            self.y[i] = data.labels()[r];
        }
        (&mut self.x[..nb * d], &self.y[..nb])
    }
}
