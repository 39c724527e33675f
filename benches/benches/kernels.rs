//! Kernel benchmarks: `gemm/{m}x{k}x{n}/t{threads}`, `gemm/packed/{m}x{k}x{n}/t{threads}` (B packed
//! once beforehand with `PackedB`, so the call skips packing it) and `act/{op}/{simd,scalar}`.
//!
//! gemm throughput is in FLOP (2·m·k·n per product), so criterion's "elem/s" reads as FLOP/s; compare
//! with `python3 benches/reference/gemm_numpy.py` (NumPy/OpenBLAS on the same shapes and threads).
//! Threads: `t1` runs `Parallelism::Sequential`, `t2` runs `Parallelism::Rayon(2)` inside a two-thread
//! rayon pool. The act benches map 10⁷ f32 once per iteration: `simd` is `potential_kernels::map` on the
//! process's SIMD path (AVX2+FMA here unless `POTENTIAL_FORCE_PORTABLE=1`), `scalar` a plain `std` loop
//! over the `reference` functions.
//!
//! `maps/{case}/{w16,w8}`: the maps one CAE step runs, at its sizes (minibatch 100, 784→500), so
//! they sit in L2 as in training: `bias_act-sigmoid-dh/100x500` (pass A's u + b, h, h′),
//! `sigmoid/100x784` and `softplus/100x784` (pass B's cross-entropy maps). `w16` runs the 16-lane
//! AVX-512 forms (`paths::set_maps_avx512(true)`, the default where the CPU has AVX-512 F), `w8`
//! the 8-lane AVX2 forms; both give the same bits (`tests/avx512_maps.rs`). Skipped, with a note,
//! where the CPU lacks AVX-512 F.
//!
//! `gemm-after-idle/100x784x500/t2/{warm,idle10ms}`: the same two-thread product, timed call by call
//! on the wall clock (whatever `POTENTIAL_BENCH_CLOCK` says: the point is the second thread's
//! wake-up), back to back (`warm`) or each after a 10 ms sleep that is not timed (`idle10ms`); the
//! target is idle within 5 % of warm. The second piece runs on the kernels' spin-then-park helper
//! thread (`POTENTIAL_SPIN_MS`, default 20; `POTENTIAL_SPIN_MS=0` parks at once, for comparison).
//! The one-thread pair `…/t1/{warm,idle10ms}` is the control: what a 10 ms sleep costs the calling
//! thread alone (caches, clock, the virtual CPU's wake-up), with no second thread to wake.
//! `…/t2/busy10ms` waits the same 10 ms spinning instead of sleeping, so the calling thread's
//! virtual CPU never halts while the helper's wait is the same: where it matches `warm` and
//! `idle10ms` does not, the difference is the host's cost of waking a halted virtual CPU, not the
//! helper.
//!
//! Clock: wall time, or with `POTENTIAL_BENCH_CLOCK=thread-cpu` the CPU time of the timing thread
//! (`common/clock.rs`) — the fair one-thread comparison on a shared machine, against
//! `gemm_numpy.py --cpu-time`; `t2` figures need the wall clock on an idle machine.

#[path = "common/clock.rs"]
mod clock;

use clock::Clock;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use potential_kernels::{
    gemm, gemm_packed, map, paths, reference, ActivationKind, MatMut, MatRef, PackedB, Parallelism, SimdPath,
    UnaryOp,
};
use rand::{rngs::StdRng, RngExt, SeedableRng};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// A benchmarked activation: id, SIMD op, scalar `std` baseline.
type ActCase = (&'static str, UnaryOp, fn(f32) -> f32);

const SHAPES: [(usize, usize, usize); 4] =
    [(100, 784, 500), (100, 500, 784), (500, 100, 784), (60000, 784, 500)];

fn random(n: usize, lo: f32, hi: f32, seed: u64) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(lo..hi)).collect()
}

fn bench_gemm(c: &mut Criterion<Clock>) {
    let mut g = c.benchmark_group("gemm");
    for &(m, k, n) in &SHAPES {
        let a = random(m * k, -1.0, 1.0, 1);
        let b = random(k * n, -1.0, 1.0, 2);
        let mut out = vec![0.0f32; m * n];
        // Check once before timing: one row against a dot-product loop.
        gemm(
            1.0,
            MatRef::from_row_major(&a, m, k),
            MatRef::from_row_major(&b, k, n),
            0.0,
            MatMut::from_row_major(&mut out, m, n),
            Parallelism::Rayon(2),
        );
        for j in (0..n).step_by(97) {
            let want: f64 = (0..k).map(|p| a[(m / 2) * k + p] as f64 * b[p * n + j] as f64).sum();
            assert!((out[(m / 2) * n + j] as f64 - want).abs() < 1e-3 * (1.0 + want.abs()), "gemm check");
        }
        g.throughput(Throughput::Elements((2 * m * k * n) as u64));
        if m >= 10_000 {
            g.sample_size(10).measurement_time(Duration::from_secs(20)).warm_up_time(Duration::from_secs(2));
        } else {
            g.sample_size(50).measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
        }
        for threads in [1usize, 2] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("rayon pool");
            let par = if threads == 1 { Parallelism::Sequential } else { Parallelism::Rayon(threads) };
            g.bench_function(BenchmarkId::new(format!("{m}x{k}x{n}"), format!("t{threads}")), |bch| {
                pool.install(|| {
                    bch.iter(|| {
                        gemm(
                            1.0,
                            MatRef::from_row_major(black_box(&a), m, k),
                            MatRef::from_row_major(black_box(&b), k, n),
                            0.0,
                            MatMut::from_row_major(&mut out, m, n),
                            par,
                        );
                        black_box(&mut out);
                    })
                })
            });
            // The same product with B packed once beforehand (`gemm_packed`): the difference is
            // what packing B costs on each call.
            if m < 10_000 {
                let packed = PackedB::new(MatRef::from_row_major(&b, k, n));
                g.bench_function(
                    BenchmarkId::new(format!("packed/{m}x{k}x{n}"), format!("t{threads}")),
                    |bch| {
                        pool.install(|| {
                            bch.iter(|| {
                                gemm_packed(
                                    1.0,
                                    MatRef::from_row_major(black_box(&a), m, k),
                                    black_box(&packed),
                                    0.0,
                                    MatMut::from_row_major(&mut out, m, n),
                                    par,
                                );
                                black_box(&mut out);
                            })
                        })
                    },
                );
            }
        }
    }
    g.finish();
}

fn bench_act(c: &mut Criterion<Clock>) {
    const N: usize = 10_000_000;
    let src = random(N, -10.0, 10.0, 3);
    let mut dst = vec![0.0f32; N];
    let mut g = c.benchmark_group("act");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(20).measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    let ops: [ActCase; 4] = [
        ("sigmoid", UnaryOp::Sigmoid, reference::sigmoid),
        ("softplus", UnaryOp::Softplus, reference::softplus),
        ("tanh", UnaryOp::Tanh, f32::tanh),
        ("logcosh", UnaryOp::LogCosh, reference::log_cosh),
    ];
    for (name, op, scalar) in ops {
        // Check once before timing: the SIMD map agrees with the scalar loop.
        map(op, &src, &mut dst);
        for i in (0..N).step_by(9973) {
            let want = scalar(src[i]);
            assert!(
                (dst[i] - want).abs() <= 1e-6 * want.abs().max(1.0),
                "{name}({}) = {} vs {want}",
                src[i],
                dst[i]
            );
        }
        g.bench_function(BenchmarkId::new(name, "simd"), |bch| {
            bch.iter(|| map(op, black_box(&src), black_box(&mut dst)))
        });
        g.bench_function(BenchmarkId::new(name, "scalar"), |bch| {
            bch.iter(|| {
                for (d, &s) in black_box(&mut dst).iter_mut().zip(black_box(&src)) {
                    *d = scalar(s);
                }
            })
        });
    }
    g.finish();
}

fn bench_maps(c: &mut Criterion<Clock>) {
    if !SimdPath::Avx2Fma.is_supported() || !paths::set_maps_avx512(true) {
        eprintln!(
            "skipped: maps/*: this CPU lacks AVX-512 F (or AVX2/FMA), so there is no 16-lane form to compare"
        );
        return;
    }
    let path = SimdPath::Avx2Fma;
    let (n, h, d) = (100, 500, 784);
    let u0 = random(n * h, -8.0, 8.0, 5);
    let bias = random(n * h, -1.0, 1.0, 6);
    let a = random(n * d, -8.0, 8.0, 7);
    let (mut u, mut hv, mut dh) = (u0.clone(), vec![0.0f32; n * h], vec![0.0f32; n * h]);
    let mut out = vec![0.0f32; n * d];
    let mut g = c.benchmark_group("maps");
    g.sample_size(50).measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(500));
    for (width, wide) in [("w16", true), ("w8", false)] {
        g.throughput(Throughput::Elements((n * h) as u64));
        g.bench_function(BenchmarkId::new(format!("bias_act-sigmoid-dh/{n}x{h}"), width), |bch| {
            paths::set_maps_avx512(wide);
            bch.iter(|| {
                u.copy_from_slice(&u0);
                paths::bias_act(
                    path,
                    black_box(&mut u),
                    &bias,
                    ActivationKind::Sigmoid,
                    &mut hv,
                    Some(&mut dh),
                )
            })
        });
        g.throughput(Throughput::Elements((n * d) as u64));
        for (name, op) in [("sigmoid", UnaryOp::Sigmoid), ("softplus", UnaryOp::Softplus)] {
            g.bench_function(BenchmarkId::new(format!("{name}/{n}x{d}"), width), |bch| {
                paths::set_maps_avx512(wide);
                bch.iter(|| paths::map(path, op, black_box(&a), black_box(&mut out)))
            });
        }
    }
    paths::set_maps_avx512(true);
    g.finish();
}

fn bench_idle(c: &mut Criterion<Clock>) {
    let (m, k, n) = (100, 784, 500);
    let a = random(m * k, -1.0, 1.0, 1);
    let w = random(n * k, -1.0, 1.0, 2);
    let mut out = vec![0.0f32; m * n];
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("rayon pool");
    let mut g = c.benchmark_group("gemm-after-idle");
    g.throughput(Throughput::Elements((2 * m * k * n) as u64));
    // Few timed calls per sample: each idle call also sleeps 10 ms untimed.
    g.sample_size(20).warm_up_time(Duration::from_millis(200)).measurement_time(Duration::from_millis(400));
    /// What happens between two timed calls.
    #[derive(Clone, Copy)]
    enum Gap {
        None,
        Sleep(Duration),
        Spin(Duration),
    }
    let ten = Duration::from_millis(10);
    let cases = [
        ("t2/warm", Gap::None, Parallelism::Rayon(2)),
        ("t2/idle10ms", Gap::Sleep(ten), Parallelism::Rayon(2)),
        ("t2/busy10ms", Gap::Spin(ten), Parallelism::Rayon(2)),
        ("t1/warm", Gap::None, Parallelism::Sequential),
        ("t1/idle10ms", Gap::Sleep(ten), Parallelism::Sequential),
    ];
    for (name, gap, par) in cases {
        g.bench_function(format!("{m}x{k}x{n}/{name}"), |bch| {
            pool.install(|| {
                bch.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        match gap {
                            Gap::None => {}
                            Gap::Sleep(d) => std::thread::sleep(d),
                            Gap::Spin(d) => {
                                let t = Instant::now();
                                while t.elapsed() < d {
                                    std::hint::spin_loop();
                                }
                            }
                        }
                        let t0 = Instant::now();
                        gemm(
                            1.0,
                            MatRef::from_row_major(black_box(&a), m, k),
                            MatRef::from_row_major(black_box(&w), n, k).t(),
                            0.0,
                            MatMut::from_row_major(&mut out, m, n),
                            par,
                        );
                        total += t0.elapsed();
                    }
                    black_box(&mut out);
                    total
                })
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(Clock::from_env());
    targets = bench_gemm, bench_act, bench_maps, bench_idle
}
criterion_main!(benches);
