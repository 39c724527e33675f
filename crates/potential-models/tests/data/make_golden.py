#!/usr/bin/env python3
"""Golden fixtures for potential-models, computed independently with NumPy in float64.

Writes, beside this script:
  golden-{activation}-{output}.safetensors  one small tied autoencoder per activation x output kind,
                                            serialised here by hand in the DESIGN.md layout
  golden.json                               inputs and expected energy, reconstruction error,
                                            vector field, Laplacian and contraction per model

Formulas (paper/NOTES.md): u = W x + b_h,
  real:   r = W^T h(u) + b_r,        E = sum_k H(u_k) - 1/2 |x - b_r|^2,       field = r - x,
          Laplacian = sum_k h'(u_k)|w_k|^2 - D
  binary: r = sigmoid(W^T h(u) + b_r), E = sum_k H(u_k) + b_r.x - sum_j [x log x + (1-x) log(1-x)],
          field = W^T h(u) + b_r - logit(x),   Laplacian = sum_k h'(u_k)|w_k|^2 - sum_j 1/(x_j(1-x_j))
  contraction = sum_k h'(u_k)^2 |w_k|^2;  reconstruction error = |r - x|^2.
Softplus (not in the paper) has H(u) = -Li2(-e^u) (H(-inf) = 0), from SciPy's Cephes dilogarithm:
Li2(z) = spence(1 - z). Its cases come last, so the fixtures of the paper's seven are unchanged.
Run: python3 make_golden.py   (deterministic: fixed seed; needs numpy and scipy)
"""
import json
import os
import struct

import numpy as np
from scipy.special import spence

HERE = os.path.dirname(os.path.abspath(__file__))


def sig(v):
    return 0.5 * (1.0 + np.tanh(0.5 * v))  # exact logistic, no overflow


ACTS = {
    # name: (h, h', H)
    "sigmoid": (sig, lambda u: sig(u) * (1 - sig(u)), lambda u: np.logaddexp(0.0, u)),
    "tanh": (np.tanh, lambda u: 1 - np.tanh(u) ** 2, lambda u: np.logaddexp(u, -u) - np.log(2.0)),
    "linear": (lambda u: u, lambda u: np.ones_like(u), lambda u: u * u / 2),
    "square": (lambda u: u * u, lambda u: 2 * u, lambda u: u ** 3 / 3),
    "relu": (lambda u: np.maximum(u, 0), lambda u: (u > 0).astype(float), lambda u: np.maximum(u, 0) ** 2 / 2),
    "modulus": (np.abs, np.sign, lambda u: u * np.abs(u) / 2),
    "synchrony": (
        lambda u: u * sig(u * u),
        lambda u: sig(u * u) + 2 * u * u * sig(u * u) * (1 - sig(u * u)),
        lambda u: np.logaddexp(0.0, u * u) / 2,
    ),
    "softplus": (lambda u: np.logaddexp(0.0, u), sig, lambda u: -spence(1.0 + np.exp(u))),
}


def write_safetensors(path, tensors, meta):
    """tensors: list of (name, float32 array); the layout of the safetensors spec, keys sorted."""
    header = {"__metadata__": meta}
    off = 0
    blobs = []
    for name, arr in sorted(tensors):
        b = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def main():
    rng = np.random.default_rng(20150601)
    cases = []
    for act, (h, dh, big_h) in ACTS.items():
        for out in ("real", "binary"):
            hid, vis, n = int(rng.integers(2, 6)), int(rng.integers(3, 8)), 6
            w = rng.uniform(-0.8, 0.8, (hid, vis)).astype(np.float32)
            bh = rng.uniform(-0.5, 0.5, hid).astype(np.float32)
            br = rng.uniform(-0.5, 0.5, vis).astype(np.float32)
            if out == "real":
                x = rng.uniform(-2, 2, (n, vis)).astype(np.float32)
            else:
                x = rng.uniform(0.05, 0.95, (n, vis)).astype(np.float32)
            W, BH, BR, X = (a.astype(np.float64) for a in (w, bh, br, x))
            U = X @ W.T + BH
            A = h(U) @ W + BR
            norms = (W * W).sum(axis=1)
            if out == "real":
                R = A
                E = big_h(U).sum(axis=1) - 0.5 * ((X - BR) ** 2).sum(axis=1)
                F = R - X
                L = dh(U) @ norms - vis
            else:
                R = sig(A)
                ent = (X * np.log(X) + (1 - X) * np.log(1 - X)).sum(axis=1)
                E = big_h(U).sum(axis=1) + X @ BR - ent
                F = A - np.log(X / (1 - X))
                L = dh(U) @ norms - (1 / (X * (1 - X))).sum(axis=1)
            C = dh(U) ** 2 @ norms
            RE = ((R - X) ** 2).sum(axis=1)
            fname = f"golden-{act}-{out}.safetensors"
            prov = json.dumps({"generator": "make_golden.py", "seed": 20150601})
            write_safetensors(
                os.path.join(HERE, fname),
                [("weight", w), ("hidden_bias", bh), ("visible_bias", br)],
                {"format": "potential.tied-autoencoder", "activation": act, "output": out, "provenance": prov},
            )
            cases.append({
                "file": fname, "activation": act, "output": out, "hidden": hid, "visible": vis,
                "x": x.astype(np.float64).tolist(), "energy": E.tolist(), "reconstruction_error": RE.tolist(),
                "vector_field": F.tolist(), "laplacian": L.tolist(), "contraction": C.tolist(),
            })
    with open(os.path.join(HERE, "golden.json"), "w") as f:
        json.dump({"generator": "make_golden.py", "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
