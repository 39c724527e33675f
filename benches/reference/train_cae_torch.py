#!/usr/bin/env python3
"""PyTorch (CPU) reference for the `train/cae/784x500/b100/t{threads}` criterion bench.

Usage: python3 benches/reference/train_cae_torch.py [--threads 1 2] [--epochs 3] [--steps 600] [--autograd]

Same model, objective, data and schedule as train_cae_numpy.py (contractive autoencoder 784 -> 500
sigmoid, real output, ½‖r − x‖² + λ Σₖ σ′(uₖ)²‖wₖ‖², λ = 0.5, batch 100, momentum 0.9, lr 0.01), with
hand-written gradients (the five products of potential-train's `Workspace::gradient`) or, with
--autograd, the same loss differentiated by torch.autograd. Threads: torch.set_num_threads.
Prints the median wall-clock seconds per epoch (and the median process CPU time, which is less
sensitive to other processes on a shared machine) (600 steps) over --epochs timed epochs after a 50-step warm-up.
"""
import argparse
import os
import statistics
import time

import numpy as np
import torch


def load_mnist():
    roots = []
    if os.environ.get("POTENTIAL_DATASETS"):
        roots.append(os.environ["POTENTIAL_DATASETS"])
    d = os.path.dirname(os.path.abspath(__file__))
    for _ in range(6):
        roots.append(os.path.join(d, "shared", "datasets"))
        d = os.path.dirname(d)
    for r in roots:
        p = os.path.join(r, "mnist", "train-images-idx3-ubyte")
        if os.path.isfile(p):
            raw = np.fromfile(p, dtype=np.uint8)
            return torch.from_numpy(raw[16:].reshape(60000, 784).astype(np.float32) / 255.0), p
    g = torch.Generator().manual_seed(0)
    return torch.rand(60000, 784, generator=g), "random"


@torch.no_grad()
def epoch_manual(x, st, steps, n, lam, lr, mom, g):
    w, bh, br, vw, vbh, vbr = st
    order = torch.randperm(x.shape[0], generator=g)
    loss = 0.0
    for s in range(steps):
        xb = x[order[s * n:(s + 1) * n]]
        h = torch.sigmoid(torch.addmm(bh, xb, w.t()))
        gp = h * (1.0 - h)
        norms = (w * w).sum(dim=1)
        delta = torch.addmm(br, h, w)
        delta -= xb
        g2 = gp * gp
        loss += 0.5 * float((delta * delta).sum()) + lam * float((g2 @ norms).sum())
        dl = delta @ w.t()
        dl *= gp
        dl += (2.0 * lam) * g2 * (1.0 - 2.0 * h) * norms
        gw = h.t() @ delta
        gw.addmm_(dl.t(), xb)
        gw /= n
        gw += ((2.0 * lam / n) * g2.sum(dim=0))[:, None] * w
        vw.mul_(mom).sub_(lr * gw)
        w += vw
        vbh.mul_(mom).sub_(lr * dl.sum(dim=0) / n)
        bh += vbh
        vbr.mul_(mom).sub_(lr * delta.sum(dim=0) / n)
        br += vbr
    return loss / (steps * n)


def epoch_autograd(x, st, steps, n, lam, lr, mom, g):
    w, bh, br, vw, vbh, vbr = st
    params = [w, bh, br]
    vel = [vw, vbh, vbr]
    order = torch.randperm(x.shape[0], generator=g)
    loss_sum = 0.0
    for s in range(steps):
        xb = x[order[s * n:(s + 1) * n]]
        h = torch.sigmoid(torch.addmm(bh, xb, w.t()))
        r = torch.addmm(br, h, w)
        gp = h * (1.0 - h)
        loss = 0.5 * ((r - xb) ** 2).sum() + lam * ((gp * gp) @ (w * w).sum(dim=1)).sum()
        for p in params:
            p.grad = None
        (loss / n).backward()
        with torch.no_grad():
            for p, v in zip(params, vel):
                v.mul_(mom).sub_(lr * p.grad)
                p += v
        loss_sum += float(loss.detach())
    return loss_sum / (steps * n)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--autograd", action="store_true")
    args = ap.parse_args()
    x, src = load_mnist()
    print(f"data: {src}; torch {torch.__version__}; {'autograd' if args.autograd else 'hand-written gradients'}")
    hidden, visible, n = 500, 784, 100
    run = epoch_autograd if args.autograd else epoch_manual
    for t in args.threads:
        torch.set_num_threads(t)
        g = torch.Generator().manual_seed(0)
        scale = 4.0 * (6.0 / (hidden + visible)) ** 0.5
        w = (torch.rand(hidden, visible, generator=g) * 2 - 1) * scale
        st = [w, torch.zeros(hidden), torch.zeros(visible), torch.zeros_like(w),
              torch.zeros(hidden), torch.zeros(visible)]
        if args.autograd:
            for p in st[:3]:
                p.requires_grad_(True)
        run(x, st, 50, n, 0.5, 0.01, 0.9, g)
        times, cpu = [], []
        for _ in range(args.epochs):
            t0, c0 = time.perf_counter(), time.process_time()
            loss = run(x, st, args.steps, n, 0.5, 0.01, 0.9, g)
            times.append((time.perf_counter() - t0) * 600 / args.steps)
            cpu.append((time.process_time() - c0) * 600 / args.steps)
        print(f"train/cae/784x500/b100/t{t}: median {statistics.median(times):.3f} s/epoch "
              f"(runs: {', '.join(f'{v:.3f}' for v in times)}; CPU time median {statistics.median(cpu):.3f} s/epoch; "
              f"last loss {loss:.4f})")


if __name__ == "__main__":
    main()
