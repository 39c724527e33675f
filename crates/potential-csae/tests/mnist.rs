//! A reduced CSAE pipeline on real MNIST (../shared/datasets/mnist): the first 10000 training
//! images, 100 sigmoid hiddens per class, a few epochs of pretraining and finetuning, evaluated on
//! the 10000 test images. Skips (or fails with POTENTIAL_REQUIRE_DATA=1) when the data is absent.
//!
//! Knobs for tuning runs (defaults are the CI configuration): CSAE_MNIST_N, CSAE_MNIST_HIDDEN,
//! CSAE_MNIST_PRE, CSAE_MNIST_FT, CSAE_MNIST_LR, CSAE_MNIST_PLR, CSAE_MNIST_LAMBDA,
//! CSAE_MNIST_MASK, CSAE_MNIST_INIT.

use potential_csae::{features_view, presets, train, Event};
use std::time::Instant;

fn env_or<T: std::str::FromStr>(k: &str, d: T) -> T {
    std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d)
}

#[test]
fn reduced_mnist_pipeline_reaches_4_percent() {
    let Some(dir) = potential_data::shared_data("mnist") else { return };
    if potential_data::shared_data("mnist/train-images-idx3-ubyte").is_none()
        && potential_data::shared_data("mnist/train-images-idx3-ubyte.gz").is_none()
    {
        return;
    }
    let t0 = Instant::now();
    let (train_file, test) = potential_data::load_mnist(&dir).expect("MNIST loads");
    let n: usize = env_or("CSAE_MNIST_N", 10_000);
    let tr = train_file.rows(0..n);
    // The CI configuration (`presets::reduced_mnist`, seed 1), each knob overridable.
    let mut cfg = presets::reduced_mnist(1);
    cfg.hidden = env_or("CSAE_MNIST_HIDDEN", cfg.hidden);
    if let Some(p) = cfg.pretrain.as_mut() {
        p.epochs = env_or("CSAE_MNIST_PRE", p.epochs);
        p.learning_rate = env_or("CSAE_MNIST_PLR", p.learning_rate);
        p.contractive = env_or("CSAE_MNIST_LAMBDA", p.contractive);
    }
    let f = &mut cfg.finetune;
    f.epochs = env_or("CSAE_MNIST_FT", f.epochs);
    f.learning_rate = env_or("CSAE_MNIST_LR", f.learning_rate);
    f.input_mask = env_or("CSAE_MNIST_MASK", f.input_mask);
    cfg.init_scale = cfg.init_scale.map(|s| env_or("CSAE_MNIST_INIT", s));
    let obs = |e: Event<'_>| {
        if let Event::FinetuneEpoch(r) = e {
            eprintln!(
                "finetune epoch {}: loss {:.4}, train error {:.4} ({:.1}s)",
                r.epoch, r.loss, r.train_error, r.seconds
            );
        }
    };
    let (model, _) = train(&cfg, &tr, None, &obs).expect("training runs");
    let ev = model.evaluate(features_view(&test), test.labels()).expect("evaluation runs");
    eprintln!(
        "MNIST reduced CSAE: {n} training images, test error {:.2}% ({} / {}), {:.1}s",
        100.0 * ev.error_rate,
        ev.errors,
        ev.n,
        t0.elapsed().as_secs_f64()
    );
    // The target for this reduced run. Its settings were chosen on validation rows only
    // (training rows 50000–60000; `scripts/reduced_validation.sh`, RESULTS.md "MNIST, reduced
    // pipeline"): the finetuning learning rate 0.01 there replaced the 0.1 of early, test-chosen runs.
    assert!(ev.error_rate <= 0.04, "test error {:.4} > 4%", ev.error_rate);
}
