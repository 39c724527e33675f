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

With --blocks, instead: the five held-out writer blocks of `demo_ensemble` (potential-csae's
example). The 1500 rows before the test writers are five blocks of 300; for each held-out block f
the C and γ are chosen on block f − 1 (cyclically), the SVM is refit on the other four blocks and
block f is scored; the test writers are not read.

Usage: python3 benches/reference/svm_digits_sklearn.py [--shifts] [--blocks] [--record FILE]
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


def fit_chosen(xtr, ytr, xva, yva):
    """C and γ chosen on (xva, yva) as the demo does, refit on train + validation."""
    scale = 1.0 / (64 * xtr.var())
    grid = []
    for c in [1.0, 10.0, 100.0]:
        for g in [0.5, 1.0, 2.0]:
            m = SVC(C=c, gamma=g * scale).fit(xtr, ytr)
            grid.append({"c": c, "gamma": g * scale, "valid_errors": int((m.predict(xva) != yva).sum())})
    best = min(grid, key=lambda p: p["valid_errors"])  # first of the lowest, C-major order
    m = SVC(C=best["c"], gamma=best["gamma"]).fit(np.vstack([xtr, xva]), np.concatenate([ytr, yva]))
    return m, best, grid


def record(rec, a):
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE).stdout.strip()
    rec.update({"commit": commit or "unknown", "sklearn": __import__("sklearn").__version__,
                "machine": platform.node(),
                "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")})
    line = json.dumps(rec)
    print(line)
    if a.record:
        with open(a.record, "a") as f:
            f.write(line + "\n")


def blocks(x, y, a):
    block = lambda b: np.arange(300 * b, 300 * (b + 1))
    errors, chosen = [], []
    for f in range(5):
        v = (f + 4) % 5
        tr = np.concatenate([block(b) for b in range(5) if b not in (f, v)])
        xtr, ytr = x[tr], y[tr]
        if a.shifts:
            xtr, ytr = shifted(xtr, ytr)
        m, best, _ = fit_chosen(xtr, ytr, x[block(v)], y[block(v)])
        errors.append(float((m.predict(x[block(f)]) != y[block(f)]).mean()))
        chosen.append({"c": best["c"], "gamma": best["gamma"]})
    record({"experiment": "demo-svm-blocks", "shifts": a.shifts, "blocks": 5, "error": errors,
            "mean_error": float(np.mean(errors)), "chosen": chosen,
            "command": "python3 benches/reference/svm_digits_sklearn.py --blocks" + (" --shifts" if a.shifts else "")}, a)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shifts", action="store_true")
    ap.add_argument("--blocks", action="store_true")
    ap.add_argument("--record")
    a = ap.parse_args()
    with gzip.open(DIGITS, "rt") as f:
        rows = np.array([[float(v) for v in line.split(",")] for line in f if line.strip()])
    x, y = rows[:, :64] / 16.0, rows[:, 64].astype(int)
    if a.blocks:
        return blocks(x[:1500], y[:1500], a)
    xtr, ytr, xva, yva, xte, yte = x[:1200], y[:1200], x[1200:1500], y[1200:1500], x[1500:], y[1500:]
    if a.shifts:
        xtr, ytr = shifted(xtr, ytr)
    m, best, grid = fit_chosen(xtr, ytr, xva, yva)
    errors = int((m.predict(xte) != yte).sum())
    record({
        "experiment": "demo-svm-sklearn", "shifts": a.shifts,
        "command": "python3 benches/reference/svm_digits_sklearn.py" + (" --shifts" if a.shifts else ""),
        "grid": grid, "chosen_c": best["c"], "chosen_gamma": round(best["gamma"], 4),
        "valid_error": best["valid_errors"] / len(yva), "test_errors": errors, "test_rows": len(yte),
        "test_error": errors / len(yte),
    }, a)


if __name__ == "__main__":
    sys.exit(main())
