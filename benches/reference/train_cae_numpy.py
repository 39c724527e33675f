#!/usr/bin/env python3
"""NumPy/OpenBLAS reference for the `train/cae/784x500/b100/t{threads}` criterion bench.

Usage: python3 benches/reference/train_cae_numpy.py [--threads 1 2] [--epochs 3] [--steps 600]

One epoch = 600 minibatch steps of 100 MNIST images (60000 rows) of the contractive autoencoder
784 -> 500 sigmoid, real (linear) output, squared error ½‖r − x‖², contractive λ = 0.5, momentum 0.9,
lr 0.01: the same objective and the same five matrix products per step as potential-train's
`Workspace::gradient` (hand-written gradients):

    U = X Wᵀ + b_h; H = σ(U); G = H(1 − H)              (gemm 1)
    A = H W + b_r;  δ = A − X                             (gemm 2)
    Δ = (δ Wᵀ) G + 2λ G·G(1 − 2H)·‖w‖²                    (gemm 3)
    ∂W = (Hᵀ δ + Δᵀ X)/n + 2λ/n diag(Σ G²) W              (gemms 4, 5)

Prints the median wall-clock seconds per epoch (and the median process CPU time, which is less
sensitive to other processes on a shared machine) (over --epochs timed epochs after one warm-up of 50 steps) per
thread count. Threads via threadpoolctl (OpenBLAS). MNIST is read from ../shared/datasets/mnist
(or $POTENTIAL_DATASETS/mnist); without it, uniform random data of the same shape is used (timing
does not depend on the values). Compare with
`cargo bench -p potential-benches --bench train` (per-epoch extrapolation printed by the bench).
"""
import argparse
import os
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits


def load_mnist():
    roots = []
    if os.environ.get("POTENTIAL_DATASETS"):
        roots.append(os.environ["POTENTIAL_DATASETS"])
    here = os.path.dirname(os.path.abspath(__file__))
    d = here
    for _ in range(6):
        roots.append(os.path.join(d, "shared", "datasets"))
        d = os.path.dirname(d)
    for r in roots:
        p = os.path.join(r, "mnist", "train-images-idx3-ubyte")
        if os.path.isfile(p):
            raw = np.fromfile(p, dtype=np.uint8)
            return raw[16:].reshape(60000, 784).astype(np.float32) / 255.0, p
    rng = np.random.default_rng(0)
    return rng.random((60000, 784), dtype=np.float32), "random"


def sigmoid(u, out):
    np.negative(u, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.reciprocal(out, out=out)
    return out


def epoch(x, state, steps, batch, lam, lr, mom, rng):
    w, bh, br, vw, vbh, vbr = state
    n = batch
    order = rng.permutation(x.shape[0])
    loss = 0.0
    for s in range(steps):
        xb = x[order[s * n:(s + 1) * n]]
        u = xb @ w.T
        u += bh
        h = sigmoid(u, np.empty_like(u))
        g = h * (1.0 - h)
        norms = np.einsum("ij,ij->i", w, w)
        a = h @ w
        a += br
        delta = a
        delta -= xb
        loss += 0.5 * float(np.einsum("ij,ij->", delta, delta)) + lam * float(((g * g) @ norms).sum())
        dl = delta @ w.T
        dl *= g
        dl += (2.0 * lam) * g * g * (1.0 - 2.0 * h) * norms
        gw = h.T @ delta
        gw += dl.T @ xb
        gw /= n
        gw += ((2.0 * lam / n) * (g * g).sum(axis=0))[:, None] * w
        gbh = dl.sum(axis=0) / n
        gbr = delta.sum(axis=0) / n
        vw *= mom
        vw -= lr * gw
        w += vw
        vbh *= mom
        vbh -= lr * gbh
        bh += vbh
        vbr *= mom
        vbr -= lr * gbr
        br += vbr
    return loss / (steps * n)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--steps", type=int, default=600)
    args = ap.parse_args()
    x, src = load_mnist()
    print(f"data: {src}; numpy {np.__version__}")
    hidden, visible, batch = 500, 784, 100
    for t in args.threads:
        rng = np.random.default_rng(0)
        scale = 4.0 * np.sqrt(6.0 / (hidden + visible))
        w = rng.uniform(-scale, scale, (hidden, visible)).astype(np.float32)
        state = (w, np.zeros(hidden, np.float32), np.zeros(visible, np.float32),
                 np.zeros_like(w), np.zeros(hidden, np.float32), np.zeros(visible, np.float32))
        with threadpool_limits(limits=t, user_api="blas"):
            epoch(x, state, 50, batch, 0.5, 0.01, 0.9, rng)
            times, cpu = [], []
            for _ in range(args.epochs):
                t0, c0 = time.perf_counter(), time.process_time()
                loss = epoch(x, state, args.steps, batch, 0.5, 0.01, 0.9, rng)
                times.append((time.perf_counter() - t0) * 600 / args.steps)
                cpu.append((time.process_time() - c0) * 600 / args.steps)
        print(f"train/cae/784x500/b100/t{t}: median {statistics.median(times):.3f} s/epoch "
              f"(runs: {', '.join(f'{v:.3f}' for v in times)}; CPU time median {statistics.median(cpu):.3f} s/epoch; "
              f"last loss {loss:.4f})")


if __name__ == "__main__":
    main()
