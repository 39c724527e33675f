//! One-class MNIST through the estimator layer: train a tied sigmoid autoencoder on the 5923
//! training zeros, rank the 10000 test digits by energy (higher = more typical, Eq. 9) and print the
//! ROC AUC of the zeros against the other nine digits — once for each initialisation, the
//! estimators' default `Init::Glorot` and the command line's `Init::GlorotSigmoidX4`.
//!
//! The training is RESULTS.md's one-class configuration A (100 hiddens, contractive penalty 0.5,
//! 5 epochs, minibatches of 100, learning rate 0.01, momentum 0.9, seed 1), so the ×4 run is
//! `potential train --class 0 --activation sigmoid --hidden 100 --contractive 0.5 --epochs 5 --seed 1`
//! bit for bit.
//!
//! Needs the four MNIST files in `$POTENTIAL_DATASETS/mnist` (or a `shared/datasets/mnist` folder
//! above the working directory); without them it prints `skipped: …` and exits, unless
//! `POTENTIAL_REQUIRE_DATA=1`, which makes it fail.
//!
//! `cargo run --release -p potential --example mnist_digit0`

use potential::data::{load_mnist, shared_data};
use potential::models::novelty::{outliers_from_labels, roc_auc};
use potential::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(images) = shared_data("mnist/train-images-idx3-ubyte") else { return Ok(()) };
    let dir = images.parent().expect("a file has a folder");
    let (train, test) = load_mnist(dir)?;
    let zeros = train.subset_classes(&[0]);
    let is_outlier = outliers_from_labels(test.labels(), 0);
    println!("MNIST: {} training zeros, {} test digits", zeros.n(), test.n());
    for init in [Init::Glorot, Init::GlorotSigmoidX4] {
        let config = AutoencoderConfig {
            hidden: 100,
            activation: ActivationKind::Sigmoid,
            init,
            seed: 1,
            train: TrainConfig { epochs: 5, contractive: 0.5, seed: 1, ..TrainConfig::default() },
            ..AutoencoderConfig::default()
        };
        let t0 = std::time::Instant::now();
        let model = config.fit(zeros.features())?;
        let energy = model.energy_batch(test.features().as_mat())?;
        let outlier_score: Vec<f64> = energy.iter().map(|e| -e).collect();
        let auc = roc_auc(&outlier_score, &is_outlier)?;
        println!("init {init:?}: ROC AUC {auc:.4} (trained in {:.1} s)", t0.elapsed().as_secs_f64());
    }
    Ok(())
}
