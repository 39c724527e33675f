//! The validation sweep behind the settings of `potential demo` (RESULTS.md, "The main job"):
//! on the writer-disjoint split of the embedded digits (train = the first 1200 rows, validation =
//! the 300 after them; the last 297 rows, the test writers, are never read), the selection of
//! [`presets::digits`] under one variation of its settings, over seeds; prints one JSON line with
//! the best validation error of each seed and their mean.
//!
//! With FOLDS = 5 (an optional eighth argument; default 1) the 1500 rows before the test writers are
//! cut into five blocks of 300 consecutive rows (the file is ordered by writer, so each block is
//! mostly its own writers) and each block is the validation rows once, the other four the
//! training rows: 1500 validation rows instead of 300, for changes too small for one block to
//! rank. FOLDS = 1 is the demo's own split (validation = the last block).
//!
//! ```sh
//! cargo run --release -p potential-csae --example demo_validation -- \
//!     MASK DROPOUT WEIGHT_DECAY CONTRACTIVE HIDDEN[,HIDDEN…] SEED[,SEED…] SHIFTS(0|1) [FOLDS(1|5)]
//! ```
use potential_csae::{presets, select_and_fit};
use potential_data::{embedded_digits, Dataset};

fn arg<T: std::str::FromStr>(args: &[String], i: usize, what: &str) -> T {
    args.get(i).and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        eprintln!("argument {i} ({what}) missing or malformed; see the example's header");
        std::process::exit(2)
    })
}

fn list<T: std::str::FromStr>(args: &[String], i: usize, what: &str) -> Vec<T> {
    let s: String = arg(args, i, what);
    s.split(',').map(|v| v.parse().unwrap_or_else(|_| panic!("{what}: {v:?}"))).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mask: f32 = arg(&args, 1, "input mask");
    let dropout: f32 = arg(&args, 2, "hidden dropout");
    let weight_decay: f32 = arg(&args, 3, "weight decay");
    let contractive: f32 = arg(&args, 4, "contractive λ");
    let hidden: Vec<usize> = list(&args, 5, "hidden sizes");
    let seeds: Vec<u64> = list(&args, 6, "seeds");
    let shifts: u8 = arg(&args, 7, "shifts");
    let folds: usize = if args.len() > 8 { arg(&args, 8, "folds") } else { 1 };
    assert!(folds == 1 || folds == 5, "FOLDS is 1 or 5");
    let digits = embedded_digits();
    let (rest, _test_writers) = digits.split_tail(297).expect("1797 rows");
    // (train, valid) per fold, built once: block f validates, the other four blocks train.
    let splits: Vec<(Dataset, Dataset)> = (5 - folds..5)
        .map(|f| {
            let others: Vec<usize> = (0..rest.n()).filter(|i| i / 300 != f).collect();
            (rest.select(&others), rest.rows(300 * f..300 * (f + 1)))
        })
        .collect();
    let t0 = std::time::Instant::now();
    let mut best = Vec::new();
    for (&seed, (train, valid)) in seeds.iter().flat_map(|s| splits.iter().map(move |p| (s, p))) {
        let (mut cfg, mut grid) = presets::digits(seed);
        cfg.hidden = hidden[0];
        cfg.finetune.input_mask = mask;
        cfg.finetune.hidden_dropout = dropout;
        if let Some(p) = cfg.pretrain.as_mut() {
            p.contractive = contractive;
        }
        grid.hidden = hidden.clone();
        grid.weight_decay = vec![weight_decay];
        let (_, sel) = if shifts == 1 {
            presets::fit_digits(&cfg, &grid, train, valid, &|_| {}, &mut |_| {})
        } else {
            select_and_fit(&cfg, &grid, train, valid, &|_| {}, &mut |_| {})
        }
        .expect("selection");
        best.push(sel.trials[sel.best].valid_error);
    }
    // One entry per (seed, fold), seeds outer.
    let mean = best.iter().sum::<f64>() / best.len() as f64;
    println!(
        "{{\"experiment\": \"demo-validation\", \"input_mask\": {mask}, \"hidden_dropout\": {dropout}, \
         \"weight_decay\": {weight_decay}, \"contractive\": {contractive}, \"hidden\": {hidden:?}, \
         \"shifts\": {}, \"folds\": {folds}, \"seeds\": {seeds:?}, \"best_valid_error\": {best:?}, \"mean_best_valid_error\": {mean}, \
         \"wall_seconds\": {:.1}}}",
        shifts == 1,
        t0.elapsed().as_secs_f64()
    );
}
