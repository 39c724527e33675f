#!/usr/bin/env python3
"""NumPy/OpenBLAS sgemm reference for the `gemm/{m}x{k}x{n}/t{threads}` criterion benches.

Usage: python3 benches/reference/gemm_numpy.py [--repeats R]

Prints one line per shape and thread count: the median GFLOP/s (2·m·k·n flops per product) of
`np.matmul(a, b, out=c)` on row-major float32 matrices, the same product the Rust bench times
(C ← A·B, A m×k, B k×n). Threads are set with threadpoolctl (equivalently OPENBLAS_NUM_THREADS).
Compare with `cargo bench -p potential-benches --bench kernels -- gemm/`.
"""
import argparse
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

SHAPES = [(100, 784, 500), (100, 500, 784), (500, 100, 784), (60000, 784, 500)]


def bench(m, k, n, threads, repeats, clock=time.perf_counter):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    c = np.empty((m, n), dtype=np.float32)
    flops = 2.0 * m * k * n
    # Enough products per sample for ≈ 0.2 s, at least one.
    with threadpool_limits(limits=threads, user_api="blas"):
        np.matmul(a, b, out=c)
        t0 = clock()
        np.matmul(a, b, out=c)
        one = clock() - t0
        iters = max(1, int(0.2 / max(one, 1e-6)))
        rates = []
        for _ in range(repeats):
            t0 = clock()
            for _ in range(iters):
                np.matmul(a, b, out=c)
            dt = (clock() - t0) / iters
            rates.append(flops / dt / 1e9)
    return statistics.median(rates), min(rates), max(rates)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--shapes", default="all", help="'all', 'small' (skip 60000x784x500) or one 'MxKxN'")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument(
        "--cpu-time",
        action="store_true",
        help="time by this thread's CPU time (for one thread on a loaded machine) instead of wall time",
    )
    args = ap.parse_args()
    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    print(f"numpy {np.__version__}; BLAS: " + ", ".join(f"{i['internal_api']} {i.get('version')}" for i in blas))
    print(f"{'id':<28} {'median GFLOP/s':>15} {'min':>8} {'max':>8}")
    for m, k, n in SHAPES:
        if args.shapes == "small" and m == 60000:
            continue
        if args.shapes not in ("all", "small") and args.shapes != f"{m}x{k}x{n}":
            continue
        for t in (int(x) for x in args.threads.split(",")):
            clock = time.thread_time if args.cpu_time else time.perf_counter
            med, lo, hi = bench(m, k, n, t, args.repeats if m < 60000 else max(3, args.repeats // 2), clock)
            print(f"gemm/{m}x{k}x{n}/t{t:<10} {med:>15.1f} {lo:>8.1f} {hi:>8.1f}", flush=True)


if __name__ == "__main__":
    main()
