//! CSAE finetuning benchmark: `csae/finetune/784x500/k10/b100`.
//!
//! Ten class models of 784 → 500 sigmoid hiddens (the paper's MNIST CSAE), minibatches of 100,
//! the negative log of Eq. 45 with weight decay, momentum 0.9, on the 60000 MNIST training images
//! (`../shared/datasets/mnist`; seeded uniform data of the same shape when absent — the timing does
//! not depend on the values). One iteration = [`STEPS`] finetuning steps (gather, two gemms per
//! class, the exact gradient, the momentum update fused into the weight-gradient gemm) in the
//! current rayon pool (2 threads). A finetuning
//! epoch is 600 steps: the printout extrapolates the epoch time from a median of 5 × 30 steps and
//! gives the process CPU time too (less inflated by other load on the machine).
//!
//! `csae/factored-finetune/784x500x500/k10/b100`: the factored CSAE (D = 784, F = 500 factors,
//! H = 500 hiddens, ten classes; `FactoredCsae::init`, seed 1) under the same minibatches, loss,
//! weight decay and momentum, [`STEPS`] `FactoredFinetuner::step`s per iteration (four gemms per
//! step, then the momentum pass over every parameter); an epoch is 600 steps, so the epoch time is
//! 60 × the iteration time. The printout extrapolates it as for the plain CSAE.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use potential_activations::ActivationKind;
use potential_csae::{Csae, FactoredCsae, FactoredFinetuner, Finetuner, Variant};
use potential_data::{Dataset, Features};
use potential_models::Output;
use potential_train::init_model;
use rand::{rngs::StdRng, RngExt, SeedableRng};
use std::hint::black_box;
use std::time::{Duration, Instant};

const STEPS: usize = 10;

fn mnist() -> Dataset {
    if let Some(dir) = potential_data::shared_data("mnist") {
        if let Ok((train, _)) = potential_data::load_mnist(dir) {
            return train;
        }
    }
    eprintln!("csae bench: MNIST not found, using seeded uniform data of shape [60000, 784]");
    let mut rng = StdRng::seed_from_u64(0);
    let x = Features::from_vec((0..60000 * 784).map(|_| rng.random::<f32>()).collect(), 60000, 784).unwrap();
    Dataset::new(x, (0..60000).map(|i| (i % 10) as u32).collect(), None).unwrap()
}

fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let (u, s): (f64, f64) = (f.get(11)?.parse().ok()?, f.get(12)?.parse().ok()?);
    Some((u + s) / 100.0)
}

/// Runs `steps` steps over consecutive minibatches starting at batch `*at`.
fn run(m: &mut Csae, ws: &mut Finetuner, data: &Dataset, at: &mut usize, steps: usize) -> f64 {
    let x = data.features().as_slice();
    let mut loss = 0.0;
    for _ in 0..steps {
        let r0 = (*at % 600) * 100;
        *at += 1;
        loss = ws.step(m, &x[r0 * 784..(r0 + 100) * 784], &data.labels()[r0..r0 + 100], 0.001, 0.9).unwrap();
    }
    loss
}

fn bench_csae(c: &mut Criterion) {
    let data = mnist();
    assert_eq!((data.n(), data.d()), (60000, 784));
    let classes =
        (0..10).map(|i| init_model(500, 784, ActivationKind::Sigmoid, Output::Real, i).unwrap()).collect();
    let mut model = Csae::new(classes, (0..10).map(|i| i.to_string()).collect(), vec![0.0; 10]).unwrap();
    let mut ws = Finetuner::new(&model, 100, Variant::Log, 1e-4);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let mut at = 0usize;
    // Check once before timing: the loss is finite and falls.
    let (l0, l1) = pool.install(|| {
        (run(&mut model, &mut ws, &data, &mut at, 1), {
            run(&mut model, &mut ws, &data, &mut at, 3 * STEPS);
            at = 0;
            run(&mut model, &mut ws, &data, &mut at, 1)
        })
    });
    assert!(l0.is_finite() && l1 < l0, "loss {l0} -> {l1}");
    let mut g = c.benchmark_group("csae");
    g.sample_size(10).measurement_time(Duration::from_secs(10)).warm_up_time(Duration::from_secs(2));
    g.throughput(Throughput::Elements((STEPS * 100) as u64));
    g.bench_function("finetune/784x500/k10/b100", |b| {
        b.iter(|| pool.install(|| black_box(run(&mut model, &mut ws, &data, &mut at, STEPS))))
    });
    g.finish();
    let (mut secs, mut cpu): (Vec<f64>, Vec<f64>) = (0..5)
        .map(|_| {
            let (t0, c0) = (Instant::now(), cpu_seconds());
            pool.install(|| run(&mut model, &mut ws, &data, &mut at, 30));
            (
                t0.elapsed().as_secs_f64() * 20.0,
                cpu_seconds().map(|c| (c - c0.unwrap_or(c)) * 20.0).unwrap_or(f64::NAN),
            )
        })
        .unzip();
    secs.sort_by(f64::total_cmp);
    cpu.sort_by(f64::total_cmp);
    eprintln!(
        "csae/finetune/784x500/k10/b100 (2 threads): per-epoch extrapolation (600 steps) median {:.2} s \
         (runs {:.2?}); process CPU time median {:.2} s/epoch",
        secs[2], secs, cpu[2]
    );
}

/// As [`run`] for the factored CSAE.
fn run_factored(
    m: &mut FactoredCsae,
    ws: &mut FactoredFinetuner,
    data: &Dataset,
    at: &mut usize,
    steps: usize,
) -> f64 {
    let x = data.features().as_slice();
    let mut loss = 0.0;
    for _ in 0..steps {
        let r0 = (*at % 600) * 100;
        *at += 1;
        loss = ws.step(m, &x[r0 * 784..(r0 + 100) * 784], &data.labels()[r0..r0 + 100], 0.001, 0.9).unwrap();
    }
    loss
}

fn bench_factored(c: &mut Criterion) {
    let data = mnist();
    let names = (0..10).map(|i| i.to_string()).collect();
    let mut model =
        FactoredCsae::init(784, 500, 500, names, ActivationKind::Sigmoid, Output::Real, None, 1).unwrap();
    let mut ws = FactoredFinetuner::new(&model, 100, Variant::Log, 1e-4).unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let mut at = 0usize;
    // Check once before timing: the loss is finite and falls.
    let (l0, l1) = pool.install(|| {
        (run_factored(&mut model, &mut ws, &data, &mut at, 1), {
            run_factored(&mut model, &mut ws, &data, &mut at, 3 * STEPS);
            at = 0;
            run_factored(&mut model, &mut ws, &data, &mut at, 1)
        })
    });
    assert!(l0.is_finite() && l1 < l0, "loss {l0} -> {l1}");
    let mut g = c.benchmark_group("csae");
    g.sample_size(10).measurement_time(Duration::from_secs(10)).warm_up_time(Duration::from_secs(2));
    g.throughput(Throughput::Elements((STEPS * 100) as u64));
    g.bench_function("factored-finetune/784x500x500/k10/b100", |b| {
        b.iter(|| pool.install(|| black_box(run_factored(&mut model, &mut ws, &data, &mut at, STEPS))))
    });
    g.finish();
    let (t0, c0) = (Instant::now(), cpu_seconds());
    pool.install(|| run_factored(&mut model, &mut ws, &data, &mut at, 30));
    eprintln!(
        "csae/factored-finetune/784x500x500/k10/b100 (2 threads): per-epoch extrapolation (600 steps) {:.2} s; \
         process CPU time {:.2} s/epoch",
        t0.elapsed().as_secs_f64() * 20.0,
        cpu_seconds().zip(c0).map(|(c, c0)| (c - c0) * 20.0).unwrap_or(f64::NAN)
    );
}

criterion_group!(benches, bench_csae, bench_factored);
criterion_main!(benches);
