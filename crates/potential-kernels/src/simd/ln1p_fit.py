#!/usr/bin/env python3
"""Fit of the ln1p polynomial in `simd/mod.rs` (`ln1p_pos`): q(y) ≈ ln(1 + y)/y on [0, 1].

Minimax in relative error by Lawson's iteratively reweighted least squares on 4000 Chebyshev
nodes, monomial basis (the interval is [0, 1], so Horner's rule is well conditioned). Prints, per
degree, the minimax relative error of the exact polynomial, the coefficients rounded to float32,
and the largest error in ulp of y·q(y) evaluated in float32 with FMA (emulated: each Horner step
rounded once from float64) against float64 log1p, over 2·10⁶ random y, powers of two down to
2⁻¹⁴⁹ and y = 1. The kernel uses degree 9.

Usage: python3 crates/potential-kernels/src/simd/ln1p_fit.py   (needs numpy)
"""
import numpy as np


def fit(deg, nodes=4000, iters=200):
    t = (1 - np.cos(np.pi * (np.arange(nodes) + 0.5) / nodes)) / 2
    f = np.where(t == 0, 1.0, np.log1p(t) / np.where(t == 0, 1.0, t))
    w = np.ones(nodes)
    v = np.vander(t, deg + 1, increasing=True)
    for _ in range(iters):
        sw = np.sqrt(w)[:, None]
        c, *_ = np.linalg.lstsq(v * sw / f[:, None], np.sqrt(w), rcond=None)
        e = (v @ c - f) / f
        w = w * np.abs(e)
        w /= w.sum()
    return c, np.abs(e).max()


def f32_error_ulp(c32):
    y = np.random.default_rng(0).random(2_000_000).astype(np.float32)
    y = np.concatenate([y, np.float32(2.0) ** -np.arange(0, 150).astype(np.float32), np.ones(1, np.float32)])
    q = np.full(y.shape, c32[-1], np.float32)
    for a in c32[-2::-1]:
        q = (q.astype(np.float64) * y + np.float64(a)).astype(np.float32)
    r = (q.astype(np.float64) * y).astype(np.float32)
    exact = np.log1p(y.astype(np.float64))
    ok = exact > 0
    ulp = np.spacing(exact.astype(np.float32)).astype(np.float64)
    return (np.abs(r[ok] - exact[ok]) / ulp[ok]).max()


if __name__ == "__main__":
    for deg in (8, 9, 10):
        c, rel = fit(deg)
        c32 = c.astype(np.float32)
        print(f"degree {deg}: minimax relative error {rel:.3g}, float32 max error {f32_error_ulp(c32):.2f} ulp")
        print("  coefficients (y⁰ first):", ", ".join(repr(float(x)) for x in c32))
