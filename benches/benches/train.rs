//! Training benchmark: `train/cae/784x500/b100/t{1,2}`.
//!
//! The contractive autoencoder of the issue: 784 → 500 sigmoid hiddens, real output (squared
//! error), λ = 0.5, minibatches of 100, momentum 0.9, on the 60000 MNIST training images
//! (`../shared/datasets/mnist`; seeded uniform data of the same shape when absent — the timing does
//! not depend on the values). One iteration = one epoch, [`STEPS`] = 600 training steps (gather,
//! forward, the exact gradient and the momentum update fused into the last gemm) through
//! `Trainer::run_steps`, which checks each gathered minibatch for non-finite values rather than
//! scanning the whole data set per call; throughput is in samples, flat sampling (every sample one
//! epoch). `t1` runs in a one-thread rayon pool, `t2` in a two-thread pool. After the
//! criterion run a line per thread count gives the median of 3 more epochs, wall clock and process
//! CPU time (all threads; a loaded machine inflates it less than the wall-clock time). Compare with
//! `python3 benches/reference/train_cae_numpy.py` and `benches/reference/train_cae_torch.py`.

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use potential_activations::ActivationKind;
use potential_data::Features;
use potential_models::Output;
use potential_train::{init_model, TrainConfig, Trainer};
use rand::{rngs::StdRng, RngExt, SeedableRng};
use std::hint::black_box;
use std::time::{Duration, Instant};

const STEPS: usize = 600;

fn mnist() -> Features {
    if let Some(p) = potential_data::shared_data("mnist/train-images-idx3-ubyte") {
        if let Ok(f) = potential_data::open_features(&p) {
            return f;
        }
    }
    eprintln!("train bench: MNIST not found, using seeded uniform data of shape [60000, 784]");
    let mut rng = StdRng::seed_from_u64(0);
    Features::from_vec((0..60000 * 784).map(|_| rng.random::<f32>()).collect(), 60000, 784).unwrap()
}

/// Process CPU time (user + system, all threads) from /proc/self/stat, in seconds (Linux only;
/// clock ticks of 1/100 s).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let (u, s): (f64, f64) = (f.get(11)?.parse().ok()?, f.get(12)?.parse().ok()?);
    Some((u + s) / 100.0)
}

fn trainer() -> Trainer {
    let model = init_model(500, 784, ActivationKind::Sigmoid, Output::Real, 1).unwrap();
    let cfg = TrainConfig {
        epochs: 1,
        batch_size: 100,
        learning_rate: 0.01,
        contractive: 0.5,
        ..TrainConfig::default()
    };
    Trainer::new(model, cfg).unwrap()
}

fn bench_train(c: &mut Criterion) {
    let x = mnist();
    assert_eq!((x.n(), x.d()), (60000, 784));
    let mut g = c.benchmark_group("train");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(20))
        .warm_up_time(Duration::from_secs(1));
    g.throughput(Throughput::Elements((STEPS * 100) as u64));
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let mut t = trainer();
        // Check once before timing: the loss is finite and falls.
        let (l0, l1) = pool.install(|| (t.run_steps(&x, 20).unwrap(), t.run_steps(&x, 60).unwrap()));
        assert!(l0.is_finite() && l1 < l0, "loss {l0} -> {l1}");
        g.bench_function(format!("cae/784x500/b100/t{threads}"), |b| {
            b.iter(|| pool.install(|| black_box(t.run_steps(&x, STEPS).unwrap())))
        });
        let (mut secs, mut cpu): (Vec<f64>, Vec<f64>) = (0..3)
            .map(|_| {
                let (t0, c0) = (Instant::now(), cpu_seconds());
                pool.install(|| t.run_steps(&x, STEPS).unwrap());
                (t0.elapsed().as_secs_f64(), cpu_seconds().map(|c| c - c0.unwrap_or(c)).unwrap_or(f64::NAN))
            })
            .unzip();
        secs.sort_by(f64::total_cmp);
        cpu.sort_by(f64::total_cmp);
        eprintln!(
            "train/cae/784x500/b100/t{threads}: one epoch (600 steps) median {:.3} s (runs {:.3?}), \
             {:.0} samples/s; process CPU time median {:.3} s/epoch",
            secs[1],
            secs,
            60000.0 / secs[1],
            cpu[1]
        );
    }
    g.finish();
}

criterion_group!(benches, bench_train);
criterion_main!(benches);
