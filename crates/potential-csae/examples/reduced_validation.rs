//! The reduced MNIST pipeline of the CI test (`tests/mnist.rs`, RESULTS.md "MNIST, reduced
//! pipeline") under one variation of its settings, scored on **validation rows only**: trained on
//! the first 10000 MNIST training images, evaluated on training rows 50000–60000 (which the
//! pipeline never trains on); the 10000 test images are not read. Prints one JSON line with the
//! validation error of each seed and their mean.
//!
//! ```sh
//! cargo run --release -p potential-csae --example reduced_validation -- \
//!     INIT_SCALE PRETRAIN_LR FINETUNE_LR INPUT_MASK OPTIMIZER(momentum|adam) SEED[,SEED…] [test]
//! ```
//!
//! With the seventh argument `test` the same models are also scored on the 10000 MNIST test
//! images (`test_error` in the line): for the one configuration chosen on validation, once.
//!
//! Everything else is the CI test's ([`presets::reduced_mnist`]): 100 sigmoid hiddens per class,
//! 50 epochs of contractive pretraining (λ = 0.2, momentum 0.9, minibatches of 100), 20 epochs of
//! finetuning (momentum 0.9, minibatches of 100). Seed s seeds the pretraining with 2s − 1 and the
//! finetuning with 2s, so seed 1 is the CI test's run. MNIST is read from `POTENTIAL_DATASETS` or `../shared/datasets`.
use potential_csae::{features_view, presets, train, Optimizer};

fn arg<T: std::str::FromStr>(args: &[String], i: usize, what: &str) -> T {
    args.get(i).and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        eprintln!("argument {i} ({what}) missing or malformed; see the example's header");
        std::process::exit(2)
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let init: f32 = arg(&args, 1, "init scale");
    let plr: f32 = arg(&args, 2, "pretraining learning rate");
    let lr: f32 = arg(&args, 3, "finetuning learning rate");
    let mask: f32 = arg(&args, 4, "finetuning input mask");
    let opt: String = arg(&args, 5, "optimizer");
    let optimizer = match opt.as_str() {
        "momentum" => Optimizer::Momentum,
        "adam" => Optimizer::Adam,
        o => {
            eprintln!("optimizer {o:?}: momentum or adam");
            std::process::exit(2)
        }
    };
    let seeds: Vec<u64> = arg::<String>(&args, 6, "seeds")
        .split(',')
        .map(|s| s.parse().unwrap_or_else(|_| panic!("seed {s:?}")))
        .collect();
    let Some(dir) = potential_data::shared_data("mnist") else {
        eprintln!("MNIST not found (POTENTIAL_DATASETS or ../shared/datasets/mnist)");
        std::process::exit(1)
    };
    let with_test = match args.get(7).map(String::as_str) {
        None => false,
        Some("test") => true,
        Some(o) => {
            eprintln!("seventh argument {o:?}: `test` or nothing");
            std::process::exit(2)
        }
    };
    let (train_file, test) = potential_data::load_mnist(&dir).expect("MNIST loads");
    let (tr, valid) = (train_file.rows(0..10_000), train_file.rows(50_000..60_000));
    let t0 = std::time::Instant::now();
    let (errors, test_errors): (Vec<f64>, Vec<f64>) = seeds
        .iter()
        .map(|&s| {
            let mut cfg = presets::reduced_mnist(s);
            if let Some(p) = cfg.pretrain.as_mut() {
                p.learning_rate = plr;
            }
            cfg.finetune.learning_rate = lr;
            cfg.finetune.input_mask = mask;
            cfg.finetune.optimizer = optimizer;
            cfg.init_scale = Some(init);
            let (model, _) = train(&cfg, &tr, None, &|_| {}).expect("training runs");
            let v =
                model.evaluate(features_view(&valid), valid.labels()).expect("evaluation runs").error_rate;
            let t = if with_test {
                model.evaluate(features_view(&test), test.labels()).expect("evaluation runs").error_rate
            } else {
                f64::NAN
            };
            (v, t)
        })
        .unzip();
    let mean = errors.iter().sum::<f64>() / errors.len() as f64;
    let test_part = if with_test {
        let m = test_errors.iter().sum::<f64>() / test_errors.len() as f64;
        format!(", \"test_error\": {test_errors:?}, \"mean_test_error\": {m}")
    } else {
        String::new()
    };
    println!(
        "{{\"experiment\": \"reduced-mnist-validation\", \"init_scale\": {init}, \"pretrain_lr\": {plr}, \
         \"finetune_lr\": {lr}, \"input_mask\": {mask}, \"optimizer\": \"{opt}\", \"seeds\": {seeds:?}, \
         \"valid_error\": {errors:?}, \"mean_valid_error\": {mean}{test_part}, \"wall_seconds\": {:.1}}}",
        t0.elapsed().as_secs_f64()
    );
}
