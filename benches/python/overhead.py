#!/usr/bin/env python3
"""The overhead of the Python layer: scoring 10000 MNIST rows with ``EnergyDetector.score_samples``
against the Rust library call it wraps (``Detector::outlier_scores``), on the same detector file
and the same rows. The target of the Python issue: Python within 5 % of Rust.

Needs the package installed (``pip install ./crates/potential-py``) and cargo (it builds the
``score-timing`` binary of benches/ in release). Reads the MNIST test images from
``$POTENTIAL_DATASETS/mnist`` (default ../shared/datasets, beside the repository); with
``--synthetic``, or when they are absent, uses 10000 random sparse 28 x 28 images instead (said in
the output). Prints one JSON line; exits 1 if the two sides' scores differ, and with ``--check``
also if the overhead exceeds 5 %.

    python3 benches/python/overhead.py --repeats 20
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def mnist_test_images(path):
    """The 10000 MNIST test images, [10000, 784] float32 in [0, 1], from the IDX file."""
    raw = Path(path).read_bytes()
    n, h, w = np.frombuffer(raw[4:16], dtype=">u4")
    return np.frombuffer(raw[16:], dtype=np.uint8).reshape(n, h * w).astype(np.float32) / 255


def synthetic_images(n=10000, seed=0):
    """``n`` sparse 28 x 28 images: a random blob of lit pixels on a dark background."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:28, 0:28]
    cy, cx = rng.uniform(8, 20, size=(2, n, 1, 1))
    img = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / rng.uniform(8, 30, size=(n, 1, 1)))
    img[img < 0.1] = 0
    return np.ascontiguousarray(img.reshape(n, 784), dtype=np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=10, help="timed calls per side (after one warm-up)")
    ap.add_argument("--synthetic", action="store_true", help="random images instead of MNIST")
    ap.add_argument("--check", action="store_true", help="exit 1 when Python is more than 5 %% slower")
    ap.add_argument("--record", metavar="JSONL", help="also append the report, with command, commit, date and "
                    "wall time, to this JSON-lines file (results/python-overhead.jsonl)")
    a = ap.parse_args()
    started = time.perf_counter()

    from potential import EnergyDetector

    mnist = Path(os.environ.get("POTENTIAL_DATASETS", ROOT.parent / "shared" / "datasets")) / "mnist"
    images = mnist / "t10k-images-idx3-ubyte"
    if a.synthetic or not images.exists():
        X, source = synthetic_images(), "synthetic 28x28 images" + ("" if a.synthetic else f" ({images} is absent)")
    else:
        X, source = mnist_test_images(images), str(images)
    assert X.shape == (10000, 784) and X.dtype == np.float32 and X.flags.c_contiguous

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # The detector of the defaults (min-max view, 512 relu hiddens); one epoch on 2000 rows:
        # its quality does not matter here, its shape does.
        det = EnergyDetector(epochs=1, random_state=0).fit(X[:2000])
        det.save(tmp / "det.safetensors")
        np.save(tmp / "x.npy", X)
        subprocess.run(["cargo", "build", "-q", "--release", "-p", "potential-benches", "--bin", "score-timing"],
                       cwd=ROOT, check=True)
        target = Path(json.loads(subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"],
                                                cwd=ROOT, check=True, capture_output=True, text=True).stdout)
                      ["target_directory"])
        rust = json.loads(subprocess.run(
            [target / "release" / "score-timing", tmp / "det.safetensors", tmp / "x.npy", str(a.repeats),
             tmp / "scores.npy"], check=True, capture_output=True, text=True).stdout)
        rust_scores = np.load(tmp / "scores.npy")

    det.score_samples(X)  # warm-up, as the Rust side
    py = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        scores = det.score_samples(X)
        py.append(time.perf_counter() - t0)
    same = bool(np.array_equal(-scores, rust_scores))
    r, p = statistics.median(rust["seconds"]), statistics.median(py)
    report = {
        "data": source,
        "rows": len(X),
        "repeats": a.repeats,
        "threads": rust["threads"],
        "rust_median_s": r,
        "python_median_s": p,
        "rust_min_s": min(rust["seconds"]),
        "python_min_s": min(py),
        "overhead_percent": 100 * (p - r) / r,
        "same_scores": same,
    }
    print(json.dumps(report))
    if a.record:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()
        record = {"experiment": "python-overhead",
                  "command": "python3 benches/python/overhead.py " + " ".join(sys.argv[1:]),
                  "commit": commit, **report, "wall_seconds": round(time.perf_counter() - started, 2),
                  "load_average_1m": os.getloadavg()[0],
                  "date": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())}
        with open(a.record, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
    if not same:
        print("the Python and Rust scores differ", file=sys.stderr)
        return 1
    if a.check and report["overhead_percent"] > 5:
        print(f"overhead {report['overhead_percent']:.1f} % > 5 %", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
