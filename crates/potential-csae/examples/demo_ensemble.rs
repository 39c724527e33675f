//! Would an ensemble of the demo's CSAE over seeds classify unseen writers better than one? A
//! validation experiment behind `potential demo` (RESULTS.md, "The main job"), on the 1500 rows
//! before the test writers only (the last 297 rows are never read).
//!
//! The 1500 rows are five blocks of 300 consecutive rows, each mostly its own writers. For each
//! held-out block f: the demo's whole pipeline ([`presets::fit_digits`]: selection on the block
//! before f — cyclically — as validation rows, training on the other three, then the refit on all
//! four) runs once per seed of SEEDS, and block f is classified by each member alone and by the
//! ensemble of the first K members for every K (the mean of the members' class probabilities).
//! Block f is read by nothing but this last step, so its errors are as unseen as the test
//! writers'.
//!
//! Prints one JSON line: per block and seed the member's error, per block and K the ensemble's,
//! and the means over blocks.
//!
//! ```sh
//! cargo run --release -p potential-csae --example demo_ensemble -- SEED[,SEED…]
//! ```
use potential_csae::presets;
use potential_data::{embedded_digits, Dataset};

fn main() {
    let seeds: Vec<u64> = std::env::args()
        .nth(1)
        .map(|s| s.split(',').map(|v| v.parse().expect("SEEDS: comma-separated integers")).collect())
        .unwrap_or_else(|| {
            eprintln!("usage: demo_ensemble SEED[,SEED…]");
            std::process::exit(2)
        });
    let digits = embedded_digits();
    let (rest, _test_writers) = digits.split_tail(297).expect("1797 rows");
    let block = |b: usize| -> Vec<usize> { (300 * b..300 * (b + 1)).collect() };
    let t0 = std::time::Instant::now();
    // member_error[f][s], ensemble_error[f][k − 1]
    let (mut member_error, mut ensemble_error) = (Vec::new(), Vec::new());
    for f in 0..5 {
        let v = (f + 4) % 5;
        let train_rows: Vec<usize> = (0..5).filter(|&b| b != f && b != v).flat_map(block).collect();
        let (train, valid, held): (Dataset, Dataset, Dataset) =
            (rest.select(&train_rows), rest.select(&block(v)), rest.select(&block(f)));
        let x = held.features().as_mat();
        let (n, classes) = (held.n(), held.num_classes());
        // The error of the argmax of per-row class scores (the lowest class on ties, as `predict`).
        let error = |probs: &[f64]| -> f64 {
            let wrong = (0..n)
                .filter(|&i| {
                    let row = &probs[i * classes..(i + 1) * classes];
                    let best = (0..classes).fold(0, |b, j| if row[j] > row[b] { j } else { b });
                    best as u32 != held.labels()[i]
                })
                .count();
            wrong as f64 / n as f64
        };
        let mut sum = vec![0.0f64; n * classes];
        let (mut errs, mut ens) = (Vec::new(), Vec::new());
        for (k, &seed) in seeds.iter().enumerate() {
            let (cfg, grid) = presets::digits(seed);
            let (model, _) = presets::fit_digits(&cfg, &grid, &train, &valid, &|_| {}, &mut |_| {})
                .expect("the demo's fit");
            let p = model.predict_proba(x).expect("probabilities");
            errs.push(error(&p));
            for (s, q) in sum.iter_mut().zip(&p) {
                *s += q;
            }
            ens.push(error(&sum));
            eprintln!(
                "block {f} (validation block {v}), seed {seed}: member {:.2}%, ensemble of {} {:.2}%  [{:.0}s]",
                100.0 * errs[k],
                k + 1,
                100.0 * ens[k],
                t0.elapsed().as_secs_f64()
            );
        }
        member_error.push(errs);
        ensemble_error.push(ens);
    }
    let mean_over_blocks = |m: &Vec<Vec<f64>>, j: usize| m.iter().map(|r| r[j]).sum::<f64>() / m.len() as f64;
    let member_mean: Vec<f64> = (0..seeds.len()).map(|s| mean_over_blocks(&member_error, s)).collect();
    let ensemble_mean: Vec<f64> = (0..seeds.len()).map(|k| mean_over_blocks(&ensemble_error, k)).collect();
    println!(
        "{{\"experiment\": \"demo-ensemble\", \"seeds\": {seeds:?}, \"blocks\": 5, \
         \"member_error\": {member_error:?}, \"ensemble_error\": {ensemble_error:?}, \
         \"member_mean_error\": {member_mean:?}, \"ensemble_mean_error\": {ensemble_mean:?}, \
         \"wall_seconds\": {:.1}}}",
        t0.elapsed().as_secs_f64()
    );
}
