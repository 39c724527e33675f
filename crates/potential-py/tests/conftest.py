"""Shared settings and helpers of the Python tests."""

import os

# scikit-learn runs its array-API check (NumPy inputs with array-API dispatch enabled give the
# same results) only when SciPy was imported in array-API mode; set it before anything imports it.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

#: The repository root (crates/potential-py/tests -> ../../..).
ROOT = Path(__file__).resolve().parents[3]


def _require(why):
    """Skip with ``skipped: why``, or fail when POTENTIAL_REQUIRE_DATA=1 (CI)."""
    if os.environ.get("POTENTIAL_REQUIRE_DATA") == "1":
        pytest.fail(f"required but missing: {why}")
    pytest.skip(f"skipped: {why}")


@pytest.fixture(scope="session")
def cli():
    """The `potential` command line binary: $POTENTIAL_CLI, or built from this repository with
    cargo (a no-op when it is up to date)."""
    if os.environ.get("POTENTIAL_CLI"):
        return os.environ["POTENTIAL_CLI"]
    if shutil.which("cargo") is None or not (ROOT / "Cargo.toml").exists():
        _require("no cargo and repository to build the `potential` CLI (set POTENTIAL_CLI)")
    out = subprocess.run(
        ["cargo", "build", "-q", "-p", "potential-cli", "--bin", "potential", "--message-format=json"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") and msg["target"]["name"] == "potential":
            return msg["executable"]
    raise RuntimeError("cargo built no `potential` executable")


def run_cli(cli, *args):
    """Run the CLI quietly; its stderr is shown if it fails."""
    r = subprocess.run([cli, *map(str, args)], capture_output=True, text=True)
    assert r.returncode == 0, f"potential {' '.join(map(str, args))} failed:\n{r.stderr}"
    return r.stdout


def blobs(n=300, d=5, seed=0, outliers=0):
    """``n`` float32 rows of a correlated Gaussian blob, the last ``outliers`` far off it."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(d, d)) / np.sqrt(d)
    X = rng.normal(size=(n, d)) @ a
    if outliers:
        X[-outliers:] += rng.choice([-6.0, 6.0], size=(outliers, d))
    return np.ascontiguousarray(X, dtype=np.float32)


def digits(classes=None):
    """scikit-learn's UCI digits (shipped with scikit-learn) scaled to [0, 1], float32."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    if classes is not None:
        keep = np.isin(y, classes)
        X, y = X[keep], y[keep]
    return np.ascontiguousarray(X / 16, dtype=np.float32), y
