#!/usr/bin/env python3
"""Validation-only exploration of detector views (results/adbench-explore.jsonl): per-view outlier scores on
ADBench validation rows. Usage: python3 scripts/explore/adbench_views.py BIN "VIEW ..." [EXTRA_FLAGS] [TAG]
(VSCORES=dir for the scores). The test part is never read (split(..., validation=True))."""
import glob, os, subprocess, sys, tempfile
import numpy as np
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from adbench import split
BIN = sys.argv[1]
VIEWS = sys.argv[2].split()
EXTRA = sys.argv[3].split() if len(sys.argv) > 3 else []
TAG = sys.argv[4] if len(sys.argv) > 4 else ""
out = os.environ.get("VSCORES", "target/vscores"); os.makedirs(out, exist_ok=True)
for path in sorted(glob.glob(os.path.join(os.environ.get("POTENTIAL_DATASETS", "../shared/datasets"), "adbench", "*.npz"))):
    name = os.path.basename(path)[:-4]
    for seed in (0, 1, 2):
        Xtr, Xte, yte = split(path, seed, True)
        np.save(f"{out}/{name}_{seed}_y.npy", yte)
        with tempfile.TemporaryDirectory() as tmp:
            tr, te = os.path.join(tmp, "tr.npy"), os.path.join(tmp, "te.npy")
            np.save(tr, Xtr.astype(np.float32)); np.save(te, Xte.astype(np.float32))
            for v in VIEWS:
                f = f"{out}/{name}_{seed}_{v}{TAG}.npy"
                if os.path.exists(f): continue
                det, sc = os.path.join(tmp, "d.st"), os.path.join(tmp, "s.csv")
                subprocess.run([BIN, "detect", "fit", "--data", tr, "--out", det, "--seed", str(seed), "-q",
                                "--views", v, "--combine", "mean"] + EXTRA, check=True)
                subprocess.run([BIN, "detect", "--model", det, "--data", te, "--out", sc, "-q"], check=True,
                               stdout=subprocess.DEVNULL)
                s = np.loadtxt(sc, delimiter=",", skiprows=1, usecols=1)
                np.save(f, s)
        print(name, seed, flush=True)
