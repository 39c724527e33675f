"""No input copy for C-contiguous float32, and the GIL is released around the Rust computation."""

import threading
import time
import tracemalloc

import numpy as np
from conftest import blobs

from potential import EnergyDetector
from potential._validation import plain_rows


def test_c_contiguous_float32_is_passed_through_and_read_in_place():
    X = blobs(20000, 64, seed=0)
    det = EnergyDetector(epochs=1, hidden=8, random_state=0).fit(X[:500])
    # The conversion hands the same buffer to the Rust core.
    assert plain_rows(X) is X or plain_rows(X).__array_interface__["data"][0] == X.__array_interface__["data"][0]
    det.score_samples(X[:10])  # warm up
    tracemalloc.start()
    try:
        det.score_samples(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # NumPy reports its allocations to tracemalloc: a copy of X would be X.nbytes (5 MB); the
    # scores are 20000 float64 (160 kB).
    assert peak < X.nbytes / 10, f"peak {peak} bytes of NumPy allocations for a {X.nbytes}-byte input"
    # A float64 input is converted (one float32 copy), as check_array does.
    tracemalloc.start()
    try:
        det.score_samples(X.astype(np.float64))
        _, peak64 = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak64 > X.nbytes


def test_the_gil_is_released_while_rust_fits():
    X = blobs(2000, 32, seed=1)
    ticks = []
    done = threading.Event()

    def fit():
        EnergyDetector(epochs=60, random_state=0).fit(X)
        done.set()

    t = threading.Thread(target=fit)
    t0 = time.perf_counter()
    t.start()
    while not done.is_set():
        ticks.append(time.perf_counter())
        time.sleep(0.001)
    t.join()
    elapsed = time.perf_counter() - t0
    assert elapsed > 0.3, "the fit was too short to tell"
    # Python kept running beside the fit: ticks all along, no gap of more than a fraction of it.
    gaps = np.diff([t0, *ticks, time.perf_counter()])
    assert len(ticks) > 50 and gaps.max() < 0.25 * elapsed, (len(ticks), gaps.max(), elapsed)
