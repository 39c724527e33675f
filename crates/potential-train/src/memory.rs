//! What training will allocate, computed before it allocates: estimates of the peak heap bytes a
//! training run needs beyond its data, with checked arithmetic (`None` when the count overflows
//! `u64`, which no machine holds either).
//!
//! A caller compares them with the memory it may use (the command line's `--max-memory`, or what
//! the system reports available) and refuses the run with a clear error instead of letting the
//! allocator abort the process minutes in. The figures are upper estimates: every buffer the
//! trainer keeps is counted at its full size, whether or not the run uses it (Adam's second
//! moment, the early-stopping copy, the checkpoint's serialised copy).

/// Refuse a tied autoencoder of 0 hidden units, or one whose weight matrix, H·D, overflows or
/// exceeds [`MAX_PARAMETERS`](crate::MAX_PARAMETERS) entries, before anything is allocated
/// ([`init_model`](crate::init_model) calls it; a caller may call it before estimating memory).
///
/// # Errors
/// [`crate::Error::InvalidConfig`] (field `hidden`).
pub fn check_shape(visible: usize, hidden: usize) -> crate::Result<()> {
    if hidden == 0 {
        return Err(crate::Error::InvalidConfig {
            field: "hidden",
            value: "0".into(),
            reason: "an autoencoder needs at least 1 hidden unit",
        });
    }
    match hidden.checked_mul(visible) {
        Some(p) if p <= crate::MAX_PARAMETERS => Ok(()),
        _ => Err(crate::Error::InvalidConfig {
            field: "hidden",
            value: format!("{hidden} (× {visible} inputs)"),
            reason: "the weight matrix would exceed 2^28 entries (1 GiB of f32, about 4 GiB to train)",
        }),
    }
}

/// Bytes of the parameters of one tied autoencoder with `visible` inputs and `hidden` units:
/// `(D·H + H + D)·4`.
pub fn model_bytes(visible: usize, hidden: usize) -> Option<u64> {
    let (d, h) = (visible as u64, hidden as u64);
    d.checked_mul(h)?.checked_add(h)?.checked_add(d)?.checked_mul(4)
}

/// Peak bytes a [`Trainer`](crate::Trainer) allocates beyond its data, for a `visible`→`hidden`
/// model trained on `rows` rows in minibatches of `batch`: six copies of the parameters (model,
/// gradient, momentum or Adam's first moment, Adam's second moment, the best model kept for early
/// stopping, the checkpoint's serialised copy), the step's buffers (`Workspace`: 4·B·H + 4·B·D
/// floats, the minibatch copy included) and the shuffled row order (8 bytes a row).
pub fn training_bytes(visible: usize, hidden: usize, batch: usize, rows: usize) -> Option<u64> {
    let (d, h, b) = (visible as u64, hidden as u64, batch as u64);
    let params = model_bytes(visible, hidden)?.checked_mul(6)?;
    let step = b.checked_mul(h.checked_add(d)?)?.checked_mul(4 * 4)?;
    let order = (rows as u64).checked_mul(8)?;
    params.checked_add(step)?.checked_add(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_bytes_counts_weights_and_both_biases() {
        assert_eq!(model_bytes(784, 500), Some((784 * 500 + 500 + 784) * 4));
        assert_eq!(model_bytes(0, 0), Some(0));
        assert_eq!(model_bytes(usize::MAX, usize::MAX), None);
    }

    #[test]
    fn training_bytes_grows_with_every_argument_and_overflows_to_none() {
        let base = training_bytes(784, 500, 100, 60000).unwrap();
        assert_eq!(base, 6 * model_bytes(784, 500).unwrap() + 100 * (500 + 784) * 16 + 60000 * 8);
        assert!(training_bytes(785, 500, 100, 60000).unwrap() > base);
        assert!(training_bytes(784, 501, 100, 60000).unwrap() > base);
        assert!(training_bytes(784, 500, 101, 60000).unwrap() > base);
        assert!(training_bytes(784, 500, 100, 60001).unwrap() > base);
        assert_eq!(training_bytes(1 << 40, 1 << 40, 1, 1), None);
        assert_eq!(training_bytes(1, 1, usize::MAX, 1), None);
    }
}
