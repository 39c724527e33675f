//! Data benchmarks: `data/idx_load` (MNIST train images, raw IDX → f32 [60000, 784] in [0, 1]) and
//! `data/minibatch_gather` (shuffled minibatches of 128 MNIST rows gathered into a reused buffer).
//! Both need ../shared/datasets/mnist; without it they print `skipped: …` and measure nothing.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use potential_data::{read_idx_images, read_idx_labels, shared_data, Minibatches};
use std::hint::black_box;

fn idx_load(c: &mut Criterion) {
    let Some(path) = shared_data("mnist/train-images-idx3-ubyte") else { return };
    let bytes = std::fs::metadata(&path).unwrap().len();
    // Checked once before timing: the right shape and scaling.
    let f = read_idx_images(&path).unwrap();
    assert_eq!((f.n(), f.d()), (60000, 784));
    assert_eq!(f.value_range(), Some((0.0, 1.0)));
    let mut g = c.benchmark_group("data");
    g.sample_size(20);
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("idx_load", |b| b.iter(|| read_idx_images(black_box(&path)).unwrap()));
    g.finish();
}

fn minibatch_gather(c: &mut Criterion) {
    let Some(path) = shared_data("mnist/train-images-idx3-ubyte") else { return };
    let f = read_idx_images(&path).unwrap();
    let labels = read_idx_labels(path.with_file_name("train-labels-idx1-ubyte")).unwrap();
    const BATCH: usize = 128;
    let mut mb = Minibatches::new(&f, Some(&labels), BATCH, 1).unwrap();
    {
        let b = mb.next_batch().unwrap();
        assert_eq!(&b.x[..784], f.row(b.indices[0]));
    }
    let mut g = c.benchmark_group("data");
    g.throughput(Throughput::Bytes((BATCH * f.d() * 4) as u64));
    g.bench_function("minibatch_gather", |b| {
        b.iter(|| {
            // One batch per iteration; the reshuffle at each epoch end is part of the cost.
            if mb.next_batch().map(|b| black_box(b.x[0])).is_none() {
                mb.next_epoch();
            }
        })
    });
    g.finish();
}

criterion_group!(benches, idx_load, minibatch_gather);
criterion_main!(benches);
