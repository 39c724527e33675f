"""Ctrl-C (SIGINT) stops a long fit with KeyboardInterrupt, in every training loop, and the
interpreter goes on working."""

import signal
import subprocess
import sys
import time

import pytest

SCRIPT = r"""
import sys, time
import numpy as np
from potential import Autoencoder, CSAEClassifier, EnergyDetector

X = np.random.default_rng(0).normal(size=(2000, 32)).astype(np.float32)
y = np.arange(2000) % 4
fits = {
    "detector": lambda: EnergyDetector(epochs=100000).fit(X),
    "csae-pretraining": lambda: CSAEClassifier(pretrain_epochs=100000).fit(X, y),
    "csae-finetuning": lambda: CSAEClassifier(pretrain=False, finetune_epochs=100000).fit(X, y),
    "autoencoder": lambda: Autoencoder(epochs=100000).fit(X),
}
print("started", flush=True)
t0 = time.perf_counter()
try:
    fits[sys.argv[1]]()
    print("finished", flush=True)
except KeyboardInterrupt:
    print(f"interrupted after {time.perf_counter() - t0:.2f} s", flush=True)
# The interpreter is fine afterwards.
print("then", EnergyDetector(epochs=2, random_state=0).fit(X[:100]).predict(X[:3]).tolist(), flush=True)
"""


@pytest.mark.parametrize("fit", ["detector", "csae-pretraining", "csae-finetuning", "autoencoder"])
def test_ctrl_c_interrupts_a_long_fit(fit):
    # A shell's background job (e.g. CI started with `&`) ignores SIGINT, and a Python started that
    # way keeps ignoring it; the child gets the default disposition, as a terminal's process would.
    p = subprocess.Popen([sys.executable, "-c", SCRIPT, fit], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert p.stdout.readline().strip() == "started"
    time.sleep(1.5)
    assert p.poll() is None, "the fit ended before it was interrupted"
    sent = time.perf_counter()
    p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        pytest.fail(f"{fit}: still running 30 s after SIGINT")
    waited = time.perf_counter() - sent
    assert p.returncode == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("interrupted after"), out + err
    assert lines[1].startswith("then ["), out + err
    assert waited < 10, f"{fit}: {waited:.1f} s from SIGINT to the end"
    assert "panicked" not in err and "Traceback" not in err, err
