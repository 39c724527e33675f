#!/usr/bin/env python3
"""Validation-only exploration (issue 13): does refitting on the training rows the first detector
calls normal (a trimmed, contamination-robust refit) help `potential detect fit`?

For each ADBench set and seed, on the *validation* split of scripts/adbench.py (the test part is never
read): fit the defaults on the training rows, score those rows, drop the fraction TRIM with the
highest outlier scores, refit (same seed, same flags) on the rest, score the validation rows.
Appends one JSON line per (set, seed, trim) to --out.

    python3 scripts/explore/adbench_trim.py --bin target/release/potential --trims 0,0.05,0.1
"""
import argparse, glob, json, os, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import numpy as np
from adbench import split, commit  # noqa: E402


def fit_score(binary, Xfit, Xs, seed, extra, tmp):
    tr, det, out = (os.path.join(tmp, n) for n in ("fit.npy", "det.safetensors", "scores.csv"))
    np.save(tr, Xfit.astype(np.float32))
    subprocess.run([binary, "detect", "fit", "--data", tr, "--out", det, "--seed", str(seed), "-q"] + extra,
                   check=True)
    res = []
    for i, X in enumerate(Xs):
        p = os.path.join(tmp, f"s{i}.npy")
        np.save(p, X.astype(np.float32))
        subprocess.run([binary, "detect", "--model", det, "--data", p, "--out", out, "-q"], check=True,
                       stdout=subprocess.DEVNULL)
        res.append(np.loadtxt(out, delimiter=",", skiprows=1, usecols=1))
    return res


def main():
    from sklearn.metrics import roc_auc_score, average_precision_score
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/potential")
    ap.add_argument("--datasets", default=os.path.join(os.environ.get("POTENTIAL_DATASETS", "../shared/datasets"), "adbench"))
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--trims", default="0.05,0.1")
    ap.add_argument("--extra", default="")
    ap.add_argument("--extra2", default=None, help="flags of the refit (default: --extra)")
    ap.add_argument("--out", default="results/adbench-explore.jsonl")
    a = ap.parse_args()
    extra = a.extra.split()
    extra2 = extra if a.extra2 is None else a.extra2.split()
    trims = [float(t) for t in a.trims.split(",")]
    for path in sorted(glob.glob(os.path.join(a.datasets, "*.npz")), key=lambda p: int(os.path.basename(p).split("_")[0])):
        name = os.path.basename(path)[:-4]
        for seed in [int(s) for s in a.seeds.split(",")]:
            Xtr, Xva, yva = split(path, seed, validation=True)
            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.time()
                s_tr, s_va = fit_score(a.bin, Xtr, [Xtr, Xva], seed, extra, tmp)
                base = time.time() - t0
                rec = dict(suite="adbench", protocol="adbench-validation", experiment="trimmed-refit", set=name,
                           seed=seed, trim=0.0, extra=a.extra, roc_auc=roc_auc_score(yva, s_va),
                           average_precision=average_precision_score(yva, s_va), wall_seconds=round(base, 2))
                recs = [rec]
                for t in trims:
                    keep = s_tr <= np.quantile(s_tr, 1 - t)
                    t1 = time.time()
                    (s2,) = fit_score(a.bin, Xtr[keep], [Xva], seed, extra2, tmp)
                    recs.append(dict(rec, trim=t, extra2=a.extra2, kept=int(keep.sum()),
                                     roc_auc=roc_auc_score(yva, s2), average_precision=average_precision_score(yva, s2),
                                     wall_seconds=round(base + time.time() - t1, 2)))
                for r in recs:
                    r.update(command="python3 scripts/explore/adbench_trim.py " + " ".join(sys.argv[1:]),
                             commit=commit(), machine="vm", date=time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()))
                    print(json.dumps(r), flush=True)
                with open(a.out, "a") as f:
                    for r in recs:
                        f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
