//! Time CSAE finetuning steps of a trained model with flush-to-zero on and off.
//!
//! ```text
//! cargo run --release -p potential-csae --example finetune_subnormals -- MODEL DATA LABELS [ROUNDS]
//! ```
//!
//! Loads a CSAE file (`potential csae train --out`) and its training rows (`.npy`, `.idx`, `.csv`,
//! … as `potential csae train --data/--labels` reads them), then runs ROUNDS (default 3) rounds of
//! 30 momentum steps (minibatches of 100 in order, learning rate 0.001, momentum 0.9, weight decay
//! 10⁻⁴) on one thread, alternating flush-to-zero on and off (`set_flush_to_zero`), each from a
//! fresh copy of the model, and prints the time per step and the extrapolated epoch. A trained
//! model whose softmax puts wrong classes below 2⁻¹²⁶ shows the cost of subnormal arithmetic on
//! CPUs that take a microcode assist for it (RESULTS.md, *Finetuning speed*).

use potential_csae::{Csae, Finetuner, Variant};
use potential_data::Dataset;
use std::path::Path;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model, data, labels, rest @ ..] = args.as_slice() else {
        return Err("usage: finetune_subnormals MODEL DATA LABELS [ROUNDS]".into());
    };
    let rounds: usize = match rest.first() {
        Some(r) => r.parse().map_err(|e| format!("ROUNDS {r:?}: {e}"))?,
        None => 3,
    };
    let trained = Csae::load(model)?;
    let rows = Dataset::open(data, Some(Path::new(labels)))?;
    let (n, d) = (rows.n(), rows.d());
    if d != trained.visible() || n < 100 {
        return Err(format!(
            "{data}: {n} rows of {d} values, the model needs ≥ 100 rows of {}",
            trained.visible()
        )
        .into());
    }
    let (x, y) = (rows.features().as_slice(), rows.labels());
    let batches = n / 100;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    println!(
        "{model}: {} classes, {batches} minibatches of 100 rows an epoch, one thread",
        trained.num_classes()
    );
    for round in 0..rounds {
        for flush in [true, false] {
            potential_kernels::set_flush_to_zero(flush);
            let mut m = trained.clone();
            let mut ws = Finetuner::new(&m, 100, Variant::Log, 1e-4);
            let t0 = Instant::now();
            let mut loss = 0.0;
            pool.install(|| -> Result<(), potential_csae::Error> {
                for s in 0..30 {
                    let r0 = (s % batches) * 100;
                    loss = ws.step(&mut m, &x[r0 * d..(r0 + 100) * d], &y[r0..r0 + 100], 0.001, 0.9)?;
                }
                Ok(())
            })?;
            let step = t0.elapsed().as_secs_f64() / 30.0;
            println!(
                "round {round}, flush-to-zero {}: {:.1} ms a step, {:.1} s an epoch (last loss {loss:.4})",
                if flush { "on " } else { "off" },
                step * 1e3,
                step * batches as f64
            );
        }
    }
    Ok(())
}
