//! Data rows to score: the width check against a model and the block loop with its progress bar,
//! shared by `score`, `detect` and `csae`.

use crate::error::{CliError, Result};
use crate::progress;
use potential_data::Features;
use potential_kernels::MatRef;
use std::path::Path;

/// Check that the rows of `data` (of `d` values) fit `model`, which expects `expected` inputs.
///
/// # Errors
/// [`CliError::Usage`] naming both files and both widths.
pub fn check_width(data: &Path, d: usize, model: &Path, expected: usize) -> Result<()> {
    if d != expected {
        return Err(CliError::Usage(format!(
            "{}: rows have {d} values but the model {} expects {expected} (its visible size)",
            data.display(),
            model.display()
        )));
    }
    Ok(())
}

/// The scores of every row of `x`: `score(block, first_row)` on consecutive blocks of `block`
/// rows, with a progress bar over the rows (hidden when `quiet`).
///
/// # Errors
/// The first error of `score`.
pub fn score_blocks(
    x: &Features,
    block: usize,
    quiet: bool,
    mut score: impl FnMut(MatRef<'_>, usize) -> Result<Vec<f64>>,
) -> Result<Vec<f64>> {
    let (n, d) = (x.n(), x.d());
    let bar = progress::bar(n as u64, "rows", quiet);
    let mut scores = Vec::with_capacity(n);
    let data = x.as_slice();
    let mut r0 = 0;
    while r0 < n {
        let nr = block.min(n - r0);
        let view = MatRef::from_row_major(&data[r0 * d..(r0 + nr) * d], nr, d);
        scores.extend(score(view, r0)?);
        r0 += nr;
        bar.inc(nr as u64);
    }
    bar.finish_and_clear();
    Ok(scores)
}
