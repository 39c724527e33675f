//! Energy benchmarks: `energy/{activation}/784x500/n10000/t{1,2}` and the baseline
//! `energy/gemm-only/784x500/n10000/t{1,2}`.
//!
//! The energy of n = 10 000 samples under a 784→500 tied autoencoder (real output) is one gemm
//! X·Wᵀ per block of rows plus a fused pass (bias, Σₖ H(uₖ), ½‖x − b_r‖²). The `gemm-only` baseline is
//! that product alone, `potential_kernels::gemm` on the whole [10000, 784] × [784, 500] with
//! `Parallelism::Sequential` (t1) or `Rayon(2)` (t2). Throughput is in samples, so the ratio of the
//! samples/s of `energy/*` to `energy/gemm-only` at the same thread count is the fraction of bare gemm
//! speed reached (target ≥ 85%). Threads: each bench runs inside a rayon pool of t threads.
//!
//! `energy/gemm-only-blocked/784x500/n10000/t{1,2}` is the same product computed the way the energy
//! computes it — 1024-row blocks (the block size of `potential-models`), each a sequential gemm, blocks
//! in parallel on the pool — so `energy/*` against it isolates the cost of the elementwise pass
//! (the blocked product is faster than one big gemm here: its output block stays in cache).
//!
//! bf16 (`Precision::Bf16`, the encoder product from bf16-rounded x and W with `f32` accumulation):
//! `energy/sigmoid-bf16/784x500/n10000/t{1,2}` against `energy/sigmoid/784x500/n10000/t{1,2}` is the
//! bf16 speed-up of the whole energy (target ≥ 1.6×; W is packed to bf16 inside each call), and
//! `energy/bf16-xwt-{amx,avx512}/784x500/n10000/t1` against `energy/gemm-only-blocked/…/t1` the
//! product alone on each bf16 kernel (1024-row blocks, like the energy). Skipped, with a message, on
//! a CPU without AVX-512 BF16.
//!
//! Clock: wall time, or with `POTENTIAL_BENCH_CLOCK=thread-cpu` the CPU time of the timing thread
//! (`common/clock.rs`), which keeps the `t1` ratios meaningful on a loaded machine (not `t2`).

#[path = "common/clock.rs"]
mod clock;

use clock::Clock;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use potential_activations::ActivationKind;
use potential_kernels::{gemm, Bf16Gemm, Bf16Kernel, Bf16Weights, MatMut, MatRef, Parallelism};
use potential_models::{Output, Precision, TiedAutoencoder};
use rand::{rngs::StdRng, RngExt, SeedableRng};
use std::hint::black_box;
use std::time::Duration;

const N: usize = 10_000;
const D: usize = 784;
const H: usize = 500;

fn random(n: usize, lo: f32, hi: f32, seed: u64) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(lo..hi)).collect()
}

fn bench_energy(c: &mut Criterion<Clock>) {
    let x = random(N * D, 0.0, 1.0, 11); // pixel-like inputs in [0, 1]
    let w = random(H * D, -0.05, 0.05, 12);
    let bh = random(H, -0.5, 0.5, 13);
    let br = random(D, 0.0, 0.5, 14);
    let xv = MatRef::from_row_major(&x, N, D);
    let mut g = c.benchmark_group("energy");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(10).measurement_time(Duration::from_secs(6)).warm_up_time(Duration::from_secs(1));
    let pools: Vec<_> = [1usize, 2]
        .iter()
        .map(|&t| (t, rayon::ThreadPoolBuilder::new().num_threads(t).build().unwrap()))
        .collect();

    const BLOCK: usize = 1024;
    let mut u = vec![0.0f32; N * H];
    for (t, pool) in &pools {
        let par = if *t == 1 { Parallelism::Sequential } else { Parallelism::Rayon(*t) };
        g.bench_function(format!("gemm-only/{D}x{H}/n{N}/t{t}"), |b| {
            pool.install(|| {
                b.iter(|| {
                    gemm(
                        1.0,
                        black_box(xv),
                        MatRef::from_row_major(black_box(&w), H, D).t(),
                        0.0,
                        MatMut::from_row_major(&mut u, N, H),
                        par,
                    );
                    black_box(&mut u);
                })
            })
        });
    }

    for (t, pool) in &pools {
        g.bench_function(format!("gemm-only-blocked/{D}x{H}/n{N}/t{t}"), |b| {
            pool.install(|| {
                b.iter(|| {
                    use rayon::prelude::*;
                    let wt = MatRef::from_row_major(black_box(&w), H, D).t();
                    u.par_chunks_mut(BLOCK * H).enumerate().for_each(|(i, ub)| {
                        let nb = ub.len() / H;
                        gemm(
                            1.0,
                            xv.submatrix(i * BLOCK, 0, nb, D),
                            wt,
                            0.0,
                            MatMut::from_row_major(ub, nb, H),
                            Parallelism::Sequential,
                        );
                    });
                    black_box(&mut u);
                })
            })
        });
    }

    for kernel in Bf16Kernel::ALL {
        let Some(k16) = Bf16Gemm::with_kernel(kernel) else {
            eprintln!("skipped: bf16 kernel {kernel:?} is not supported here");
            continue;
        };
        let name = format!("{kernel:?}").to_lowercase();
        g.bench_function(format!("bf16-xwt-{name}/{D}x{H}/n{N}/t1"), |b| {
            let packed = Bf16Weights::from_rows(MatRef::from_row_major(&w, H, D));
            b.iter(|| {
                for (i, ub) in u.chunks_mut(BLOCK * H).enumerate() {
                    let nb = ub.len() / H;
                    k16.xwt(
                        black_box(xv.submatrix(i * BLOCK, 0, nb, D)),
                        &packed,
                        MatMut::from_row_major(ub, nb, H),
                    );
                }
                black_box(&mut u);
            })
        });
    }

    if Precision::Bf16.is_available() {
        let act = ActivationKind::Sigmoid;
        let m = TiedAutoencoder::new(w.clone(), bh.clone(), br.clone(), act, Output::Real).unwrap();
        let mut out = vec![0.0f64; N];
        let mut out32 = vec![0.0f64; N];
        // Check once before timing: every row within the derived bound of the f32 energy.
        m.energy_batch_into_with(xv, &mut out, Precision::Bf16).unwrap();
        m.energy_batch_into(xv, &mut out32).unwrap();
        for i in (0..N).step_by(97) {
            let bound = m.bf16_energy_error_bound(&x[i * D..(i + 1) * D]).unwrap();
            assert!(
                (out[i] - out32[i]).abs() <= bound,
                "row {i}: bf16 {} vs f32 {} > {bound}",
                out[i],
                out32[i]
            );
        }
        for (t, pool) in &pools {
            g.bench_function(format!("{act}-bf16/{D}x{H}/n{N}/t{t}"), |b| {
                pool.install(|| {
                    b.iter(|| {
                        m.energy_batch_into_with(black_box(xv), &mut out, Precision::Bf16).unwrap();
                        black_box(&mut out);
                    })
                })
            });
        }
    } else {
        eprintln!("skipped: energy/*-bf16 (no AVX-512 BF16 on this CPU)");
    }

    for act in ActivationKind::ALL {
        let m = TiedAutoencoder::new(w.clone(), bh.clone(), br.clone(), act, Output::Real).unwrap();
        let mut out = vec![0.0f64; N];
        // Check once before timing: a few rows against a plain f64 evaluation of Eq. 11.
        m.energy_batch_into(xv, &mut out).unwrap();
        for i in [0, 4321, N - 1] {
            let xi = &x[i * D..(i + 1) * D];
            let hidden: f64 = (0..H)
                .map(|k| {
                    let u = bh[k] as f64 + (0..D).map(|j| w[k * D + j] as f64 * xi[j] as f64).sum::<f64>();
                    act.antiderivative(u as f32) as f64
                })
                .sum();
            let vis: f64 = xi.iter().zip(&br).map(|(&a, &b)| (a as f64 - b as f64).powi(2)).sum();
            let want = hidden - 0.5 * vis;
            assert!((out[i] - want).abs() < 1e-3 * (1.0 + want.abs()), "{act}: energy {} vs {want}", out[i]);
        }
        for (t, pool) in &pools {
            g.bench_function(format!("{act}/{D}x{H}/n{N}/t{t}"), |b| {
                pool.install(|| {
                    b.iter(|| {
                        m.energy_batch_into(black_box(xv), &mut out).unwrap();
                        black_box(&mut out);
                    })
                })
            });
        }
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(Clock::from_env());
    targets = bench_energy
}
criterion_main!(benches);
