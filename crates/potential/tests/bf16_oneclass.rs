//! One-class MNIST (RESULTS.md's configuration A for digit 0, as `examples/mnist_digit0.rs`): a
//! sigmoid autoencoder with 100 hiddens trained on the 5923 training zeros, the 10000 test digits
//! ranked by energy. The ROC AUC of the zeros against the other nine digits moves by less than
//! 0.001 when the energies are computed in bf16 (`Precision::Bf16`) instead of f32, and every bf16
//! energy lies within its derived bound.
//!
//! Needs MNIST in `$POTENTIAL_DATASETS/mnist` (or a `shared/datasets/mnist` folder above the working
//! directory): prints `skipped: …` without it, fails when `POTENTIAL_REQUIRE_DATA=1`. Skips (with a
//! message) on a CPU without AVX-512 BF16.

use potential::data::{load_mnist, shared_data};
use potential::models::novelty::{outliers_from_labels, roc_auc};
use potential::models::Precision;
use potential::prelude::*;

#[test]
fn one_class_mnist_auc_moves_less_than_a_thousandth_in_bf16() {
    if !Precision::Bf16.is_available() {
        eprintln!("skipped: no AVX-512 BF16 on this CPU (or POTENTIAL_FORCE_PORTABLE set)");
        return;
    }
    let Some(images) = shared_data("mnist/train-images-idx3-ubyte") else { return };
    let (train, test) = load_mnist(images.parent().unwrap()).unwrap();
    let zeros = train.subset_classes(&[0]);
    let config = AutoencoderConfig {
        hidden: 100,
        activation: ActivationKind::Sigmoid,
        init: Init::GlorotSigmoidX4,
        seed: 1,
        train: TrainConfig { epochs: 5, contractive: 0.5, seed: 1, ..TrainConfig::default() },
        ..AutoencoderConfig::default()
    };
    let model = config.fit(zeros.features()).unwrap();
    let x = test.features().as_mat();
    let is_outlier = outliers_from_labels(test.labels(), 0);
    let auc = |p: Precision| {
        let e = model.energy_batch_with(x, p).unwrap();
        let s: Vec<f64> = e.iter().map(|e| -e).collect();
        (roc_auc(&s, &is_outlier).unwrap(), e)
    };
    let (a32, e32) = auc(Precision::F32);
    let (a16, e16) = auc(Precision::Bf16);
    eprintln!(
        "one-class MNIST digit 0: ROC AUC f32 {a32:.6}, bf16 {a16:.6}, |Δ| = {:.2e}",
        (a32 - a16).abs()
    );
    assert!(a32 > 0.95, "the f32 model itself is off: AUC {a32}");
    assert!((a32 - a16).abs() < 1e-3, "AUC moved by {} (f32 {a32}, bf16 {a16})", (a32 - a16).abs());
    let d = test.features().d();
    let rows = test.features().as_slice();
    let mut worst = 0.0f64;
    for i in (0..e32.len()).step_by(10) {
        let bound = model.bf16_energy_error_bound(&rows[i * d..(i + 1) * d]).unwrap();
        assert!((e32[i] - e16[i]).abs() <= bound, "row {i}: |{} − {}| > {bound}", e16[i], e32[i]);
        worst = worst.max((e32[i] - e16[i]).abs());
    }
    eprintln!("largest |E_bf16 − E_f32| over every 10th test row: {worst:.3e}");
}
