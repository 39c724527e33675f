//! Detector benchmark: `detector/fit+score/10000x100/t2` — `potential detect fit` with its defaults
//! on a 10000 × 100 table (three views, 200 relu hiddens, two stages of 25 epochs of 100 minibatches each,
//! the second on the 9000 rows the first finds least strange), then scoring the same 10000 rows, on two
//! threads. The target is ≤ 5 s per iteration.
//!
//! The table: 100 columns mixing a 10-dimensional Gaussian latent factor, uniform noise and a few
//! heavy-tailed columns, seeded, so all three scalers see realistic marginals.

use criterion::{criterion_group, criterion_main, Criterion};
use potential_data::Features;
use potential_train::detector::{Detector, DetectorConfig};
use rand::{rngs::StdRng, RngExt, SeedableRng};
use std::hint::black_box;
use std::ops::ControlFlow;
use std::time::Duration;

const N: usize = 10_000;
const D: usize = 100;

fn table() -> Features {
    let mut rng = StdRng::seed_from_u64(5);
    let mix: Vec<f32> = (0..10 * D).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    let mut x = Vec::with_capacity(N * D);
    for _ in 0..N {
        let z: Vec<f32> =
            (0..10).map(|_| rng.random_range(-1.0f32..1.0) + rng.random_range(-1.0f32..1.0)).collect();
        for j in 0..D {
            let mut v: f32 =
                (0..10).map(|k| z[k] * mix[k * D + j]).sum::<f32>() + 0.1 * rng.random_range(-1.0f32..1.0);
            if j % 17 == 0 {
                v = v.exp(); // heavy right tail
            }
            x.push(v);
        }
    }
    Features::from_vec(x, N, D).expect("shape")
}

fn bench_detector(c: &mut Criterion) {
    let x = table();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("pool");
    let mut g = c.benchmark_group("detector");
    g.sample_size(10).measurement_time(Duration::from_secs(40)).warm_up_time(Duration::from_secs(1));
    g.bench_function("fit+score/10000x100/t2", |b| {
        b.iter(|| {
            pool.install(|| {
                let det =
                    Detector::fit(&x, &DetectorConfig::default(), &mut |_, _| ControlFlow::Continue(()))
                        .expect("fit");
                black_box(det.outlier_scores(x.as_slice()).expect("score"))
            })
        })
    });
    g.finish();
}

criterion_group!(benches, bench_detector);
criterion_main!(benches);
