#!/usr/bin/env python3
"""scikit-learn's SVC on the digits demo's writer-disjoint split: the reference for the demo's own
RBF SVM (crates/potential-cli/src/svm.rs).

Reads the digits file the binary embeds (crates/potential-data/data/digits/digits.csv.gz: 64 pixel
values 0..16 then the label per line; pixels scaled to [0, 1] as the binary does), takes the demo's
writer-disjoint split (train = the first 1200 rows, validation = the next 300, test = the last
297), chooses C ∈ {1, 10, 100} and γ ∈ {0.5, 1, 2} × scikit-learn's gamma="scale" (of the training
rows) on the validation rows as the demo does (first lowest error in C-major order), refits on train +
validation and counts test errors. With --shifts the training rows get their four one-pixel shifts
first (as Dataset::with_shifts). Prints one JSON line (append it to results/demo.jsonl with --record).

Usage: python3 benches/reference/svm_digits_sklearn.py [--shifts] [--record results/demo.jsonl]
"""
import argparse, datetime, gzip, json, os, platform, subprocess, sys
import numpy as np
from sklearn.svm import SVC

HERE = os.path.dirname(os.path.abspath(__file__))
DIGITS = os.path.join(HERE, "..", "..", "crates", "potential-data", "data", "digits", "digits.csv.gz")


def shifted(x, y):
    imgs = x.reshape(-1, 8, 8)
    out = [imgs]
    for dy, dx in [(1, 0), (-1, 0), (0, 1), (0, -1)]:
        s = np.zeros_like(imgs)
        src = imgs[:, max(0, -dy):8 - max(0, dy), max(0, -dx):8 - max(0, dx)]
        s[:, max(0, dy):8 - max(0, -dy), max(0, dx):8 - max(0, -dx)] = src
        out.append(s)
    # Row order as Dataset::with_shifts: each row followed by its four shifts.
    stacked = np.stack(out, axis=1).reshape(-1, 64)
    return stacked, np.repeat(y, 5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shifts", action="store_true")
    ap.add_argument("--record")
    a = ap.parse_args()
    with gzip.open(DIGITS, "rt") as f:
        rows = np.array([[float(v) for v in line.split(",")] for line in f if line.strip()])
    x, y = rows[:, :64] / 16.0, rows[:, 64].astype(int)
    xtr, ytr, xva, yva, xte, yte = x[:1200], y[:1200], x[1200:1500], y[1200:1500], x[1500:], y[1500:]
    if a.shifts:
        xtr, ytr = shifted(xtr, ytr)
    scale = 1.0 / (64 * xtr.var())
    grid = []
    for c in [1.0, 10.0, 100.0]:
        for g in [0.5, 1.0, 2.0]:
            m = SVC(C=c, gamma=g * scale).fit(xtr, ytr)
            grid.append({"c": c, "gamma": g * scale, "valid_errors": int((m.predict(xva) != yva).sum())})
    best = min(grid, key=lambda p: p["valid_errors"])  # first of the lowest, C-major order
    m = SVC(C=best["c"], gamma=best["gamma"]).fit(np.vstack([xtr, xva]), np.concatenate([ytr, yva]))
    errors = int((m.predict(xte) != yte).sum())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE).stdout.strip()
    rec = {
        "experiment": "demo-svm-sklearn", "shifts": a.shifts,
        "command": "python3 benches/reference/svm_digits_sklearn.py" + (" --shifts" if a.shifts else ""),
        "commit": commit or "unknown", "sklearn": __import__("sklearn").__version__,
        "grid": grid, "chosen_c": best["c"], "chosen_gamma": round(best["gamma"], 4),
        "valid_error": best["valid_errors"] / len(yva), "test_errors": errors, "test_rows": len(yte),
        "test_error": errors / len(yte), "machine": platform.node(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    print(json.dumps(rec))
    if a.record:
        with open(a.record, "a") as f:
            f.write(json.dumps(rec) + "\n")


if __name__ == "__main__":
    sys.exit(main())
